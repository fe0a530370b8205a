// What the survival metrics estimate from their rows (survival_rows.h), each weighted by a bootstrap
// replicate's counts: groups of equal size by prediction, the Kaplan-Meier estimates of staying uncensored and
// of no event by a time, and the censoring-weighted Brier score.
#ifndef FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ESTIMATES_H_
#define FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ESTIMATES_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "common.h"
#include "survival_rows.h"

namespace fuse::metrics {

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

// The rows by ascending time (ties in row order). It does not depend on a replicate's counts: a metric sorts
// once per compute and passes it to the estimates below.
inline std::vector<uint32_t> time_order(const SurvivalRows& rows) {
  std::vector<uint32_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return rows.time[a] < rows.time[b]; });
  return order;
}

// The Kaplan-Meier estimate G of staying uncensored, for inverse-probability-of-censoring weights (the
// time-dependent AUC, the Brier score): G(T-) just before each row's time (at one time, events come before
// censoring), and G(at), after the censorings at or before `at`.
struct Uncensored {
  std::vector<double> before;  // per row
  double at = 1;
};
inline Uncensored uncensored(const SurvivalRows& rows, const std::vector<uint32_t>& by_time, const uint8_t* counts, double at) {
  const size_t n = rows.size();
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

// The Kaplan-Meier probability of no event by `horizon` among the rows of weights `w` (0: not in the group),
// `order` the rows by time (time_order); NaN when none is followed that long (each censored before it) and the
// estimate has not reached 0.
inline double kaplan_meier_at(const SurvivalRows& rows, const std::vector<uint32_t>& order, const std::vector<double>& w, double horizon) {
  const std::vector<double>& time = rows.time;
  std::vector<uint32_t> by_time;
  double at_risk = 0;
  for (uint32_t i : order)
    if (w[i] > 0) by_time.push_back(i), at_risk += w[i];
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
// censored before it 0; sums over all rows' weights. `by_time`: time_order. `known`: the weight of the rows
// scored (0: none).
struct BrierAt {
  double brier = 0, null = 0, known = 0;
};
template <class Survival>
BrierAt brier_at(const SurvivalRows& rows, const std::vector<uint32_t>& by_time, const uint8_t* counts, double horizon, Survival&& survival) {
  const size_t n = rows.size();
  const Uncensored g = uncensored(rows, by_time, counts, horizon);
  std::vector<double> w(n);
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += w[i] = weight(counts, i);
  const double everyone = kaplan_meier_at(rows, by_time, w, horizon);
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

}  // namespace fuse::metrics

#endif  // FUSE_PLUGINS_METRICS_CORE_SURVIVAL_ESTIMATES_H_
