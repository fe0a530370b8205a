#include "fuse/eval/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fuse::eval {
namespace {

uint64_t mix(uint64_t z) {  // splitmix64's finaliser
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

__extension__ typedef unsigned __int128 uint128;  // GCC and Clang; __extension__ keeps -pedantic quiet

// A uniform draw in [0, n): the high half of a 64 x 64 bit product (Lemire), bias below n / 2^64.
uint64_t below(uint64_t random, uint64_t n) { return static_cast<uint64_t>((static_cast<uint128>(random) * n) >> 64); }

}  // namespace

void draw_counts(uint64_t seed, uint64_t round, const std::vector<Stratum>& strata, std::vector<uint8_t>& counts) {
  for (uint64_t attempt = 0;; ++attempt) {
    std::fill(counts.begin(), counts.end(), uint8_t{0});
    bool overflow = false;
    uint64_t state = mix(seed ^ mix(round * kGolden + attempt + 1));
    for (const Stratum& s : strata) {
      const uint64_t n = s.size();
      for (uint64_t j = 0; j < n; ++j) {
        state += kGolden;
        const uint64_t pick = below(mix(state), n);
        const size_t row = s.rows ? s.rows[s.begin + pick] : s.begin + pick;
        if (counts[row] == 255) overflow = true;
        else ++counts[row];
      }
    }
    if (!overflow) return;
  }
}

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  // Wichura, Algorithm AS 241 (PPND16), Applied Statistics 37 (1988).
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  const double q = p - 0.5;
  if (std::abs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
                    45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
                 133.14166789178437745) * r + 3.387132872796366608) /
           (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
                21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
             42.313330701600911252) * r + 1.0);
  }
  double r = q < 0 ? p : 1 - p;
  r = std::sqrt(-std::log(r));
  double x;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
            1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
          4.6303378461565452959) * r + 1.42343711074968357734) /
        (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
             0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
          2.05319162663775882187) * r + 1.0);
  } else {
    r -= 5;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
            0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
          5.4637849111641143699) * r + 6.6579046435011037772) /
        (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
             7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
          0.59983220655588793769) * r + 1.0);
  }
  return q < 0 ? -x : x;
}

namespace {
std::vector<double> finite_sorted(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace

Interval percentile_interval(std::vector<double> replicates, double level) {
  const std::vector<double> s = finite_sorted(std::move(replicates));
  const double alpha = (1 - level) / 2;
  return Interval{quantile(s, alpha), quantile(s, 1 - alpha)};
}

Interval bca_interval(std::vector<double> replicates, double estimate, const std::vector<double>& jackknife, double level) {
  const std::vector<double> s = finite_sorted(std::move(replicates));
  if (s.empty()) return Interval{std::nan(""), std::nan("")};
  double below = 0;
  for (double v : s) below += v < estimate ? 1.0 : v == estimate ? 0.5 : 0.0;
  const double share = below / static_cast<double>(s.size());
  if (share <= 0 || share >= 1) return percentile_interval(s, level);
  const double z0 = normal_quantile(share);
  double mean = 0, n = 0;
  for (double v : jackknife)
    if (!std::isnan(v)) mean += v, n += 1;
  mean /= n;
  double num = 0, den = 0;
  for (double v : jackknife) {
    if (std::isnan(v)) continue;
    const double d = mean - v;
    num += d * d * d;
    den += d * d;
  }
  const double a = den > 0 ? num / (6 * std::pow(den, 1.5)) : 0.0;
  const double alpha = (1 - level) / 2;
  auto adjusted = [&](double p) {
    const double z = normal_quantile(p);
    return normal_cdf(z0 + (z0 + z) / (1 - a * (z0 + z)));
  };
  return Interval{quantile(s, adjusted(alpha)), quantile(s, adjusted(1 - alpha))};
}

}  // namespace fuse::eval
