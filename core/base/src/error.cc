#include "fuse/base/error.h"

#include <exception>
#include <new>

namespace fuse {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return "invalid argument";
    case Errc::kKeyNotFound: return "key not found";
    case Errc::kType: return "type error";
    case Errc::kShape: return "shape error";
    case Errc::kIo: return "I/O error";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kOutOfMemory: return "out of memory";
    case Errc::kInternal: return "internal error";
    case Errc::kNumeric: return "numeric error";
    case Errc::kConfig: return "config error";
    case Errc::kPlugin: return "plugin error";
  }
  return "error";
}

void throw_error(Errc code, const std::string& message) { throw Error(code, message); }

void rethrow_with_context(std::string_view context) {
  std::string prefix(context);
  try {
    throw;
  } catch (const ConfigError& e) {
    throw ConfigError(e.pointer(), prefix + e.what());
  } catch (const Error& e) {
    throw Error(e.code(), prefix + e.what());
  } catch (const std::bad_alloc&) {
    throw Error(Errc::kOutOfMemory, prefix + "out of memory");
  } catch (const std::exception& e) {
    throw Error(Errc::kInternal, prefix + e.what());
  }
}

}  // namespace fuse
