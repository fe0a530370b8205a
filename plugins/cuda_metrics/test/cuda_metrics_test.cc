// cuda_metrics: the shared AUC and Poisson-bootstrap arithmetic (its CPU twin) runs everywhere; the device
// metrics are compared with their CPU twins on a GPU and skip without one.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "kernels/poisson_auc.h"
#include "require_gpu.h"
#include "test_support.h"

namespace fuse {
namespace {

using testing::built_plugins;
using testing::error_of;
using testing::json_object;

// Scores rounded to 0.01 (many ties) with targets that depend on them.
struct Rows {
  std::vector<double> scores;
  std::vector<int64_t> labels;
};
Rows rows(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Rows r;
  for (size_t i = 0; i < n; ++i) {
    const double s = std::round(u(gen) * 100) / 100;
    r.scores.push_back(s);
    r.labels.push_back(u(gen) < 0.2 + 0.6 * s ? 1 : 0);
  }
  return r;
}

NDict batch_of(const Rows& r) {
  NDict b;
  b.set("score", Value(Tensor::from_vector<double>(r.scores, {static_cast<int64_t>(r.scores.size())})));
  b.set("label", Value(Tensor::from_vector<int64_t>(r.labels, {static_cast<int64_t>(r.labels.size())})));
  return b;
}

// The CPU twin's groups: (positives, negatives) per distinct score, ascending.
std::pair<std::vector<uint64_t>, std::vector<uint64_t>> groups_of(const Rows& r) {
  std::map<double, std::pair<uint64_t, uint64_t>> g;
  for (size_t i = 0; i < r.scores.size(); ++i) (r.labels[i] ? g[r.scores[i]].first : g[r.scores[i]].second) += 1;
  std::vector<uint64_t> pos, neg;
  for (const auto& [score, counts] : g) pos.push_back(counts.first), neg.push_back(counts.second);
  return {pos, neg};
}

double cpu_metric_auc(const Rows& r) {
  Metric m = built_plugins().create_metric("fuse.metrics.auc", json_object(R"({"pred": "score", "target": "label"})"));
  m.update(batch_of(r));
  return m.compute().get<double>("auc");
}

TEST(PoissonAuc, GroupSumsGiveTheExactAucWithHalfTies) {
  const Rows r = rows(5000, 1);
  const auto [pos, neg] = groups_of(r);
  kernels::AucSums s;
  for (size_t g = 0; g < pos.size(); ++g) kernels::add_group(s, pos[g], neg[g]);
  EXPECT_EQ(kernels::auc_of(s), cpu_metric_auc(r));  // both exact: equal to the last bit
  kernels::AucSums one_class;
  kernels::add_group(one_class, 3, 0);
  EXPECT_TRUE(std::isnan(kernels::auc_of(one_class)));
}

TEST(PoissonAuc, PoissonDrawsHaveTheirMeanAndVariance) {
  for (double lambda : {0.5, 3.0, 29.0, 31.0, 400.0}) {
    double sum = 0, squares = 0;
    const int n = 40000;
    for (int i = 0; i < n; ++i) {
      const double k = static_cast<double>(kernels::poisson(lambda, kernels::round_stream(5, static_cast<uint64_t>(i)), 0));
      sum += k, squares += k * k;
    }
    const double mean = sum / n, var = squares / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 4 * std::sqrt(lambda / n)) << "lambda " << lambda;
    EXPECT_NEAR(var / lambda, 1.0, 0.05) << "lambda " << lambda;
  }
  EXPECT_EQ(kernels::poisson(0, 1, 0), 0u);
}

TEST(PoissonAuc, BootstrapRoundsAreSeededAndCoverTheAuc) {
  const Rows r = rows(2000, 2);
  const auto [pos, neg] = groups_of(r);
  std::vector<double> a;
  for (uint64_t round = 0; round < 2000; ++round) a.push_back(kernels::bootstrap_round(pos.data(), neg.data(), pos.size(), 11, round));
  EXPECT_EQ(kernels::bootstrap_round(pos.data(), neg.data(), pos.size(), 11, 7), a[7]);
  EXPECT_NE(kernels::bootstrap_round(pos.data(), neg.data(), pos.size(), 12, 7), a[7]);
  std::sort(a.begin(), a.end());
  const double point = cpu_metric_auc(r);
  const double low = a[50], high = a[1949];  // the 2.5 and 97.5 percentiles
  EXPECT_LT(low, point);
  EXPECT_GT(high, point);
  // The AUC's standard error here is about 0.012 (Hanley-McNeil): the interval is about 4 of them wide.
  EXPECT_NEAR(high - low, 0.047, 0.012);
}

TEST(CudaMetrics, AucAndItsBootstrapEqualTheCpuTwins) {
  FUSE_REQUIRE_GPU();
  const Rows r = rows(100000, 3);
  Metric m = built_plugins().create_metric("fuse.cuda.gpu_auc", json_object(R"({"pred": "score", "target": "label", "bootstrap_rounds": 2000, "seed": 4})"));
  m.update(batch_of(r));
  const NDict result = m.compute();
  EXPECT_EQ(result.get<double>("auc"), cpu_metric_auc(r));
  const auto [pos, neg] = groups_of(r);
  std::vector<double> a;
  for (uint64_t round = 0; round < 2000; ++round) a.push_back(kernels::bootstrap_round(pos.data(), neg.data(), pos.size(), 4, round));
  std::sort(a.begin(), a.end());
  // The same integers on both sides, up to libm's last bit in a rare Poisson draw.
  EXPECT_NEAR(result.get<double>("ci_low"), a[49] + (a[50] - a[49]) * 0.975, 1e-6);
  EXPECT_EQ(result.get<int64_t>("bootstrap.rounds"), 2000);
}

TEST(CudaMetrics, ConfusionCountsDiceAndIou) {
  FUSE_REQUIRE_GPU();
  NDict b;
  b.set("p", Value(Tensor::from_vector<int64_t>({0, 1, 1, 2, 2, 2}, {2, 3})));
  b.set("t", Value(Tensor::from_vector<int64_t>({0, 1, 2, 2, 2, 0}, {2, 3})));
  Metric m = built_plugins().create_metric("fuse.cuda.gpu_confusion", json_object(R"({"pred": "p", "target": "t", "classes": 3})"));
  m.update(b);
  const NDict result = m.compute();
  EXPECT_DOUBLE_EQ(result.get<double>("accuracy"), 4.0 / 6);
  EXPECT_EQ(testing::values<int64_t>(result.get<Tensor>("confusion")), (std::vector<int64_t>{1, 0, 1, 0, 1, 0, 0, 1, 2}));
  EXPECT_EQ(testing::values<double>(result.get<Tensor>("dice")), (std::vector<double>{2.0 / 3, 2.0 / 3, 4.0 / 6}));
  EXPECT_EQ(testing::values<double>(result.get<Tensor>("iou")), (std::vector<double>{0.5, 0.5, 0.5}));
}

TEST(CudaMetrics, BadInputIsAnErrorNamingTheMetricAndTheKey) {
  Metric m = built_plugins().create_metric("fuse.cuda.gpu_auc", json_object(R"({"pred": "score", "target": "label"})"));
  Rows r = rows(4, 1);
  r.labels[2] = 2;
  EXPECT_EQ(error_of([&] { m.update(batch_of(r)); }),
            "metric 'fuse.cuda.gpu_auc' (plugin 'fuse.cuda_metrics'): key 'label': row 2 is 2.000000; AUC takes binary targets (0 or 1)");
  r.labels[2] = 1;
  r.scores[1] = std::nan("");
  EXPECT_EQ(error_of([&] { m.update(batch_of(r)); }), "metric 'fuse.cuda.gpu_auc' (plugin 'fuse.cuda_metrics'): key 'score': row 1 is nan");
}

TEST(CudaMetrics, WithoutAGpuComputeSaysWhyAndNamesTheCpuTwin) {
  const std::string why = cuda::no_gpu();
  if (why.empty()) GTEST_SKIP() << "this machine has a GPU";
  Metric m = built_plugins().create_metric("fuse.cuda.gpu_auc", json_object(R"({"pred": "score", "target": "label"})"));
  m.update(batch_of(rows(10, 1)));
  EXPECT_EQ(error_of([&] { m.compute(); }),
            "metric 'fuse.cuda.gpu_auc' (plugin 'fuse.cuda_metrics'): no usable CUDA device (" + why + "); the CPU AUC is fuse.metrics.auc");
}

}  // namespace
}  // namespace fuse
