// `fuse runs`: run folders written by hand as fuse run writes them (results.json, config.json, settings.json,
// cross_validation.json, seeds.json), listed side by side, the best first.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;


void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// A finished run of the toy experiment: its best epoch's validation values, time and settings.
void write_run(const fs::path& dir, int best_epoch, double auc, double loss, double seconds, const std::string& settings = "") {
  write(dir / "config.json", R"({"name": "toy", "trainer": {"epochs": 6, "monitor": "validation.auc", "mode": "max"}})");
  write(dir / "results.json", R"({"experiment": "toy", "best_epoch": )" + std::to_string(best_epoch) + R"(, "monitor": "validation.auc", "best_value": )" +
                                  std::to_string(auc) + R"(, "validation": {"loss": )" + std::to_string(loss) + R"(, "auc": )" + std::to_string(auc) +
                                  R"(}, "stopped_early": false, "seconds": )" + std::to_string(seconds) + "}");
  if (!settings.empty()) write(dir / "settings.json", R"({"settings": [)" + settings + "]}");
  std::string log = "epoch,validation.auc,seconds\n";  // six epochs trained
  for (int epoch = 1; epoch <= 6; ++epoch) log += std::to_string(epoch) + ",0.5,0.1\n";
  write(dir / "log.csv", log);
}

fs::path write_runs(const std::string& name) {
  const fs::path dir = fresh_dir(name) / "runs";
  write_run(dir / "a", 4, 0.9, 0.3, 1.5, R"("model.hidden=[4]")");
  write_run(dir / "b", 6, 0.95, 0.4, 2, R"("model.hidden=[16]", "trainer.epochs=6")");
  // A cross-validation of 2 folds, recorded with a setting.
  write_run(dir / "cv" / "fold_0", 5, 0.91, 0.33, 1);
  write_run(dir / "cv" / "fold_1", 3, 0.93, 0.37, 1);
  write(dir / "cv" / "settings.json", R"({"settings": ["optimizer.lr=0.01"]})");
  write(dir / "cv" / "cross_validation.json",
        R"({"experiment": "toy", "k": 2, "monitor": "validation.auc", "folds": [{"fold": 0, "run": "fold_0", "seconds": 1, "validation": {"auc": 0.91}},)"
        R"( {"fold": 1, "run": "fold_1", "seconds": 1, "validation": {"auc": 0.93}}], "mean": {"auc": 0.92, "loss": 0.35}, "std": {"auc": 0.01414, "loss": 0.02828}})");
  // Repeated seeds: each seed's own setting left out, the rest shown.
  write_run(dir / "seeds" / "seed_1", 2, 0.8, 0.5, 3, R"("model.hidden=[2]", "seed=1")");
  write_run(dir / "seeds" / "seed_2", 2, 0.84, 0.45, 3, R"("model.hidden=[2]", "seed=2")");
  write(dir / "seeds" / "seeds.json",
        R"({"experiment": "toy", "monitor": "validation.auc", "cross_validation": false, "seeds": [{"seed": 1, "run": "seed_1", "best_epoch": 2, "seconds": 3,)"
        R"( "validation": {"auc": 0.8}}, {"seed": 2, "run": "seed_2", "best_epoch": 2, "seconds": 3, "validation": {"auc": 0.84}}], "mean": {"auc": 0.82, "loss": 0.475},)"
        R"( "std": {"auc": 0.02828, "loss": 0.03536}})");
  // A run stopped after 2 of its 6 epochs, a cross-validation with one of its folds finished, a folder of notes.
  write(dir / "stopped" / "config.json", R"({"name": "toy", "trainer": {"epochs": 6, "mode": "max"}})");
  write(dir / "stopped" / "log.csv", "epoch,train.loss,validation.auc,seconds\n1,0.6,0.7,0.1\n2,0.5,0.8,0.1\n");
  write_run(dir / "cv_part" / "fold_0", 2, 0.5, 0.7, 1);
  write(dir / "cv_part" / "fold_1" / "config.json", R"({"name": "toy"})");
  write(dir / "notes" / "todo.txt", "more seeds\n");
  return dir;
}

// `fuse runs` in the folder that holds `runs`, so that the paths it prints are short.
CommandResult runs_in(const fs::path& dir, const std::string& args) { return run_command("cd '" + dir.string() + "' && '" FUSE_BINARY "' runs " + args); }

TEST(FuseRuns, ListsRunsCrossValidationsAndSeedsBestFirst) {
  const fs::path dir = write_runs("runs_cli_list").parent_path();
  // Ordered by the monitor they share, its mode from their config.json; the unfinished ones last.
  const CommandResult r = runs_in(dir, "runs --csv runs.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "by validation auc, highest first\n"
            "RUN           EXPERIMENT  KIND                                   BEST_EPOCH  AUC             LOSS             SECONDS  SETTINGS\n"
            "runs/b        toy         run                                    6 of 6      0.95            0.4              2        model.hidden=[16] trainer.epochs=6\n"
            "runs/cv       toy         2 folds                                -           0.92 (0.01414)  0.35 (0.02828)   2        optimizer.lr=0.01\n"
            "runs/a        toy         run                                    4 of 6      0.9             0.3              1.5      model.hidden=[4]\n"
            "runs/seeds    toy         2 seeds                                -           0.82 (0.02828)  0.475 (0.03536)  6        model.hidden=[2]\n"
            "runs/cv_part  toy         unfinished (1 of the 2 folds started)  -           -               -                -        -\n"
            "runs/stopped  toy         unfinished (2 epochs logged)           -           -               -                -        -\n"
            "folds and seeds: their mean (sd)\n"
            "wrote runs.csv\n");
  // Every digit, for a spreadsheet.
  EXPECT_EQ(read_text(dir / "runs.csv"),
            "run,experiment,kind,best_epoch,epochs,auc,auc_sd,loss,loss_sd,seconds,settings\n"
            "runs/b,toy,run,6,6,0.95,,0.4,,2,model.hidden=[16] trainer.epochs=6\n"
            "runs/cv,toy,2 folds,,,0.92,0.01414,0.35,0.02828,2,optimizer.lr=0.01\n"
            "runs/a,toy,run,4,6,0.9,,0.3,,1.5,model.hidden=[4]\n"
            "runs/seeds,toy,2 seeds,,,0.82,0.02828,0.475,0.03536,6,model.hidden=[2]\n"
            "runs/cv_part,toy,unfinished (1 of the 2 folds started),,,,,,,,\n"
            "runs/stopped,toy,unfinished (2 epochs logged),,,,,,,,\n");
  // Chosen folders, by another value.
  EXPECT_EQ(runs_in(dir, "runs/a runs/cv --sort loss --ascending").out,
            "by validation loss, lowest first\n"
            "RUN      EXPERIMENT  KIND     BEST_EPOCH  LOSS            AUC             SECONDS  SETTINGS\n"
            "runs/a   toy         run      4 of 6      0.3             0.9             1.5      model.hidden=[4]\n"
            "runs/cv  toy         2 folds  -           0.35 (0.02828)  0.92 (0.01414)  2        optimizer.lr=0.01\n"
            "folds and seeds: their mean (sd)\n");
  // Runs of other monitors share no order: as found.
  write_run(dir / "other", 1, 0.5, 0.2, 1);
  write(dir / "other" / "results.json", R"({"best_epoch": 1, "monitor": "validation.loss", "validation": {"loss": 0.2}, "seconds": 1})");
  const std::string mixed = runs_in(dir, "runs/a other runs/b").out;
  EXPECT_EQ(mixed.substr(0, mixed.find('\n')), "RUN     EXPERIMENT  KIND  BEST_EPOCH  LOSS  AUC   SECONDS  SETTINGS") << mixed;
  EXPECT_LT(mixed.find("runs/a "), mixed.find("other "));
  EXPECT_LT(mixed.find("other "), mixed.find("runs/b "));
}

// Another configuration's seeds and cross-validation against the first's: Welch's t-test over seeds, the
// paired one over folds with Nadeau and Bengio's correction, the difference alone where no test applies.
TEST(FuseRuns, VersusABaselineGivesDifferencesWithIntervals) {
  const fs::path dir = write_runs("runs_cli_versus").parent_path();
  write(dir / "other" / "seeds.json",
        R"({"experiment": "toy", "monitor": "validation.auc", "cross_validation": false, "seeds": [{"seed": 1, "run": "seed_1", "validation": {"auc": 0.86}},)"
        R"( {"seed": 2, "run": "seed_2", "validation": {"auc": 0.9}}], "mean": {"auc": 0.88}, "std": {"auc": 0.02828}})");
  write(dir / "other_cv" / "cross_validation.json",
        R"({"experiment": "toy", "k": 2, "monitor": "validation.auc", "folds": [{"fold": 0, "run": "fold_0", "validation": {"auc": 0.95}},)"
        R"( {"fold": 1, "run": "fold_1", "validation": {"auc": 0.96}}], "mean": {"auc": 0.955}, "std": {"auc": 0.007071}})");
  CommandResult r = runs_in(dir, "runs/seeds other runs/a runs/cv --versus runs/seeds --csv seeds.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Seeds 0.80, 0.84 against 0.86, 0.90: the difference 0.06 with a standard error of sqrt(2 * 0.0008 / 2) on 2
  // degrees of freedom (t(0.975, 2) = 4.302653), p = 1 - t / sqrt(t^2 + 2) for t = 0.06 / se.
  const double se = std::sqrt(0.0008), t = 0.06 / se;
  const auto csv = [&](const std::string& file, const std::string& run) {
    std::istringstream lines(read_text(dir / file));
    std::vector<std::string> cells;
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(run + ",", 0) == 0) {
        std::istringstream in(line);
        for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
      }
    return cells;  // run, experiment, kind, best_epoch, epochs, auc, auc_sd, loss, loss_sd, versus, lower, upper, p, ...
  };
  const std::vector<std::string> other = csv("seeds.csv", "other");
  ASSERT_GE(other.size(), 13u) << read_text(dir / "seeds.csv");
  EXPECT_NEAR(std::stod(other[9]), 0.06, 1e-12);
  EXPECT_NEAR(std::stod(other[10]), 0.06 - 4.302652730 * se, 1e-8);
  EXPECT_NEAR(std::stod(other[11]), 0.06 + 4.302652730 * se, 1e-8);
  EXPECT_NEAR(std::stod(other[12]), 1 - t / std::sqrt(t * t + 2), 1e-9);
  EXPECT_NE(r.out.find("  +0.06 [-0.0617, +0.1817] p=0.1679  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  baseline  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  +0.08 (one run: no interval)  "), std::string::npos) << r.out;  // runs/a: 0.9 - 0.82
  EXPECT_NE(r.out.find("  +0.1 (other kinds of runs: no test)  "), std::string::npos) << r.out;  // runs/cv: 0.92 - 0.82
  EXPECT_NE(r.out.find("\nVS: the difference from the baseline's mean, its 95% interval and p-value: seeds by Welch's t-test, folds paired by fold "
                       "(the same data.folds) with Nadeau and Bengio's correction\n"),
            std::string::npos)
      << r.out;
  // Folds 0.91, 0.93 against 0.95, 0.96: differences 0.04 and 0.03, their variance 0.00005 times 1/2 + 1/1 on
  // 1 degree of freedom (t(0.975, 1) = 12.7062), p = 1 - 2 / pi * atan(t).
  r = runs_in(dir, "runs/cv other_cv --versus runs/cv --csv cv.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double cv_se = std::sqrt(0.00005 * 1.5), cv_t = 0.035 / cv_se;
  const std::vector<std::string> cv = csv("cv.csv", "other_cv");
  ASSERT_GE(cv.size(), 13u) << read_text(dir / "cv.csv");
  EXPECT_NEAR(std::stod(cv[9]), 0.035, 1e-12);
  EXPECT_NEAR(std::stod(cv[11]) - 0.035, 12.70620474 * cv_se, 1e-7);
  EXPECT_NEAR(std::stod(cv[12]), 1 - 2 / M_PI * std::atan(cv_t), 1e-9);
  // Folds of another split (another folds file) do not pair.
  fs::copy(dir / "other_cv", dir / "other_split", fs::copy_options::recursive);
  write(dir / "other_split" / "fold_0" / "config.json",
        R"({"name": "toy", "data": {"source": {"table": "train.csv"}, "folds": {"k": 2, "file": "other_folds.json", "train": [1], "validation": [0]}}})");
  r = runs_in(dir, "runs/cv other_split --versus runs/cv");
  EXPECT_NE(r.out.find("  +0.035 (folds of other cases: no paired test)  "), std::string::npos) << r.out;
  EXPECT_EQ(runs_in(dir, "runs/a runs/b --versus runs/c").err, "fuse: error: --versus runs/c: not one of the runs listed (runs/b, runs/a)\n");
  write(dir / "loss_only" / "results.json", R"({"best_epoch": 1, "monitor": "validation.loss", "validation": {"loss": 0.2}, "seconds": 1})");
  write(dir / "loss_only" / "config.json", R"({"name": "toy"})");
  EXPECT_EQ(runs_in(dir, "runs/a loss_only --versus runs/a").err,
            "fuse: error: --versus compares one validation value and these runs share no monitor: choose it with --sort NAME\n");
}

// The width and height in a PNG's header (IHDR).
std::pair<uint32_t, uint32_t> png_size(const fs::path& file) {
  const std::string bytes = read_text(file);
  if (bytes.size() < 24 || bytes.substr(1, 3) != "PNG") return {0, 0};
  const auto word = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {word(16), word(20)};
}

// Each run's validation value by epoch on one chart; a cross-validation's and seeds' as their mean.
TEST(FuseRuns, CurvesOfTheValueOrderedBy) {
  const fs::path dir = write_runs("runs_cli_curves").parent_path();
  const CommandResult r = runs_in(dir, "runs --curves curves.png");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // a, b, the cross-validation, the seeds and the stopped run logged validation.auc; the unfinished
  // cross-validation's folds are not read.
  EXPECT_NE(r.out.find("\nwrote curves.png (validation auc by epoch: 5 curves)\n"), std::string::npos) << r.out;
  EXPECT_EQ(png_size(dir / "curves.png"), std::make_pair(720u, 540u));
  EXPECT_EQ(runs_in(dir, "runs --sort loss --curves loss.png").err, "fuse: error: --curves: no run logged validation.loss by epoch (log.csv)\n");
  write(dir / "other" / "config.json", R"({"name": "toy"})");
  write(dir / "other" / "results.json", R"({"best_epoch": 1, "monitor": "validation.loss", "validation": {"loss": 0.2}, "seconds": 1})");
  const CommandResult mixed = runs_in(dir, "runs/a other --curves mixed.png");
  EXPECT_EQ(mixed.err, "fuse: error: --curves draws one validation value and these runs share no monitor: choose it with --sort NAME\n");
  EXPECT_EQ(mixed.out, "");  // refused before the table is printed
  EXPECT_FALSE(fs::exists(dir / "mixed.png"));
}

TEST(FuseRuns, BadFoldersAndValuesAreNamed) {
  const fs::path dir = write_runs("runs_cli_bad").parent_path();
  EXPECT_EQ(runs_in(dir, "missing").err, "fuse: error: 'missing': no such folder (give run folders, or a folder of them such as runs)\n");
  EXPECT_EQ(runs_in(dir, "runs/notes").err,
            "fuse: error: 'runs/notes' holds no runs: a run folder has the config.json fuse run writes (a cross-validation's, cross_validation.json; "
            "repeated seeds', seeds.json)\n");
  EXPECT_EQ(runs_in(dir, "runs --sort dice").err, "fuse: error: --sort dice: no run has that validation value (they have: loss, auc)\n");
  // Without a path: ./runs.
  EXPECT_EQ(runs_in(dir, "").exit_code, 0);
  EXPECT_EQ(runs_in(dir / "runs", "").err, "fuse: error: 'runs': no such folder (give run folders, or a folder of them such as runs)\n");
  write(dir / "runs" / "a" / "results.json", R"({"best_epoch": 4})");
  EXPECT_EQ(runs_in(dir, "runs").err, "fuse: error: runs/a/results.json: no 'monitor' (not written by fuse run, or by another version)\n");
  write(dir / "runs" / "a" / "results.json", R"({"best_epoch": 4, "monitor": 3})");
  EXPECT_EQ(runs_in(dir, "runs/a").err, "fuse: error: runs/a/results.json: 'monitor' is not a string (not written by fuse run, or by another version)\n");
  write(dir / "runs" / "a" / "results.json", "{");
  EXPECT_EQ(runs_in(dir, "runs/a").err.rfind("fuse: error: runs/a/results.json: not a JSON object as fuse run writes it (", 0), 0u);
}

}  // namespace
}  // namespace fuse::testing
