#include "surface_distance.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/distance_line.h"

namespace fuse::segmentation {
namespace {

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t a = shape.size(); a-- > 1;) strides[a - 1] = strides[a] * shape[a];
  return strides;
}

}  // namespace

std::vector<double> squared_distance(const std::vector<uint8_t>& seeds, const std::vector<int64_t>& shape,
                                     const std::vector<double>& spacing) {
  std::vector<double> f(seeds.size());
  for (size_t i = 0; i < seeds.size(); ++i) f[i] = seeds[i] ? 0.0 : std::numeric_limits<double>::infinity();
  const std::vector<int64_t> strides = strides_of(shape);
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    const int64_t n = shape[axis], stride = strides[axis], lines = static_cast<int64_t>(f.size()) / n;
    std::vector<int64_t> v(static_cast<size_t>(n));
    std::vector<double> fv(static_cast<size_t>(n)), z(static_cast<size_t>(n) + 1);
    for (int64_t line = 0; line < lines; ++line)
      kernels::distance_line(f.data() + kernels::line_start(line, n, stride), n, stride, spacing[axis], v.data(), fv.data(), z.data());
  }
  return f;
}

std::vector<uint8_t> surface(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape) {
  const std::vector<int64_t> strides = strides_of(shape);
  std::vector<uint8_t> out(mask.size());
  for (size_t i = 0; i < mask.size(); ++i)
    out[i] = kernels::surface_voxel(mask.data(), static_cast<int64_t>(i), static_cast<int>(shape.size()), shape.data(), strides.data());
  return out;
}

std::vector<double> directed(const std::vector<uint8_t>& from_surface, const std::vector<double>& to_distance2) {
  std::vector<double> out;
  for (size_t i = 0; i < from_surface.size(); ++i)
    if (from_surface[i]) out.push_back(std::sqrt(to_distance2[i]));
  return out;
}

SurfaceDistances summarize(const std::vector<double>& ab, const std::vector<double>& ba) {
  SurfaceDistances d;
  d.hd = std::max(*std::max_element(ab.begin(), ab.end()), *std::max_element(ba.begin(), ba.end()));
  d.hd95 = std::max(percentile(ab, 95), percentile(ba, 95));
  double sum = 0;
  for (double x : ab) sum += x;
  for (double x : ba) sum += x;
  d.asd = sum / static_cast<double>(ab.size() + ba.size());
  return d;
}

double surface_dice(const std::vector<double>& ab, const std::vector<double>& ba, double tolerance) {
  const auto within = [&](const std::vector<double>& d) { return std::count_if(d.begin(), d.end(), [&](double x) { return x <= tolerance; }); };
  return static_cast<double>(within(ab) + within(ba)) / static_cast<double>(ab.size() + ba.size());
}

}  // namespace fuse::segmentation
