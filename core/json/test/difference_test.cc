#include "fuse/json/difference.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace fuse::json {
namespace {

Difference between(const char* a, const char* b) { return first_difference(boost::json::parse(a), boost::json::parse(b)); }

TEST(FirstDifference, EqualValuesWhateverTheKeyOrderOrNumberKind) {
  EXPECT_TRUE(between(R"({"a": 1, "b": [1, 2.5, {"c": null}]})", R"({"b": [1.0, 2.5, {"c": null}], "a": 1.0})").same);
  EXPECT_TRUE(between("[]", "[]").same);
}

TEST(FirstDifference, NamesTheFirstPlaceThatDiffers) {
  const Difference d = between(R"({"data": {"static": [{"op": "x"}, {"spacing": [1.6, 1.6, 2.5]}]}})",
                               R"({"data": {"static": [{"op": "x"}, {"spacing": [1.6, 2.4, 3.75]}]}})");
  EXPECT_FALSE(d.same);
  EXPECT_EQ(d.path, "data.static.1.spacing.1");
  ASSERT_TRUE(d.a != nullptr && d.b != nullptr);
  EXPECT_EQ(d.a->to_number<double>(), 1.6);
  EXPECT_EQ(d.b->to_number<double>(), 2.4);
  EXPECT_EQ(between(R"({"a": 1, "b": 2})", R"({"a": 1})").path, "b");  // a key one side lacks
  EXPECT_EQ(between(R"({"a": 1, "b": 2})", R"({"a": 1})").b, nullptr);
  EXPECT_EQ(between(R"({"a": [1, 2]})", R"({"a": [1, 2, 3]})").path, "a.2");  // an item one side lacks
  EXPECT_EQ(between(R"({"a": "1"})", R"({"a": 1})").path, "a");  // a string is not a number
  EXPECT_FALSE(between("1", "2").same);
  EXPECT_EQ(between("1", "2").path, "");
  EXPECT_EQ(first_difference(boost::json::parse("[true]"), boost::json::parse("[false]"), "model").path, "model.0");
}

}  // namespace
}  // namespace fuse::json
