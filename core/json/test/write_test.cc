#include "fuse/json/write.h"

#include <cmath>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace fuse::json {
namespace {

TEST(Write, CompactTextWithShortNumbers) {
  boost::json::value v = boost::json::parse(R"({"a": [1, 0.1, 2.0, -3e-8], "b": "q\"\n", "c": null, "d": {}})");
  EXPECT_EQ(to_text(v), R"({"a": [1, 0.1, 2.0, -3e-08], "b": "q\"\n", "c": null, "d": {}})");
}

TEST(Write, PrettyKeepsScalarArraysOnOneLine) {
  boost::json::value v = boost::json::parse(R"({"shape": [2, 3], "items": [{"x": 1}], "e": []})");
  EXPECT_EQ(to_text(v, {2}), "{\n  \"shape\": [2, 3],\n  \"items\": [\n    {\n      \"x\": 1\n    }\n  ],\n  \"e\": []\n}");
}

TEST(Write, NonFiniteNumbersBecomeNull) {
  boost::json::value v = boost::json::array{std::nan(""), INFINITY, 1.5};
  EXPECT_EQ(to_text(v), "[null, null, 1.5]");
}

TEST(Write, FormatNumber) {
  EXPECT_EQ(format_number(0), "0");
  EXPECT_EQ(format_number(1000), "1000");
  EXPECT_EQ(format_number(2.5), "2.5");
  EXPECT_EQ(format_number(1e-8), "1e-08");
}

}  // namespace
}  // namespace fuse::json
