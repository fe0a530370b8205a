#include "fuse/data/fit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fuse/json/write.h"
#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using testing::write_file;
namespace bj = boost::json;

// An experiment whose data section is `data`, beside a table of 10 patients: age 10, 20, ..., 100, bmi 20..29,
// label 1 for odd rows (and `extra` appended to the header and each row, when given).
json::Document experiment(const std::filesystem::path& dir, const std::string& data, const std::string& extra_column = "",
                          const std::vector<std::string>& extra = {}) {
  std::string table = "id,age,bmi,label" + (extra_column.empty() ? "" : "," + extra_column) + "\n";
  for (int i = 0; i < 10; ++i)
    table += "p" + std::to_string(i) + "," + std::to_string(10 * (i + 1)) + "," + std::to_string(20 + i) + "," + std::to_string(i % 2) +
             (extra.empty() ? "" : "," + extra[static_cast<size_t>(i)]) + "\n";
  write_file(dir / "patients.csv", table);
  write_file(dir / "exp.json", "{\n  \"data\": " + data + "\n}\n");
  return json::Document::load(dir / "exp.json");
}

double population_std(const std::vector<double>& v) {
  double mean = 0, sum = 0;
  for (double x : v) mean += x / static_cast<double>(v.size());
  for (double x : v) sum += (x - mean) * (x - mean);
  return std::sqrt(sum / static_cast<double>(v.size()));
}

TEST(Fit, ZscoreGetsEachKeysMeanAndStdFromTheTrainingSamples) {
  const auto dir = fresh_dir("fit_keys");
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.zscore", "keys": ["data.age", "data.bmi"], "fit": true}]})"));
  const std::vector<std::string> lines = fit_data(testing::registry(), data, nullptr, 2, false);
  const Step& step = data.dataset.static_steps[0];
  ASSERT_EQ(step.repeat.size(), 2u);  // one run per key
  const double age_std = population_std({10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  EXPECT_EQ(step.repeat[0].at("keys").as_array().at(0).as_string(), "data.age");
  EXPECT_DOUBLE_EQ(step.repeat[0].at("mean").as_double(), 55.0);
  EXPECT_DOUBLE_EQ(step.repeat[0].at("std").as_double(), age_std);
  EXPECT_EQ(step.repeat[1].at("keys").as_array().at(0).as_string(), "data.bmi");
  EXPECT_DOUBLE_EQ(step.repeat[1].at("mean").as_double(), 24.5);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "fitted static pipeline step 1 (" + (dir / "exp.json").string() +
                          ":3:18): fuse.ops.zscore on 'data.age': mean 55 std 28.7228 (10 values from 10 training samples)");
  // The pipeline runs with them.
  Dataset d(testing::registry(), data.dataset);
  const NDict sample = *d.worker().get(9, -1, false);
  EXPECT_NEAR(sample.get<double>("data.age"), (100 - 55.0) / age_std, 1e-12);
  EXPECT_NEAR(sample.get<double>("data.bmi"), (29 - 24.5) / population_std({20, 21, 22, 23, 24, 25, 26, 27, 28, 29}), 1e-12);
}

TEST(Fit, OnlyTheFoldsTrainingSplitIsMeasuredAndValidationTakesTheSameNumbers) {
  const auto dir = fresh_dir("fit_folds");
  const json::Document doc = experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": true}],
      "folds": {"k": 5, "file": "folds.json"}})");
  DataConfig data = read_data_config(doc);
  std::vector<double> ages;
  for (const Sample& s : split_samples(data, "train")) ages.push_back(static_cast<double>(s.values.get<int64_t>("data.age")));
  ASSERT_EQ(ages.size(), 8u);
  std::vector<Step> validation_static = data.dataset.static_steps;
  fit_data(testing::registry(), data, nullptr, 1, false);
  const bj::object& config = data.dataset.static_steps[0].config;
  EXPECT_EQ(config.at("in_min").as_double(), *std::min_element(ages.begin(), ages.end()));
  EXPECT_EQ(config.at("in_max").as_double(), *std::max_element(ages.begin(), ages.end()));
  EXPECT_TRUE(data.dataset.static_steps[0].repeat.empty());  // one key: the values go into the config
  // Another pipeline's step written the same way takes the same values.
  copy_fits(data.dataset.static_steps, validation_static, "validation's static pipeline");
  EXPECT_EQ(validation_static[0].config.at("in_max"), config.at("in_max"));
  // The experiment's JSON gets the numbers in place of "fit".
  bj::value root = doc.root();
  write_fits(root, data.dataset.static_steps);
  EXPECT_EQ(json::to_text(root.at("data").at("static").at(0)),
            R"({"op": "fuse.ops.minmax", "keys": ["data.age"], "in_min": )" + json::to_text(config.at("in_min")) + R"(, "in_max": )" +
                json::to_text(config.at("in_max")) + "}");
}

TEST(Fit, TensorsArePooledInsideTheMaskAndMissingValuesLeftOut) {
  const auto dir = fresh_dir("fit_mask");
  std::vector<std::string> weight = {"70", "", "80", "nan", "90", "", "60", "", "50", ""};
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.stack", "keys": ["data.age", "data.bmi"], "out": "data.v"},
                 {"op": "fuse.ops.stack", "keys": ["data.label", "data.label"], "out": "data.m"},
                 {"op": "fuse.ops.zscore", "keys": ["data.v"], "fit": {"mask": "data.m"}},
                 {"op": "fuse.ops.minmax", "keys": ["data.weight"], "fit": true}]})",
                                             "weight", weight));
  const std::vector<std::string> lines = fit_data(testing::registry(), data, nullptr, 3, false);
  // Odd rows only (label 1): ages 20, 40, ..., 100 and bmis 21, 23, ..., 29, pooled.
  const std::vector<double> inside = {20, 40, 60, 80, 100, 21, 23, 25, 27, 29};
  double mean = 0;
  for (double x : inside) mean += x / 10;
  EXPECT_NEAR(data.dataset.static_steps[2].config.at("mean").as_double(), mean, 1e-12);
  EXPECT_NEAR(data.dataset.static_steps[2].config.at("std").as_double(), population_std(inside), 1e-12);
  EXPECT_EQ(data.dataset.static_steps[3].config.at("in_min").as_double(), 50.0);
  EXPECT_EQ(data.dataset.static_steps[3].config.at("in_max").as_double(), 90.0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("(5 values from 10 training samples, 5 missing or NaN left out)"), std::string::npos) << lines[1];
}

// A table's numbers inside a number or bool mask (e.g. the times of events only): label 1 rows only; a mask
// that is not a number is refused, naming it.
TEST(Fit, NumbersInsideANumberMask) {
  const auto dir = fresh_dir("fit_number_mask");
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": {"mask": "data.label"}},
                 {"op": "fuse.ops.time_bins", "key": "data.bmi", "out": "data.bin", "fit": {"mask": "data.label"}}]})"));
  const std::vector<std::string> lines = fit_data(testing::registry(), data, nullptr, 2, false);
  EXPECT_EQ(data.dataset.static_steps[0].config.at("in_min").as_double(), 20.0);
  EXPECT_EQ(data.dataset.static_steps[0].config.at("in_max").as_double(), 100.0);
  EXPECT_EQ(data.dataset.static_steps[1].config.at("max").as_double(), 29.0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("(5 values from 10 training samples)"), std::string::npos) << lines[0];
  data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": {"mask": "data.id"}}]})"));
  EXPECT_EQ(error_of([&] { fit_data(testing::registry(), data, nullptr, 1, false); }),
            "static pipeline step 1 (" + (dir / "exp.json").string() +
                ":3:18): fitting 'fuse.ops.minmax' to the training samples: sample 'p0', key 'data.age': the mask 'data.id' of a number must be a "
                "number or a bool (a table's column, e.g. its event), found \"p0\"");
}

// sklearn's SimpleImputer then StandardScaler: empty cells get the training mean, then every value is scaled.
TEST(Fit, EmptyCellsAreFilledWithTheTrainingMean) {
  const auto dir = fresh_dir("fit_impute");
  std::vector<std::string> weight = {"70", "", "80", "nan", "90", "", "60", "", "50", ""};
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.nan_to_num", "keys": ["data.weight"], "fit": true},
                 {"op": "fuse.ops.zscore", "keys": ["data.weight"], "fit": true}]})",
                                             "weight", weight));
  fit_data(testing::registry(), data, nullptr, 2, false);
  EXPECT_EQ(data.dataset.static_steps[0].config.at("nan").as_double(), 70.0);
  // The z-score is measured after the filling: five 70s join 70, 80, 90, 60, 50.
  EXPECT_DOUBLE_EQ(data.dataset.static_steps[1].config.at("mean").as_double(), 70.0);
  EXPECT_DOUBLE_EQ(data.dataset.static_steps[1].config.at("std").as_double(), population_std({70, 70, 80, 70, 90, 70, 60, 70, 50, 70}));
  Dataset d(testing::registry(), data.dataset);
  EXPECT_EQ(d.worker().get(1, -1, false)->get<double>("data.weight"), 0.0);  // filled with the mean, then centred
}

// "set" chooses the fields and their statistics: percentiles (nnU-Net's CT clipping at 0.5 and 99.5) and medians,
// interpolated linearly as numpy does; fields it leaves out keep their config.
TEST(Fit, SetChoosesPercentilesAndWhichFieldsToFit) {
  const auto dir = fresh_dir("fit_percentiles");
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": {"set": {"in_min": "p0.5", "in_max": "p99.5"}}},
                 {"op": "fuse.ops.stack", "keys": ["data.bmi", "data.label"], "out": "data.v"},
                 {"op": "fuse.ops.zscore", "keys": ["data.v"], "std": 2, "fit": {"set": {"mean": "median"}}}]})"));
  const std::vector<std::string> lines = fit_data(testing::registry(), data, nullptr, 2, false);
  EXPECT_NEAR(data.dataset.static_steps[0].config.at("in_min").as_double(), 10.45, 1e-12);  // 10 + 0.045 x 10
  EXPECT_NEAR(data.dataset.static_steps[0].config.at("in_max").as_double(), 99.55, 1e-12);
  // The median of the bmis 20..29 and the labels (five 0s, five 1s) pooled: between the 10th and 11th of 20 sorted
  // values, 1 and 20.
  EXPECT_EQ(data.dataset.static_steps[2].config.at("mean").as_double(), 10.5);
  EXPECT_EQ(data.dataset.static_steps[2].config.at("std").to_number<double>(), 2.0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(": in_min 10.45 (p0.5) in_max 99.55 (p99.5) (10 values"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(": mean 10.5 (median) (20 values"), std::string::npos) << lines[1];
}

// A large tensor keeps about 10,000 of the values it measures for percentiles (the mean uses them all); inside a
// mask, the count is of the masked values: 10,000 of them are all kept.
TEST(Fit, PercentilesOfLargeTensorsComeFromEveryKthValueMeasured) {
  DatasetSpec spec;
  std::vector<float> ramp(50000), upper(50000);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i), upper[i] = i >= 40000 ? 1.0f : 0.0f;
  Sample sample{"volume", "made here", {}};
  sample.values.set("data.x", Tensor::from_vector(ramp, {50, 1000}));
  sample.values.set("data.mask", Tensor::from_vector(upper, {50, 1000}));
  spec.samples = {sample};
  spec.static_steps = {testing::step("fuse.ops.zscore", R"({"keys": ["data.x"]})"), testing::step("fuse.ops.minmax", R"({"keys": ["data.mask"]})")};
  spec.static_steps[0].fit = StepFit{"", {{"mean", "median"}, {"std", "std"}}};
  spec.static_steps[1].fit = StepFit{"", {{"in_min", "mean"}}};  // only this field: in_max stays unset
  StepFit masked{"data.mask", {{"mean", "median"}, {"std", "mean"}}};
  spec.static_steps.push_back(testing::step("fuse.ops.zscore", R"({"keys": ["data.x"]})"));
  spec.static_steps[2].fit = masked;
  fit_static_steps(testing::registry(), spec);
  const double median = spec.static_steps[0].config.at("mean").as_double();
  EXPECT_NE(median, 24999.5);  // every 5th value: 0, 5, ..., 49995
  EXPECT_NEAR(median, 24999.5, 5.0);
  EXPECT_NEAR(spec.static_steps[0].config.at("std").as_double(), std::sqrt((50000.0 * 50000.0 - 1) / 12), 1e-6);  // of all 50,000
  EXPECT_DOUBLE_EQ(spec.static_steps[1].config.at("in_min").as_double(), 0.2);
  EXPECT_FALSE(spec.static_steps[1].config.contains("in_max"));
  // The third step measures data.x after the first changed it: (x - median) / std, inside the mask.
  const double scale = spec.static_steps[0].config.at("std").as_double();
  EXPECT_NEAR(spec.static_steps[2].config.at("mean").as_double(), (44999.5 - median) / scale, 1e-4);
}

// A [2, 2, 3] image (channel 0: 1..6, channel 1: 10..60) beside a [1, 2, 3] label map: the map applies to each
// channel, and 'channels' measures only those listed (the CT channel of a CT + PET image).
TEST(Fit, ChannelsOfATensorAndAMaskOfOneChannel) {
  DatasetSpec spec;
  Sample sample{"case", "made here", {}};
  sample.values.set("data.x", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, {2, 2, 3}));
  sample.values.set("data.seg", Tensor::from_vector<uint8_t>({0, 1, 1, 0, 0, 2}, {1, 2, 3}));
  spec.samples = {sample};
  const auto fitted = [&](const std::string& mask, const std::vector<int64_t>& channels) {
    spec.static_steps = {testing::step("fuse.ops.minmax", R"({"keys": ["data.x"]})")};
    spec.static_steps[0].fit = StepFit{mask, {{"in_min", "min"}, {"in_max", "max"}}};
    spec.static_steps[0].fit->channels = channels;
    const std::vector<std::string> lines = fit_static_steps(testing::registry(), spec);
    return std::make_pair(spec.static_steps[0].config.at("in_min").as_double(), spec.static_steps[0].config.at("in_max").as_double());
  };
  EXPECT_EQ(fitted("", {1}), std::make_pair(10.0, 60.0));
  EXPECT_EQ(fitted("data.seg", {}), std::make_pair(2.0, 60.0));  // elements 1, 2, 5 of each channel
  EXPECT_EQ(fitted("data.seg", {0}), std::make_pair(2.0, 6.0));
  EXPECT_EQ(fitted("data.seg", {1, 0}), std::make_pair(2.0, 60.0));
  spec.static_steps = {testing::step("fuse.ops.zscore", R"({"keys": ["data.x"]})")};
  spec.static_steps[0].fit = StepFit{"data.seg", {}};
  spec.static_steps[0].fit->channels = {1};
  const std::vector<std::string> lines = fit_static_steps(testing::registry(), spec);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("fuse.ops.zscore on 'data.x' channel 1: mean 36.6667 std 16.9967"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("(3 values from 1 training samples"), std::string::npos) << lines[0];
  // Refused: a channel the tensor lacks, channels of a one-axis tensor, a mask of another size.
  EXPECT_EQ(error_of([&] { fitted("", {2}); }), "static pipeline step 1: fitting 'fuse.ops.minmax' to the training samples: sample 'case', key 'data.x': "
                                                "'channels' lists channel 2, and it has 2 (shaped [2, 2, 3], the first axis the channels)");
  sample.values.set("data.x", Tensor::from_vector<float>({1, 2, 3}, {3}));
  spec.samples = {sample};
  EXPECT_EQ(error_of([&] { fitted("", {0}); }), "static pipeline step 1: fitting 'fuse.ops.minmax' to the training samples: sample 'case', key 'data.x': "
                                                "'channels' picks channels along a tensor's first axis, and its tensor is shaped [3]");
  sample.values.set("data.x", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}));
  spec.samples = {sample};
  EXPECT_EQ(error_of([&] { fitted("data.seg", {}); }), "static pipeline step 1: fitting 'fuse.ops.minmax' to the training samples: sample 'case', key "
                                                       "'data.x': the mask 'data.seg' must be a tensor of as many elements as the value (8) or as one of "
                                                       "its channels (4), found uint8[1, 2, 3]");
}

TEST(Fit, TheNumbersDoNotDependOnTheThreads) {
  const auto dir = fresh_dir("fit_threads");
  std::vector<std::string> noise;
  for (int i = 0; i < 10; ++i) noise.push_back(std::to_string(std::sin(i * 1.7) * 1e3 + 1e6));
  const json::Document doc = experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.zscore", "keys": ["data.noise"], "fit": true}]})",
                                        "noise", noise);
  std::vector<std::string> texts;
  for (size_t threads : {1, 2, 7}) {
    DataConfig data = read_data_config(doc);
    fit_data(testing::registry(), data, nullptr, threads, false);
    texts.push_back(json::to_text(data.dataset.static_steps[0].config));
  }
  EXPECT_EQ(texts[0], texts[1]);
  EXPECT_EQ(texts[0], texts[2]);
}

// Ten sites, one empty: east, north, south in sorted order.
const std::vector<std::string> kSites = {"south", "north", "east", "north", "", "south", "south", "east", "north", "south"};

TEST(Fit, CategoriesAreTheTrainingSamplesDistinctValuesSorted) {
  const auto dir = fresh_dir("fit_categories");
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.one_hot", "key": "data.site", "out": "data.site_onehot", "unknown": "zeros", "fit": true},
                 {"op": "fuse.ops.lookup", "key": "data.site", "out": "data.site_index", "default": -1, "fit": true},
                 {"op": "fuse.ops.one_hot", "key": "data.bmi", "out": "data.bmi_onehot", "fit": true}]})",
                                                  "site", kSites));
  const std::vector<std::string> lines = fit_data(testing::registry(), data, nullptr, 2, false);
  const std::vector<Step>& steps = data.dataset.static_steps;
  EXPECT_EQ(json::to_text(steps[0].config.at("categories")), R"(["east", "north", "south"])");
  EXPECT_EQ(json::to_text(steps[1].config.at("table")), R"({"east": 0, "north": 1, "south": 2})");
  EXPECT_EQ(json::to_text(steps[2].config.at("categories")), "[20, 21, 22, 23, 24, 25, 26, 27, 28, 29]");  // ints in numeric order
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "fitted static pipeline step 1 (" + (dir / "exp.json").string() +
                          R"(:3:18): fuse.ops.one_hot on 'data.site': categories ["east", "north", "south"] (9 values from 10 training samples, 1 missing left out))");
  // The pipeline encodes with them; the empty cell is all zeros ("unknown": "zeros"), and lookup's default.
  Dataset d(testing::registry(), data.dataset);
  const NDict north = *d.worker().get(1, -1, false), empty = *d.worker().get(4, -1, false);
  EXPECT_EQ(fuse::testing::values<float>(north.get<Tensor>("data.site_onehot")), (std::vector<float>{0, 1, 0}));
  EXPECT_EQ(north.get<int64_t>("data.site_index"), 1);
  EXPECT_EQ(fuse::testing::values<float>(empty.get<Tensor>("data.site_onehot")), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(empty.get<int64_t>("data.site_index"), -1);
}

TEST(Fit, CategoriesOfIntegerTensorsInsideTheMask) {
  const auto dir = fresh_dir("fit_category_tensors");
  // Per patient a tensor [label, 7]; only the first element is inside the mask [1, 0].
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.set", "key": "data.seven", "value": 7}, {"op": "fuse.ops.set", "key": "data.one", "value": 1},
                 {"op": "fuse.ops.set", "key": "data.zero", "value": 0},
                 {"op": "fuse.ops.stack", "keys": ["data.label", "data.seven"], "out": "data.pair"},
                 {"op": "fuse.ops.stack", "keys": ["data.one", "data.zero"], "out": "data.mask"},
                 {"op": "fuse.ops.cast", "keys": ["data.pair"], "dtype": "int64"},
                 {"op": "fuse.ops.one_hot", "key": "data.pair", "out": "data.all", "fit": true},
                 {"op": "fuse.ops.one_hot", "key": "data.pair", "out": "data.inside", "fit": {"mask": "data.mask"}}]})"));
  fit_data(testing::registry(), data, nullptr, 1, false);
  EXPECT_EQ(json::to_text(data.dataset.static_steps[6].config.at("categories")), "[0, 1, 7]");
  EXPECT_EQ(json::to_text(data.dataset.static_steps[7].config.at("categories")), "[0, 1]");
}

TEST(Fit, RefusalsNameTheStepAndWhatToDo) {
  const auto dir = fresh_dir("fit_errors");
  const std::string where = "static pipeline step 1 (" + (dir / "exp.json").string() + ":2:60): ";
  const auto fit_error = [&](const std::string& static_steps, const std::string& column = "", const std::vector<std::string>& values = {}) {
    return error_of([&] {
      DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"}, "static": )" + static_steps + "}", column, values));
      fit_data(testing::registry(), data, nullptr, 1, false);
    });
  };
  // (The ops that fit are those installed: ops_core's, and ops_medical's rescale where it is built.)
  const std::string no_fit = fit_error(R"([{"op": "fuse.ops.clip", "keys": ["data.age"], "min": 0, "fit": true}])");
  EXPECT_EQ(no_fit.substr(0, no_fit.find(" ops that fit: ")),
            where + "'fit': op 'fuse.ops.clip' has nothing to fit (its manifest declares no 'fit');");
  EXPECT_NE(no_fit.find("fuse.ops.lookup, fuse.ops.minmax, fuse.ops.nan_to_num, fuse.ops.one_hot, fuse.ops.time_bins, fuse.ops.zscore"), std::string::npos) << no_fit;
  EXPECT_EQ(no_fit.find("cox_survival"), std::string::npos) << no_fit;  // fitted to a trained model's outputs, not to the data
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.age"], "mean": 50, "fit": true}])"),
            where + "'fit': 'mean' is given (50) and 'fit' would set it to the training samples' mean: remove one of them");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.a*"], "fit": true}])"),
            where + "'fit': 'data.a*' is a pattern; fitted statistics are per key, so name the keys");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.agee"], "fit": true}])"),
            where + "fitting 'fuse.ops.zscore' to the training samples: sample 'p0', key 'data.agee': key 'data.agee' missing; present: data, data.id, "
                    "data.age, data.bmi, data.label, data.sample_id");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.id"], "fit": true}])"),
            where + "fitting 'fuse.ops.zscore' to the training samples: sample 'p0', key 'data.id': it holds a string; 'fit' measures numbers and tensors");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.w"], "fit": true}])", "w", std::vector<std::string>(10, "")),
            where + "fitting 'fuse.ops.zscore': no value of 'data.w' to measure in the 10 training samples (10 missing or NaN)");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.w"], "fit": true}])", "w", std::vector<std::string>(10, "inf")),
            where + "fitting 'fuse.ops.zscore' to the training samples: sample 'p0', key 'data.w': an infinite value: clip or replace it (fuse.ops.nan_to_num) "
                    "before this step");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": "yes"}])"),
            (dir / "exp.json").string() + ":2:115: 'fit' must be true, false or {\"mask\": key, \"set\": {field: statistic}} (statistics only where the "
                                          "mask is > 0; the fields to fit and how), or in postprocessing {\"from\": key} (the values data.static fitted "
                                          "for that key) or {\"time\": key, \"event\": key} (fitted after training to the model's outputs on the "
                                          "training samples)");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": {"set": {"in_min": "p101"}}}])"),
            (dir / "exp.json").string() + ":2:134: 'in_min': unknown statistic 'p101'; one of mean, std, min, max, median, pN (a percentile, e.g. p99.5), "
                "categories, or of a trained model's risk scores breslow_times and breslow_hazard");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.cox_survival", "key": "data.age", "out": "s", "survival_at": 5, "fit": true}])"),
            where + "'fit': op 'fuse.ops.cox_survival' is fitted to a trained model's outputs, not to the data: put the step in 'postprocess', marked "
                    "\"fit\": {\"time\": TIME KEY, \"event\": EVENT KEY}");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": {"channels": [0, 0]}}])"),
            (dir / "exp.json").string() + ":2:128: 'channels' lists the channels to measure (indices along the tensor's first axis), each once, e.g. [0]");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": {"channels": []}}])"),
            (dir / "exp.json").string() + ":2:128: 'channels' lists the channels to measure (indices along the tensor's first axis), each once, e.g. [0]");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": {"channels": [0]}}])"),
            where + "fitting 'fuse.ops.zscore' to the training samples: sample 'p0', key 'data.age': 'channels' picks channels of a tensor, and its value "
                    "is 10");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": {"set": {"low": "min"}}}])"),
            where + "'fit': 'set': op 'fuse.ops.minmax' cannot fit 'low'; it fits 'in_min', 'in_max'");
  // Categories.
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.minmax", "keys": ["data.age"], "fit": {"set": {"in_min": "categories"}}}])"),
            where + "'fit': 'set': 'in_min' is a double field, which cannot receive the categories (that needs an object (category -> index) or any (their "
                    "list) config field)");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.one_hot", "key": "data.w", "fit": true}])", "w", std::vector<std::string>(10, "1.5")),
            where + "fitting 'fuse.ops.one_hot' to the training samples: sample 'p0', key 'data.w': it holds a double (1.5); categories are strings, ints, "
                    "bools or the elements of an integer tensor");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.stack", "keys": ["data.age"], "out": "data.v"}, {"op": "fuse.ops.one_hot", "key": "data.v", "fit": true}])"),
            "static pipeline step 2 (" + (dir / "exp.json").string() + ":2:125): fitting 'fuse.ops.one_hot' to the training samples: sample 'p0', key 'data.v': its tensor is float32; categories are the elements of an integer tensor "
                    "(fuse.ops.cast it first)");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.lookup", "key": "data.age", "table": {"10": "ten"}, "default": 0}, {"op": "fuse.ops.one_hot", "key": "data.age", "fit": true}])"),
            "static pipeline step 2 (" + (dir / "exp.json").string() + ":2:144): fitting 'fuse.ops.one_hot' to the training samples: key 'data.age': its values are "
                    "strings (e.g. \"ten\") and ints (e.g. 0): categories must all be of one kind (fuse.ops.lookup can map them to one)");
  EXPECT_EQ(fit_error(R"([{"op": "fuse.ops.one_hot", "key": "data.w", "fit": true}])", "w", std::vector<std::string>(10, "")),
            where + "fitting 'fuse.ops.one_hot': no value of 'data.w' to measure in the 10 training samples (10 missing or NaN)");
  std::string codes = "id,code\n";
  for (int i = 0; i <= 1000; ++i) codes += "p" + std::to_string(i) + "," + std::to_string(i) + "\n";
  write_file(dir / "codes.csv", codes);
  write_file(dir / "codes.json", R"({"data": {"source": {"table": "codes.csv"}, "static": [{"op": "fuse.ops.one_hot", "key": "data.code", "fit": true}]}})");
  EXPECT_EQ(error_of([&] {
              DataConfig data = read_data_config(json::Document::load(dir / "codes.json"));
              fit_data(testing::registry(), data, nullptr, 1, false);
            }),
            "static pipeline step 1 (" + (dir / "codes.json").string() + ":1:56): fitting 'fuse.ops.one_hot' to the training samples: key 'data.code': more "
                                                                         "than 1000 distinct values, too many for categories (is it an id or a measurement?)");
  // Only static steps are fitted.
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
                  "dynamic": [{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": true}]})"));
            }),
            (dir / "exp.json").string() + ":3:86: 'fit': only static steps (data.static, validation.static, inference.steps) are fitted, once, to the training "
                                          "samples; this pipeline is not one of them");
  // A step marked "fit" runs only once fitted, and another pipeline's copy needs its twin in data.static.
  DataConfig data = read_data_config(experiment(dir, R"({"source": {"table": "patients.csv"},
      "static": [{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": true}]})"));
  EXPECT_EQ(error_of([&] { Dataset(testing::registry(), data.dataset); }),
            "static pipeline step 1 (" + (dir / "exp.json").string() + ":3:18): " + "'fuse.ops.zscore' is marked 'fit', but its statistics were not fitted to training samples: only a command that reads the experiment's "
                    "training split fits them (fuse run, data show, cache build)");
  std::vector<Step> other = data.dataset.static_steps;
  other[0].fit->signature.as_object()["mask"] = "data.label";
  fit_data(testing::registry(), data, nullptr, 1, false);
  EXPECT_EQ(error_of([&] { copy_fits(data.dataset.static_steps, other, "validation's static pipeline"); }),
            "validation's static pipeline step 1 (" + (dir / "exp.json").string() +
                ":3:18): 'fuse.ops.zscore' is marked 'fit', but data.static has no step written the same way (op, config, repeat and mask) whose values it "
                "could take: statistics come only from the training samples, through data.static");
}

// A postprocessing step takes the values data.static fitted for a key: a prediction of the standardised age
// back in years.
TEST(Fit, PostprocessingTakesTheValuesFittedForAKey) {
  const auto dir = fresh_dir("fit_from");
  experiment(dir, "{}");  // the table
  const auto load = [&](const std::string& postprocess) {
    write_file(dir / "exp.json", R"({
  "data": {"source": {"table": "patients.csv"},
           "static": [{"op": "fuse.ops.copy", "from": ["data.age"], "to": ["data.age_z"]}, {"op": "fuse.ops.zscore", "keys": ["data.age_z", "data.bmi"], "fit": true}]},
  "postprocess": )" + postprocess + "\n}\n");
    return json::Document::load(dir / "exp.json");
  };
  const json::Document doc = load(R"([{"op": "fuse.ops.zscore", "keys": ["model.pred"], "inverse": true, "fit": {"from": "data.age_z"}}])");
  DataConfig data = read_data_config(doc);
  std::vector<Step> post = read_postprocess_steps(doc, "/postprocess");
  fit_data(testing::registry(), data, nullptr, 1, false);
  copy_fits_from(data.dataset.static_steps, post, "postprocess");
  const double age_std = population_std({10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  EXPECT_DOUBLE_EQ(post[0].config.at("mean").as_double(), 55.0);
  EXPECT_DOUBLE_EQ(post[0].config.at("std").as_double(), age_std);
  Pipeline p(testing::registry(), post, "postprocess");
  NDict s = fuse::testing::sample(R"({"model": {"pred": [1.0, -0.5]}})");
  p.run(s, 0, -1, 0, false);
  const std::vector<float> years = fuse::testing::values<float>(s.get<Tensor>("model.pred"));
  ASSERT_EQ(years.size(), 2u);
  EXPECT_FLOAT_EQ(years[0], static_cast<float>(55.0 + age_std));
  EXPECT_FLOAT_EQ(years[1], static_cast<float>(55.0 - 0.5 * age_std));
  // The run's config.json gets the numbers in place of "fit".
  bj::value root = doc.root();
  write_fits(root, post);
  const bj::object& written = root.at("postprocess").at(0).as_object();
  EXPECT_FALSE(written.contains("fit"));
  EXPECT_EQ(written.at("mean").as_double(), 55.0);
  EXPECT_EQ(written.at("std").as_double(), age_std);

  // Refused: no data.static step of that op fitted on the key, a value given as well, 'from' with a mask,
  // 'from' outside postprocessing, a measured fit in postprocessing, an inverse without its statistics.
  std::vector<Step> other = read_postprocess_steps(load(R"([{"op": "fuse.ops.zscore", "keys": ["model.pred"], "inverse": true, "fit": {"from": "data.age"}}])"),
                                                   "/postprocess");
  EXPECT_EQ(error_of([&] { copy_fits_from(data.dataset.static_steps, other, "postprocess"); }),
            "postprocess step 1 (" + (dir / "exp.json").string() + ":4:19): 'fit': {\"from\": \"data.age\"}: data.static has no 'fuse.ops.zscore' step fitted "
                                                                   "on 'data.age' whose values it could take (it fits 'fuse.ops.zscore' on 'data.age_z', 'data.bmi')");
  other = read_postprocess_steps(load(R"([{"op": "fuse.ops.minmax", "keys": ["model.pred"], "fit": {"from": "data.age_z"}}])"), "/postprocess");
  EXPECT_EQ(error_of([&] { copy_fits_from(data.dataset.static_steps, other, "postprocess"); }),
            "postprocess step 1 (" + (dir / "exp.json").string() + ":4:19): 'fit': {\"from\": \"data.age_z\"}: data.static has no 'fuse.ops.minmax' step "
                                                                   "fitted on 'data.age_z' whose values it could take (it fits no 'fuse.ops.minmax' step)");
  other = read_postprocess_steps(load(R"([{"op": "fuse.ops.zscore", "keys": ["model.pred"], "inverse": true, "mean": 3, "fit": {"from": "data.age_z"}}])"),
                                 "/postprocess");
  EXPECT_EQ(error_of([&] { copy_fits_from(data.dataset.static_steps, other, "postprocess"); }),
            "postprocess step 1 (" + (dir / "exp.json").string() + ":4:19): 'mean' is given (3) and 'fit' would take the value fitted for 'data.age_z': "
                                                                   "remove one of them");
  EXPECT_EQ(error_of([&] { load(R"([{"op": "fuse.ops.zscore", "keys": ["m"], "fit": {"from": "data.age_z", "mask": "data.m"}}])"); read_postprocess_steps(
                                   json::Document::load(dir / "exp.json"), "/postprocess"); }),
            (dir / "exp.json").string() + ":4:76: 'from' takes the values fitted for that key as they are: no 'mask', 'set' or 'channels' beside it");
  EXPECT_EQ(error_of([&] { read_postprocess_steps(load(R"([{"op": "fuse.ops.zscore", "keys": ["m"], "fit": true}])"), "/postprocess"); }),
            (dir / "exp.json").string() + ":4:67: 'fit': only static steps (data.static, validation.static, inference.steps) are fitted, once, to the training "
                                          "samples; this pipeline is not one of them (a postprocessing step takes a data.static step's values with {\"from\": key}, "
                                          "or is fitted to the trained model's outputs with {\"time\": key, \"event\": key})");
  write_file(dir / "static.json", R"({"data": {"source": {"table": "patients.csv"}, "static": [{"op": "fuse.ops.zscore", "keys": ["m"], "fit": {"from": "data.age"}}]}})");
  EXPECT_EQ(error_of([&] { read_data_config(json::Document::load(dir / "static.json")); }),
            (dir / "static.json").string() + ":1:107: 'fit': 'from' takes the values data.static fitted for a key into a postprocessing step (to undo the "
                                             "target's standardisation, say); a static step measures its own ('fit': true)");
  // A fit to the trained model's outputs: postprocessing only, with both keys and nothing else.
  write_file(dir / "static.json", R"({"data": {"source": {"table": "patients.csv"}, "static": [{"op": "fuse.ops.cox_survival", "key": "m", "out": "s", "survival_at": 5, "fit": {"time": "data.time", "event": "data.event"}}]}})");
  EXPECT_EQ(error_of([&] { read_data_config(json::Document::load(dir / "static.json")); }),
            (dir / "static.json").string() + ":1:140: 'fit': 'time' and 'event' fit a postprocessing step to the trained model's outputs (a Cox model's "
                                             "baseline hazard); this pipeline runs before the model: put the step in 'postprocess'");
  EXPECT_EQ(error_of([&] { read_postprocess_steps(load(R"([{"op": "fuse.ops.cox_survival", "key": "m", "out": "s", "fit": {"time": "data.time"}}])"), "/postprocess"); }),
            (dir / "exp.json").string() + ":4:91: a fit to the trained model's predictions needs both 'time' and 'event' (the training samples' survival time "
                                          "and event keys)");
  EXPECT_EQ(error_of([&] { read_postprocess_steps(load(R"([{"op": "fuse.ops.cox_survival", "key": "m", "out": "s", "fit": {"time": "t", "event": "e", "from": "t"}}])"),
                                                  "/postprocess"); }),
            (dir / "exp.json").string() + ":4:91: 'time' and 'event' fit the step to the trained model's predictions: no 'mask', 'set', 'from' or 'channels' beside them");
  const std::vector<Step> predicted = read_postprocess_steps(load(R"([{"op": "fuse.ops.cox_survival", "key": "m", "out": "s", "fit": {"time": "t", "event": "e"}}])"),
                                                             "/postprocess");
  ASSERT_TRUE(predicted[0].fit.has_value());
  EXPECT_TRUE(predicted[0].fit->on_predictions());
  EXPECT_EQ(predicted[0].fit->event, "e");
  EXPECT_EQ(error_of([] { Pipeline(testing::registry(), {testing::step("fuse.ops.zscore", R"({"keys": ["m"], "inverse": true, "std": 2})")}, "postprocess"); }),
            "postprocess step 1: op 'fuse.ops.zscore' (plugin 'fuse.ops_core'): create failed: 'inverse' undoes a standardisation, so it needs its 'mean' and "
            "'std' (in postprocessing, \"fit\": {\"from\": KEY} takes those data.static fitted for KEY)");
}

}  // namespace
}  // namespace fuse::data
