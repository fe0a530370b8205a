#include "connected_components.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <deque>
#include <random>

namespace fuse::segmentation {
namespace {

TEST(ConnectedComponents, FaceAndFullConnectivityIn2D) {
  // A diagonal pair and a U whose arms only meet at the bottom row (two provisional labels joined).
  const std::vector<uint8_t> mask{1, 0, 0, 1, 0, 1,  //
                                  0, 1, 0, 1, 0, 1,  //
                                  0, 0, 0, 1, 1, 1};
  const Components face = connected_components(mask, {3, 6}, false);
  EXPECT_EQ(face.count(), 3);
  EXPECT_EQ(face.labels, (std::vector<int32_t>{1, 0, 0, 2, 0, 2,  //
                                               0, 3, 0, 2, 0, 2,  //
                                               0, 0, 0, 2, 2, 2}));
  EXPECT_EQ(face.sizes, (std::vector<int64_t>{0, 1, 7, 1}));
  const Components full = connected_components(mask, {3, 6}, true);
  EXPECT_EQ(full.count(), 2);
  EXPECT_EQ(full.sizes, (std::vector<int64_t>{0, 2, 7}));
}

TEST(ConnectedComponents, SlicesJoinThroughTheMiddleOneIn3D) {
  std::vector<uint8_t> mask(3 * 2 * 2, 0);
  mask[0] = 1;                  // z 0, (0, 0)
  mask[8] = 1;                  // z 2, (0, 0)
  EXPECT_EQ(connected_components(mask, {3, 2, 2}, true).count(), 2);
  mask[4 + 3] = 1;              // z 1, (1, 1): touches both by a corner only
  EXPECT_EQ(connected_components(mask, {3, 2, 2}, false).count(), 3);
  EXPECT_EQ(connected_components(mask, {3, 2, 2}, true).count(), 1);
}

// Flood fill from each unlabelled voxel in row-major order: the same numbering by first voxel.
std::vector<int32_t> brute_force(const std::vector<uint8_t>& mask, const std::array<int64_t, 3>& n, bool full) {
  std::vector<int32_t> labels(mask.size(), 0);
  int32_t next = 0;
  for (size_t start = 0; start < mask.size(); ++start) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++next;
    std::deque<size_t> queue{start};
    while (!queue.empty()) {
      const int64_t i = static_cast<int64_t>(queue.front());
      queue.pop_front();
      const int64_t z = i / (n[1] * n[2]), y = (i / n[2]) % n[1], x = i % n[2];
      for (int64_t dz = -1; dz <= 1; ++dz)
        for (int64_t dy = -1; dy <= 1; ++dy)
          for (int64_t dx = -1; dx <= 1; ++dx) {
            const int64_t steps = std::abs(dz) + std::abs(dy) + std::abs(dx);
            if (steps == 0 || (!full && steps != 1)) continue;
            const int64_t zz = z + dz, yy = y + dy, xx = x + dx;
            if (zz < 0 || zz >= n[0] || yy < 0 || yy >= n[1] || xx < 0 || xx >= n[2]) continue;
            const size_t j = static_cast<size_t>((zz * n[1] + yy) * n[2] + xx);
            if (mask[j] && !labels[j]) labels[j] = next, queue.push_back(j);
          }
    }
  }
  return labels;
}

TEST(ConnectedComponents, EqualsAFloodFillOnRandomVolumes) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const std::array<int64_t, 3> n{3 + trial % 4, 5 + trial % 3, 7};
    std::vector<uint8_t> mask(static_cast<size_t>(n[0] * n[1] * n[2]));
    for (uint8_t& m : mask) m = std::bernoulli_distribution(0.3 + 0.02 * trial)(rng);
    for (bool full : {false, true}) {
      const Components c = connected_components(mask, {n[0], n[1], n[2]}, full);
      EXPECT_EQ(c.labels, brute_force(mask, n, full)) << "trial " << trial << (full ? " full" : " face");
    }
  }
}

}  // namespace
}  // namespace fuse::segmentation
