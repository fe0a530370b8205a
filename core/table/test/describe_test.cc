#include "fuse/table/describe.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fuse::table {
namespace {

// A table of text columns, as `fuse dataset summary` reads one.
Table text_table(const std::vector<std::pair<std::string, std::vector<std::string>>>& columns) {
  Table t;
  for (const auto& [name, cells] : columns) {
    Column c;
    c.name = name;
    c.kind = Kind::kText;
    for (const std::string& cell : cells) c.text.append(cell);
    t.columns.push_back(std::move(c));
    t.rows.resize(cells.size());
  }
  return t;
}

TEST(Describe, NumbersTextAndEmptyCells) {
  const std::vector<ColumnSummary> s = describe(text_table({{"age", {"61", "48", "", "70", "nan", "+55"}},
                                                            {"site", {"north", "south", "north", "", "east", "north"}},
                                                            {"label", {"1", "0", "1", "1", "10", "0"}},
                                                            {"mixed", {"1", "two", "3", "4", "5", "6"}}}));
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(s[0].numeric);
  EXPECT_EQ(s[0].missing, 2u);  // the empty cell and the NaN
  EXPECT_DOUBLE_EQ(s[0].mean, 58.5);
  EXPECT_DOUBLE_EQ(s[0].sd, std::sqrt((2.5 * 2.5 + 10.5 * 10.5 + 11.5 * 11.5 + 3.5 * 3.5) / 3));  // n - 1
  EXPECT_EQ(s[0].min, 48);
  EXPECT_EQ(s[0].median, 58);  // between 55 and 61
  EXPECT_EQ(s[0].max, 70);
  EXPECT_FALSE(s[1].numeric);
  EXPECT_EQ(s[1].missing, 1u);
  EXPECT_EQ(s[1].distinct, 3u);
  const std::vector<std::pair<std::string, size_t>> sites = {{"north", 3}, {"east", 1}, {"south", 1}};
  EXPECT_EQ(s[1].values, sites);  // most frequent first, ties in value order
  const std::vector<std::pair<std::string, size_t>> labels = {{"1", 3}, {"0", 2}, {"10", 1}};  // ties: 0 before 10
  EXPECT_EQ(s[2].values, labels);
  EXPECT_FALSE(s[3].numeric);  // one text cell makes the column text
  EXPECT_EQ(s[3].distinct, 6u);
}

TEST(Describe, ManyDistinctValuesAreCountedNotListed) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back("p" + std::to_string(i));
  const std::vector<ColumnSummary> s = describe(text_table({{"id", ids}}));
  EXPECT_EQ(s[0].distinct, 40u);
  EXPECT_TRUE(s[0].values.empty());
  EXPECT_EQ(s[0].missing, 0u);
}

}  // namespace
}  // namespace fuse::table
