// A plugin library is opened on first use and stays loaded while anything it produced is alive: instances,
// and tensors whose deleter is its code.
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "package_fixture.h"
#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

bool mapped(const fs::path& library) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(library.string()) != std::string::npos;
}

class LifetimeTest : public PackageTest {
 protected:
  void SetUp() override {
    PackageTest::SetUp();
    fs::copy(built_plugin_dir() / "ops_core", root_ / "ops_core");
    lib_ = root_ / "ops_core" / "libops_core.so";
  }
  fs::path lib_;
};

TEST_F(LifetimeTest, OpenedOnFirstUseOnly) {
  Registry r = registry();
  EXPECT_EQ(r.component("fuse.ops.zscore").id, "fuse.ops.zscore");  // manifests are read without loading
  EXPECT_FALSE(mapped(lib_));
  Op op = r.create_op("fuse.ops.clip", json_object(R"({"keys": ["x"], "max": 1})"));
  EXPECT_TRUE(mapped(lib_));
}

TEST_F(LifetimeTest, InstanceKeepsTheLibraryAfterTheRegistryIsGone) {
  std::optional<Op> op;
  {
    Registry r = registry();
    op.emplace(r.create_op("fuse.ops.clip", json_object(R"({"keys": ["x"], "max": 1})")));
  }
  EXPECT_TRUE(mapped(lib_));
  NDict s = sample(R"({"x": [0.5, 3.0]})");
  op->forward(s);
  EXPECT_EQ(values<float>(s.get<Tensor>("x")), (std::vector<float>{0.5f, 1.0f}));
  op.reset();
  EXPECT_FALSE(mapped(lib_));
}

TEST_F(LifetimeTest, TensorWithThePluginsDeleterKeepsTheLibrary) {
  NDict s = sample(R"({"x": [1, 2, 3, 4, 5, 6]})");
  {
    Registry r = registry();
    Op reshape = r.create_op("fuse.ops.reshape", json_object(R"({"keys": ["x"], "shape": [2, 3]})"));
    reshape.forward(s);  // "x" is now a view whose deleter is code in the plugin
  }
  EXPECT_TRUE(mapped(lib_));
  EXPECT_EQ(s.get<Tensor>("x").description(), "int64[2, 3]");
  EXPECT_EQ(values<int64_t>(s.get<Tensor>("x"))[5], 6);
  s = NDict();  // the last thing the plugin produced
  EXPECT_FALSE(mapped(lib_));
}

TEST_F(LifetimeTest, ConcurrentCreationOpensTheLibraryOnce) {
  Registry r = registry();
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Op op = r.create_op("fuse.ops.minmax", json_object(R"({"keys": ["x"]})"));
      for (int i = 0; i < 50; ++i) {
        NDict s = sample(R"({"x": [2.0, 4.0, 6.0]})");
        op.forward(s);
        if (values<float>(s.get<Tensor>("x")) == std::vector<float>{0.0f, 0.5f, 1.0f}) ++ok[static_cast<size_t>(t)];
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, std::vector<int>(8, 50));
  EXPECT_EQ(r.status(r.packages()[0]), "loaded");
}

}  // namespace
}  // namespace fuse::testing
