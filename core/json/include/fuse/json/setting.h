// Command-line settings, "name=value" (`fuse run --set trainer.epochs=3`, `fuse op run --set p=0.5`): the value
// as JSON when it parses (3, 0.5, true, [1, 2], {"a": 1}, "x"), else as a plain string (--set name=cosine).
#ifndef FUSE_JSON_SETTING_H_
#define FUSE_JSON_SETTING_H_

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "fuse/json/document.h"

namespace fuse::json {

struct Setting {
  std::string name;  // before the first '='
  boost::json::value value;
};

// Numbers are read exactly (parse_exact). Without '=' or a name, an Error (kInvalidArgument) quoting the
// setting as `flag` was given it.
Setting parse_setting(std::string_view text, std::string_view flag = "--set");

// Each "path=value" of `settings` set into the document (Document::set), in order, as "--set <path>".
void apply_settings(Document& document, const std::vector<std::string>& settings);

}  // namespace fuse::json

#endif  // FUSE_JSON_SETTING_H_
