// AUC from tie groups and its Poisson bootstrap: the arithmetic the GPU metric (cuda_metrics) and its CPU twin
// share. Scores sorted ascending and grouped by equal score give (positives, negatives) per group; the AUC is
// sum_g P_g (2 N_below_g + N_g) / (2 P N), in integers, so it is exact whatever the summation order.
// A bootstrap replicate redraws every group's counts as Poisson(P_g) and Poisson(N_g) (the Poisson bootstrap:
// each row counted Poisson(1) times, and a sum of Poisson(1) is Poisson of the sum), from a counter stream per
// round, so rounds run in parallel and the GPU draws what the CPU draws.
#ifndef FUSE_PLUGINS_SHARED_KERNELS_POISSON_AUC_H_
#define FUSE_PLUGINS_SHARED_KERNELS_POISSON_AUC_H_

#include <cmath>
#include <cstdint>

#include "counter_random.h"
#include "hd.h"

namespace fuse::kernels {

// The counter stream of bootstrap round `round` (round 0 onwards) of a run seeded with `seed`.
FUSE_HD uint64_t round_stream(uint64_t seed, uint64_t round) { return mix64(seed ^ mix64(round + 1)); }

// Poisson(lambda) from the uniforms (stream, base), (stream, base + 1), ...: inversion for small lambda,
// Hormann's transformed rejection (PTRS) above.
FUSE_HD uint64_t poisson(double lambda, uint64_t stream, uint64_t base) {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const double u = counter_uniform(stream, base);
    double p = exp(-lambda), cdf = p;
    uint64_t k = 0;
    while (u > cdf && k < 1000) {
      ++k;
      p *= lambda / static_cast<double>(k);
      cdf += p;
    }
    return k;
  }
  const double slam = sqrt(lambda), loglam = log(lambda);
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (uint64_t j = 0;; j += 2) {
    const double u = counter_uniform(stream, base + j) - 0.5, v = counter_uniform(stream, base + j + 1);
    const double us = 0.5 - fabs(u);
    const double k = floor((2 * a / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<uint64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma(k + 1)) return static_cast<uint64_t>(k);
  }
}

// Group g's redrawn counts in a round: positives from counters (4g) << 16, negatives from (4g + 2) << 16 on.
FUSE_HD uint64_t redraw_counter(uint64_t g, int negative) { return (4 * g + 2 * static_cast<uint64_t>(negative)) << 16; }
FUSE_HD uint64_t redraw(uint64_t count, uint64_t stream, uint64_t g, int negative) {
  return poisson(static_cast<double>(count), stream, redraw_counter(g, negative));
}

// poisson()'s inversion for the integer lambdas 1 .. kTableLambdas - 1 as a table: row lambda holds the
// cumulative sums it compares u with, term by term as it adds them (kTableTerms, its bound on k). A draw is then
// the first k with u <= cdf[k] (kTableTerms when none): the same integers with no exp() or division per draw,
// which were most of the GPU bootstrap's time. The rows are made on the host with the CPU's arithmetic.
inline constexpr int kTableLambdas = 30, kTableTerms = 1000;

inline void poisson_cdf_row(int lambda, double* row) {
  const double l = static_cast<double>(lambda);
  double p = std::exp(-l), cdf = p;
  row[0] = cdf;
  for (int k = 1; k < kTableTerms; ++k) {
    p *= l / static_cast<double>(k);
    cdf += p;
    row[k] = cdf;
  }
}

// redraw() with the table (kTableLambdas rows of kTableTerms) for counts below kTableLambdas.
FUSE_HD uint64_t redraw_from_table(uint64_t count, uint64_t stream, uint64_t g, int negative, const double* table) {
  if (count == 0 || count >= static_cast<uint64_t>(kTableLambdas)) return redraw(count, stream, g, negative);
  const double u = counter_uniform(stream, redraw_counter(g, negative));
  const double* row = table + count * kTableTerms;
  uint64_t k = 0;
  while (k < static_cast<uint64_t>(kTableTerms) && u > row[k]) ++k;
  return k;
}

// Twice the AUC's numerator and its denominator parts, accumulated over groups in ascending score order.
struct AucSums {
  uint64_t twice_num = 0, pos = 0, neg = 0;
};

FUSE_HD void add_group(AucSums& s, uint64_t p, uint64_t n) {
  s.twice_num += p * (2 * s.neg + n);
  s.pos += p;
  s.neg += n;
}

// The AUC of the sums, NaN when a class is missing (a replicate the caller skips and counts).
FUSE_HD double auc_of(const AucSums& s) {
  return s.pos == 0 || s.neg == 0 ? NAN : static_cast<double>(s.twice_num) / (2.0 * static_cast<double>(s.pos) * static_cast<double>(s.neg));
}

// One bootstrap round on the CPU: the twin of the GPU's block-parallel round.
FUSE_HD double bootstrap_round(const uint64_t* pos, const uint64_t* neg, uint64_t groups, uint64_t seed, uint64_t round) {
  const uint64_t stream = round_stream(seed, round);
  AucSums s;
  for (uint64_t g = 0; g < groups; ++g) add_group(s, redraw(pos[g], stream, g, 0), redraw(neg[g], stream, g, 1));
  return auc_of(s);
}

}  // namespace fuse::kernels

#endif  // FUSE_PLUGINS_SHARED_KERNELS_POISSON_AUC_H_
