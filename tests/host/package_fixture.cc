#include "package_fixture.h"

#include <fstream>

#include "fuse/hash/sha256.h"

namespace fuse::testing {

namespace fs = std::filesystem;

fs::path test_library(const std::string& name) {
  return fs::path(FUSE_TEST_PLUGIN_ROOT) / name / ("lib" + name + ".so");
}

void PackageTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  root_ = fs::temp_directory_path() / ("fuse_host_test_" + std::string(info->test_suite_name()) + "_" + info->name());
  fs::remove_all(root_);
  fs::create_directories(root_);
}

void PackageTest::TearDown() { fs::remove_all(root_); }

fs::path PackageTest::package(const std::string& name, const fs::path& library, const std::string& manifest) {
  const fs::path dir = root_ / name;
  fs::create_directories(dir);
  std::string text = manifest;
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  };
  if (!library.empty()) {
    fs::copy_file(library, dir / library.filename(), fs::copy_options::overwrite_existing);
    replace("@LIB@", library.filename().string());
    replace("@SHA256@", sha256_file_hex(library));
  }
  std::ofstream(dir / "fm-plugin.json") << text;
  return dir;
}

Registry PackageTest::registry() const { return Registry(Registry::Options{{root_}, {}}); }

std::string probe_manifest(int major, int minor) {
  return R"({"id": "test.probe", "version": "1.0.0", "abi": {"major": )" + std::to_string(major) +
         R"(, "minor": )" + std::to_string(minor) + R"(},
  "libraries": [{"platform": "linux-x86_64", "path": "@LIB@", "sha256": "@SHA256@"}],
  "components": [{"kind": "op", "id": "probe.op", "version": "1.0.0"}]})";
}

}  // namespace fuse::testing
