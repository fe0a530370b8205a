// Writes an HTML report through libfuse_report.so, opened only when a report is asked for: it links OpenCV,
// whose loading no other command should pay for.
#ifndef FUSE_APPS_FUSE_REPORT_LOADER_H_
#define FUSE_APPS_FUSE_REPORT_LOADER_H_

#include <string>

#include <boost/json/object.hpp>

namespace fuse::cli {

void write_html_report(const boost::json::object& results, const std::string& path, const std::string& title);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_REPORT_LOADER_H_
