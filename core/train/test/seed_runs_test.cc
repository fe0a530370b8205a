#include "fuse/train/seed_runs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <boost/json/parse.hpp>

#include "fuse/json/parse.h"
#include "fuse/train/cross_validation.h"
#include "fuse/train/inference.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;

// Exactly as written (boost::json::parse may round the last digit).
bj::object read_json(const fs::path& file) { return json::parse_exact(read_text(file)).as_object(); }

// The experiment file read again with the seed set, as `fuse run --seeds` does; `stop_after` epochs per call.
std::function<Experiment(uint64_t)> with_seed(const fs::path& file, int64_t stop_after = 0) {
  return [file, stop_after](uint64_t seed) {
    Experiment e = read_experiment(file, {"seed=" + std::to_string(seed)});
    e.trainer.stop_after = stop_after;
    return e;
  };
}

double auc_of(const fs::path& run) { return read_json(run / "results.json").at("validation").at("auc").to_number<double>(); }

TEST(SeedRuns, EachSeedTrainsItsOwnRunThenTheirMeanAndSd) {
  const auto dir = fresh_dir("seeds_all");
  const fs::path file = testing::write_toy(dir);
  std::vector<uint64_t> started;
  SeedRunsOptions options;
  options.on_seed_start = [&](uint64_t seed, size_t index, size_t count) {
    EXPECT_EQ(index, started.size());
    EXPECT_EQ(count, 3u);
    started.push_back(seed);
  };
  const SeedRunsResult r = run_seeds(built_plugins(), {5, 1, 12}, with_seed(file), dir / "runs", options);
  EXPECT_EQ(started, (std::vector<uint64_t>{5, 1, 12}));
  EXPECT_TRUE(r.missing.empty());
  ASSERT_EQ(r.finished.size(), 3u);
  std::vector<double> aucs, losses;
  for (const SeedRun& run : r.finished) {
    EXPECT_EQ(run.dir, dir / "runs" / ("seed_" + std::to_string(run.seed)));
    // The run is an ordinary run folder that records its seed (config.json, settings.json).
    EXPECT_EQ(bj::parse(read_text(run.dir / "config.json")).at("seed").to_number<uint64_t>(), run.seed);
    EXPECT_EQ(read_json(run.dir / "settings.json").at("settings"), (bj::array{bj::string("seed=" + std::to_string(run.seed))}));
    EXPECT_EQ(run.validation.at("auc").to_number<double>(), auc_of(run.dir));
    ASSERT_TRUE(run.best_epoch.has_value());
    EXPECT_EQ(*run.best_epoch + 1, read_json(run.dir / "results.json").at("best_epoch").as_int64());
    aucs.push_back(run.validation.at("auc").to_number<double>());
    losses.push_back(run.validation.at("loss").to_number<double>());
  }
  // Other seeds, other initial weights and sampling order: other losses.
  EXPECT_NE(losses[0], losses[1]);
  EXPECT_NE(losses[1], losses[2]);
  const double mean = (aucs[0] + aucs[1] + aucs[2]) / 3;
  const double sd = std::sqrt(((aucs[0] - mean) * (aucs[0] - mean) + (aucs[1] - mean) * (aucs[1] - mean) + (aucs[2] - mean) * (aucs[2] - mean)) / 2);
  EXPECT_NEAR(r.mean.at("auc").to_number<double>(), mean, 1e-12);
  EXPECT_NEAR(r.std.at("auc").to_number<double>(), sd, 1e-12);
  const bj::object summary = read_json(dir / "runs" / "seeds.json");
  EXPECT_EQ(summary.at("experiment"), "toy");
  EXPECT_EQ(summary.at("monitor"), "validation.auc");
  EXPECT_EQ(summary.at("cross_validation"), false);
  ASSERT_EQ(summary.at("seeds").as_array().size(), 3u);
  EXPECT_EQ(summary.at("seeds").at(0).at("seed"), 5);
  EXPECT_EQ(summary.at("seeds").at(0).at("run"), "seed_5");
  EXPECT_EQ(summary.at("seeds").at(2).at("validation").at("auc").to_number<double>(), aucs[2]);
  EXPECT_NEAR(summary.at("mean").at("loss").to_number<double>(), (losses[0] + losses[1] + losses[2]) / 3, 1e-12);
  EXPECT_NEAR(summary.at("std").at("auc").to_number<double>(), sd, 1e-12);
  // A seed's run is that seed's run: trained alone with the same seed, the same values.
  const SeedRunsResult alone = run_seeds(built_plugins(), {1}, with_seed(file), dir / "alone");
  EXPECT_EQ(alone.finished.at(0).validation, r.finished[1].validation);
  EXPECT_TRUE(alone.std.at("auc").is_null());  // one seed: no spread
  // Exported, a bundle per seed: a deep ensemble, each model's output kept beside their mean.
  EXPECT_EQ(export_bundles(built_plugins(), dir / "runs", dir / "bundles", "best"),
            (std::vector<fs::path>{dir / "bundles" / "seed_5", dir / "bundles" / "seed_1", dir / "bundles" / "seed_12"}));
  NDict input;
  input.set("data.x1", 1.5);
  input.set("data.x2", -1.0);
  const NDict ensemble = Predictor(built_plugins(), {dir / "bundles"}).predict(input);
  const auto score = [](const NDict& out) { return fuse::testing::values<float>(out.get<Tensor>("model.score"))[0]; };
  double sum = 0;
  for (const char* seed : {"seed_1", "seed_5", "seed_12"}) sum += score(Predictor(built_plugins(), {dir / "bundles" / seed}).predict(input));
  EXPECT_NEAR(score(ensemble), sum / 3, 1e-6);
  EXPECT_TRUE(ensemble.has("model.probs_m2"));
  // The commands that take one run's (or folds') validation cases refuse the folder, naming a seed's run.
  EXPECT_EQ(error_of([&] { trained_runs(dir / "runs"); }),
            "'" + (dir / "runs").string() + "' holds one run per seed (fuse run --seeds), trained on the same cases: use one seed's run ('" +
                (dir / "runs" / "seed_1").string() + "')");
}

TEST(SeedRuns, StoppedThenResumedKeepingTheSeedsFinished) {
  const auto dir = fresh_dir("seeds_resume");
  const fs::path file = testing::write_toy(dir);
  // Stopped in the first seed's run: the second is not started, and no summary yet.
  const SeedRunsResult stopped = run_seeds(built_plugins(), {1, 2}, with_seed(file, 2), dir / "runs");
  EXPECT_TRUE(stopped.finished.empty());
  EXPECT_EQ(stopped.missing, (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(fs::exists(dir / "runs" / "seed_1" / "checkpoints" / "last.ckpt"));
  EXPECT_FALSE(fs::exists(dir / "runs" / "seed_2"));
  EXPECT_FALSE(fs::exists(dir / "runs" / "seeds.json"));
  SeedRunsOptions resume;
  resume.resume = true;
  const SeedRunsResult whole = run_seeds(built_plugins(), {1, 2}, with_seed(file), dir / "runs", resume);
  EXPECT_TRUE(whole.missing.empty());
  ASSERT_EQ(whole.finished.size(), 2u);
  // The resumed seed ends where one uninterrupted run of it ends.
  const SeedRunsResult straight = run_seeds(built_plugins(), {1}, with_seed(file), dir / "straight");
  EXPECT_EQ(testing::log_without_seconds(dir / "runs" / "seed_1"), testing::log_without_seconds(dir / "straight" / "seed_1"));
  EXPECT_EQ(whole.finished[0].validation, straight.finished[0].validation);
  // Resumed again: nothing left to train, the same summary; a new seed added trains alone.
  resume.on_seed_start = [](uint64_t seed, size_t, size_t) {
    if (seed != 3) ADD_FAILURE() << "seed " << seed << " trained again";
  };
  EXPECT_EQ(run_seeds(built_plugins(), {1, 2}, with_seed(file), dir / "runs", resume).mean, whole.mean);
  EXPECT_EQ(run_seeds(built_plugins(), {1, 2, 3}, with_seed(file), dir / "runs", resume).finished.size(), 3u);
  // Without resume a finished seed's folder is not overwritten.
  EXPECT_EQ(error_of([&] { run_seeds(built_plugins(), {1}, with_seed(file), dir / "runs"); }).rfind("run folder '" + (dir / "runs" / "seed_1").string() + "' already holds a run", 0),
            0u);
}

TEST(SeedRuns, EachSeedCrossValidated) {
  const auto dir = fresh_dir("seeds_cv");
  const fs::path file = testing::write_folds_toy(dir);
  std::vector<std::pair<uint64_t, int>> trained;
  uint64_t current = 0;
  SeedRunsOptions options;
  options.cross_validate = true;
  options.on_seed_start = [&](uint64_t seed, size_t, size_t) { current = seed; };
  options.on_fold_start = [&](int fold, int k) {
    EXPECT_EQ(k, 3);
    trained.emplace_back(current, fold);
  };
  const SeedRunsResult r = run_seeds(built_plugins(), {1, 2}, with_seed(file), dir / "runs", options);
  EXPECT_EQ(trained, (std::vector<std::pair<uint64_t, int>>{{1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}, {2, 2}}));
  ASSERT_EQ(r.finished.size(), 2u);
  for (const SeedRun& run : r.finished) {
    // A seed's value is its folds' mean; it has no single best epoch.
    const bj::object cv = read_json(run.dir / "cross_validation.json");
    EXPECT_EQ(run.validation, cv.at("mean").as_object());
    EXPECT_FALSE(run.best_epoch.has_value());
    EXPECT_TRUE(fs::exists(run.dir / "evaluation.json"));  // the seed's out-of-fold evaluation
    EXPECT_EQ(bj::parse(read_text(run.dir / "fold_1" / "config.json")).at("seed").to_number<uint64_t>(), run.seed);
  }
  // The same folds for every seed (their file), other weights: other values.
  EXPECT_EQ(bj::parse(read_text(dir / "runs" / "seed_1" / "fold_0" / "config.json")).at("data").at("folds"),
            bj::parse(read_text(dir / "runs" / "seed_2" / "fold_0" / "config.json")).at("data").at("folds"));
  EXPECT_NE(r.finished[0].validation.at("loss"), r.finished[1].validation.at("loss"));
  const bj::object summary = read_json(dir / "runs" / "seeds.json");
  EXPECT_EQ(summary.at("cross_validation"), true);
  EXPECT_FALSE(summary.at("seeds").at(0).as_object().contains("best_epoch"));
  EXPECT_NEAR(summary.at("mean").at("auc").to_number<double>(),
              (r.finished[0].validation.at("auc").to_number<double>() + r.finished[1].validation.at("auc").to_number<double>()) / 2, 1e-12);
  // A cross-validation per seed exports seed by seed (a bundle per fold).
  EXPECT_EQ(error_of([&] { export_bundles(built_plugins(), dir / "runs", dir / "bundles", "best"); }),
            "'" + (dir / "runs").string() + "' holds a cross-validation per seed: export one seed's ('" + (dir / "runs" / "seed_1").string() +
                "', a bundle per fold)");
  // Only some folds in a call: no seed finishes, no summary.
  SeedRunsOptions part;
  part.cross_validate = true;
  part.folds = {0};
  const SeedRunsResult some = run_seeds(built_plugins(), {7, 8}, with_seed(file), dir / "part", part);
  EXPECT_EQ(some.missing, (std::vector<uint64_t>{7, 8}));
  EXPECT_TRUE(fs::exists(dir / "part" / "seed_8" / "fold_0" / "results.json"));
  EXPECT_FALSE(fs::exists(dir / "part" / "seed_8" / "fold_1"));
  EXPECT_FALSE(fs::exists(dir / "part" / "seeds.json"));
}

TEST(SeedRuns, BadSeedsRefused) {
  const auto dir = fresh_dir("seeds_bad");
  const fs::path file = testing::write_toy(dir);
  EXPECT_EQ(error_of([&] { run_seeds(built_plugins(), {}, with_seed(file), dir / "runs"); }), "repeated runs need at least one seed (e.g. 1,2,3)");
  EXPECT_EQ(error_of([&] { run_seeds(built_plugins(), {1, 2, 1}, with_seed(file), dir / "runs"); }), "seed 1 is given twice: each seed trains one run");
  SeedRunsOptions folds;
  folds.folds = {0};
  EXPECT_EQ(error_of([&] { run_seeds(built_plugins(), {1}, with_seed(file), dir / "runs", folds); }),
            "folds chosen without cross-validation: each seed trains one run");
  EXPECT_FALSE(fs::exists(dir / "runs"));
  // A run's results.json that is not one: which file, and what to do.
  fs::create_directories(dir / "broken" / "seed_1");
  std::ofstream(dir / "broken" / "seed_1" / "results.json") << R"({"best_epoch": 2})";
  SeedRunsOptions resume;
  resume.resume = true;
  EXPECT_EQ(error_of([&] { run_seeds(built_plugins(), {1}, with_seed(file), dir / "broken", resume); }),
            (dir / "broken" / "seed_1" / "results.json").string() + ": not the results of a run (out of range); train it again (delete " +
                (dir / "broken" / "seed_1").string() + ")");
}

}  // namespace
}  // namespace fuse::train
