// The rows a survival metric keeps: a risk (higher = earlier event), a time and an event per row, with merging
// and saved state; and SurvivalMetric, the part the C-index, the Kaplan-Meier curves and the time-dependent AUC
// share (as BinaryMetric is the ranking metrics').
#ifndef FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_
#define FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "common.h"

namespace fuse::metrics {

struct SurvivalRows {
  std::vector<double> risk, time;
  std::vector<uint8_t> event;

  size_t size() const { return risk.size(); }
  void clear() { risk.clear(), time.clear(), event.clear(); }
  // One batch: the risks `r` (read from key `pred` by the caller), and the batch's times and 0/1 events under
  // `time_key` and `event_key`. `longer`: the score predicts the time, so its negative is the risk. Refuses
  // counts that differ, a non-finite risk or time, and (`no_negative_times`) a negative time.
  void add(std::vector<double> r, const DictView& batch, const std::string& pred, const std::string& time_key, const std::string& event_key, bool longer,
           bool no_negative_times) {
    const std::vector<double> t = read_numbers(batch.tensor(time_key));
    const std::vector<int64_t> e = read_binary_labels(batch, event_key);
    if (r.size() != t.size() || r.size() != e.size())
      fail(FM_ERR_SHAPE, "'" + pred + "', '" + time_key + "' and '" + event_key + "' have different numbers of rows");
    for (size_t i = 0; i < r.size(); ++i) {
      if (!std::isfinite(r[i]) || !std::isfinite(t[i])) fail(FM_ERR_NUMERIC, "row " + std::to_string(i) + " has a non-finite risk or time");
      if (no_negative_times && t[i] < 0)
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + time_key + "': row " + std::to_string(i) + " has the negative time " + std::to_string(t[i]));
    }
    for (double x : r) risk.push_back(longer ? -x : x);
    time.insert(time.end(), t.begin(), t.end());
    for (int64_t x : e) event.push_back(static_cast<uint8_t>(x));
  }
  // The risks of a batch with one per row ([n] or [n, 1]) under `pred`.
  static std::vector<double> one_per_row(const DictView& batch, const std::string& pred) {
    TensorView p = batch.tensor(pred);
    if (!(p.ndim() == 1 || (p.ndim() == 2 && p.size(1) == 1)))
      fail(FM_ERR_SHAPE, "key '" + pred + "': expected one risk per row ([n] or [n, 1]), got shape " + sdk::shape_string(p.dl()));
    return read_numbers(p);
  }
  void merge(const SurvivalRows& o) {
    risk.insert(risk.end(), o.risk.begin(), o.risk.end());
    time.insert(time.end(), o.time.begin(), o.time.end());
    event.insert(event.end(), o.event.begin(), o.event.end());
  }
  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(risk.size()));
    w.write(risk.data(), risk.size() * sizeof(double));
    w.write(time.data(), time.size() * sizeof(double));
    w.write(event.data(), event.size());
  }
  void read(sdk::Reader& r) {
    const uint64_t n = r.read_value<uint64_t>();
    risk = r.read_array<double>(n);
    time = r.read_array<double>(n);
    event = r.read_array<uint8_t>(n);
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) { read(r); });
  }
};

// A number as written ("5", "2.5", "1.2"), for messages.
inline std::string number_text(double t) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", t);
  return text;
}

// Each row's weight in each of `groups` groups of equal total weight, taken along `order` (the rows by ascending
// score): a row's copies (its count in a bootstrap replicate) are placed one by one, as repeated rows would be.
inline std::vector<std::vector<double>> equal_groups(const std::vector<uint32_t>& order, const uint8_t* counts, size_t groups) {
  const size_t n = order.size();
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += weight(counts, i);
  std::vector<std::vector<double>> in_group(groups, std::vector<double>(n, 0.0));
  double before = 0;
  for (uint32_t row : order)
    for (double copy = 0; copy < weight(counts, row); ++copy, ++before)
      in_group[std::min(groups - 1, static_cast<size_t>((before + 0.5) / total * static_cast<double>(groups)))][row] += 1;
  return in_group;
}

// The Kaplan-Meier estimate G of staying uncensored, for inverse-probability-of-censoring weights (the
// time-dependent AUC, the Brier score): G(T-) just before each row's time (at one time, events come before
// censoring), and G(at), after the censorings at or before `at`.
struct Uncensored {
  std::vector<double> before;  // per row
  double at = 1;
};
inline Uncensored uncensored(const SurvivalRows& rows, const uint8_t* counts, double at) {
  const size_t n = rows.size();
  std::vector<uint32_t> by_time(n);
  std::iota(by_time.begin(), by_time.end(), 0u);
  std::stable_sort(by_time.begin(), by_time.end(), [&](uint32_t a, uint32_t b) { return rows.time[a] < rows.time[b]; });
  Uncensored u{std::vector<double>(n, 1.0), 1.0};
  double at_risk = 0, g = 1;
  for (size_t i = 0; i < n; ++i) at_risk += weight(counts, i);
  for (size_t k = 0; k < n;) {
    const double t = rows.time[by_time[k]];
    size_t end = k;
    double censored = 0, leaving = 0;
    for (; end < n && rows.time[by_time[end]] == t; ++end) {
      u.before[by_time[end]] = g;
      leaving += weight(counts, by_time[end]);
      if (!rows.event[by_time[end]]) censored += weight(counts, by_time[end]);
    }
    if (at_risk > 0) g *= 1 - censored / at_risk;
    if (t <= at) u.at = g;
    at_risk -= leaving;
    k = end;
  }
  return u;
}

// The Kaplan-Meier probability of no event by `horizon` among the rows of weights `w` (0: not in the group);
// NaN when none is followed that long (each censored before it) and the estimate has not reached 0.
inline double kaplan_meier_at(const SurvivalRows& rows, const std::vector<double>& w, double horizon) {
  const std::vector<double>& time = rows.time;
  std::vector<uint32_t> by_time;
  double at_risk = 0;
  for (uint32_t i = 0; i < w.size(); ++i)
    if (w[i] > 0) by_time.push_back(i), at_risk += w[i];
  std::stable_sort(by_time.begin(), by_time.end(), [&](uint32_t a, uint32_t b) { return time[a] < time[b]; });
  double survival = 1;
  for (size_t k = 0; k < by_time.size() && time[by_time[k]] <= horizon;) {
    const double t = time[by_time[k]];
    double died = 0, left = 0;
    for (; k < by_time.size() && time[by_time[k]] == t; ++k) {
      left += w[by_time[k]];
      if (rows.event[by_time[k]]) died += w[by_time[k]];
    }
    survival *= 1 - died / at_risk;
    at_risk -= left;
  }
  // Rows left at risk have times after the horizon; with none (and the estimate above 0) it is unknown there.
  const bool reached = !by_time.empty() && time[by_time.back()] >= horizon;
  return reached || survival == 0 ? survival : std::numeric_limits<double>::quiet_NaN();
}

// The Brier score at `horizon` with inverse-probability-of-censoring weights (Graf et al., 1999), of the
// predicted probabilities of no event `survival(i)` and of the Kaplan-Meier estimate given to every row: a row
// with its event by the horizon scores (0 - S)^2 / G(T-), a row followed past it (1 - S)^2 / G(horizon), a row
// censored before it 0; sums over all rows' weights. `known`: the weight of the rows scored (0: none).
struct BrierAt {
  double brier = 0, null = 0, known = 0;
};
template <class Survival>
BrierAt brier_at(const SurvivalRows& rows, const uint8_t* counts, double horizon, Survival&& survival) {
  const size_t n = rows.size();
  const Uncensored g = uncensored(rows, counts, horizon);
  std::vector<double> w(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += w[i] = weight(counts, i);
  const double everyone = kaplan_meier_at(rows, w, horizon);
  BrierAt b;
  for (size_t i = 0; i < n; ++i) {
    double status, ipcw;  // whether event-free at the horizon, and the row's weight
    if (rows.time[i] <= horizon && rows.event[i]) status = 0, ipcw = 1 / g.before[i];
    else if (rows.time[i] > horizon) status = 1, ipcw = 1 / g.at;
    else continue;  // censored before the horizon: unknown there
    const double s = survival(i);
    b.known += w[i];
    b.brier += w[i] * ipcw * (status - s) * (status - s);
    b.null += w[i] * ipcw * (status - everyone) * (status - everyone);
  }
  b.brier /= total, b.null /= total;
  return b;
}

// Reads 'pred', 'time', 'event' and 'higher_is_longer', keeps the rows, and gives a metric all but its update
// and its compute_weighted(inputs, counts, n, result).
template <class Derived>
class SurvivalMetric {
 public:
  explicit SurvivalMetric(const DictView& config)
      : pred_(config.get_string("pred")),
        time_(config.get_string("time")),
        event_(config.get_string("event")),
        longer_(config.get_bool("higher_is_longer")) {}
  void reset() { rows_.clear(); }
  void merge(const Derived& other) { rows_.merge(other.rows_); }
  void compute(Dict& result) const { static_cast<const Derived*>(this)->compute_weighted(nullptr, nullptr, rows_.size(), result); }
  void save(sdk::Writer& w) const { rows_.save(w); }
  void load(const void* data, size_t size) { rows_.load(data, size); }

 protected:
  // The update of a metric of one risk per row, which refuses negative times.
  void add_one_risk_per_row(const DictView& batch) { rows_.add(SurvivalRows::one_per_row(batch, pred_), batch, pred_, time_, event_, longer_, true); }
  void check_rows(size_t n) const {
    if (n != rows_.size()) fail(FM_ERR_INVALID_ARGUMENT, "counts do not match the rows seen");
  }
  // Each row's predicted probability of no event by `horizon`: the prediction itself (higher_is_longer), else
  // 1 - it (a probability of the event). Refuses a value outside [0, 1].
  std::vector<double> survival_probabilities(double horizon) const {
    std::vector<double> p(rows_.size());
    for (size_t i = 0; i < p.size(); ++i) {
      const double given = longer_ ? -rows_.risk[i] : rows_.risk[i];  // the stored risk is negated for higher_is_longer
      p[i] = longer_ ? given : 1 - given;
      if (!(given >= 0 && given <= 1))
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + pred_ + "': row " + std::to_string(i) + " holds " + number_text(given) + ", not a probability (of no event by " +
                                          number_text(horizon) + (longer_ ? "" : "; of the event, as higher_is_longer is false") + ")");
    }
    return p;
  }

  std::string pred_, time_, event_;
  bool longer_;
  SurvivalRows rows_;
};

}  // namespace fuse::metrics

#endif  // FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_
