// Builds plugin packages in temporary folders from the test plugin libraries, with manifests written by the
// test, so each bad-manifest and bad-library case can be set up on purpose.
#ifndef FUSE_TESTS_HOST_PACKAGE_FIXTURE_H_
#define FUSE_TESTS_HOST_PACKAGE_FIXTURE_H_

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "fuse/plugin/registry.h"

namespace fuse::testing {

// <build>/test-plugins/<name>/lib<name>.so
std::filesystem::path test_library(const std::string& name);

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Writes package `name` under the test folder: copies `library` into it (unless empty) and writes
  // `manifest`, in which @LIB@ becomes the library's file name and @SHA256@ its hash.
  std::filesystem::path package(const std::string& name, const std::filesystem::path& library,
                                const std::string& manifest);
  // A registry over the test folder only.
  Registry registry() const;
  std::filesystem::path root_;
};

// A manifest for the probe library (one op, "probe.op") declaring the given ABI.
std::string probe_manifest(int major, int minor);

}  // namespace fuse::testing

#endif  // FUSE_TESTS_HOST_PACKAGE_FIXTURE_H_
