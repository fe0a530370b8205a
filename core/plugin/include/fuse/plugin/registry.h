// The plugin registry: finds plugin packages (folders holding fm-plugin.json) on the search path, reads their
// manifests without running any plugin code, and creates components by id. A plugin's library is opened only
// when one of its components is first created.
#ifndef FUSE_PLUGIN_REGISTRY_H_
#define FUSE_PLUGIN_REGISTRY_H_

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/manifest/manifest.h"
#include "fuse/plugin/component.h"
#include "fuse/plugin/library.h"

namespace fuse {

// A plugin package found on the search path.
struct PluginPackage {
  std::filesystem::path manifest_path;
  std::shared_ptr<const PluginManifest> manifest;  // null when the manifest is invalid
  std::string error;                               // why the manifest is invalid
};

// The built-in folder (<fuse binary>/../lib/fuse/plugins), the user's ($XDG_DATA_HOME or
// ~/.local/share, then fuse/plugins) and each folder of FUSE_PLUGIN_PATH (':'-separated), in that order.
std::vector<std::filesystem::path> default_plugin_paths();

class Registry {
 public:
  struct Options {
    // Folders that are plugin packages or hold plugin packages one level down.
    std::vector<std::filesystem::path> search_paths = default_plugin_paths();
    HostInfo host;
  };

  Registry() : Registry(Options()) {}
  explicit Registry(Options options);

  // Every package found, in search order (invalid manifests included, with their error).
  const std::vector<PluginPackage>& packages() const { return packages_; }
  // The package with this plugin id (nullptr when none; Errc::kPlugin naming both paths when two have it).
  const PluginPackage* package(std::string_view plugin_id) const;
  // The manifest entry of a component. Unknown ids get a "did you mean"; an id offered by two packages is an
  // error naming both manifests.
  const ComponentManifest& component(std::string_view id) const;
  // The package that provides a component (same errors as component()).
  const PluginPackage& package_of(std::string_view component_id) const { return owner(component_id); }
  std::vector<std::string> component_ids() const;

  // "available", "loaded", or what keeps the package from loading ("invalid manifest: ...", "incompatible:
  // ...", "conflict: ..."). Reads no library.
  std::string status(const PluginPackage& package) const;

  // The package's library, opened (and verified) on first use; later calls return the same library.
  std::shared_ptr<Library> library(const PluginPackage& package) const;

  // Creates an instance: the config is checked against the manifest (ConfigError) and completed with defaults.
  Op create_op(std::string_view id, const boost::json::object& config = {}) const;
  Model create_model(std::string_view id, const boost::json::object& config = {}) const;
  Loss create_loss(std::string_view id, const boost::json::object& config = {}) const;
  Metric create_metric(std::string_view id, const boost::json::object& config = {}) const;

 private:
  template <class T>
  T create(std::string_view id, ComponentKind kind, const boost::json::object& config) const;
  const PluginPackage& owner(std::string_view component_id) const;
  void scan(const std::filesystem::path& folder);
  void add(const std::filesystem::path& manifest_path);

  Options options_;
  std::vector<PluginPackage> packages_;
  std::map<std::string, std::vector<size_t>, std::less<>> by_component_;  // component id -> packages
  std::map<std::string, std::vector<size_t>, std::less<>> by_plugin_;     // plugin id -> packages
  mutable std::mutex mutex_;
  mutable std::map<size_t, std::shared_ptr<Library>> libraries_;
};

}  // namespace fuse

#endif  // FUSE_PLUGIN_REGISTRY_H_
