#include "fuse/plugin/library.h"

#include <cstddef>
#include <map>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/hash/sha256.h"
#include "host_api.h"

namespace fuse {

struct Library::Handle {
  boost::dll::shared_library library;
};

namespace {

std::string abi_text(uint32_t major, uint32_t minor) { return std::to_string(major) + "." + std::to_string(minor); }

// "" when a plugin built against `major`.`minor` runs on this host, else why not.
std::string abi_problem(uint32_t major, uint32_t minor) {
  const std::string host = abi_text(FM_ABI_VERSION_MAJOR, FM_ABI_VERSION_MINOR);
  if (major != FM_ABI_VERSION_MAJOR)
    return "it was built for ABI " + abi_text(major, minor) + " but this host speaks ABI " + host +
           " (the major versions must match): rebuild it against FuseSDK " + std::to_string(FM_ABI_VERSION_MAJOR) +
           ".x";
  if (minor > FM_ABI_VERSION_MINOR)
    return "it was built for ABI " + abi_text(major, minor) + ", newer than this host's ABI " + host +
           ": update fuse, or rebuild the plugin against an older FuseSDK";
  return "";
}

// "1.13.1" satisfies "1.13" and "1.13.1"; major and minor must match.
bool torch_matches(const std::string& required, const std::string& available) {
  std::vector<std::string_view> r = split(required, '.'), a = split(available, '.');
  for (size_t i = 0; i < r.size(); ++i)
    if (i >= a.size() || r[i] != a[i]) return false;
  return true;
}

// The size of each kind's descriptor in ABI 1.0: what a reader may rely on.
size_t minimum_size(fm_component_kind kind) {
  switch (kind) {
    case FM_KIND_OP: return sizeof(fm_op_v1);
    case FM_KIND_MODEL: return sizeof(fm_model_v1);
    case FM_KIND_LOSS: return sizeof(fm_loss_v1);
    case FM_KIND_METRIC: return sizeof(fm_metric_v1);
    default: return 0;
  }
}

std::string describe(const std::string& id, const char* kind, const std::string& version) {
  return id + " (" + kind + " " + version + ")";
}

}  // namespace

std::string compatibility_problem(const PluginManifest& m, const HostInfo& host) {
  if (std::string abi = abi_problem(m.abi_major, m.abi_minor); !abi.empty()) return abi;
  if (m.host_library() == nullptr) {
    std::vector<std::string> platforms;
    for (const LibraryEntry& e : m.libraries) platforms.push_back(e.platform);
    return "it has no library for this platform (" + host_platform() + "); it has: " + join(platforms, ", ");
  }
  if (!m.requires_torch.empty()) {
    if (host.torch_version.empty())
      return "it needs LibTorch " + m.requires_torch + " but this fuse was built without LibTorch";
    if (!torch_matches(m.requires_torch, host.torch_version))
      return "it needs LibTorch " + m.requires_torch + " but this fuse uses LibTorch " + host.torch_version +
             " (two LibTorch versions cannot share a process): rebuild the plugin against LibTorch " +
             host.torch_version;
  }
  return "";
}

std::shared_ptr<Library> Library::open(std::shared_ptr<const PluginManifest> manifest, const HostInfo& host) {
  const PluginManifest& m = *manifest;
  const std::string who = "plugin '" + m.id + "' (" + m.file.string() + ")";
  auto fail = [&](const std::string& message) { throw Error(Errc::kPlugin, who + ": " + message); };

  if (std::string problem = compatibility_problem(m, host); !problem.empty()) fail("cannot be loaded: " + problem);
  const LibraryEntry& entry = *m.host_library();
  const std::filesystem::path path = m.dir() / entry.path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    fail("library file '" + path.string() + "' not found; rebuild the plugin or fix 'path' in the manifest");

  // The hash is checked before the library is opened: opening runs its code.
  const std::string actual = sha256_file_hex(path);
  if (actual != entry.sha256)
    fail("sha256 mismatch for '" + path.string() + "': the manifest says " + entry.sha256 + ", the file has " +
         actual + "; the library changed after its manifest was written: rebuild the plugin (fuse_add_plugin "
                  "writes both)");

  std::shared_ptr<Library> lib(new Library());
  lib->manifest_ = std::move(manifest);
  lib->path_ = path;
  lib->handle_ = std::make_unique<Handle>();
  try {
    // Bind every symbol now (a missing one fails here, not mid-run) and keep them local to the library.
    lib->handle_->library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    // Boost says "load() failed (dlerror system message: <what dlopen said>): <errno text>"; keep dlopen's words.
    std::string reason = e.what();
    const std::string marker = "(dlerror system message: ";
    const size_t at = reason.find(marker);
    const size_t end = reason.rfind("): ");
    if (at != std::string::npos && end != std::string::npos && end > at)
      reason = reason.substr(at + marker.size(), end - at - marker.size());
    fail("cannot open '" + path.string() + "': " + reason);
  }
  if (!lib->handle_->library.has(FM_PLUGIN_ENTRY_SYMBOL))
    fail("'" + path.string() + "' has no entry symbol '" FM_PLUGIN_ENTRY_SYMBOL
         "': is it a FuseMedML++ plugin? (C++: FUSE_PLUGIN(...); C: an FM_PLUGIN_EXPORT function of that name)");
  auto entry_fn = lib->handle_->library.get<const fm_plugin_v1*()>(FM_PLUGIN_ENTRY_SYMBOL);
  const fm_plugin_v1* p = entry_fn();
  if (p == nullptr) fail("its entry function returned no plugin descriptor");
  if (p->struct_size < sizeof(fm_plugin_v1))
    fail("its plugin descriptor has " + std::to_string(p->struct_size) + " bytes, fewer than ABI 1.0's " +
         std::to_string(sizeof(fm_plugin_v1)));
  if (std::string abi = abi_problem(p->abi_major, p->abi_minor); !abi.empty()) fail("the library cannot be loaded: " + abi);
  if (p->abi_major != m.abi_major || p->abi_minor != m.abi_minor)
    fail("the manifest declares ABI " + abi_text(m.abi_major, m.abi_minor) + " but the library was built against " +
         abi_text(p->abi_major, p->abi_minor) + "; rebuild the plugin");
  if (p->id == nullptr || m.id != p->id || p->version == nullptr || m.version != p->version)
    fail(std::string("the library says it is plugin '") + (p->id ? p->id : "?") + "' version " +
         (p->version ? p->version : "?") + ", the manifest says '" + m.id + "' version " + m.version);

  // The registered components must equal the manifest's: the manifest is what users and tools read.
  std::map<std::string, std::string> registered;  // id -> "kind version"
  std::vector<std::string> problems;
  for (size_t i = 0; i < p->component_count; ++i) {
    const fm_component_v1* c = p->components ? p->components[i] : nullptr;
    if (c == nullptr || c->id == nullptr || c->version == nullptr) {
      problems.push_back("component " + std::to_string(i) + " has no descriptor, id or version");
      continue;
    }
    const size_t need = minimum_size(c->kind);
    if (need == 0) problems.push_back(std::string("component '") + c->id + "' has unknown kind " + std::to_string(c->kind));
    else if (c->struct_size < need)
      problems.push_back(std::string("component '") + c->id + "' has a " + std::to_string(c->struct_size) +
                         "-byte descriptor, fewer than ABI 1.0's " + std::to_string(need));
    else if (c->create == nullptr || c->destroy == nullptr)
      problems.push_back(std::string("component '") + c->id + "' has no create or destroy function");
    if (registered.count(c->id)) problems.push_back(std::string("component '") + c->id + "' is registered twice");
    registered[c->id] = std::string(need ? kind_name(static_cast<ComponentKind>(c->kind)) : "?") + " " + c->version;
  }
  std::vector<std::string> extra, missing;
  for (const auto& [id, what] : registered) {
    const ComponentManifest* declared = m.component(id);
    const std::string kind_version = std::string(declared ? kind_name(declared->kind) : "") + " " + (declared ? declared->version : "");
    if (declared == nullptr) extra.push_back(id + " (" + what + ")");
    else if (kind_version != what)
      problems.push_back("component '" + id + "' is " + what + " in the library but " + kind_version + " in the manifest");
  }
  for (const ComponentManifest& c : m.components)
    if (!registered.count(c.id)) missing.push_back(describe(c.id, kind_name(c.kind), c.version));
  if (!extra.empty()) problems.push_back("registered but not in the manifest: " + join(extra, ", "));
  if (!missing.empty()) problems.push_back("in the manifest but not registered: " + join(missing, ", "));
  if (!problems.empty())
    fail("the library's components do not match the manifest: " + join(problems, "; "));
  if (p->init != nullptr) {
    CallScope scope(lib);
    throw_plugin_error(p->init(&host_get_api), who + ": init failed: ");
  }
  lib->plugin_ = p;  // set last: shutdown runs only for a plugin whose init succeeded
  return lib;
}

Library::~Library() {
  if (plugin_ != nullptr && plugin_->shutdown != nullptr) plugin_->shutdown();
}

const fm_component_v1* Library::component(std::string_view id) const {
  if (plugin_ == nullptr) return nullptr;
  for (size_t i = 0; i < plugin_->component_count; ++i)
    if (id == plugin_->components[i]->id) return plugin_->components[i];
  return nullptr;
}

}  // namespace fuse
