#include "fuse/train/slice_forward.h"

#include <gtest/gtest.h>

#include <numeric>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::error_of;
using fuse::testing::ramp;
using fuse::testing::values;

SliceSpec slices(std::string axis, int64_t batch) { return SliceSpec{std::move(axis), batch}; }

// A model that writes its input `x` unchanged to `y`.
void identity(NDict& b) { b.set("y", Value(b.get<Tensor>("x").clone())); }

TEST(SliceForward, EachAxisSlicesAndStacksBackInPlace) {
  // [1, 2 channels, z 3, y 4, x 5]: every axis gives the input back, its slices batched as asked.
  for (const auto& [axis, batches, plane] : std::vector<std::tuple<std::string, std::vector<int64_t>, std::vector<int64_t>>>{
           {"z", {2, 1}, {4, 5}}, {"y", {2, 2}, {3, 5}}, {"x", {2, 2, 1}, {3, 4}}}) {
    NDict s;
    s.set("x", Value(ramp({1, 2, 3, 4, 5})));
    s.set("f", Value(Tensor::from_vector<float>({0.5f, 2.0f}, {1, 2})));  // not a volume: repeated per slice
    std::vector<int64_t> seen;
    slice_forward(s, {"x", "f"}, {"y"}, slices(axis, 2), [&](NDict& b) {
      const int64_t n = b.get<Tensor>("x").size(0);
      seen.push_back(n);
      EXPECT_EQ(b.get<Tensor>("x").shape(), (std::vector<int64_t>{n, 2, plane[0], plane[1]})) << axis;
      EXPECT_EQ(b.get<Tensor>("f").shape(), (std::vector<int64_t>{n, 2})) << axis;
      identity(b);
    });
    EXPECT_EQ(seen, batches) << axis;
    ASSERT_EQ(s.get<Tensor>("y").shape(), (std::vector<int64_t>{1, 2, 3, 4, 5})) << axis;
    EXPECT_EQ(values<float>(s.get<Tensor>("y")), values<float>(s.get<Tensor>("x"))) << axis;
  }
}

TEST(SliceForward, ASliceIsTheVolumesPlane) {
  NDict s;
  s.set("x", Value(ramp({1, 1, 2, 2, 2})));  // z-slices [[0, 1], [2, 3]] and [[4, 5], [6, 7]]
  std::vector<std::vector<float>> planes;
  slice_forward(s, {"x"}, {"y"}, slices("z", 1), [&](NDict& b) {
    planes.push_back(values<float>(b.get<Tensor>("x")));
    // One class channel per slice: the slice's sum, everywhere.
    const float sum = std::accumulate(planes.back().begin(), planes.back().end(), 0.0f);
    b.set("y", Value(Tensor::from_vector<float>(std::vector<float>(4, sum), {1, 1, 2, 2})));
  });
  EXPECT_EQ(planes, (std::vector<std::vector<float>>{{0, 1, 2, 3}, {4, 5, 6, 7}}));
  EXPECT_EQ(values<float>(s.get<Tensor>("y")), (std::vector<float>{6, 6, 6, 6, 22, 22, 22, 22}));
}

TEST(SliceForward, BadSpecsInputsAndOutputsAreNamed) {
  NDict s;
  s.set("a", Value(ramp({1, 1, 2, 3, 4})));
  s.set("b", Value(ramp({1, 1, 2, 3, 5})));
  s.set("two", Value(ramp({2, 1, 2, 3, 4})));
  s.set("flat", Value(ramp({1, 1, 3, 4})));
  EXPECT_EQ(error_of([&] { slice_forward(s, {"a"}, {"y"}, slices("t", 1), identity); }),
            "slice-wise prediction: 'axis' must be \"z\", \"y\" or \"x\", got 't'");
  EXPECT_EQ(error_of([&] { slice_forward(s, {"a"}, {"y"}, slices("z", 0), identity); }), "slice-wise prediction: 'batch' must be >= 1, got 0");
  EXPECT_EQ(error_of([&] { slice_forward(s, {"flat"}, {"y"}, slices("z", 1), identity); }),
            "slice-wise prediction: slices need a model input shaped [1, channels, z, y, x]; the inputs are 'flat' [1, 1, 3, 4]");
  EXPECT_EQ(error_of([&] { slice_forward(s, {"a", "b"}, {"y"}, slices("z", 1), identity); }),
            "slice-wise prediction: the model inputs 'a' [1, 1, 2, 3, 4] and 'b' [1, 1, 2, 3, 5] differ in spatial size; every sliced input is cut at "
            "the same slices");
  EXPECT_EQ(error_of([&] { slice_forward(s, {"two"}, {"y"}, slices("z", 1), identity); }),
            "slice-wise prediction: the model input 'two' is [2, 1, 2, 3, 4]; one volume at a time, [1, channels, z, y, x]");
  EXPECT_EQ(error_of([&] {
              slice_forward(s, {"a"}, {"score"}, slices("z", 2), [](NDict& b) { b.set("score", Value(Tensor::zeros({2, 3}, dtype_of<float>()))); });
            }),
            "slice-wise prediction: the model's output 'score' is [2, 3] for 2 slice(s) of [3, 4]; only outputs shaped like their slice, [2, 3, 3, 4], "
            "can be stacked into a volume (predict non-spatial outputs without 'slices')");
  EXPECT_EQ(error_of([&] { slice_forward(s, {"a"}, {"y"}, slices("z", 1), [](NDict&) {}); }),
            "slice-wise prediction: the model did not write the tensor 'y'");
}

}  // namespace
}  // namespace fuse::train
