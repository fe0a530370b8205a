// The host's function table as seen by C++ plugin code. Each plugin library holds its own copy of this slot
// (hidden visibility), filled by the plugin's init before any component is created.
#ifndef FUSE_SDK_API_HPP_
#define FUSE_SDK_API_HPP_

#include <cstdio>
#include <cstdlib>

#include "fuse_sdk/fm_plugin.h"

namespace fuse::sdk {
namespace detail {

inline const fm_api_v1*& api_slot() {
  static const fm_api_v1* api = nullptr;
  return api;
}

}  // namespace detail

// The host's table. Calling it before the host initialised the plugin is a programming error: there is no
// host to report to, so it aborts with a message rather than crash later.
inline const fm_api_v1& api() {
  const fm_api_v1* table = detail::api_slot();
  if (table == nullptr) {
    std::fputs("fuse_sdk: host API used before the plugin was initialised by a host\n", stderr);
    std::abort();
  }
  return *table;
}

inline void log(int32_t level, const char* message) { api().log(level, message); }

}  // namespace fuse::sdk

#endif  // FUSE_SDK_API_HPP_
