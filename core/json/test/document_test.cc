#include "fuse/json/document.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse::json {
namespace {

const char* kText = R"({
  "id": "fuse.ops_core",
  // comments are allowed
  "components": [
    {"kind": "op", "id": "a"},
    {
      "kind": "opp",
      "config": {"eps": -1, "keys": ["x", "y"], "flag": true, "none": null, "s/lash": 2.5}
    },
  ]
})";

Position at(std::string_view pointer) {
  std::optional<size_t> offset = locate(kText, pointer);
  EXPECT_TRUE(offset.has_value()) << pointer;
  return position_of(kText, offset.value_or(0));
}

TEST(Locate, FindsValuesOfEveryKind) {
  EXPECT_EQ(at("").line, 1u);
  EXPECT_EQ(at("/id").line, 2u);
  EXPECT_EQ(at("/id").column, 9u);  // the opening quote
  EXPECT_EQ(at("/components").line, 4u);
  EXPECT_EQ(at("/components").column, 17u);
  EXPECT_EQ(at("/components/0").line, 5u);
  EXPECT_EQ(at("/components/0").column, 5u);
  EXPECT_EQ(at("/components/0/id").column, 26u);
  EXPECT_EQ(at("/components/1/kind").line, 7u);
  EXPECT_EQ(at("/components/1/kind").column, 15u);
  Position eps = at("/components/1/config/eps");
  EXPECT_EQ(eps.line, 8u);
  EXPECT_EQ(eps.column, 25u);  // the minus sign
  EXPECT_EQ(at("/components/1/config/keys/1").column, 43u);
  EXPECT_EQ(at("/components/1/config/flag").column, 57u);
  EXPECT_EQ(at("/components/1/config/none").column, 71u);
  EXPECT_EQ(at("/components/1/config/s~1lash").column, 87u);
}

TEST(Locate, MissingPointersAreNotFound) {
  EXPECT_FALSE(locate(kText, "/nope").has_value());
  EXPECT_FALSE(locate(kText, "/components/2").has_value());
  EXPECT_FALSE(locate("{not json", "/x").has_value());
}

TEST(Document, ParseErrorsHaveLineAndColumn) {
  try {
    Document::parse("{\n  \"a\": 1,\n  \"b\" 2\n}", "manifest.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kConfig);
    EXPECT_STREQ(e.what(), "manifest.json:3:7: invalid JSON: syntax error");
  }
  try {
    Document::parse("{\"a\": [1, 2", "short.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "short.json:1:12: invalid JSON: incomplete JSON");
  }
}

TEST(Document, LocationNamesSourceLineAndColumn) {
  Document d = Document::parse(kText, "fm-plugin.json");
  EXPECT_EQ(d.root().at("id").as_string(), "fuse.ops_core");
  EXPECT_EQ(d.location("/components/1/kind"), "fm-plugin.json:7:15");
  EXPECT_EQ(d.location("/missing"), "fm-plugin.json");
}

// A bundle keeps its experiment under "experiment": the part's errors point at its lines in the whole file.
TEST(Document, APartLocatesItsValuesInTheWholeText) {
  const Document whole = Document::parse("{\n  \"format\": 1,\n  \"experiment\": {\n    \"trainer\": {\"epochs\": 0}\n  }\n}", "bundle.json");
  const Document part = whole.part("/experiment");
  EXPECT_EQ(part.root().at("trainer").at("epochs").as_int64(), 0);
  EXPECT_EQ(part.location("/trainer/epochs"), "bundle.json:4:27");
  EXPECT_EQ(part.location(""), "bundle.json:3:17");
  EXPECT_EQ(part.part("/trainer").location("/epochs"), "bundle.json:4:27");
  try {
    whole.part("/model");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "bundle.json:1:1: no value at '/model'");
  }
}

TEST(Document, LoadReportsMissingFiles) {
  try {
    Document::load("/nonexistent/dir/x.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kIo);
    EXPECT_STREQ(e.what(), "cannot open '/nonexistent/dir/x.json': No such file or directory");
  }
  auto path = std::filesystem::temp_directory_path() / "fuse_document_test.json";
  std::ofstream(path) << "{\"k\": [1, 2, 3]}";
  Document d = Document::load(path);
  EXPECT_EQ(d.root().at("k").as_array().size(), 3u);
  EXPECT_EQ(d.source(), path.string());
  std::filesystem::remove(path);
}

// --set: values replaced or added by dotted paths; their locations name the setting, the rest stay in the file.
TEST(Document, SetReplacesAndAddsValuesThatThenLocateToTheSetting) {
  Document d = Document::parse(kText, "fm-plugin.json");
  d.set("components.1.config.eps", 0.5, "--set components.1.config.eps");
  d.set("components.1.config.keys", boost::json::array{"z"}, "--set components.1.config.keys");
  d.set("components.0.config.p", 2, "--set components.0.config.p");  // added, with its object
  d.set("extra", "text", "--set extra");
  EXPECT_EQ(d.root().at("components").at(1).at("config").at("eps"), 0.5);
  EXPECT_EQ(d.root().at("components").at(1).at("config").at("keys"), (boost::json::array{"z"}));
  EXPECT_EQ(d.root().at("components").at(0).at("config").at("p"), 2);
  EXPECT_EQ(d.root().at("components").at(0).at("kind"), "op");  // untouched
  EXPECT_EQ(d.root().at("extra"), "text");
  EXPECT_EQ(d.location("/components/1/config/eps"), "--set components.1.config.eps");
  EXPECT_EQ(d.location("/components/1/config/keys/0"), "--set components.1.config.keys");
  EXPECT_EQ(d.location("/components/1/config/flag"), "fm-plugin.json:8:57");
  EXPECT_EQ(d.location("/components/1/config/e"), "fm-plugin.json");  // a prefix of a token is another member
  EXPECT_EQ(d.location("/components/1/kind"), "fm-plugin.json:7:15");
  // Values holding set values name them (a component's error may be about its config's set value).
  EXPECT_EQ(d.location("/components/1"), "fm-plugin.json:6:5 (with --set components.1.config.eps, --set components.1.config.keys)");
  EXPECT_EQ(d.location(""), "fm-plugin.json:1:1");
  // A later setting of a containing value wins.
  d.set("components.1", boost::json::object{{"kind", "op"}}, "--set components.1");
  EXPECT_EQ(d.location("/components/1/config/eps"), "--set components.1");
  EXPECT_EQ(d.location("/components"), "fm-plugin.json:4:17 (with --set components.0.config.p, --set components.1)");
}

TEST(Document, SetPathsThatCannotBeFollowedAreNamed) {
  Document d = Document::parse(kText, "fm-plugin.json");
  auto error = [&](const std::string& path) {
    try {
      d.set(path, 1, "--set " + path);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::kInvalidArgument);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("id.x"), "--set id.x: 'id' is \"fuse.ops_core\", not an object or a list");
  EXPECT_EQ(error("components.2.kind"), "--set components.2.kind: 'components' has 2 element(s) (0 to 1)");
  EXPECT_EQ(error("components.first"), "--set components.first: 'components' is a list: give an element's index, e.g. components.0");
  EXPECT_EQ(error("components..kind"), "--set components..kind: 'components..kind' has an empty part (a dotted path like trainer.epochs, or a JSON pointer like "
            "/data/source/with/data.mask)");
  EXPECT_EQ(d.root().at("components").as_array().size(), 2u);
}

// Members whose names hold dots (a source's "with" or "keys") are reached with a JSON pointer instead.
TEST(Document, SetTakesAJsonPointerForMembersWithDots) {
  Document d = Document::parse(R"({"with": {"data.mask": "a", "x/y": 1}, "list": [1, 2]})", "e.json");
  d.set("/with/data.mask", "b", "--set /with/data.mask");
  d.set("/with/x~1y", 2, "--set /with/x~1y");
  d.set("/list/1", 5, "--set /list/1");
  EXPECT_EQ(d.root(), Document::parse(R"({"with": {"data.mask": "b", "x/y": 2}, "list": [1, 5]})", "want.json").root());
  EXPECT_EQ(d.location("/with/data.mask"), "--set /with/data.mask");
  const auto error = [&](const std::string& path) {
    try {
      d.set(path, 1, "--set " + path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("/list/x"), "--set /list/x: '/list' is a list: give an element's index, e.g. /list/0");
  EXPECT_EQ(error("/with//a"),
            "--set /with//a: '/with//a' has an empty part (a dotted path like trainer.epochs, or a JSON pointer like /data/source/with/data.mask)");
}

TEST(Pointer, EscapesTokens) {
  EXPECT_EQ(escape_token("a/b~c"), "a~1b~0c");
  EXPECT_EQ(child_pointer("/x", "y/z"), "/x/y~1z");
  EXPECT_EQ(child_pointer("", size_t{3}), "/3");
}

}  // namespace
}  // namespace fuse::json
