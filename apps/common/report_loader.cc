#include "report_loader.h"

#include <algorithm>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"
#include "fuse/report/curves.h"
#include "fuse/report/histograms.h"
#include "fuse/report/slice_grid.h"

namespace fuse::cli {

namespace {

boost::dll::shared_library report_library(const std::string& what) {
  // <prefix>/bin/fuse finds <prefix>/lib/libfuse_report.so (the build tree has the same layout).
  const std::filesystem::path library = boost::dll::program_location().parent_path().parent_path() / "lib" / "libfuse_report.so";
  boost::dll::shared_library lib;
  try {
    lib.load(library, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error(Errc::kIo, what + " needs " + library.string() + " (built with OpenCV), which cannot be opened: " + e.what());
  }
  return lib;
}

}  // namespace

void write_html_report(const boost::json::object& results, const std::string& path, const std::string& title) {
  boost::dll::shared_library lib = report_library("the HTML report");
  auto write = lib.get<int(const char*, const char*, const char*, char*, unsigned long)>("fuse_write_html_report");
  char error[1024] = "";
  if (write(boost::json::serialize(results).c_str(), path.c_str(), title.c_str(), error, sizeof(error)) != 0)
    throw Error(Errc::kIo, std::string("cannot write the HTML report: ") + error);
}

void write_slice_grid(const std::vector<VolumeView>& volumes, const std::string& plane, int64_t slice, int columns, const std::string& path) {
  boost::dll::shared_library lib = report_library("drawing slices");
  std::vector<fuse_volume_view> views;
  for (const VolumeView& v : volumes)
    views.push_back(fuse_volume_view{v.image.data(), v.mask.empty() ? nullptr : v.mask.data(), {v.size[0], v.size[1], v.size[2]},
                                     {v.spacing[0], v.spacing[1], v.spacing[2]}, v.caption.c_str(),
                                     v.prediction.empty() ? nullptr : v.prediction.data(), v.color.empty() ? nullptr : v.color.data()});
  auto write = lib.get<decltype(fuse_write_slice_grid)>("fuse_write_slice_grid");
  char error[1024] = "";
  if (write(views.data(), views.size(), plane.c_str(), slice, columns, path.c_str(), error, sizeof(error)) != 0)
    throw Error(Errc::kIo, std::string("cannot draw the slices: ") + error);
}

void write_histograms(const std::vector<VolumeView>& volumes, const std::string& title, const std::string& path) {
  boost::dll::shared_library lib = report_library("drawing histograms");
  std::vector<fuse_value_series> series;
  for (const VolumeView& v : volumes) series.push_back(fuse_value_series{v.image.data(), v.image.size(), v.caption.c_str()});
  auto write = lib.get<decltype(fuse_write_histograms)>("fuse_write_histograms");
  char error[1024] = "";
  constexpr int kBins = 100;
  if (write(series.data(), series.size(), kBins, title.c_str(), path.c_str(), error, sizeof(error)) != 0)
    throw Error(Errc::kIo, std::string("cannot draw the histograms: ") + error);
}

void write_curves(const std::vector<CurveSeries>& curves, const std::string& title, const std::string& x_label, const std::string& y_label,
                  const std::string& path) {
  boost::dll::shared_library lib = report_library("drawing curves");
  std::vector<fuse_curve> series;
  for (const CurveSeries& c : curves) series.push_back(fuse_curve{c.x.data(), c.y.data(), std::min(c.x.size(), c.y.size()), c.label.c_str()});
  auto write = lib.get<decltype(fuse_write_curves)>("fuse_write_curves");
  char error[1024] = "";
  if (write(series.data(), series.size(), title.c_str(), x_label.c_str(), y_label.c_str(), path.c_str(), error, sizeof(error)) != 0)
    throw Error(Errc::kIo, std::string("cannot draw the curves: ") + error);
}

}  // namespace fuse::cli
