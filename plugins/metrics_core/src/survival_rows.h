// The rows a survival metric keeps: a risk (higher = earlier event), a time and an event per row, with merging
// and saved state; and SurvivalMetric, the part the survival metrics of one prediction per row share (as
// BinaryMetric is the ranking metrics'). The estimates they compute from the rows: survival_estimates.h.
#ifndef FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_
#define FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
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
