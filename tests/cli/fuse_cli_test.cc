// The `fuse` program end to end: output, JSON and exit codes (0 success, 1 failure, 2 usage).
#include <fstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

// Runs fuse with only the build tree's plugins on the search path (no user folder, no FUSE_PLUGIN_PATH).
CommandResult fuse(const std::string& args) {
  static const std::filesystem::path empty_home = fresh_dir("cli_home");
  return run_command("env -u FUSE_PLUGIN_PATH XDG_DATA_HOME='" + empty_home.string() + "' '" FUSE_BINARY "' " + args);
}

TEST(FuseCli, Version) {
  CommandResult r = fuse("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "fuse 0.1.0 (plugin ABI 1.0)\n");
}

TEST(FuseCli, UsageErrorsExitWithTwo) {
  CommandResult r = fuse("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  r = fuse("plugins list --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_EQ(fuse("plugins inspect").exit_code, 2);
}

TEST(FuseCli, PluginsListTable) {
  CommandResult r = fuse("plugins list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ID ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("STATUS"), std::string::npos);
  const size_t row = r.out.find("fuse.ops_core");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
  EXPECT_NE(line.find("0.1.0"), std::string::npos) << line;
  EXPECT_NE(line.find(" 20 "), std::string::npos) << line;
  EXPECT_NE(line.find("available"), std::string::npos) << line;
}

TEST(FuseCli, PluginsListJson) {
  CommandResult r = fuse("plugins list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::array plugins = boost::json::parse(r.out).as_array();
  bool found = false;
  for (const boost::json::value& p : plugins) {
    if (p.at("id") != "fuse.ops_c") continue;
    found = true;
    EXPECT_EQ(p.at("version"), "0.1.0");
    EXPECT_NE(std::string(p.at("path").as_string()).find("ops_c"), std::string::npos);
    const boost::json::array& components = p.at("components").as_array();
    ASSERT_EQ(components.size(), 2u);
    EXPECT_EQ(components[1].at("id"), "fuse.c.mean_abs_error");
    EXPECT_EQ(components[1].at("kind"), "metric");
    EXPECT_EQ(components[1].at("version"), "1.0.0");
  }
  EXPECT_TRUE(found) << r.out;
}

TEST(FuseCli, PluginsInspect) {
  CommandResult r = fuse("plugins inspect fuse.ops_core");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("plugin fuse.ops_core 0.1.0"), std::string::npos);
  EXPECT_NE(r.out.find("op fuse.ops.permute 1.0.0"), std::string::npos);
  r = fuse("plugins inspect fuse.ops.clip");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("op fuse.ops.clip 1.0.0"), std::string::npos);
  EXPECT_EQ(r.out.find("fuse.ops.zscore"), std::string::npos);  // only the component asked for
  EXPECT_NE(r.out.find("reads:  $keys (tensor)"), std::string::npos) << r.out;
  r = fuse("plugins inspect fuse.ops.clpi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown component 'fuse.ops.clpi'; did you mean 'fuse.ops.clip'?"), std::string::npos) << r.err;
}

TEST(FuseCli, PluginsCheck) {
  CommandResult r = fuse("plugins check '" + (built_plugin_dir() / "ops_c").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok    library: sha256 verified, opened, components match the manifest"), std::string::npos);
  EXPECT_NE(r.out.find("ok    metric fuse.c.mean_abs_error: created and destroyed with its default config"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 3), "OK\n");

  // A package whose library changed after its manifest was written.
  std::filesystem::path bad = fresh_dir("cli_check_bad");
  std::filesystem::copy(built_plugin_dir() / "ops_c", bad);
  std::ofstream(bad / "libops_c.so", std::ios::app) << "tampered";
  r = fuse("plugins check '" + bad.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL  library: plugin 'fuse.ops_c'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sha256 mismatch"), std::string::npos) << r.out;
}

TEST(FuseCli, OpRun) {
  std::filesystem::path dir = fresh_dir("cli_op_run");
  std::ofstream(dir / "sample.json") << R"({"data": {"image": [[0, 5], [10, 20]], "id": "case1"}})";
  CommandResult r = fuse("op run fuse.ops.minmax --set 'keys=[\"data.image\"]' --set high=2 --input '" +
                         (dir / "sample.json").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::value out = boost::json::parse(r.out);
  EXPECT_EQ(out.at("data").at("id"), "case1");
  const boost::json::value& t = out.at("data").at("image").at("$tensor");
  EXPECT_EQ(t.at("dtype"), "float32");
  EXPECT_EQ(t.at("shape"), boost::json::parse("[2, 2]"));
  EXPECT_EQ(t.at("data"), boost::json::parse("[0.0, 0.5, 1.0, 2.0]"));
}

TEST(FuseCli, OpRunErrorsExitWithOne) {
  CommandResult r = fuse("op run fuse.ops.minmax --set keys");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: --set 'keys': expected name=value\n");
  r = fuse("op run fuse.ops.minmax --set 'keys=[\"x\"]' --input /nonexistent.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: cannot open '/nonexistent.json': No such file or directory\n");
  r = fuse("op run fuse.ops.minmax --set 'keys=[\"x\"]'");  // empty sample
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: op 'fuse.ops.minmax' (plugin 'fuse.ops_core'): key 'x' missing; the dict is empty\n");
}

}  // namespace
}  // namespace fuse::testing
