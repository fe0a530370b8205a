#include "fuse/report/histograms.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "canvas.h"

namespace fuse::report {
namespace {

struct Finite {
  std::vector<float> values;  // sorted
  double mean = 0, sd = 0;
};

Finite finite_of(const fuse_value_series& s) {
  Finite f;
  for (size_t i = 0; i < s.count; ++i)
    if (std::isfinite(s.values[i])) f.values.push_back(s.values[i]);
  if (f.values.empty()) throw std::invalid_argument(std::string("'") + s.label + "' has no finite value to draw");
  std::sort(f.values.begin(), f.values.end());
  double sum = 0, squares = 0;
  for (float v : f.values) sum += v;
  f.mean = sum / static_cast<double>(f.values.size());
  for (float v : f.values) squares += (v - f.mean) * (v - f.mean);
  f.sd = std::sqrt(squares / static_cast<double>(f.values.size()));
  return f;
}

double quantile(const std::vector<float>& sorted, double q) { return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))]; }

std::string legend_text(const std::string& label, const Finite& f) {
  char stats[64];
  std::snprintf(stats, sizeof stats, "  mean %.3g, sd %.3g", f.mean, f.sd);
  return label.substr(0, 22) + stats;
}

}  // namespace
}  // namespace fuse::report

extern "C" int fuse_write_histograms(const fuse_value_series* series, size_t count, int bins, const char* title, const char* path, char* error,
                                     unsigned long error_size) {
  using namespace fuse::report;
  try {
    if (count == 0) throw std::invalid_argument("no image to draw a histogram of");
    if (bins < 2) throw std::invalid_argument("a histogram needs at least 2 bins, got " + std::to_string(bins));
    std::vector<Finite> finite;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < count; ++i) {
      finite.push_back(finite_of(series[i]));
      lo = std::min(lo, quantile(finite.back().values, 0.005));
      hi = std::max(hi, quantile(finite.back().values, 0.995));
    }
    if (hi <= lo) lo -= 0.5, hi += 0.5;  // constant images
    // The range widened to whole ticks, so the axis starts and ends on one.
    const double x_step = nice_step(hi - lo);
    const double x0 = std::floor(lo / x_step) * x_step, x1 = std::ceil(hi / x_step) * x_step, width = (x1 - x0) / bins;
    std::vector<std::vector<double>> shares;
    double top = 0;
    for (const Finite& f : finite) {
      std::vector<double> share(static_cast<size_t>(bins), 0.0);
      for (float v : f.values)
        if (v >= x0 && v <= x1) share[static_cast<size_t>(std::min<double>(bins - 1, std::floor((v - x0) / width)))] += 1;
      for (double& s : share) top = std::max(top, s = 100.0 * s / static_cast<double>(f.values.size()));
      shares.push_back(std::move(share));
    }
    const double y_step = nice_step(top);
    Canvas canvas(x0, x1, 0, std::max(y_step, std::ceil(top / y_step) * y_step), title, "intensity", "share of voxels per bin (%)");
    canvas.axes(x_step, y_step);
    std::vector<double> centres(static_cast<size_t>(bins));
    for (int b = 0; b < bins; ++b) centres[static_cast<size_t>(b)] = x0 + (b + 0.5) * width;
    constexpr size_t kColours = sizeof(kPalette) / sizeof(kPalette[0]), kLegend = 8;
    std::vector<std::pair<std::string, cv::Scalar>> legend;
    for (size_t i = 0; i < count; ++i) {
      canvas.line(centres, shares[i], kPalette[i % kColours], 2);
      if (i < kLegend) legend.push_back({legend_text(series[i].label, finite[i]), kPalette[i % kColours]});
    }
    if (count > kLegend) legend.push_back({"and " + std::to_string(count - kLegend) + " more", kGray});
    canvas.legend(legend, true);
    if (!cv::imwrite(path, canvas.image())) throw std::runtime_error(std::string("cannot write '") + path + "'");
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return 1;
  }
}
