// Segmentation metrics: a hand-computed 2D case, the empty-mask rules, and surface distances checked against a
// brute-force computation on random 3D masks with anisotropic spacing.
#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

TEST(Segmentation, HandComputed2D) {
  // pred: a 2x2 square; target: the same columns over 3 rows. Rows 2 of the target are 1 (or 2 mm) away.
  NDict s = label_maps({0, 1, 1, 0, 1, 1, 0, 0, 0}, {0, 1, 1, 0, 1, 1, 0, 1, 1}, {1, 3, 3});
  NDict r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 2})", s);
  EXPECT_NEAR(values<double>(r.get<Tensor>("dice"))[0], 0.8, 1e-12);
  EXPECT_NEAR(values<double>(r.get<Tensor>("iou"))[0], 4.0 / 6, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_hd"), 1.0, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_hd95"), 1.0, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_asd"), 2.0 / 10, 1e-12);
  EXPECT_EQ(r.get<double>("mean_nsd"), 1.0);  // all 10 surface voxels within the default 1 of the other surface
  EXPECT_EQ(values<int64_t>(r.get<Tensor>("classes")), std::vector<int64_t>{1});
  r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 2, "spacing": [2.0, 1.0]})", s);
  EXPECT_NEAR(r.get<double>("mean_hd"), 2.0, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_asd"), 4.0 / 10, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_nsd"), 8.0 / 10, 1e-12);  // the target's last row is 2 mm away
  r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 2, "spacing": [2.0, 1.0], "tolerance": 2})", s);
  EXPECT_EQ(values<double>(r.get<Tensor>("nsd")), std::vector<double>{1.0});
}

TEST(Segmentation, EmptyMaskRules) {
  // class 1 missing from the prediction, class 2 missing from both
  NDict s = label_maps({0, 0, 0, 0}, {0, 1, 1, 0}, {1, 2, 2});
  NDict r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 3})", s);
  std::vector<double> dice = values<double>(r.get<Tensor>("dice")), hd = values<double>(r.get<Tensor>("hd"));
  EXPECT_EQ(dice, (std::vector<double>{0.0, 1.0}));
  EXPECT_EQ(values<double>(r.get<Tensor>("nsd")), (std::vector<double>{0.0, 1.0}));
  EXPECT_NEAR(hd[0], std::sqrt(8.0), 1e-12);  // the diagonal of the 2 x 2 volume
  EXPECT_EQ(hd[1], 0.0);
  r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 3, "empty_distance": "nan"})", s);
  EXPECT_TRUE(std::isnan(values<double>(r.get<Tensor>("hd"))[0]));
  EXPECT_EQ(r.get<double>("mean_hd"), 0.0);  // the NaN class is left out of the mean
}

// ---- brute force ----

std::vector<std::array<int, 3>> surface_points(const std::vector<uint8_t>& m, const std::array<int, 3>& n) {
  std::vector<std::array<int, 3>> out;
  auto at = [&](int a, int b, int c) { return m[static_cast<size_t>((a * n[1] + b) * n[2] + c)]; };
  for (int a = 0; a < n[0]; ++a)
    for (int b = 0; b < n[1]; ++b)
      for (int c = 0; c < n[2]; ++c) {
        if (!at(a, b, c)) continue;
        const bool border = a == 0 || b == 0 || c == 0 || a == n[0] - 1 || b == n[1] - 1 || c == n[2] - 1;
        if (border || !at(a - 1, b, c) || !at(a + 1, b, c) || !at(a, b - 1, c) || !at(a, b + 1, c) || !at(a, b, c - 1) ||
            !at(a, b, c + 1))
          out.push_back({a, b, c});
      }
  return out;
}

std::vector<double> brute_directed(const std::vector<std::array<int, 3>>& from, const std::vector<std::array<int, 3>>& to,
                                   const std::array<double, 3>& sp) {
  std::vector<double> out;
  for (const auto& p : from) {
    double best = INFINITY;
    for (const auto& q : to) {
      double d = 0;
      for (int k = 0; k < 3; ++k) d += std::pow((p[k] - q[k]) * sp[k], 2);
      best = std::min(best, d);
    }
    out.push_back(std::sqrt(best));
  }
  return out;
}

double pct95(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const double pos = 0.95 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

TEST(Segmentation, SurfaceDistancesMatchBruteForce) {
  const std::array<int, 3> n = {6, 7, 5};
  const std::array<double, 3> sp = {2.0, 1.0, 0.5};
  std::mt19937 rng(7);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<int64_t> pred(6 * 7 * 5), target(6 * 7 * 5);
    std::vector<uint8_t> a(pred.size()), b(pred.size());
    for (size_t i = 0; i < pred.size(); ++i) {
      pred[i] = a[i] = rng() % 3 == 0;
      target[i] = b[i] = rng() % 4 == 0;
    }
    NDict r = compute_metric("fuse.metrics.segmentation",
                             R"({"pred": "p", "target": "y", "num_classes": 2, "spacing": [2.0, 1.0, 0.5], "tolerance": 1.2})",
                             label_maps(pred, target, {1, 6, 7, 5}));
    const auto sa = surface_points(a, n), sb = surface_points(b, n);
    const std::vector<double> ab = brute_directed(sa, sb, sp), ba = brute_directed(sb, sa, sp);
    const double hd = std::max(*std::max_element(ab.begin(), ab.end()), *std::max_element(ba.begin(), ba.end()));
    double sum = 0;
    for (double d : ab) sum += d;
    for (double d : ba) sum += d;
    EXPECT_NEAR(r.get<double>("mean_hd"), hd, 1e-9) << trial;
    EXPECT_NEAR(r.get<double>("mean_hd95"), std::max(pct95(ab), pct95(ba)), 1e-9) << trial;
    EXPECT_NEAR(r.get<double>("mean_asd"), sum / static_cast<double>(ab.size() + ba.size()), 1e-9) << trial;
    const auto within = [](const std::vector<double>& d) { return std::count_if(d.begin(), d.end(), [](double x) { return x <= 1.2; }); };
    const double nsd = static_cast<double>(within(ab) + within(ba)) / static_cast<double>(ab.size() + ba.size());
    EXPECT_NEAR(r.get<double>("mean_nsd"), nsd, 1e-12) << trial;
    EXPECT_LT(nsd, 1.0) << trial;  // the tolerance cuts: the check can fail
  }
}

// A channel axis of 1 ([batch, 1, z, y, x], as read_medical and collate make) is not a spatial axis.
TEST(Segmentation, ChannelAxisOfOneIsDropped) {
  const std::vector<int64_t> pred = {0, 1, 1, 0, 1, 1, 0, 0, 0}, target = {0, 1, 1, 0, 1, 1, 0, 1, 1};
  const char* config = R"({"pred": "p", "target": "y", "num_classes": 2})";
  const NDict plain = compute_metric("fuse.metrics.segmentation", config, label_maps(pred, target, {1, 1, 3, 3}));  // [batch, z, y, x]
  NDict s = label_maps(pred, target, {1, 1, 1, 3, 3});  // [batch, 1, z, y, x] both
  NDict r = compute_metric("fuse.metrics.segmentation", config, s);
  EXPECT_NEAR(r.get<double>("mean_dice"), 0.8, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_hd"), plain.get<double>("mean_hd"), 1e-12);
  s.set("p", Tensor::from_vector<int64_t>(pred, {1, 1, 3, 3}));  // the prediction without the channel
  r = compute_metric("fuse.metrics.segmentation", config, s);
  EXPECT_NEAR(r.get<double>("mean_dice"), 0.8, 1e-12);
  EXPECT_NEAR(r.get<double>("mean_asd"), plain.get<double>("mean_asd"), 1e-12);
}

TEST(Segmentation, ShapesMustAgree) {
  NDict s;
  s.set("p", Tensor::zeros({1, 4, 4}, sdk::kInt64));
  s.set("y", Tensor::zeros({1, 4, 5}, sdk::kInt64));
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 2})", s); }),
            "metric 'fuse.metrics.segmentation' (plugin 'fuse.metrics_core'): 'p' has shape [1, 4, 4] but 'y' has [1, 4, 5]");
}

// BraTS-style regions: whole tumour {1, 2, 3}, tumour core {2, 3}, enhancing {3}. Each region is scored as the
// union of its labels in both maps, the same as scoring those unions as one class.
TEST(Segmentation, RegionsScoreUnionsOfLabels) {
  const std::vector<int64_t> pred = {0, 1, 2, 3, 3, 0, 0, 2, 1}, target = {0, 1, 1, 3, 2, 0, 2, 2, 0};
  NDict r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "regions": [[1, 2, 3], [2, 3], 3]})", label_maps(pred, target, {1, 3, 3}));
  const std::vector<double> dice = values<double>(r.get<Tensor>("dice"));
  ASSERT_EQ(dice.size(), 3u);
  EXPECT_NEAR(dice[0], 2.0 * 5 / (6 + 6), 1e-12);  // pred {1,2,3,4,7,8}, target {1,2,3,4,6,7}: both 5
  EXPECT_NEAR(dice[1], 2.0 * 3 / (4 + 4), 1e-12);  // pred {2,3,4,7}, target {3,4,6,7}
  EXPECT_NEAR(dice[2], 2.0 * 1 / (2 + 1), 1e-12);  // pred {3,4}, target {3}
  EXPECT_EQ(values<int64_t>(r.get<Tensor>("classes")), (std::vector<int64_t>{1, 2, 3}));
  // Region 2 is class 1 of the same maps with labels 2 and 3 merged: every measure agrees.
  std::vector<int64_t> merged_pred, merged_target;
  for (int64_t v : pred) merged_pred.push_back(v >= 2);
  for (int64_t v : target) merged_target.push_back(v >= 2);
  const NDict one = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 2})",
                                   label_maps(merged_pred, merged_target, {1, 3, 3}));
  for (const char* m : {"dice", "iou", "hd", "hd95", "asd", "nsd"})
    EXPECT_EQ(values<double>(r.get<Tensor>(m))[1], values<double>(one.get<Tensor>(m))[0]) << m;
}

// Target voxels of 'ignore_label' (not annotated) count in neither map: the scores equal those of maps where
// they are background in both, whatever the prediction says there; with regions too.
TEST(Segmentation, TheIgnoreLabelLeavesItsVoxelsOut) {
  const std::vector<int64_t> pred = {0, 1, 2, 2, 1, 0, 2, 1, 1}, target = {0, 1, 3, 2, 3, 0, 3, 1, 0};
  std::vector<int64_t> pred_kept = pred, target_kept = target;
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i] == 3) pred_kept[i] = target_kept[i] = 0;
  for (const std::string config : {R"("num_classes": 3)", R"("regions": [[1, 2], 2])"}) {
    const NDict ignored = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "ignore_label": 3, )" + config + "}",
                                         label_maps(pred, target, {1, 3, 3}));
    const NDict kept = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", )" + config + "}", label_maps(pred_kept, target_kept, {1, 3, 3}));
    for (const char* m : {"dice", "iou", "hd", "hd95", "asd", "nsd"}) EXPECT_EQ(values<double>(ignored.get<Tensor>(m)), values<double>(kept.get<Tensor>(m))) << m << " " << config;
  }
  // By hand: class 1, pred {1, 4, 7, 8} less 4 (ignored), target {1, 7}: Dice 2 * 2 / (3 + 2).
  const NDict r = compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 3, "ignore_label": 3})",
                                 label_maps(pred, target, {1, 3, 3}));
  EXPECT_NEAR(values<double>(r.get<Tensor>("dice"))[0], 0.8, 1e-12);
  EXPECT_EQ(error_of([&] { compute_metric("fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 3, "ignore_label": 0})", r); }),
            "metric 'fuse.metrics.segmentation' (plugin 'fuse.metrics_core'): create failed: 'ignore_label' 0 is the background; the ignore label marks "
            "voxels not annotated, e.g. the largest label");
}

TEST(Segmentation, BadRegionsAreNamed) {
  const NDict s = label_maps({0, 1}, {0, 1}, {1, 2});
  const auto error = [&](const std::string& config) { return error_of([&] { compute_metric("fuse.metrics.segmentation", config, s); }); };
  const std::string where = "metric 'fuse.metrics.segmentation' (plugin 'fuse.metrics_core'): create failed: ";
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": [[1, 2], [0, 2]]})"),
            where + "region 2 of 'regions' holds label 0; regions are made of labels 1, 2, ... (the background, 0, is none's)");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": []})"),
            where + "'regions' is empty: list at least one region, each a label or a list of labels (e.g. [[1, 2, 3], [2, 3], 3])");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": [[1], "core"]})"), where + "region 2 of 'regions' must be a label or a list of labels, got a string");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": [[1, 2.5]]})"), where + "region 1 of 'regions' must list integer labels, got a double");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": [[]]})"), where + "region 1 of 'regions' lists no label");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": 3})"),
            where + "'regions' must be a list of regions, each a label or a list of labels (e.g. [[1, 2, 3], [2, 3], 3]), got an int");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": [1], "num_classes": 2})"),
            where + "'num_classes' and 'regions' are both set: give 'regions' to score regions (numbered from 1), 'num_classes' to score classes");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y", "regions": [1], "include_background": true})"),
            where + "'include_background' is set with 'regions': no region holds the background (label 0)");
  EXPECT_EQ(error(R"({"pred": "p", "target": "y"})"), where + "'num_classes' is not set: the label maps' classes are 0 to num_classes - 1");
}

}  // namespace
}  // namespace fuse::testing
