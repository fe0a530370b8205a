#include "fuse/eval/t_test.h"

#include <cmath>
#include <string>

#include <boost/math/distributions/students_t.hpp>

#include "fuse/base/error.h"

namespace fuse::eval {

namespace {

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double variance(const std::vector<double>& v, double m) {  // n - 1
  double squares = 0;
  for (double x : v) squares += (x - m) * (x - m);
  return squares / static_cast<double>(v.size() - 1);
}

// The difference `d` with standard error `se` on `df` degrees of freedom.
TTest from_t(double d, double se, double df, double level) {
  const boost::math::students_t t(df);
  const double half = boost::math::quantile(t, 0.5 + level / 2) * se;
  const double statistic = d / se;
  return TTest{d, d - half, d + half, 2 * boost::math::cdf(boost::math::complement(t, std::abs(statistic))), df};
}

void check_level(double level) {
  if (!(level > 0 && level < 1)) throw Error(Errc::kInvalidArgument, "the interval's level must be between 0 and 1, got " + std::to_string(level));
}

}  // namespace

TTest welch_t_test(const std::vector<double>& a, const std::vector<double>& b, double level) {
  check_level(level);
  if (a.size() < 2 || b.size() < 2)
    throw Error(Errc::kInvalidArgument, "a t-test needs two or more values on each side (their spread), got " + std::to_string(a.size()) + " and " +
                                            std::to_string(b.size()));
  const double ma = mean(a), mb = mean(b);
  const double va = variance(a, ma) / static_cast<double>(a.size()), vb = variance(b, mb) / static_cast<double>(b.size());
  if (!(va + vb > 0)) throw Error(Errc::kInvalidArgument, "a t-test needs values that vary: both sides are constant");
  const double df = (va + vb) * (va + vb) / (va * va / static_cast<double>(a.size() - 1) + vb * vb / static_cast<double>(b.size() - 1));
  return from_t(mb - ma, std::sqrt(va + vb), df, level);
}

TTest paired_t_test(const std::vector<double>& a, const std::vector<double>& b, double correction, double level) {
  check_level(level);
  if (a.size() != b.size() || a.size() < 2)
    throw Error(Errc::kInvalidArgument, "a paired t-test needs two or more pairs, got " + std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                                            " values");
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = b[i] - a[i];
  const double m = mean(d), v = variance(d, m);
  if (!(v > 0)) throw Error(Errc::kInvalidArgument, "a paired t-test needs differences that vary: every pair differs by the same amount");
  return from_t(m, std::sqrt(v * correction), static_cast<double>(d.size() - 1), level);
}

}  // namespace fuse::eval
