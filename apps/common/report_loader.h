// Reports and pictures through libfuse_report.so, opened only when one is asked for: it links OpenCV, whose
// loading no other command should pay for. Shared by fuse and fuse-train.
#ifndef FUSE_APPS_COMMON_REPORT_LOADER_H_
#define FUSE_APPS_COMMON_REPORT_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "volume_view.h"

namespace fuse::cli {

void write_html_report(const boost::json::object& results, const std::string& path, const std::string& title);

// Draws slices of volumes into a PNG grid (fuse_write_slice_grid in the same library).
void write_slice_grid(const std::vector<VolumeView>& volumes, const std::string& plane, int64_t slice, int columns, const std::string& path);
// The intensity histograms of the volumes' images on one chart (fuse_write_histograms).
void write_histograms(const std::vector<VolumeView>& volumes, const std::string& title, const std::string& path);

// Several curves on one chart (fuse_write_curves): runs' validation values per epoch.
struct CurveSeries {
  std::vector<double> x, y;  // y NaN: no value there
  std::string label;
};
void write_curves(const std::vector<CurveSeries>& curves, const std::string& title, const std::string& x_label, const std::string& y_label,
                  const std::string& path);

}  // namespace fuse::cli

#endif  // FUSE_APPS_COMMON_REPORT_LOADER_H_
