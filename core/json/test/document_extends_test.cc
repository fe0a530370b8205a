// Document::load with "extends": a file laid over the one it builds on, each value still located in its own
// file and its relative paths taken from that file's folder.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "fuse/base/error.h"
#include "fuse/json/document.h"

namespace fuse::json {
namespace {

namespace fs = std::filesystem;

class LoadExtends : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fuse_extends_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "common");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::string error_loading(const fs::path& file) {
    try {
      Document::load(file, Extends::kFollow);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path dir_;
};

TEST_F(LoadExtends, MembersAreLaidOverTheBaseFile) {
  write("common/base.json", R"({
  "name": "base",
  "data": {"table": "train.csv", "loader": {"batch_size": 8, "workers": 2}},
  "steps": [1, 2, 3]
})");
  const fs::path variant = write("variant.json", R"({
  "extends": "common/base.json",
  // objects merge member by member; a list replaces the base's
  "data": {"loader": {"batch_size": 32}},
  "steps": [9],
  "extra": true,
  "name": null,  // null removes the base's member (RFC 7396)
  "nothing": {"here": null}
})");
  const Document d = Document::load(variant, Extends::kFollow);
  EXPECT_EQ(d.root(), boost::json::parse(R"({"data": {"table": "train.csv", "loader": {"batch_size": 32, "workers": 2}},
                                            "steps": [9], "extra": true, "nothing": {}})"));
  // Each value is located in the file it came from, and its relative paths are that file's.
  const std::string base = (dir_ / "common" / "base.json").string();
  EXPECT_EQ(d.location("/data"), variant.string() + ":4:11");
  EXPECT_EQ(d.location("/data/table"), base + ":3:21");
  EXPECT_EQ(d.location("/data/loader/batch_size"), variant.string() + ":4:37");
  EXPECT_EQ(d.location("/data/loader/workers"), base + ":3:73");
  EXPECT_EQ(d.location("/steps/0"), variant.string() + ":5:13");
  EXPECT_EQ(d.folder_of("/data/table"), dir_ / "common");
  EXPECT_EQ(d.folder_of("/steps"), dir_);
  EXPECT_TRUE(d.inherited("/data/table"));
  EXPECT_FALSE(d.inherited("/name"));  // removed
  EXPECT_FALSE(d.inherited("/extra"));
  EXPECT_FALSE(d.inherited("/missing"));
  // Without following, "extends" is a value like any other.
  EXPECT_EQ(Document::load(variant).root().at("extends"), "common/base.json");
}

TEST_F(LoadExtends, ChainsFollowAndSettingsStayTheCommandLines) {
  write("common/a.json", R"({"lr": 0.1, "epochs": 10, "path": "a.csv"})");
  write("b.json", R"({"extends": "common/a.json", "epochs": 20})");
  const fs::path c = write("c.json", R"({"extends": "b.json", "lr": 0.01})");
  Document d = Document::load(c, Extends::kFollow);
  EXPECT_EQ(d.root(), boost::json::parse(R"({"lr": 0.01, "epochs": 20, "path": "a.csv"})"));
  EXPECT_EQ(d.location("/path"), (dir_ / "common" / "a.json").string() + ":1:35");
  EXPECT_EQ(d.location("/epochs"), (dir_ / "b.json").string() + ":1:40");
  EXPECT_EQ(d.folder_of("/path"), dir_ / "common");
  d.set("path", "mine.csv", "--set path");
  EXPECT_EQ(d.location("/path"), "--set path");
  EXPECT_EQ(d.folder_of("/path"), dir_);  // as the file given on the command line
  EXPECT_FALSE(d.inherited("/path"));
}

TEST_F(LoadExtends, BadBasesAreErrorsAtTheMember) {
  const fs::path missing = write("missing.json", "{\n  \"extends\": \"nope.json\"\n}");
  EXPECT_EQ(error_loading(missing), missing.string() + ":2:14: 'extends': no such file '" + (dir_ / "nope.json").string() + "'");
  const fs::path number = write("number.json", R"({"extends": 3})");
  EXPECT_EQ(error_loading(number), number.string() + ":1:13: 'extends' must be the name of the file this one builds on, got 3");
  write("list.json", "[1, 2]");
  const fs::path on_list = write("on_list.json", R"({"extends": "list.json"})");
  EXPECT_EQ(error_loading(on_list), on_list.string() + ":1:13: 'extends': '" + (dir_ / "list.json").string() + "' holds [1,2], not an object");
  write("x.json", R"({"extends": "y.json"})");
  const fs::path y = write("y.json", R"({"extends": "x.json", "a": 1})");
  EXPECT_EQ(error_loading(dir_ / "x.json"), y.string() + ":1:13: 'extends' comes back to a file it started from: x.json -> y.json -> x.json");
  const fs::path self = write("self.json", R"({"extends": "./self.json"})");
  EXPECT_EQ(error_loading(self), self.string() + ":1:13: 'extends' comes back to a file it started from: self.json -> self.json");
  // An error in the base file names the base file.
  write("broken.json", "{\"a\": }");
  const fs::path on_broken = write("on_broken.json", R"({"extends": "broken.json"})");
  EXPECT_EQ(error_loading(on_broken).rfind((dir_ / "broken.json").string() + ":1:7: invalid JSON", 0), 0u) << error_loading(on_broken);
}

}  // namespace
}  // namespace fuse::json
