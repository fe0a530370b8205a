#include "fuse/json/object_reader.h"

#include <cmath>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"

namespace fuse::json {

ObjectReader::ObjectReader(const Document& document, const boost::json::value& value, std::string pointer, std::string what)
    : document_(document), object_(value.if_object()), pointer_(std::move(pointer)), what_(std::move(what)) {
  if (object_ == nullptr) fail_at(pointer_, what_ + " must be a JSON object, got " + to_text(value));
}

void ObjectReader::fail_at(const std::string& pointer, const std::string& message) const {
  throw ConfigError(pointer, document_.location(pointer) + ": " + message);
}

void ObjectReader::fail(const std::string& name, const std::string& message) const {
  fail_at(name.empty() ? pointer_ : pointer(name), message);
}

void ObjectReader::allow(const std::vector<std::string>& names) const {
  for (const auto& member : *object_) {
    const std::string key(member.key());
    bool known = false;
    for (const std::string& n : names) known = known || n == key;
    if (!known)
      fail(key, "unknown field '" + key + "' in " + what_ + did_you_mean(key, names) + " (allowed: " + join(names, ", ") + ")");
  }
}

const boost::json::value& ObjectReader::required(const std::string& name) const {
  const boost::json::value* v = object_->if_contains(name);
  if (v == nullptr) fail("", "missing field '" + name + "' in " + what_);
  return *v;
}

std::string ObjectReader::string(const std::string& name, std::optional<std::string> fallback) const {
  if (!has(name) && fallback) return *fallback;
  const boost::json::value& v = required(name);
  if (!v.is_string()) fail(name, "'" + name + "' must be a string, got " + to_text(v));
  return std::string(v.as_string());
}

double ObjectReader::number(const std::string& name, std::optional<double> fallback, std::optional<double> min,
                            std::optional<double> max) const {
  if (!has(name) && fallback) return *fallback;
  const boost::json::value& v = required(name);
  if (!v.is_number()) fail(name, "'" + name + "' must be a number, got " + to_text(v));
  const double x = v.to_number<double>();
  if (min && x < *min) fail(name, "'" + name + "' must be >= " + format_number(*min) + ", got " + to_text(v));
  if (max && x > *max) fail(name, "'" + name + "' must be <= " + format_number(*max) + ", got " + to_text(v));
  return x;
}

int64_t ObjectReader::integer(const std::string& name, std::optional<int64_t> fallback, std::optional<int64_t> min) const {
  if (!has(name) && fallback) return *fallback;
  const boost::json::value& v = required(name);
  if (!v.is_int64()) fail(name, "'" + name + "' must be an integer, got " + to_text(v));
  if (min && v.as_int64() < *min) fail(name, "'" + name + "' must be >= " + std::to_string(*min) + ", got " + to_text(v));
  return v.as_int64();
}

bool ObjectReader::boolean(const std::string& name, std::optional<bool> fallback) const {
  if (!has(name) && fallback) return *fallback;
  const boost::json::value& v = required(name);
  if (!v.is_bool()) fail(name, "'" + name + "' must be true or false, got " + to_text(v));
  return v.as_bool();
}

std::vector<std::string> ObjectReader::strings(const std::string& name) const {
  const boost::json::value* v = find(name);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return {std::string(v->as_string())};
  std::vector<std::string> out;
  if (v->is_array()) {
    for (size_t i = 0; i < v->as_array().size(); ++i) {
      const boost::json::value& e = v->as_array()[i];
      if (!e.is_string()) fail_at(child_pointer(pointer(name), i), "'" + name + "' must hold strings, got " + to_text(e));
      out.emplace_back(e.as_string());
    }
    return out;
  }
  fail(name, "'" + name + "' must be a string or an array of strings, got " + to_text(*v));
}

std::string ObjectReader::choice(const std::string& name, const std::vector<std::string>& choices, const std::string& fallback) const {
  const std::string v = string(name, fallback);
  for (const std::string& c : choices)
    if (c == v) return v;
  fail(name, "'" + name + "' must be one of " + quoted_list(choices) + ", got '" + v + "'" + did_you_mean(v, choices));
}

}  // namespace fuse::json
