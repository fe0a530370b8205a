#include "fuse/train/run_settings.h"

#include <gtest/gtest.h>

#include <fstream>

#include "fuse/train/cross_validation.h"
#include "fuse/train/trainer.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;

using Settings = std::vector<std::string>;

TEST(RunSettings, RecordedFirstThenTheGivenOnesNotAmongThem) {
  const auto dir = fresh_dir("run_settings");
  EXPECT_EQ(recorded_settings(dir), Settings{});  // a run of an older fuse
  EXPECT_EQ(run_settings(dir, {"a=1"}), Settings{"a=1"});
  write_run_settings(dir, {"model.hidden=[4]", "seed=2"});
  EXPECT_EQ(read_text(dir / "settings.json"), "{\n  \"settings\": [\"model.hidden=[4]\", \"seed=2\"]\n}\n");
  EXPECT_EQ(recorded_settings(dir), (Settings{"model.hidden=[4]", "seed=2"}));
  EXPECT_EQ(run_settings(dir, {"seed=2", "trainer.epochs=3", "seed=3"}), (Settings{"model.hidden=[4]", "seed=2", "trainer.epochs=3", "seed=3"}));
}

TEST(RunSettings, AFileOfAnotherShapeIsRefusedNamingIt) {
  const auto dir = fresh_dir("run_settings_bad");
  const std::string message = "'" + (dir / "settings.json").string() +
                              "' is not a run's settings: expected {\"settings\": [\"path=value\", ...]}, as fuse run writes it";
  for (const char* text : {"[\"seed=2\"]", "{\"settings\": \"seed=2\"}", "{\"settings\": [2]}", "{\"settings\": [", "{}"}) {
    std::ofstream(dir / "settings.json") << text;
    EXPECT_EQ(error_of([&] { recorded_settings(dir); }), message) << text;
  }
}

// A run records the values it was started with, a cross-validation in its folder and in each fold's.
TEST(RunSettings, RunsAndCrossValidationsRecordTheirs) {
  const auto dir = fresh_dir("run_settings_runs");
  const auto experiment = testing::write_toy(dir, testing::toy_json("", "", R"({"epochs": 1, "threads": 1, "progress": false})"));
  Trainer(built_plugins(), read_experiment(experiment, Settings{"optimizer.lr=0.01"}), dir / "run").fit(false);
  EXPECT_EQ(recorded_settings(dir / "run"), Settings{"optimizer.lr=0.01"});
  Trainer(built_plugins(), read_experiment(experiment), dir / "plain").fit(false);
  EXPECT_EQ(read_text(dir / "plain" / "settings.json"), "{\n  \"settings\": []\n}\n");
  std::filesystem::create_directories(dir / "cv_experiment");
  const auto folds = testing::write_folds_toy(dir / "cv_experiment");
  CrossValidationOptions options;
  options.folds = {1};  // one fold is enough: the folder records them before any fold trains
  cross_validate(built_plugins(), read_experiment(folds, Settings{"trainer.epochs=1"}), dir / "cv", options);
  EXPECT_EQ(recorded_settings(dir / "cv"), Settings{"trainer.epochs=1"});
  EXPECT_EQ(recorded_settings(dir / "cv" / "fold_1"), Settings{"trainer.epochs=1"});
  EXPECT_FALSE(std::filesystem::exists(dir / "cv" / "fold_0"));
}

}  // namespace
}  // namespace fuse::train
