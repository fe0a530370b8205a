#include "fuse/train/cross_validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json/parse.hpp>

#include "fuse/train/inference.h"
#include "fuse/train/run_results.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

namespace bj = boost::json;
using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;

using testing::write_folds_toy;

bj::object read_json(const std::filesystem::path& file) { return bj::parse(read_text(file)).as_object(); }

// The ids of a run's predictions.csv.
std::vector<std::string> predicted_ids(const std::filesystem::path& run) {
  std::istringstream in(read_text(run / "predictions.csv"));
  std::vector<std::string> ids;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) ids.push_back(line.substr(0, line.find(',')));
  return ids;
}

TEST(CrossValidation, EveryFoldValidatedOnceThenSummarizedAndEvaluatedTogether) {
  const auto dir = fresh_dir("cv_all");
  const Experiment e = read_experiment(write_folds_toy(dir));
  std::vector<int> started;
  CrossValidationOptions options;
  options.on_fold_start = [&](int fold, int k) {
    EXPECT_EQ(k, 3);
    started.push_back(fold);
  };
  const CrossValidationResult r = cross_validate(built_plugins(), e, dir / "cv", options);
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(r.finished.size(), 3u);
  EXPECT_TRUE(r.missing.empty());
  // Each sample is validated by exactly one fold.
  std::set<std::string> validated;
  size_t rows = 0;
  for (const FoldRun& f : r.finished) {
    EXPECT_EQ(f.dir, dir / "cv" / ("fold_" + std::to_string(f.fold)));
    const bj::value folds = bj::parse(read_text(f.dir / "config.json")).at("data").at("folds");
    EXPECT_EQ(folds.at("validation"), bj::array{f.fold});
    EXPECT_EQ(folds.at("train").as_array().size(), 2u);
    const std::vector<std::string> ids = predicted_ids(f.dir);
    rows += ids.size();
    validated.insert(ids.begin(), ids.end());
  }
  EXPECT_EQ(rows, 64u);
  EXPECT_EQ(validated.size(), 64u);
  // The summary: each fold's best AUC (its results.json), their mean and standard deviation (n - 1).
  const bj::object summary = read_json(dir / "cv" / "cross_validation.json");
  EXPECT_EQ(summary.at("k"), 3);
  std::vector<double> aucs;
  for (int f = 0; f < 3; ++f) {
    const double auc = read_json(dir / "cv" / ("fold_" + std::to_string(f)) / "results.json").at("validation").at("auc").to_number<double>();
    EXPECT_EQ(summary.at("folds").at(f).at("validation").at("auc").to_number<double>(), auc);
    aucs.push_back(auc);
  }
  const double mean = (aucs[0] + aucs[1] + aucs[2]) / 3;
  const double sd = std::sqrt(((aucs[0] - mean) * (aucs[0] - mean) + (aucs[1] - mean) * (aucs[1] - mean) + (aucs[2] - mean) * (aucs[2] - mean)) / 2);
  EXPECT_NEAR(summary.at("mean").at("auc").to_number<double>(), mean, 1e-12);
  EXPECT_NEAR(summary.at("std").at("auc").to_number<double>(), sd, 1e-12);
  EXPECT_NEAR(r.mean.at("auc").to_number<double>(), mean, 1e-12);
  // The out-of-fold predictions: all 64 rows evaluated together, and per fold.
  ASSERT_TRUE(r.evaluated);
  const bj::object evaluation = read_json(dir / "cv" / "evaluation.json");
  EXPECT_EQ(evaluation.at("folds").at("aggregated").at("folds"), 3);
  for (int f = 0; f < 3; ++f)
    EXPECT_NEAR(evaluation.at("folds").at("fold_" + std::to_string(f)).at("metrics").at("auc").at("value").to_number<double>(), aucs[f], 1e-9) << f;
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "report.html"));
  // A fold trained alone with the same folds chosen by hand gives the same run.
  const auto alone = fresh_dir("cv_alone");
  std::filesystem::copy_file(dir / "folds.json", alone / "folds.json");
  Trainer t(built_plugins(), read_experiment(write_folds_toy(alone, R"("folds": {"k": 3, "file": "folds.json", "train": [0, 2], "validation": [1]}, )")),
            alone / "run");
  EXPECT_EQ(t.fit(false).best_value, r.finished[1].result.best_value);
  // show-results on a fold's run shows that fold's samples.
  RunResults results(built_plugins(), dir / "experiment.json", dir / "cv" / "fold_2");
  const std::vector<std::string> fold2 = predicted_ids(dir / "cv" / "fold_2");
  ASSERT_EQ(results.size(), fold2.size());
  for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results.id(i), fold2[i]);
}

TEST(CrossValidation, FoldsTrainedInSeparateCallsAndResumed) {
  const auto dir = fresh_dir("cv_parts");
  const Experiment e = read_experiment(write_folds_toy(dir));
  CrossValidationOptions first;
  first.folds = {2};
  const CrossValidationResult part = cross_validate(built_plugins(), e, dir / "cv", first);
  ASSERT_EQ(part.finished.size(), 1u);
  EXPECT_EQ(part.finished[0].fold, 2);
  EXPECT_EQ(part.missing, (std::vector<int>{0, 1}));
  EXPECT_FALSE(std::filesystem::exists(dir / "cv" / "cross_validation.json"));  // not before every fold has run
  EXPECT_EQ(error_of([&] { export_bundles(built_plugins(), dir / "cv", dir / "bundles", "best"); }),
            "'" + (dir / "cv").string() + "' is a cross-validation that has not finished (no cross_validation.json): finish it (`fuse run EXPERIMENT " +
                "--cross-validate --out " + (dir / "cv").string() + "` resumes it), or use one fold's run ('" + (dir / "cv" / "fold_2").string() + "')");
  CrossValidationOptions rest;
  rest.folds = {0, 1};
  const CrossValidationResult whole = cross_validate(built_plugins(), e, dir / "cv", rest);
  EXPECT_TRUE(whole.missing.empty());
  ASSERT_EQ(whole.finished.size(), 3u);
  EXPECT_EQ(whole.finished[2].result.best_value, part.finished[0].result.best_value);  // read back from its results.json
  EXPECT_TRUE(std::filesystem::exists(dir / "cv" / "cross_validation.json"));
  // One bundle per fold, which a Predictor given their folder takes as an ensemble.
  EXPECT_EQ(export_bundles(built_plugins(), dir / "cv", dir / "bundles", "best"),
            (std::vector<std::filesystem::path>{dir / "bundles" / "fold_0", dir / "bundles" / "fold_1", dir / "bundles" / "fold_2"}));
  Predictor ensemble(built_plugins(), {dir / "bundles"});
  NDict input;
  input.set("data.x1", 1.5);
  input.set("data.x2", 1.0);
  const NDict out = ensemble.predict(input);
  EXPECT_TRUE(out.has("model.probs_m2"));
  EXPECT_FALSE(out.has("model.probs_m3"));
  EXPECT_EQ(error_of([&] { Predictor(built_plugins(), {dir / "cv"}); }),
            "'" + (dir / "cv").string() + "' is a cross-validation folder, not bundles: make one bundle per fold with `fuse export " + (dir / "cv").string() +
                " --out BUNDLES`, then predict with BUNDLES");
  EXPECT_EQ(error_of([&] { export_bundles(built_plugins(), dir, dir / "bundles", "best"); }),
            "'" + dir.string() + "' is not a run folder (no config.json) nor a cross-validation's (no cross_validation.json)");
  // Again without resume: a fold's folder already holds its run.
  EXPECT_EQ(error_of([&] { cross_validate(built_plugins(), e, dir / "cv"); }).rfind("run folder '" + (dir / "cv" / "fold_0").string() + "' already holds a run", 0), 0u);
  // With resume: nothing left to train, the same summary.
  CrossValidationOptions resume;
  resume.resume = true;
  resume.on_fold_start = [](int fold, int) { ADD_FAILURE() << "fold " << fold << " trained again"; };
  const CrossValidationResult again = cross_validate(built_plugins(), e, dir / "cv", resume);
  EXPECT_EQ(again.mean, whole.mean);
}

TEST(CrossValidation, AFolderOfBundlesGivesThemInTheOrderOfTheirNumbers) {
  const auto dir = fresh_dir("cv_bundle_order");
  for (const char* name : {"fold_10", "fold_2", "fold_9", "notes"}) {
    std::filesystem::create_directories(dir / "bundles" / name);
    if (std::string(name) != "notes") std::ofstream(dir / "bundles" / name / "bundle.json") << "{}";
  }
  std::filesystem::create_directories(dir / "one");
  std::ofstream(dir / "one" / "bundle.json") << "{}";
  EXPECT_EQ(expand_bundle_folders({dir / "one", dir / "bundles", dir / "missing"}),
            (std::vector<std::filesystem::path>{dir / "one", dir / "bundles" / "fold_2", dir / "bundles" / "fold_9", dir / "bundles" / "fold_10",
                                                dir / "missing"}));
}

TEST(CrossValidation, NeedsFoldsToValidateOn) {
  const auto dir = fresh_dir("cv_bad");
  const auto file = testing::write_toy(dir);  // a validation table of its own, no folds
  EXPECT_EQ(error_of([&] { cross_validate(built_plugins(), read_experiment(file), dir / "cv"); }),
            file.string() + ": cross-validation validates on each fold of data.folds in turn, and the data has none: add \"folds\": {\"k\": 5, \"file\": "
                            "\"folds.json\"} to the data section");
  std::string json = read_text(file);
  json.insert(json.find(R"("loader")"), R"("folds": {"k": 3, "file": "folds.json"}, )");
  std::ofstream(dir / "with_source.json") << json;
  EXPECT_EQ(error_of([&] { cross_validate(built_plugins(), read_experiment(dir / "with_source.json"), dir / "cv"); }),
            (dir / "with_source.json").string() + ": cross-validation validates on each fold of data.folds in turn, and the validation section has a "
                                                  "source of its own: remove validation.source, or train once with fuse run");
  CrossValidationOptions options;
  options.folds = {3};
  EXPECT_EQ(error_of([&] { cross_validate(built_plugins(), read_experiment(write_folds_toy(fresh_dir("cv_bad_fold"))), dir / "cv", options); }),
            "fold 3 is not one of the experiment's 3 folds (0 to 2)");
}

}  // namespace
}  // namespace fuse::train
