// fuse plugins list | inspect | check: what is installed, what a plugin offers, whether a package is sound.
#include <iostream>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "commands.h"
#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "fuse/manifest/config_schema.h"
#include "fuse/plugin/registry.h"
#include "../common/table.h"

namespace fuse::cli {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

std::string kinds_of(const PluginManifest& m) {
  std::vector<std::string> kinds;
  for (ComponentKind k : {ComponentKind::kOp, ComponentKind::kModel, ComponentKind::kLoss, ComponentKind::kMetric})
    for (const ComponentManifest& c : m.components)
      if (c.kind == k) {
        kinds.push_back(kind_name(k));
        break;
      }
  return kinds.empty() ? "-" : join(kinds, ",");
}

int list(bool as_json) {
  Registry registry;
  if (as_json) {
    bj::array out;
    for (const PluginPackage& p : registry.packages()) {
      bj::object o;
      o["id"] = p.manifest ? bj::value(p.manifest->id) : bj::value(nullptr);
      o["version"] = p.manifest ? bj::value(p.manifest->version) : bj::value(nullptr);
      o["path"] = p.manifest_path.parent_path().string();
      o["status"] = registry.status(p);
      bj::array components;
      if (p.manifest)
        for (const ComponentManifest& c : p.manifest->components)
          components.push_back(bj::object{{"id", c.id}, {"kind", kind_name(c.kind)}, {"version", c.version}});
      o["components"] = std::move(components);
      out.push_back(std::move(o));
    }
    std::cout << json::to_text(out, {2}) << "\n";
    return 0;
  }
  if (registry.packages().empty()) {
    std::cout << "No plugins found. Searched:\n";
    for (const fs::path& p : default_plugin_paths()) std::cout << "  " << p.string() << "\n";
    return 0;
  }
  Table table({"ID", "VERSION", "KINDS", "COMPONENTS", "PATH", "STATUS"});
  for (const PluginPackage& p : registry.packages()) {
    const std::string dir = p.manifest_path.parent_path().string();
    if (p.manifest)
      table.add({p.manifest->id, p.manifest->version, kinds_of(*p.manifest), std::to_string(p.manifest->components.size()),
                 dir, registry.status(p)});
    else
      table.add({"?", "?", "-", "-", dir, registry.status(p)});
  }
  table.print(std::cout);
  return 0;
}

std::string constraint_text(const ConfigField& f) {
  std::vector<std::string> parts;
  if (f.min) parts.push_back(">= " + json::format_number(*f.min));
  if (f.max) parts.push_back("<= " + json::format_number(*f.max));
  if (!f.choices.empty()) {
    std::vector<std::string> names;
    for (const bj::value& c : f.choices) names.push_back(json::to_text(c));
    parts.push_back("one of " + join(names, ", "));
  }
  return join(parts, ", ");
}

std::string keys_text(const std::vector<KeySpec>& specs) {
  std::vector<std::string> out;
  for (const KeySpec& s : specs) {
    std::string text = s.key;
    std::vector<std::string> details;
    if (s.type != "any") details.push_back(s.type);
    for (DLDataType d : s.dtypes) details.push_back(dtype_name(d));
    if (!s.ndims.empty()) {
      std::vector<std::string> n;
      for (int32_t d : s.ndims) n.push_back(std::to_string(d));
      details.push_back("ndim " + join(n, "|"));
    }
    if (s.optional) details.push_back("optional");
    if (!details.empty()) text += " (" + join(details, " ") + ")";
    out.push_back(text);
  }
  return out.empty() ? "-" : join(out, ", ");
}

void print_component(const ComponentManifest& c) {
  std::cout << "\n" << kind_name(c.kind) << " " << c.id << " " << c.version << "\n";
  if (!c.description.empty()) std::cout << "  " << c.description << "\n";
  if (!c.config.empty()) {
    std::cout << "  config:\n";
    Table table({"    NAME", "TYPE", "DEFAULT", "CONSTRAINTS", "DESCRIPTION"});
    for (const ConfigField& f : c.config)
      table.add({"    " + f.name, field_type_name(f.type), f.required ? "(required)" : json::to_text(f.default_value),
                 constraint_text(f), f.description});
    table.print(std::cout);
  }
  std::cout << "  reads:  " << keys_text(c.reads) << "\n";
  std::cout << "  writes: " << keys_text(c.writes) << "\n";
  if (c.fit) {
    std::string set;
    for (const auto& [field, statistic] : c.fit->set) set += (set.empty() ? "" : ", ") + field + " = " + statistic;
    if (c.fit->on_predictions())
      std::cout << "  fit:    " << set << " of the trained model's '" << c.fit->of << "' on the training samples, once training ends (a postprocess step "
                << "with \"fit\": {\"time\": KEY, \"event\": KEY})\n";
    else
      std::cout << "  fit:    " << set << " of each key in '" << c.fit->of << "', over the training samples (a step with \"fit\": true)\n";
  }
  for (const SizeSpec& s : c.sizes) {
    const std::string input = "'" + s.of + "'[" + std::to_string(s.index) + "]";
    const std::string from = input + " from dimension " + std::to_string(s.dim) + " on";
    std::cout << "  sizes:  " << s.field << " = "
              << (s.spatial ? "the sizes of " + from + ", last first"
                  : s.flatten ? "the size of " + from
                              : "the size of dimension " + std::to_string(s.dim) + " of " + input)
              << " in a training batch, when left out\n";
  }
  if (c.example) std::cout << "  example config: " << json::to_text(*c.example) << "\n";
}

int inspect(const std::string& id) {
  Registry registry;
  const PluginPackage* package = registry.package(id);
  const ComponentManifest* only = nullptr;
  if (package == nullptr) {
    only = &registry.component(id);  // a component id; errors with a suggestion when it is neither
    for (const PluginPackage& p : registry.packages())
      if (p.manifest && p.manifest->component(id) == only) package = &p;
  }
  const PluginManifest& m = *package->manifest;
  std::cout << "plugin " << m.id << " " << m.version << "\n";
  if (!m.description.empty()) std::cout << "  " << m.description << "\n";
  std::cout << "  path:     " << m.dir().string() << "\n"
            << "  abi:      " << m.abi_major << "." << m.abi_minor << "\n"
            << "  requires: " << (m.requires_torch.empty() ? "-" : "LibTorch " + m.requires_torch)
            << (m.requires_cuda ? ", CUDA" : "") << "\n"
            << "  status:   " << registry.status(*package) << "\n";
  for (const ComponentManifest& c : m.components)
    if (only == nullptr || only == &c) print_component(c);
  return 0;
}

// Validates a package first without running its code, then by loading it and creating each component.
int check(const fs::path& path) {
  const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  int failures = 0;
  auto ok = [](const std::string& what) { std::cout << "  ok    " << what << "\n"; };
  auto bad = [&](const std::string& what) {
    std::cout << "  FAIL  " << what << "\n";
    ++failures;
  };
  std::cout << "Checking plugin package " << dir.string() << "\n";
  Registry registry(Registry::Options{{dir}, {}});
  if (registry.packages().empty()) {
    bad("no fm-plugin.json in " + dir.string());
    return 1;
  }
  const PluginPackage& p = registry.packages()[0];
  if (!p.manifest) {
    bad("manifest: " + p.error);
    return 1;
  }
  const PluginManifest& m = *p.manifest;
  ok("manifest: " + m.id + " " + m.version + ", " + std::to_string(m.components.size()) + " components");
  const std::string problem = compatibility_problem(m, HostInfo{});
  if (!problem.empty()) {
    bad("compatibility: " + problem);
    return 1;
  }
  ok("compatible with this host (ABI " + std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor) + ", " +
     host_platform() + ")");
  try {
    registry.library(p);
  } catch (const Error& e) {
    bad(std::string("library: ") + e.what());
    return 1;
  }
  ok("library: sha256 verified, opened, components match the manifest");
  for (const ComponentManifest& c : m.components) {
    const std::string what = std::string(kind_name(c.kind)) + " " + c.id;
    const bj::object config = c.example ? *c.example : bj::object();
    try {
      switch (c.kind) {
        case ComponentKind::kOp: registry.create_op(c.id, config); break;
        case ComponentKind::kModel: registry.create_model(c.id, config); break;
        case ComponentKind::kLoss: registry.create_loss(c.id, config); break;
        case ComponentKind::kMetric: registry.create_metric(c.id, config); break;
      }
      ok(what + ": created and destroyed with its " + (c.example ? "example" : "default") + " config");
    } catch (const ConfigError& e) {
      bad(what + ": " + e.what() + (c.example ? "" : " (add an \"example\" config to the manifest)"));
    } catch (const Error& e) {
      bad(what + ": " + e.what());
    }
  }
  std::cout << (failures ? "FAILED: " + std::to_string(failures) + " problem(s)\n" : "OK\n");
  return failures ? 1 : 0;
}

}  // namespace

void add_plugins_command(CLI::App& app, int& exit_code) {
  CLI::App* plugins = app.add_subcommand("plugins", "List, inspect and check plugins");
  plugins->require_subcommand(1);

  CLI::App* list_cmd = plugins->add_subcommand("list", "List the plugins on the search path");
  static bool as_json = false;
  list_cmd->add_flag("--json", as_json, "Print a JSON array instead of a table");
  list_cmd->callback([&] { exit_code = list(as_json); });

  CLI::App* inspect_cmd = plugins->add_subcommand("inspect", "Show a plugin's (or a component's) components, config and keys");
  static std::string id;
  inspect_cmd->add_option("ID", id, "plugin id or component id")->required();
  inspect_cmd->callback([&] { exit_code = inspect(id); });

  CLI::App* check_cmd = plugins->add_subcommand("check", "Validate a plugin package (a folder with fm-plugin.json)");
  static std::string path;
  check_cmd->add_option("PATH", path, "the package folder")->required();
  check_cmd->callback([&] { exit_code = check(path); });
}

}  // namespace fuse::cli
