// The rows a survival metric keeps: a risk (higher = earlier event), a time and an event per row, with merging
// and saved state. Shared by the C-index and the Kaplan-Meier curves.
#ifndef FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_
#define FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_

#include <cstdint>
#include <vector>

#include "common.h"

namespace fuse::metrics {

struct SurvivalRows {
  std::vector<double> risk, time;
  std::vector<uint8_t> event;

  size_t size() const { return risk.size(); }
  void clear() { risk.clear(), time.clear(), event.clear(); }
  // Rows of one batch (the caller has checked that they are as many and finite).
  void append(const std::vector<double>& r, const std::vector<double>& t, const std::vector<int64_t>& e) {
    risk.insert(risk.end(), r.begin(), r.end());
    time.insert(time.end(), t.begin(), t.end());
    for (int64_t x : e) event.push_back(static_cast<uint8_t>(x));
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
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      const uint64_t n = r.read_value<uint64_t>();
      risk = r.read_array<double>(n);
      time = r.read_array<double>(n);
      event = r.read_array<uint8_t>(n);
    });
  }
};

}  // namespace fuse::metrics

#endif  // FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ROWS_H_
