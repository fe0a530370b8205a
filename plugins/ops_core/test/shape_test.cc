#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

TEST(Stack, NewAxisFirstOrLast) {
  NDict s = sample(R"({"a": [[1, 2], [3, 4]], "b": [[5, 6], [7, 8]]})");
  NDict out = run_op("fuse.ops.stack", R"({"keys": ["a", "b"], "out": "c"})", s);
  EXPECT_EQ(out.get<Tensor>("c").description(), "int64[2, 2, 2]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("c")), (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  out = run_op("fuse.ops.stack", R"({"keys": ["a", "b"], "out": "c", "axis": -1})", s);
  EXPECT_EQ(out.get<Tensor>("c").description(), "int64[2, 2, 2]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("c")), (std::vector<int64_t>{1, 5, 2, 6, 3, 7, 4, 8}));
}

TEST(Stack, MismatchesNameKeysAndShapes) {
  NDict s = sample(R"({"a": [1, 2], "b": [1, 2, 3], "c": [1.0, 2.0]})");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.stack", R"({"keys": ["a", "b"], "out": "x"})", s); }),
            "op 'fuse.ops.stack' (plugin 'fuse.ops_core'): cannot stack 'b' of shape [3] with 'a' of shape [2]: shapes "
            "must be equal");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.stack", R"({"keys": ["a", "c"], "out": "x"})", s); }),
            "op 'fuse.ops.stack' (plugin 'fuse.ops_core'): key 'c' has dtype float32 but 'a' has int64; cast them to "
            "one dtype first");
}

// A table's columns (numbers under data.<column>) into the features a model reads.
TEST(Stack, NumbersMakeAFloatVector) {
  NDict s = sample(R"({"age": 61, "psa": 4.5, "smoker": true})");
  NDict out = run_op("fuse.ops.stack", R"({"keys": ["age", "psa", "smoker"], "out": "x"})", s);
  EXPECT_EQ(out.get<Tensor>("x").description(), "float32[3]");
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{61, 4.5, 1}));
  EXPECT_EQ(values<float>(run_op("fuse.ops.stack", R"({"keys": ["psa", "age"], "out": "x", "axis": -1})", s).get<Tensor>("x")),
            (std::vector<float>{4.5, 61}));
}

TEST(Stack, NumbersWithTensorsOrEmptyValuesAreNamed) {
  NDict s = sample(R"({"age": 61, "t": [1.0, 2.0], "missing": null})");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.stack", R"({"keys": ["age", "t"], "out": "x"})", s); }),
            "op 'fuse.ops.stack' (plugin 'fuse.ops_core'): key 't' is not a number but 'age' is: stack numbers with numbers (into a float32 vector) "
            "or tensors with tensors");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.stack", R"({"keys": ["age", "missing"], "out": "x"})", s); }),
            "op 'fuse.ops.stack' (plugin 'fuse.ops_core'): key 'missing' is empty (null) in this sample: nothing to stack; fill missing values first "
            "with fuse.ops.nan_to_num (\"fit\": true fills in the training samples' mean)");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.stack", R"({"keys": ["age"], "out": "x", "axis": 1})", s); }),
            "op 'fuse.ops.stack' (plugin 'fuse.ops_core'): numbers stack into a vector: 'axis' must be 0 or -1, got 1");
}

TEST(Concat, AlongAnExistingAxis) {
  NDict s = sample(R"({"a": [[1, 2], [3, 4]], "b": [[5], [6]]})");
  NDict out = run_op("fuse.ops.concat", R"({"keys": ["a", "b"], "out": "c", "axis": 1})", s);
  EXPECT_EQ(out.get<Tensor>("c").description(), "int64[2, 3]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("c")), (std::vector<int64_t>{1, 2, 5, 3, 4, 6}));
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.concat", R"({"keys": ["a", "b"], "out": "c", "axis": 0})", s); }),
            "op 'fuse.ops.concat' (plugin 'fuse.ops_core'): cannot concatenate 'b' of shape [2, 1] with 'a' of shape "
            "[2, 2] along axis 0: the other dimensions must be equal");
}

TEST(Reshape, IsAViewAndInfersOneSize) {
  NDict s = sample(R"({"x": [1, 2, 3, 4, 5, 6]})");
  Tensor before = s.get<Tensor>("x");
  NDict out = run_op("fuse.ops.reshape", R"({"keys": ["x"], "shape": [2, -1]})", s);
  const Tensor& x = out.get<Tensor>("x");
  EXPECT_EQ(x.description(), "int64[2, 3]");
  EXPECT_EQ(x.raw_data(), before.raw_data());  // no copy
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.reshape", R"({"keys": ["x"], "shape": [4, -1]})", s); }),
            "op 'fuse.ops.reshape' (plugin 'fuse.ops_core'): key 'x': cannot reshape [6] (6 elements) to [4, -1]");
}

TEST(Reshape, WritingTheViewDoesNotChangeTheOriginal) {
  NDict s = sample(R"({"x": [1.0, 2.0]})");
  s.set("orig", s.at("x"));
  NDict out = run_op("fuse.ops.reshape", R"({"keys": ["x"], "shape": [2, 1]})", s);
  out = run_op("fuse.ops.clip", R"({"keys": ["x"], "max": 0})", out);
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{0.0f, 0.0f}));
  EXPECT_EQ(values<float>(out.get<Tensor>("orig")), (std::vector<float>{1.0f, 2.0f}));
}

TEST(SqueezeUnsqueeze, AddAndRemoveAxes) {
  NDict s = sample(R"({"x": [[1, 2, 3]]})");
  NDict out = run_op("fuse.ops.squeeze", R"({"keys": ["x"]})", s);
  EXPECT_EQ(out.get<Tensor>("x").description(), "int64[3]");
  out = run_op("fuse.ops.unsqueeze", R"({"keys": ["x"], "axis": -1})", out);
  EXPECT_EQ(out.get<Tensor>("x").description(), "int64[3, 1]");
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.squeeze", R"({"keys": ["x"], "axis": 1})", s); }),
            "op 'fuse.ops.squeeze' (plugin 'fuse.ops_core'): key 'x': cannot squeeze axis 1 of shape [1, 3]: its size "
            "is not 1");
}

TEST(Permute, ReordersAxes) {
  // HWC [2, 2, 3] -> CHW [3, 2, 2]
  NDict s = sample(R"({"x": [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]})");
  NDict out = run_op("fuse.ops.permute", R"({"keys": ["x"], "dims": [2, 0, 1]})", s);
  EXPECT_EQ(out.get<Tensor>("x").description(), "int64[3, 2, 2]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("x")), (std::vector<int64_t>{1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12}));
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.permute", R"({"keys": ["x"], "dims": [0, 0, 1]})", s); }),
            "op 'fuse.ops.permute' (plugin 'fuse.ops_core'): key 'x': 'dims' [0, 0, 1] is not a permutation of the 3 "
            "dimensions of [2, 2, 3]");
}

}  // namespace
}  // namespace fuse::testing
