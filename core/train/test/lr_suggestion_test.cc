#include "fuse/train/lr_suggestion.h"

#include <gtest/gtest.h>

namespace fuse::train {
namespace {

// A noisy start with a short steep dip (steps 1-3), then a long, quickening fall (steps 10-20), then divergence.
std::vector<double> curve() {
  std::vector<double> loss{3.8, 3.9, 3.2, 2.8, 3.3, 3.4, 3.5, 3.45, 3.5, 3.48};
  for (int i = 0; i <= 10; ++i) loss.push_back(3.4 - 0.02 * i * i);  // steps 10..20: 3.4 down to 1.4
  loss.push_back(2.5);
  loss.push_back(4.0);
  return loss;
}

TEST(LrSuggestion, TheValleyIsHalfwayAlongTheLongestFall) {
  // The longest falling run: 3.8 (0), 3.5 (6), 3.45 (7), 3.4 (10) ... 1.4 (20), 14 points: halfway down is 7
  // steps before its end. The dip to 2.8 at step 3 is deeper but shorter; the plateau's few points count little.
  EXPECT_EQ(valley_index(curve()), 13u);
  // A fall alone: halfway along it.
  EXPECT_EQ(valley_index({5, 4, 3, 2, 1}), 2u);
  EXPECT_EQ(valley_index({1, 1, 5, 4, 3, 2, 1, 9}), 4u);  // from index 2 (5) to 6 (1)
}

TEST(LrSuggestion, TheSteepestFallSkipsTheNoisyStart) {
  // Around step 2 the loss falls 1.1 over two steps (3.9 to 2.8), but the first tenth and one more step are
  // skipped; after them the steepest is around step 19 (2.12 to 1.4).
  EXPECT_EQ(steepest_index(curve()), 19u);
}

TEST(LrSuggestion, ALossThatNeverFallsHasNoSuggestion) {
  EXPECT_EQ(valley_index({1, 2, 3, 4}), std::nullopt);
  EXPECT_EQ(steepest_index({1, 2, 3, 4}), std::nullopt);
  EXPECT_EQ(valley_index({}), std::nullopt);
  EXPECT_EQ(steepest_index({}), std::nullopt);
}

}  // namespace
}  // namespace fuse::train
