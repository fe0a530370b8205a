// The host's side of the C ABI for code that lends the host's values to C callers (plugins, and applications
// through the prediction API): the function table, NDict <-> fm_dict handles, and the exception being handled
// as an fm_error.
#ifndef FUSE_PLUGIN_HOST_ABI_H_
#define FUSE_PLUGIN_HOST_ABI_H_

#include "fuse/ndict/ndict.h"
#include "fuse_sdk/fm_plugin.h"

namespace fuse {

const fm_api_v1* host_api_v1();

inline fm_dict* to_handle(NDict* dict) { return reinterpret_cast<fm_dict*>(dict); }
inline const fm_dict* to_handle(const NDict* dict) { return reinterpret_cast<const fm_dict*>(dict); }
// The NDict behind a handle made by the host (dict_new, or to_handle).
inline NDict* from_handle(fm_dict* dict) { return reinterpret_cast<NDict*>(dict); }
inline const NDict* from_handle(const fm_dict* dict) { return reinterpret_cast<const NDict*>(dict); }

// The exception being handled as an error value owned by the caller: an Error keeps its code (a config error
// reads as FM_ERR_INVALID_ARGUMENT), std::bad_alloc is FM_ERR_OUT_OF_MEMORY, anything else FM_ERR_INTERNAL.
// Call only inside a catch block.
fm_error* current_exception_error() noexcept;

// Runs `body` and returns what it throws as an fm_error (nullptr when it returns): every function the host
// offers to C callers runs inside it, so no exception crosses the boundary.
template <class Body>
fm_error* guard_boundary(Body&& body) noexcept {
  try {
    body();
    return nullptr;
  } catch (...) {
    return current_exception_error();
  }
}

}  // namespace fuse

#endif  // FUSE_PLUGIN_HOST_ABI_H_
