// A third party's view: install FuseMedML++, build examples/third_party_plugin against the installed SDK
// with find_package(FuseSDK) and run its component through the installed `fuse`; train and export a model with
// the installed `fuse` and predict with it from examples/predict_app built with find_package(FusePredict).
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

// Configures and builds the CMake project in `source` against the installation in `prefix`.
CommandResult build_against(const std::string& source, const fs::path& build, const fs::path& prefix) {
  CommandResult r = run_command(std::string("'" FUSE_CMAKE "' -S ") + quote(source) + " -B " + quote(build) + " -G '" FUSE_GENERATOR
                                "' -DCMAKE_CXX_COMPILER='" FUSE_CXX_COMPILER "' -DCMAKE_CXX_FLAGS='" FUSE_OUT_OF_TREE_FLAGS "' -DCMAKE_PREFIX_PATH=" + quote(prefix));
  if (r.exit_code != 0) return r;
  return run_command(std::string("'" FUSE_CMAKE "' --build ") + quote(build));
}

// One `cmake --install` of this build tree, shared by the tests.
const fs::path& installed() {
  static SharedSetUp<fs::path> root([] {
    const fs::path r = fresh_dir("out_of_tree");
    const CommandResult install = run_command(std::string("'" FUSE_CMAKE "' --install '" FUSE_BUILD_DIR "' --prefix ") + quote(r / "prefix"));
    if (install.exit_code != 0) throw std::runtime_error("cmake --install: " + install.out + install.err);
    return r;
  });
  return root.get();
}

class OutOfTree : public ::testing::Test {};

TEST_F(OutOfTree, ThirdPartyPluginBuildsAgainstTheInstalledSdkAndRuns) {
  const fs::path root = installed() / "plugin";
  const fs::path prefix = installed() / "prefix";
  const fs::path build = root / "build";
  fs::create_directories(root);
  EXPECT_TRUE(fs::exists(prefix / "include" / "fuse_sdk" / "fm_plugin.h"));
  EXPECT_TRUE(fs::exists(prefix / "include" / "fuse_sdk" / "plugin.hpp"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "cmake" / "FuseSDK" / "FuseSDKConfig.cmake"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "fuse" / "plugins" / "ops_core" / "fm-plugin.json"));

  const std::string fuse = quote(prefix / "bin" / "fuse");
  const std::string env = "env -u FUSE_PLUGIN_PATH XDG_DATA_HOME=" + quote(root / "home") + " ";
  // Installing must not change the libraries (their hashes are in the manifests).
  CommandResult r = run_command(env + fuse + " plugins check " + quote(prefix / "lib" / "fuse" / "plugins" / "ops_core"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command(env + fuse + " plugins list");
  EXPECT_NE(r.out.find((prefix / "lib" / "fuse" / "plugins" / "ops_core").string()), std::string::npos) << r.out;

  r = build_against(FUSE_EXAMPLE_DIR, build, prefix);
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
}

TEST_F(OutOfTree, AnApplicationPredictsWithTheInstalledLibrary) {
  const fs::path root = installed() / "app";
  const fs::path prefix = installed() / "prefix";
  const fs::path build = root / "build";
  fs::create_directories(root);
  EXPECT_TRUE(fs::exists(prefix / "include" / "fuse_predict" / "fuse_predict.h"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "cmake" / "FusePredict" / "FusePredictConfig.cmake"));

  // The installed `fuse` trains and exports (fuse-train finds libfuse_report in <prefix>/lib).
  const std::string env = "env -u FUSE_PLUGIN_PATH XDG_DATA_HOME=" + quote(root / "home") + " ";
  const std::string fuse = env + quote(prefix / "bin" / "fuse");
  train::testing::write_toy(root, train::testing::toy_json("", "", "", train::testing::kNpyInference));
  train::testing::write_features_npy(root / "positive.npy", 1.5f, 1.0f);
  CommandResult r = run_command(fuse + " run " + quote(root / "experiment.json") + " --out " + quote(root / "run") + " --no-progress");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_command(fuse + " export " + quote(root / "run") + " --out " + quote(root / "bundle"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  r = build_against(FUSE_PREDICT_APP_DIR, build, prefix);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The library finds the installed plugins beside itself, and the application prints what `fuse infer` does.
  r = run_command(env + quote(build / "predict_app") + " " + quote(root / "bundle") + " --input " + quote(root / "positive.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("model.logits ", 0), 0u) << r.out;
  const CommandResult infer = run_command(fuse + " infer " + quote(root / "bundle") + " --input " + quote(root / "positive.npy"));
  ASSERT_EQ(infer.exit_code, 0) << infer.err;
  const size_t at = infer.out.find("\"model.probs\": [");
  ASSERT_NE(at, std::string::npos) << infer.out;
  char* end = nullptr;
  const double p0 = std::strtod(infer.out.c_str() + at + 16, &end), p1 = std::strtod(end + 1, nullptr);
  char expected[96];
  std::snprintf(expected, sizeof expected, "\nmodel.probs %.6g %.6g\n", p0, p1);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out << " (fuse infer: " << infer.out << ")";
  r = run_command(env + quote(build / "predict_app") + " " + quote(root / "run") + " --input x.npy");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "predict_app: '" + (root / "run").string() + "' is a run folder, not a bundle: make one with `fuse export " + (root / "run").string() + " --out BUNDLE`\n");
}

}  // namespace
}  // namespace fuse::testing
