#include "fuse/json/setting.h"

#include "fuse/base/error.h"
#include "fuse/json/parse.h"

namespace fuse::json {

Setting parse_setting(std::string_view text, std::string_view flag) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw Error(Errc::kInvalidArgument, std::string(flag) + " '" + std::string(text) + "': expected name=value");
  Setting s;
  s.name = std::string(text.substr(0, eq));
  const std::string_view value = text.substr(eq + 1);
  boost::json::error_code ec;
  boost::json::value parsed = parse_exact(value, ec);
  s.value = ec ? boost::json::value(value) : std::move(parsed);
  return s;
}

void apply_settings(Document& document, const std::vector<std::string>& settings) {
  for (const std::string& text : settings) {
    Setting s = parse_setting(text);
    document.set(s.name, std::move(s.value), "--set " + s.name);
  }
}

}  // namespace fuse::json
