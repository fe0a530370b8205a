#include "recorded_difference.h"

#include "fuse/base/strings.h"
#include "fuse/json/difference.h"
#include "fuse/json/write.h"

namespace fuse::train {

namespace bj = boost::json;

namespace {

const bj::value* member(const bj::value& root, const std::vector<std::string>& path) {
  const bj::value* v = &root;
  for (const std::string& k : path) v = v != nullptr && v->is_object() ? v->as_object().if_contains(k) : nullptr;
  return v;
}

std::string text(const bj::value* v) {
  if (v == nullptr) return "absent";
  const std::string t = json::to_text(*v);
  return t.size() > 80 ? t.substr(0, 77) + "..." : t;
}

}  // namespace

std::string recorded_difference(const bj::value& now, const bj::value& recorded, const std::vector<std::vector<std::string>>& sections) {
  if (!recorded.is_object() || !now.is_object()) return "";
  for (const std::vector<std::string>& section : sections) {
    const bj::value *mine = member(now, section), *theirs = member(recorded, section);
    const std::string name = join(section, ".");
    json::Difference d;
    if ((mine == nullptr) != (theirs == nullptr)) d = {false, name, mine, theirs};
    else if (mine != nullptr) d = json::first_difference(*mine, *theirs, name);
    if (!d.same) return d.path + " is " + text(d.a) + " there and " + text(d.b) + " in the run's config.json";
  }
  return "";
}

}  // namespace fuse::train
