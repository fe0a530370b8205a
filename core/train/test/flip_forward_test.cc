#include "fuse/train/flip_forward.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::error_of;
using fuse::testing::values;

// A model that is not flip-invariant: it keeps the input's first x position only ("y", a map), sums that
// ("score", a number per sample), and says where the input's largest value lies ("where", an integer).
void first_column(NDict& b) {
  const std::vector<float> x = values<float>(b.get<Tensor>("x"));
  b.set("y", Value(Tensor::from_vector<float>({x[0], 0, 0, 0}, {1, 1, 1, 4})));
  b.set("score", Value(Tensor::from_vector<float>({x[0]}, {1})));
  b.set("where", Value(Tensor::from_vector<int64_t>({x[0] > x[3] ? 0 : 3}, {1})));
}

TEST(FlipForward, TheIdentityAndEachFlipAveragedWithMapsFlippedBack) {
  NDict s;
  s.set("x", Value(Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 1, 4})));
  int passes = 0;
  flip_forward(s, {"x"}, {"y", "score", "where"}, {{0}}, [&](NDict& b) {
    ++passes;
    first_column(b);
  });
  EXPECT_EQ(passes, 2);
  // Identity: y [1, 0, 0, 0]; flipped: the input [4, 3, 2, 1] gives [4, 0, 0, 0], flipped back [0, 0, 0, 4].
  EXPECT_EQ(values<float>(s.get<Tensor>("y")), (std::vector<float>{0.5f, 0, 0, 2}));
  EXPECT_EQ(values<float>(s.get<Tensor>("score")), (std::vector<float>{2.5f}));  // not a map: not flipped back
  EXPECT_EQ(values<int64_t>(s.get<Tensor>("where")), (std::vector<int64_t>{3}));  // an integer: the identity pass's
  EXPECT_EQ(values<float>(s.get<Tensor>("x")), (std::vector<float>{1, 2, 3, 4}));  // the input as it was
  // No flips: the model once, its outputs as it gave them.
  NDict once;
  once.set("x", Value(Tensor::from_vector<float>({1, 2, 3, 4}, {1, 1, 1, 4})));
  flip_forward(once, {"x"}, {"y"}, {}, first_column);
  EXPECT_EQ(values<float>(once.get<Tensor>("y")), (std::vector<float>{1, 0, 0, 0}));
}

TEST(FlipForward, AFlipOfANonSpatialAxisIsNamed) {
  NDict s;
  s.set("x", Value(Tensor::from_vector<float>({1, 2, 3, 4}, {1, 4})));
  EXPECT_EQ(error_of([&] { flip_forward(s, {"x"}, {"y"}, {{0}}, first_column); }),
            "a test-time flip along x but the model input 'x' is [1, 4] ([batch, channels, ...] with 0 spatial axes): flip its spatial axes only (xy for a 2D "
            "input)");
}

}  // namespace
}  // namespace fuse::train
