#include <gtest/gtest.h>

#include <set>

#include "test_support.h"

namespace fuse::testing {
namespace {

// A protein string and a per-position tensor [2, 10] (row 0 holds the position, row 1 ten more).
NDict protein() {
  NDict s = sample(R"({"seq": "ABCDEFGHIJ"})");
  s.set("pos", ramp({2, 10}));
  return s;
}

TEST(RandomCropSequence, CutsTheSameEndsOffEveryKey) {
  std::set<std::string> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const NDict out = run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq", "pos"], "max_ratio": 0.5})", protein(), seed);
    const std::string seq = out.get<std::string>("seq");
    const std::vector<float> pos = values<float>(out.get<Tensor>("pos"));
    ASSERT_GE(seq.size(), 6u) << seed;  // the share is drawn below 0.5: fewer than 5 cut
    ASSERT_EQ(out.get<Tensor>("pos").shape(), (std::vector<int64_t>{2, static_cast<int64_t>(seq.size())}));
    const size_t first = static_cast<size_t>(seq[0] - 'A');
    EXPECT_EQ(seq, std::string("ABCDEFGHIJ").substr(first, seq.size()));
    for (size_t i = 0; i < seq.size(); ++i) {
      EXPECT_EQ(pos[i], static_cast<float>(first + i));             // row 0: the position
      EXPECT_EQ(pos[seq.size() + i], static_cast<float>(10 + first + i));  // row 1
    }
    seen.insert(seq);
  }
  // None, and cuts from the left, the right and both, up to 4 long.
  for (const char* s : {"ABCDEFGHIJ", "BCDEFGHIJ", "ABCDEFGHI", "BCDEFGHI", "EFGHIJ", "ABCDEF", "CDEFGH"}) EXPECT_TRUE(seen.count(s)) << s;
  // The same seed cuts the same.
  EXPECT_EQ(run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq"]})", protein(), 7).get<std::string>("seq"),
            run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq"]})", protein(), 7).get<std::string>("seq"));
}

TEST(RandomCropSequence, OneEndOnlyNothingOutsideTrainingAndZeroRatio) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const std::string left = run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq"], "mode": "left"})", protein(), seed).get<std::string>("seq");
    EXPECT_EQ(left, std::string("ABCDEFGHIJ").substr(10 - left.size()));  // a suffix
    const std::string right = run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq"], "mode": "right"})", protein(), seed).get<std::string>("seq");
    EXPECT_EQ(right, std::string("ABCDEFGHIJ").substr(0, right.size()));  // a prefix
    EXPECT_EQ(run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq"], "max_ratio": 0})", protein(), seed).get<std::string>("seq"), "ABCDEFGHIJ");
  }
  EXPECT_EQ(run_op("fuse.ops.random_crop_sequence", R"({"keys": ["seq"], "max_ratio": 1})", protein()).get<std::string>("seq"), "ABCDEFGHIJ");
}

TEST(RandomCropSequence, UnequalLengthsAndScalarsAreNamed) {
  NDict s = protein();
  s.set("short", ramp({4}));
  EXPECT_EQ(error_of([&] { run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["seq", "short"]})", s, 1); }),
            "op 'fuse.ops.random_crop_sequence' (plugin 'fuse.ops_core'): key 'short' is 4 long but 'seq' is 10; the sequences of one crop must "
            "be as long");
  s.set("scalar", ramp({}));
  EXPECT_EQ(error_of([&] { run_op_training("fuse.ops.random_crop_sequence", R"({"keys": ["scalar"]})", s, 1); }),
            "op 'fuse.ops.random_crop_sequence' (plugin 'fuse.ops_core'): key 'scalar' is a scalar tensor, not a sequence");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.random_crop_sequence", R"({"keys": ["seq"], "mode": "middle"})", protein()); }),
            "component 'fuse.ops.random_crop_sequence': config 'mode' must be one of \"both\", \"left\", \"right\", got string \"middle\"");
}

}  // namespace
}  // namespace fuse::testing
