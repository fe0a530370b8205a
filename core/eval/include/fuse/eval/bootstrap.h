// The statistics behind confidence intervals: replicate counts (bootstrap resampling, stratified), quantiles,
// percentile and BCa intervals, and the normal distribution they need. Pure functions: results depend only on
// the seed and the round, never on threads.
#ifndef FUSE_EVAL_BOOTSTRAP_H_
#define FUSE_EVAL_BOOTSTRAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fuse::eval {

// Rows a replicate draws from: either the contiguous range [begin, end) or rows[begin..end) of a list.
struct Stratum {
  size_t begin = 0;
  size_t end = 0;
  const uint32_t* rows = nullptr;
  size_t size() const { return end - begin; }
};

// One bootstrap replicate: each stratum draws its own size of rows uniformly with replacement (so class counts
// are kept when the strata are the classes). `counts` (one per row, all rows) is overwritten: rows outside every
// stratum get 0. The draw is a pure function of (seed, round). A row drawn more than 255 times (probability
// below 1e-500 for any real data set) makes the replicate be drawn again with the next sub-seed.
void draw_counts(uint64_t seed, uint64_t round, const std::vector<Stratum>& strata, std::vector<uint8_t>& counts);

// The q-quantile (0..1) of sorted values, linear between order statistics (R type 7, NumPy's default).
double quantile(const std::vector<double>& sorted, double q);

// Standard normal CDF and its inverse (Wichura's AS 241, about 1e-16 relative accuracy).
double normal_cdf(double x);
double normal_quantile(double p);

struct Interval {
  double lower = 0;
  double upper = 0;
};

// The percentile interval of bootstrap replicates at `level` (e.g. 0.95). NaN replicates are ignored.
Interval percentile_interval(std::vector<double> replicates, double level);

// Efron's bias-corrected and accelerated interval: the bias correction from the share of replicates below the
// estimate (ties count half), the acceleration from jackknife estimates (leave-one-out, or leave-one-group-out
// for large data). Falls back to the percentile interval when the replicates are all on one side.
Interval bca_interval(std::vector<double> replicates, double estimate, const std::vector<double>& jackknife, double level);

}  // namespace fuse::eval

#endif  // FUSE_EVAL_BOOTSTRAP_H_
