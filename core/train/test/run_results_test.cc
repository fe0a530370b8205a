#include "fuse/train/run_results.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <boost/json/parse.hpp>

#include "fuse/train/trainer.h"
#include "segmentation_toy.h"
#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;

const char* const kPerPixel = R"({"model": "fuse.models.segmentation_head", "dims": 2, "in_channels": 1, "num_classes": 2,
                                  "inputs": ["data.x"], "outputs": ["model.logits", "model.probs"]})";

void fit(const std::filesystem::path& experiment, const std::filesystem::path& run) {
  Trainer t(built_plugins(), read_experiment(experiment), run);
  t.fit(false);
}

// Class 1's Dice of two label maps.
double dice(const std::vector<int64_t>& pred, const std::vector<uint8_t>& target) {
  double both = 0, p = 0, t = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    both += pred[i] == 1 && target[i] == 1;
    p += pred[i] == 1;
    t += target[i] == 1;
  }
  return 2 * both / (p + t);
}

// Each validation image alone through the best model: its prediction at its own size, its loss (whose mean over
// the batches of one is the best epoch's validation loss) and its own Dice (computed here from the maps).
TEST(RunResults, EachValidationSampleWithItsPredictionLossAndMetrics) {
  const auto dir = fresh_dir("run_results_seg");
  const auto experiment = testing::write_segmentation_toy(dir, kPerPixel, R"({"batch_size": 1})");
  fit(experiment, dir / "run");
  const boost::json::object results = boost::json::parse(read_text(dir / "run" / "results.json")).as_object();
  RunResults r(built_plugins(), experiment, dir / "run");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r.id(0), "s12");
  EXPECT_EQ(r.epoch(), results.at("best_epoch").as_int64());
  const std::vector<std::vector<int64_t>> shapes{{1, 9, 12}, {1, 6, 3}, {1, 10, 7}, {1, 7, 11}};
  std::vector<std::string> ids;
  double losses = 0;
  r.run({0, 1, 2, 3}, [&](SampleResult&& s) {
    ids.push_back(s.id);
    EXPECT_EQ(s.batch.get<Tensor>("model.seg").shape(), shapes[s.index]) << s.id;
    EXPECT_EQ(s.sample.get<Tensor>("data.x").shape(), (std::vector<int64_t>{1, shapes[s.index][1], shapes[s.index][2]})) << s.id;
    losses += s.loss;
    ASSERT_EQ(s.metrics.size(), 1u);
    EXPECT_EQ(s.metrics[0].first, "dice");
    std::vector<uint8_t> target;
    for (int64_t y : fuse::testing::values<int64_t>(s.batch.get<Tensor>("data.y"))) target.push_back(static_cast<uint8_t>(y));
    EXPECT_NEAR(s.metrics[0].second, dice(fuse::testing::values<int64_t>(s.batch.get<Tensor>("model.seg")), target), 1e-9) << s.id;
  });
  EXPECT_EQ(ids, (std::vector<std::string>{"s12", "s13", "s14", "s15"}));
  EXPECT_NEAR(losses / 4, results.at("validation").at("loss").to_number<double>(), 1e-6);
  // Any order, any subset: the same sample gives the same numbers.
  double again = 0;
  r.run({2}, [&](SampleResult&& s) { again = s.loss; });
  double first = 0;
  r.run({0, 2}, [&](SampleResult&& s) {
    if (s.index == 2) first = s.loss;
  });
  EXPECT_EQ(again, first);
}

// A run trained with --set values is shown with them: its folder records them (settings.json), so they need not
// be given again. A run of an older fuse, without the record, must be given them.
TEST(RunResults, TheRunsSettingsRebuildItsModel) {
  const auto dir = fresh_dir("run_results_settings");
  const auto experiment = testing::write_segmentation_toy(dir, kPerPixel, R"({"batch_size": 1})");
  Trainer(built_plugins(), read_experiment(experiment, std::vector<std::string>{"model.hidden=4"}), dir / "run").fit(false);
  const auto shows_the_run = [&](const RunResultsOptions& options) {
    RunResults r(built_plugins(), experiment, dir / "run", options);
    EXPECT_EQ(r.experiment().model.at(0).config.at("hidden"), 4);
    size_t shown = 0;
    r.run({0, 1}, [&](SampleResult&& s) { shown += std::isfinite(s.loss); });
    EXPECT_EQ(shown, 2u);
  };
  shows_the_run({});
  shows_the_run({"best", "cpu", {"model.hidden=4"}});  // given again: the same
  std::filesystem::remove(dir / "run" / "settings.json");
  EXPECT_EQ(error_of([&] { RunResults(built_plugins(), experiment, dir / "run"); }),
            "'" + (dir / "run").string() + "' was trained with another experiment than '" + experiment.string() +
                "' gives: model.hidden is absent there and 4 in the run's config.json; give the experiment file the run was trained from, with the --set "
                "values it was trained with");
  shows_the_run({"best", "cpu", {"model.hidden=4"}});
}

// With the inference's test-time flips, each case is predicted as fuse infer predicts it: a per-pixel model gives
// the same probabilities flipped and flipped back, so any misplaced flip would show.
TEST(RunResults, TestTimeFlipsAreFlippedBackBeforeTheirMean) {
  const auto dir = fresh_dir("run_results_tta");
  const auto experiment = testing::write_segmentation_toy(dir, kPerPixel, R"({"batch_size": 1})");
  fit(experiment, dir / "run");
  const auto probabilities = [&](const RunResultsOptions& options) {
    RunResults r(built_plugins(), experiment, dir / "run", options);
    std::vector<std::vector<float>> out;
    r.run({0, 1, 2}, [&](SampleResult&& s) { out.push_back(fuse::testing::values<float>(s.batch.get<Tensor>("model.probs"))); });
    return out;
  };
  const auto plain = probabilities({});
  RunResultsOptions flipped{"best", "cpu", {"inference.tta=[[0], [1], [0, 1]]"}, true};
  EXPECT_EQ(RunResults(built_plugins(), experiment, dir / "run", flipped).experiment().inference.tta.flips.size(), 3u);
  const auto averaged = probabilities(flipped);
  ASSERT_EQ(averaged.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    ASSERT_EQ(averaged[i].size(), plain[i].size());
    for (size_t k = 0; k < plain[i].size(); ++k) EXPECT_NEAR(averaged[i][k], plain[i][k], 1e-6) << i << " " << k;
  }
}

TEST(RunResults, BadRunsAndExperimentsAreNamed) {
  const auto dir = fresh_dir("run_results_bad");
  const auto experiment = testing::write_segmentation_toy(dir, kPerPixel, R"({"batch_size": 1})");
  EXPECT_EQ(error_of([&] { RunResults(built_plugins(), experiment, dir / "none"); }),
            "'" + (dir / "none").string() + "' holds no checkpoints/best.ckpt: train it first (fuse run " + experiment.string() + " --out " +
                (dir / "none").string() + ")");
  EXPECT_EQ(error_of([&] { RunResults(built_plugins(), experiment, dir / "none", {"first", "cpu", {}}); }), "checkpoint must be 'best' or 'last', got 'first'");
  fit(experiment, dir / "run");
  // Another model (a hidden layer) than the one trained.
  const std::string conv = R"({"model": "fuse.models.segmentation_head", "dims": 2, "in_channels": 1, "num_classes": 2, "hidden": 4,
                               "inputs": ["data.x"], "outputs": ["model.logits", "model.probs"]})";
  const auto other = fresh_dir("run_results_other");
  const std::string message = error_of([&] { RunResults(built_plugins(), testing::write_segmentation_toy(other, conv, R"({"batch_size": 1})"), dir / "run"); });
  EXPECT_NE(message.find("' gives: model.hidden is 4 there and absent in the run's config.json; "), std::string::npos) << message;
  // Other validation steps than the run's: scores of inputs the model never saw. Which cases and how they are
  // predicted (windows, batches) may differ.
  const auto with_validation = [&](const std::string& name, const std::string& validation) {
    std::string text = read_text(experiment);
    const std::string was = R"("validation": {"batch_size": 1})";
    text.replace(text.find(was), was.size(), R"("validation": )" + validation);
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  const auto steps = with_validation("steps.json", R"({"batch_size": 1, "static": [{"op": "fuse.io.read_npy", "path_key": "data.image", "key": "data.x"},
                                                                              {"op": "fuse.io.read_npy", "path_key": "data.mask", "key": "data.y"}]})");
  const std::string other_steps = error_of([&] { RunResults(built_plugins(), steps, dir / "run"); });
  EXPECT_EQ(other_steps.rfind("'" + (dir / "run").string() + "' was trained with another experiment than '" + steps.string() +
                                  "' gives: validation.static is [{\"op\": \"fuse.io.read_npy\", ",
                              0),
            0u)
      << other_steps;
  EXPECT_NE(other_steps.find(", {\"op\"... there"), std::string::npos) << other_steps;  // long values cut
  EXPECT_EQ(other_steps.substr(other_steps.find(" there and absent")), " there and absent in the run's config.json; give the experiment file the run was trained from")
      << other_steps;
  EXPECT_EQ(RunResults(built_plugins(), with_validation("windows.json", R"({"batch_size": 1, "sliding_window": {"size": [4, 4], "batch": 3}})"), dir / "run").size(), 4u);
  // The checkpoint of another model, where the run's config.json does not say so (a run folder put together by
  // hand): the loading names it.
  std::filesystem::copy_file(dir / "run" / "config.json", dir / "config_kept.json");
  std::filesystem::remove(dir / "run" / "config.json");
  const std::string loaded = error_of([&] { RunResults(built_plugins(), other / "experiment.json", dir / "run"); });
  EXPECT_NE(loaded.find(" (a run of another experiment?)"), std::string::npos) << loaded;
  std::filesystem::copy_file(dir / "config_kept.json", dir / "run" / "config.json");
  // Without validation data there is nothing to show.
  std::string text = read_text(experiment);
  const auto cut = [&](const std::string& part, const std::string& by) { text.replace(text.find(part), part.size(), by); };
  cut(R"("folds": {"k": 4, "file": "folds.json", "train": [0, 1, 2], "validation": [3]},)", "");
  cut(R"("validation": {"batch_size": 1},)", "");
  cut(R"("trainer": {)", R"("trainer": {"monitor": "train.loss", )");
  std::ofstream(dir / "no_validation.json") << text;
  EXPECT_EQ(error_of([&] { RunResults(built_plugins(), dir / "no_validation.json", dir / "run"); }),
            (dir / "no_validation.json").string() + " has no validation data ('validation' or 'folds'): there are no validation results to show");
}

}  // namespace
}  // namespace fuse::train
