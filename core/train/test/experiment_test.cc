#include "fuse/train/experiment.h"

#include <gtest/gtest.h>

#include <array>
#include <fstream>

#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;

TEST(Experiment, ReadsEverySection) {
  const auto dir = fresh_dir("experiment_read");
  const Experiment e = read_experiment(testing::write_toy(dir));
  EXPECT_EQ(e.name, "toy");
  EXPECT_EQ(e.data.dataset.samples.size(), 64u);
  EXPECT_EQ(e.validation.samples.size(), 32u);
  ASSERT_EQ(e.model.size(), 1u);
  EXPECT_EQ(e.model[0].name, "net");
  EXPECT_EQ(e.model[0].component, "fuse.models.mlp");
  EXPECT_FALSE(e.model[0].config.contains("model"));
  ASSERT_EQ(e.losses.size(), 1u);
  EXPECT_EQ(e.losses[0].config.at("pred").as_string(), "model.logits");
  EXPECT_EQ(e.metrics[0].component, "fuse.metrics.auc");
  EXPECT_EQ(e.optimizer.name, "adam");
  EXPECT_EQ(e.schedule.name, "cosine");
  EXPECT_EQ(e.trainer.epochs, 6);
  EXPECT_TRUE(e.trainer.maximize);
  EXPECT_EQ(e.data.dataset.seed, 3u);  // the experiment's seed
  EXPECT_EQ(e.inference.steps.size(), 2u);  // defaults to the static pipeline
}

// A variant file builds on the experiment ("extends"): what it does not say is the base's, the base's
// relative paths stay the base's, its run gets its own name, and mistakes name the file that holds them.
TEST(Experiment, AVariantExtendsAnotherFile) {
  const auto dir = fresh_dir("experiment_extends");
  testing::write_toy(dir);
  std::filesystem::create_directories(dir / "variants");
  const std::filesystem::path variant = dir / "variants" / "wide.json";
  std::ofstream(variant) << R"({
  "extends": "../experiment.json",
  "model": {"hidden": [32, 16]},
  "trainer": {"epochs": 2}
})";
  const Experiment e = read_experiment(variant);
  EXPECT_EQ(e.name, "wide");  // not the base's "toy": its runs go to runs/wide
  EXPECT_EQ(e.data.dataset.samples.size(), 64u);  // train.csv beside the base file
  EXPECT_EQ(e.validation.samples.size(), 32u);
  EXPECT_EQ(e.model[0].config.at("hidden"), (boost::json::array{32, 16}));
  EXPECT_EQ(e.model[0].component, "fuse.models.mlp");
  EXPECT_EQ(e.trainer.epochs, 2);
  EXPECT_TRUE(e.trainer.maximize);  // the base's "mode": "max"
  EXPECT_FALSE(e.resolved.as_object().contains("extends"));  // the run folder's config.json stands alone
  std::ofstream(variant) << R"({
  "extends": "../experiment.json",
  "trainer": {"epochs": 0}
})";
  EXPECT_EQ(error_of([&] { read_experiment(variant); }), variant.string() + ":3:25: 'epochs' must be >= 1, got 0");
  std::ofstream(variant) << R"({"extends": "../experiment.json", "name": "mine"})";
  EXPECT_EQ(read_experiment(variant).name, "mine");
  testing::write_toy(dir, testing::toy_json("", "", R"({"epochs": 0})"));  // the base's own mistake
  EXPECT_EQ(error_of([&] { read_experiment(variant); }), (dir / "experiment.json").string() + ":20:25: 'epochs' must be >= 1, got 0");
}

TEST(Experiment, MistakesAreLocated) {
  const auto dir = fresh_dir("experiment_bad");
  const std::string file = (dir / "experiment.json").string();
  testing::write_toy(dir, testing::toy_json("", "", R"({"epoch": 3})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:24: unknown field 'epoch' in the trainer; did you mean 'epochs'? (allowed: epochs, monitor, mode, early_stopping, min_delta, "
                   "grad_clip, ema, accumulate, device, mixed_precision, threads, on_nan, progress, stop_after, distributed)");
  const std::filesystem::path misplaced = dir / "misplaced.json";
  std::ofstream(misplaced) << R"({"name": "x", "folds": {"k": 3}})";
  EXPECT_EQ(error_of([&] { read_experiment(misplaced); }),
            misplaced.string() + ":1:24: 'folds' belongs in the experiment's 'data' section: \"data\": {..., \"folds\": ...}");
  std::ofstream(misplaced) << R"({"name": "x", "lr": 0.1})";
  EXPECT_EQ(error_of([&] { read_experiment(misplaced); }),
            misplaced.string() + ":1:21: 'lr' belongs in the experiment's 'optimizer' section: \"optimizer\": {..., \"lr\": ...}");
  testing::write_toy(dir, testing::toy_json("", R"({"ce": {"pred": "model.logits"}})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }), file + ":16:20: missing field 'loss' in loss 'ce'");
  testing::write_toy(dir, testing::toy_json("", "", R"({"monitor": "val.auc"})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:26: 'monitor' must start with \"train.\" or \"validation.\", got \"val.auc\"");
  testing::write_toy(dir, testing::toy_json("", "", R"({"device": "tpu"})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }), file + ":20:25: 'device' must be \"cpu\", \"cuda\" or \"cuda:N\", got \"tpu\"");
  testing::write_toy(dir, testing::toy_json("", "", R"({"distributed": {"bucket_mb": 0}})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }), file + ":20:44: 'bucket_mb' must be >= 0.001, got 0");
  // An evaluation with a target and multi-label labels at once; with neither.
  testing::write_toy(dir, testing::toy_json("", "", "", R"(, "evaluation": {"target": "data.label", "labels": ["data.a", "data.b"], "score": "model.score"})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:155: the evaluation has a 'target' and 'labels': one target, or 0/1 labels (multi-label), not both");
  testing::write_toy(dir, testing::toy_json("", "", "", R"(, "evaluation": {"score": "model.score"})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:120: the evaluation needs 'target' (the key of the target), or 'labels' (multi-label: the keys of 0/1 targets)");
  testing::write_toy(dir, testing::toy_json("", "", R"({"distributed": {"timeout": 10}})"));
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:42: unknown field 'timeout' in the trainer's distributed section; did you mean 'timeout_s'? (allowed: bucket_mb, timeout_s)");
}

TEST(Experiment, OneCycleMomentumIsReadAndChecked) {
  const auto dir = fresh_dir("experiment_momentum");
  const std::string file = (dir / "experiment.json").string();
  const auto with_schedule = [&](const std::string& schedule) {
    std::string json = testing::toy_json();
    json.replace(json.find(R"({"name": "cosine"})"), 18, schedule);
    testing::write_toy(dir, json);
  };
  with_schedule(R"({"name": "one_cycle"})");
  ScheduleSpec s = read_experiment(file).schedule;
  EXPECT_TRUE(s.cycle_momentum);
  EXPECT_EQ(s.momentum, (std::array<double, 2>{0.95, 0.85}));
  with_schedule(R"({"name": "one_cycle", "momentum": [0.9, 0.8], "cycle_momentum": false})");
  s = read_experiment(file).schedule;
  EXPECT_FALSE(s.cycle_momentum);
  EXPECT_EQ(s.momentum, (std::array<double, 2>{0.9, 0.8}));
  with_schedule(R"({"name": "one_cycle", "momentum": [0.95]})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":19:49: 'momentum' must be two numbers in [0, 1): the momentum at the cycle's ends and at its peak rate, e.g. [0.95, 0.85]; "
                   "got [0.95]");
  with_schedule(R"({"name": "one_cycle", "momentum": [1.5, 0.85]})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":19:49: 'momentum' must be two numbers in [0, 1): the momentum at the cycle's ends and at its peak rate, e.g. [0.95, 0.85]; "
                   "got [1.5, 0.85]");
  with_schedule(R"({"name": "cosine", "cycle_momentum": false})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":19:52: 'cycle_momentum' belongs to the one_cycle schedule (this one is 'cosine'); the optimiser's 'momentum' or 'betas' set a "
                   "fixed one");
}

TEST(Experiment, SlidingWindowSettingsAreReadAndChecked) {
  const auto dir = fresh_dir("experiment_window");
  const std::string file = (dir / "experiment.json").string();
  const auto with_window = [&](const std::string& window) {
    testing::write_toy(dir, testing::toy_json("", "", "", R"(, "inference": {"sliding_window": )" + window + "}"));
  };
  with_window(R"({"size": [48, 48, 32], "overlap": 0.5, "blend": "constant", "batch": 4, "pad_value": -1})");
  const SlidingWindowSpec w = read_experiment(file).inference.sliding_window;
  EXPECT_EQ(w.size, (std::vector<int64_t>{48, 48, 32}));
  EXPECT_EQ(w.overlap, 0.5);
  EXPECT_EQ(w.blend, "constant");
  EXPECT_EQ(w.sigma_scale, 0.125);
  EXPECT_EQ(w.batch, 4);
  EXPECT_EQ(w.pad_value, -1);
  with_window(R"({"size": [48]})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:147: 'size' must be the window in voxels, [x, y] or [x, y, z] (positive integers), got [48]");
  with_window(R"({"size": [48, 0, 32]})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:147: 'size' must be the window in voxels, [x, y] or [x, y, z] (positive integers), got [48, 0, 32]");
  with_window(R"({"overlap": 0.5})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:138: missing field 'size' in the inference's sliding window: the window in voxels, [x, y] or [x, y, z]");
  with_window(R"({"size": [8, 8], "overlap": 1})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:166: 'overlap' must be below 1 (the fraction of a window the next one shares; 0.5: half), got 1");
  with_window(R"({"size": [8, 8], "blend": "gauss"})");
  EXPECT_NE(error_of([&] { read_experiment(file); }).find("'blend' must be one of"), std::string::npos);
  with_window(R"({"size": [8, 8], "stride": 4})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":20:165: unknown field 'stride' in the inference's sliding window (allowed: size, overlap, blend, "
                   "sigma_scale, batch, pad_value)");
}

TEST(Experiment, ValidationSettingsAreReadAndChecked) {
  const auto dir = fresh_dir("experiment_validation");
  const std::string file = (dir / "experiment.json").string();
  const auto with_validation = [&](const std::string& validation, const std::string& folds = "") {
    std::string json = testing::toy_json();
    const std::string plain = R"({"table": "validation.csv"})";
    json.replace(json.find(plain), plain.size(), validation);
    if (!folds.empty()) json.replace(json.find(R"("loader")"), 0, folds);
    testing::write_toy(dir, json);
  };
  with_validation(R"({"source": {"table": "validation.csv"}, "dynamic": [], "sliding_window": {"size": [4, 4]}})");
  Experiment e = read_experiment(file);
  EXPECT_EQ(e.validation.samples.size(), 32u);
  ASSERT_TRUE(e.validation.dynamic_steps.has_value());
  EXPECT_TRUE(e.validation.dynamic_steps->empty());
  EXPECT_FALSE(e.validation.static_steps.has_value());
  EXPECT_EQ(e.validation.batch_size, 1);  // whole volumes one at a time
  EXPECT_EQ(e.validation.sliding_window.size, (std::vector<int64_t>{4, 4}));
  // Without a source: the folds' validation split, with the section's settings.
  with_validation(R"({"batch_size": 16})", R"("folds": {"k": 4, "file": "folds.json"}, )");
  e = read_experiment(file);
  EXPECT_FALSE(e.validation.has_source);
  EXPECT_EQ(e.validation.batch_size, 16);
  EXPECT_TRUE(e.validation.sliding_window.size.empty());
  EXPECT_EQ(e.trainer.monitor, "validation.auc");

  with_validation(R"({"batch_size": 16})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:17: the validation data has no samples: give it a 'source' ({\"table\": ...}), or split the data into folds (data.folds)");
  with_validation(R"({"source": {"table": "validation.csv"}, "batch_size": 2, "sliding_window": {"size": [4, 4]}})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:71: 'batch_size' must be 1 with a sliding window (each volume is cut into windows; 'sliding_window.batch' sets how many "
                   "run at once), got 2");
  with_validation(R"({"source": {"table": "validation.csv"}, "sliding_window": {"overlap": 0.5}})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:75: missing field 'size' in the validation's sliding window: the window in voxels, [x, y] or [x, y, z]");
  with_validation(R"({"source": {"table": "validation.csv"}, "static": [{"op": "fuse.ops.copy", "apply_probability": 0.5}]})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:113: 'apply_probability': static steps are cached, so they cannot be random: move the step to the dynamic pipeline");
  with_validation(R"({"source": {"table": "validation.csv"}, "window": {"size": [4, 4]}})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:67: unknown field 'window' in the validation data (allowed: source, static, dynamic, batch_size, sliding_window, slices)");
}

TEST(Experiment, SlicesSettingsAreReadAndChecked) {
  const auto dir = fresh_dir("experiment_slices");
  const std::string file = (dir / "experiment.json").string();
  const auto with = [&](const std::string& validation, const std::string& inference) {
    std::string json = testing::toy_json("", "", "", R"(, "inference": )" + inference);
    const std::string plain = R"({"table": "validation.csv"})";
    json.replace(json.find(plain), plain.size(), validation);
    testing::write_toy(dir, json);
  };
  with(R"({"source": {"table": "validation.csv"}, "slices": {"axis": "y", "batch": 4}})", R"({"slices": {"axis": "z"}})");
  const Experiment e = read_experiment(file);
  EXPECT_EQ(e.validation.slices.axis, "y");
  EXPECT_EQ(e.validation.slices.batch, 4);
  EXPECT_EQ(e.validation.batch_size, 1);  // whole volumes one at a time
  EXPECT_EQ(e.inference.slices.axis, "z");
  EXPECT_EQ(e.inference.slices.batch, 16);
  with(R"({"source": {"table": "validation.csv"}, "batch_size": 2, "slices": {"axis": "z"}})", "{}");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:71: 'batch_size' must be 1 with 'slices' (each volume is cut into its slices; 'slices.batch' sets how many run at once), got 2");
  with(R"({"source": {"table": "validation.csv"}, "slices": {"batch": 2}})", "{}");
  EXPECT_EQ(error_of([&] { read_experiment(file); }),
            file + ":12:67: missing field 'axis' in the validation's slices: the axis the slices cross, \"z\" (axial), \"y\" or \"x\"");
  with(R"({"source": {"table": "validation.csv"}})", R"({"slices": {"axis": "t"}})");
  EXPECT_EQ(error_of([&] { read_experiment(file); }), file + ":20:139: 'axis' must be one of 'z', 'y', 'x', got 't'");
  with(R"({"source": {"table": "validation.csv"}})", R"({"slices": {"axis": "z"}, "sliding_window": {"size": [4, 4]}})");
  const std::string both = error_of([&] { read_experiment(file); });
  EXPECT_NE(both.find(": 'sliding_window' and 'slices' are two ways to predict a whole volume; choose one"), std::string::npos) << both;
}

TEST(Experiment, DistributedSettings) {
  const auto dir = fresh_dir("experiment_distributed");
  testing::write_toy(dir, testing::toy_json("", "", R"({"distributed": {"bucket_mb": 4, "timeout_s": 60}})"));
  const Experiment e = read_experiment(dir / "experiment.json");
  EXPECT_EQ(e.trainer.bucket_mb, 4);
  EXPECT_EQ(e.trainer.timeout_s, 60);
}

}  // namespace
}  // namespace fuse::train
