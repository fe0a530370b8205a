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

TEST(Pipeline, EachOpDrawsFromItsOwnSeed) {
  Pipeline p(registry(), {step("fuse.ops.copy", R"({"from": ["a"], "to": ["b"]})"), step("test.echo")}, "dynamic pipeline");
  NDict s = sample(R"({"a": 1})");
  p.run(s, 42, 3, 17, true);
  EXPECT_EQ(static_cast<uint64_t>(s.get<int64_t>("call.seed")), call_seed(42, 3, 17, 1));
  EXPECT_EQ(s.get<int64_t>("call.epoch"), 3);
  EXPECT_EQ(s.get<int64_t>("call.index"), 17);
  EXPECT_TRUE(s.get<bool>("call.training"));
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
            "batch pipeline step 1: 'apply_if' and 'apply_probability' act per sample, and a batch step runs once for the whole batch");
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

}  // namespace
}  // namespace fuse::data
