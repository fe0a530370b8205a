// Lesion-wise detection: hand-computed matches, the empty rule, min_size, connectivity and one-to-one matching.
#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

double first(const NDict& r, const std::string& key) { return values<double>(r.get<Tensor>(key))[0]; }

// Target lesions: A (found exactly), B (found with two extra voxels: IoU 2/4), C (missed); D is a false blob.
//   target          pred
//   A A . . . .     A A . . . .
//   . . . . . .     . . . . . .
//   B B . . C .     B B B B . .
//   . . . . . .     . . . . . D
const std::vector<int64_t> kTarget{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
const std::vector<int64_t> kPred{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1};

TEST(Detection, HandComputedMatches) {
  const NDict r = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2})", label_maps(kPred, kTarget, {1, 4, 6}));
  // A: IoU 1, B: IoU 2/4 = 0.5 (>= 0.5 matches); C missed; D false.
  EXPECT_EQ(first(r, "tp"), 2.0);
  EXPECT_EQ(first(r, "fp"), 1.0);
  EXPECT_EQ(first(r, "fn"), 1.0);
  EXPECT_NEAR(first(r, "precision"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(first(r, "recall"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(first(r, "f1"), 2.0 / 3, 1e-12);
  EXPECT_NEAR(first(r, "matched_iou"), 0.75, 1e-12);
  EXPECT_NEAR(first(r, "pq"), 1.5 / 3, 1e-12);
  EXPECT_EQ(first(r, "fp_per_sample"), 1.0);
  EXPECT_NEAR(r.get<double>("mean_f1"), 2.0 / 3, 1e-12);
  // A stricter threshold leaves B unmatched: a false positive and a false negative more.
  const NDict strict = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2, "iou_threshold": 0.6})",
                                      label_maps(kPred, kTarget, {1, 4, 6}));
  EXPECT_EQ(first(strict, "tp"), 1.0);
  EXPECT_EQ(first(strict, "fp"), 2.0);
  EXPECT_EQ(first(strict, "fn"), 2.0);
  // min_size 2 ignores the one-voxel D.
  const NDict sized = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2, "min_size": 2})",
                                     label_maps(kPred, kTarget, {1, 4, 6}));
  EXPECT_EQ(first(sized, "fp"), 0.0);
  EXPECT_EQ(first(sized, "precision"), 1.0);
}

TEST(Detection, EmptyRule) {
  // Class 1: nothing anywhere (all 1); class 2: a target lesion and no prediction (all 0).
  const NDict r = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 3})", label_maps({0, 0, 0, 0}, {0, 2, 2, 0}, {1, 2, 2}));
  EXPECT_EQ(values<double>(r.get<Tensor>("precision")), (std::vector<double>{1, 0}));
  EXPECT_EQ(values<double>(r.get<Tensor>("recall")), (std::vector<double>{1, 0}));
  EXPECT_EQ(values<double>(r.get<Tensor>("pq")), (std::vector<double>{1, 0}));
  EXPECT_EQ(values<int64_t>(r.get<Tensor>("classes")), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(r.get<double>("mean_recall"), 0.5);
}

TEST(Detection, ConnectivityAndOneToOneMatching) {
  // Two target lesions touching by a corner, predicted as drawn: one instance with full connectivity, two with face.
  const std::vector<int64_t> diagonal{1, 0, 0, 1};
  const NDict face = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2, "connectivity": "face"})",
                                    label_maps(diagonal, diagonal, {1, 2, 2}));
  EXPECT_EQ(first(face, "tp"), 2.0);
  const NDict full = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2})", label_maps(diagonal, diagonal, {1, 2, 2}));
  EXPECT_EQ(first(full, "tp"), 1.0);
  // One predicted blob over two target lesions matches one of them at most, even at any overlap.
  const NDict merged = compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2, "iou_threshold": 0})",
                                      label_maps({1, 1, 1, 1, 1}, {1, 1, 0, 0, 1}, {1, 1, 5}));
  EXPECT_EQ(first(merged, "tp"), 1.0);
  EXPECT_EQ(first(merged, "fn"), 1.0);
  EXPECT_EQ(first(merged, "fp"), 0.0);
  EXPECT_NEAR(first(merged, "matched_iou"), 2.0 / 5, 1e-12);  // the larger lesion wins
}

TEST(Detection, BadInputsAreNamed) {
  NDict s;
  s.set("p", Tensor::from_vector<int64_t>({0, 1}, {1, 2}));
  s.set("y", Tensor::from_vector<int64_t>({0, 1, 1, 0}, {1, 4}));
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2})", s); }),
            "metric 'fuse.metrics.detection' (plugin 'fuse.metrics_core'): 'p' has shape [1, 2] but 'y' has [1, 4]");
  EXPECT_EQ(error_of([] { compute_metric("fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 1})", label_maps({0}, {0}, {1, 1})); }),
            "metric 'fuse.metrics.detection' (plugin 'fuse.metrics_core'): create failed: no class to report: set num_classes > 1 or "
            "include_background");
}

}  // namespace
}  // namespace fuse::testing
