#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

TEST(Reduce, EachReductionOfATensor) {
  const NDict s = sample(R"({"m": [[0.0, 2.0], [0.0, 5.5]]})");
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "sum"})", s).get<double>("r"), 7.5);
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "mean"})", s).get<double>("r"), 1.875);
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "min"})", s).get<double>("r"), 0.0);
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "max"})", s).get<double>("r"), 5.5);
  // An integer tensor's sum, min and max are ints (its mean is not).
  const NDict labels = sample(R"({"m": [[0, 2], [0, 5]]})");
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "max"})", labels).get<int64_t>("r"), 5);
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "sum"})", labels).get<int64_t>("r"), 7);
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "mean"})", labels).get<double>("r"), 1.75);
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "count_nonzero"})", s).get<int64_t>("r"), 2);
  EXPECT_TRUE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "any"})", s).get<bool>("r"));
  EXPECT_FALSE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "all"})", s).get<bool>("r"));
  // Without 'out' the tensor is replaced by its reduction.
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "reduce": "max"})", s).get<double>("m"), 5.5);
}

TEST(Reduce, GreaterThanGivesABool) {
  const NDict s = sample(R"({"m": [0, 1, 1, 1]})");
  EXPECT_TRUE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "count_nonzero", "greater_than": 2})", s).get<bool>("r"));
  EXPECT_FALSE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "count_nonzero", "greater_than": 3})", s).get<bool>("r"));
  EXPECT_FALSE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "mean", "greater_than": 0.75})", s).get<bool>("r"));
}

// A sparse annotation's label map: 3 marks voxels not annotated. Left out, the largest class is the largest
// annotated one, and 'count' tells how many voxels are annotated.
TEST(Reduce, IgnoredValuesAreLeftOutOfEveryReduction) {
  const NDict s = sample(R"({"m": [[0, 3, 1], [3, 3, 2]]})");
  const std::string ignore = R"(, "ignore": [3]})";
  const auto with = [&](const std::string& how) { return R"({"key": "m", "out": "r", "reduce": ")" + how + "\"" + ignore; };
  EXPECT_EQ(run_op("fuse.ops.reduce", with("max"), s).get<int64_t>("r"), 2);
  EXPECT_EQ(run_op("fuse.ops.reduce", with("sum"), s).get<int64_t>("r"), 3);
  EXPECT_EQ(run_op("fuse.ops.reduce", with("mean"), s).get<double>("r"), 1.0);
  EXPECT_EQ(run_op("fuse.ops.reduce", with("count"), s).get<int64_t>("r"), 3);
  EXPECT_EQ(run_op("fuse.ops.reduce", with("count_nonzero"), s).get<int64_t>("r"), 2);
  EXPECT_FALSE(run_op("fuse.ops.reduce", with("all"), s).get<bool>("r"));
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "count"})", s).get<int64_t>("r"), 6);  // nothing ignored
  // A slice not annotated at all: no count, and no largest class.
  const NDict blank = sample(R"({"m": [3, 3]})");
  EXPECT_FALSE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "count", "greater_than": 0, "ignore": [3]})", blank).get<bool>("r"));
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.reduce", with("max"), blank); }),
            "op 'fuse.ops.reduce' (plugin 'fuse.ops_core'): key 'm': the max of a tensor whose every element is ignored ('ignore') is undefined: drop such "
            "samples first, e.g. keep_if on a 'count' greater than 0");
}

TEST(Reduce, EmptyTensorsAndBadConfigsAreNamed) {
  NDict empty;
  empty.set("m", Tensor::empty({0, 3}, sdk::kFloat32));
  EXPECT_EQ(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "sum"})", empty).get<double>("r"), 0.0);
  EXPECT_TRUE(run_op("fuse.ops.reduce", R"({"key": "m", "out": "r", "reduce": "all"})", empty).get<bool>("r"));
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.reduce", R"({"key": "m", "reduce": "max"})", empty); }),
            "op 'fuse.ops.reduce' (plugin 'fuse.ops_core'): key 'm': the max of an empty tensor is undefined");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.reduce", R"({"key": "m", "reduce": "median"})", sample(R"({"m": [1]})")); }),
            "component 'fuse.ops.reduce': config 'reduce' must be one of \"sum\", \"mean\", \"min\", \"max\", \"count_nonzero\", \"count\", \"any\", \"all\", "
            "got string \"median\"; did you mean 'mean'?");
}

}  // namespace
}  // namespace fuse::testing
