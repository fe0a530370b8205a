// Comparing two models on the same rows: DeLong's test for two correlated AUCs (the O(n log n) algorithm of
// Sun and Xu, 2014) and McNemar's test for paired accuracy (exact binomial, or chi-square with continuity
// correction). Both are tests, not estimates: they have no replicate weights.
#include <algorithm>
#include <numeric>

#include "common.h"

namespace fuse::metrics {
namespace {

// Mid-ranks (1-based, ties share the average rank).
std::vector<double> midranks(const std::vector<double>& v) {
  std::vector<uint32_t> order(v.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
    for (size_t k = i; k < j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j + 1);
    i = j;
  }
  return r;
}

// Structural components of one predictor's AUC: per positive, the share of negatives it beats; per negative,
// the share of positives that beat it.
struct Components {
  double auc = 0;
  std::vector<double> v10, v01;
};

Components components(const std::vector<double>& pos, const std::vector<double>& neg) {
  const double m = static_cast<double>(pos.size()), n = static_cast<double>(neg.size());
  std::vector<double> all(pos);
  all.insert(all.end(), neg.begin(), neg.end());
  const std::vector<double> tz = midranks(all), tx = midranks(pos), ty = midranks(neg);
  Components c;
  double sum = 0;
  for (size_t i = 0; i < pos.size(); ++i) {
    sum += tz[i];
    c.v10.push_back((tz[i] - tx[i]) / n);
  }
  for (size_t j = 0; j < neg.size(); ++j) c.v01.push_back(1.0 - (tz[pos.size() + j] - ty[j]) / m);
  c.auc = (sum - m * (m + 1) / 2) / (m * n);
  return c;
}

double covariance(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - ma) * (b[i] - mb);
  return s / (n - 1);
}

class DeLong {
 public:
  explicit DeLong(const DictView& config)
      : a_(config.get_string("pred_a")), b_(config.get_string("pred_b")), target_(config.get_string("target")) {}
  void reset() { sa_.clear(), sb_.clear(), y_.clear(); }
  void update(const DictView& batch) {
    std::vector<double> a = read_scores(batch, a_), b = read_scores(batch, b_);
    std::vector<int64_t> y = read_binary_labels(batch, target_);
    if (a.size() != b.size() || a.size() != y.size())
      fail(FM_ERR_SHAPE, "'" + a_ + "', '" + b_ + "' and '" + target_ + "' have different numbers of rows");
    sa_.insert(sa_.end(), a.begin(), a.end());
    sb_.insert(sb_.end(), b.begin(), b.end());
    y_.insert(y_.end(), y.begin(), y.end());
  }
  void merge(const DeLong& o) {
    sa_.insert(sa_.end(), o.sa_.begin(), o.sa_.end());
    sb_.insert(sb_.end(), o.sb_.begin(), o.sb_.end());
    y_.insert(y_.end(), o.y_.begin(), o.y_.end());
  }
  void compute(Dict& result) const {
    std::vector<double> pa, na, pb, nb;
    for (size_t i = 0; i < y_.size(); ++i) {
      (y_[i] ? pa : na).push_back(sa_[i]);
      (y_[i] ? pb : nb).push_back(sb_[i]);
    }
    if (pa.size() < 2 || na.size() < 2)
      fail(FM_ERR_NUMERIC, "DeLong's test needs at least two positive and two negative rows (has " +
                               std::to_string(pa.size()) + " and " + std::to_string(na.size()) + ")");
    const Components ca = components(pa, na), cb = components(pb, nb);
    const double m = static_cast<double>(pa.size()), n = static_cast<double>(na.size());
    // Var(AUC_a - AUC_b) = S10 / m + S01 / n on the difference of the components.
    const double var = (covariance(ca.v10, ca.v10) + covariance(cb.v10, cb.v10) - 2 * covariance(ca.v10, cb.v10)) / m +
                       (covariance(ca.v01, ca.v01) + covariance(cb.v01, cb.v01) - 2 * covariance(ca.v01, cb.v01)) / n;
    const double diff = ca.auc - cb.auc;
    result.set_double("auc_a", ca.auc);
    result.set_double("auc_b", cb.auc);
    result.set_double("auc_diff", diff);
    if (var <= 0) {  // identical predictors
      result.set_double("z", 0.0);
      result.set_double("p", 1.0);
      return;
    }
    const double z = diff / std::sqrt(var);
    result.set_double("z", z);
    result.set_double("p", std::erfc(std::abs(z) / std::sqrt(2.0)));
  }
  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(y_.size()));
    w.write(sa_.data(), sa_.size() * sizeof(double));
    w.write(sb_.data(), sb_.size() * sizeof(double));
    w.write(y_.data(), y_.size() * sizeof(int64_t));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      const uint64_t n = r.read_value<uint64_t>();
      sa_ = r.read_array<double>(n);
      sb_ = r.read_array<double>(n);
      y_ = r.read_array<int64_t>(n);
    });
  }

 private:
  std::string a_, b_, target_;
  std::vector<double> sa_, sb_;
  std::vector<int64_t> y_;
};
FUSE_METRIC(DeLong, "fuse.metrics.delong", "1.0.0")

// P(X <= k) for X ~ Binomial(n, 1/2), summed in log space.
double binomial_half_cdf(uint64_t k, uint64_t n) {
  double sum = 0;
  for (uint64_t i = 0; i <= k; ++i)
    sum += std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(i) + 1) - std::lgamma(double(n - i) + 1) - double(n) * std::log(2.0));
  return sum;
}

class McNemar {
 public:
  explicit McNemar(const DictView& config)
      : a_(config.get_string("pred_a")),
        b_(config.get_string("pred_b")),
        target_(config.get_string("target")),
        threshold_(config.get_double("threshold")),
        exact_(config.get_bool("exact")) {}
  void reset() { only_a_ = only_b_ = 0; }
  void update(const DictView& batch) {
    std::vector<double> a = read_scores(batch, a_), b = read_scores(batch, b_);
    std::vector<int64_t> y = read_binary_labels(batch, target_);
    if (a.size() != b.size() || a.size() != y.size())
      fail(FM_ERR_SHAPE, "'" + a_ + "', '" + b_ + "' and '" + target_ + "' have different numbers of rows");
    for (size_t i = 0; i < y.size(); ++i) {
      const bool ra = (a[i] >= threshold_) == (y[i] == 1), rb = (b[i] >= threshold_) == (y[i] == 1);
      only_a_ += ra && !rb;
      only_b_ += rb && !ra;
    }
  }
  void merge(const McNemar& o) { only_a_ += o.only_a_, only_b_ += o.only_b_; }
  void compute(Dict& result) const {
    const uint64_t b = only_a_, c = only_b_, n = b + c;
    const double statistic = n ? (std::abs(double(b) - double(c)) - 1) * (std::abs(double(b) - double(c)) - 1) / double(n) : 0.0;
    double p = 1.0;
    if (n > 0) p = exact_ ? std::min(1.0, 2 * binomial_half_cdf(std::min(b, c), n)) : std::erfc(std::sqrt(std::max(0.0, statistic) / 2));
    result.set_int("only_a_correct", static_cast<int64_t>(b));
    result.set_int("only_b_correct", static_cast<int64_t>(c));
    result.set_double("statistic", statistic);
    result.set_double("p", p);
  }
  void save(sdk::Writer& w) const {
    w.write_value(only_a_);
    w.write_value(only_b_);
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      only_a_ = r.read_value<uint64_t>();
      only_b_ = r.read_value<uint64_t>();
    });
  }

 private:
  std::string a_, b_, target_;
  double threshold_;
  bool exact_;
  uint64_t only_a_ = 0, only_b_ = 0;
};
FUSE_METRIC(McNemar, "fuse.metrics.mcnemar", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
