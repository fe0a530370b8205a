#include "fuse/train/out_of_fold.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuse/train/batch_inference.h"
#include "fuse/train/cross_validation.h"
#include "fuse/train/inference.h"
#include "fuse/train/inference_inputs.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::csv_rows;
using fuse::testing::read_text;

// The toy cross-validated on 3 folds and exported once for every test here.
fs::path cross_validated() {
  static fuse::testing::SharedSetUp<fs::path> dir([] {
    const fs::path d = fresh_dir("out_of_fold");
    cross_validate(built_plugins(), read_experiment(testing::write_folds_toy(d)), d / "cv");
    export_bundles(built_plugins(), d / "cv", d / "bundles", "best");
    return d;
  });
  return dir.get();
}

std::vector<fs::path> fold_bundles() {
  return {cross_validated() / "bundles" / "fold_0", cross_validated() / "bundles" / "fold_1", cross_validated() / "bundles" / "fold_2"};
}

// A run records the cases that validated it; its bundle carries them.
TEST(OutOfFold, ABundleCarriesTheCasesThatValidatedItsRun) {
  for (int f = 0; f < 3; ++f) {
    const fs::path run = cross_validated() / "cv" / ("fold_" + std::to_string(f));
    std::vector<std::string> validated;
    for (const auto& row : csv_rows(run / "predictions.csv")) validated.push_back(row.at("id"));
    ASSERT_FALSE(validated.empty());
    const bj::value results = bj::parse(read_text(run / "results.json"));
    std::vector<std::string> recorded;
    for (const bj::value& id : results.at("validation_cases").as_array()) recorded.emplace_back(id.as_string());
    EXPECT_EQ(recorded, validated) << f;
    EXPECT_EQ(bundle_validation_cases(fold_bundles()[static_cast<size_t>(f)]), validated) << f;
  }
}

// Every training case goes to the fold that validated it, and its prediction is that fold's model's: what the
// fold's run predicted for it at its best epoch.
TEST(OutOfFold, EachCaseIsPredictedByTheFoldThatValidatedIt) {
  const std::vector<fs::path> bundles = fold_bundles();
  std::vector<std::unique_ptr<Predictor>> predictors;
  PredictorChoice choice;
  for (const fs::path& b : bundles) {
    predictors.push_back(std::make_unique<Predictor>(built_plugins(), std::vector<fs::path>{b}));
    choice.predictors.push_back(predictors.back().get());
    choice.names.push_back(b.filename().string());
  }
  InferenceInputs in;
  in.table = cross_validated() / "train.csv";
  std::vector<data::Sample> samples = read_inference_inputs(in, predictors.front()->experiment());
  ASSERT_EQ(samples.size(), 64u);
  const std::vector<size_t> which = out_of_fold_bundles(bundles, samples);
  std::map<std::string, std::string> fold_of, score_of;  // by id, from each fold's run
  for (int f = 0; f < 3; ++f)
    for (const auto& row : csv_rows(cross_validated() / "cv" / ("fold_" + std::to_string(f)) / "predictions.csv")) {
      fold_of[row.at("id")] = "fold_" + std::to_string(f);
      score_of[row.at("id")] = row.at("model.score");
    }
  for (size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(choice.names[which[i]], fold_of.at(samples[i].id)) << samples[i].id;
  // Each fold's inputs together, as `fuse infer --out-of-fold` orders them; batches of 5 never mix two folds.
  std::vector<data::Sample> ordered;
  for (size_t b = 0; b < bundles.size(); ++b)
    for (size_t i = 0; i < samples.size(); ++i)
      if (which[i] == b) ordered.push_back(samples[i]), choice.which.push_back(b);
  BatchInferenceOptions options;
  options.out = cross_validated() / "oof";
  options.batch = 5;
  const BatchInferenceResult r = predict_all(built_plugins(), choice, ordered, options);
  EXPECT_EQ(r.predicted, 64u);
  ASSERT_GE(r.columns.size(), 2u);
  EXPECT_EQ(r.columns[1], "model");
  const auto rows = csv_rows(options.out / "predictions.csv");
  ASSERT_EQ(rows.size(), 64u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.at("model"), fold_of.at(row.at("id"))) << row.at("id");
    EXPECT_NEAR(std::stod(row.at("model.score")), std::stod(score_of.at(row.at("id"))), 1e-6) << row.at("id");
  }
  // Evaluated together: the out-of-fold AUC the cross-validation reported.
  ASSERT_TRUE(r.evaluated) << r.not_evaluated;
  const bj::value ours = bj::parse(read_text(options.out / "evaluation.json"));
  const bj::value cv = bj::parse(read_text(cross_validated() / "cv" / "evaluation.json"));
  EXPECT_NEAR(ours.at("metrics").at("auc").at("value").to_number<double>(),
              cv.at("metrics").at("auc").at("value").to_number<double>(), 1e-6);
}

TEST(OutOfFold, BadBundlesAndInputsAreNamed) {
  const std::vector<fs::path> bundles = fold_bundles();
  Predictor predictor(built_plugins(), {bundles[0]});
  InferenceInputs in;
  in.table = cross_validated() / "train.csv";
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  EXPECT_EQ(error_of([&] { out_of_fold_bundles({bundles[0]}, samples); }),
            "--out-of-fold predicts each case with the fold that validated it, and takes a cross-validation's bundles (fuse export RUNS --out BUNDLES "
            "of a `fuse run --cross-validate` folder); got one bundle, '" + bundles[0].string() + "'");
  EXPECT_EQ(error_of([&] { out_of_fold_bundles({bundles[0], bundles[0]}, samples); }),
            "case '" + bundle_validation_cases(bundles[0]).front() + "' validated both '" + bundles[0].string() + "' and '" + bundles[0].string() +
                "': --out-of-fold takes bundles validated on distinct cases (the folds of one cross-validation)");
  // A bundle whose bundle.json has no validation cases (exported by an older fuse).
  const fs::path old = cross_validated() / "old_bundle";
  fs::remove_all(old);
  fs::copy(bundles[1], old, fs::copy_options::recursive);
  bj::object b = bj::parse(read_text(old / "bundle.json")).as_object();
  b.erase("validation_cases");
  std::ofstream(old / "bundle.json") << bj::serialize(b);
  EXPECT_EQ(error_of([&] { out_of_fold_bundles({bundles[0], old}, samples); }),
            "bundle '" + old.string() + "' records no validation cases (its run had none, had not finished, or was trained by an older fuse): "
                                        "--out-of-fold cannot tell which cases it did not train on; export a finished fold again, or predict without --out-of-fold");
  // Cases no fold validated: the toy's validation table, and the training table with two folds only.
  InferenceInputs other;
  other.table = cross_validated() / "validation.csv";
  EXPECT_EQ(error_of([&] { out_of_fold_bundles(bundles, read_inference_inputs(other, predictor.experiment())); }),
            "32 of 32 inputs are no bundle's validation case ('s1000', 's1001', 's1002', ...): each fold trained on them or never saw them; predict the "
            "cross-validation's own cases (its training table), or these without --out-of-fold");
  const std::vector<std::string> third = bundle_validation_cases(bundles[2]);
  const std::string message = error_of([&] { out_of_fold_bundles({bundles[0], bundles[1]}, samples); });
  EXPECT_EQ(message.rfind(std::to_string(third.size()) + " of 64 inputs are no bundle's validation case ('" + third[0] + "', ", 0), 0u) << message;
}

}  // namespace
}  // namespace fuse::train
