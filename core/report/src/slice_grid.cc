#include "fuse/report/slice_grid.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {

constexpr int kTile = 256;     // the longer side of a tile, pixels
constexpr int kLine = 16;      // a caption line's height; the band holds the longest caption's lines

// The axes of a plane: (u, v) across the slice (u to the right, v downwards) and w through the slices.
struct Plane {
  int u, v, w;
  bool flip_v;  // coronal and sagittal show superior up (z grows upwards)
};

Plane plane_of(const std::string& name) {
  if (name == "axial") return {0, 1, 2, false};
  if (name == "coronal") return {0, 2, 1, true};
  if (name == "sagittal") return {1, 2, 0, true};
  throw std::invalid_argument("unknown plane '" + name + "' (axial, coronal, sagittal)");
}

int64_t index_of(const fuse_volume_view& vol, int64_t a[3]) { return (a[2] * vol.size[1] + a[1]) * vol.size[0] + a[0]; }

// The slice to show: the given one, else the one with the most mask voxels, else the one with the most predicted
// voxels (a prediction where there is no mask), else the middle one.
int64_t choose_slice(const fuse_volume_view& vol, const Plane& p, int64_t wanted) {
  const int64_t n = vol.size[p.w];
  if (wanted >= 0) return std::min(wanted, n - 1);
  for (const uint8_t* labels : {vol.mask, vol.prediction}) {
    if (labels == nullptr) continue;
    std::vector<int64_t> area(static_cast<size_t>(n), 0);
    int64_t a[3];
    for (a[2] = 0; a[2] < vol.size[2]; ++a[2])
      for (a[1] = 0; a[1] < vol.size[1]; ++a[1])
        for (a[0] = 0; a[0] < vol.size[0]; ++a[0])
          if (labels[index_of(vol, a)] > 0) ++area[static_cast<size_t>(a[p.w])];
    const auto best = std::max_element(area.begin(), area.end());
    if (*best > 0) return best - area.begin();
  }
  return n / 2;
}

std::vector<std::string> caption_lines(const char* caption) {
  std::vector<std::string> lines;
  std::string text = caption;
  for (size_t start = 0;;) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return lines;
    start = end + 1;
  }
}

// Colours by class (BGR): the mask's tint, and the prediction's outline (lighter hues, told apart from the tint).
const std::array<cv::Scalar, 5> kFill{cv::Scalar(40, 60, 230), cv::Scalar(60, 200, 60), cv::Scalar(230, 120, 40), cv::Scalar(200, 60, 200),
                                      cv::Scalar(40, 150, 250)};  // red, green, blue, magenta, orange
const std::array<cv::Scalar, 5> kOutline{cv::Scalar(0, 230, 255), cv::Scalar(255, 230, 0), cv::Scalar(255, 120, 255), cv::Scalar(255, 255, 255),
                                         cv::Scalar(120, 255, 120)};  // yellow, cyan, pink, white, light green

// The labels (> 0) present in a label image, ascending.
std::vector<uint8_t> classes_of(const cv::Mat& labels) {
  std::array<bool, 256> seen{};
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) seen[labels.at<uint8_t>(y, x)] = true;
  std::vector<uint8_t> out;
  for (int c = 1; c < 256; ++c)
    if (seen[static_cast<size_t>(c)]) out.push_back(static_cast<uint8_t>(c));
  return out;
}

int band_height(size_t lines) { return 6 + kLine * static_cast<int>(lines); }

cv::Mat tile_of(const fuse_volume_view& vol, const Plane& p, int64_t wanted, int band) {
  for (int a = 0; a < 3; ++a)
    if (vol.size[a] < 1) throw std::invalid_argument(std::string("volume '") + vol.caption + "' is empty");
  const int64_t s = choose_slice(vol, p, wanted);
  const int w = static_cast<int>(vol.size[p.u]), h = static_cast<int>(vol.size[p.v]);
  const int planes = vol.color ? 3 : 1;  // a colour picture's R, G, B; else the image
  const int64_t total = vol.size[0] * vol.size[1] * vol.size[2];
  const float* source = vol.color ? vol.color : vol.image;
  std::vector<cv::Mat> gray;
  for (int c = 0; c < planes; ++c) gray.emplace_back(h, w, CV_32F);
  cv::Mat mask(h, w, CV_8U, cv::Scalar(0)), predicted(h, w, CV_8U, cv::Scalar(0));
  int64_t a[3];
  a[p.w] = s;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      a[p.u] = x;
      a[p.v] = p.flip_v ? h - 1 - y : y;
      const int64_t i = index_of(vol, a);
      for (int c = 0; c < planes; ++c) gray[static_cast<size_t>(c)].at<float>(y, x) = source[c * total + i];
      if (vol.mask) mask.at<uint8_t>(y, x) = vol.mask[i];
      if (vol.prediction) predicted.at<uint8_t>(y, x) = vol.prediction[i];
    }
  // Window: the 1st to 99th percentile of the whole volume (every slice on one scale; one bright voxel does
  // not wash it out), over the three planes of a colour picture alike. At most ~1M voxels are looked at.
  const int64_t stride = std::max<int64_t>(1, planes * total / (1 << 20));
  std::vector<float> values;
  for (int64_t i = 0; i < planes * total; i += stride)
    if (std::isfinite(source[i])) values.push_back(source[i]);
  float lo = 0, hi = 1;
  if (!values.empty()) {
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 100), values.end());
    lo = values[values.size() / 100];
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() * 99 / 100), values.end());
    hi = values[values.size() * 99 / 100];
  }
  std::vector<cv::Mat> bytes(static_cast<size_t>(planes));
  for (int c = 0; c < planes; ++c)
    gray[static_cast<size_t>(c)].convertTo(bytes[static_cast<size_t>(c)], CV_8U, hi > lo ? 255.0 / (hi - lo) : 0.0, hi > lo ? -lo * 255.0 / (hi - lo) : 128.0);
  cv::Mat rgb;  // OpenCV's order: B, G, R
  if (vol.color) cv::merge(std::vector<cv::Mat>{bytes[2], bytes[1], bytes[0]}, rgb);
  else cv::cvtColor(bytes[0], rgb, cv::COLOR_GRAY2BGR);
  for (uint8_t c : classes_of(mask)) {
    const cv::Mat in_class = mask == c;
    const cv::Scalar colour = kFill[(c - 1) % kFill.size()];
    cv::Mat blended;
    cv::addWeighted(rgb, 0.6, cv::Mat(rgb.size(), rgb.type(), colour), 0.4, 0, blended);
    blended.copyTo(rgb, in_class);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(in_class, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::drawContours(rgb, contours, -1, colour, 1);
  }
  // Physical aspect: each pixel is spacing[u] x spacing[v] mm.
  const double width_mm = w * vol.spacing[p.u], height_mm = h * vol.spacing[p.v];
  const double scale = kTile / std::max(width_mm, height_mm);
  const cv::Size shown(std::max(1, static_cast<int>(std::lround(width_mm * scale))), std::max(1, static_cast<int>(std::lround(height_mm * scale))));
  cv::Mat sized;
  cv::resize(rgb, sized, shown, 0, 0, cv::INTER_NEAREST);
  if (vol.prediction) {
    // Outlined at the shown size, so that the outline stays two pixels wide over the mask it is compared with.
    cv::Mat predicted_sized;
    cv::resize(predicted, predicted_sized, shown, 0, 0, cv::INTER_NEAREST);
    for (uint8_t c : classes_of(predicted_sized)) {
      std::vector<std::vector<cv::Point>> contours;
      cv::findContours(predicted_sized == c, contours, cv::RETR_LIST, cv::CHAIN_APPROX_NONE);
      cv::drawContours(sized, contours, -1, kOutline[(c - 1) % kOutline.size()], 2);
    }
  }
  cv::Mat tile(kTile + band, kTile, CV_8UC3, cv::Scalar(20, 20, 20));
  sized.copyTo(tile(cv::Rect((kTile - sized.cols) / 2, (kTile - sized.rows) / 2, sized.cols, sized.rows)));
  // The first line carries the slice number; later lines (e.g. a prediction and its loss) follow as given.
  std::vector<std::string> lines = caption_lines(vol.caption);
  if (vol.size[p.w] > 1) lines[0] += "  [" + std::to_string(s) + "]";  // a picture has one slice: no number
  for (size_t i = 0; i < lines.size(); ++i)
    cv::putText(tile, lines[i].substr(0, 38), cv::Point(4, kTile + kLine * static_cast<int>(i + 1)), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                cv::Scalar(230, 230, 230), 1, cv::LINE_AA);
  return tile;
}

}  // namespace

extern "C" int fuse_write_slice_grid(const fuse_volume_view* volumes, size_t count, const char* plane, int64_t slice, int columns,
                                     const char* path, char* error, unsigned long error_size) {
  try {
    if (count == 0) throw std::invalid_argument("no volume to draw");
    const Plane p = plane_of(plane);
    const int cols = std::max(1, std::min(columns, static_cast<int>(count)));
    const int rows = static_cast<int>((count + static_cast<size_t>(cols) - 1) / static_cast<size_t>(cols));
    size_t lines = 1;
    for (size_t i = 0; i < count; ++i) lines = std::max(lines, caption_lines(volumes[i].caption).size());
    const int band = band_height(lines);
    cv::Mat grid(rows * (kTile + band), cols * kTile, CV_8UC3, cv::Scalar(0, 0, 0));
    for (size_t i = 0; i < count; ++i) {
      const cv::Mat tile = tile_of(volumes[i], p, slice, band);
      tile.copyTo(grid(cv::Rect(static_cast<int>(i % static_cast<size_t>(cols)) * kTile,
                                static_cast<int>(i / static_cast<size_t>(cols)) * (kTile + band), kTile, kTile + band)));
    }
    if (!cv::imwrite(path, grid)) throw std::runtime_error(std::string("cannot write '") + path + "'");
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return 1;
  }
}
