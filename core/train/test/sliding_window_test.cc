#include "fuse/train/sliding_window.h"

#include <gtest/gtest.h>

#include <numeric>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::error_of;
using fuse::testing::ramp;
using fuse::testing::values;

SlidingWindowSpec spec(std::vector<int64_t> size, double overlap, std::string blend = "gaussian", int64_t batch = 1) {
  SlidingWindowSpec s;
  s.size = std::move(size);
  s.overlap = overlap;
  s.blend = std::move(blend);
  s.batch = batch;
  return s;
}

// A model that writes its input `x` unchanged to `y`.
void identity(NDict& b) { b.set("y", Value(b.get<Tensor>("x").clone())); }

TEST(SlidingWindow, WindowsStepByTheOverlapAndTheLastEndsFlush) {
  EXPECT_EQ(window_starts(6, 4, 0.5), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(window_starts(10, 4, 0.5), (std::vector<int64_t>{0, 2, 4, 6}));
  EXPECT_EQ(window_starts(11, 4, 0.25), (std::vector<int64_t>{0, 3, 6, 7}));
  EXPECT_EQ(window_starts(60, 48, 0.25), (std::vector<int64_t>{0, 12}));
  EXPECT_EQ(window_starts(5, 4, 0.99), (std::vector<int64_t>{0, 1}));  // at least one voxel apart
  EXPECT_EQ(window_starts(4, 4, 0.5), (std::vector<int64_t>{0}));
  EXPECT_EQ(window_starts(3, 4, 0.5), (std::vector<int64_t>{0}));  // padded to the window
}

TEST(SlidingWindow, GaussianWeightsPeakInTheCentreAndNeverVanish) {
  const std::vector<float> w = window_weights({3}, "gaussian", 0.125);  // sigma 0.375 voxels
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NEAR(w[0], 0.0285655, 1e-6);
  EXPECT_FLOAT_EQ(w[1], 1.0f);
  EXPECT_NEAR(w[2], 0.0285655, 1e-6);
  // Two axes: the product, row-major (z first); an even extent has two centre voxels of weight 1.
  const std::vector<float> w2 = window_weights({2, 3}, "gaussian", 0.125);
  EXPECT_EQ(w2.size(), 6u);
  EXPECT_FLOAT_EQ(w2[1], 1.0f);
  EXPECT_FLOAT_EQ(w2[4], 1.0f);
  EXPECT_NEAR(w2[3], 0.0285655, 1e-6);
  EXPECT_EQ(window_weights({9}, "gaussian", 0.01)[0], 1e-6f);  // exp(-988) floored
  EXPECT_EQ(window_weights({2, 2}, "constant", 0.125), (std::vector<float>(4, 1.0f)));
  EXPECT_EQ(error_of([] { window_weights({2}, "cosine", 0.125); }), "sliding-window inference: unknown blend 'cosine' (gaussian, constant)");
}

TEST(SlidingWindow, ConstantAndGaussianBlendsAverageOverlappingWindows) {
  // Along x (6 voxels), windows of 4 at 0 and 2; the model answers each window's first input value everywhere.
  const auto first_value = [](NDict& b) {
    const Tensor x = b.get<Tensor>("x");
    std::vector<float> out;
    for (int64_t n = 0; n < x.size(0); ++n) out.insert(out.end(), 4, x.data<float>()[n * 4]);
    b.set("y", Value(Tensor::from_vector(out, {x.size(0), 1, 1, 4})));
  };
  NDict s;
  s.set("x", Value(ramp({1, 1, 1, 6})));
  sliding_window_forward(s, {"x"}, {"y"}, spec({4, 1}, 0.5, "constant"), first_value);
  EXPECT_EQ(s.get<Tensor>("y").shape(), (std::vector<int64_t>{1, 1, 1, 6}));
  EXPECT_EQ(values<float>(s.get<Tensor>("y")), (std::vector<float>{0, 0, 1, 1, 2, 2}));
  // Gaussian (sigma 0.5 voxels): weights 0.0183156, 1, 1, 0.0183156 over a window.
  s.set("x", Value(ramp({1, 1, 1, 6})));
  sliding_window_forward(s, {"x"}, {"y"}, spec({4, 1}, 0.5, "gaussian", 2), first_value);
  const std::vector<float> y = values<float>(s.get<Tensor>("y"));
  const std::vector<float> expected{0, 0, 0.0359724f, 1.9640276f, 2, 2};
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-6) << i;
}

TEST(SlidingWindow, AnIdentityModelGivesItsInputBackInBatchesOfWindows) {
  NDict s;
  s.set("x", Value(ramp({1, 1, 5, 7, 9})));
  s.set("f", Value(Tensor::from_vector<float>({0.5f, 2.0f}, {1, 2})));  // not spatial: repeated per window
  std::vector<int64_t> batches;
  sliding_window_forward(s, {"x", "f"}, {"y"}, spec({4, 3, 5}, 0.5, "gaussian", 3), [&](NDict& b) {
    batches.push_back(b.get<Tensor>("x").size(0));
    EXPECT_EQ(b.get<Tensor>("x").shape(), (std::vector<int64_t>{batches.back(), 1, 5, 3, 4}));
    EXPECT_EQ(b.get<Tensor>("f").shape(), (std::vector<int64_t>{batches.back(), 2}));
    EXPECT_EQ(values<float>(b.get<Tensor>("f"))[2 * (batches.back() - 1) + 1], 2.0f);
    identity(b);
  });
  // x: 9 voxels in windows of 4 at 0, 2, 4, 5; y: 7 in windows of 3, one voxel apart; z: one window.
  EXPECT_EQ(batches, (std::vector<int64_t>{3, 3, 3, 3, 3, 3, 2}));
  const std::vector<float> y = values<float>(s.get<Tensor>("y")), x = values<float>(s.get<Tensor>("x"));
  ASSERT_EQ(s.get<Tensor>("y").shape(), (std::vector<int64_t>{1, 1, 5, 7, 9}));
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], x[i], 1e-4) << i;
}

// No window asked for: the model runs once on the sample as it is, whatever its batch size.
TEST(SlidingWindow, AnEmptyWindowRunsTheModelOnceOnTheWholeSample) {
  NDict s;
  s.set("x", Value(ramp({2, 1, 5, 7, 9})));
  int calls = 0;
  sliding_window_forward(s, {"x"}, {"y"}, SlidingWindowSpec{}, [&](NDict& b) {
    ++calls;
    EXPECT_EQ(b.get<Tensor>("x").shape(), (std::vector<int64_t>{2, 1, 5, 7, 9}));
    identity(b);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(values<float>(s.get<Tensor>("y")), values<float>(s.get<Tensor>("x")));
}

TEST(SlidingWindow, InputsSmallerThanAWindowArePaddedAndCroppedBack) {
  NDict s;
  s.set("x", Value(ramp({1, 2, 2, 3})));  // two channels, 2 x 3
  SlidingWindowSpec w = spec({5, 4}, 0.5);
  w.pad_value = -1;
  std::vector<float> seen;
  sliding_window_forward(s, {"x"}, {"y"}, w, [&](NDict& b) {
    seen = values<float>(b.get<Tensor>("x"));
    identity(b);
  });
  // The window [1, 2, 4, 5]: one row of padding above and below, one column left and right.
  ASSERT_EQ(seen.size(), 40u);
  EXPECT_EQ(std::vector<float>(seen.begin(), seen.begin() + 5), std::vector<float>(5, -1));
  EXPECT_EQ(std::vector<float>(seen.begin() + 5, seen.begin() + 10), (std::vector<float>{-1, 0, 1, 2, -1}));
  EXPECT_EQ(s.get<Tensor>("y").shape(), (std::vector<int64_t>{1, 2, 2, 3}));
  EXPECT_EQ(values<float>(s.get<Tensor>("y")), values<float>(s.get<Tensor>("x")));
}

TEST(SlidingWindow, OutputsThatCannotBeBlendedAreNamed) {
  NDict s;
  s.set("x", Value(ramp({1, 1, 6, 6})));
  EXPECT_EQ(error_of([&] {
              sliding_window_forward(s, {"x"}, {"score"}, spec({4, 4}, 0.5, "gaussian", 2),
                                     [](NDict& b) { b.set("score", Value(Tensor::zeros({b.get<Tensor>("x").size(0), 2}, dtype_of<float>()))); });
            }),
            "sliding-window inference: the model's output 'score' is [2, 2] for 2 window(s) of [4, 4]; only outputs shaped like their window, "
            "[2, 2, 4, 4], can be blended (predict non-spatial outputs on the whole input, without sliding_window)");
  EXPECT_EQ(error_of([&] {
              sliding_window_forward(s, {"x"}, {"seg"}, spec({4, 4}, 0.5),
                                     [](NDict& b) { b.set("seg", Value(Tensor::zeros({1, 1, 4, 4}, dtype_of<int64_t>()))); });
            }),
            "sliding-window inference: the model's output 'seg' is int64; blending needs floating-point outputs (take the argmax in the postprocess)");
  EXPECT_EQ(error_of([&] { sliding_window_forward(s, {"x"}, {"y"}, spec({4, 4}, 0.5), [](NDict&) {}); }),
            "sliding-window inference: the model did not write the tensor 'y'");
}

TEST(SlidingWindow, InputsThatCannotBeWindowedAreNamed) {
  NDict s;
  s.set("a", Value(ramp({1, 1, 4, 4})));
  s.set("b", Value(ramp({1, 1, 4, 5})));
  s.set("f", Value(ramp({1, 8})));
  EXPECT_EQ(error_of([&] { sliding_window_forward(s, {"a", "b"}, {"y"}, spec({2, 2}, 0.5), identity); }),
            "sliding-window inference: the model inputs 'a' [1, 1, 4, 4] and 'b' [1, 1, 4, 5] differ in spatial size; every windowed input is cut "
            "at the same voxels");
  EXPECT_EQ(error_of([&] { sliding_window_forward(s, {"f"}, {"y"}, spec({2, 2, 2}, 0.5), identity); }),
            "sliding-window inference: a window of 3 axes needs a model input shaped [1, channels, z, y, x]; the inputs are 'f' [1, 8]");
  EXPECT_EQ(error_of([&] { sliding_window_forward(s, {"a"}, {"y"}, spec({2, 2}, 0.5, "gaussian", 0), identity); }),
            "sliding-window inference: 'batch' must be >= 1, got 0");
  s.set("c", Value(ramp({2, 1, 4, 4})));
  EXPECT_EQ(error_of([&] { sliding_window_forward(s, {"c"}, {"y"}, spec({2, 2}, 0.5), identity); }),
            "sliding-window inference: the model input 'c' is [2, 1, 4, 4]; one input at a time, [1, channels, y, x]");
}

}  // namespace
}  // namespace fuse::train
