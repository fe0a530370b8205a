#include "fuse/plugin/registry.h"

#include <algorithm>
#include <cstdlib>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/ndict_json.h"
#include "fuse/manifest/config_schema.h"
#include "host_api.h"

namespace fuse {

namespace fs = std::filesystem;

namespace {
constexpr const char* kManifestName = "fm-plugin.json";
}

std::vector<fs::path> default_plugin_paths() {
  std::vector<fs::path> paths;
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (!ec) paths.push_back(exe.parent_path().parent_path() / "lib" / "fuse" / "plugins");
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0')
    paths.push_back(fs::path(xdg) / "fuse" / "plugins");
  else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    paths.push_back(fs::path(home) / ".local" / "share" / "fuse" / "plugins");
  if (const char* extra = std::getenv("FUSE_PLUGIN_PATH"))
    for (std::string_view p : split(extra, ':'))
      if (!p.empty()) paths.emplace_back(p);
  return paths;
}

Registry::Registry(Options options) : options_(std::move(options)) {
  for (const fs::path& folder : options_.search_paths) scan(folder);
}

void Registry::scan(const fs::path& folder) {
  std::error_code ec;
  if (fs::is_regular_file(folder / kManifestName, ec)) {
    add(folder / kManifestName);
    return;
  }
  if (!fs::is_directory(folder, ec)) return;  // a search folder that does not exist holds no plugins
  std::vector<fs::path> found;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec))
    if (entry.is_directory(ec) && fs::is_regular_file(entry.path() / kManifestName, ec))
      found.push_back(entry.path() / kManifestName);
  std::sort(found.begin(), found.end());  // the same order on every machine
  for (const fs::path& manifest : found) add(manifest);
}

void Registry::add(const fs::path& manifest_path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(manifest_path, ec);
  const fs::path path = ec ? manifest_path : canonical;
  for (const PluginPackage& p : packages_)
    if (p.manifest_path == path) return;  // the same folder reached twice through the search path
  PluginPackage package;
  package.manifest_path = path;
  try {
    package.manifest = std::make_shared<const PluginManifest>(load_manifest(path));
  } catch (const Error& e) {
    package.error = e.what();
  }
  const size_t index = packages_.size();
  if (package.manifest) {
    by_plugin_[package.manifest->id].push_back(index);
    for (const ComponentManifest& c : package.manifest->components) by_component_[c.id].push_back(index);
  }
  packages_.push_back(std::move(package));
}

const PluginPackage* Registry::package(std::string_view plugin_id) const {
  auto it = by_plugin_.find(plugin_id);
  if (it == by_plugin_.end()) return nullptr;
  if (it->second.size() > 1)
    throw Error(Errc::kPlugin, "plugin '" + std::string(plugin_id) + "' is installed twice: " +
                                   packages_[it->second[0]].manifest_path.string() + " and " +
                                   packages_[it->second[1]].manifest_path.string() +
                                   "; remove one of them or change FUSE_PLUGIN_PATH");
  return &packages_[it->second[0]];
}

const PluginPackage& Registry::owner(std::string_view component_id) const {
  auto it = by_component_.find(component_id);
  if (it == by_component_.end()) {
    std::vector<std::string> known = component_ids();
    std::vector<std::string> folders;
    for (const fs::path& p : options_.search_paths) folders.push_back(p.string());
    throw Error(Errc::kConfig, "unknown component '" + std::string(component_id) + "'" +
                                   did_you_mean(component_id, known) + " (" + std::to_string(known.size()) +
                                   " components found in: " + join(folders, ", ") + ")");
  }
  if (it->second.size() > 1) {
    const PluginManifest& a = *packages_[it->second[0]].manifest;
    const PluginManifest& b = *packages_[it->second[1]].manifest;
    throw Error(Errc::kPlugin, "component '" + std::string(component_id) + "' is provided by two plugins: '" + a.id +
                                   "' (" + a.file.string() + ") and '" + b.id + "' (" + b.file.string() +
                                   "); remove one of them or change FUSE_PLUGIN_PATH");
  }
  return packages_[it->second[0]];
}

const ComponentManifest& Registry::component(std::string_view id) const { return *owner(id).manifest->component(id); }

std::vector<std::string> Registry::component_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, packages] : by_component_) ids.push_back(id);
  return ids;
}

std::string Registry::status(const PluginPackage& p) const {
  if (!p.manifest) return "invalid manifest: " + p.error;
  const PluginManifest& m = *p.manifest;
  if (by_plugin_.at(m.id).size() > 1) return "conflict: plugin '" + m.id + "' is installed more than once";
  for (const ComponentManifest& c : m.components)
    if (by_component_.at(c.id).size() > 1) return "conflict: component '" + c.id + "' is also in another plugin";
  if (std::string problem = compatibility_problem(m, options_.host); !problem.empty()) return "incompatible: " + problem;
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t index = static_cast<size_t>(&p - packages_.data());
  return libraries_.count(index) ? "loaded" : "available";
}

std::shared_ptr<Library> Registry::library(const PluginPackage& p) const {
  if (!p.manifest) throw Error(Errc::kPlugin, "plugin at " + p.manifest_path.string() + " has an invalid manifest: " + p.error);
  const size_t index = static_cast<size_t>(&p - packages_.data());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = libraries_.find(index);
  if (it != libraries_.end()) return it->second;
  std::shared_ptr<Library> lib = Library::open(p.manifest, options_.host);
  libraries_[index] = lib;
  return lib;
}

template <class T>
T Registry::create(std::string_view id, ComponentKind kind, const boost::json::object& config) const {
  const PluginPackage& p = owner(id);
  const ComponentManifest& declared = *p.manifest->component(id);
  if (declared.kind != kind)
    throw Error(Errc::kConfig, "component '" + std::string(id) + "' is " + (declared.kind == ComponentKind::kOp ? "an " : "a ") +
                                   kind_name(declared.kind) + ", not " + (kind == ComponentKind::kOp ? "an " : "a ") +
                                   kind_name(kind));
  boost::json::object resolved = resolve_config(declared, config);
  std::shared_ptr<Library> lib = library(p);
  const fm_component_v1* descriptor = lib->component(id);
  T component(lib, descriptor, &declared, std::move(resolved));
  NDict config_dict = json::ndict_from_json(component.config());
  void* instance = nullptr;
  {
    CallScope scope(lib);
    throw_plugin_error(descriptor->create(to_handle(&config_dict), &instance), component.name() + ": create failed: ");
  }
  component.instance_ = instance;  // may be null for a stateless component
  return component;
}

Op Registry::create_op(std::string_view id, const boost::json::object& config) const {
  return create<Op>(id, ComponentKind::kOp, config);
}
Model Registry::create_model(std::string_view id, const boost::json::object& config) const {
  return create<Model>(id, ComponentKind::kModel, config);
}
Loss Registry::create_loss(std::string_view id, const boost::json::object& config) const {
  return create<Loss>(id, ComponentKind::kLoss, config);
}
Metric Registry::create_metric(std::string_view id, const boost::json::object& config) const {
  return create<Metric>(id, ComponentKind::kMetric, config);
}

}  // namespace fuse
