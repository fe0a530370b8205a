#include "fuse/json/object_reader.h"

#include <functional>

#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse::json {
namespace {

const char* kText = R"({
  "rounds": 1000,
  "level": 0.95,
  "method": "bca",
  "groups": ["site", "sex"],
  "name": "x",
  "flag": true
})";

std::string error_of(const std::function<void(const ObjectReader&)>& f) {
  Document d = Document::parse(kText, "eval.json");
  ObjectReader r(d, d.root(), "", "the evaluation");
  try {
    f(r);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ObjectReader, ReadsTypedMembersWithDefaults) {
  Document d = Document::parse(kText, "eval.json");
  ObjectReader r(d, d.root(), "", "the evaluation");
  EXPECT_EQ(r.integer("rounds"), 1000);
  EXPECT_EQ(r.number("level", std::nullopt, 0, 1), 0.95);
  EXPECT_EQ(r.choice("method", {"percentile", "bca"}, "percentile"), "bca");
  EXPECT_EQ(r.strings("groups"), (std::vector<std::string>{"site", "sex"}));
  EXPECT_EQ(r.strings("name"), std::vector<std::string>{"x"});
  EXPECT_EQ(r.strings("absent"), std::vector<std::string>{});
  EXPECT_TRUE(r.boolean("flag"));
  EXPECT_EQ(r.integer("seed", 0), 0);
}

TEST(ObjectReader, ErrorsAreLocated) {
  EXPECT_EQ(error_of([](const ObjectReader& r) { r.allow({"rounds", "level", "method", "groups", "name"}); }),
            "eval.json:7:11: unknown field 'flag' in the evaluation (allowed: rounds, level, method, groups, name)");
  EXPECT_EQ(error_of([](const ObjectReader& r) { r.allow({"rounds", "level", "methods", "groups", "name", "flag"}); }),
            "eval.json:4:13: unknown field 'method' in the evaluation; did you mean 'methods'? (allowed: rounds, "
            "level, methods, groups, name, flag)");
  EXPECT_EQ(error_of([](const ObjectReader& r) { r.string("rounds"); }), "eval.json:2:13: 'rounds' must be a string, got 1000");
  EXPECT_EQ(error_of([](const ObjectReader& r) { r.number("level", std::nullopt, 0.99); }),
            "eval.json:3:12: 'level' must be >= 0.99, got 0.95");
  EXPECT_EQ(error_of([](const ObjectReader& r) { r.integer("missing"); }), "eval.json:1:1: missing field 'missing' in the evaluation");
  EXPECT_EQ(error_of([](const ObjectReader& r) { r.choice("method", {"percentile", "bcaa"}, "percentile"); }),
            "eval.json:4:13: 'method' must be one of 'percentile', 'bcaa', got 'bca'; did you mean 'bcaa'?");
}

}  // namespace
}  // namespace fuse::json
