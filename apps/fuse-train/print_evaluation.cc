#include "print_evaluation.h"

#include <iostream>

#include "../common/table.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"

namespace fuse::cli {

namespace fs = std::filesystem;

void print_evaluation(const boost::json::object& results) {
  const boost::json::object* metrics = results.if_contains("metrics") ? &results.at("metrics").as_object() : nullptr;
  if (metrics == nullptr) return;
  if (const boost::json::value* data = results.if_contains("data"); data && data->is_object())
    if (const boost::json::value* without = data->as_object().if_contains("without_target"); without && without->is_int64() && without->as_int64() > 0)
      std::cout << "evaluation of the " << data->at("rows").as_int64() << " rows with a target (" << without->as_int64()
                << " without one: predicted, not scored)\n";
  for (const auto& [name, v] : *metrics) {
    const std::string key(name);
    const size_t dot = key.find('.');
    const std::string metric = key.substr(0, dot);
    if (dot != std::string::npos && key.substr(dot + 1) != metric && (metrics->contains(metric) || metrics->contains(metric + "." + metric))) continue;
    if (!v.is_object() || !v.as_object().contains("value") || !v.at("value").is_number()) continue;
    // Four decimals, as `fuse eval` prints them; evaluation.json holds every digit.
    using fuse::cli::four_decimals;
    std::cout << "evaluation: " << (dot != std::string::npos && key.substr(dot + 1) == metric ? metric : key) << " = " << four_decimals(v.at("value"));
    if (const boost::json::value* ci = v.as_object().if_contains("ci"); ci != nullptr && ci->is_object())
      std::cout << " [" << four_decimals(ci->at("lower")) << ", " << four_decimals(ci->at("upper")) << "] "
                << fuse::json::format_number(100 * ci->at("level").to_number<double>()) << "%";
    std::cout << "\n";
  }
}

void print_evaluation(const fs::path& file) {
  if (fs::exists(file)) print_evaluation(fuse::json::parse_exact(fuse::json::read_file(file)).as_object());
}

}  // namespace fuse::cli
