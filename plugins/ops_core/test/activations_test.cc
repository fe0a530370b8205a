#include <gtest/gtest.h>

#include <cmath>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::sample;
using testing::values;

TEST(Softmax, RowsSumToOneAndLargeLogitsDoNotOverflow) {
  const NDict out = run_op("fuse.ops.softmax", R"({"key": "l", "out": "p", "axis": 1})", sample(R"({"l": [[0.0, 0.0], [1000.0, 0.0]]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("p")), (std::vector<float>{0.5f, 0.5f, 1.0f, 0.0f}));
  EXPECT_EQ(values<float>(out.get<Tensor>("l"))[2], 1000.0f);  // the input is kept
  const std::vector<float> first = values<float>(run_op("fuse.ops.softmax", R"({"key": "l", "axis": 0})", sample(R"({"l": [[0.0, 1.0], [0.0, 1.0]]})")).get<Tensor>("l"));
  EXPECT_EQ(first, (std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}));
}

TEST(Sigmoid, BothTails) {
  const std::vector<float> v = values<float>(run_op("fuse.ops.sigmoid", R"({"key": "l"})", sample(R"({"l": [0.0, 2.0, -800.0]})")).get<Tensor>("l"));
  EXPECT_FLOAT_EQ(v[0], 0.5f);
  EXPECT_FLOAT_EQ(v[1], static_cast<float>(1 / (1 + std::exp(-2.0))));
  EXPECT_EQ(v[2], 0.0f);
}

TEST(Select, ThePositiveClass) {
  const NDict out = run_op("fuse.ops.select", R"({"key": "p", "out": "s", "axis": 1, "index": -1})", sample(R"({"p": [[0.2, 0.8], [0.7, 0.3]]})"));
  EXPECT_EQ(out.get<Tensor>("s").shape(), (std::vector<int64_t>{2}));
  EXPECT_EQ(values<float>(out.get<Tensor>("s")), (std::vector<float>{0.8f, 0.3f}));
  EXPECT_EQ(error_of([] { run_op("fuse.ops.select", R"({"key": "p", "axis": 1, "index": 2})", sample(R"({"p": [[0.2, 0.8]]})")); }),
            "op 'fuse.ops.select' (plugin 'fuse.ops_core'): key 'p': index 2 is out of range for axis 1 of [1, 2]");
}

}  // namespace
}  // namespace fuse
