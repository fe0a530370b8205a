// Reports and pictures through libfuse_report.so, opened only when one is asked for: it links OpenCV, whose
// loading no other command should pay for.
#ifndef FUSE_APPS_FUSE_REPORT_LOADER_H_
#define FUSE_APPS_FUSE_REPORT_LOADER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace fuse::cli {

void write_html_report(const boost::json::object& results, const std::string& path, const std::string& title);

// Draws slices of volumes into a PNG grid (fuse_write_slice_grid in the same library).
struct VolumeView {
  std::vector<float> image;   // x fastest
  std::vector<uint8_t> mask;  // empty: none
  std::array<int64_t, 3> size{1, 1, 1};
  std::array<double, 3> spacing{1, 1, 1};
  std::string caption;
};
void write_slice_grid(const std::vector<VolumeView>& volumes, const std::string& plane, int64_t slice, int columns, const std::string& path);
// The intensity histograms of the volumes' images on one chart (fuse_write_histograms).
void write_histograms(const std::vector<VolumeView>& volumes, const std::string& title, const std::string& path);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_REPORT_LOADER_H_
