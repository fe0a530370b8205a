#include "fuse/report/curves.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "canvas.h"

extern "C" int fuse_write_curves(const fuse_curve* curves, size_t count, const char* title, const char* x_label, const char* y_label, const char* path,
                                 char* error, unsigned long error_size) {
  using namespace fuse::report;
  try {
    if (count == 0) throw std::invalid_argument("no curve to draw");
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t c = 0; c < count; ++c) {
      bool any = false;
      for (size_t i = 0; i < curves[c].count; ++i)
        if (std::isfinite(curves[c].x[i]) && std::isfinite(curves[c].y[i])) {
          any = true;
          x0 = std::min(x0, curves[c].x[i]), x1 = std::max(x1, curves[c].x[i]);
          y0 = std::min(y0, curves[c].y[i]), y1 = std::max(y1, curves[c].y[i]);
        }
      if (!any) throw std::invalid_argument(std::string("'") + curves[c].label + "' has no finite point to draw");
    }
    if (x1 <= x0) x0 -= 0.5, x1 += 0.5;  // one epoch
    if (y1 <= y0) y0 -= 0.5, y1 += 0.5;  // a constant value
    // The ranges widened to whole ticks, so each axis starts and ends on one.
    const double x_step = nice_step(x1 - x0), y_step = nice_step(y1 - y0);
    Canvas canvas(std::floor(x0 / x_step) * x_step, std::ceil(x1 / x_step) * x_step, std::floor(y0 / y_step) * y_step, std::ceil(y1 / y_step) * y_step,
                  title, x_label, y_label);
    canvas.axes(x_step, y_step);
    constexpr size_t kColours = sizeof(kPalette) / sizeof(kPalette[0]), kLegend = 8;
    std::vector<std::pair<std::string, cv::Scalar>> legend;
    for (size_t c = 0; c < count; ++c) {
      const cv::Scalar colour = kPalette[c % kColours];
      std::vector<double> x, y;  // the finite stretches, each drawn on its own
      const auto flush = [&] {
        if (x.size() == 1) cv::circle(canvas.image(), canvas.point(x[0], y[0]), 3, colour, cv::FILLED);
        if (x.size() > 1) canvas.line(x, y, colour, 2);
        x.clear(), y.clear();
      };
      for (size_t i = 0; i < curves[c].count; ++i) {
        if (!std::isfinite(curves[c].y[i]) || !std::isfinite(curves[c].x[i])) {
          flush();
          continue;
        }
        x.push_back(curves[c].x[i]);
        y.push_back(curves[c].y[i]);
      }
      flush();
      if (c < kLegend) legend.push_back({std::string(curves[c].label).substr(0, 40), colour});
    }
    if (count > kLegend) legend.push_back({"and " + std::to_string(count - kLegend) + " more", kGray});
    // The legend in the corner the curves cross least (a rising metric leaves the lower right free, a falling
    // loss the upper right).
    Canvas::Corner best = Canvas::Corner::kUpperLeft;
    size_t fewest = SIZE_MAX;
    for (const Canvas::Corner corner : {Canvas::Corner::kLowerRight, Canvas::Corner::kUpperRight, Canvas::Corner::kUpperLeft, Canvas::Corner::kLowerLeft}) {
      const cv::Rect box = canvas.legend_box(legend.size(), corner);
      size_t crossed = 0;
      for (size_t c = 0; c < count; ++c)
        for (size_t i = 0; i + 1 < curves[c].count; ++i)
          for (int k = 0; k <= 8; ++k) {  // along each segment, so steep ones count too
            const double t = k / 8.0, x = curves[c].x[i] + t * (curves[c].x[i + 1] - curves[c].x[i]), y = curves[c].y[i] + t * (curves[c].y[i + 1] - curves[c].y[i]);
            crossed += std::isfinite(y) && box.contains(canvas.point(x, y));
          }
      if (crossed < fewest) fewest = crossed, best = corner;
    }
    canvas.legend(legend, best);
    if (!cv::imwrite(path, canvas.image())) throw std::runtime_error(std::string("cannot write '") + path + "'");
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return 1;
  }
}
