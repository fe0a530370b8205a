#include "fuse/manifest/config_schema.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse {
namespace {

ComponentManifest component() {
  const char* text = R"({
  "id": "t", "version": "1.0.0", "abi": {"major": 1, "minor": 0},
  "libraries": [{"platform": "linux-x86_64", "path": "l.so", "sha256": "0000000000000000000000000000000000000000000000000000000000000000"}],
  "components": [{
    "kind": "op", "id": "test.norm", "version": "1.0.0",
    "config": {
      "keys": {"type": "key[]", "description": "tensors to normalise"},
      "out": {"type": "key", "default": null},
      "eps": {"type": "double", "default": 1e-8, "min": 0},
      "bins": {"type": "int", "default": 10, "min": 1, "max": 1000},
      "mode": {"type": "string", "default": "linear", "enum": ["linear", "nearest"]},
      "flag": {"type": "bool", "default": false},
      "sizes": {"type": "int[]", "default": [1, 2]}
    },
    "reads": ["$keys", "data.extra"],
    "writes": ["$out", "${keys}_meta"]
  }]
})";
  return parse_manifest(json::Document::parse(text, "m.json")).components[0];
}

boost::json::object resolve(const char* config) { return resolve_config(component(), boost::json::parse(config).as_object()); }

std::pair<std::string, std::string> error_of(const char* config) {
  try {
    resolve(config);
  } catch (const ConfigError& e) {
    return {e.pointer(), e.what()};
  }
  return {"", "no error"};
}

TEST(ConfigSchema, FillsDefaultsAndNormalisesNumbers) {
  boost::json::object r = resolve(R"({"keys": ["data.a", "data.b"], "eps": 1})");
  EXPECT_EQ(boost::json::serialize(r),
            R"({"keys":["data.a","data.b"],"out":null,"eps":1E0,"bins":10,"mode":"linear","flag":false,"sizes":[1,2]})");
  EXPECT_TRUE(r.at("eps").is_double());
}

TEST(ConfigSchema, UnknownKeyGetsADidYouMean) {
  auto [pointer, message] = error_of(R"({"keys": [], "epss": 1})");
  EXPECT_EQ(pointer, "/epss");
  EXPECT_EQ(message,
            "component 'test.norm': unknown config key 'epss'; did you mean 'eps'? (known: keys, out, eps, bins, mode, "
            "flag, sizes)");
}

TEST(ConfigSchema, MissingRequiredValueIsNamed) {
  auto [pointer, message] = error_of("{}");
  EXPECT_EQ(pointer, "");
  EXPECT_EQ(message, "component 'test.norm': missing required config 'keys' (key[]: tensors to normalise)");
}

TEST(ConfigSchema, WrongTypesAndRangesAreExplained) {
  EXPECT_EQ(error_of(R"({"keys": [], "eps": "small"})").second,
            "component 'test.norm': config 'eps' must be a number, got string \"small\"");
  EXPECT_EQ(error_of(R"({"keys": [], "eps": -1})").second, "component 'test.norm': config 'eps' must be >= 0, got -1");
  EXPECT_EQ(error_of(R"({"keys": [], "bins": 2.5})").second,
            "component 'test.norm': config 'bins' must be an integer, got 2.5");
  EXPECT_EQ(error_of(R"({"keys": [], "bins": 5000})").second,
            "component 'test.norm': config 'bins' must be <= 1000, got 5000");
  EXPECT_EQ(error_of(R"({"keys": [], "flag": 1})").second, "component 'test.norm': config 'flag' must be true or false, got 1");
  EXPECT_EQ(error_of(R"({"keys": [], "mode": "linaer"})").second,
            "component 'test.norm': config 'mode' must be one of \"linear\", \"nearest\", got string \"linaer\"; did you "
            "mean 'linear'?");
  auto [pointer, message] = error_of(R"({"keys": ["data.a", "bad..key"]})");
  EXPECT_EQ(pointer, "/keys/1");
  EXPECT_EQ(message, "component 'test.norm': config 'keys' element 1 must be a dotted key like 'data.image', got string "
                     "\"bad..key\"");
  EXPECT_EQ(error_of(R"({"keys": "data.a"})").second,
            "component 'test.norm': config 'keys' must be an array of dotted keys like [\"data.image\"], got string "
            "\"data.a\"");
  EXPECT_EQ(error_of(R"({"keys": null})").second,
            "component 'test.norm': config 'keys' must be an array of dotted keys like [\"data.image\"], got null");
}

TEST(ConfigSchema, NullIsAllowedWhereTheDefaultIsNull) {
  EXPECT_TRUE(resolve(R"({"keys": [], "out": null})").at("out").is_null());
  EXPECT_EQ(resolve(R"({"keys": [], "out": "data.y"})").at("out").as_string(), "data.y");
}

TEST(ConfigSchema, ResolveKeysExpandsFieldReferences) {
  ComponentManifest c = component();
  boost::json::object r = resolve_config(c, boost::json::parse(R"({"keys": ["data.a", "data.b"], "out": "data.y"})").as_object());
  auto reads = resolve_keys(c.reads, r);
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads[0].first, "data.a");
  EXPECT_EQ(reads[1].first, "data.b");
  EXPECT_EQ(reads[2].first, "data.extra");
  auto writes = resolve_keys(c.writes, r);
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0].first, "data.y");
  EXPECT_EQ(writes[1].first, "data.a_meta");  // "${keys}_meta": each key with the suffix
  EXPECT_EQ(writes[2].first, "data.b_meta");
  r["out"] = nullptr;
  r["keys"] = boost::json::array();
  EXPECT_TRUE(resolve_keys(c.writes, r).empty());
}

TEST(ConfigSchema, ValidKeys) {
  EXPECT_TRUE(is_valid_key("data.image"));
  EXPECT_TRUE(is_valid_key("x"));
  EXPECT_FALSE(is_valid_key(""));
  EXPECT_FALSE(is_valid_key("a..b"));
  EXPECT_FALSE(is_valid_key(".a"));
  EXPECT_FALSE(is_valid_key("a b"));
}

}  // namespace
}  // namespace fuse
