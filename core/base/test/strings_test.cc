#include "fuse/base/strings.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace fuse {
namespace {

TEST(Strings, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("mean", "mena"), 1u);  // one transposition
  EXPECT_EQ(edit_distance("eps", "eps"), 0u);
}

TEST(Strings, NearestOrdersByDistanceThenInput) {
  std::vector<std::string> keys = {"data.label", "data.image", "data.id", "model.out"};
  EXPECT_EQ(nearest("data.imag", keys, 2), (std::vector<std::string>{"data.image", "data.id"}));
  EXPECT_EQ(nearest("x", {}, 3), std::vector<std::string>{});
}

TEST(Strings, DidYouMeanOnlyForCloseWords) {
  EXPECT_EQ(did_you_mean("epss", {"eps", "mean", "std"}), "; did you mean 'eps'?");
  EXPECT_EQ(did_you_mean("mena", {"eps", "mean", "std"}), "; did you mean 'mean'?");
  EXPECT_EQ(did_you_mean("completely_different", {"eps", "mean"}), "");
  EXPECT_EQ(did_you_mean("x", {}), "");
  EXPECT_EQ(did_you_mean("b", {"a"}), "");  // one-letter names are always one edit apart
  EXPECT_EQ(did_you_mean("ab", {"ba"}), "");
}

TEST(Strings, SplitKeepsEmptyParts) {
  auto parts = split("a..b", '.');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[2], "b");
  EXPECT_EQ(split("", '.').size(), 1u);
}

TEST(Strings, SplitOnATextAndTrim) {
  EXPECT_EQ(split("a; b;; c", "; "), (std::vector<std::string_view>{"a", "b;", "c"}));
  EXPECT_EQ(split("Effusion|Edema", "|"), (std::vector<std::string_view>{"Effusion", "Edema"}));
  EXPECT_EQ(trim(" \tNo Finding  "), "No Finding");
  EXPECT_EQ(trim("   "), "");
}

TEST(Strings, CsvCellsQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(csv_cell("case_7"), "case_7");
  EXPECT_EQ(csv_cell("scans, old/a.nii.gz"), "\"scans, old/a.nii.gz\"");
  EXPECT_EQ(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_cell("two\nlines"), "\"two\nlines\"");
}

TEST(Strings, JoinAndQuote) {
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(quoted_list({"op", "model"}), "'op', 'model'");
}

TEST(Strings, NaturalOrderComparesNumbersByValue) {
  std::vector<std::string> names{"fold_10", "fold_2", "fold_02b", "fold_9", "alpha", "fold_"};
  std::sort(names.begin(), names.end(), natural_less);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "fold_", "fold_2", "fold_02b", "fold_9", "fold_10"}));
  EXPECT_FALSE(natural_less("fold_3", "fold_3"));
}

TEST(Strings, LowercaseChangesLettersOnly) { EXPECT_EQ(lowercase("Scan_01.PNG"), "scan_01.png"); }

}  // namespace
}  // namespace fuse
