// The HTML report of an evaluation: one self-contained page (tables and PNG charts embedded as data URIs)
// that opens in a browser without a server.
#ifndef FUSE_REPORT_HTML_H_
#define FUSE_REPORT_HTML_H_

#include <string>

#include <boost/json/object.hpp>

namespace fuse::report {

// `results` is what fuse::eval::Evaluator::run returns.
std::string html_report(const boost::json::object& results, const std::string& title);

std::string base64(const std::vector<uint8_t>& bytes);

}  // namespace fuse::report

// The entry point `fuse` opens at run time (so that only an HTML report loads OpenCV): writes the report of
// `results_json` to `path`. Returns 0, or 1 with a message in `error`.
extern "C" int fuse_write_html_report(const char* results_json, const char* path, const char* title, char* error,
                                      unsigned long error_size);

#endif  // FUSE_REPORT_HTML_H_
