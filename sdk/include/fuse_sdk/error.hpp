// Errors on the plugin side: a C++ exception inside the plugin, an fm_error* at the boundary.
#ifndef FUSE_SDK_ERROR_HPP_
#define FUSE_SDK_ERROR_HPP_

#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "fuse_sdk/api.hpp"

namespace fuse::sdk {

// What plugin code throws; the boundary turns it into an fm_error with the same code and message.
class Error : public std::runtime_error {
 public:
  Error(fm_error_code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  fm_error_code code() const noexcept { return code_; }

 private:
  fm_error_code code_;
};

[[noreturn]] inline void fail(fm_error_code code, const std::string& message) { throw Error(code, message); }

// Takes ownership of an error returned by a host function and throws it as an Error.
inline void check(fm_error* error) {
  if (error == nullptr) return;
  const fm_api_v1& host = api();
  Error converted(host.error_code(error), host.error_message(error));
  host.error_free(error);
  throw converted;
}

// Runs `body` and turns whatever it throws into an fm_error (nullptr when it returns normally). Every function
// the C++ layer exports through the ABI runs inside it: no exception crosses the boundary.
template <class Body>
fm_error* guard(Body&& body) noexcept {
  try {
    std::forward<Body>(body)();
    return nullptr;
  } catch (const Error& e) {
    return api().error_new(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return api().error_new(FM_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::invalid_argument& e) {
    return api().error_new(FM_ERR_INVALID_ARGUMENT, e.what());
  } catch (const std::exception& e) {
    return api().error_new(FM_ERR_INTERNAL, e.what());
  } catch (...) {
    return api().error_new(FM_ERR_INTERNAL, "unknown exception");
  }
}

}  // namespace fuse::sdk

#endif  // FUSE_SDK_ERROR_HPP_
