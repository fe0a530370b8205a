// The host's error type: a code and a message that says where (file, key, component, step) and what was
// expected. Layers that catch an error add their context in front of the message.
#ifndef FUSE_BASE_ERROR_H_
#define FUSE_BASE_ERROR_H_

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace fuse {

// Codes 1-9 equal the ABI's FM_ERR_* values, so errors cross the plugin boundary unchanged.
enum class Errc : int {
  kInvalidArgument = 1,
  kKeyNotFound = 2,
  kType = 3,
  kShape = 4,
  kIo = 5,
  kUnsupported = 6,
  kOutOfMemory = 7,
  kInternal = 8,
  kNumeric = 9,
  kConfig = 10,  // a config or manifest that does not validate
  kPlugin = 11,  // a plugin that cannot be loaded or misbehaves
};

const char* errc_name(Errc code);

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

// A config value that does not validate. `pointer` is the JSON pointer of the value inside the config it was
// read from (e.g. "/eps"), so the code that knows the file can say where the value is.
class ConfigError : public Error {
 public:
  ConfigError(std::string pointer, const std::string& message)
      : Error(Errc::kConfig, message), pointer_(std::move(pointer)) {}
  const std::string& pointer() const noexcept { return pointer_; }

 private:
  std::string pointer_;
};

[[noreturn]] void throw_error(Errc code, const std::string& message);

// Rethrows the exception being handled with `context` put in front of its message: an Error keeps its code
// (and a ConfigError its pointer), anything else becomes Errc::kInternal. Call only inside a catch block.
[[noreturn]] void rethrow_with_context(std::string_view context);

}  // namespace fuse

#endif  // FUSE_BASE_ERROR_H_
