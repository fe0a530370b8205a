#include "fuse/data/dataset.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "fuse/data/seeds.h"
#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using testing::registry;
using testing::step;

DatasetSpec spec_of(std::vector<std::string> ids, std::vector<Step> static_steps, std::vector<Step> dynamic_steps = {}) {
  DatasetSpec spec;
  spec.samples = ids_source(ids, "data.name");
  spec.static_steps = std::move(static_steps);
  spec.dynamic_steps = std::move(dynamic_steps);
  spec.seed = 11;
  return spec;
}

TEST(Dataset, SamplesCarryTheirIdAndPipelineOutput) {
  Dataset d(registry(), spec_of({"a", "b"}, {step("fuse.ops.copy", R"({"from": ["data.name"], "to": ["name2"]})")}, {step("test.echo")}));
  Dataset::Worker w = d.worker();
  const NDict s = *w.get(1, 4, true);
  EXPECT_EQ(s.get<std::string>("data.sample_id"), "b");
  EXPECT_EQ(s.get<std::string>("name2"), "b");
  // The dynamic pipeline's op 0 draws from (run seed, epoch, sample index, 0).
  EXPECT_EQ(static_cast<uint64_t>(s.get<int64_t>("call.seed")), call_seed(11, 4, 1, 0));
  // Epoch -1: the static part only.
  EXPECT_FALSE(w.get(1, -1, false)->has("call.seed"));
}

TEST(Dataset, CacheServesStaticOutputWithoutRunningThePipeline) {
  const auto dir = fresh_dir("dataset_cache");
  DatasetSpec spec = spec_of({"a", "b", "c"}, {step("test.counter")});
  spec.cache_dir = dir;
  Dataset d(registry(), spec);
  const int64_t first = d.worker().get(0, 0, true)->get<int64_t>("runs");
  // Another worker (another thread's ops) and another dataset object read the stored entry.
  EXPECT_EQ(d.worker().get(0, 0, true)->get<int64_t>("runs"), first);
  Dataset again(registry(), spec);
  EXPECT_EQ(again.worker().get(0, 1, true)->get<int64_t>("runs"), first);
  EXPECT_EQ(again.static_hash(), d.static_hash());
  EXPECT_TRUE(std::filesystem::exists(d.cache()->entry_path(d.cache_key(0))));
}

TEST(Dataset, AChangedPipelineNeverGetsStaleSamples) {
  const auto dir = fresh_dir("dataset_stale");
  DatasetSpec spec = spec_of({"a"}, {step("fuse.ops.set", R"({"key": "v", "value": 1})")});
  spec.cache_dir = dir;
  EXPECT_EQ(Dataset(registry(), spec).worker().get(0, 0, true)->get<int64_t>("v"), 1);
  spec.static_steps = {step("fuse.ops.set", R"({"key": "v", "value": 2})")};
  Dataset changed(registry(), spec);
  EXPECT_EQ(changed.worker().get(0, 0, true)->get<int64_t>("v"), 2);
}

// The cache is keyed by each sample's id and source values: a label edited in the table (same id) is not
// served from the entry made before the edit.
TEST(Dataset, AnEditedSourceRowNeverGetsAStaleSample) {
  const auto dir = fresh_dir("dataset_edited_row");
  DatasetSpec spec = spec_of({"a", "b"}, {step("fuse.ops.copy", R"({"from": ["label"], "to": ["target"]})")});
  spec.cache_dir = dir;
  spec.samples[0].values.set("label", int64_t{0});
  spec.samples[1].values.set("label", int64_t{1});
  EXPECT_EQ(Dataset(registry(), spec).worker().get(0, 0, true)->get<int64_t>("target"), 0);
  spec.samples[0].values.set("label", int64_t{1});
  Dataset edited(registry(), spec);
  EXPECT_EQ(edited.worker().get(0, 0, true)->get<int64_t>("target"), 1);
  EXPECT_EQ(edited.worker().get(1, 0, true)->get<int64_t>("target"), 1);  // an unchanged row still has its entry
  EXPECT_TRUE(std::filesystem::exists(edited.cache()->entry_path(edited.cache_key(1))));
}

// A 2 x 2 float image as MetaImage (a text header and raw bytes), which fuse.io.read_medical reads.
void write_image(const std::filesystem::path& mhd, const std::vector<float>& pixels) {
  std::ofstream(mhd) << "ObjectType = Image\nNDims = 2\nDimSize = 2 2\nElementType = MET_FLOAT\nElementDataFile = " << mhd.stem().string() << ".raw\n";
  std::ofstream raw(mhd.parent_path() / (mhd.stem().string() + ".raw"), std::ios::binary);
  raw.write(reinterpret_cast<const char*>(pixels.data()), static_cast<std::streamsize>(pixels.size() * sizeof(float)));
}

// FuseMedML's cache audit: an image rewritten in place keeps its path, so its sample keeps its cache key; the
// audit recomputes it and finds the entry stale.
TEST(Dataset, TheCacheAuditFindsAnImageRewrittenInPlace) {
  const auto dir = fresh_dir("dataset_audit");
  write_image(dir / "a.mhd", {0, 1, 2, 3});
  write_image(dir / "b.mhd", {4, 5, 6, 7});
  DatasetSpec spec = spec_of({"a", "b"}, {step("fuse.io.read_medical", R"({"path_key": "path", "key": "data.ct", "dtype": "float32"})")});
  spec.samples[0].values.set("path", (dir / "a.mhd").string());
  spec.samples[1].values.set("path", (dir / "b.mhd").string());
  spec.cache_dir = dir / "cache";
  spec.cache_audit = CacheAudit{true, 1.0};
  Dataset d(registry(), spec);
  EXPECT_EQ(d.audit_cache(1, false).audited, 0u);  // nothing cached yet
  d.build_cache(1, false);
  Dataset::AuditReport sound = d.audit_cache(2, false);
  EXPECT_EQ(sound.audited, 2u);
  EXPECT_TRUE(sound.differences.empty());

  write_image(dir / "a.mhd", {0, 1, 2, 9});
  Dataset again(registry(), spec);
  const Dataset::AuditReport stale = again.audit_cache(2, false);
  EXPECT_EQ(stale.audited, 2u);
  EXPECT_EQ(stale.differences,
            (std::vector<std::string>{"sample 'a' (id 0 of the list): 'data.ct': float32[1, 2, 2] before, float32[1, 2, 2] now, max |difference| 6"}));
  // The default audits the first sample only; false none.
  spec.cache_audit = CacheAudit{};
  EXPECT_EQ(Dataset(registry(), spec).audit_cache(1, false).differences.size(), 1u);
  spec.cache_audit = CacheAudit{false, 0};
  EXPECT_EQ(Dataset(registry(), spec).audit_cache(1, false).audited, 0u);
}

TEST(Dataset, ACorruptEntryIsRebuilt) {
  const auto dir = fresh_dir("dataset_corrupt");
  DatasetSpec spec = spec_of({"a"}, {step("test.counter"), step("fuse.ops.set", R"({"key": "v", "value": [1.0, 2.0, 3.0]})")});
  spec.cache_dir = dir;
  Dataset d(registry(), spec);
  const int64_t first = d.worker().get(0, 0, true)->get<int64_t>("runs");
  const auto entry = d.cache()->entry_path(d.cache_key(0));
  {
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(entry) / 2));
    f.put('\x5a');
  }
  const NDict rebuilt = *d.worker().get(0, 0, true);
  EXPECT_GT(rebuilt.get<int64_t>("runs"), first);  // the pipeline ran again
  EXPECT_EQ(d.cache()->corrupt_found(), 1u);
  EXPECT_EQ(d.worker().get(0, 0, true)->get<int64_t>("runs"), rebuilt.get<int64_t>("runs"));  // and was stored again
}

TEST(Dataset, AFailingSampleIsNamedOrSkipped) {
  DatasetSpec spec = spec_of({"a", "b", "c"}, {step("test.fail_on", R"({"id": "b"})", "exp.json:5:3")});
  Dataset strict(registry(), spec);
  EXPECT_EQ(error_of([&] { strict.worker().get(1, 0, true); }),
            "sample 'b' (id 1 of the list): static pipeline step 1 (exp.json:5:3): op 'test.fail_on' (plugin 'test.kit'): cannot read 'b'");
  spec.on_error = OnError::kSkip;
  Dataset lenient(registry(), spec);
  Dataset::Worker w = lenient.worker();
  EXPECT_TRUE(w.get(0, 0, true).has_value());
  EXPECT_FALSE(w.get(1, 0, true).has_value());
  EXPECT_TRUE(w.get(2, 0, true).has_value());
  EXPECT_EQ(lenient.skipped(), 1u);
  ASSERT_EQ(lenient.skip_reasons().size(), 1u);
  EXPECT_NE(lenient.skip_reasons()[0].find("sample 'b'"), std::string::npos);
}

TEST(Dataset, AFailedStaticSampleIsRememberedNotRunAgain) {
  DatasetSpec spec = spec_of({"a", "b"}, {step("test.counter"), step("test.fail_on", R"({"id": "b"})")});
  spec.on_error = OnError::kSkip;
  Dataset d(registry(), spec);
  Dataset::Worker w = d.worker();
  EXPECT_FALSE(w.get(1, 0, true).has_value());
  const int64_t runs = w.get(0, 0, true)->get<int64_t>("runs");
  for (int64_t epoch = 1; epoch < 4; ++epoch) EXPECT_FALSE(d.worker().get(1, epoch, true).has_value());
  EXPECT_EQ(d.skipped(), 1u);  // counted (and logged) once
  EXPECT_EQ(d.worker().get(0, 4, true)->get<int64_t>("runs"), runs + 1);  // 'b' did not run again in between
}

TEST(Dataset, RetryPutsAnotherSampleInTheFailingOnesPlaceInTraining) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back("s" + std::to_string(i));
  DatasetSpec spec = spec_of(ids, {step("test.fail_on", R"({"id": "s3"})")});
  spec.on_error = OnError::kRetry;
  Dataset d(registry(), spec);
  std::set<std::string> stand_ins;
  for (int64_t epoch = 0; epoch < 8; ++epoch) {
    const std::optional<NDict> s = d.worker().get(3, epoch, true);
    ASSERT_TRUE(s.has_value());
    const std::string id = s->get<std::string>("data.sample_id");
    EXPECT_NE(id, "s3");
    // Drawn from (seed, epoch, index): another worker, or another dataset, draws the same one.
    Dataset again(registry(), spec);
    EXPECT_EQ(again.worker().get(3, epoch, true)->get<std::string>("data.sample_id"), id);
    stand_ins.insert(id);
  }
  EXPECT_GT(stand_ins.size(), 3u);  // not always the same one
  EXPECT_FALSE(d.worker().get(3, 0, false).has_value());  // outside training: left out, never duplicated
  EXPECT_EQ(d.skipped(), 1u);
  // When every sample fails, the error says so.
  DatasetSpec broken = spec_of({"a", "b"}, {step("fuse.ops.zscore", R"({"keys": ["missing"]})")});
  broken.on_error = OnError::kRetry;
  Dataset none(registry(), broken);
  EXPECT_EQ(error_of([&] { none.worker().get(0, 2, true); }),
            "sample 'a' failed in epoch 2, and so did the 10 samples drawn to replace it (on_error: retry); the warnings above say why");
}

TEST(Dataset, ParallelCacheBuildMatchesOneThread) {
  const auto dir = fresh_dir("dataset_build");
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back("s" + std::to_string(i));
  DatasetSpec spec = spec_of(ids, {step("fuse.ops.copy", R"({"from": ["data.name"], "to": ["copy"]})")});
  spec.cache_dir = dir;
  Dataset d(registry(), spec);
  d.build_cache(4, false);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_TRUE(std::filesystem::exists(d.cache()->entry_path(d.cache_key(i)))) << ids[i];
  Dataset::Worker w = d.worker();
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(w.get(i, 0, true)->get<std::string>("copy"), ids[i]);
}

TEST(Dataset, CacheBuildStopsAtTheFirstFailureUnlessSkipping) {
  const auto dir = fresh_dir("dataset_build_fail");
  DatasetSpec spec = spec_of({"a", "b", "c", "d"}, {step("test.fail_on", R"({"id": "c"})")});
  spec.cache_dir = dir;
  Dataset strict(registry(), spec);
  EXPECT_EQ(error_of([&] { strict.build_cache(2, false); }),
            "sample 'c' (id 2 of the list): static pipeline step 1: op 'test.fail_on' (plugin 'test.kit'): cannot read 'c'");
  spec.on_error = OnError::kSkip;
  Dataset lenient(registry(), spec);
  lenient.build_cache(2, false);
  EXPECT_EQ(lenient.skipped(), 1u);
  EXPECT_FALSE(std::filesystem::exists(lenient.cache()->entry_path(lenient.cache_key(2))));
  EXPECT_TRUE(std::filesystem::exists(lenient.cache()->entry_path(lenient.cache_key(3))));
}

TEST(Dataset, CacheBuildSplitInPartsBuildsOnlyItsPart) {
  const auto dir = fresh_dir("dataset_build_parts");
  DatasetSpec spec = spec_of({"a", "b", "c", "d", "e"}, {step("fuse.ops.copy", R"({"from": ["data.name"], "to": ["copy"]})")});
  spec.cache_dir = dir;
  Dataset one(registry(), spec);
  one.build_cache(2, false, 1, 2);  // the second of two processes: samples 1 and 3
  EXPECT_FALSE(std::filesystem::exists(one.cache()->entry_path(one.cache_key(0))));
  EXPECT_TRUE(std::filesystem::exists(one.cache()->entry_path(one.cache_key(1))));
  EXPECT_FALSE(std::filesystem::exists(one.cache()->entry_path(one.cache_key(2))));
  EXPECT_TRUE(std::filesystem::exists(one.cache()->entry_path(one.cache_key(3))));
  Dataset other(registry(), spec);
  other.build_cache(1, false, 0, 2);
  for (size_t i : {0, 2, 4}) EXPECT_TRUE(std::filesystem::exists(other.cache()->entry_path(other.cache_key(i)))) << i;
  EXPECT_EQ(error_of([&] { other.build_cache(1, false, 2, 2); }), "cache build: part 2 of 2 does not exist");
}

TEST(Dataset, BuildingWithoutACacheFolderIsAnError) {
  Dataset d(registry(), spec_of({"a"}, {}));
  EXPECT_EQ(error_of([&] { d.build_cache(1, false); }), "the dataset has no cache folder to build");
}

// Source samples whose "x" holds a list of `counts[i]` numbers (i * 10, i * 10 + 1, ...) and "label" i.
DatasetSpec split_spec(const std::vector<int>& counts, std::vector<Step> after = {}) {
  DatasetSpec spec;
  for (size_t i = 0; i < counts.size(); ++i) {
    Sample s{"s" + std::to_string(i), "row " + std::to_string(i + 1) + " of t.csv", {}};
    List x;
    for (int k = 0; k < counts[i]; ++k) x.emplace_back(static_cast<int64_t>(i * 10 + static_cast<size_t>(k)));
    s.values.set("x", std::move(x));
    s.values.set("label", static_cast<int64_t>(i));
    spec.samples.push_back(std::move(s));
  }
  Step split;
  split.split = Split{{"x"}};
  spec.static_steps = {split};
  for (Step& step : after) spec.static_steps.push_back(std::move(step));
  spec.seed = 5;
  return spec;
}

std::vector<std::string> ids_of(const Dataset& d) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < d.size(); ++i) ids.push_back(d.sample(i).id);
  return ids;
}

TEST(Dataset, ASplittingStaticPipelineMakesTheSamples) {
  Step drop;
  drop.drop_if = "x";  // drops the parts whose x is not 0
  Dataset d(registry(), split_spec({3, 1, 0, 2}));
  EXPECT_TRUE(d.changes_count());
  EXPECT_EQ(d.sources(), 4u);
  EXPECT_EQ(ids_of(d), (std::vector<std::string>{"s0#0", "s0#1", "s0#2", "s1#0", "s3#0", "s3#1"}));
  // A part has its source's values and origin, and its own static output.
  EXPECT_EQ(d.sample(4).values.get<int64_t>("label"), 3);
  EXPECT_EQ(d.sample(4).origin, "row 4 of t.csv");
  Dataset::Worker w = d.worker();
  const NDict part = *w.get(4, 0, true);
  EXPECT_EQ(part.get<int64_t>("x"), 30);
  EXPECT_EQ(part.get<std::string>("data.sample_id"), "s3#0");
  EXPECT_EQ(part.get<std::string>("data.source_id"), "s3");
  EXPECT_EQ(w.get(2, 0, true)->get<int64_t>("x"), 2);
  // Dropping: parts whose x is not 0 go.
  Dataset kept(registry(), split_spec({3, 1}, {drop}));
  EXPECT_EQ(ids_of(kept), (std::vector<std::string>{"s0#0"}));
}

TEST(Dataset, TheCacheRemembersWhatEachSourceSampleMade) {
  const auto dir = fresh_dir("dataset_split_cache");
  DatasetSpec spec = split_spec({2, 3}, {step("test.counter")});
  spec.cache_dir = dir;
  Dataset first(registry(), spec);
  // Making the dataset ran the static pipeline and stored every part.
  for (size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(std::filesystem::exists(first.cache()->entry_path(first.cache_key(i)))) << first.sample(i).id;
  const int64_t runs = first.worker().get(4, 0, true)->get<int64_t>("runs");
  // test.counter's count, read through a pipeline of its own (one run each time).
  Dataset counter(registry(), spec_of({"p"}, {step("test.counter")}));
  const auto count = [&] { return counter.worker().get(0, -1, false)->get<int64_t>("runs"); };
  const int64_t before = count();
  Dataset again(registry(), spec);
  EXPECT_EQ(count(), before + 1);  // making it ran no static pipeline
  EXPECT_EQ(ids_of(again), ids_of(first));
  EXPECT_EQ(again.worker().get(4, 0, true)->get<int64_t>("runs"), runs);  // served, not run again
}

TEST(Dataset, IndexingOnManyThreadsGivesTheSameSamples) {
  std::vector<int> counts;
  for (int i = 0; i < 60; ++i) counts.push_back(i % 4);
  DatasetSpec spec = split_spec(counts);
  const std::vector<std::string> one = ids_of(Dataset(registry(), spec));
  spec.index_threads = 8;
  EXPECT_EQ(ids_of(Dataset(registry(), spec)), one);
  EXPECT_EQ(one.size(), 15u * (0 + 1 + 2 + 3));
}

TEST(Dataset, WithoutACacheAPartIsMadeAgainFromItsSource) {
  Dataset d(registry(), split_spec({2, 3}, {step("test.counter")}));
  Dataset::Worker w = d.worker();
  EXPECT_EQ(w.get(3, 1, true)->get<int64_t>("x"), 11);
  const int64_t runs = w.get(4, 1, true)->get<int64_t>("runs");
  EXPECT_EQ(w.get(2, 1, true)->get<int64_t>("runs"), runs - 2);  // the source's parts were made together
}

TEST(Dataset, FailingAndDuplicateSourcesAreNamed) {
  DatasetSpec spec = split_spec({2, 2, 2}, {step("test.fail_on", R"({"id": "s1#1"})", "exp.json:9:5")});
  EXPECT_EQ(error_of([&] { Dataset(registry(), spec); }),
            "sample 's1' (row 2 of t.csv): static pipeline step 2 (exp.json:9:5): part 's1#1': op 'test.fail_on' (plugin 'test.kit'): cannot read 's1#1'");
  spec.on_error = OnError::kSkip;
  Dataset lenient(registry(), spec);
  EXPECT_EQ(ids_of(lenient), (std::vector<std::string>{"s0#0", "s0#1", "s2#0", "s2#1"}));  // all of s1 goes
  EXPECT_EQ(lenient.skipped(), 1u);
  DatasetSpec same = split_spec({1, 1}, {step("fuse.ops.set", R"({"key": "data.sample_id", "value": "x"})")});
  EXPECT_EQ(error_of([&] { Dataset(registry(), same); }),
            "the static pipeline makes two samples with the id 'x' (from 's0' and 's1'); ids under 'data.sample_id' must be unique (an op overwrites "
            "them?)");
}

}  // namespace
}  // namespace fuse::data
