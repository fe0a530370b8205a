#include "distance.h"

#include <cstddef>
#include <limits>

namespace fuse::metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// One line: f[i] <- min_j (f[j] + ((i - j) s)^2), for n samples `stride` apart at spacing s. The lower envelope
// of the parabolas rooted at the finite samples; a line without any stays infinite.
void transform_line(double* f, size_t n, size_t stride, double s, std::vector<double>& d, std::vector<size_t>& v,
                    std::vector<double>& z) {
  d.resize(n);
  v.resize(n);
  z.resize(n + 1);
  ptrdiff_t k = -1;
  for (size_t q = 0; q < n; ++q) {
    const double fq = f[q * stride];
    if (fq == kInf) continue;
    const double pq = static_cast<double>(q) * s;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -kInf;
      z[1] = kInf;
      continue;
    }
    double x = 0;
    while (true) {  // z[0] = -inf stops this at k = 0 at the latest
      const double pv = static_cast<double>(v[static_cast<size_t>(k)]) * s, fv = f[v[static_cast<size_t>(k)] * stride];
      x = ((fq + pq * pq) - (fv + pv * pv)) / (2 * (pq - pv));  // where q's parabola overtakes v[k]'s
      if (x > z[static_cast<size_t>(k)]) break;
      --k;
    }
    ++k;
    v[static_cast<size_t>(k)] = q;
    z[static_cast<size_t>(k)] = x;
    z[static_cast<size_t>(k) + 1] = kInf;
  }
  if (k < 0) return;
  size_t j = 0;
  for (size_t q = 0; q < n; ++q) {
    const double pq = static_cast<double>(q) * s;
    while (z[j + 1] < pq) ++j;
    const double pv = static_cast<double>(v[j]) * s;
    d[q] = (pq - pv) * (pq - pv) + f[v[j] * stride];
  }
  for (size_t q = 0; q < n; ++q) f[q * stride] = d[q];
}

}  // namespace

std::vector<double> squared_distance(const std::vector<uint8_t>& seeds, const std::vector<int64_t>& shape,
                                     const std::vector<double>& spacing) {
  std::vector<double> f(seeds.size());
  for (size_t i = 0; i < seeds.size(); ++i) f[i] = seeds[i] ? 0.0 : kInf;
  std::vector<double> d, z;
  std::vector<size_t> v;
  const size_t nd = shape.size();
  for (size_t axis = 0; axis < nd; ++axis) {
    size_t stride = 1;
    for (size_t a = axis + 1; a < nd; ++a) stride *= static_cast<size_t>(shape[a]);
    const size_t n = static_cast<size_t>(shape[axis]);
    const size_t block = stride * n;
    for (size_t outer = 0; outer < f.size(); outer += block)
      for (size_t inner = 0; inner < stride; ++inner) transform_line(f.data() + outer + inner, n, stride, spacing[axis], d, v, z);
  }
  return f;
}

std::vector<uint8_t> surface(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape) {
  const size_t nd = shape.size();
  std::vector<size_t> strides(nd, 1);
  for (size_t a = nd; a-- > 1;) strides[a - 1] = strides[a] * static_cast<size_t>(shape[a]);
  std::vector<uint8_t> out(mask.size(), 0);
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    for (size_t a = 0; a < nd && !out[i]; ++a) {
      const size_t coord = (i / strides[a]) % static_cast<size_t>(shape[a]);
      if (coord == 0 || coord + 1 == static_cast<size_t>(shape[a]) || !mask[i - strides[a]] || !mask[i + strides[a]])
        out[i] = 1;
    }
  }
  return out;
}

}  // namespace fuse::metrics
