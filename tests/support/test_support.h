// Helpers for tests that go through the real host: a registry over the plugins built in this tree, samples
// written as JSON, and reading back tensors and error messages.
#ifndef FUSE_TESTS_SUPPORT_TEST_SUPPORT_H_
#define FUSE_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/base/error.h"
#include "fuse/ndict/ndict.h"
#include "fuse/plugin/registry.h"

namespace fuse::testing {

// The folder the build writes plugins to (lib/fuse/plugins of the build tree).
std::filesystem::path built_plugin_dir();
// A registry over the plugins built in this tree, and nothing else (not the user's or FUSE_PLUGIN_PATH).
const Registry& built_plugins();

boost::json::object json_object(std::string_view text);
// A sample from JSON; arrays of numbers become tensors (int64 or float32), {"$tensor": ...} gives any dtype.
NDict sample(std::string_view json);
// The same with float64 tensors (exact decimal inputs for metrics).
NDict sample64(std::string_view json);
// Runs op `id` with `config` (JSON text) on `input` and returns the result.
NDict run_op(std::string_view id, std::string_view config, NDict input);
// The same in training mode with a seed (random ops draw from it).
NDict run_op_training(std::string_view id, std::string_view config, NDict input, uint64_t seed);

// A float32 tensor of `shape` holding 0, 1, 2, ... in row-major order.
Tensor ramp(const std::vector<int64_t>& shape);

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

// Runs `body`; returns the message of the fuse::Error it throws, or "no error".
template <class Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Costly set-up shared by a group of tests (a trained model, an installed tree), made on first use. A failure
// to make it is kept and thrown again to every test that asks, so each of them fails. (Not SetUpTestSuite:
// GoogleTest marks the tests of a suite whose set-up failed as skipped, and CTest then counts them so.)
template <class T>
class SharedSetUp {
 public:
  explicit SharedSetUp(std::function<T()> make) : make_(std::move(make)) {}
  const T& get() {
    std::call_once(once_, [&] {
      try {
        value_.emplace(make_());
      } catch (...) {
        error_ = std::current_exception();
      }
    });
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }

 private:
  std::function<T()> make_;
  std::once_flag once_;
  std::optional<T> value_;
  std::exception_ptr error_;
};

// A whole file's bytes ("" when it cannot be read).
std::string read_text(const std::filesystem::path& file);
// A CSV file without quoted cells (predictions.csv) as rows of cells by column.
std::vector<std::map<std::string, std::string>> csv_rows(const std::filesystem::path& file);

// A PNG file's width and height, from its header ({0, 0} when it is not a PNG).
std::pair<uint32_t, uint32_t> png_size(const std::filesystem::path& png);

// A fresh, empty folder under the system's temporary folder, private to this process; removed after the last
// test unless a test failed or FUSE_KEEP_TEST_DIRS is set.
std::filesystem::path fresh_dir(const std::string& name);

// A version 1 .npy file with the header dict `dict` ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
// and the raw `data`.
void write_npy(const std::filesystem::path& file, const std::string& dict, const std::string& data);
template <class T>
std::string bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};
// Runs a shell command and collects its exit code and both output streams.
CommandResult run_command(const std::string& command);

}  // namespace fuse::testing

#endif  // FUSE_TESTS_SUPPORT_TEST_SUPPORT_H_
