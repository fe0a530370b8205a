// `fuse runs`: run folders written by hand as fuse run writes them (results.json, config.json, settings.json,
// cross_validation.json, seeds.json), listed side by side, the best first.
#include <gtest/gtest.h>

#include <fstream>

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
        R"({"experiment": "toy", "k": 2, "monitor": "validation.auc", "folds": [{"fold": 0, "run": "fold_0", "seconds": 1}, {"fold": 1, "run": "fold_1",)"
        R"( "seconds": 1}], "mean": {"auc": 0.92, "loss": 0.35}, "std": {"auc": 0.01414, "loss": 0.02828}})");
  // Repeated seeds: each seed's own setting left out, the rest shown.
  write_run(dir / "seeds" / "seed_1", 2, 0.8, 0.5, 3, R"("model.hidden=[2]", "seed=1")");
  write_run(dir / "seeds" / "seed_2", 2, 0.84, 0.45, 3, R"("model.hidden=[2]", "seed=2")");
  write(dir / "seeds" / "seeds.json",
        R"({"experiment": "toy", "monitor": "validation.auc", "cross_validation": false, "seeds": [{"seed": 1, "run": "seed_1", "best_epoch": 2, "seconds": 3},)"
        R"( {"seed": 2, "run": "seed_2", "best_epoch": 2, "seconds": 3}], "mean": {"auc": 0.82, "loss": 0.475}, "std": {"auc": 0.02828, "loss": 0.03536}})");
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
            "runs/stopped  toy         unfinished (2 of 6 epochs)             -           -               -                -        -\n"
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
            "runs/stopped,toy,unfinished (2 of 6 epochs),,,,,,,,\n");
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
  write(dir / "runs" / "a" / "results.json", "{");
  EXPECT_EQ(runs_in(dir, "runs/a").err.rfind("fuse: error: runs/a/results.json: not a JSON object as fuse run writes it (", 0), 0u);
}

}  // namespace
}  // namespace fuse::testing
