// The mean of a per-sample value (a case's Dice or Hausdorff distance, a loss) with its spread: sd, median,
// quartiles, min and max. Scored per case first, a segmentation test set then gets what every other metric
// gets from the evaluator: bootstrap intervals, sub-groups, folds and paired comparisons of two models.
#include <algorithm>
#include <numeric>

#include "common.h"

namespace fuse::metrics {
namespace {

class Mean {
 public:
  explicit Mean(const DictView& config) : pred_(config.get_string("pred")) {}

  void reset() {
    values_.clear();
    invalidate();
  }
  void update(const DictView& batch) {
    const std::vector<double> v = read_scores(batch, pred_);
    values_.insert(values_.end(), v.begin(), v.end());
    invalidate();
  }
  void merge(const Mean& o) {
    values_.insert(values_.end(), o.values_.begin(), o.values_.end());
    invalidate();
  }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, values_.size(), result); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    if (n != values_.size()) fail(FM_ERR_INVALID_ARGUMENT, "counts do not match the rows seen");
    double w = 0, sum = 0;
    for (size_t i = 0; i < n; ++i) w += weight(counts, i), sum += weight(counts, i) * values_[i];
    if (w == 0) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    const double mean = sum / w;
    double squares = 0;
    for (size_t i = 0; i < n; ++i) squares += weight(counts, i) * (values_[i] - mean) * (values_[i] - mean);
    result.set_double("mean", mean);
    result.set_double("sd", w > 1 ? std::sqrt(squares / (w - 1)) : kNaN);  // the sample's (n - 1)
    const std::vector<uint32_t>& order = sorted();
    const auto quantile = [&](double q) { return weighted_quantile(order, counts, w, q); };
    result.set_double("median", quantile(0.5));
    result.set_double("q1", quantile(0.25));
    result.set_double("q3", quantile(0.75));
    result.set_double("min", quantile(0));
    result.set_double("max", quantile(1));
  }

  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(values_.size()));
    w.write(values_.data(), values_.size() * sizeof(double));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) { values_ = r.read_array<double>(r.read_value<uint64_t>()); });
    invalidate();
  }

 private:
  // The q-quantile of the sample with row i repeated counts[i] times, linear between order statistics (R type 7,
  // as the evaluator's intervals).
  double weighted_quantile(const std::vector<uint32_t>& order, const uint8_t* counts, double total, double q) const {
    const double h = (total - 1) * q;
    const double below = std::floor(h);
    const auto at = [&](double position) {  // the value at a 0-based place of the repeated, sorted sample
      double seen = 0;
      for (uint32_t i : order) {
        seen += weight(counts, i);
        if (position < seen) return values_[i];
      }
      return values_[order.back()];
    };
    const double lower = at(below);
    return h == below ? lower : lower + (h - below) * (at(below + 1) - lower);
  }

  void invalidate() {
    std::lock_guard<std::mutex> lock(mutex_);
    sorted_ = false;
  }
  // The rows in ascending order, built once (replicates reuse it).
  const std::vector<uint32_t>& sorted() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!sorted_) {
      order_.resize(values_.size());
      std::iota(order_.begin(), order_.end(), 0u);
      std::stable_sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) { return values_[a] < values_[b]; });
      sorted_ = true;
    }
    return order_;
  }

  std::string pred_;
  std::vector<double> values_;
  mutable std::mutex mutex_;
  mutable bool sorted_ = false;
  mutable std::vector<uint32_t> order_;
};
FUSE_METRIC(Mean, "fuse.metrics.mean", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
