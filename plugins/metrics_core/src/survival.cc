// Survival: Harrell's concordance index in O(n log n) (a Fenwick tree over risk ranks), weighted.
// A pair (i, j) is comparable when i had the event strictly before j's time, or at the same time as j was
// censored; it is concordant when i's risk is higher; equal risks count one half. Two events at the same time
// are not comparable. The score may also be one column of a classifier's output, or the expected time bin of a
// discrete-time model's per-bin event probabilities (FuseMedML's expected C-index).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "common.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

class Fenwick {
 public:
  explicit Fenwick(size_t n) : tree_(n + 1, 0.0) {}
  void add(size_t i, double v) {
    for (++i; i < tree_.size(); i += i & (~i + 1)) tree_[i] += v;
  }
  double prefix(size_t i) const {  // sum of [0, i)
    double s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += tree_[i];
    return s;
  }

 private:
  std::vector<double> tree_;
};

class CIndex : public SurvivalMetric<CIndex> {
 public:
  explicit CIndex(const DictView& config)
      : SurvivalMetric(config),
        column_(config.find_int("column")),
        distribution_(config.get_bool("distribution")) {
    if (column_ && distribution_)
      fail(FM_ERR_INVALID_ARGUMENT, "'column' and 'distribution' exclude each other: a column is a risk, a distribution gives an expected time");
    if (distribution_ && longer_)
      fail(FM_ERR_INVALID_ARGUMENT, "'higher_is_longer' does not apply with 'distribution', whose expected time is always longer for longer survival");
  }

  void update(const DictView& batch) { rows_.add(risks(batch), batch, pred_, time_, event_, longer_, false); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(n);
    const std::vector<double>& risk_of = rows_.risk;
    const std::vector<double>& time_of = rows_.time;
    const std::vector<uint8_t>& event_of = rows_.event;
    // Risk ranks (equal risks share a rank) and rows by descending time.
    std::vector<double> levels(risk_of);
    std::sort(levels.begin(), levels.end());
    levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
    std::vector<uint32_t> by_time(n);
    std::iota(by_time.begin(), by_time.end(), 0u);
    std::sort(by_time.begin(), by_time.end(), [&](uint32_t a, uint32_t b) { return time_of[a] > time_of[b]; });
    auto rank = [&](uint32_t i) { return static_cast<size_t>(std::lower_bound(levels.begin(), levels.end(), risk_of[i]) - levels.begin()); };
    Fenwick later(levels.size());  // rows known to survive past the current time
    double inserted = 0, concordant = 0, comparable = 0;
    for (size_t g = 0; g < n;) {
      size_t end = g;
      while (end < n && time_of[by_time[end]] == time_of[by_time[g]]) ++end;
      // Censored rows of this time outlive this time's events: add them before the events look.
      for (size_t k = g; k < end; ++k)
        if (!event_of[by_time[k]]) later.add(rank(by_time[k]), weight(counts, by_time[k])), inserted += weight(counts, by_time[k]);
      for (size_t k = g; k < end; ++k) {
        const uint32_t i = by_time[k];
        const double w = weight(counts, i);
        if (!event_of[i] || w == 0) continue;
        const size_t r = rank(i);
        const double lower = later.prefix(r), equal = later.prefix(r + 1) - lower;
        concordant += w * (lower + 0.5 * equal);
        comparable += w * inserted;
      }
      for (size_t k = g; k < end; ++k)
        if (event_of[by_time[k]]) later.add(rank(by_time[k]), weight(counts, by_time[k])), inserted += weight(counts, by_time[k]);
      g = end;
    }
    if (comparable == 0) fail(FM_ERR_NUMERIC, "the concordance index needs at least one comparable pair (an event before another row's time)");
    result.set_double("c_index", concordant / comparable);
    result.set_double("comparable_pairs", comparable);
  }

 private:
  // One score per row, higher = earlier event (before `higher_is_longer`).
  std::vector<double> risks(const DictView& batch) const {
    TensorView t = batch.tensor(pred_);
    std::vector<double> v = read_numbers(t);
    const std::string shape = sdk::shape_string(t.dl());
    if (!column_ && !distribution_) {
      if (!(t.ndim() == 1 || (t.ndim() == 2 && t.size(1) == 1)))
        fail(FM_ERR_SHAPE, "key '" + pred_ + "': expected one risk per row ([n] or [n, 1]), got shape " + shape +
                               "; set 'column' to score by one column, or 'distribution' for per-bin event probabilities");
      return v;
    }
    if (t.ndim() != 2)
      fail(FM_ERR_SHAPE, "key '" + pred_ + "': '" + (distribution_ ? "distribution" : "column") + "' needs a row per sample ([n, K]), got shape " + shape);
    const int64_t n = t.size(0), k = t.size(1);
    std::vector<double> out(static_cast<size_t>(n));
    if (column_) {
      const int64_t c = *column_ < 0 ? *column_ + k : *column_;
      if (c < 0 || c >= k) fail(FM_ERR_INVALID_ARGUMENT, "'column' " + std::to_string(*column_) + " is outside the " + std::to_string(k) + " columns of '" + pred_ + "'");
      for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = v[static_cast<size_t>(i * k + c)];
      return out;
    }
    for (int64_t i = 0; i < n; ++i) {
      double sum = 0, expected = 0;
      for (int64_t b = 0; b < k; ++b) {
        const double p = v[static_cast<size_t>(i * k + b)];
        if (!(p >= 0)) fail(FM_ERR_INVALID_ARGUMENT, "key '" + pred_ + "': row " + std::to_string(i) + " has the probability " + std::to_string(p) + " in bin " + std::to_string(b));
        sum += p, expected += p * static_cast<double>(b);
      }
      if (std::abs(sum - 1) > 1e-3)
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + pred_ + "': row " + std::to_string(i) + " sums to " + std::to_string(sum) +
                                          "; 'distribution' expects per-bin event probabilities that sum to 1 (a softmax over time bins)");
      out[static_cast<size_t>(i)] = -expected;  // a later expected bin is a lower risk
    }
    return out;
  }

  std::optional<int64_t> column_;
  bool distribution_;
};
FUSE_METRIC(CIndex, "fuse.metrics.c_index", "1.1.0")

}  // namespace
}  // namespace fuse::metrics
