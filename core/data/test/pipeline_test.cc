#include "fuse/data/pipeline.h"

#include <gtest/gtest.h>

#include "fuse/data/seeds.h"
#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::sample;
using fuse::testing::values;
using testing::registry;
using testing::step;

TEST(Pipeline, RunsItsOpsInOrder) {
  Pipeline p(registry(), {step("fuse.ops.zscore", R"({"keys": ["x"]})"), step("fuse.ops.clip", R"({"keys": ["x"], "min": -1, "max": 1})")},
             "static pipeline");
  NDict s = sample(R"({"x": [1.0, 2.0, 3.0, 10.0]})");
  p.run(s, 0, -1, 0, false);
  const std::vector<float> x = values<float>(s.get<Tensor>("x"));
  ASSERT_EQ(x.size(), 4u);
  EXPECT_FLOAT_EQ(x[3], 1.0f);   // z-score 1.63, clipped
  EXPECT_LT(x[0], -0.6f);        // (1 - 4) / 3.54
  EXPECT_GT(x[0], -0.9f);
}

TEST(Pipeline, RepeatRunsTheOpOncePerEntry) {
  Step copy = step("fuse.ops.copy", R"({"from": ["a"]})");
  copy.repeat = {fuse::testing::json_object(R"({"to": ["b"]})"), fuse::testing::json_object(R"({"to": ["c.d"]})")};
  Pipeline p(registry(), {copy}, "static pipeline");
  NDict s = sample(R"({"a": 5})");
  p.run(s, 0, -1, 0, false);
  EXPECT_EQ(s.get<int64_t>("b"), 5);
  EXPECT_EQ(s.get<int64_t>("c.d"), 5);
}

TEST(Pipeline, KeyPatternsExpandAgainstEachSample) {
  // One step for every sequence a sample has (FuseMedML's OpApplyPatterns), then the sequences stacked in key order.
  Pipeline p(registry(), {step("fuse.ops.minmax", R"({"keys": ["data.*.image"]})"), step("fuse.ops.stack", R"({"keys": ["data.*.image"], "out": "data.input"})")},
             "static pipeline");
  NDict a = sample(R"({"data": {"t2": {"image": [0.0, 4.0]}, "t1": {"image": [2.0, 3.0]}, "label": [5.0, 7.0]}})");
  p.run(a, 0, -1, 0, false);
  EXPECT_EQ(values<float>(a.get<Tensor>("data.input")), (std::vector<float>{0, 1, 0, 1}));
  EXPECT_EQ(values<float>(a.get<Tensor>("data.label")), (std::vector<float>{5, 7}));  // not matched, not scaled
  // Another sample with another set of keys gets an op made for its own keys.
  NDict b = sample(R"({"data": {"t1": {"image": [1.0, 3.0, 2.0]}, "flair": {"image": [4.0, 4.0, 8.0]}}})");
  p.run(b, 0, -1, 1, false);
  EXPECT_EQ(values<float>(b.get<Tensor>("data.input")), (std::vector<float>{0, 0, 1, 0, 1, 0.5}));  // flair, then t1
}

TEST(Pipeline, KeyPatternsMixWithKeysAndMatchAcrossLevels) {
  Pipeline p(registry(), {step("fuse.ops.delete", R"({"keys": ["tmp.**", "x", "tmp.a.b"]})")}, "static pipeline");
  NDict s = sample(R"({"x": 1, "y": 2, "tmp": {"a": {"b": 3, "c": 4}, "d": 5}})");
  p.run(s, 0, -1, 0, false);
  for (const char* gone : {"x", "tmp.a.b", "tmp.a.c", "tmp.d"}) EXPECT_FALSE(s.has(gone)) << gone;
  EXPECT_EQ(s.get<int64_t>("y"), 2);
}

TEST(Pipeline, KeyPatternThatMatchesNothingListsTheKeys) {
  Pipeline p(registry(), {step("fuse.ops.zscore", R"({"keys": ["data.img_*"]})", "exp.json:4:5")}, "dynamic pipeline");
  NDict s = sample(R"({"data": {"image": [1.0, 2.0], "label": 1}})");
  EXPECT_EQ(error_of([&] { p.run(s, 0, 0, 0, true); }),
            "dynamic pipeline step 1 (exp.json:4:5): config 'keys': the pattern 'data.img_*' matches no key; present: data, data.image, data.label");
}

TEST(Pipeline, KeyPatternInAOneKeyFieldIsRefused) {
  EXPECT_EQ(error_of([] { Pipeline(registry(), {step("fuse.ops.stack", R"({"keys": ["a", "b"], "out": "data.*"})")}, "static pipeline"); }),
            "static pipeline step 1: config 'out' holds the pattern 'data.*' but names one key; patterns ('*', '**', '?') go in key lists such as 'keys'");
}

TEST(Pipeline, EachOpDrawsFromItsOwnSeed) {
  Pipeline p(registry(), {step("fuse.ops.copy", R"({"from": ["a"], "to": ["b"]})"), step("test.echo")}, "dynamic pipeline");
  NDict s = sample(R"({"a": 1})");
  p.run(s, 42, 3, 17, true);
  EXPECT_EQ(static_cast<uint64_t>(s.get<int64_t>("call.seed")), call_seed(42, 3, 17, 1));
  EXPECT_EQ(s.get<int64_t>("call.epoch"), 3);
  EXPECT_EQ(s.get<int64_t>("call.index"), 17);
  EXPECT_TRUE(s.get<bool>("call.training"));
}

// Steps run in two parts give what one run gives: each keeps its seed and its number in messages.
TEST(Pipeline, RunStepsRunsARangeWithTheSeedsAndNumbersOfTheWholeRun) {
  Step copies = step("fuse.ops.copy", R"({"from": ["a"]})");
  copies.repeat = {fuse::testing::json_object(R"({"to": ["b"]})"), fuse::testing::json_object(R"({"to": ["c"]})")};
  Pipeline p(registry(), {copies, step("fuse.ops.zscore", R"({"keys": ["x"]})", "exp.json:9:7"), step("test.echo")}, "inference steps");
  NDict whole = sample(R"({"a": 1, "x": [1.0, 3.0]})");
  p.run(whole, 42, -1, 5, false);
  NDict parts = sample(R"({"a": 1, "x": [1.0, 3.0]})");
  p.run_steps(parts, 0, 1, 42, -1, 5, false);
  EXPECT_TRUE(parts.has("c"));
  EXPECT_FALSE(parts.has("call.seed"));
  p.run_steps(parts, 1, 3, 42, -1, 5, false);
  EXPECT_EQ(parts, whole);
  EXPECT_EQ(static_cast<uint64_t>(parts.get<int64_t>("call.seed")), call_seed(42, -1, 5, 3));  // op 4: the copy step ran twice
  NDict bad = sample(R"({"a": 1})");
  EXPECT_EQ(error_of([&] { p.run_steps(bad, 1, 2, 42, -1, 5, false); }).rfind("inference steps step 2 (exp.json:9:7): ", 0), 0u);
  EXPECT_EQ(error_of([&] { p.run_steps(bad, 2, 4, 42, -1, 5, false); }), "inference steps: asked to run steps 3 to 4, but it has 3");
}

TEST(Pipeline, SeedsDifferPerEpochSampleAndPosition) {
  EXPECT_NE(call_seed(1, 0, 0, 0), call_seed(1, 1, 0, 0));
  EXPECT_NE(call_seed(1, 0, 0, 0), call_seed(1, 0, 1, 0));
  EXPECT_NE(call_seed(1, 0, 0, 0), call_seed(1, 0, 0, 1));
  EXPECT_NE(call_seed(1, 0, 0, 0), call_seed(2, 0, 0, 0));
  EXPECT_EQ(call_seed(1, 2, 3, 4), call_seed(1, 2, 3, 4));
}

TEST(Pipeline, HashFollowsOpsAndCheckedConfigs) {
  auto hash = [](std::vector<Step> steps) { return Pipeline(registry(), std::move(steps), "static pipeline").hash(); };
  const std::string base = hash({step("fuse.ops.zscore", R"({"keys": ["x"]})")});
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base, hash({step("fuse.ops.zscore", R"({"keys": ["x"]})", "elsewhere.json:3:1")}));
  // A default written out is the same config.
  EXPECT_EQ(base, hash({step("fuse.ops.zscore", R"({"keys": ["x"], "mean": null})")}));
  EXPECT_NE(base, hash({step("fuse.ops.zscore", R"({"keys": ["y"]})")}));
  EXPECT_NE(base, hash({step("fuse.ops.zscore", R"({"keys": ["x"]})"), step("test.echo")}));
  EXPECT_NE(hash({step("test.echo"), step("test.counter")}), hash({step("test.counter"), step("test.echo")}));
  EXPECT_NE(base, hash({}));
}

TEST(Pipeline, ErrorsNameTheStepAndWhereItWasWritten) {
  Pipeline p(registry(), {step("fuse.ops.copy", R"({"from": ["a"], "to": ["b"]})"), step("fuse.ops.zscore", R"({"keys": ["image"]})", "exp.json:9:7")},
             "static pipeline");
  NDict s = sample(R"({"a": 1, "imgae": [1.0, 2.0]})");
  const std::string message = error_of([&] { p.run(s, 0, -1, 0, false); });
  EXPECT_EQ(message.rfind("static pipeline step 2 (exp.json:9:7): ", 0), 0u) << message;
  EXPECT_NE(message.find("'image'"), std::string::npos) << message;
  EXPECT_NE(message.find("imgae"), std::string::npos) << message;  // the nearest key present
}

TEST(Pipeline, BadStepsFailWhenThePipelineIsMade) {
  EXPECT_EQ(error_of([] { Pipeline(registry(), {step("fuse.ops.zscore", R"({"keys": ["x"]})"), step("fuse.ops.zscroe")}, "dynamic pipeline"); })
                .rfind("dynamic pipeline step 2: ", 0),
            0u);
  const std::string message = error_of([] { Pipeline(registry(), {step("fuse.ops.clip", R"({"keys": ["x"], "mni": 0})", "e.json:4:3")}, "static pipeline"); });
  EXPECT_EQ(message.rfind("static pipeline step 1 (e.json:4:3): ", 0), 0u) << message;
  EXPECT_NE(message.find("did you mean 'min'"), std::string::npos) << message;
}

TEST(Pipeline, ApplyIfRunsAStepOnlyWhenItsKeyIsTrue) {
  Step copy = step("fuse.ops.copy", R"({"from": ["a"], "to": ["b"]})", "e.json:3:5");
  copy.apply_if = "flag";
  Pipeline p(registry(), {copy}, "dynamic pipeline");
  const auto runs = [&](const std::string& flag) {
    NDict s = sample(R"({"a": 1, "flag": )" + flag + "}");
    p.run(s, 0, 0, 0, true);
    return s.has("b");
  };
  EXPECT_TRUE(runs("true"));
  EXPECT_FALSE(runs("false"));
  EXPECT_FALSE(runs("0"));
  EXPECT_TRUE(runs("2.5"));
  EXPECT_TRUE(runs("[1]"));  // a one-element tensor
  EXPECT_FALSE(runs("[0]"));
  EXPECT_EQ(error_of([&] { runs(R"("yes")"); }),
            "dynamic pipeline step 1 (e.json:3:5): 'apply_if' reads 'flag', which holds \"yes\"; expected a bool, a number or a one-element tensor");
  NDict missing = sample(R"({"a": 1, "flags": true})");
  const std::string message = error_of([&] { p.run(missing, 0, 0, 0, true); });
  EXPECT_EQ(message.rfind("dynamic pipeline step 1 (e.json:3:5): 'apply_if' reads 'flag', which is missing; ", 0), 0u) << message;
  EXPECT_NE(message.find("flags"), std::string::npos) << message;  // the nearest key
}

// A target's step: run where the label column is (training, a test table), skipped where it is not (a table to
// predict).
TEST(Pipeline, ApplyIfPresentSkipsAStepWhoseKeysAreMissing) {
  Step copy = step("fuse.ops.copy", R"({"from": ["a"], "to": ["b"]})");
  copy.apply_if_present = {"a", "c"};
  Pipeline p(registry(), {copy}, "static pipeline");
  NDict both = sample(R"({"a": 1, "c": 2})"), one = sample(R"({"a": 1})");
  p.run(both, 0, 0, 0, false);
  p.run(one, 0, 0, 0, false);
  EXPECT_EQ(both.get<int64_t>("b"), 1);
  EXPECT_FALSE(one.has("b"));
  // Part of the cache's hash: a step with the condition is another step.
  EXPECT_NE(p.hash(), Pipeline(registry(), {step("fuse.ops.copy", R"({"from": ["a"], "to": ["b"]})")}, "static pipeline").hash());
}

TEST(Pipeline, ApplyProbabilityDrawsPerSampleAndOnlyInTraining) {
  Step echo = step("test.echo");
  echo.apply_probability = 0.3;
  Pipeline p(registry(), {echo}, "dynamic pipeline");
  int ran = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    NDict s = sample("{}");
    p.run(s, 7, 2, i, true);
    if (!s.has("call.seed")) continue;
    ++ran;
    EXPECT_EQ(static_cast<uint64_t>(s.get<int64_t>("call.seed")), call_seed(7, 2, i, 0));  // the op's own seed is untouched
    NDict again = sample("{}");
    p.run(again, 7, 2, i, true);
    EXPECT_TRUE(again.has("call.seed"));  // the same (seed, epoch, sample) decides the same
  }
  EXPECT_GT(ran, 250);
  EXPECT_LT(ran, 350);
  NDict s = sample("{}");
  echo.apply_probability = 1.0;
  Pipeline always(registry(), {echo}, "dynamic pipeline");
  always.run(s, 7, 2, 0, false);
  EXPECT_FALSE(s.has("call.seed"));  // outside training: skipped
  always.run(s, 7, 2, 0, true);
  EXPECT_TRUE(s.has("call.seed"));
}

TEST(Pipeline, ABatchStepCannotBeConditional) {
  Step echo = step("test.echo");
  echo.apply_if = "flag";
  Pipeline p(registry(), {echo}, "batch pipeline");
  NDict batch = sample(R"({"flag": true})");
  EXPECT_EQ(error_of([&] { p.run_batch(batch, 0, 0, 0, {0, 1}, 0, true); }),
            "batch pipeline step 1: 'apply_if', 'apply_if_present' and 'apply_probability' act per sample, and a batch step runs once for the whole batch");
}

TEST(Pipeline, ConditionsChangeTheHash) {
  Step a = step("test.echo"), b = step("test.echo");
  b.apply_if = "flag";
  EXPECT_NE(Pipeline(registry(), {a}, "static pipeline").hash(), Pipeline(registry(), {b}, "static pipeline").hash());
}

TEST(Pipeline, CloneHasFreshOpsWithTheSameHash) {
  Pipeline p(registry(), {step("test.echo")}, "dynamic pipeline");
  Pipeline q = p.clone();
  EXPECT_EQ(p.hash(), q.hash());
  NDict a = sample("{}"), b = sample("{}");
  p.run(a, 5, 0, 2, true);
  q.run(b, 5, 0, 2, true);
  EXPECT_EQ(a.get<int64_t>("call.seed"), b.get<int64_t>("call.seed"));
}

Step split_step(std::vector<std::string> keys, int64_t axis = 0, std::string where = "e.json:6:5") {
  Step s;
  s.split = Split{std::move(keys), axis};
  s.where = std::move(where);
  return s;
}

std::vector<std::string> ids_of(const std::vector<NDict>& samples) {
  std::vector<std::string> ids;
  for (const NDict& s : samples) ids.push_back(s.get<std::string>("data.sample_id"));
  return ids;
}

TEST(Pipeline, SplitMakesOneSamplePerPositionAlongTheAxis) {
  Pipeline p(registry(), {split_step({"x", "names"})}, "static pipeline");
  EXPECT_TRUE(p.changes_count());
  const std::vector<NDict> parts =
      p.run_all(sample(R"({"x": [[1, 2], [3, 4], [5, 6]], "names": ["a", "b", "c"], "other": 7, "data": {"sample_id": "s"}})"), 0, -1, 0, false,
                "data.sample_id");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(ids_of(parts), (std::vector<std::string>{"s#0", "s#1", "s#2"}));
  EXPECT_EQ(parts[1].get<Tensor>("x").description(), "int64[2]");
  EXPECT_EQ(values<int64_t>(parts[1].get<Tensor>("x")), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(parts[2].get<std::string>("names"), "c");
  EXPECT_EQ(parts[0].get<int64_t>("other"), 7);  // the other keys go with every part
  EXPECT_EQ(parts[2].get<std::string>("data.source_id"), "s");
  // Along an inner axis (a [C, D, H] volume into its D slices), counted from the end or the start.
  Pipeline slices(registry(), {split_step({"v"}, -2)}, "static pipeline");
  const std::vector<NDict> planes = slices.run_all(sample(R"({"v": [[[1, 2], [3, 4], [5, 6]]], "data": {"sample_id": "s"}})"), 0, -1, 0, false, "data.sample_id");
  ASSERT_EQ(planes.size(), 3u);
  EXPECT_EQ(planes[2].get<Tensor>("v").description(), "int64[1, 2]");
  EXPECT_EQ(values<int64_t>(planes[2].get<Tensor>("v")), (std::vector<int64_t>{5, 6}));
}

TEST(Pipeline, ASplitOfAPartNumbersItsPartsAndKeepsTheFirstSource) {
  Pipeline p(registry(), {split_step({"x"}), split_step({"x"}, 0, "e.json:7:5")}, "static pipeline");
  const std::vector<NDict> parts = p.run_all(sample(R"({"x": [[1, 2], [3, 4]], "data": {"sample_id": "s"}})"), 0, -1, 0, false, "data.sample_id");
  EXPECT_EQ(ids_of(parts), (std::vector<std::string>{"s#0#0", "s#0#1", "s#1#0", "s#1#1"}));
  EXPECT_EQ(parts[3].get<std::string>("data.source_id"), "s");
  EXPECT_EQ(values<int64_t>(parts[3].get<Tensor>("x")), (std::vector<int64_t>{4}));
}

TEST(Pipeline, KeepIfAndDropIfRemoveSamples) {
  Step keep, drop;
  keep.keep_if = "keep";
  drop.drop_if = "bad";
  Pipeline p(registry(), {split_step({"keep", "bad"}), keep, drop, step("fuse.ops.set", R"({"key": "after", "value": 1})")}, "static pipeline");
  const std::vector<NDict> kept =
      p.run_all(sample(R"({"keep": [true, false, true, true], "bad": [0, 0, 1, 0], "data": {"sample_id": "s"}})"), 0, -1, 0, false, "data.sample_id");
  EXPECT_EQ(ids_of(kept), (std::vector<std::string>{"s#0", "s#3"}));
  EXPECT_TRUE(kept[1].has("after"));  // later steps run on what is left
  // A dropped sample gives nothing, and no later step runs.
  Pipeline only_drop(registry(), {drop, step("test.fail_on", R"({"id": "s"})")}, "static pipeline");
  EXPECT_TRUE(only_drop.run_all(sample(R"({"bad": true, "data": {"sample_id": "s"}})"), 0, -1, 0, false, "data.sample_id").empty());
}

TEST(Pipeline, CountStepsChangeTheHash) {
  Step keep;
  keep.keep_if = "a";
  Step keep_b = keep;
  keep_b.keep_if = "b";
  const std::string h = Pipeline(registry(), {split_step({"x"})}, "static pipeline").hash();
  EXPECT_NE(h, Pipeline(registry(), {split_step({"x"}, 1)}, "static pipeline").hash());
  EXPECT_NE(h, Pipeline(registry(), {split_step({"y"})}, "static pipeline").hash());
  EXPECT_NE(Pipeline(registry(), {keep}, "static pipeline").hash(), Pipeline(registry(), {keep_b}, "static pipeline").hash());
}

TEST(Pipeline, BadSplitsAndConditionsAreNamed) {
  Pipeline p(registry(), {split_step({"x", "y"})}, "static pipeline");
  const auto error = [&](const std::string& s) { return error_of([&] { p.run_all(sample(s), 0, -1, 0, false, "data.sample_id"); }); };
  EXPECT_EQ(error(R"({"x": [1, 2, 3], "y": [1, 2]})"),
            "static pipeline step 1 (e.json:6:5): 'split': 'y' has 2 parts along axis 0 but 'x' has 3; the keys of one split must have as many");
  EXPECT_EQ(error(R"({"x": [1, 2], "y": 5})"), "static pipeline step 1 (e.json:6:5): 'split': 'y' holds 5; expected a tensor or a list");
  const std::string missing = error(R"({"x": [1, 2], "z": [1, 2]})");
  EXPECT_EQ(missing.rfind("static pipeline step 1 (e.json:6:5): 'split' reads 'y', which is missing; ", 0), 0u) << missing;
  Pipeline inner(registry(), {split_step({"x", "l"}, 1)}, "static pipeline");
  EXPECT_EQ(error_of([&] { inner.run_all(sample(R"({"x": [[1, 2]], "l": ["a"]})"), 0, -1, 0, false, "data.sample_id"); }),
            "static pipeline step 1 (e.json:6:5): 'split': 'l' is a list, which splits along axis 0 only (the step's axis is 1)");
  EXPECT_EQ(error_of([&] { inner.run_all(sample(R"({"x": [1, 2], "l": ["a"]})"), 0, -1, 0, false, "data.sample_id"); }),
            "static pipeline step 1 (e.json:6:5): 'split': 'x' is int64[2], which has no axis 1");
  Step keep;
  keep.keep_if = "flag";
  keep.where = "e.json:8:5";
  Pipeline k(registry(), {keep}, "static pipeline");
  EXPECT_EQ(error_of([&] { k.run_all(sample(R"({"flag": "yes"})"), 0, -1, 0, false, "data.sample_id"); }),
            "static pipeline step 1 (e.json:8:5): 'keep_if' reads 'flag', which holds \"yes\"; expected a bool, a number or a one-element tensor");
}

TEST(Pipeline, AStepFailingOnAPartNamesThePart) {
  Pipeline p(registry(), {split_step({"x"}), step("test.fail_on", R"({"id": "s#1"})", "e.json:7:5")}, "static pipeline");
  EXPECT_EQ(error_of([&] { p.run_all(sample(R"({"x": [1, 2, 3], "data": {"sample_id": "s"}})"), 0, -1, 0, false, "data.sample_id"); }),
            "static pipeline step 2 (e.json:7:5): part 's#1': op 'test.fail_on' (plugin 'test.kit'): cannot read 's#1'");
}

TEST(Pipeline, OnlyRunAllChangesTheCount) {
  Pipeline p(registry(), {step("test.echo"), split_step({"x"})}, "dynamic pipeline");
  NDict s = sample(R"({"x": [1, 2]})");
  EXPECT_EQ(error_of([&] { p.run(s, 0, 0, 0, true); }),
            "dynamic pipeline step 2 (e.json:6:5): 'split' changes the number of samples, which only the static pipeline may do");
}

}  // namespace
}  // namespace fuse::data
