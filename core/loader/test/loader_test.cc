#include "fuse/loader/loader.h"

#include <gtest/gtest.h>

#include "fuse/data/seeds.h"
#include "test_support.h"

namespace fuse::loader {
namespace {

using fuse::testing::error_of;
using fuse::testing::json_object;
using fuse::testing::values;

const Registry& registry() {
  static const Registry r(Registry::Options{{fuse::testing::built_plugin_dir(), std::string(FUSE_TEST_PLUGIN_ROOT) + "/testkit"}, {}});
  return r;
}

data::DatasetSpec spec_of(size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back("s" + std::to_string(i));
  data::DatasetSpec spec;
  spec.samples = data::ids_source(ids, "data.name");
  spec.dynamic_steps = {data::Step{"test.echo", {}, {}, "", {}}};
  spec.seed = 3;
  return spec;
}

// Every batch of an epoch: the sample ids and the seeds the dynamic op drew.
std::vector<std::pair<std::vector<std::string>, std::vector<int64_t>>> epoch(data::Dataset& d, const Sampler& s, size_t workers, int64_t e) {
  Loader loader(d, s, LoaderOptions{workers, 2, true, {}});
  loader.start(e);
  std::vector<std::pair<std::vector<std::string>, std::vector<int64_t>>> out;
  NDict batch;
  while (loader.next(batch)) {
    std::vector<std::string> ids;
    for (const Value& v : batch.get<List>("data.sample_id")) ids.push_back(v.as<std::string>());
    out.emplace_back(ids, values<int64_t>(batch.get<Tensor>("call.seed")));
  }
  return out;
}

TEST(Loader, TheBatchPipelineDrawsWhatTheSamplesNextOpWould) {
  data::DatasetSpec spec = spec_of(11);
  spec.on_error = data::OnError::kSkip;
  spec.dynamic_steps.push_back(data::Step{"test.fail_on", json_object(R"({"id": "s4"})"), {}, "", {}});
  spec.batch_steps = {data::Step{"test.echo", {}, {}, "", {}}};
  data::Dataset d(registry(), std::move(spec));
  const SequentialSampler s(11, 4, false, false, 0);
  for (size_t workers : {1, 3}) {
    Loader loader(d, s, LoaderOptions{workers, 2, true, {}});
    loader.start(5);
    NDict batch;
    std::vector<int64_t> seen;
    for (int64_t b = 0; loader.next(batch); ++b) {
      std::vector<int64_t> expected;
      for (const Value& v : batch.get<List>("data.sample_id")) {
        const int64_t index = std::stoll(v.as<std::string>().substr(1));
        expected.push_back(static_cast<int64_t>(data::call_seed(3, 5, index, 2)));  // after the two dynamic ops
        seen.push_back(index);
      }
      EXPECT_EQ(values<int64_t>(batch.get<Tensor>("call.sample_seeds")), expected);
      EXPECT_EQ(batch.get<int64_t>("call.seed"), static_cast<int64_t>(data::call_seed(3, 5, -2 - b, 2)));
      EXPECT_EQ(batch.get<int64_t>("call.index"), -1);
    }
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 5, 6, 7, 8, 9, 10}));  // s4 skipped, its batch smaller
  }
}

// A sample picked twice in an epoch draws anew the second time, in its own pipeline and in the batch pipeline;
// its first pick draws what it would without repeats.
TEST(Loader, ARepeatedPickDrawsAnew) {
  data::Dataset plain(registry(), spec_of(3));
  const SequentialSampler twice(3, 6, false, false, 0, 2);
  const auto batches = epoch(plain, twice, 2, 4);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].first, (std::vector<std::string>{"s0", "s1", "s2", "s0", "s1", "s2"}));
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(batches[0].second[static_cast<size_t>(i)], static_cast<int64_t>(data::call_seed(3, 4, i, 0)));
    EXPECT_EQ(batches[0].second[static_cast<size_t>(i + 3)], static_cast<int64_t>(data::call_seed(data::repeat_seed(3, 1), 4, i, 0)));
    EXPECT_NE(batches[0].second[static_cast<size_t>(i + 3)], batches[0].second[static_cast<size_t>(i)]);
  }
  data::DatasetSpec spec = spec_of(3);
  spec.batch_steps = {data::Step{"test.echo", {}, {}, "", {}}};
  data::Dataset with_batch_step(registry(), std::move(spec));
  Loader loader(with_batch_step, twice, LoaderOptions{1, 2, true, {}});
  loader.start(4);
  NDict batch;
  ASSERT_TRUE(loader.next(batch));
  std::vector<int64_t> expected;
  for (uint32_t r = 0; r < 2; ++r)
    for (int64_t i = 0; i < 3; ++i) expected.push_back(static_cast<int64_t>(data::call_seed(data::repeat_seed(3, r), 4, i, 1)));
  EXPECT_EQ(values<int64_t>(batch.get<Tensor>("call.sample_seeds")), expected);
}

TEST(Loader, ABatchOpsErrorNamesTheBatchItsSamplesAndTheStep) {
  data::DatasetSpec spec = spec_of(5);
  spec.batch_steps = {data::Step{"test.throws", {}, {}, "experiment.json:9:7", {}}};
  data::Dataset d(registry(), std::move(spec));
  const SequentialSampler s(5, 4, false, false, 0);
  Loader loader(d, s, LoaderOptions{1, 2, true, {}});
  loader.start(1);
  NDict batch;
  EXPECT_EQ(error_of([&] { loader.next(batch); }),
            "batch 0 of epoch 1 (samples 's0', 's1', 's2', ...): batch pipeline step 1 (experiment.json:9:7): op 'test.throws' (plugin 'test.kit'): boom");
}

TEST(Loader, SameBatchesForAnyNumberOfWorkers) {
  data::Dataset d(registry(), spec_of(37));
  const SequentialSampler s(37, 5, true, false, 9);
  const auto one = epoch(d, s, 1, 2);
  ASSERT_EQ(one.size(), 8u);
  EXPECT_EQ(one.back().first.size(), 2u);
  EXPECT_EQ(epoch(d, s, 4, 2), one);
  EXPECT_EQ(epoch(d, s, 7, 2), one);
  EXPECT_NE(epoch(d, s, 4, 3), one);  // another epoch, other order and draws
}

TEST(Loader, BatchesFollowTheSampler) {
  data::Dataset d(registry(), spec_of(6));
  const SequentialSampler s(6, 4, false, false, 0);
  const auto batches = epoch(d, s, 3, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].first, (std::vector<std::string>{"s0", "s1", "s2", "s3"}));
  EXPECT_EQ(batches[1].first, (std::vector<std::string>{"s4", "s5"}));
}

TEST(Loader, AWorkersErrorReachesTheConsumer) {
  data::DatasetSpec spec = spec_of(10);
  spec.static_steps = {data::Step{"test.fail_on", json_object(R"({"id": "s6"})"), {}, "", {}}};
  data::Dataset d(registry(), spec);
  const SequentialSampler s(10, 2, false, false, 0);
  Loader loader(d, s, LoaderOptions{3, 2, true, {}});
  loader.start(0);
  NDict batch;
  EXPECT_EQ(error_of([&] { while (loader.next(batch)) {} }),
            "sample 's6' (id 6 of the list): static pipeline step 1: op 'test.fail_on' (plugin 'test.kit'): cannot read 's6'");
}

TEST(Loader, SkippedSamplesLeaveTheirBatchSmaller) {
  data::DatasetSpec spec = spec_of(6);
  spec.static_steps = {data::Step{"test.fail_on", json_object(R"({"id": "s4"})"), {}, "", {}}};
  spec.on_error = data::OnError::kSkip;
  data::Dataset d(registry(), spec);
  const auto batches = epoch(d, SequentialSampler(6, 3, false, false, 0), 2, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].first, (std::vector<std::string>{"s3", "s5"}));
  EXPECT_EQ(d.skipped(), 1u);
}

TEST(Loader, AnEpochCanBeLeftEarlyAndRestarted) {
  data::Dataset d(registry(), spec_of(40));
  const SequentialSampler s(40, 2, false, false, 0);
  Loader loader(d, s, LoaderOptions{4, 3, true, {}});
  NDict batch;
  loader.start(0);
  ASSERT_TRUE(loader.next(batch));
  loader.start(1);  // workers of epoch 0 stop; epoch 1 starts from its first batch
  ASSERT_TRUE(loader.next(batch));
  EXPECT_EQ(batch.get<List>("data.sample_id")[0].as<std::string>(), "s0");
  EXPECT_EQ(values<int64_t>(batch.get<Tensor>("call.epoch"))[0], 1);
  size_t n = 1;
  while (loader.next(batch)) ++n;
  EXPECT_EQ(n, loader.batches_in_epoch());
}

}  // namespace
}  // namespace fuse::loader
