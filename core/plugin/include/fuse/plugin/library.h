// An opened plugin library: verified (hash, ABI, registered components = manifest) and initialised.
// Shared ownership keeps it loaded while anything it produced is alive (instances, tensors with its deleters).
#ifndef FUSE_PLUGIN_LIBRARY_H_
#define FUSE_PLUGIN_LIBRARY_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuse/manifest/manifest.h"
#include "fuse_sdk/fm_plugin.h"

namespace fuse {

struct HostInfo {
  // The LibTorch version of this process's training engine ("" when fuse was built without it). Plugins that
  // need LibTorch must need this one: two copies in one process crash.
  std::string torch_version;
};

// The checks that need no loading: platform, ABI and LibTorch requirement. Returns "" when the plugin can be
// loaded by this host, else why not.
std::string compatibility_problem(const PluginManifest& manifest, const HostInfo& host);

class Library {
 public:
  // Verifies and opens the library of `manifest`: compatibility, the file's sha256 (before it is opened), the
  // entry symbol, the ABI it was built against, the components it registers; then calls its init.
  // Errors (Errc::kPlugin) name the plugin, the file and what to do.
  static std::shared_ptr<Library> open(std::shared_ptr<const PluginManifest> manifest, const HostInfo& host);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const PluginManifest& manifest() const { return *manifest_; }
  const std::filesystem::path& path() const { return path_; }
  // The descriptor the library registered for `id`, or nullptr.
  const fm_component_v1* component(std::string_view id) const;

 private:
  struct Handle;
  Library() = default;
  std::shared_ptr<const PluginManifest> manifest_;
  std::filesystem::path path_;
  std::unique_ptr<Handle> handle_;
  const fm_plugin_v1* plugin_ = nullptr;
};

}  // namespace fuse

#endif  // FUSE_PLUGIN_LIBRARY_H_
