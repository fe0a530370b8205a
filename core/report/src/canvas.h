// A chart area on an OpenCV image: maps data coordinates to pixels, draws axes with ticks and labels, lines,
// bands, bars and text. Internal to the report library.
#ifndef FUSE_REPORT_SRC_CANVAS_H_
#define FUSE_REPORT_SRC_CANVAS_H_

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "fuse/report/charts.h"

namespace fuse::report {

class Canvas {
 public:
  static constexpr int kWidth = 720, kHeight = 540;
  // A plot of [x0, x1] x [y0, y1] with its axis labels and title.
  Canvas(double x0, double x1, double y0, double y1, const std::string& title, const std::string& x_label,
         const std::string& y_label);

  cv::Point point(double x, double y) const;
  void axes(double tick_step) { axes(tick_step, tick_step); }
  void axes(double x_step, double y_step);
  void line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color, int thickness);
  void dashed(double xa, double ya, double xb, double yb, const cv::Scalar& color);
  void band(const std::vector<double>& x, const std::vector<double>& lower, const std::vector<double>& upper,
            const cv::Scalar& color);
  void text(const std::string& s, cv::Point at, double scale, const cv::Scalar& color, bool centered = false);
  enum class Corner { kLowerRight, kUpperLeft, kUpperRight, kLowerLeft };
  // In the lower right corner of the plot, or the upper left one.
  void legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, bool upper_left = false) {
    legend(entries, upper_left ? Corner::kUpperLeft : Corner::kLowerRight);
  }
  void legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, Corner corner);
  // The pixels a legend of `entries` lines takes in `corner`.
  cv::Rect legend_box(size_t entries, Corner corner) const;
  cv::Mat& image() { return image_; }
  Png png() const;

 private:
  cv::Mat image_;
  double x0_, x1_, y0_, y1_;
  cv::Rect area_;
};

// A tick step of 1, 2 or 5 times a power of ten giving about `ticks` ticks over `span`.
double nice_step(double span, int ticks = 5);

// Colours told apart for the lines of several series (BGR), used in turn.
inline const cv::Scalar kPalette[] = {{180, 100, 30}, {40, 130, 240}, {60, 160, 60}, {40, 40, 200},
                                      {170, 90, 150}, {80, 90, 140}, {190, 120, 220}, {120, 120, 120}};

inline const cv::Scalar kBlue(180, 100, 30), kLightBlue(240, 215, 190), kGray(150, 150, 150), kBlack(30, 30, 30),
    kOrange(40, 130, 240);

}  // namespace fuse::report

#endif  // FUSE_REPORT_SRC_CANVAS_H_
