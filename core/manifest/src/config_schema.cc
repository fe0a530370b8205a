#include "fuse/manifest/config_schema.h"

#include <cctype>
#include <cmath>
#include <limits>


#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"

namespace fuse {

namespace bj = boost::json;

bool is_valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (std::string_view segment : split(key, '.')) {
    if (segment.empty()) return false;
    for (char c : segment)
      if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

namespace {

std::string describe(const bj::value& v) {
  constexpr size_t kMax = 40;
  std::string text = json::to_text(v);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  switch (v.kind()) {
    case bj::kind::string: return "string " + text;
    case bj::kind::array: return "array " + text;
    case bj::kind::object: return "object " + text;
    default: return text;
  }
}

const char* expectation(FieldType type) {
  switch (type) {
    case FieldType::kInt: return "an integer";
    case FieldType::kDouble: return "a number";
    case FieldType::kBool: return "true or false";
    case FieldType::kString: return "a string";
    case FieldType::kPath: return "a file path";
    case FieldType::kKey: return "a dotted key like 'data.image'";
    case FieldType::kIntList: return "an array of integers";
    case FieldType::kDoubleList: return "an array of numbers";
    case FieldType::kStringList: return "an array of strings";
    case FieldType::kKeyList: return "an array of dotted keys like [\"data.image\"]";
    case FieldType::kObject: return "a JSON object";
    case FieldType::kAny: return "any value";
  }
  return "?";
}

class Checker {
 public:
  Checker(const ComponentManifest& c, const ConfigField& f) : component_(c), field_(f) {}

  // Checks `v` (at `pointer`) and returns it normalised (integers given for doubles become doubles).
  bj::value check(const bj::value& v, const std::string& pointer) const {
    if (v.is_null()) {
      if (field_.type == FieldType::kAny || (!field_.required && field_.default_value.is_null())) return v;
      fail(pointer, "must be " + std::string(expectation(field_.type)) + ", got null");
    }
    switch (field_.type) {
      case FieldType::kInt: return scalar(v, pointer, FieldType::kInt);
      case FieldType::kDouble: return scalar(v, pointer, FieldType::kDouble);
      case FieldType::kBool: return scalar(v, pointer, FieldType::kBool);
      case FieldType::kString: return scalar(v, pointer, FieldType::kString);
      case FieldType::kPath: return scalar(v, pointer, FieldType::kString);
      case FieldType::kKey: return scalar(v, pointer, FieldType::kKey);
      case FieldType::kIntList: return list(v, pointer, FieldType::kInt);
      case FieldType::kDoubleList: return list(v, pointer, FieldType::kDouble);
      case FieldType::kStringList: return list(v, pointer, FieldType::kString);
      case FieldType::kKeyList: return list(v, pointer, FieldType::kKey);
      case FieldType::kObject:
        if (!v.is_object()) fail(pointer, "must be a JSON object, got " + describe(v));
        return v;
      case FieldType::kAny: return v;
    }
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    std::string where = "config '" + field_.name + "'";
    if (pointer.size() > field_.name.size() + 1) where += " element " + pointer.substr(pointer.rfind('/') + 1);
    throw ConfigError(pointer, "component '" + component_.id + "': " + where + " " + message);
  }

  bj::value list(const bj::value& v, const std::string& pointer, FieldType element) const {
    if (!v.is_array()) fail(pointer, "must be " + std::string(expectation(field_.type)) + ", got " + describe(v));
    bj::array out;
    for (size_t i = 0; i < v.as_array().size(); ++i)
      out.push_back(scalar(v.as_array()[i], json::child_pointer(pointer, i), element));
    return out;
  }

  bj::value scalar(const bj::value& v, const std::string& pointer, FieldType type) const {
    bj::value out = v;
    switch (type) {
      case FieldType::kInt:
        if (v.is_uint64() && v.as_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          out = static_cast<int64_t>(v.as_uint64());
        else if (!v.is_int64())
          fail(pointer, "must be an integer, got " + describe(v));
        break;
      case FieldType::kDouble:
        if (!v.is_number()) fail(pointer, "must be a number, got " + describe(v));
        out = v.to_number<double>();
        break;
      case FieldType::kBool:
        if (!v.is_bool()) fail(pointer, "must be true or false, got " + describe(v));
        break;
      case FieldType::kString:
        if (!v.is_string()) fail(pointer, "must be a string, got " + describe(v));
        break;
      case FieldType::kKey:
        if (!v.is_string() || !is_valid_key(std::string_view(v.as_string().data(), v.as_string().size())))
          fail(pointer, "must be a dotted key like 'data.image', got " + describe(v));
        break;
      default:
        break;
    }
    if (out.is_number()) {
      const double x = out.to_number<double>();
      if (field_.min && x < *field_.min) fail(pointer, "must be >= " + json::format_number(*field_.min) + ", got " + describe(v));
      if (field_.max && x > *field_.max) fail(pointer, "must be <= " + json::format_number(*field_.max) + ", got " + describe(v));
    }
    if (!field_.choices.empty()) {
      bool allowed = false;
      for (const bj::value& c : field_.choices) allowed = allowed || c == out || (c.is_number() && out.is_number() && c.to_number<double>() == out.to_number<double>());
      if (!allowed) {
        std::vector<std::string> names;
        for (const bj::value& c : field_.choices) names.push_back(json::to_text(c));
        std::string hint;
        if (out.is_string()) {
          std::vector<std::string> plain;
          for (const bj::value& c : field_.choices)
            if (c.is_string()) plain.emplace_back(c.as_string());
          hint = did_you_mean(std::string(out.as_string()), plain);
        }
        fail(pointer, "must be one of " + join(names, ", ") + ", got " + describe(v) + hint);
      }
    }
    return out;
  }

  const ComponentManifest& component_;
  const ConfigField& field_;
};

}  // namespace

bj::object resolve_config(const ComponentManifest& component, const bj::object& config) {
  std::vector<std::string> names;
  for (const ConfigField& f : component.config) names.push_back(f.name);
  for (const auto& member : config) {
    const std::string name(member.key());
    if (component.field(name) == nullptr) {
      const std::string known = names.empty() ? " (it takes no config)" : " (known: " + join(names, ", ") + ")";
      throw ConfigError(json::child_pointer("", name), "component '" + component.id + "': unknown config key '" +
                                                           name + "'" + did_you_mean(name, names) + known);
    }
  }
  bj::object out;
  for (const ConfigField& f : component.config) {
    const bj::value* v = config.if_contains(f.name);
    if (v == nullptr) {
      if (f.required) {
        std::string what = std::string(field_type_name(f.type)) + (f.description.empty() ? "" : ": " + f.description);
        throw ConfigError("", "component '" + component.id + "': missing required config '" + f.name + "' (" + what + ")");
      }
      out[f.name] = f.default_value;
      continue;
    }
    out[f.name] = Checker(component, f).check(*v, json::child_pointer("", f.name));
  }
  return out;
}

std::vector<std::pair<std::string, const KeySpec*>> resolve_keys(const std::vector<KeySpec>& specs,
                                                                 const bj::object& resolved) {
  std::vector<std::pair<std::string, const KeySpec*>> out;
  for (const KeySpec& spec : specs) {
    if (spec.field.empty()) {
      out.emplace_back(spec.key, &spec);
      continue;
    }
    const bj::value* v = resolved.if_contains(spec.field);
    if (v == nullptr || v->is_null()) continue;
    if (v->is_string()) out.emplace_back(std::string(v->as_string()) + spec.suffix, &spec);
    else if (v->is_array())
      for (const bj::value& k : v->as_array())
        if (k.is_string()) out.emplace_back(std::string(k.as_string()) + spec.suffix, &spec);
  }
  return out;
}

}  // namespace fuse
