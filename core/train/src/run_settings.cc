#include "fuse/train/run_settings.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"

namespace fuse::train {

namespace fs = std::filesystem;

std::vector<std::string> recorded_settings(const fs::path& run_dir) {
  const fs::path file = run_dir / "settings.json";
  if (!fs::exists(file)) return {};
  const auto refuse = [&] {
    return Error(Errc::kIo, "'" + file.string() + "' is not a run's settings: expected {\"settings\": [\"path=value\", ...]}, as fuse run writes it");
  };
  boost::json::error_code ec;
  const boost::json::value doc = json::parse_exact(json::read_file(file), ec);
  if (ec || !doc.is_object()) throw refuse();
  const boost::json::value* list = doc.as_object().if_contains("settings");
  if (list == nullptr || !list->is_array()) throw refuse();
  std::vector<std::string> out;
  for (const boost::json::value& s : list->as_array()) {
    if (!s.is_string()) throw refuse();
    out.emplace_back(s.as_string());
  }
  return out;
}

std::vector<std::string> run_settings(const fs::path& run_dir, const std::vector<std::string>& given) {
  std::vector<std::string> out = recorded_settings(run_dir);
  const size_t recorded = out.size();
  for (const std::string& s : given)
    if (std::find(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(recorded), s) == out.begin() + static_cast<std::ptrdiff_t>(recorded)) out.push_back(s);
  return out;
}

void write_run_settings(const fs::path& run_dir, const std::vector<std::string>& settings) {
  boost::json::array list;
  for (const std::string& s : settings) list.emplace_back(s);
  write_file_atomically(run_dir / "settings.json", json::to_text(boost::json::object{{"settings", std::move(list)}}, {2}) + "\n");
}

}  // namespace fuse::train
