// A third party's view: install FuseMedML++, build examples/third_party_plugin against the installed SDK
// with find_package(FuseSDK), and run its component through the installed `fuse`.
#include <fstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

TEST(OutOfTree, ThirdPartyPluginBuildsAgainstTheInstalledSdkAndRuns) {
  const fs::path root = fresh_dir("out_of_tree");
  const fs::path prefix = root / "prefix";
  const fs::path build = root / "build";

  CommandResult r = run_command(std::string("'" FUSE_CMAKE "' --install '" FUSE_BUILD_DIR "' --prefix ") + quote(prefix));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(fs::exists(prefix / "include" / "fuse_sdk" / "fm_plugin.h"));
  EXPECT_TRUE(fs::exists(prefix / "include" / "fuse_sdk" / "plugin.hpp"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "cmake" / "FuseSDK" / "FuseSDKConfig.cmake"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "fuse" / "plugins" / "ops_core" / "fm-plugin.json"));

  const std::string fuse = quote(prefix / "bin" / "fuse");
  const std::string env = "env -u FUSE_PLUGIN_PATH XDG_DATA_HOME=" + quote(root / "home") + " ";
  // Installing must not change the libraries (their hashes are in the manifests).
  r = run_command(env + fuse + " plugins check " + quote(prefix / "lib" / "fuse" / "plugins" / "ops_core"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command(env + fuse + " plugins list");
  EXPECT_NE(r.out.find((prefix / "lib" / "fuse" / "plugins" / "ops_core").string()), std::string::npos) << r.out;

  r = run_command(std::string("'" FUSE_CMAKE "' -S '" FUSE_EXAMPLE_DIR "' -B ") + quote(build) + " -G '" FUSE_GENERATOR
                  "' -DCMAKE_CXX_COMPILER='" FUSE_CXX_COMPILER "' -DCMAKE_PREFIX_PATH=" + quote(prefix));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command(std::string("'" FUSE_CMAKE "' --build ") + quote(build));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  const fs::path package = build / "fuse-plugins" / "acme_ops";
  r = run_command(env + fuse + " plugins check " + quote(package));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok    op acme.invert: created and destroyed with its example config"), std::string::npos)
      << r.out;

  std::ofstream(root / "sample.json") << R"({"x": [0.25, 1.0]})";
  r = run_command("env XDG_DATA_HOME=" + quote(root / "home") + " FUSE_PLUGIN_PATH=" + quote(build / "fuse-plugins") +
                  " " + fuse + " op run acme.invert --set 'keys=[\"x\"]' --set top=2 --input " + quote(root / "sample.json"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(boost::json::parse(r.out).at("x").at("$tensor").at("data"), boost::json::parse("[1.75, 1.0]"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace fuse::testing
