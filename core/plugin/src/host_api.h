// The host side of the ABI beyond fuse/plugin/host_abi.h: plugin errors as exceptions, and the "current
// library" a plugin call runs in (so tensors with plugin-owned deleters keep it loaded).
#ifndef FUSE_PLUGIN_SRC_HOST_API_H_
#define FUSE_PLUGIN_SRC_HOST_API_H_

#include <memory>
#include <string>

#include "fuse/base/error.h"
#include "fuse/plugin/host_abi.h"

namespace fuse {

class Library;

// The fm_get_api_fn given to plugins' init.
const void* host_get_api(uint32_t major, uint32_t minor);

// Takes ownership of a plugin's error and returns it as an Error whose message starts with `context`
// (nothing happens for nullptr).
void throw_plugin_error(fm_error* error, const std::string& context);

// While alive, calls into plugin code on this thread run "in" `library`: a tensor the plugin hands over with
// its own deleter keeps the library loaded. Scopes nest.
class CallScope {
 public:
  explicit CallScope(const std::shared_ptr<Library>& library);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  const std::shared_ptr<Library>* previous_;
};

}  // namespace fuse

#endif  // FUSE_PLUGIN_SRC_HOST_API_H_
