#include <cmath>

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

std::string create_error(const std::string& config) {
  return error_of([&] { run_op("fuse.ops.time_bins", config, sample(R"({"t": 1.0})")); });
}

// Equal bins up to 'max': (0, 2], (2, 4], ..., (8, oo) with max 10 and 5 bins; a time on a cut is in the lower
// bin, 0 in the first, beyond 'max' in the last. A number gives an int, a tensor an int64 tensor.
TEST(TimeBins, EqualBinsUpToMax) {
  const char* config = R"({"key": "t", "out": "bin", "max": 10, "bins": 5})";
  EXPECT_EQ(run_op("fuse.ops.time_bins", config, sample(R"({"t": 0.0})")).get<int64_t>("bin"), 0);
  EXPECT_EQ(run_op("fuse.ops.time_bins", config, sample(R"({"t": 2.0})")).get<int64_t>("bin"), 0);
  EXPECT_EQ(run_op("fuse.ops.time_bins", config, sample(R"({"t": 2.5})")).get<int64_t>("bin"), 1);
  EXPECT_EQ(run_op("fuse.ops.time_bins", config, sample(R"({"t": 7})")).get<int64_t>("bin"), 3);
  EXPECT_EQ(run_op("fuse.ops.time_bins", config, sample(R"({"t": 40.0})")).get<int64_t>("bin"), 4);
  NDict out = run_op("fuse.ops.time_bins", config, sample(R"({"t": [0.5, 4.0, 9.0, 12.0]})"));
  EXPECT_EQ(out.get<Tensor>("bin").description(), "int64[4]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("bin")), (std::vector<int64_t>{0, 1, 4, 4}));
  EXPECT_EQ(out.get<Tensor>("t").description(), "float32[4]");  // the time stays
  // 10 bins by default; without 'out' the bin replaces the time.
  EXPECT_EQ(run_op("fuse.ops.time_bins", R"({"key": "t", "max": 10})", sample(R"({"t": 9.5})")).get<int64_t>("t"), 9);
}

TEST(TimeBins, GivenCuts) {
  const char* config = R"({"key": "t", "out": "bin", "cuts": [1, 2, 3, 5]})";
  NDict out = run_op("fuse.ops.time_bins", config, sample(R"({"t": [0.2, 1.0, 1.5, 4.0, 5.0, 8.0]})"));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("bin")), (std::vector<int64_t>{0, 0, 1, 3, 3, 4}));
  // 'bins' may say the count the cuts make.
  EXPECT_EQ(run_op("fuse.ops.time_bins", R"({"key": "t", "cuts": [1, 2], "bins": 3})", sample(R"({"t": 1.5})")).get<int64_t>("t"), 1);
}

// The expected time of per-bin probabilities: bins (0, 2], (2, 4], (4, oo) have middles 1, 3 and 5 (the last
// as wide as the one before it).
TEST(TimeBins, ExpectedTimeOfPerBinProbabilities) {
  NDict s = sample(R"({"p": [[1, 0, 0], [0, 0.5, 0.5], [0.2, 0.3, 0.5]]})");
  NDict out = run_op("fuse.ops.time_bins", R"({"key": "p", "out": "time", "max": 6, "bins": 3, "expected": true})", s);
  const Tensor& time = out.get<Tensor>("time");
  EXPECT_EQ(time.description(), "float32[3]");
  std::vector<float> v = values<float>(time);
  EXPECT_FLOAT_EQ(v[0], 1.0f);
  EXPECT_FLOAT_EQ(v[1], 4.0f);
  EXPECT_FLOAT_EQ(v[2], 0.2f + 0.9f + 2.5f);
  // Unequal cuts: (0, 1], (1, 3], (3, oo) -> middles 0.5, 2, 4; float64 stays float64.
  s = sample(R"({"p": {"$tensor": {"dtype": "float64", "shape": [3], "data": [0.5, 0.25, 0.25]}}})");
  out = run_op("fuse.ops.time_bins", R"({"key": "p", "cuts": [1, 3], "expected": true})", s);
  EXPECT_EQ(values<double>(out.get<Tensor>("p")), (std::vector<double>{0.25 + 0.5 + 1.0}));
  // Two bins: (0, c], (c, 2c].
  out = run_op("fuse.ops.time_bins", R"({"key": "p", "out": "time", "cuts": [4], "expected": true})", sample(R"({"p": [[0, 1]]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("time")), (std::vector<float>{6.0f}));
}

// The probability of no event by a time: bins (0, 2], (2, 4], (4, 6] (the last as wide as the one before it);
// by 3, all of the bins after it and half of its own.
TEST(TimeBins, SurvivalAtATime) {
  NDict s = sample(R"({"p": [[0.2, 0.4, 0.4], [1, 0, 0], [0, 0, 1]]})");
  const auto at = [&](double h) {
    const std::string config = R"({"key": "p", "out": "s", "cuts": [2, 4], "survival_at": )" + std::to_string(h) + "}";
    return values<float>(run_op("fuse.ops.time_bins", config, s).get<Tensor>("s"));
  };
  std::vector<float> v = at(3);
  EXPECT_FLOAT_EQ(v[0], 0.4f + 0.2f);
  EXPECT_FLOAT_EQ(v[1], 0.0f);
  EXPECT_FLOAT_EQ(v[2], 1.0f);
  EXPECT_EQ(at(0), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(at(2), (std::vector<float>{0.8f, 0, 1}));
  v = at(5);
  EXPECT_FLOAT_EQ(v[0], 0.2f);  // half of the open last bin
  EXPECT_EQ(at(7), (std::vector<float>{0, 0, 0}));
  // A curve: the same at several times, a last axis of them.
  NDict out = run_op("fuse.ops.time_bins", R"({"key": "p", "out": "curve", "cuts": [2, 4], "survival_times": [0, 2, 3, 5, 7]})", s);
  const Tensor& curve = out.get<Tensor>("curve");
  EXPECT_EQ(curve.description(), "float32[3, 5]");
  const std::vector<float> c = values<float>(curve);
  for (size_t j = 0; j < 5; ++j) EXPECT_FLOAT_EQ(c[j], (std::vector<float>{1, 0.8f, 0.6f, 0.2f, 0})[j]) << j;
}

TEST(TimeBins, RefusesBadTimesAndProbabilities) {
  const std::string op = "op 'fuse.ops.time_bins' (plugin 'fuse.ops_core'): ";
  EXPECT_EQ(error_of([] { run_op("fuse.ops.time_bins", R"({"key": "t", "max": 10})", sample(R"({"t": -1.0})")); }),
            op + "key 't': the time -1 is not a time >= 0");
  EXPECT_EQ(error_of([] {
              NDict s;
              s.set("t", std::nan(""));
              run_op("fuse.ops.time_bins", R"({"key": "t", "max": 10})", s);
            }),
            op + "key 't': the time nan is not a time >= 0");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.time_bins", R"({"key": "t", "max": 10})", sample(R"({"t": null})")); }),
            op + "key 't' is empty (null) in this sample: a time is needed to find its bin (a source's \"required\" leaves such rows out); fill "
                 "missing values first with fuse.ops.nan_to_num (\"fit\": true fills in the training samples' mean)");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.time_bins", R"({"key": "p", "max": 10, "bins": 3, "expected": true})", sample(R"({"p": [[0.5, 0.5]]})")); }),
            op + "key 'p': 'expected' reads per-bin probabilities on the last axis, 3 bins, got shape [1, 2]");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.time_bins", R"({"key": "p", "cuts": [1], "expected": true})", sample(R"({"p": [[0.5, 0.5], [1.5, -0.5]]})")); }),
            op + "key 'p': row 1 has the probability -0.5 in bin 1");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.time_bins", R"({"key": "p", "cuts": [1], "survival_at": 1})", sample(R"({"p": [0.5]})")); }),
            op + "key 'p': 'survival_at' reads per-bin probabilities on the last axis, 2 bins, got shape [1]");
}

TEST(TimeBins, RefusesBadConfigs) {
  const std::string op = "op 'fuse.ops.time_bins' (plugin 'fuse.ops_core'): create failed: ";
  EXPECT_EQ(create_error(R"({"key": "t"})"),
            op + "set 'max' (bins of equal width up to it) or 'cuts', or mark the step \"fit\": true to take the training samples' largest time");
  EXPECT_EQ(create_error(R"({"key": "t", "max": 0})"), op + "'max' must be a time > 0, got 0");
  EXPECT_EQ(create_error(R"({"key": "t", "cuts": [1, 2], "max": 5})"), op + "'cuts' and 'max' exclude each other: give the cuts, or equal bins up to 'max'");
  EXPECT_EQ(create_error(R"({"key": "t", "cuts": []})"), op + "'cuts' is empty; give at least one cut (two bins)");
  EXPECT_EQ(create_error(R"({"key": "t", "cuts": [1, 1]})"), op + "'cuts' must be finite, > 0 and increasing; cut 1 is 1");
  EXPECT_EQ(create_error(R"({"key": "t", "cuts": [0, 1]})"), op + "'cuts' must be finite, > 0 and increasing; cut 0 is 0");
  EXPECT_EQ(create_error(R"({"key": "t", "cuts": [1, 2], "bins": 4})"), op + "'bins' is 4 but the 2 'cuts' make 3 bins; leave 'bins' out");
  EXPECT_EQ(create_error(R"({"key": "t", "max": 5, "expected": true, "survival_at": 2})"),
            op + "'expected', 'survival_at' and 'survival_times' exclude each other: one output per step");
  EXPECT_EQ(create_error(R"({"key": "t", "max": 5, "survival_at": 2, "survival_times": [1, 2]})"),
            op + "'expected', 'survival_at' and 'survival_times' exclude each other: one output per step");
  EXPECT_EQ(create_error(R"({"key": "t", "max": 5, "survival_times": []})"), op + "'survival_times' is empty; give the times of the curve");
  EXPECT_EQ(create_error(R"({"key": "t", "max": 5, "survival_times": [1, -2]})"), op + "'survival_times' must hold times >= 0, got -2");
  EXPECT_EQ(create_error(R"({"key": "t", "max": 5, "survival_at": -1})"), op + "'survival_at' must be a time >= 0, got -1");
}

}  // namespace
}  // namespace fuse::testing
