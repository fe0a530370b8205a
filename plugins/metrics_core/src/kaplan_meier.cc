// Kaplan-Meier survival curves of the rows split by predicted risk (quantile groups, lowest risk first), on a
// fixed time grid so that replicates give comparable curves (report.html's chart), and the log-rank test of
// the groups' difference. A model whose risk separates patients shows curves apart and a small p.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "common.h"
#include "survival_estimates.h"
#include "survival_rows.h"

namespace fuse::metrics {
namespace {

// The regularised upper incomplete gamma function Q(a, x): a series below a + 1, a continued fraction above.
double upper_gamma_q(double a, double x) {
  if (x <= 0) return 1;
  const double log_front = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    double term = 1 / a, sum = term;
    for (int n = 1; n < 500 && std::abs(term) > std::abs(sum) * 1e-15; ++n) sum += term *= x / (a + n);
    return 1 - sum * std::exp(log_front);
  }
  // Lentz's evaluation of the continued fraction 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)).
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, f = d;
  for (int n = 1; n < 500; ++n) {
    const double an = -n * (n - a);
    b += 2;
    d = an * d + b;
    d = std::abs(d) < tiny ? tiny : d;
    c = b + an / c;
    c = std::abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const double step = d * c;
    f *= step;
    if (std::abs(step - 1) < 1e-15) break;
  }
  return std::exp(log_front) * f;
}

// Solves the k x k system `m` z = `v` by Gaussian elimination with partial pivoting; false when singular.
bool solve(std::vector<std::vector<double>> m, std::vector<double> v, std::vector<double>& z) {
  const size_t k = v.size();
  for (size_t col = 0; col < k; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < k; ++r)
      if (std::abs(m[r][col]) > std::abs(m[pivot][col])) pivot = r;
    if (std::abs(m[pivot][col]) < 1e-12) return false;
    std::swap(m[pivot], m[col]), std::swap(v[pivot], v[col]);
    for (size_t r = col + 1; r < k; ++r) {
      const double f = m[r][col] / m[col][col];
      for (size_t c = col; c < k; ++c) m[r][c] -= f * m[col][c];
      v[r] -= f * v[col];
    }
  }
  z.assign(k, 0);
  for (size_t r = k; r-- > 0;) {
    double s = v[r];
    for (size_t c = r + 1; c < k; ++c) s -= m[r][c] * z[c];
    z[r] = s / m[r][r];
  }
  return true;
}

class KaplanMeier : public SurvivalMetric<KaplanMeier> {
 public:
  explicit KaplanMeier(const DictView& config)
      : SurvivalMetric(config),
        groups_(static_cast<size_t>(config.get_int("groups"))),
        points_(static_cast<size_t>(config.get_int("points"))) {}

  void update(const DictView& batch) { add_one_risk_per_row(batch); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(n);
    const std::vector<double>& risk_of = rows_.risk;
    const std::vector<double>& time_of = rows_.time;
    const std::vector<uint8_t>& event_of = rows_.event;
    if (n == 0) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    // Each row's weight in each risk group, by ascending risk.
    std::vector<uint32_t> by_risk(n);
    std::iota(by_risk.begin(), by_risk.end(), 0u);
    std::stable_sort(by_risk.begin(), by_risk.end(), [&](uint32_t a, uint32_t b) { return risk_of[a] < risk_of[b]; });
    const std::vector<std::vector<double>> in_group = equal_groups(by_risk, counts, groups_);

    // The grid: 0 to the longest time of all rows (not of this replicate, so that every replicate shares it).
    const double longest = *std::max_element(time_of.begin(), time_of.end());
    std::vector<double> grid(points_);
    for (size_t i = 0; i < points_; ++i) grid[i] = longest * static_cast<double>(i) / static_cast<double>(points_ - 1);
    result.set_tensor("km_time", vector_tensor(grid));

    const std::vector<uint32_t> by_time = time_order(rows_);
    // Walk the distinct times once: per group its survival, at risk, and the log-rank sums.
    std::vector<double> at_risk(groups_, 0.0), survival(groups_, 1.0), last_time(groups_, -1.0);
    for (size_t g = 0; g < groups_; ++g)
      for (size_t i = 0; i < n; ++i) {
        at_risk[g] += in_group[g][i];
        if (in_group[g][i] > 0) last_time[g] = std::max(last_time[g], time_of[i]);
      }
    std::vector<std::vector<double>> curves(groups_, std::vector<double>(points_, kNaN));
    std::vector<double> observed(groups_, 0.0), expected(groups_, 0.0);
    std::vector<std::vector<double>> variance(groups_, std::vector<double>(groups_, 0.0));
    size_t next_point = 0;
    const auto fill_until = [&](double t, bool inclusive) {  // grid points before t (or at it) take the current survival
      for (; next_point < points_ && (grid[next_point] < t || (inclusive && grid[next_point] == t)); ++next_point)
        for (size_t g = 0; g < groups_; ++g)
          if (grid[next_point] <= last_time[g]) curves[g][next_point] = survival[g];
    };
    for (size_t k = 0; k < n;) {
      const double t = time_of[by_time[k]];
      fill_until(t, false);
      size_t end = k;
      std::vector<double> died(groups_, 0.0), left(groups_, 0.0);
      for (; end < n && time_of[by_time[end]] == t; ++end)
        for (size_t g = 0; g < groups_; ++g) {
          const double w = in_group[g][by_time[end]];
          left[g] += w;
          if (event_of[by_time[end]]) died[g] += w;
        }
      const double all_at_risk = std::accumulate(at_risk.begin(), at_risk.end(), 0.0), all_died = std::accumulate(died.begin(), died.end(), 0.0);
      if (all_died > 0) {
        for (size_t g = 0; g < groups_; ++g) {
          observed[g] += died[g];
          expected[g] += all_died * at_risk[g] / all_at_risk;
          if (all_at_risk > 1)
            for (size_t h = 0; h < groups_; ++h)
              variance[g][h] += all_died * (all_at_risk - all_died) / (all_at_risk - 1) * at_risk[g] / all_at_risk *
                                ((g == h ? 1.0 : 0.0) - at_risk[h] / all_at_risk);
        }
        for (size_t g = 0; g < groups_; ++g)
          if (at_risk[g] > 0) survival[g] *= 1 - died[g] / at_risk[g];
      }
      for (size_t g = 0; g < groups_; ++g) at_risk[g] -= left[g];
      fill_until(t, true);
      k = end;
    }
    for (size_t g = 0; g < groups_; ++g) result.set_tensor("survival_" + std::to_string(g + 1), vector_tensor(curves[g]));

    const double events = std::accumulate(observed.begin(), observed.end(), 0.0);
    if (events == 0) fail(FM_ERR_NUMERIC, "the log-rank test needs at least one event (1 in '" + event_ + "')");
    // The statistic over the first groups - 1 (the last is determined by them), chi-square with groups - 1 df.
    const size_t free = groups_ - 1;
    std::vector<std::vector<double>> v(free, std::vector<double>(free));
    std::vector<double> difference(free), z;
    for (size_t g = 0; g < free; ++g) {
      difference[g] = observed[g] - expected[g];
      for (size_t h = 0; h < free; ++h) v[g][h] = variance[g][h];
    }
    double chi2 = kNaN;
    if (solve(v, difference, z)) {
      chi2 = 0;
      for (size_t g = 0; g < free; ++g) chi2 += difference[g] * z[g];
    }
    result.set_double("logrank_chi2", chi2);
    result.set_double("logrank_p", std::isnan(chi2) ? kNaN : upper_gamma_q(static_cast<double>(free) / 2, std::max(0.0, chi2) / 2));
  }

 private:
  size_t groups_, points_;
};
FUSE_METRIC(KaplanMeier, "fuse.metrics.kaplan_meier", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
