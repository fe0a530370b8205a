#include "fuse/data/folds.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;

TEST(Folds, StratifiedFoldsKeepClassShares) {
  std::vector<std::string> classes;
  for (int i = 0; i < 100; ++i) classes.push_back(i % 10 < 3 ? "pos" : "neg");
  const std::vector<int> f = split_folds(classes, {}, 5, 7);
  std::map<int, int> size, positives;
  for (size_t i = 0; i < f.size(); ++i) ++size[f[i]], positives[f[i]] += classes[i] == "pos";
  ASSERT_EQ(size.size(), 5u);
  for (int k = 0; k < 5; ++k) {
    EXPECT_EQ(size[k], 20) << k;
    EXPECT_EQ(positives[k], 6) << k;
  }
}

// 6 samples of each of two classes in 5 folds: the placement alone left a fold with two of one class and none of
// the other (seed 0: an AUC undefined on that fold); every fold holds both now, with 2 or 3 samples.
TEST(Folds, EveryFoldHoldsEveryClassThatHasASampleForIt) {
  const std::vector<std::string> classes{"0", "1", "0", "1", "0", "1", "0", "1", "0", "1", "0", "1"};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<int> f = split_folds(classes, {}, 5, seed);
    for (int fold = 0; fold < 5; ++fold) {
      std::map<std::string, int> held;
      int size = 0;
      for (size_t i = 0; i < classes.size(); ++i)
        if (f[i] == fold) ++held[classes[i]], ++size;
      EXPECT_EQ(held.size(), 2u) << "seed " << seed << ", fold " << fold;
      EXPECT_GE(size, 2) << "seed " << seed << ", fold " << fold;
      EXPECT_LE(size, 3) << "seed " << seed << ", fold " << fold;
    }
  }
}

// Grouped: 5 positive patients of 12, with 1 to 3 scans each, in 5 folds. The placement, which weighs a patient by
// his scans, left a fold without a positive for every seed; each fold now holds both classes, a patient's scans
// stay in one fold, and the folds' sizes (24 scans) stay within 2 of each other.
TEST(Folds, EveryFoldHoldsEveryClassThatHasAGroupForIt) {
  std::vector<std::string> classes, patients;
  for (int p = 0; p < 12; ++p)
    for (int scan = 0; scan < 1 + (p * 7) % 3; ++scan) patients.push_back("p" + std::to_string(p)), classes.push_back(p < 5 ? "1" : "0");
  ASSERT_EQ(classes.size(), 24u);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const std::vector<int> f = split_folds(classes, patients, 5, seed);
    std::map<std::string, std::set<int>> folds_of;
    std::map<int, std::set<std::string>> held;
    std::map<int, int> size;
    for (size_t i = 0; i < f.size(); ++i) folds_of[patients[i]].insert(f[i]), held[f[i]].insert(classes[i]), ++size[f[i]];
    for (const auto& [patient, folds] : folds_of) EXPECT_EQ(folds.size(), 1u) << "seed " << seed << ", " << patient;
    ASSERT_EQ(held.size(), 5u) << "seed " << seed;
    for (const auto& [fold, fold_classes] : held) EXPECT_EQ(fold_classes.size(), 2u) << "seed " << seed << ", fold " << fold;
    const auto [smallest, largest] = std::minmax_element(size.begin(), size.end(), [](auto& a, auto& b) { return a.second < b.second; });
    EXPECT_LE(largest->second - smallest->second, 2) << "seed " << seed;
  }
}

TEST(Folds, RarestLabelStrata) {
  EXPECT_EQ(rarest_label_strata({{"a", "b"}, {"a"}, {}, {"b", "a"}, {"c", "a"}}), (std::vector<std::string>{"b", "a", "", "b", "c"}));
  EXPECT_EQ(rarest_label_strata({{"y", "x"}, {"x"}, {"y"}}), (std::vector<std::string>{"x", "x", "y"}));  // a tie: by name
}

TEST(Folds, OneGroupNeverSpansTwoFolds) {
  std::vector<std::string> classes, patients;
  for (int p = 0; p < 30; ++p)
    for (int scan = 0; scan < 1 + p % 4; ++scan) patients.push_back("p" + std::to_string(p)), classes.push_back(p % 3 == 0 ? "1" : "0");
  const std::vector<int> f = split_folds(classes, patients, 3, 1);
  std::map<std::string, std::set<int>> folds_of;
  std::map<int, int> size;
  for (size_t i = 0; i < f.size(); ++i) folds_of[patients[i]].insert(f[i]), ++size[f[i]];
  for (const auto& [patient, folds] : folds_of) EXPECT_EQ(folds.size(), 1u) << patient;
  ASSERT_EQ(size.size(), 3u);
  for (const auto& [fold, n] : size) EXPECT_NEAR(n, static_cast<int>(f.size()) / 3, 3) << fold;
}

TEST(Folds, SameSeedSameFoldsOtherSeedOthers) {
  std::vector<std::string> classes(60, "a");
  EXPECT_EQ(split_folds(classes, {}, 4, 3), split_folds(classes, {}, 4, 3));
  EXPECT_NE(split_folds(classes, {}, 4, 3), split_folds(classes, {}, 4, 4));
}

TEST(Folds, SavedFoldsReloadForTheSameSamples) {
  const auto dir = fresh_dir("folds");
  const std::vector<std::string> ids = {"a", "b", "c", "d"};
  save_folds(dir / "folds.json", ids, {0, 1, 1, 0}, 2, 9);
  EXPECT_EQ(load_folds(dir / "folds.json", {"d", "b"}), (std::vector<int>{0, 1}));
  EXPECT_EQ(error_of([&] { load_folds(dir / "folds.json", {"a", "e"}); }),
            (dir / "folds.json").string() + ": sample 'e' has no fold; the file was saved for other samples (4 ids): split again or fix the sample list");
  testing::write_file(dir / "other.json", R"({"k": 2})");
  EXPECT_EQ(error_of([&] { load_folds(dir / "other.json", ids); }), (dir / "other.json").string() + ": not a folds file (no \"folds\" object)");
}

TEST(Folds, ImpossibleSplitsAreRefused) {
  EXPECT_EQ(error_of([] { split_folds({"a", "b"}, {}, 1, 0); }), "folds: k must be at least 2, got 1");
  EXPECT_EQ(error_of([] { split_folds({"a", "b", "a"}, {"p", "p", "p"}, 2, 0); }), "folds: 1 groups cannot fill 2 folds");
  EXPECT_EQ(error_of([] { split_folds({"a", "b", "a"}, {"p", "q"}, 2, 0); }), "folds: 3 class labels for 2 group labels");
}

}  // namespace
}  // namespace fuse::data
