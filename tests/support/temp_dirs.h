// Fresh folders for tests, removed after the last test of the program unless a test failed (to look into) or
// FUSE_KEEP_TEST_DIRS is set: left behind, every run of the suite added thousands of folders (gigabytes) to
// the temporary folder. Header-only, on GoogleTest alone, so the tests of the lowest libraries can use it.
#ifndef FUSE_TESTS_SUPPORT_TEMP_DIRS_H_
#define FUSE_TESTS_SUPPORT_TEMP_DIRS_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

namespace fuse::testing {

class TempDirs : public ::testing::Environment {
 public:
  // The one instance, registered with GoogleTest (which tears it down after the last test) when first asked
  // for: by the static initialiser below, before any test runs.
  static TempDirs& get() {
    static TempDirs* const dirs = static_cast<TempDirs*>(::testing::AddGlobalTestEnvironment(new TempDirs));
    return *dirs;
  }
  // An empty folder "<tmp>/fuse_test_<name>_<pid>" (the process id keeps tests that CTest runs in parallel, one
  // process each, out of each other's folders).
  std::filesystem::path make(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("fuse_test_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::lock_guard<std::mutex> lock(mutex_);
    made_.push_back(dir);
    return dir;
  }
  void TearDown() override {
    if (::testing::UnitTest::GetInstance()->Failed() || std::getenv("FUSE_KEEP_TEST_DIRS") != nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::filesystem::path& dir : made_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }

 private:
  TempDirs() = default;
  std::mutex mutex_;
  std::vector<std::filesystem::path> made_;
};

// Registers the clean-up before any test runs, so a folder made during a test is removed at the end.
inline TempDirs& temp_dirs_registered = TempDirs::get();

}  // namespace fuse::testing

#endif  // FUSE_TESTS_SUPPORT_TEMP_DIRS_H_
