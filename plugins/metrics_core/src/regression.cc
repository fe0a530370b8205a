// Regression metrics: mae, mse, rmse, r2, pearson, spearman (with average ranks for ties), all weighted; with
// 'bins', the observed mean per bin of predictions (a regression's calibration plot, for report.html).
#include <algorithm>
#include <numeric>

#include "common.h"

namespace fuse::metrics {
namespace {

// Weighted Pearson correlation of x and y.
double pearson(const std::vector<double>& x, const std::vector<double>& y, const uint8_t* counts) {
  double w = 0, mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double c = weight(counts, i);
    w += c, mx += c * x[i], my += c * y[i];
  }
  mx /= w, my /= w;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double c = weight(counts, i), dx = x[i] - mx, dy = y[i] - my;
    sxy += c * dx * dy, sxx += c * dx * dx, syy += c * dy * dy;
  }
  return ratio(sxy, std::sqrt(sxx * syy));
}

// The rank of each row in the weighted sample (a row counted c times fills c places); tied values share the
// average of their places.
std::vector<double> weighted_ranks(const std::vector<double>& v, const std::vector<uint32_t>& order, const uint8_t* counts) {
  std::vector<double> rank(v.size());
  double before = 0;  // places taken by smaller values
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    double group = 0;
    while (j < order.size() && v[order[j]] == v[order[i]]) group += weight(counts, order[j++]);
    for (size_t k = i; k < j; ++k) rank[order[k]] = before + (group + 1) / 2;
    before += group;
    i = j;
  }
  return rank;
}

class Regression {
 public:
  explicit Regression(const DictView& config)
      : pred_(config.get_string("pred")), target_(config.get_string("target")), bins_(static_cast<size_t>(config.get_int("bins"))) {}

  void reset() {
    pred_values_.clear();
    target_values_.clear();
    invalidate();
  }
  void update(const DictView& batch) {
    std::vector<double> p = read_numbers(batch.tensor(pred_)), t = read_numbers(batch.tensor(target_));
    if (p.size() != t.size())
      fail(FM_ERR_SHAPE, "'" + pred_ + "' has " + std::to_string(p.size()) + " values but '" + target_ + "' has " + std::to_string(t.size()));
    for (size_t i = 0; i < p.size(); ++i)
      if (!std::isfinite(p[i]) || !std::isfinite(t[i]))
        fail(FM_ERR_NUMERIC, "row " + std::to_string(i) + ": '" + (std::isfinite(p[i]) ? target_ : pred_) + "' is not finite");
    pred_values_.insert(pred_values_.end(), p.begin(), p.end());
    target_values_.insert(target_values_.end(), t.begin(), t.end());
    invalidate();
  }
  void merge(const Regression& o) {
    pred_values_.insert(pred_values_.end(), o.pred_values_.begin(), o.pred_values_.end());
    target_values_.insert(target_values_.end(), o.target_values_.begin(), o.target_values_.end());
    invalidate();
  }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, pred_values_.size(), result); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    if (n != pred_values_.size()) fail(FM_ERR_INVALID_ARGUMENT, "counts do not match the rows seen");
    if (n == 0) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    double w = 0, abs_err = 0, sq_err = 0, mean_t = 0;
    for (size_t i = 0; i < n; ++i) {
      const double c = weight(counts, i), e = pred_values_[i] - target_values_[i];
      w += c, abs_err += c * std::abs(e), sq_err += c * e * e, mean_t += c * target_values_[i];
    }
    mean_t /= w;
    double ss_tot = 0;
    for (size_t i = 0; i < n; ++i) ss_tot += weight(counts, i) * (target_values_[i] - mean_t) * (target_values_[i] - mean_t);
    result.set_double("mae", abs_err / w);
    result.set_double("mse", sq_err / w);
    result.set_double("rmse", std::sqrt(sq_err / w));
    result.set_double("r2", ss_tot > 0 ? 1 - sq_err / ss_tot : kNaN);
    result.set_double("pearson", pearson(pred_values_, target_values_, counts));
    const auto& [pred_order, target_order] = orders();
    result.set_double("spearman", pearson(weighted_ranks(pred_values_, pred_order, counts),
                                          weighted_ranks(target_values_, target_order, counts), counts));
    if (bins_ > 0) add_bins(pred_order, counts, w, result);
  }

  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(pred_values_.size()));
    w.write(pred_values_.data(), pred_values_.size() * sizeof(double));
    w.write(target_values_.data(), target_values_.size() * sizeof(double));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      const uint64_t n = r.read_value<uint64_t>();
      pred_values_ = r.read_array<double>(n);
      target_values_ = r.read_array<double>(n);
    });
    invalidate();
  }

 private:
  void invalidate() {
    std::lock_guard<std::mutex> lock(mutex_);
    sorted_ = false;
  }
  // Ascending orders of the predictions and the targets, built once (replicates reuse them).
  const std::pair<std::vector<uint32_t>, std::vector<uint32_t>>& orders() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!sorted_) {
      auto ascending = [](std::vector<uint32_t>& order, const std::vector<double>& v) {
        order.resize(v.size());
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return v[a] < v[b]; });
      };
      ascending(orders_.first, pred_values_);
      ascending(orders_.second, target_values_);
      sorted_ = true;
    }
    return orders_;
  }

  // Rows in order of prediction cut into bins_ of equal weight (quantiles; a bin ends where the running weight
  // passes its share, so ties may straddle two): per bin the mean prediction, the mean target and the weight.
  // A row counted c times is c rows, each placed alone, as the repeated rows would be. A bin without rows is NaN.
  void add_bins(const std::vector<uint32_t>& order, const uint8_t* counts, double total, Dict& result) const {
    std::vector<double> predicted(bins_, 0.0), observed(bins_, 0.0), weight_of(bins_, 0.0);
    double before = 0;
    for (uint32_t row : order) {
      for (double copy = 0; copy < weight(counts, row); ++copy) {
        const size_t b = std::min(bins_ - 1, static_cast<size_t>((before + 0.5) / total * static_cast<double>(bins_)));
        predicted[b] += pred_values_[row], observed[b] += target_values_[row], weight_of[b] += 1;
        before += 1;
      }
    }
    for (size_t b = 0; b < bins_; ++b) {
      predicted[b] = weight_of[b] > 0 ? predicted[b] / weight_of[b] : kNaN;
      observed[b] = weight_of[b] > 0 ? observed[b] / weight_of[b] : kNaN;
    }
    result.set_tensor("bin_predicted", vector_tensor(predicted));
    result.set_tensor("bin_observed", vector_tensor(observed));
    result.set_tensor("bin_count", vector_tensor(weight_of));
  }

  std::string pred_, target_;
  size_t bins_;
  std::vector<double> pred_values_, target_values_;
  mutable std::mutex mutex_;
  mutable bool sorted_ = false;
  mutable std::pair<std::vector<uint32_t>, std::vector<uint32_t>> orders_;
};
FUSE_METRIC(Regression, "fuse.metrics.regression", "1.1.0")

}  // namespace
}  // namespace fuse::metrics
