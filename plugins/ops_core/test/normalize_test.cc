#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

TEST(ZScore, UsesTheTensorsOwnStatistics) {
  // mean 2.5, population std sqrt(1.25)
  NDict out = run_op("fuse.ops.zscore", R"({"keys": ["x"]})", sample(R"({"x": [1, 2, 3, 4]})"));
  const Tensor& x = out.get<Tensor>("x");
  EXPECT_EQ(x.description(), "float32[4]");  // integers become float32
  const double s = std::sqrt(1.25);
  std::vector<float> v = values<float>(x);
  EXPECT_NEAR(v[0], -1.5 / s, 1e-6);
  EXPECT_NEAR(v[3], 1.5 / s, 1e-6);
}

TEST(ZScore, FixedMeanAndStdAndFloat64StaysFloat64) {
  NDict s = sample(R"({"x": {"$tensor": {"dtype": "float64", "data": [10, 20]}}})");
  NDict out = run_op("fuse.ops.zscore", R"({"keys": ["x"], "mean": 10, "std": 5})", s);
  EXPECT_EQ(values<double>(out.get<Tensor>("x")), (std::vector<double>{0.0, 2.0}));
}

// 'inverse' undoes a standardisation (a prediction of a z-scored target back in its units): tensors and numbers.
TEST(ZScore, InverseUndoesIt) {
  NDict s = sample(R"({"x": {"$tensor": {"dtype": "float64", "data": [0, 2]}}, "age": 1.5})");
  NDict out = run_op("fuse.ops.zscore", R"({"keys": ["x", "age"], "mean": 10, "std": 5, "inverse": true})", s);
  EXPECT_EQ(values<double>(out.get<Tensor>("x")), (std::vector<double>{10.0, 20.0}));
  EXPECT_EQ(out.get<double>("age"), 17.5);
  out = run_op("fuse.ops.zscore", R"({"keys": ["x"], "mean": 10, "std": 5})", out);
  EXPECT_EQ(values<double>(out.get<Tensor>("x")), (std::vector<double>{0.0, 2.0}));
  EXPECT_EQ(error_of([] { run_op("fuse.ops.zscore", R"({"keys": ["x"], "mean": 10, "inverse": true})", sample(R"({"x": 1.0})")); }),
            "op 'fuse.ops.zscore' (plugin 'fuse.ops_core'): create failed: 'inverse' undoes a standardisation, so it needs its 'mean' and 'std' (in "
            "postprocessing, \"fit\": {\"from\": KEY} takes those data.static fitted for KEY)");
}

// A table's column: a number by the given statistics (a tabular feature), ints too; without them it is refused.
TEST(ZScore, NumbersByTheGivenStatistics) {
  NDict out = run_op("fuse.ops.zscore", R"({"keys": ["age", "visits"], "mean": 50, "std": 10})", sample(R"({"age": 65.0, "visits": 30})"));
  EXPECT_EQ(out.get<double>("age"), 1.5);
  EXPECT_EQ(out.get<double>("visits"), -2.0);
  EXPECT_EQ(error_of([] { run_op("fuse.ops.zscore", R"({"keys": ["age"]})", sample(R"({"age": 65.0})")); }),
            "op 'fuse.ops.zscore' (plugin 'fuse.ops_core'): key 'age' holds a number, which has no statistics of its own: set 'mean' and 'std', or "
            "mark the step \"fit\": true to take the training samples'");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.zscore", R"({"keys": ["age"], "mean": 50, "std": 10})", sample(R"({"age": null})")); }),
            "op 'fuse.ops.zscore' (plugin 'fuse.ops_core'): key 'age' is empty (null) in this sample: fill missing values first with "
            "fuse.ops.nan_to_num (\"fit\": true fills in the training samples' mean)");
}

TEST(ZScore, DoesNotChangeASharedBuffer) {
  NDict s = sample(R"({"x": [1.0, 3.0]})");
  s.set("copy", s.at("x"));  // both keys share one buffer
  NDict out = run_op("fuse.ops.zscore", R"({"keys": ["x"]})", s);
  EXPECT_EQ(values<float>(out.get<Tensor>("copy")), (std::vector<float>{1.0f, 3.0f}));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{-1.0f, 1.0f}));
}

TEST(ZScore, ZeroStdIsAClearError) {
  EXPECT_EQ(error_of([] { run_op("fuse.ops.zscore", R"({"keys": ["data.x"]})", sample(R"({"data": {"x": [2, 2, 2]}})")); }),
            "op 'fuse.ops.zscore' (plugin 'fuse.ops_core'): key 'data.x': the standard deviation is 0 (all 3 values "
            "equal 2); set 'std', or 'eps' > 0");
  // eps avoids it
  NDict out = run_op("fuse.ops.zscore", R"({"keys": ["x"], "eps": 1})", sample(R"({"x": [2.0, 2.0]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{0.0f, 0.0f}));
}

TEST(MinMax, RescalesToTheRange) {
  NDict out = run_op("fuse.ops.minmax", R"({"keys": ["x"]})", sample(R"({"x": [2.0, 4.0, 6.0]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{0.0f, 0.5f, 1.0f}));
  out = run_op("fuse.ops.minmax", R"({"keys": ["x"], "in_min": 0, "in_max": 4, "low": -1, "high": 1, "clip": true})",
               sample(R"({"x": [0.0, 2.0, 8.0]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{-1.0f, 0.0f, 1.0f}));
  out = run_op("fuse.ops.minmax", R"({"keys": ["x"], "low": 3, "high": 5})", sample(R"({"x": [7.0, 7.0]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{3.0f, 3.0f}));  // constant -> low
}

TEST(MinMax, BadRangesAreRejectedAtCreation) {
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.ops.minmax", json_object(R"({"keys": ["x"], "low": 1, "high": 0})")); }),
            "op 'fuse.ops.minmax' (plugin 'fuse.ops_core'): create failed: 'low' must be below 'high'");
}

// A table's column, as sklearn's MinMaxScaler: the given range, ints too; without one it is refused.
TEST(MinMax, NumbersByTheGivenRange) {
  NDict out = run_op("fuse.ops.minmax", R"({"keys": ["age", "visits"], "in_min": 20, "in_max": 80, "clip": true})", sample(R"({"age": 65.0, "visits": 90})"));
  EXPECT_EQ(out.get<double>("age"), 0.75);
  EXPECT_EQ(out.get<double>("visits"), 1.0);  // clipped
  EXPECT_EQ(error_of([] { run_op("fuse.ops.minmax", R"({"keys": ["age"], "in_min": 0})", sample(R"({"age": 65.0})")); }),
            "op 'fuse.ops.minmax' (plugin 'fuse.ops_core'): key 'age' holds a number, which has no range of its own: set 'in_min' and 'in_max', or mark "
            "the step \"fit\": true to take the training samples'");
  EXPECT_EQ(error_of([] { run_op("fuse.ops.minmax", R"({"keys": ["age"], "in_min": 0, "in_max": 1})", sample(R"({"age": null})")); }),
            "op 'fuse.ops.minmax' (plugin 'fuse.ops_core'): key 'age' is empty (null) in this sample: fill missing values first with fuse.ops.nan_to_num "
            "(\"fit\": true fills in the training samples' mean)");
}

// A skewed lab value on a log scale: numbers and tensors; an empty cell and NaN stay; a value at or below
// -offset is refused with the value and the remedy.
TEST(Log, NumbersTensorsAndEmptyCells) {
  NDict s = sample(R"({"psa": 4.5, "visits": 0, "note": null, "x": [1.0, 100.0]})");
  s.set("crp", std::nan(""));
  NDict out = run_op("fuse.ops.log", R"({"keys": ["psa", "note", "crp", "x"]})", s);
  EXPECT_DOUBLE_EQ(out.get<double>("psa"), std::log(4.5));
  EXPECT_TRUE(out.at("note").is_null());
  EXPECT_TRUE(std::isnan(out.get<double>("crp")));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{0.0f, static_cast<float>(std::log(100.0))}));
  out = run_op("fuse.ops.log", R"({"keys": ["visits"], "offset": 1})", s);
  EXPECT_EQ(out.get<double>("visits"), 0.0);  // log1p(0)
  EXPECT_EQ(error_of([&] { run_op("fuse.ops.log", R"({"keys": ["visits"]})", s); }),
            "op 'fuse.ops.log' (plugin 'fuse.ops_core'): key 'visits' holds 0: log(x + offset) needs x + offset > 0 (offset 0); set 'offset' (1 gives "
            "log1p, for counts with zeros)");
}

TEST(Clip, KeepsDtypeAndClipsBothSides) {
  NDict out = run_op("fuse.ops.clip", R"({"keys": ["x"], "min": 0, "max": 10})", sample(R"({"x": [-5, 5, 50]})"));
  EXPECT_EQ(out.get<Tensor>("x").description(), "int64[3]");
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("x")), (std::vector<int64_t>{0, 5, 10}));
  out = run_op("fuse.ops.clip", R"({"keys": ["x"], "max": 1.5})", sample(R"({"x": [-5.0, 5.0]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("x")), (std::vector<float>{-5.0f, 1.5f}));
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.ops.clip", json_object(R"({"keys": ["x"]})")); }),
            "op 'fuse.ops.clip' (plugin 'fuse.ops_core'): create failed: set 'min', 'max' or both");
}

TEST(NanToNum, ReplacesNanAndInfinities) {
  NDict s;
  s.set("x", Tensor::from_vector<float>({std::nanf(""), INFINITY, -INFINITY, 2.0f}, {4}));
  NDict out = run_op("fuse.ops.nan_to_num", R"({"keys": ["x"], "nan": -1, "posinf": 100})", s);
  std::vector<float> v = values<float>(out.get<Tensor>("x"));
  EXPECT_EQ(v[0], -1.0f);
  EXPECT_EQ(v[1], 100.0f);
  EXPECT_EQ(v[2], std::numeric_limits<float>::lowest());
  EXPECT_EQ(v[3], 2.0f);
}

// A table's columns: an empty cell (null) and a NaN become 'nan'; infinities as in tensors; ints stay.
TEST(NanToNum, FillsEmptyCellsAndNumbers) {
  NDict s = sample(R"({"age": null, "bmi": 27.5, "visits": 3})");
  s.set("psa", std::nan(""));
  s.set("dose", -INFINITY);
  NDict out = run_op("fuse.ops.nan_to_num", R"({"keys": ["age", "bmi", "visits", "psa", "dose"], "nan": 58.5, "neginf": -9})", s);
  EXPECT_EQ(out.get<double>("age"), 58.5);
  EXPECT_EQ(out.get<double>("bmi"), 27.5);
  EXPECT_EQ(out.get<int64_t>("visits"), 3);
  EXPECT_EQ(out.get<double>("psa"), 58.5);
  EXPECT_EQ(out.get<double>("dose"), -9.0);
}

}  // namespace
}  // namespace fuse::testing
