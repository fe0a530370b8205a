#include "fuse/manifest/manifest.h"

#include <algorithm>
#include <cctype>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/manifest/config_schema.h"
#include "fuse_sdk/dtype.hpp"
#include "fuse/json/write.h"

namespace fuse {

namespace bj = boost::json;

const char* kind_name(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kOp: return "op";
    case ComponentKind::kModel: return "model";
    case ComponentKind::kLoss: return "loss";
    case ComponentKind::kMetric: return "metric";
  }
  return "?";
}

std::optional<ComponentKind> parse_kind(std::string_view name) {
  for (ComponentKind k : {ComponentKind::kOp, ComponentKind::kModel, ComponentKind::kLoss, ComponentKind::kMetric})
    if (name == kind_name(k)) return k;
  return std::nullopt;
}

namespace {

struct NamedType {
  const char* name;
  FieldType type;
};
constexpr NamedType kFieldTypes[] = {
    {"int", FieldType::kInt},          {"double", FieldType::kDouble},         {"bool", FieldType::kBool},
    {"string", FieldType::kString},    {"path", FieldType::kPath},             {"key", FieldType::kKey},               {"int[]", FieldType::kIntList},
    {"double[]", FieldType::kDoubleList}, {"string[]", FieldType::kStringList}, {"key[]", FieldType::kKeyList},
    {"object", FieldType::kObject},    {"any", FieldType::kAny},
};

std::vector<std::string> field_type_names() {
  std::vector<std::string> names;
  for (const NamedType& t : kFieldTypes) names.emplace_back(t.name);
  return names;
}

constexpr int kManifestVersion = 3;  // 2: components may have "fit"; 3: models may have "sizes"
const std::vector<std::string> kValueTypes = {"tensor", "int", "double", "bool", "string", "list", "dict", "any"};

bool is_valid_id(std::string_view id) {
  if (id.empty() || !std::islower(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-' || c == '.'))
      return false;
  return id.find("..") == std::string_view::npos && id.back() != '.';
}

// MAJOR.MINOR.PATCH with an optional "-suffix".
bool is_valid_version(std::string_view v) {
  std::string_view core = v.substr(0, v.find('-'));
  std::vector<std::string_view> parts = split(core, '.');
  if (parts.size() != 3) return false;
  for (std::string_view p : parts) {
    if (p.empty()) return false;
    for (char c : p)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Reads a manifest's JSON, turning every problem into an error located in the file.
class Reader {
 public:
  explicit Reader(const json::Document& document) : doc_(document) {}

  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    throw Error(Errc::kConfig, doc_.location(pointer) + ": " + message);
  }

  const bj::object& object(const bj::value& v, const std::string& pointer, const std::string& what) const {
    if (!v.is_object()) fail(pointer, what + " must be a JSON object");
    return v.as_object();
  }

  // Rejects members outside `allowed`, with a suggestion for likely typos.
  void check_members(const bj::object& o, const std::string& pointer, const std::vector<std::string>& allowed,
                     const std::string& what) const {
    for (const auto& member : o) {
      const std::string name(member.key());
      bool known = false;
      for (const std::string& a : allowed) known = known || a == name;
      if (!known)
        fail(json::child_pointer(pointer, name),
             "unknown field '" + name + "' in " + what + did_you_mean(name, allowed) + " (allowed: " +
                 join(allowed, ", ") + ")");
    }
  }

  const bj::value* member(const bj::object& o, const std::string& pointer, const std::string& name, bool required,
                          const std::string& what) const {
    const bj::value* v = o.if_contains(name);
    if (v == nullptr && required) fail(pointer, "missing field '" + name + "' in " + what);
    return v;
  }

  std::string string(const bj::object& o, const std::string& pointer, const std::string& name, bool required,
                     const std::string& what) const {
    const bj::value* v = member(o, pointer, name, required, what);
    if (v == nullptr) return "";
    if (!v->is_string()) fail(json::child_pointer(pointer, name), "'" + name + "' must be a string");
    return std::string(v->as_string());
  }

  uint32_t uint(const bj::object& o, const std::string& pointer, const std::string& name, const std::string& what) const {
    const bj::value* v = member(o, pointer, name, true, what);
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 0xffff)
      fail(json::child_pointer(pointer, name), "'" + name + "' must be a non-negative integer");
    return static_cast<uint32_t>(v->as_int64());
  }

  ConfigField field(const std::string& name, const bj::value& v, const std::string& pointer) const {
    const bj::object& o = object(v, pointer, "config field '" + name + "'");
    check_members(o, pointer, {"type", "default", "min", "max", "enum", "description"}, "config field '" + name + "'");
    ConfigField f;
    f.name = name;
    const std::string type = string(o, pointer, "type", true, "config field '" + name + "'");
    bool found = false;
    for (const NamedType& t : kFieldTypes)
      if (type == t.name) f.type = t.type, found = true;
    if (!found)
      fail(json::child_pointer(pointer, "type"), "config field '" + name + "' has unknown type '" + type + "'" +
                                                     did_you_mean(type, field_type_names()) + " (allowed: " +
                                                     join(field_type_names(), ", ") + ")");
    f.description = string(o, pointer, "description", false, "config field '" + name + "'");
    for (const char* bound : {"min", "max"}) {
      if (const bj::value* b = o.if_contains(bound)) {
        if (!b->is_number()) fail(json::child_pointer(pointer, bound), std::string("'") + bound + "' must be a number");
        (bound[1] == 'i' ? f.min : f.max) = b->to_number<double>();
      }
    }
    if (const bj::value* e = o.if_contains("enum")) {
      if (!e->is_array() || e->as_array().empty())
        fail(json::child_pointer(pointer, "enum"), "'enum' must be a non-empty array of allowed values");
      f.choices.assign(e->as_array().begin(), e->as_array().end());
    }
    if (const bj::value* d = o.if_contains("default")) {
      f.required = false;
      f.default_value = *d;
    }
    return f;
  }

  KeySpec key_spec(const bj::value& v, const std::string& pointer, const ComponentManifest& c) const {
    KeySpec spec;
    if (v.is_string()) {
      spec.key = std::string(v.as_string());
    } else {
      const bj::object& o = object(v, pointer, "a key entry");
      check_members(o, pointer, {"key", "type", "dtype", "ndim", "shape", "values", "optional"}, "a key entry");
      spec.key = string(o, pointer, "key", true, "a key entry");
      if (o.contains("type")) spec.type = string(o, pointer, "type", true, "a key entry");
      if (const bj::value* dt = o.if_contains("dtype")) {
        const std::string p = json::child_pointer(pointer, "dtype");
        if (!dt->is_array()) fail(p, "'dtype' must be an array of dtype names");
        for (size_t i = 0; i < dt->as_array().size(); ++i) {
          const bj::value& name = dt->as_array()[i];
          std::optional<DLDataType> parsed =
              name.is_string() ? sdk::parse_dtype(std::string(name.as_string())) : std::nullopt;
          if (!parsed) fail(json::child_pointer(p, i), "unknown dtype " + json::to_text(name));
          spec.dtypes.push_back(*parsed);
        }
        if (spec.type == "any") spec.type = "tensor";
      }
      if (const bj::value* nd = o.if_contains("ndim")) {
        const std::string p = json::child_pointer(pointer, "ndim");
        if (nd->is_int64()) {
          spec.ndims.push_back(static_cast<int32_t>(nd->as_int64()));
        } else if (nd->is_array()) {
          for (const bj::value& n : nd->as_array()) {
            if (!n.is_int64()) fail(p, "'ndim' must be an integer or an array of integers");
            spec.ndims.push_back(static_cast<int32_t>(n.as_int64()));
          }
        } else {
          fail(p, "'ndim' must be an integer or an array of integers");
        }
      }
      if (const bj::value* sh = o.if_contains("shape")) {
        const std::string p = json::child_pointer(pointer, "shape");
        if (!sh->is_array()) fail(p, "'shape' must be an array of sizes (-1 or null for any size)");
        for (const bj::value& d : sh->as_array()) {
          if (d.is_null()) spec.shape.push_back(-1);
          else if (d.is_int64()) spec.shape.push_back(d.as_int64());
          else fail(p, "'shape' must be an array of sizes (-1 or null for any size)");
        }
      }
      if (const bj::value* vals = o.if_contains("values")) {
        const std::string p = json::child_pointer(pointer, "values");
        if (!vals->is_array() || vals->as_array().empty()) fail(p, "'values' must be a non-empty array of integers");
        for (const bj::value& allowed : vals->as_array()) {
          if (!allowed.is_int64()) fail(p, "'values' must be a non-empty array of integers");
          spec.values.push_back(allowed.as_int64());
        }
      }
      if (const bj::value* opt = o.if_contains("optional")) {
        if (!opt->is_bool()) fail(json::child_pointer(pointer, "optional"), "'optional' must be true or false");
        spec.optional = opt->as_bool();
      }
    }
    bool type_known = false;
    for (const std::string& t : kValueTypes) type_known = type_known || t == spec.type;
    if (!type_known)
      fail(pointer, "unknown value type '" + spec.type + "'" + did_you_mean(spec.type, kValueTypes) + " (allowed: " +
                        join(kValueTypes, ", ") + ")");
    if (!spec.key.empty() && spec.key[0] == '$') {
      if (spec.key.size() > 1 && spec.key[1] == '{') {
        const size_t close = spec.key.find('}');
        if (close == std::string::npos)
          fail(pointer, "key '" + spec.key + "' opens '${' without closing it; write \"${field}_suffix\"");
        spec.field = spec.key.substr(2, close - 2);
        spec.suffix = spec.key.substr(close + 1);
        if (!spec.suffix.empty() && !is_valid_key("x" + spec.suffix))
          fail(pointer, "key '" + spec.key + "': the suffix '" + spec.suffix + "' would not make a dotted key");
      } else {
        spec.field = spec.key.substr(1);
      }
      const std::string name = spec.field;
      const ConfigField* f = c.field(name);
      if (f == nullptr)
        fail(pointer, "key '" + spec.key + "' refers to config field '" + name + "', which the component does not have");
      if (f->type != FieldType::kKey && f->type != FieldType::kKeyList && f->type != FieldType::kString &&
          f->type != FieldType::kStringList)
        fail(pointer, "key '" + spec.key + "' refers to config field '" + name + "' of type " +
                          field_type_name(f->type) + "; it must be key, key[], string or string[]");
    } else if (!is_valid_key(spec.key)) {
      fail(pointer, "'" + spec.key + "' is not a dotted key (like 'data.image') or a '$field' reference");
    }
    return spec;
  }

  ComponentManifest component(const bj::value& v, const std::string& pointer) const {
    const bj::object& o = object(v, pointer, "a component");
    ComponentManifest c;
    c.pointer = pointer;
    c.id = string(o, pointer, "id", true, "a component");
    const std::string what = "component '" + c.id + "'";
    check_members(o, pointer, {"kind", "id", "version", "description", "config", "reads", "writes", "example", "fit", "sizes"}, what);
    if (!is_valid_id(c.id))
      fail(json::child_pointer(pointer, "id"), "component id '" + c.id +
                                                   "' must be lower-case letters, digits, '_', '-' and '.', "
                                                   "starting with a letter");
    const std::string kind = string(o, pointer, "kind", true, what);
    std::optional<ComponentKind> k = parse_kind(kind);
    if (!k)
      fail(json::child_pointer(pointer, "kind"), what + " has unknown kind '" + kind + "'" +
                                                     did_you_mean(kind, {"op", "model", "loss", "metric"}) +
                                                     " (expected op, model, loss or metric)");
    c.kind = *k;
    c.version = string(o, pointer, "version", true, what);
    if (!is_valid_version(c.version))
      fail(json::child_pointer(pointer, "version"), what + " version '" + c.version + "' is not MAJOR.MINOR.PATCH");
    c.description = string(o, pointer, "description", false, what);
    if (const bj::value* cfg = o.if_contains("config")) {
      const std::string p = json::child_pointer(pointer, "config");
      for (const auto& m : object(*cfg, p, "'config'"))
        c.config.push_back(field(std::string(m.key()), m.value(), json::child_pointer(p, m.key())));
    }
    for (const char* list : {"reads", "writes"}) {
      const bj::value* keys = o.if_contains(list);
      if (keys == nullptr) continue;
      const std::string p = json::child_pointer(pointer, list);
      if (!keys->is_array()) fail(p, std::string("'") + list + "' must be an array of keys");
      for (size_t i = 0; i < keys->as_array().size(); ++i)
        (list[0] == 'r' ? c.reads : c.writes).push_back(key_spec(keys->as_array()[i], json::child_pointer(p, i), c));
    }
    if (const bj::value* f = o.if_contains("fit")) c.fit = fit(*f, json::child_pointer(pointer, "fit"), c);
    if (const bj::value* s = o.if_contains("sizes")) c.sizes = sizes(*s, json::child_pointer(pointer, "sizes"), c);
    if (const bj::value* ex = o.if_contains("example")) {
      const std::string p = json::child_pointer(pointer, "example");
      c.example = object(*ex, p, "'example'");
      try {
        resolve_config(c, *c.example);
      } catch (const ConfigError& e) {
        fail(p + e.pointer(), std::string("the example config does not validate: ") + e.what());
      }
    }
    return c;
  }

  // {"of": key field, "set": {double field: statistic}}: which config values the host may fit to the data.
  FitSpec fit(const bj::value& v, const std::string& pointer, const ComponentManifest& c) const {
    const std::string what = "component '" + c.id + "': ";
    if (manifest_version_ < 2) fail(pointer, what + "'fit' needs \"manifest_version\": 2 (hosts before it do not read 'fit')");
    if (c.kind != ComponentKind::kOp) fail(pointer, what + "'fit' is for ops only, which are fitted to data (this is a " + kind_name(c.kind) + ")");
    const bj::object& o = object(v, pointer, what + "'fit'");
    check_members(o, pointer, {"of", "set"}, what + "'fit'");
    FitSpec spec;
    spec.of = string(o, pointer, "of", true, what + "'fit'");
    const ConfigField* of = c.field(spec.of);
    if (of == nullptr || (of->type != FieldType::kKey && of->type != FieldType::kKeyList))
      fail(json::child_pointer(pointer, "of"), what + "fit 'of' must name a key or key[] config field (the keys whose values are measured), got '" + spec.of + "'");
    const std::string p = json::child_pointer(pointer, "set");
    const bj::object& set = object(*member(o, pointer, "set", true, what + "'fit'"), p, what + "fit 'set'");
    if (set.empty()) fail(p, what + "fit 'set' names no config field to fit");
    for (const auto& m : set) {
      const std::string field(m.key()), at = json::child_pointer(p, field);
      const ConfigField* f = c.field(field);
      if (!m.value().is_string() || !is_fit_statistic(m.value().as_string()))
        fail(at, what + "fit 'set': '" + field + "' must be one of the statistics " + kFitStatistics + ", got " + json::to_text(m.value()));
      if (f == nullptr || !fit_statistic_fills(f->type, m.value().as_string()))
        fail(at, what + "fit 'set': '" + field + "' must be " + fit_field_needs(m.value().as_string()) + " of the component, to receive the " +
                     std::string(m.value().as_string()));
      spec.set.emplace_back(field, std::string(m.value().as_string()));
    }
    const auto categories = std::count_if(spec.set.begin(), spec.set.end(), [](const auto& f) { return f.second == "categories"; });
    if (categories != 0 && static_cast<size_t>(categories) != spec.set.size())
      fail(p, what + "fit 'set' mixes categories with numbers; a key's values are either counted or measured");
    const auto predicted = std::count_if(spec.set.begin(), spec.set.end(), [](const auto& f) { return is_prediction_statistic(f.second); });
    if (predicted != 0 && static_cast<size_t>(predicted) != spec.set.size())
      fail(p, what + "fit 'set' mixes statistics of the data with those of a trained model's predictions (breslow_*); they are fitted at different times");
    return spec;
  }

  // {int field: {"of": key field, "index": i, "dim": d}}: config sizes the host may take from the data.
  std::vector<SizeSpec> sizes(const bj::value& v, const std::string& pointer, const ComponentManifest& c) const {
    const std::string what = "component '" + c.id + "': ";
    if (manifest_version_ < 3) fail(pointer, what + "'sizes' needs \"manifest_version\": 3 (hosts before it do not read 'sizes')");
    if (c.kind != ComponentKind::kModel) fail(pointer, what + "'sizes' is for models, which are sized from their inputs (this is a " + kind_name(c.kind) + ")");
    std::vector<SizeSpec> specs;
    for (const auto& m : object(v, pointer, what + "'sizes'")) {
      SizeSpec s;
      s.field = std::string(m.key());
      const std::string at = json::child_pointer(pointer, s.field);
      const ConfigField* f = c.field(s.field);
      const bj::object& o = object(m.value(), at, what + "sizes '" + s.field + "'");
      check_members(o, at, {"of", "index", "dim", "flatten", "spatial"}, what + "sizes '" + s.field + "'");
      if (const bj::value* spatial = o.if_contains("spatial")) {
        if (!spatial->is_bool()) fail(json::child_pointer(at, "spatial"), what + "sizes '" + s.field + "': 'spatial' must be true or false");
        s.spatial = spatial->as_bool();
      }
      const FieldType type = s.spatial ? FieldType::kIntList : FieldType::kInt;
      if (f == nullptr || f->type != type || f->required || !f->default_value.is_null())
        fail(at, what + "sizes: '" + s.field + "' must be an " + field_type_name(type) +
                     " config field whose default is null (the host sets it only where a config leaves it out)" +
                     (s.spatial ? "" : "; a list of sizes is \"spatial\": true"));
      s.of = string(o, at, "of", true, what + "sizes '" + s.field + "'");
      const ConfigField* of = c.field(s.of);
      if (of == nullptr || (of->type != FieldType::kKey && of->type != FieldType::kKeyList))
        fail(json::child_pointer(at, "of"), what + "sizes '" + s.field + "': 'of' must name a key or key[] config field (the inputs), got '" + s.of + "'");
      const bj::value* index = o.if_contains("index");
      if (index && (!index->is_int64() || index->as_int64() < 0 || (of->type == FieldType::kKey && index->as_int64() != 0)))
        fail(json::child_pointer(at, "index"), what + "sizes '" + s.field + "': 'index' must be an integer >= 0 (0 for a key field): which of '" + s.of + "''s keys");
      s.index = index ? static_cast<size_t>(index->as_int64()) : 0;
      const bj::value* dim = o.if_contains("dim");
      if (dim == nullptr || !dim->is_int64())
        fail(dim ? json::child_pointer(at, "dim") : at, what + "sizes '" + s.field + "': 'dim' must be an integer: the dimension whose size it takes (0: the batch; -1: the last)");
      s.dim = dim->as_int64();
      if (const bj::value* flatten = o.if_contains("flatten")) {
        if (!flatten->is_bool()) fail(json::child_pointer(at, "flatten"), what + "sizes '" + s.field + "': 'flatten' must be true or false");
        s.flatten = flatten->as_bool();
      }
      if (s.flatten && s.spatial) fail(at, what + "sizes '" + s.field + "': 'flatten' (one product) and 'spatial' (a size per dimension) exclude each other");
      specs.push_back(std::move(s));
    }
    return specs;
  }

  PluginManifest plugin(const std::filesystem::path& file) {
    PluginManifest m;
    m.file = file;
    const bj::object& o = object(doc_.root(), "", "the manifest");
    if (const bj::value* v = o.if_contains("manifest_version")) {
      if (!v->is_int64() || v->as_int64() < 1)
        fail("/manifest_version", "'manifest_version' must be a positive integer");
      if (v->as_int64() > kManifestVersion)
        fail("/manifest_version", "manifest_version " + std::to_string(v->as_int64()) +
                                      " is newer than this host reads (" + std::to_string(kManifestVersion) +
                                      "): update fuse");
      manifest_version_ = v->as_int64();
    }
    check_members(o, "",
                  {"manifest_version", "id", "version", "description", "abi", "requires", "libraries", "components"},
                  "the manifest");
    m.id = string(o, "", "id", true, "the manifest");
    if (!is_valid_id(m.id))
      fail("/id", "plugin id '" + m.id + "' must be lower-case letters, digits, '_', '-' and '.', starting with a letter");
    m.version = string(o, "", "version", true, "the manifest");
    if (!is_valid_version(m.version)) fail("/version", "plugin version '" + m.version + "' is not MAJOR.MINOR.PATCH");
    m.description = string(o, "", "description", false, "the manifest");

    const bj::object& abi = object(*member(o, "", "abi", true, "the manifest"), "/abi", "'abi'");
    check_members(abi, "/abi", {"major", "minor"}, "'abi'");
    m.abi_major = uint(abi, "/abi", "major", "'abi'");
    m.abi_minor = uint(abi, "/abi", "minor", "'abi'");

    if (const bj::value* r = o.if_contains("requires")) {
      const bj::object& req = object(*r, "/requires", "'requires'");
      check_members(req, "/requires", {"torch", "cuda"}, "'requires'");
      m.requires_torch = string(req, "/requires", "torch", false, "'requires'");
      if (const bj::value* cuda = req.if_contains("cuda")) {
        if (!cuda->is_bool()) fail("/requires/cuda", "'cuda' must be true or false");
        m.requires_cuda = cuda->as_bool();
      }
    }

    const bj::value* libs = member(o, "", "libraries", true, "the manifest (fuse_add_plugin() writes it at build time)");
    if (!libs->is_array() || libs->as_array().empty())
      fail("/libraries", "'libraries' must be a non-empty array of {platform, path, sha256}");
    for (size_t i = 0; i < libs->as_array().size(); ++i) {
      const std::string p = json::child_pointer("/libraries", i);
      const bj::object& lib = object(libs->as_array()[i], p, "a library entry");
      check_members(lib, p, {"platform", "path", "sha256"}, "a library entry");
      LibraryEntry e{string(lib, p, "platform", true, "a library entry"), string(lib, p, "path", true, "a library entry"),
                     string(lib, p, "sha256", true, "a library entry")};
      if (e.sha256.size() != 64 || e.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
        fail(json::child_pointer(p, "sha256"), "'sha256' must be 64 lower-case hex digits");
      if (std::filesystem::path(e.path).is_absolute() || e.path.find("..") != std::string::npos)
        fail(json::child_pointer(p, "path"), "library path '" + e.path + "' must be relative to the manifest's folder");
      m.libraries.push_back(std::move(e));
    }

    const bj::value* comps = member(o, "", "components", true, "the manifest");
    if (!comps->is_array()) fail("/components", "'components' must be an array");
    for (size_t i = 0; i < comps->as_array().size(); ++i) {
      const std::string p = json::child_pointer("/components", i);
      ComponentManifest c = component(comps->as_array()[i], p);
      for (const ComponentManifest& earlier : m.components)
        if (earlier.id == c.id) fail(p, "component id '" + c.id + "' appears twice in the manifest");
      m.components.push_back(std::move(c));
    }
    return m;
  }

 private:
  const json::Document& doc_;
  int64_t manifest_version_ = 1;
};

}  // namespace

bool is_prediction_statistic(std::string_view name) { return name == "breslow_times" || name == "breslow_hazard"; }

bool sets_prediction_statistic(const std::vector<std::pair<std::string, std::string>>& set) {
  return std::any_of(set.begin(), set.end(), [](const auto& f) { return is_prediction_statistic(f.second); });
}

bool FitSpec::on_predictions() const { return sets_prediction_statistic(set); }

bool is_fit_statistic(std::string_view name) {
  if (name == "categories" || is_prediction_statistic(name)) return true;
  if (name == "mean" || name == "std" || name == "min" || name == "max" || name == "median") return true;
  if (name.size() < 2 || name[0] != 'p') return false;
  const std::string number(name.substr(1));
  if (number.find_first_not_of("0123456789.") != std::string::npos || std::count(number.begin(), number.end(), '.') > 1 || number.front() == '.' ||
      number.back() == '.')
    return false;
  return std::stod(number) <= 100;
}

bool fit_statistic_fills(FieldType field, std::string_view statistic) {
  if (statistic == "categories") return field == FieldType::kObject || field == FieldType::kAny;
  if (is_prediction_statistic(statistic)) return field == FieldType::kDoubleList;
  return field == FieldType::kDouble;
}

const char* fit_field_needs(std::string_view statistic) {
  if (is_prediction_statistic(statistic)) return "a double[] config field";
  return statistic == "categories" ? "an object (category -> index) or any (their list) config field" : "a double config field";
}

const char* field_type_name(FieldType type) {
  for (const NamedType& t : kFieldTypes)
    if (t.type == type) return t.name;
  return "?";
}

const ConfigField* ComponentManifest::field(std::string_view name) const {
  for (const ConfigField& f : config)
    if (f.name == name) return &f;
  return nullptr;
}

const LibraryEntry* PluginManifest::host_library() const {
  const std::string platform = host_platform();
  for (const LibraryEntry& e : libraries)
    if (e.platform == platform) return &e;
  return nullptr;
}

const ComponentManifest* PluginManifest::component(std::string_view component_id) const {
  for (const ComponentManifest& c : components)
    if (c.id == component_id) return &c;
  return nullptr;
}

std::string host_platform() { return FUSE_HOST_PLATFORM; }

PluginManifest parse_manifest(const json::Document& document) {
  return Reader(document).plugin(document.source());
}

PluginManifest load_manifest(const std::filesystem::path& file) {
  return parse_manifest(json::Document::load(file));
}

}  // namespace fuse
