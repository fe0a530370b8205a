#include "fuse/json/parse.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>

#include "fuse/json/write.h"

namespace fuse::json {
namespace {

namespace bj = boost::json;

TEST(ParseExact, ReadsEveryDoubleBackFromItsText) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> exponent(-30, 30);
  int boost_misses = 0;
  for (int i = 0; i < 20000; ++i) {
    const double value = std::ldexp(unit(random), exponent(random)) * (i % 3 == 0 ? -1 : 1);
    const double as_float = static_cast<double>(static_cast<float>(value));
    char digits17[40];
    std::snprintf(digits17, sizeof digits17, "[%.17g]", value);
    const std::string shortest = "[" + format_number(as_float) + "]";
    ASSERT_EQ(parse_exact(digits17).as_array()[0].as_double(), value) << digits17;
    ASSERT_EQ(parse_exact(shortest).as_array()[0].to_number<double>(), as_float) << shortest;  // "2": an int
    if (bj::parse(digits17).as_array()[0].as_double() != value) ++boost_misses;
  }
  // Why this parser exists: Boost.JSON 1.81's own conversion misses some of them.
  EXPECT_GT(boost_misses, 0);
}

TEST(ParseExact, BuildsTheSameDocumentAsBoostJson) {
  const std::string text = R"({"a": [1, -2, 18446744073709551615, 2.5, "x\"y\u00e9", true, false, null, {}, []],
                               "nested": {"k": {"deep": [[-0.125e2]]}}, "": "empty key", "big": 1e400})";
  EXPECT_EQ(parse_exact(text), bj::parse(text));
  EXPECT_EQ(parse_exact(text).at("a").as_array()[2].as_uint64(), 18446744073709551615ull);
}

TEST(ParseExact, ReportsWhereInvalidTextStops) {
  bj::error_code ec;
  size_t consumed = 0;
  EXPECT_TRUE(parse_exact("{\"a\": 1} \n", ec, &consumed).is_object());
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parse_exact("{\"a\": 1}  x", ec, &consumed).is_null());
  EXPECT_EQ(ec, bj::error::extra_data);
  EXPECT_EQ(consumed, 10u);
  parse_exact("[1, 2,", ec, &consumed);
  EXPECT_TRUE(ec);
  parse_exact("[1, 2,]", ec, &consumed);
  EXPECT_TRUE(ec);  // trailing commas only when the options allow them
  EXPECT_EQ(consumed, 6u);
  bj::parse_options relaxed;
  relaxed.allow_trailing_commas = true;
  relaxed.allow_comments = true;
  EXPECT_EQ(parse_exact("[1, 2, /* two */]", ec, nullptr, relaxed), bj::parse("[1, 2]"));
  EXPECT_FALSE(ec);
  EXPECT_THROW(parse_exact("{"), boost::system::system_error);
}

}  // namespace
}  // namespace fuse::json
