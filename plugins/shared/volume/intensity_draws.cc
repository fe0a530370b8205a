#include "intensity_draws.h"

#include <cmath>

namespace fuse::volume {

double draw_gamma(sdk::Random& rng, Range log_gamma) { return std::exp(rng.uniform(log_gamma.first, log_gamma.second)); }

NoiseDraw draw_noise(sdk::Random& rng, Range sd) {
  NoiseDraw d;
  d.sd = rng.uniform(sd.first, sd.second);
  d.stream = rng.next();
  return d;
}

std::vector<double> draw_bias_coefficients(sdk::Random& rng, Range range, int order, int dims) {
  const int o = order + 1, kz = dims == 3 ? o : 1;
  std::vector<double> c(static_cast<size_t>(o * o * kz), 0.0);
  for (int k = 0; k < kz; ++k)
    for (int j = 0; j < o; ++j)
      for (int i = 0; i < o; ++i)
        if (i + j + k <= order) c[static_cast<size_t>((k * o + j) * o + i)] = rng.uniform(range.first, range.second);
  return c;
}

std::vector<double> bias_powers(int64_t n, int o) {
  std::vector<double> p(static_cast<size_t>(n * o));
  for (int64_t i = 0; i < n; ++i) {
    const double t = n > 1 ? -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    double v = 1;
    for (int e = 0; e < o; ++e, v *= t) p[static_cast<size_t>(i * o + e)] = v;
  }
  return p;
}

}  // namespace fuse::volume
