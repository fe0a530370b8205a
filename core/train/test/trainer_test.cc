#include "fuse/train/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <fstream>
#include <functional>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuse/train/checkpoint.h"
#include "fuse/train/class_weights.h"
#include "fuse/train/inference.h"
#include "fuse/train/optimizer.h"
#include "test_support.h"
#include "segmentation_toy.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;
using testing::log_without_seconds;

boost::json::object results(const std::filesystem::path& run) { return boost::json::parse(read_text(run / "results.json")).as_object(); }

std::vector<std::string> split_text(const std::string& line) {
  std::vector<std::string> cells;
  std::istringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  return cells;
}

RunResult fit(const std::filesystem::path& experiment, const std::filesystem::path& run, bool resume = false, int64_t stop_after = 0) {
  Experiment e = read_experiment(experiment);
  e.trainer.stop_after = stop_after;
  Trainer t(built_plugins(), e, run);
  return t.fit(resume);
}

TEST(Trainer, LearnsTheToyTaskAndWritesTheRunFolder) {
  const auto dir = fresh_dir("trainer_fit");
  const RunResult r = fit(testing::write_toy(dir), dir / "run");
  EXPECT_GE(r.best_value, 0.95);
  EXPECT_EQ(r.epochs_run, 6);
  const boost::json::object res = results(dir / "run");
  EXPECT_EQ(res.at("best_epoch").as_int64(), r.best_epoch + 1);
  EXPECT_GE(res.at("validation").at("auc").as_double(), 0.95);
  for (const char* f : {"config.json", "log.csv", "checkpoints/last.ckpt", "checkpoints/best.ckpt", "results.json"})
    EXPECT_TRUE(std::filesystem::exists(dir / "run" / f)) << f;
  std::istringstream log(read_text(dir / "run" / "log.csv"));
  std::string header, line;
  std::getline(log, header);
  EXPECT_EQ(header, "epoch,lr,train.loss,train.auc,validation.loss,validation.auc,seconds");
  int rows = 0;
  while (std::getline(log, line)) ++rows;
  EXPECT_EQ(rows, 6);
  // A second fresh run into the same folder is refused.
  EXPECT_EQ(error_of([&] { fit(dir / "experiment.json", dir / "run"); }),
            "run folder '" + (dir / "run").string() + "' already holds a run (checkpoints/last.ckpt); continue it with --resume, or choose another --out");
}

TEST(Trainer, AResumedRunEndsAsAnUninterruptedOne) {
  const auto dir = fresh_dir("trainer_resume");
  const auto experiment = testing::write_toy(dir);
  fit(experiment, dir / "whole");
  const RunResult first = fit(experiment, dir / "parts", false, 2);
  EXPECT_TRUE(first.interrupted);
  EXPECT_FALSE(std::filesystem::exists(dir / "parts" / "results.json"));
  fit(experiment, dir / "parts", true);
  // Every logged value but the time per epoch is the same.
  EXPECT_EQ(log_without_seconds(dir / "parts"), log_without_seconds(dir / "whole"));
  const boost::json::object a = results(dir / "whole"), b = results(dir / "parts");
  EXPECT_EQ(a.at("best_epoch"), b.at("best_epoch"));
  EXPECT_EQ(a.at("validation"), b.at("validation"));
  EXPECT_EQ(a.at("train"), b.at("train"));
}

// A weight average (trainer.ema) changes what is validated, checkpointed and exported, not what trains: the
// training losses and trained weights are those of a run without it, the validation differs, best.ckpt holds
// the average with the trained weights beside it, and a resumed run ends as an uninterrupted one.
TEST(Trainer, AWeightAverageIsValidatedAndExportedNotTrained) {
  const auto dir = fresh_dir("trainer_ema");
  const std::string trainer = R"({"epochs": 4, "monitor": "validation.auc", "mode": "max", "threads": 1, "progress": false)";
  const auto plain = testing::write_toy(dir, testing::toy_json("", "", trainer + "}"));
  fit(plain, dir / "plain");
  const auto averaged = testing::write_toy(dir, testing::toy_json("", "", trainer + R"(, "ema": 0.9})"));
  fit(averaged, dir / "ema");
  const auto column = [](const std::filesystem::path& run, const std::string& name) {
    std::istringstream log(read_text(run / "log.csv"));
    std::string line;
    std::getline(log, line);
    const std::vector<std::string> header = split_text(line);
    const size_t at = static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    std::vector<std::string> out;
    while (std::getline(log, line)) out.push_back(split_text(line).at(at));
    return out;
  };
  ASSERT_EQ(column(dir / "plain", "train.loss").size(), 4u);
  EXPECT_EQ(column(dir / "ema", "train.loss"), column(dir / "plain", "train.loss"));
  EXPECT_NE(column(dir / "ema", "validation.loss"), column(dir / "plain", "validation.loss"));
  const Checkpoint with = read_checkpoint(dir / "ema" / "checkpoints" / "last.ckpt"), without = read_checkpoint(dir / "plain" / "checkpoints" / "last.ckpt");
  EXPECT_TRUE(without.trained_model.empty());
  EXPECT_EQ(with.trained_model, without.model);  // the trained weights, untouched
  EXPECT_NE(with.model, without.model);          // the average
  EXPECT_FALSE(read_checkpoint(dir / "ema" / "checkpoints" / "best.ckpt").trained_model.empty());
  // Resumed after 2 epochs: the average continues from the checkpoint's.
  EXPECT_TRUE(fit(averaged, dir / "parts", false, 2).interrupted);
  fit(averaged, dir / "parts", true);
  EXPECT_EQ(log_without_seconds(dir / "parts"), log_without_seconds(dir / "ema"));
  // The bundle holds the average, as validated.
  export_bundle(built_plugins(), dir / "ema", dir / "bundle", "best");
  const Checkpoint best = read_checkpoint(dir / "ema" / "checkpoints" / "best.ckpt");
  EXPECT_EQ(read_text(dir / "bundle" / "model" / "net.state"), best.model.at("net"));
  EXPECT_NE(best.model.at("net"), best.trained_model.at("net"));
}

TEST(Trainer, AWeightAverageOutsideZeroToOneIsRefused) {
  const auto dir = fresh_dir("trainer_ema_errors");
  for (const char* value : {"1", "1.5"}) {
    const auto file = testing::write_toy(dir, testing::toy_json("", "", std::string(R"({"epochs": 1, "ema": )") + value + "}"));
    EXPECT_EQ(error_of([&] { read_experiment(file); }),
              file.string() + ":20:35: 'ema' must be below 1 (the share of the average kept at each step: 0.999 is usual, 0 turns the average off), got " +
                  value);
  }
  const auto negative = testing::write_toy(dir, testing::toy_json("", "", R"({"epochs": 1, "ema": -0.5})"));
  EXPECT_EQ(error_of([&] { read_experiment(negative); }), negative.string() + ":20:35: 'ema' must be >= 0, got -0.5");
}

// The trainer sets the one-cycle momentum at each step: a cycle held at 0.9 is Adam's fixed 0.9 to the last
// digit, and fastai's 0.95 -> 0.85 -> 0.95 trains otherwise.
TEST(Trainer, OneCycleSetsTheMomentumOfEachStep) {
  const auto dir = fresh_dir("trainer_one_cycle");
  const auto run = [&](const std::string& schedule, const std::string& name) {
    std::string json = testing::toy_json();
    json.replace(json.find(R"({"name": "cosine"})"), 18, schedule);
    fit(testing::write_toy(dir, json), dir / name);
    return log_without_seconds(dir / name);
  };
  const std::string fixed = run(R"({"name": "one_cycle", "cycle_momentum": false})", "fixed");
  EXPECT_EQ(run(R"({"name": "one_cycle", "momentum": [0.9, 0.9]})", "held"), fixed);
  EXPECT_NE(run(R"({"name": "one_cycle"})", "cycled"), fixed);
}

TEST(Trainer, ACheckpointOfAnotherModelIsRefused) {
  const auto dir = fresh_dir("trainer_other");
  fit(testing::write_toy(dir), dir / "run", false, 1);
  testing::write_toy(dir, testing::toy_json(R"({"model": "fuse.models.mlp", "in_features": 2, "hidden": [16], "out_features": 2,
                "inputs": ["data.features"], "outputs": ["model.logits", "model.probs"]})"));
  EXPECT_EQ(error_of([&] { fit(dir / "experiment.json", dir / "run", true); }),
            "--resume: '" + (dir / "run").string() + "' was started with another experiment than '" + (dir / "experiment.json").string() +
                "' gives: model.hidden.0 is 16 there and 8 in the run's config.json; resume with the experiment file it was started from, or start a new "
                "run (another --out)");
  // Without the run's config.json to compare with, the checkpoint's loading refuses the other model.
  std::filesystem::remove(dir / "run" / "config.json");
  EXPECT_EQ(error_of([&] { fit(dir / "experiment.json", dir / "run", true); }),
            "component 'net': model 'fuse.models.mlp' (plugin 'fuse.models_torch'): the state is of another model: different shape or type: "
            "layers.0.weight [16, 2] vs [8, 2], layers.0.bias [16] vs [8], layers.2.weight [2, 16] vs [2, 8];");
}

// A run resumes with the experiment it started with: another seed or optimiser is refused, naming the
// difference; more epochs are what resuming is for.
TEST(Trainer, AResumeWithAnotherExperimentIsRefused) {
  const auto dir = fresh_dir("trainer_resume_other");
  const auto experiment = testing::write_toy(dir);
  fit(experiment, dir / "run", false, 1);
  std::string json = testing::toy_json();
  const std::string seed = "\"seed\": 3";
  ASSERT_NE(json.find(seed), std::string::npos) << json;
  json.replace(json.find(seed), seed.size(), "\"seed\": 4");
  const auto reseeded = testing::write_toy(dir, json);
  EXPECT_EQ(error_of([&] { fit(reseeded, dir / "run", true); }),
            "--resume: '" + (dir / "run").string() + "' was started with another experiment than '" + reseeded.string() +
                "' gives: seed is 4 there and 3 in the run's config.json; resume with the experiment file it was started from, or "
                "start a new run (another --out)");
  testing::write_toy(dir);
  EXPECT_FALSE(fit(experiment, dir / "run", true).interrupted);
}

TEST(Trainer, ANanLossStopsNamingTheStepAndSamples) {
  const auto dir = fresh_dir("trainer_nan");
  testing::write_toy(dir, testing::toy_json(), true);
  const std::string message = error_of([&] { fit(dir / "experiment.json", dir / "run"); });
  EXPECT_EQ(message.rfind("the loss is nan (ce = nan) at epoch 1, step ", 0), 0u) << message;
  EXPECT_NE(message.find("s5"), std::string::npos) << message;  // the sample with the NaN feature
  EXPECT_NE(message.find("set trainer.on_nan to \"skip\""), std::string::npos) << message;
  testing::write_toy(dir, testing::toy_json("", "", R"({"epochs": 2, "on_nan": "skip", "threads": 1, "progress": false})"), true);
  fit(dir / "experiment.json", dir / "skipping");
  EXPECT_EQ(results(dir / "skipping").at("skipped_batches").as_int64(), 2);  // the batch holding s5, once per epoch
}

TEST(Trainer, SamAccumulationWarmUpAndPreprocessingTrainToo) {
  const auto dir = fresh_dir("trainer_variants");
  // A loss behind a preprocessing step and a warm-up, with accumulation and clipping; then SAM.
  testing::write_toy(dir, testing::toy_json("", R"({"ce": {"loss": "fuse.losses.cross_entropy", "pred": "model.logits", "target": "data.label",
                                                            "warmup_steps": 3, "pre": [{"op": "fuse.ops.copy", "from": ["data.label"], "to": ["data.label_copy"]}]}})",
                                            R"({"epochs": 6, "monitor": "validation.auc", "mode": "max", "accumulate": 2, "grad_clip": 1.0, "threads": 1,
                                                "progress": false})"));
  EXPECT_GE(fit(dir / "experiment.json", dir / "acc").best_value, 0.95);
  std::string sam = read_text(dir / "experiment.json");
  sam.replace(sam.find(R"("name": "adam")"), 14, R"("name": "sgd", "sam_rho": 0.05)");
  sam.replace(sam.find(R"("accumulate": 2, )"), 17, "");
  std::ofstream(dir / "experiment.json") << sam;
  EXPECT_GE(fit(dir / "experiment.json", dir / "sam").best_value, 0.9);
}

// A z-score marked "fit" gets each feature's mean and std from the training table alone; config.json holds the
// numbers in place of "fit", and a bundle's inference steps (written like data.static's) take them, so a
// bundle scores a validation row exactly as validation did.
// The first row of a run's predictions.csv: its value in `column`, and that validation row's two features
// (validation.csv) as a sample to predict.
std::pair<double, NDict> first_prediction(const std::filesystem::path& dir, const std::string& column) {
  std::istringstream predictions(read_text(dir / "run" / "predictions.csv"));
  std::string line;
  std::getline(predictions, line);
  const std::vector<std::string> columns = split_text(line);
  const size_t at = static_cast<size_t>(std::find(columns.begin(), columns.end(), column) - columns.begin());
  if (at >= columns.size()) throw std::runtime_error("no column " + column + " in " + line);
  std::getline(predictions, line);
  const std::vector<std::string> first = split_text(line);
  std::istringstream validation(read_text(dir / "validation.csv"));
  std::getline(validation, line);
  std::vector<std::string> row;
  while (std::getline(validation, line) && (row = split_text(line))[0] != first[0]) {
  }
  if (row.empty() || row[0] != first[0]) throw std::runtime_error("no validation row " + first[0]);
  NDict sample;
  sample.set("data.x1", Value(std::stod(row[1])));
  sample.set("data.x2", Value(std::stod(row[2])));
  return {std::stod(first[at]), sample};
}

TEST(Trainer, FittedStatisticsComeFromTheTrainingSplitAndTravelToTheBundle) {
  const auto dir = fresh_dir("trainer_fit_statistics");
  const std::string steps = R"([
      {"op": "fuse.ops.zscore", "keys": ["data.x1", "data.x2"], "fit": true},
      {"op": "fuse.ops.to_tensor", "keys": ["data.x1", "data.x2"], "dtype": "float32"},
      {"op": "fuse.ops.stack", "keys": ["data.x1", "data.x2"], "out": "data.features"}])";
  std::string json = testing::toy_json("", "", "", std::string(R"(,
  "inference": {"steps": )") + steps + R"(},
  "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}, "ci": {"rounds": 10, "seed": 1}})");
  const std::string plain = R"("static": [
      {"op": "fuse.ops.to_tensor", "keys": ["data.x1", "data.x2"], "dtype": "float32"},
      {"op": "fuse.ops.stack", "keys": ["data.x1", "data.x2"], "out": "data.features"}
    ])";
  ASSERT_NE(json.find(plain), std::string::npos);
  json.replace(json.find(plain), plain.size(), "\"static\": " + steps);
  const std::filesystem::path experiment = testing::write_toy(dir, json);
  fit(experiment, dir / "run");

  // The training table's means and population standard deviations, from the file itself.
  std::vector<double> sum(2), square(2);
  double rows = 0;
  std::istringstream table(read_text(dir / "train.csv"));
  std::string line;
  std::getline(table, line);
  while (std::getline(table, line)) {
    std::istringstream cells(line);
    std::string id, x1, x2;
    std::getline(cells, id, ',');
    std::getline(cells, x1, ',');
    std::getline(cells, x2, ',');
    const double x[2] = {std::stod(x1), std::stod(x2)};
    for (int k = 0; k < 2; ++k) sum[k] += x[k], square[k] += x[k] * x[k];
    ++rows;
  }
  const boost::json::object config = boost::json::parse(read_text(dir / "run" / "config.json")).as_object();
  const boost::json::object& step = config.at("data").at("static").at(0).as_object();
  EXPECT_FALSE(step.contains("fit"));
  const boost::json::array& repeat = step.at("repeat").as_array();
  ASSERT_EQ(repeat.size(), 2u);
  for (int k = 0; k < 2; ++k) {
    const double mean = sum[k] / rows, sd = std::sqrt(square[k] / rows - mean * mean);
    EXPECT_EQ(repeat[k].at("keys").at(0).as_string(), k == 0 ? "data.x1" : "data.x2");
    EXPECT_NEAR(repeat[k].at("mean").as_double(), mean, 1e-12);
    EXPECT_NEAR(repeat[k].at("std").as_double(), sd, 1e-9);
  }
  EXPECT_EQ(config.at("inference").at("steps").at(0), step);

  export_bundle(built_plugins(), dir / "run", dir / "bundle", "best");
  Predictor predictor(built_plugins(), {dir / "bundle"});
  // The first validation row, as the bundle predicts it.
  const auto [score, sample] = first_prediction(dir, "model.score");
  const NDict out = predictor.predict(sample);
  const Value& predicted = out.at("model.score");
  const double value = predicted.is<Tensor>() ? static_cast<double>(predicted.as<Tensor>().data<float>()[0]) : predicted.as_number();
  EXPECT_NEAR(value, score, 1e-6);
  // Steps appended to the inference's postprocess (what fuse choose-postprocess chose) follow the experiment's,
  // and their plugin is among the bundle's.
  const boost::json::array extra = boost::json::parse(R"([{"op": "fuse.medical.keep_components", "keys": ["model.seg"]}])").as_array();
  export_bundle(built_plugins(), dir / "run", dir / "bundle_pp", "best", extra);
  const boost::json::object bundle = boost::json::parse(read_text(dir / "bundle_pp" / "bundle.json")).as_object();
  const boost::json::object& inference = config.at("inference").as_object();
  const boost::json::object& own = inference.contains("postprocess") ? inference : config;  // else the experiment's
  boost::json::array expected = own.contains("postprocess") ? own.at("postprocess").as_array() : boost::json::array();
  expected.push_back(extra[0]);
  EXPECT_EQ(bundle.at("experiment").at("inference").at("postprocess"), expected);
  EXPECT_EQ(bundle.at("experiment").at("inference").at("steps"), config.at("inference").at("steps"));  // the rest as it was
  bool listed = false;
  for (const boost::json::value& plugin : bundle.at("plugins").as_array()) listed = listed || plugin.at("id") == "fuse.ops_medical";
  EXPECT_TRUE(listed) << boost::json::serialize(bundle.at("plugins"));
}

// The evaluation's sub-groups are columns of predictions.csv; a group key the validation batch lacks is named.
TEST(Trainer, EvaluationGroupsAreColumnsOfThePredictions) {
  const auto dir = fresh_dir("trainer_groups");
  const std::string evaluation = R"(,
  "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}, "groups": ["data.half"], "ci": {"rounds": 10, "seed": 1}})";
  testing::write_toy(dir, testing::toy_json("", "", R"({"epochs": 1, "threads": 1, "progress": false})", evaluation));
  // A column for the groups: which half of the table a row is in.
  for (const char* table : {"train.csv", "validation.csv"}) {
    std::istringstream in(read_text(dir / table));
    std::string out, line;
    for (int row = 0; std::getline(in, line); ++row) out += line + (row == 0 ? ",half" : row % 2 ? ",odd" : ",even") + "\n";
    std::ofstream(dir / table) << out;
  }
  fit(dir / "experiment.json", dir / "run");
  const std::string predictions = read_text(dir / "run" / "predictions.csv");
  EXPECT_EQ(predictions.substr(0, predictions.find('\n')), "id,data.label,model.score,loss,data.half");
  const boost::json::object evaluation_json = boost::json::parse(read_text(dir / "run" / "evaluation.json")).as_object();
  EXPECT_EQ(evaluation_json.at("groups").at("data.half").at("odd").at("rows").as_int64(), 16);
  std::string json = read_text(dir / "experiment.json");
  json.replace(json.find("\"data.half\"]"), 12, "\"data.halve\"]");
  std::ofstream(dir / "experiment.json") << json;
  const std::string message = error_of([&] { fit(dir / "experiment.json", dir / "run2"); });
  EXPECT_EQ(message.rfind("the evaluation's group 'data.halve' is not a key of the validation batch: key 'data.halve' missing", 0), 0u) << message;
}

// "validation": {"source": ..., "static": [...]} reads validation samples with its own steps: here they zero the
// features, so every validation score is the same and the AUC is 0.5 (the training's steps would give >= 0.95).
TEST(Trainer, ValidationWithItsOwnStaticStepsUsesThem) {
  const auto dir = fresh_dir("trainer_validation_static");
  std::string json = testing::toy_json();
  const std::string plain = R"("validation": {"table": "validation.csv"})";
  json.replace(json.find(plain), plain.size(), R"("validation": {"source": {"table": "validation.csv"}, "static": [
      {"op": "fuse.ops.to_tensor", "keys": ["data.x1", "data.x2"], "dtype": "float32"},
      {"op": "fuse.ops.stack", "keys": ["data.x1", "data.x2"], "out": "data.features"},
      {"op": "fuse.ops.clip", "keys": ["data.features"], "min": 0, "max": 0}]})");
  const std::filesystem::path experiment = testing::write_toy(dir, json);
  fit(experiment, dir / "run");
  EXPECT_DOUBLE_EQ(results(dir / "run").at("validation").at("auc").as_double(), 0.5);
  // Fields other than source and static are refused where they are written.
  std::string bad = json;
  bad.replace(bad.rfind(R"("static": [)"), 11, R"("statik": [)");
  testing::write_toy(dir, bad);
  EXPECT_NE(error_of([&] { read_experiment(experiment); }).find("unknown field 'statik' in the validation data; did you mean 'static'?"), std::string::npos)
      << error_of([&] { read_experiment(experiment); });
}

// A cache entry that no longer is what the static pipeline makes (here written over through the cache; in life,
// an input file rewritten in place) stops the run before training, naming the sample, the key and the remedy.
TEST(Trainer, AStaleCacheFoundByTheAuditStopsTheRun) {
  const auto dir = fresh_dir("trainer_stale_cache");
  std::string json = testing::toy_json();
  const std::string loader = R"("loader": {"batch_size": 8, "workers": 1})";
  json.replace(json.find(loader), loader.size(), std::string(R"("cache": "cache", )") + loader);
  const std::filesystem::path experiment = testing::write_toy(dir, json);
  fit(experiment, dir / "run");  // builds the cache; the audit of the first sample passes
  const Experiment e = read_experiment(experiment);
  data::DatasetSpec spec = e.data.dataset;
  data::Dataset d(built_plugins(), spec);
  NDict stale = *d.worker().get_static(0);
  stale.set("data.features", Value(Tensor::from_vector<float>({0.5f, 0.25f}, {2})));
  d.cache()->put(d.cache_key(0), stale);
  const std::string folder = d.cache()->folder().string();
  const std::string first = d.sample(0).id;
  EXPECT_EQ(error_of([&] { fit(experiment, dir / "run2"); }),
            "the cache audit found 1 of 1 recomputed samples different from their entries in " + folder + ":\n  sample '" + first + "' (row 1 of " +
                (dir / "train.csv").string() + "): 'data.features': float32[2] before, float32[2] now, max |difference| 1.75" +
                "\nThe static pipeline's inputs changed since they were cached (a file rewritten in place?) or a static op is not deterministic. Clear "
                "the cache (fuse cache clear " + (dir / "cache").string() + ") and run again, or turn the check off with \"cache\": {\"dir\": ..., \"audit\": false}.");
}

// Each epoch's validation loss and Dice from log.csv.
std::vector<std::pair<double, double>> validation_log(const std::filesystem::path& run) {
  std::istringstream log(read_text(run / "log.csv"));
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "epoch,lr,train.loss,train.dice,validation.loss,validation.dice,seconds");
  std::vector<std::pair<double, double>> out;
  while (std::getline(log, line)) {
    std::vector<double> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(std::stod(cell));
    out.emplace_back(cells[4], cells[5]);
  }
  return out;
}

// Validation with a sliding window sees whole images of any size: for a per-pixel model the blended windows
// give exactly the whole-image outputs; with a 3x3 convolution, windows that cover an image whole (zero
// padded, as the convolution pads) do too, while small windows change the pixels at their borders.
TEST(Trainer, ValidationWithASlidingWindowRunsOnWholeImages) {
  const auto dir = fresh_dir("trainer_validation_window");
  const std::string per_pixel = R"({"model": "fuse.models.segmentation_head", "dims": 2, "in_channels": 1, "num_classes": 2,
                                    "inputs": ["data.x"], "outputs": ["model.logits", "model.probs"]})";
  const std::string conv = R"({"model": "fuse.models.segmentation_head", "dims": 2, "in_channels": 1, "num_classes": 2, "hidden": 4,
                               "inputs": ["data.x"], "outputs": ["model.logits", "model.probs"]})";
  // Batches of one image: 36 steps, enough for the per-pixel model to learn the threshold from any start.
  const auto write = [&](const std::string& model, const std::string& validation) {
    const auto file = testing::write_segmentation_toy(dir, model, validation);
    std::string json = read_text(file);
    const std::string batches = R"("batch_size": 4, "workers": 1)";
    ASSERT_NE(json.find(batches), std::string::npos);
    std::ofstream(file) << json.replace(json.find(batches), batches.size(), R"("batch_size": 1, "workers": 1)");
  };
  const auto run = [&](const std::string& model, const std::string& validation, const std::string& name) {
    write(model, validation);
    fit(dir / "experiment.json", dir / name);
    return validation_log(dir / name);
  };
  const auto expect_near = [](const std::vector<std::pair<double, double>>& a, const std::vector<std::pair<double, double>>& b) {
    ASSERT_EQ(a.size(), 3u);
    ASSERT_EQ(b.size(), 3u);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_NEAR(a[i].first, b[i].first, 1e-5 * std::abs(a[i].first)) << "epoch " << i + 1;
      EXPECT_NEAR(a[i].second, b[i].second, 1e-6) << "epoch " << i + 1;
    }
  };
  const auto whole = run(per_pixel, R"({"batch_size": 1})", "pixel_whole");
  EXPECT_GE(whole.back().second, 0.8);  // it learns the threshold
  expect_near(run(per_pixel, R"({"sliding_window": {"size": [4, 4], "overlap": 0.5, "batch": 3}})", "pixel_windows"), whole);
  const auto conv_whole = run(conv, R"({"batch_size": 1})", "conv_whole");
  expect_near(run(conv, R"({"sliding_window": {"size": [12, 12], "blend": "constant"}})", "conv_one_window"), conv_whole);
  const auto conv_windows = run(conv, R"({"sliding_window": {"size": [4, 4], "overlap": 0.5}})", "conv_windows");
  ASSERT_EQ(conv_windows.size(), 3u);
  EXPECT_GT(std::abs(conv_windows.back().first - conv_whole.back().first), 1e-4 * conv_whole.back().first);
  // Without the window, images of different sizes cannot be stacked into a batch; the loader says so.
  const std::string message = error_of([&] { fit(testing::write_segmentation_toy(dir, per_pixel, R"({"batch_size": 2})"), dir / "stacked"); });
  EXPECT_NE(message.find("data.x"), std::string::npos) << message;
}

// A per-class output's element, numbered by the metric's class ids ("dice.1": class 1), may be a logged metric.
TEST(Trainer, AMetricMayBeOneClassOfAPerClassOutput) {
  const auto dir = fresh_dir("trainer_per_class");
  const std::string model = R"({"model": "fuse.models.segmentation_head", "dims": 2, "in_channels": 1, "num_classes": 2,
                                "inputs": ["data.x"], "outputs": ["model.logits", "model.probs"]})";
  const std::string seg = R"("metric": "fuse.metrics.segmentation", "pred": "model.seg", "target": "data.y", "num_classes": 2, "include_background": true)";
  fit(testing::write_segmentation_toy(dir, model, R"({"batch_size": 1})",
                             "{\"dice\": {" + seg + R"(, "output": "mean_dice"}, "d0": {)" + seg + R"(, "output": "dice.0"}, "d1": {)" + seg +
                                 R"(, "output": "dice.1"}})"),
      dir / "run");
  std::istringstream log(read_text(dir / "run" / "log.csv"));
  std::string line;
  std::getline(log, line);
  ASSERT_EQ(line, "epoch,lr,train.loss,train.dice,train.d0,train.d1,validation.loss,validation.dice,validation.d0,validation.d1,seconds");
  int rows = 0;
  while (std::getline(log, line)) {
    std::vector<double> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(std::stod(cell));
    EXPECT_NEAR(cells[7], (cells[8] + cells[9]) / 2, 1e-5) << line;  // the mean of the two classes
    EXPECT_NE(cells[8], cells[9]) << line;                              // two different numbers
    ++rows;
  }
  EXPECT_EQ(rows, 3);
  const std::string message = error_of([&] {
    fit(testing::write_segmentation_toy(dir, model, R"({"batch_size": 1})", "{\"d5\": {" + seg + R"(, "output": "dice.5"}})"), dir / "bad");
  });
  EXPECT_NE(message.find("metric 'd5': no output 'dice.5'; did you mean 'dice.0'? (outputs: mean_dice, mean_iou, mean_hd, mean_hd95, mean_asd, "
                         "mean_nsd, dice.0, dice.1, iou.0, iou.1, hd.0, hd.1, hd95.0, hd95.1, asd.0, asd.1, nsd.0, nsd.1)"),
            std::string::npos)
      << message;
}

TEST(Trainer, ALossReadingAKeyNoModelWritesIsNamed) {
  const auto dir = fresh_dir("trainer_key");
  testing::write_toy(dir, testing::toy_json("", R"({"ce": {"loss": "fuse.losses.cross_entropy", "pred": "model.logit", "target": "data.label"}})"));
  const std::string message = error_of([&] { fit(dir / "experiment.json", dir / "run"); });
  EXPECT_NE(message.find("loss 'ce' reads 'model.logit', which neither the data nor the model provides; did you mean 'model.logits'? (the model "
                         "writes: model.logits, model.probs)"),
            std::string::npos)
      << message;
}

TEST(Trainer, PredictionAndTargetShapesThatDifferAreNamed) {
  const auto dir = fresh_dir("trainer_shape");
  testing::write_toy(dir, testing::toy_json("", R"({"mse": {"loss": "fuse.losses.mse", "pred": "model.logits", "target": "data.label"}})"));
  const std::string message = error_of([&] { fit(dir / "experiment.json", dir / "run"); });
  EXPECT_NE(message.find("prediction 'model.logits' has shape [8, 2] but target 'data.label' has shape [8] (they must match)"), std::string::npos)
      << message;
}

TEST(Trainer, ExportAndInferGiveTheValidationPredictions) {
  const auto dir = fresh_dir("trainer_export");
  testing::write_toy(dir);
  fit(dir / "experiment.json", dir / "run");
  export_bundle(built_plugins(), dir / "run", dir / "bundle", "best");
  const boost::json::object bundle = boost::json::parse(read_text(dir / "bundle" / "bundle.json")).as_object();
  EXPECT_EQ(bundle.at("format").as_int64(), 1);
  bool models_plugin = false;
  for (const auto& p : bundle.at("plugins").as_array()) models_plugin = models_plugin || p.at("id") == "fuse.models_torch";
  EXPECT_TRUE(models_plugin);
  Predictor predictor(built_plugins(), {dir / "bundle"});
  NDict positive;
  positive.set("data.x1", 1.5);
  positive.set("data.x2", 1.0);
  const NDict out = predictor.predict(positive);
  const std::vector<float> p = fuse::testing::values<float>(out.get<Tensor>("model.probs"));
  EXPECT_GT(p[1], 0.8f);
  // Two bundles: an ensemble with per-model outputs and a vote.
  Predictor ensemble(built_plugins(), {dir / "bundle", dir / "bundle"});
  const NDict both = ensemble.predict(positive);
  EXPECT_TRUE(both.has("model.probs_m1"));
  EXPECT_EQ(fuse::testing::values<int64_t>(both.get<Tensor>("model.probs_vote")), (std::vector<int64_t>{1}));
  EXPECT_EQ(error_of([&] { Predictor(built_plugins(), {dir / "run" / "checkpoints"}); }),
            "'" + (dir / "run" / "checkpoints").string() + "' is not a bundle (no bundle.json); make one with `fuse export RUN --out BUNDLE`");
  EXPECT_EQ(error_of([&] { Predictor(built_plugins(), {dir / "run"}); }),
            "'" + (dir / "run").string() + "' is a run folder, not a bundle: make one with `fuse export " + (dir / "run").string() + " --out BUNDLE`");
}

// A copy of `from` whose bundle.json experiment `edit` changed (another fold's bundle, in effect).
void copy_bundle(const std::filesystem::path& from, const std::filesystem::path& to, const std::function<void(boost::json::object&)>& edit) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  boost::json::value bundle = boost::json::parse(read_text(to / "bundle.json"));
  edit(bundle.at("experiment").as_object());
  std::ofstream(to / "bundle.json") << boost::json::serialize(bundle);
}

// An ensemble's models each take their inputs from their own bundle's inference steps and, where the
// postprocesses differ, run their own on their own outputs: here the second bundle stacks the features the
// other way round and selects the other class's probability.
TEST(Trainer, AnEnsembleRunsEachBundlesOwnInferenceStepsAndPostprocess) {
  const auto dir = fresh_dir("trainer_ensemble_steps");
  testing::write_toy(dir);
  fit(dir / "experiment.json", dir / "run");
  export_bundle(built_plugins(), dir / "run", dir / "bundle", "best");
  copy_bundle(dir / "bundle", dir / "swapped", [](boost::json::object& e) {
    e["data"].as_object()["static"].as_array()[1].as_object()["keys"] = boost::json::array{"data.x2", "data.x1"};
    e["postprocess"].as_array()[0].as_object()["index"] = 0;
  });
  const auto input = [](double x1, double x2) {
    NDict sample;
    sample.set("data.x1", x1);
    sample.set("data.x2", x2);
    return sample;
  };
  Predictor single(built_plugins(), {dir / "bundle"});
  const std::vector<float> p = fuse::testing::values<float>(single.predict(input(1.0, -1.2)).get<Tensor>("model.probs"));
  const std::vector<float> q = fuse::testing::values<float>(single.predict(input(-1.2, 1.0)).get<Tensor>("model.probs"));
  ASSERT_GT(std::abs(p[1] - q[1]), 1e-3);  // the swap matters (near the boundary, where the model is least symmetric)
  Predictor ensemble(built_plugins(), {dir / "bundle", dir / "swapped"});
  const auto check = [&](const NDict& out) {
    const auto near = [](const std::vector<float>& a, const std::vector<float>& b) {
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6) << i;
    };
    near(fuse::testing::values<float>(out.get<Tensor>("model.probs_m0")), p);
    near(fuse::testing::values<float>(out.get<Tensor>("model.probs_m1")), q);
    near(fuse::testing::values<float>(out.get<Tensor>("model.probs")), {(p[0] + q[0]) / 2, (p[1] + q[1]) / 2});
    near(fuse::testing::values<float>(out.get<Tensor>("model.score_m0")), {p[1]});
    near(fuse::testing::values<float>(out.get<Tensor>("model.score_m1")), {q[0]});
    near(fuse::testing::values<float>(out.get<Tensor>("model.score")), {(p[1] + q[0]) / 2});
    EXPECT_EQ(fuse::testing::values<float>(out.get<Tensor>("data.features")), (std::vector<float>{1.0f, -1.2f}));  // the first bundle's
  };
  check(ensemble.predict(input(1.0, -1.2)));
  // Prepared on other threads and predicted in one batch: the same.
  std::vector<PreparedInput> prepared;
  for (int k = 0; k < 3; ++k) prepared.push_back(ensemble.prepare(input(1.0, -1.2)));
  ASSERT_EQ(prepared[0].by_steps.size(), 2u);
  std::vector<std::string> errors;
  for (const NDict& out : ensemble.predict_prepared(std::move(prepared), errors)) check(out);
  EXPECT_EQ(errors, std::vector<std::string>(3, ""));

  // A postprocess that writes another key, or none: nothing to combine.
  copy_bundle(dir / "bundle", dir / "elsewhere", [](boost::json::object& e) { e["postprocess"].as_array()[0].as_object()["out"] = "model.other"; });
  Predictor apart(built_plugins(), {dir / "bundle", dir / "elsewhere"});
  EXPECT_EQ(error_of([&] { apart.predict(input(1.0, -1.2)); }),
            "an ensemble combines what its models' postprocesses write, but the postprocess of '" + (dir / "elsewhere").string() +
                "' writes 'model.other', which the first bundle's ('" + (dir / "bundle").string() + "') does not");
  copy_bundle(dir / "bundle", dir / "none", [](boost::json::object& e) { e["postprocess"] = boost::json::array{}; });
  Predictor without(built_plugins(), {dir / "bundle", dir / "none"});
  EXPECT_EQ(error_of([&] { without.predict(input(1.0, -1.2)); }),
            "an ensemble combines what its models' postprocesses write, but the postprocess of '" + (dir / "none").string() +
                "' writes no 'model.score', which the first bundle's ('" + (dir / "bundle").string() + "') writes");
  // A step of one bundle's own that fails is named with its bundle.
  copy_bundle(dir / "bundle", dir / "typo", [](boost::json::object& e) {
    e["data"].as_object()["static"].as_array()[1].as_object()["keys"] = boost::json::array{"data.x1", "data.x3"};
  });
  Predictor typo(built_plugins(), {dir / "bundle", dir / "typo"});
  const std::string message = error_of([&] { typo.predict(input(1.0, -1.2)); });
  EXPECT_EQ(message.rfind("inference steps of '" + (dir / "typo").string() + "' step 2 (", 0), 0u) << message;
  // What postprocesses write in other shapes cannot be combined.
  copy_bundle(dir / "bundle", dir / "both", [](boost::json::object& e) {
    e["postprocess"].as_array()[0].as_object()["axis"] = 0;
    e["postprocess"].as_array()[0].as_object()["index"] = 0;
  });
  Predictor both(built_plugins(), {dir / "bundle", dir / "both"});
  const std::string written = error_of([&] { both.predict(input(1.0, -1.2)); });
  EXPECT_EQ(written.rfind("an ensemble combines what its models' postprocesses write, but the postprocess of '" + (dir / "both").string() +
                              "' makes 'model.score' ",
                          0),
            0u)
      << written;
  // Models with other outputs are no ensemble.
  copy_bundle(dir / "bundle", dir / "renamed", [](boost::json::object& e) {
    e["model"].as_object()["outputs"] = boost::json::array{"model.logits", "model.p"};
  });
  EXPECT_EQ(error_of([&] { Predictor(built_plugins(), {dir / "bundle", dir / "renamed"}); }),
            "an ensemble needs models with the same inputs and outputs; '" + (dir / "renamed").string() + "' differs from the first bundle");
  // One set of keys and writes serves every model: a bundle set up otherwise is refused, naming what differs,
  // rather than run as the first.
  const auto inference_of = [](boost::json::object& e) -> boost::json::object& {
    if (!e["inference"].is_object()) e["inference"].emplace_object();
    return e["inference"].as_object();
  };
  copy_bundle(dir / "bundle", dir / "other_key", [&](boost::json::object& e) { inference_of(e)["input_key"] = "data.other"; });
  EXPECT_EQ(error_of([&] { Predictor(built_plugins(), {dir / "bundle", dir / "other_key"}); }),
            "an ensemble predicts with one inference setup, but '" + (dir / "other_key").string() + "' has input key data.other where the first bundle ('" +
                (dir / "bundle").string() + "') has data.image_path: export bundles made alike, or predict with each on its own");
  // Test-time flips of other axes than the spatial ones are refused (here the features' axis of a table's model).
  Predictor mirrored(built_plugins(), {dir / "bundle"});
  mirrored.set_flips({{0}});
  EXPECT_EQ(error_of([&] { mirrored.predict(input(1.0, -1.2)); }),
            "a test-time flip along x but the model input 'data.features' is [1, 2] ([batch, channels, ...] with 0 spatial axes): flip its spatial axes only "
            "(xy for a 2D input)");
  // Each model predicts with its own bundle's windows, slices and test-time flips (a 2D model on slices beside a
  // 3D one on windows): the second bundle's flips reach its model alone, which refuses them.
  copy_bundle(dir / "bundle", dir / "flipped", [&](boost::json::object& e) { inference_of(e)["tta"] = boost::json::parse("[[0], [0, 1]]"); });
  Predictor flipped_second(built_plugins(), {dir / "bundle", dir / "flipped"});
  EXPECT_EQ(error_of([&] { flipped_second.predict(input(1.0, -1.2)); }),
            "a test-time flip along x but the model input 'data.features' is [1, 2] ([batch, channels, ...] with 0 spatial axes): flip its spatial axes only "
            "(xy for a 2D input)");
  Predictor unflipped(built_plugins(), {dir / "bundle", dir / "flipped"});
  unflipped.set_flips({});  // --mirror's flips replace every bundle's
  EXPECT_TRUE(unflipped.predict(input(1.0, -1.2)).has("model.probs_m1"));
}

// Label maps that the models' own postprocesses write are combined by a vote per pixel; outputs of other
// shapes (inference steps that make other inputs) cannot be averaged without a geometry to resample them by.
TEST(Trainer, AnEnsembleVotesOnItsModelsLabelMaps) {
  const auto dir = fresh_dir("trainer_ensemble_labels");
  fit(testing::write_segmentation_toy(dir, R"({"model": "fuse.models.segmentation_head", "dims": 2, "in_channels": 1, "num_classes": 2,
                                               "inputs": ["data.x"], "outputs": ["model.logits", "model.probs"]})",
                                      R"({"batch_size": 1})"),
      dir / "run");
  export_bundle(built_plugins(), dir / "run", dir / "bundle", "best");
  const auto labels = [](boost::json::object& e) { e["postprocess"].as_array()[0].as_object()["as_int"] = true; };
  copy_bundle(dir / "bundle", dir / "a", labels);
  copy_bundle(dir / "bundle", dir / "a2", labels);
  const auto background = [&](boost::json::object& e) {
    labels(e);
    e["postprocess"].as_array().push_back(boost::json::object{{"op", "fuse.ops.replace_values"}, {"keys", boost::json::array{"model.seg"}},
                                                              {"from", boost::json::array{1.0}}, {"to", boost::json::array{0.0}}});
  };
  copy_bundle(dir / "bundle", dir / "b", background);
  copy_bundle(dir / "bundle", dir / "b2", background);
  NDict input;
  input.set("data.image", (dir / "i12.npy").string());
  input.set("data.mask", (dir / "m12.npy").string());
  const NDict alone = Predictor(built_plugins(), {dir / "a"}).predict(input);
  const std::vector<int64_t> seg = fuse::testing::values<int64_t>(alone.get<Tensor>("model.seg"));
  ASSERT_GT(std::count(seg.begin(), seg.end(), int64_t{1}), 0);  // some foreground to vote away
  const std::vector<int64_t> zeros(seg.size(), 0);
  const NDict mostly_a = Predictor(built_plugins(), {dir / "a", dir / "a2", dir / "b"}).predict(input);
  EXPECT_EQ(fuse::testing::values<int64_t>(mostly_a.get<Tensor>("model.seg_m2")), zeros);
  EXPECT_EQ(fuse::testing::values<int64_t>(mostly_a.get<Tensor>("model.seg")), seg);
  const NDict mostly_b = Predictor(built_plugins(), {dir / "a", dir / "b", dir / "b2"}).predict(input);
  EXPECT_EQ(fuse::testing::values<int64_t>(mostly_b.get<Tensor>("model.seg_m0")), seg);
  EXPECT_EQ(fuse::testing::values<int64_t>(mostly_b.get<Tensor>("model.seg")), zeros);
  // An image twice as wide from the second bundle's steps.
  copy_bundle(dir / "bundle", dir / "wide", [](boost::json::object& e) {
    e["data"].as_object()["static"].as_array().push_back(
        boost::json::object{{"op", "fuse.ops.concat"}, {"keys", boost::json::array{"data.x", "data.x"}}, {"out", "data.x"}, {"axis", 2}});
  });
  Predictor wide(built_plugins(), {dir / "bundle", dir / "wide"});
  EXPECT_EQ(error_of([&] { wide.predict(input); }),
            "an ensemble averages its models' outputs on one grid, but '" + (dir / "wide").string() + "' gives 'model.logits' of shape [1, 2, 9, 24] and the "
            "first bundle ('" + (dir / "bundle").string() + "') [1, 2, 9, 12], and it cannot be laid onto the first bundle's grid: the model's input carries no "
            "geometry ('data.x_meta', as fuse.io.read_medical writes it) to lay 'model.logits' onto another grid");
}

// A survival table: two features, a time that shortens as x1 grows, every third row censored.
void write_survival_table(const std::filesystem::path& file, int rows, int offset) {
  std::ofstream out(file);
  out << "id,x1,x2,time,event\n";
  for (int i = 0; i < rows; ++i) {
    const double x1 = std::sin(0.7 * (i + offset)) * 2, x2 = std::cos(1.3 * (i + offset)) * 2;
    out << "s" << i + offset << "," << x1 << "," << x2 << "," << std::exp(-0.8 * x1) * (1 + (i % 5) * 0.3) << "," << ((i + offset) % 3 ? 1 : 0) << "\n";
  }
}

// The Cox model's baseline hazard is fitted once training ends, to the best epoch's risks on the training
// rows (Breslow); config.json and a bundle carry it, and the validation predictions hold the probabilities.
TEST(Trainer, ACoxModelsSurvivalProbabilitiesComeFromItsTrainingRisks) {
  const auto dir = fresh_dir("trainer_cox_baseline");
  write_survival_table(dir / "train.csv", 64, 0);
  write_survival_table(dir / "validation.csv", 32, 1000);
  std::string json = testing::toy_json(R"({"model": "fuse.models.mlp", "in_features": 2, "hidden": [8], "out_features": 1, "inputs": ["data.features"], "outputs": ["model.risk"]})",
                                       R"({"cox": {"loss": "fuse.losses.cox", "pred": "model.risk", "time": "data.time", "event": "data.event"}})",
                                       R"({"epochs": 4, "monitor": "validation.c_index", "mode": "max", "threads": 1, "progress": false})", R"(,
  "evaluation": {"target": "data.event", "score": "model.risk", "metrics": {"brier": {"component": "survival_brier", "config": {"pred": "model.free_2", "time": "data.time", "event": "data.event", "horizon": 2}}},
                 "ci": {"rounds": 10, "seed": 1}})");
  const auto replace = [&](const std::string& from, const std::string& to) {
    ASSERT_NE(json.find(from), std::string::npos) << from;
    json.replace(json.find(from), from.size(), to);
  };
  replace(R"("postprocess": [{"op": "fuse.ops.select", "key": "model.probs", "out": "model.score", "axis": 1, "index": 1}])",
          R"("postprocess": [{"op": "fuse.ops.cox_survival", "key": "model.risk", "out": "model.free_2", "survival_at": 2, "fit": {"time": "data.time", "event": "data.event"}}])");
  replace(R"({"auc": {"metric": "fuse.metrics.auc", "pred": "model.score", "target": "data.label"}})",
          R"({"c_index": {"metric": "fuse.metrics.c_index", "pred": "model.risk", "time": "data.time", "event": "data.event", "output": "c_index"}})");
  std::ofstream(dir / "experiment.json") << json;
  fit(dir / "experiment.json", dir / "run");

  const boost::json::object config = boost::json::parse(read_text(dir / "run" / "config.json")).as_object();
  const boost::json::object& step = config.at("postprocess").at(0).as_object();
  EXPECT_FALSE(step.contains("fit"));
  const boost::json::array& times = step.at("baseline_times").as_array();
  const boost::json::array& hazard = step.at("baseline_hazard").as_array();
  ASSERT_EQ(times.size(), hazard.size());
  // The training rows' risks as the bundle predicts them, and Breslow's estimate of them written out.
  export_bundle(built_plugins(), dir / "run", dir / "bundle", "best");
  Predictor predictor(built_plugins(), {dir / "bundle"});
  std::vector<double> risk, time, event;
  std::istringstream table(read_text(dir / "train.csv"));
  std::string line;
  std::getline(table, line);
  while (std::getline(table, line)) {
    const std::vector<std::string> row = split_text(line);
    NDict sample;
    sample.set("data.x1", Value(std::stod(row[1])));
    sample.set("data.x2", Value(std::stod(row[2])));
    risk.push_back(fuse::testing::values<float>(predictor.predict(sample).get<Tensor>("model.risk"))[0]);
    time.push_back(std::stod(row[3]));
    event.push_back(std::stod(row[4]));
  }
  size_t k = 0;
  double cumulative = 0;
  std::vector<double> distinct(time);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (double t : distinct) {
    double events = 0, at_risk = 0;
    for (size_t i = 0; i < time.size(); ++i) {
      if (time[i] == t) events += event[i];
      if (time[i] >= t) at_risk += std::exp(risk[i]);
    }
    if (events == 0) continue;
    cumulative += events / at_risk;
    ASSERT_LT(k, times.size());
    EXPECT_NEAR(times[k].to_number<double>(), t, 1e-12);
    EXPECT_NEAR(hazard[k].to_number<double>(), cumulative, 1e-5 * cumulative) << k;
    ++k;
  }
  EXPECT_EQ(k, times.size());
  // A validation row: its 2-year survival from the bundle is exp(-H0(2) exp(risk)), as predictions.csv has it.
  double h2 = 0;
  for (size_t j = 0; j < times.size() && times[j].to_number<double>() <= 2; ++j) h2 = hazard[j].to_number<double>();
  const auto [written, sample] = first_prediction(dir, "model.free_2");
  const NDict out = predictor.predict(sample);
  const double r = fuse::testing::values<float>(out.get<Tensor>("model.risk"))[0];
  const double s = fuse::testing::values<float>(out.get<Tensor>("model.free_2"))[0];
  EXPECT_NEAR(s, std::exp(-h2 * std::exp(r)), 1e-6);
  EXPECT_NEAR(s, written, 1e-5);
  const boost::json::object evaluation = boost::json::parse(read_text(dir / "run" / "evaluation.json")).as_object();
  EXPECT_NE(boost::json::serialize(evaluation).find("brier_skill"), std::string::npos);
  // A run stopped before its end has no baseline yet: its bundle is refused, naming the step.
  fit(dir / "experiment.json", dir / "unfinished", false, 1);
  export_bundle(built_plugins(), dir / "unfinished", dir / "unfinished_bundle", "last");
  EXPECT_EQ(error_of([&] { Predictor(built_plugins(), {dir / "unfinished_bundle"}); }),
            (dir / "unfinished_bundle" / "bundle.json").string() + ": postprocess step 1 ('fuse.ops.cox_survival') is fitted to the trained model's outputs "
                                                                  "once training ends, and this run's was not: export a run that finished");
}

TEST(Trainer, LrFindSuggestsARateInTheRange) {
  const auto dir = fresh_dir("trainer_lr");
  Experiment e = read_experiment(testing::write_toy(dir));
  Trainer t(built_plugins(), e, dir / "lr");
  LrFindOptions o;
  o.min_lr = 1e-5;
  o.max_lr = 10;
  o.steps = 60;
  const LrFindResult r = t.find_lr(o);
  EXPECT_GT(r.suggestion, 1e-5);
  EXPECT_LT(r.suggestion, 10);
  EXPECT_TRUE(std::filesystem::exists(dir / "lr" / "lr_find.png"));
  EXPECT_NE(read_text(dir / "lr" / "lr_find.csv").find("lr,loss,smoothed\n"), std::string::npos);
}

// An MLP "net" from 2 features to 1 with these hidden layers, and plain SGD at rate 0.1.
ModelGraph mlp(const std::string& hidden) {
  ModelGraph g;
  g.add("net", built_plugins().create_model("fuse.models.mlp", fuse::testing::json_object(R"({"inputs": ["x"], "outputs": ["y"], "in_features": 2, "hidden": )" + hidden + R"(, "out_features": 1})")));
  return g;
}
OptimizerSpec sgd(double momentum) {
  OptimizerSpec spec;
  spec.name = "sgd";
  spec.lr = 0.1;
  spec.momentum = momentum;
  return spec;
}

TEST(Optimizer, FrozenParametersKeepTheirValuesAndGroupsTheirRates) {
  ModelGraph g = mlp("[3]");
  std::vector<NamedParameter> params = g.parameters();
  const OptimizerSpec spec = sgd(0);
  Optimizer o(params, spec, {ParamGroupSpec{{"net.layers.2.*"}, 0.5, std::nullopt}}, {"net.layers.0.bias"});
  EXPECT_EQ(o.frozen(), (std::vector<std::string>{"net.layers.0.bias"}));
  EXPECT_EQ(o.trainable(), 3u);
  // Unit gradients everywhere: a step moves each parameter by its group's rate; the frozen one stays.
  for (NamedParameter& p : params) {
    float* grad = static_cast<float*>(p.parameter.grad->data);
    for (int64_t i = 0; i < p.parameter.grad->shape[0] * (p.parameter.grad->ndim > 1 ? p.parameter.grad->shape[1] : 1); ++i) grad[i] = 1;
  }
  const float bias0 = static_cast<float*>(params[1].parameter.value->data)[0], w0 = static_cast<float*>(params[0].parameter.value->data)[0],
              w2 = static_cast<float*>(params[2].parameter.value->data)[0];
  o.step();
  EXPECT_FLOAT_EQ(static_cast<float*>(params[1].parameter.value->data)[0], bias0);
  EXPECT_FLOAT_EQ(static_cast<float*>(params[0].parameter.value->data)[0], w0 - 0.1f);
  EXPECT_FLOAT_EQ(static_cast<float*>(params[2].parameter.value->data)[0], w2 - 0.5f);
  EXPECT_EQ(error_of([&] { Optimizer(g.parameters(), spec, {ParamGroupSpec{{"head.*"}, 0.1, std::nullopt}}, {}); }),
            "optimizer: parameter group 1 (head.*) matches no trainable parameter");
}

// One-cycle schedules set the momentum before each step: SGD's buffer then grows by the momentum set.
TEST(Optimizer, TheMomentumSetIsTheOneTheNextStepUses) {
  ModelGraph g = mlp("[]");
  std::vector<NamedParameter> params = g.parameters();
  OptimizerSpec spec = sgd(0.9);
  Optimizer o(params, spec, {}, {});
  EXPECT_DOUBLE_EQ(o.momentum(), 0.9);
  float* weight = static_cast<float*>(params[0].parameter.value->data);
  static_cast<float*>(params[0].parameter.grad->data)[0] = 1;
  const float start = weight[0];
  o.step();  // the buffer: 1
  EXPECT_FLOAT_EQ(weight[0], start - 0.1f);
  o.set_momentum(0.5);
  EXPECT_DOUBLE_EQ(o.momentum(), 0.5);
  o.step();  // the buffer: 0.5 * 1 + 1
  EXPECT_FLOAT_EQ(weight[0], start - 0.1f - 0.15f);
  spec.name = "adamw";
  Optimizer adamw(params, spec, {}, {});
  EXPECT_DOUBLE_EQ(adamw.momentum(), 0.9);
  adamw.set_momentum(0.85);
  EXPECT_DOUBLE_EQ(adamw.momentum(), 0.85);
}

// Convolution weights of models_torch are channels-last: their views carry strides, and the optimiser updates
// each element where the strides say it is.
TEST(Optimizer, StridedParameterViewsAreUpdatedWhereTheStridesSay) {
  ModelGraph g;
  g.add("net", built_plugins().create_model("fuse.models.cnn_classifier", fuse::testing::json_object(R"({"dims": 3, "in_channels": 2,
      "num_classes": 2, "channels": [4], "strides": [2], "inputs": ["x"], "outputs": ["y"]})")));
  std::vector<NamedParameter> params = g.parameters();
  auto conv = std::find_if(params.begin(), params.end(), [](const NamedParameter& p) { return p.parameter.value->ndim == 5; });
  ASSERT_NE(conv, params.end());
  const DLTensor& v = *conv->parameter.value;
  ASSERT_NE(v.strides, nullptr) << conv->name;
  EXPECT_EQ(v.strides[1], 1);  // [out, in, d, h, w] stored as [out, d, h, w, in]
  ASSERT_NE(conv->parameter.grad->strides, nullptr);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(conv->parameter.grad->strides[k], v.strides[k]);
  // A unit gradient at logical [0, 1, 0, 0, 0] moves that weight only.
  const int64_t at = v.strides[1], next = v.strides[4];
  float* value = static_cast<float*>(v.data);
  float* grad = static_cast<float*>(conv->parameter.grad->data);
  g.zero_grad();
  grad[at] = 1;
  const float before = value[at], neighbour = value[next];
  Optimizer o(params, sgd(0), {}, {});
  o.step();
  EXPECT_FLOAT_EQ(value[at], before - 0.1f);
  EXPECT_FLOAT_EQ(value[next], neighbour);
  // The state is logical: another instance loads it and sees the moved weight at the same logical place.
  ModelGraph h;
  h.add("net", built_plugins().create_model("fuse.models.cnn_classifier", fuse::testing::json_object(R"({"dims": 3, "in_channels": 2,
      "num_classes": 2, "channels": [4], "strides": [2], "inputs": ["x"], "outputs": ["y"], "seed": 9})")));
  h.load_state(g.save_state());
  for (const NamedParameter& p : h.parameters()) {
    if (p.name != conv->name) continue;
    EXPECT_FLOAT_EQ(static_cast<const float*>(p.parameter.value->data)[p.parameter.value->strides[1]], before - 0.1f);
  }
}

TEST(ModelGraph, SharedWeightsSumTheGradientsOfEachApplication) {
  ModelGraph g;
  g.add("enc", built_plugins().create_model("fuse.models.mlp", fuse::testing::json_object(R"({"inputs": ["a"], "outputs": ["fa"], "in_features": 1, "hidden": [], "out_features": 1})")));
  g.add_shared("enc_b", "enc", {{"a", "b"}, {"fa", "fb"}});
  NDict batch;
  batch.set("a", Value(Tensor::from_vector<float>({1}, {1, 1})));
  batch.set("b", Value(Tensor::from_vector<float>({3}, {1, 1})));
  g.forward(batch, CallContext(true, 1, 0, -1));
  EXPECT_TRUE(batch.has("fb"));
  NDict grads;
  grads.set("fa", Value(Tensor::from_vector<float>({1}, {1, 1})));
  grads.set("fb", Value(Tensor::from_vector<float>({1}, {1, 1})));
  // The reducer's signal: a component's gradients are final once, after its last backward (the first
  // application), with both applications' parts summed by then.
  std::vector<std::string> done;
  float at_done = 0;
  g.backward(grads, CallContext(true, 1, 0, -1), [&](const std::string& name) {
    done.push_back(name);
    at_done = static_cast<const float*>(g.parameters()[0].parameter.grad->data)[0];
  });
  EXPECT_EQ(done, std::vector<std::string>{"enc"});
  EXPECT_FLOAT_EQ(at_done, 4.0f);
  EXPECT_FLOAT_EQ(static_cast<const float*>(g.parameters()[0].parameter.grad->data)[0], 4.0f);  // 1 + 3
  EXPECT_EQ(error_of([&] { g.add_shared("x", "dec", {}); }), "model: component 'x' shares the weights of 'dec', which is not defined before it");
}

// A component's optional writes (deep supervision's logits): not among the keys it always writes, present in
// training only, and renamed with the rest in a shared application.
TEST(ModelGraph, OptionalOutputsAppearInTrainingUnderTheirApplicationsKeys) {
  ModelGraph g;
  g.add("unet", built_plugins().create_model("fuse.models.unet", fuse::testing::json_object(R"({"inputs": ["a"], "outputs": ["la"], "dims": 2, "in_channels": 1,
      "num_classes": 2, "channels": [2, 4, 8], "deep_supervision": ["ha"]})")));
  g.add_shared("unet_b", "unet", {{"a", "b"}, {"la", "lb"}, {"ha", "hb"}});
  EXPECT_EQ(g.output_keys(), (std::vector<std::string>{"la", "lb"}));
  EXPECT_EQ(g.optional_output_keys(), (std::vector<std::string>{"ha", "hb"}));
  EXPECT_EQ(g.input_keys(), (std::vector<std::string>{"a", "b"}));
  const auto image = [] { return Value(Tensor::from_vector<float>(std::vector<float>(64, 0.5f), {1, 1, 8, 8})); };
  NDict batch;
  batch.set("a", image());
  batch.set("b", image());
  g.forward(batch, CallContext(true, 1, 0, -1));
  EXPECT_EQ(batch.get<Tensor>("hb").shape(), (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_TRUE(batch.has("ha"));
  g.set_training(false);
  NDict evaluation;
  evaluation.set("a", image());
  evaluation.set("b", image());
  g.forward(evaluation, CallContext(false, 1, 0, -1));
  EXPECT_TRUE(evaluation.has("lb"));
  EXPECT_FALSE(evaluation.has("ha"));
  EXPECT_FALSE(evaluation.has("hb"));
}

TEST(ClassWeights, InverseFrequencyOfTheTrainingLabels) {
  const auto dir = fresh_dir("trainer_weights");
  testing::write_toy(dir);
  Experiment e = read_experiment(dir / "experiment.json");
  data::Dataset d(built_plugins(), e.data.dataset);
  int ones = 0;
  for (size_t i = 0; i < d.size(); ++i) ones += d.sample(i).values.get<int64_t>("data.label");
  const std::vector<double> w = class_weights(d, "data.label").weights;
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(w[1], 64.0 / (2.0 * ones), 1e-12);
  EXPECT_NEAR(w[0], 64.0 / (2.0 * (64 - ones)), 1e-12);
}

// Multi-label targets stacked from 0/1 columns, with "pos_weights": "auto" on a BCE loss.
Experiment multi_label_experiment(const std::filesystem::path& dir, const std::vector<std::pair<int, int>>& rows) {
  std::ofstream table(dir / "labels.csv");
  table << "id,x,a,b\n";
  for (size_t i = 0; i < rows.size(); ++i) table << "s" << i << "," << i << "," << rows[i].first << "," << rows[i].second << "\n";
  table.close();
  std::ofstream(dir / "experiment.json") << R"({"name": "labels", "data": {"source": {"table": "labels.csv"},
    "static": [{"op": "fuse.ops.stack", "keys": ["data.a", "data.b"], "out": "data.targets"}]},
    "model": {"model": "fuse.models.mlp", "in_features": 1, "num_classes": 2, "inputs": ["data.x"], "outputs": ["model.logits"]},
    "losses": {"bce": {"loss": "fuse.losses.bce_with_logits", "pred": "model.logits", "target": "data.targets", "pos_weights": "auto"}},
    "optimizer": {"name": "adam", "lr": 0.01}, "trainer": {"epochs": 1}})";
  return read_experiment(dir / "experiment.json");
}

// Each label's negatives / positives: a rare label's positives count as much as its negatives.
TEST(ClassWeights, PositiveWeightsPerLabel) {
  const auto dir = fresh_dir("trainer_pos_weights");
  // a: 2 of 8 positive (weight 3); b: 4 of 8 (weight 1).
  Experiment e = multi_label_experiment(dir, {{1, 1}, {0, 1}, {0, 1}, {0, 1}, {1, 0}, {0, 0}, {0, 0}, {0, 0}});
  ASSERT_EQ(e.losses.size(), 1u);
  EXPECT_EQ(e.losses[0].auto_weights, (std::vector<std::string>{"pos_weights"}));
  data::Dataset d(built_plugins(), e.data.dataset);
  const LabelWeights w = label_pos_weights(d, "data.targets");
  EXPECT_EQ(w.weights, (std::vector<double>{3, 1}));
  EXPECT_EQ(w.positives, (std::vector<double>{2, 4}));
  EXPECT_EQ(w.samples, 8u);
  const auto error = [&](const std::vector<std::pair<int, int>>& rows) {
    const auto bad = fresh_dir("trainer_pos_weights_bad");
    Experiment x = multi_label_experiment(bad, rows);
    data::Dataset b(built_plugins(), x.data.dataset);
    return error_of([&] { label_pos_weights(b, "data.targets"); });
  };
  EXPECT_EQ(error({{1, 0}, {0, 0}}), "positive weights: label 1 of 'data.targets' is 0 in every training sample");
  EXPECT_EQ(error({{1, 0}, {2, 1}}), "positive weights: 'data.targets' of sample 's1' holds 2 at label 0; multi-label targets are 0 or 1");
  std::ofstream(dir / "bad.json") << R"({"extends": "experiment.json", "losses": {"bce": {"pos_weights": "many"}}})";
  const std::string message = error_of([&] { read_experiment(dir / "bad.json"); });
  EXPECT_NE(message.find("'pos_weights' must be a list of numbers (one per label) or \"auto\""), std::string::npos) << message;
}

// Four 4 x 4 label maps (labels 0 to 3) written as .npy, with an experiment reading them into data.seg.
Experiment label_map_experiment(const std::filesystem::path& dir, const std::vector<std::vector<int64_t>>& masks) {
  std::ofstream table(dir / "samples.csv");
  table << "id,mask\n";
  for (size_t i = 0; i < masks.size(); ++i) {
    fuse::testing::write_npy(dir / ("m" + std::to_string(i) + ".npy"), "{'descr': '<i8', 'fortran_order': False, 'shape': (4, 4), }",
                             fuse::testing::bytes(masks[i]));
    table << "s" << i << ",m" << i << ".npy\n";
  }
  table.close();
  std::ofstream(dir / "experiment.json") << R"({"name": "maps", "data": {"source": {"table": "samples.csv", "paths": ["mask"]},
    "static": [{"op": "fuse.io.read_npy", "path_key": "data.mask", "key": "data.seg"}]},
    "model": {"model": "fuse.models.mlp", "in_features": 1, "num_classes": 2, "inputs": ["data.x"], "outputs": ["model.logits"]},
    "losses": {"dice_ce": {"loss": "fuse.losses.dice_ce", "pred": "model.logits", "target": "data.seg", "class_weights": "auto", "dice_class_weights": "auto"}},
    "optimizer": {"name": "adam", "lr": 0.01}, "trainer": {"epochs": 1}})";
  return read_experiment(dir / "experiment.json");
}

// A 4 x 4 map: `ones` pixels of label 1, then `twos` of 2, `threes` of 3, the rest 0.
std::vector<int64_t> label_map(int ones, int twos, int threes) {
  std::vector<int64_t> m(16, 0);
  int p = 0;
  for (const auto& [label, n] : {std::pair{1, ones}, std::pair{2, twos}, std::pair{3, threes}})
    for (int k = 0; k < n; ++k) m[static_cast<size_t>(p++)] = label;
  return m;
}

TEST(ClassWeights, LabelMapsLiftASmallStructureAgainstTheLargestBoundedByThree) {
  const auto dir = fresh_dir("trainer_map_weights");
  // Voxels over the four maps: label 1 16, label 2 4, label 3 1 (background 43).
  Experiment e = label_map_experiment(dir, {label_map(4, 1, 1), label_map(4, 1, 0), label_map(4, 1, 0), label_map(4, 1, 0)});
  ASSERT_EQ(e.losses.size(), 1u);
  EXPECT_EQ(e.losses[0].auto_weights, (std::vector<std::string>{"class_weights", "dice_class_weights"}));
  EXPECT_FALSE(e.losses[0].config.contains("class_weights"));
  data::Dataset d(built_plugins(), e.data.dataset);
  // Background 1; label c sqrt(16 / voxels of c): 1, 2, and 4 bounded to 3.
  const ClassWeights w = class_weights(d, "data.seg");
  EXPECT_TRUE(w.label_maps);
  EXPECT_EQ(w.weights, (std::vector<double>{1, 1, 2, kMaxLabelMapWeight}));
  EXPECT_EQ(w.counts, (std::vector<double>{43, 16, 4, 1}));
  // Regions count their labels' voxels: {1, 2, 3} 21, {2, 3} 5, {3} 1 -> sqrt(21 / voxels), bounded by 3.
  const ClassWeights r = region_weights(w, {{1, 2, 3}, {2, 3}, {3}}, "data.seg");
  EXPECT_EQ(r.counts, (std::vector<double>{21, 5, 1}));
  EXPECT_EQ(r.weights, (std::vector<double>{1, std::sqrt(21.0 / 5), kMaxLabelMapWeight}));
  EXPECT_EQ(error_of([&] { region_weights(w, {{1}, {4, 5}}, "data.seg"); }), "class weights: region 2 of 'data.seg' has no training voxel");
  // Label 3 as the loss's ignore_label (not annotated) is no class: classes 0..2 weighed alone.
  const ClassWeights without = class_weights(d, "data.seg", 3);
  EXPECT_EQ(without.weights, (std::vector<double>{1, 1, 2}));
  EXPECT_EQ(without.counts, (std::vector<double>{43, 16, 4}));

  // Refused, naming the sample and what was expected.
  const auto error = [&](const std::vector<std::vector<int64_t>>& masks) {
    const auto bad = fresh_dir("trainer_map_weights_bad");
    Experiment x = label_map_experiment(bad, masks);
    data::Dataset maps(built_plugins(), x.data.dataset);
    return error_of([&] { class_weights(maps, "data.seg"); });
  };
  EXPECT_EQ(error({label_map(4, 0, 1), label_map(4, 0, 0)}), "class weights: class 2 of 'data.seg' has no training voxel");
  EXPECT_EQ(error({label_map(0, 0, 0), label_map(0, 0, 0)}), "class weights: the label maps 'data.seg' hold only label 0 (background)");
  std::vector<int64_t> negative = label_map(4, 0, 0);
  negative[15] = -1;
  EXPECT_EQ(error({label_map(4, 0, 0), negative}),
            "class weights: 'data.seg' of sample 's1' is neither a class label nor a label map (non-negative integers): its tensor holds -1");
  EXPECT_EQ(error_of([&] { class_weights(d, "data.mask"); }),
            "class weights: 'data.mask' of sample 's0' is neither a class label nor a label map (non-negative integers): it holds a string (\"" +
                (dir / "m0.npy").string() + "\")");
}

TEST(ClassWeights, AutoNeedsAListOrAuto) {
  const auto dir = fresh_dir("trainer_weights_config");
  testing::write_toy(dir);
  std::string text = read_text(dir / "experiment.json");
  const std::string loss = R"("loss": "fuse.losses.cross_entropy",)";
  ASSERT_NE(text.find(loss), std::string::npos);
  text.replace(text.find(loss), loss.size(), loss + R"( "class_weights": "inverse",)");
  std::ofstream(dir / "experiment.json") << text;
  const std::string message = error_of([&] { read_experiment(dir / "experiment.json"); });
  EXPECT_NE(message.find("'class_weights' must be a list of numbers (one per class) or \"auto\""), std::string::npos) << message;
  // With regions there are no classes to weigh in a cross-entropy.
  const std::string inverse = R"("class_weights": "inverse",)";
  text.replace(text.find(inverse), inverse.size(), R"("class_weights": "auto", "regions": [[1, 2], 2],)");
  std::ofstream(dir / "experiment.json") << text;
  const std::string regions = error_of([&] { read_experiment(dir / "experiment.json"); });
  EXPECT_NE(regions.find("'class_weights' weighs the classes of a cross-entropy; with 'regions' the loss has none: \"dice_class_weights\": \"auto\" "
                         "weighs the regions"),
            std::string::npos)
      << regions;
}

// The values of the parameter `name` of the model an experiment builds.
std::vector<float> initial_weights(const std::filesystem::path& experiment, const std::string& name, const Registry& registry = built_plugins()) {
  ModelGraph g = build_model(registry, read_experiment(experiment).model);
  for (const NamedParameter& p : g.parameters()) {
    if (p.name != name) continue;
    const DLTensor& t = *p.parameter.value;
    int64_t n = 1;
    for (int32_t d = 0; d < t.ndim; ++d) n *= t.shape[d];
    const float* v = static_cast<const float*>(t.data);
    return std::vector<float>(v, v + n);
  }
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// The experiment's seed draws the model's initial weights (a model config's own "seed" wins), so runs that
// differ in the seed differ in their weights, not only in their augmentation and order.
TEST(BuildModel, TheExperimentsSeedDrawsTheInitialWeights) {
  const auto dir = fresh_dir("model_seed");
  const std::string mlp = R"({"model": "fuse.models.mlp", "in_features": 2, "hidden": [8], "out_features": 2, "inputs": ["data.features"], "outputs": ["model.logits"]})";
  const std::string with_seed = replaced(mlp, R"("in_features")", R"("seed": 3, "in_features")");
  const auto write = [&](const std::string& name, const std::string& experiment_seed, const std::string& model) {
    std::filesystem::create_directories(dir / name);
    return testing::write_toy(dir / name, replaced(testing::toy_json(model), R"("seed": 3,)", R"("seed": )" + experiment_seed + ","));
  };
  const std::vector<float> seed3 = initial_weights(write("a", "3", mlp), "net.layers.0.weight");
  ASSERT_EQ(seed3.size(), 16u);
  EXPECT_EQ(initial_weights(write("b", "3", mlp), "net.layers.0.weight"), seed3);
  EXPECT_NE(initial_weights(write("c", "4", mlp), "net.layers.0.weight"), seed3);
  // Left out, the model's seed is the experiment's: seed 0 with the model's seed 3 is seed 3; the model's own wins.
  EXPECT_EQ(initial_weights(write("d", "0", with_seed), "net.layers.0.weight"), seed3);
  EXPECT_EQ(initial_weights(write("e", "4", with_seed), "net.layers.0.weight"), seed3);
  // Components draw from the seed plus their position: two equal networks start apart.
  const std::string two = R"({"components": [
      {"name": "a", "model": "fuse.models.mlp", "in_features": 2, "hidden": [8], "out_features": 2, "inputs": ["data.features"], "outputs": ["model.logits"]},
      {"name": "b", "model": "fuse.models.mlp", "in_features": 2, "hidden": [8], "out_features": 2, "inputs": ["data.features"], "outputs": ["model.other"]}]})";
  const auto components = write("f", "3", two);
  EXPECT_EQ(initial_weights(components, "a.layers.0.weight"), seed3);
  EXPECT_EQ(initial_weights(components, "b.layers.0.weight"), initial_weights(write("g", "4", mlp), "net.layers.0.weight"));
}

// A model whose manifest takes no "seed" gets none (its config would refuse it).
TEST(BuildModel, AComponentWithoutASeedFieldIsBuiltWithoutOne) {
  const auto dir = fresh_dir("model_seed_none");
  static const Registry registry(Registry::Options{{fuse::testing::built_plugin_dir(), std::string(FUSE_TEST_PLUGIN_ROOT) + "/testkit"}, {}});
  const auto file = testing::write_toy(dir, testing::toy_json(R"({"model": "test.linear", "w": 1.5})"));
  ModelGraph g = build_model(registry, read_experiment(file).model);
  NDict batch = fuse::testing::sample(R"({"x": [1.0, 2.0]})");
  g.forward(batch, CallContext(false, 0, 0, -1));
  EXPECT_EQ(fuse::testing::values<float>(batch.get<Tensor>("y")), (std::vector<float>{1.5f, 3.0f}));
}

}  // namespace
}  // namespace fuse::train
