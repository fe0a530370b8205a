#include "canvas.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace fuse::report {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

std::string tick_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", std::abs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

}  // namespace

double nice_step(double span, int ticks) {
  const double raw = std::max(1e-12, span) / ticks, power = std::pow(10, std::floor(std::log10(raw)));
  return raw / power < 2 ? power : raw / power < 5 ? 2 * power : 5 * power;
}

Canvas::Canvas(double x0, double x1, double y0, double y1, const std::string& title, const std::string& x_label,
               const std::string& y_label)
    : image_(kHeight, kWidth, CV_8UC3, cv::Scalar(255, 255, 255)), x0_(x0), x1_(x1), y0_(y0), y1_(y1) {
  area_ = cv::Rect(90, 60, kWidth - 90 - 30, kHeight - 60 - 80);
  text(title, cv::Point(kWidth / 2, 38), 0.65, kBlack, true);
  text(x_label, cv::Point(area_.x + area_.width / 2, kHeight - 22), 0.55, kBlack, true);
  // The y label, written horizontally on its own image and turned a quarter to the left.
  int baseline = 0;
  const cv::Size size = cv::getTextSize(y_label, kFont, 0.55, 1, &baseline);
  cv::Mat label(size.height + baseline + 6, size.width + 6, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(label, y_label, cv::Point(3, size.height + 2), kFont, 0.55, kBlack, 1, cv::LINE_AA);
  cv::Mat turned;
  cv::rotate(label, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int top = std::max(0, area_.y + area_.height / 2 - turned.rows / 2);
  if (top + turned.rows <= image_.rows) turned.copyTo(image_(cv::Rect(12, top, turned.cols, turned.rows)));
}

cv::Point Canvas::point(double x, double y) const {
  const double fx = (x - x0_) / (x1_ - x0_), fy = (y - y0_) / (y1_ - y0_);
  return cv::Point(area_.x + static_cast<int>(std::lround(fx * area_.width)),
                   area_.y + area_.height - static_cast<int>(std::lround(fy * area_.height)));
}

void Canvas::axes(double x_step, double y_step) {
  for (double v = x0_; v <= x1_ + 1e-9; v += x_step) {
    const cv::Point p = point(v, y0_);
    cv::line(image_, cv::Point(p.x, area_.y), cv::Point(p.x, area_.y + area_.height), cv::Scalar(235, 235, 235), 1);
    cv::line(image_, p, cv::Point(p.x, p.y + 6), kBlack, 1);
    text(tick_text(v), cv::Point(p.x, p.y + 24), 0.45, kBlack, true);
  }
  for (double v = y0_; v <= y1_ + 1e-9; v += y_step) {
    const cv::Point p = point(x0_, v);
    cv::line(image_, cv::Point(area_.x, p.y), cv::Point(area_.x + area_.width, p.y), cv::Scalar(235, 235, 235), 1);
    cv::line(image_, p, cv::Point(p.x - 6, p.y), kBlack, 1);
    int baseline = 0;
    const std::string t = tick_text(v);
    const cv::Size s = cv::getTextSize(t, kFont, 0.45, 1, &baseline);
    text(t, cv::Point(p.x - 10 - s.width, p.y + s.height / 2), 0.45, kBlack);
  }
  cv::rectangle(image_, area_, kBlack, 1);
}

void Canvas::line(const std::vector<double>& x, const std::vector<double>& y, const cv::Scalar& color, int thickness) {
  std::vector<cv::Point> points;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(y[i])) points.push_back(point(x[i], y[i]));
  if (points.size() > 1) cv::polylines(image_, points, false, color, thickness, cv::LINE_AA);
}

void Canvas::dashed(double xa, double ya, double xb, double yb, const cv::Scalar& color) {
  const int pieces = 40;
  for (int i = 0; i < pieces; i += 2) {
    const double t0 = static_cast<double>(i) / pieces, t1 = static_cast<double>(i + 1) / pieces;
    cv::line(image_, point(xa + (xb - xa) * t0, ya + (yb - ya) * t0), point(xa + (xb - xa) * t1, ya + (yb - ya) * t1),
             color, 1, cv::LINE_AA);
  }
}

void Canvas::band(const std::vector<double>& x, const std::vector<double>& lower, const std::vector<double>& upper,
                  const cv::Scalar& color) {
  std::vector<cv::Point> polygon;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i]) && std::isfinite(upper[i])) polygon.push_back(point(x[i], upper[i]));
  for (size_t i = x.size(); i-- > 0;)
    if (std::isfinite(x[i]) && std::isfinite(lower[i])) polygon.push_back(point(x[i], lower[i]));
  if (polygon.size() > 2) cv::fillPoly(image_, std::vector<std::vector<cv::Point>>{polygon}, color, cv::LINE_AA);
}

void Canvas::text(const std::string& s, cv::Point at, double scale, const cv::Scalar& color, bool centered) {
  if (centered) {
    int baseline = 0;
    at.x -= cv::getTextSize(s, kFont, scale, 1, &baseline).width / 2;
  }
  cv::putText(image_, s, at, kFont, scale, color, 1, cv::LINE_AA);
}

cv::Rect Canvas::legend_box(size_t entries, Corner corner) const {
  constexpr int kBoxWidth = 250, kLine = 18;
  const int height = kLine * static_cast<int>(entries) + 8;
  const bool upper = corner == Corner::kUpperLeft || corner == Corner::kUpperRight;
  const bool left = corner == Corner::kUpperLeft || corner == Corner::kLowerLeft;
  const int x = left ? area_.x + 14 : area_.x + area_.width - kBoxWidth;
  const int y = upper ? area_.y + 10 : area_.y + area_.height - height - 14;
  return cv::Rect(x, y, kBoxWidth - 14, height);
}

void Canvas::legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, Corner corner) {
  const cv::Rect box = legend_box(entries.size(), corner);
  int y = box.y + 14;
  for (const auto& [label, color] : entries) {
    cv::line(image_, cv::Point(box.x, y - 4), cv::Point(box.x + 24, y - 4), color, 3, cv::LINE_AA);
    text(label, cv::Point(box.x + 32, y), 0.45, kBlack);
    y += 18;
  }
}

Png Canvas::png() const {
  Png out;
  cv::imencode(".png", image_, out);
  return out;
}

}  // namespace fuse::report
