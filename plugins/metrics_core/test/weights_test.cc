// Replicate weights, merging and saved state, for every metric that has them: computing with counts must give
// what computing on the rows repeated that many times gives; two halves merged, or a state saved and loaded,
// must give what one instance that saw everything gives.
#include <cmath>
#include <random>
#include <tuple>

#include <gtest/gtest.h>

#include "metric_test_util.h"

namespace fuse::testing {
namespace {

struct Case {
  std::string id;
  std::string config;
  double tolerance;
};

// Random rows with every column any metric here reads: p (probability), y (0/1), m (3-class scores), c (class),
// k (multi-label 0/1 per class of m), t (regression target / time), e (event), a/b (second predictors).
NDict rows(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.01, 0.99);
  std::vector<double> p(n), m(n * 3), t(n);
  std::vector<int64_t> y(n), c(n), e(n), labels(n * 3);
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<int64_t>(i % 3 == 0);
    p[i] = std::round((0.3 * static_cast<double>(y[i]) + 0.7 * u(rng)) * 20) / 20;  // coarse: plenty of ties
    c[i] = static_cast<int64_t>(i % 3);
    double sum = 0;
    for (int k = 0; k < 3; ++k) sum += m[i * 3 + static_cast<size_t>(k)] = u(rng) + (k == c[i] ? 0.5 : 0.0);
    for (int k = 0; k < 3; ++k) m[i * 3 + static_cast<size_t>(k)] /= sum;
    for (size_t j = 0; j < 3; ++j) labels[i * 3 + j] = static_cast<int64_t>(j == static_cast<size_t>(c[i]) || i % 5 == j);
    t[i] = std::round(u(rng) * 10);
    e[i] = static_cast<int64_t>(rng() % 2);
  }
  NDict d;
  d.set("p", Tensor::from_vector<double>(p, {static_cast<int64_t>(n)}));
  d.set("y", Tensor::from_vector<int64_t>(y, {static_cast<int64_t>(n)}));
  d.set("m", Tensor::from_vector<double>(m, {static_cast<int64_t>(n), 3}));
  d.set("c", Tensor::from_vector<int64_t>(c, {static_cast<int64_t>(n)}));
  d.set("k", Tensor::from_vector<int64_t>(labels, {static_cast<int64_t>(n), 3}));
  d.set("t", Tensor::from_vector<double>(t, {static_cast<int64_t>(n)}));
  d.set("e", Tensor::from_vector<int64_t>(e, {static_cast<int64_t>(n)}));
  return d;
}

// The rows repeated counts[i] times (along the first axis of every tensor).
NDict repeat(const NDict& d, const std::vector<uint8_t>& counts) {
  NDict out;
  for (const auto& [key, value] : d.flatten()) {
    const Tensor& t = value->as<Tensor>();
    const int64_t n = t.size(0), inner = t.numel() / n;
    std::vector<int64_t> shape = t.shape();
    int64_t total = 0;
    for (uint8_t c : counts) total += c;
    shape[0] = total;
    Tensor r = Tensor::empty(shape, t.dtype());
    const size_t item = static_cast<size_t>(sdk::dtype_size(t.dtype()) * inner);
    auto* dst = static_cast<char*>(r.mutable_raw_data());
    for (int64_t i = 0; i < n; ++i)
      for (uint8_t k = 0; k < counts[static_cast<size_t>(i)]; ++k) {
        std::memcpy(dst, static_cast<const char*>(t.raw_data()) + static_cast<size_t>(i) * item, item);
        dst += item;
      }
    out.set(key, Value(std::move(r)));
  }
  return out;
}

void expect_same(const NDict& a, const NDict& b, double tolerance, const std::string& what) {
  ASSERT_EQ(a.keys(), b.keys()) << what;
  for (const auto& [key, value] : a.flatten()) {
    const Value& other = b.at(key);
    if (value->is<double>()) {
      const double x = value->as<double>(), y = other.as<double>();
      if (std::isnan(x) || std::isnan(y)) {
        EXPECT_TRUE(std::isnan(x) && std::isnan(y)) << what << " " << key;
      } else {
        EXPECT_NEAR(x, y, tolerance) << what << " " << key;
      }
    } else if (value->is<Tensor>() && !sdk::is_floating(value->as<Tensor>().dtype())) {
      EXPECT_EQ(*value, other) << what << " " << key;
    } else if (value->is<Tensor>()) {
      const std::vector<double> x = values<double>(value->as<Tensor>()), y = values<double>(other.as<Tensor>());
      ASSERT_EQ(x.size(), y.size()) << what << " " << key;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!(std::isnan(x[i]) && std::isnan(y[i]))) {
          EXPECT_NEAR(x[i], y[i], tolerance) << what << " " << key << "[" << i << "]";
        }
      }
    } else {
      EXPECT_EQ(*value, other) << what << " " << key;
    }
  }
}

const std::vector<Case> kCases = {
    {"fuse.metrics.auc", R"({"pred": "p", "target": "y"})", 1e-12},
    {"fuse.metrics.roc_curve", R"({"pred": "p", "target": "y", "points": 11})", 1e-12},
    {"fuse.metrics.auc", R"({"pred": "m", "target": "k", "average": "macro"})", 1e-12},
    {"fuse.metrics.auc", R"({"pred": "m", "target": "k", "average": "micro"})", 1e-12},
    {"fuse.metrics.auc", R"({"pred": "m", "target": "k", "average": "macro", "undefined": "skip"})", 1e-12},
    {"fuse.metrics.average_precision", R"({"pred": "p", "target": "y"})", 1e-12},
    {"fuse.metrics.average_precision", R"({"pred": "m", "target": "k", "average": "macro"})", 1e-12},
    {"fuse.metrics.pr_curve", R"({"pred": "p", "target": "y", "points": 11})", 1e-12},
    {"fuse.metrics.operating_point", R"({"pred": "p", "target": "y", "min_sensitivity": 0.8})", 1e-12},
    {"fuse.metrics.confusion", R"({"pred": "p", "target": "y"})", 1e-12},
    {"fuse.metrics.confusion", R"({"pred": "m", "target": "c"})", 1e-12},
    {"fuse.metrics.brier", R"({"pred": "p", "target": "y"})", 1e-12},
    {"fuse.metrics.log_loss", R"({"pred": "m", "target": "c"})", 1e-12},
    {"fuse.metrics.calibration", R"({"pred": "m", "target": "c", "bins": 5})", 1e-12},
    {"fuse.metrics.temperature", R"({"pred": "p", "target": "y"})", 1e-6},
    {"fuse.metrics.regression", R"({"pred": "p", "target": "t"})", 1e-9},
    {"fuse.metrics.regression", R"({"pred": "p", "target": "t", "bins": 7})", 1e-9},
    {"fuse.metrics.mean", R"({"pred": "t"})", 1e-12},
    {"fuse.metrics.c_index", R"({"pred": "p", "time": "t", "event": "e"})", 1e-12},
    {"fuse.metrics.kaplan_meier", R"({"pred": "p", "time": "t", "event": "e", "groups": 3, "points": 9})", 1e-12},
    {"fuse.metrics.survival_auc", R"({"pred": "p", "time": "t", "event": "e", "horizon": 5})", 1e-12},
    {"fuse.metrics.survival_calibration", R"({"pred": "p", "time": "t", "event": "e", "horizon": 5, "groups": 3})", 1e-12},
    {"fuse.metrics.survival_brier", R"({"pred": "p", "time": "t", "event": "e", "horizon": 5})", 1e-12},
    {"fuse.metrics.integrated_brier", R"({"pred": "m", "time": "t", "event": "e", "times": [2, 5, 8]})", 1e-12},
};

TEST(Weights, CountsEqualRepeatedRows) {
  const NDict d = rows(60, 1);
  std::mt19937 rng(3);
  std::vector<uint8_t> counts(60);
  for (uint8_t& c : counts) c = static_cast<uint8_t>(rng() % 4);
  counts[0] = counts[1] = 1;  // both classes present
  for (const Case& c : kCases) {
    Metric weighted = built_plugins().create_metric(c.id, json_object(c.config));
    ASSERT_TRUE(weighted.supports_weighted()) << c.id;
    weighted.update(d);
    weighted.compute();
    const NDict from_counts = weighted.compute_weighted(nullptr, counts.data(), counts.size());
    const NDict from_rows = compute_metric(c.id, c.config, repeat(d, counts));
    expect_same(from_counts, from_rows, c.tolerance, c.id + " " + c.config);
  }
}

TEST(Weights, MergedHalvesAndSavedStateEqualOneInstance) {
  const NDict all = rows(40, 5);
  std::vector<uint8_t> first(40, 0), second(40, 0);
  for (size_t i = 0; i < 40; ++i) (i < 20 ? first : second)[i] = 1;
  const NDict a = repeat(all, first), b = repeat(all, second);
  for (const Case& c : kCases) {
    Metric left = built_plugins().create_metric(c.id, json_object(c.config));
    Metric right = built_plugins().create_metric(c.id, json_object(c.config));
    left.update(a);
    right.update(b);
    left.merge(right);
    const NDict whole = compute_metric(c.id, c.config, all);
    expect_same(left.compute(), whole, c.tolerance, c.id + " merged");
    Metric loaded = built_plugins().create_metric(c.id, json_object(c.config));
    const std::string state = left.save_state();
    loaded.load_state(state);
    expect_same(loaded.compute(), whole, c.tolerance, c.id + " loaded");
    // A state cut short or with bytes after its end is refused, not read past or half used.
    const std::string prefix = "metric '" + c.id + "' (plugin 'fuse.metrics_core'): the state ";
    const std::string cut = testing::error_of([&] { loaded.load_state(state.substr(0, state.size() - 1)); });
    EXPECT_EQ(cut.rfind(prefix + "is cut short: ", 0), 0u) << cut;
    EXPECT_EQ(testing::error_of([&] { loaded.load_state(state + "x"); }),
              prefix + "has 1 byte left over after its " + std::to_string(state.size()) + " (a state of another version or component?)");
  }
}

// The metrics outside kCases: their states read back whole, and a cut or long one is refused.
TEST(Weights, EveryStateIsReadBackWholeOrRefused) {
  NDict pairs;
  pairs.set("a", Tensor::from_vector<double>({0.1, 0.8, 0.4, 0.9}, {4}));
  pairs.set("b", Tensor::from_vector<double>({0.3, 0.6, 0.7, 0.2}, {4}));
  pairs.set("y", Tensor::from_vector<int64_t>({0, 1, 0, 1}, {4}));
  NDict maps;
  maps.set("p", Tensor::from_vector<int64_t>({1, 1, 0, 0, 0, 1, 1, 0}, {2, 2, 2}));
  maps.set("y", Tensor::from_vector<int64_t>({1, 0, 0, 0, 0, 1, 1, 1}, {2, 2, 2}));
  const std::vector<std::tuple<std::string, std::string, NDict>> metrics = {
      {"fuse.metrics.delong", R"({"pred_a": "a", "pred_b": "b", "target": "y"})", pairs},
      {"fuse.metrics.mcnemar", R"({"pred_a": "a", "pred_b": "b", "target": "y"})", pairs},
      {"fuse.metrics.auc", R"({"pred": "a", "target": "y", "bins": 16})", pairs},
      {"fuse.metrics.segmentation", R"({"pred": "p", "target": "y", "num_classes": 2})", maps},
      {"fuse.metrics.detection", R"({"pred": "p", "target": "y", "num_classes": 2})", maps}};
  for (const auto& [id, config, batch] : metrics) {
    Metric m = built_plugins().create_metric(id, json_object(config));
    m.update(batch);
    const std::string state = m.save_state();
    Metric loaded = built_plugins().create_metric(id, json_object(config));
    loaded.load_state(state);
    expect_same(loaded.compute(), m.compute(), 0, id);
    const std::string prefix = "metric '" + id + "' (plugin 'fuse.metrics_core'): the state ";
    const std::string cut = testing::error_of([&] { loaded.load_state(state.substr(0, state.size() - 1)); });
    EXPECT_EQ(cut.rfind(prefix + "is cut short: ", 0), 0u) << cut;
    EXPECT_EQ(testing::error_of([&] { loaded.load_state(state + "x"); }),
              prefix + "has 1 byte left over after its " + std::to_string(state.size()) + " (a state of another version or component?)");
  }
}

TEST(Weights, SegmentationWeightsSamples) {
  std::vector<int64_t> pred = {1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0}, target = {1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1};
  NDict d;
  d.set("p", Tensor::from_vector<int64_t>(pred, {3, 2, 2}));
  d.set("y", Tensor::from_vector<int64_t>(target, {3, 2, 2}));
  const std::string cfg = R"({"pred": "p", "target": "y", "num_classes": 2})";
  Metric m = built_plugins().create_metric("fuse.metrics.segmentation", json_object(cfg));
  m.update(d);
  m.compute();
  std::vector<uint8_t> counts = {2, 0, 1};
  expect_same(m.compute_weighted(nullptr, counts.data(), 3), compute_metric("fuse.metrics.segmentation", cfg, repeat(d, counts)),
              1e-12, "segmentation");
}

TEST(Weights, DetectionWeightsMergesAndSavesSamples) {
  // Random blobs of classes 1 and 2 in five 6 x 6 maps: instances of every size, some overlapping.
  std::mt19937 rng(11);
  std::vector<int64_t> pred(5 * 36), target(5 * 36);
  for (size_t i = 0; i < pred.size(); ++i) target[i] = rng() % 3 == 0 ? static_cast<int64_t>(1 + rng() % 2) : 0;
  for (size_t i = 0; i < pred.size(); ++i) pred[i] = rng() % 4 == 0 ? static_cast<int64_t>(rng() % 3) : target[i];
  NDict d;
  d.set("p", Tensor::from_vector<int64_t>(pred, {5, 6, 6}));
  d.set("y", Tensor::from_vector<int64_t>(target, {5, 6, 6}));
  const std::string cfg = R"({"pred": "p", "target": "y", "num_classes": 3, "iou_threshold": 0.2, "connectivity": "face"})";
  Metric m = built_plugins().create_metric("fuse.metrics.detection", json_object(cfg));
  m.update(d);
  const NDict whole = m.compute();
  EXPECT_GT(whole.get<double>("mean_tp"), 0.0);
  EXPECT_GT(whole.get<double>("mean_fp"), 0.0);
  std::vector<uint8_t> counts = {2, 0, 1, 3, 1};
  expect_same(m.compute_weighted(nullptr, counts.data(), 5), compute_metric("fuse.metrics.detection", cfg, repeat(d, counts)), 1e-12,
              "detection weighted");
  Metric left = built_plugins().create_metric("fuse.metrics.detection", json_object(cfg));
  Metric right = built_plugins().create_metric("fuse.metrics.detection", json_object(cfg));
  left.update(repeat(d, {1, 1, 0, 0, 0}));
  right.update(repeat(d, {0, 0, 1, 1, 1}));
  left.merge(right);
  expect_same(left.compute(), whole, 1e-12, "detection merged");
  Metric loaded = built_plugins().create_metric("fuse.metrics.detection", json_object(cfg));
  loaded.load_state(left.save_state());
  expect_same(loaded.compute(), whole, 1e-12, "detection loaded");
}

TEST(Weights, GroupsLeftOutOfAReplicateAddNoStep) {
  // The top-scored row is left out (count 0): precision there would be 0/0, which must not poison the sum.
  NDict d = sample(R"({"p": [0.9, 0.8, 0.4, 0.2], "y": [1, 1, 0, 0]})");
  for (const char* id : {"fuse.metrics.average_precision", "fuse.metrics.pr_curve", "fuse.metrics.roc_curve"}) {
    Metric m = built_plugins().create_metric(id, json_object(R"({"pred": "p", "target": "y"})"));
    m.update(d);
    m.compute();
    std::vector<uint8_t> counts = {0, 1, 1, 1};
    NDict r = m.compute_weighted(nullptr, counts.data(), 4);
    for (const auto& [key, value] : r.flatten()) {
      if (value->is<double>()) {
        EXPECT_FALSE(std::isnan(value->as<double>())) << id << " " << key;
      } else if (value->is<Tensor>()) {
        for (double v : values<double>(value->as<Tensor>())) EXPECT_FALSE(std::isnan(v)) << id << " " << key;
      }
    }
    if (r.has("average_precision")) {
      EXPECT_NEAR(r.get<double>("average_precision"), 1.0, 1e-12) << id;
    }
  }
}

TEST(Weights, AReplicateWithOneClassIsUndefined) {
  Metric m = built_plugins().create_metric("fuse.metrics.auc", json_object(R"({"pred": "p", "target": "y"})"));
  m.update(sample(R"({"p": [0.1, 0.9, 0.4], "y": [0, 1, 0]})"));
  m.compute();
  std::vector<uint8_t> counts = {2, 0, 1};
  try {
    m.compute_weighted(nullptr, counts.data(), 3);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kNumeric);
    EXPECT_STREQ(e.what(), "metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): AUC needs both classes, but the "
                           "replicate has no positive (1) targets among 3 rows");
  }
}

}  // namespace
}  // namespace fuse::testing
