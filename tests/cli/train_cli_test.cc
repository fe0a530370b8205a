// fuse run / export / infer end to end (a classifier, and the 3D segmentation example writing its labels back onto
// the input's grid), and a run killed with SIGKILL mid-epoch resumed with --resume.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "fuse/base/strings.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

CommandResult fuse(const std::string& args) {
  static const fs::path empty_home = fresh_dir("train_cli_home");
  return run_command("env -u FUSE_PLUGIN_PATH XDG_DATA_HOME='" + empty_home.string() + "' '" FUSE_BINARY "' " + args);
}

std::string without_seconds(const std::string& log) {
  std::string out;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

TEST(FuseRun, TrainsExportsAndInfers) {
  const fs::path dir = fresh_dir("train_cli_run");
  const fs::path experiment = fuse::train::testing::write_toy(
      dir, fuse::train::testing::toy_json("", "", "", R"(,
  "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}, "ci": {"rounds": 200, "seed": 1}})"));
  const CommandResult run = fuse("run '" + experiment.string() + "' --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("best epoch "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(": validation.auc = "), std::string::npos) << run.out;
  // The evaluation's headline metric with its interval.
  EXPECT_NE(run.out.find("evaluation: auc = "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("] 95%\n"), std::string::npos) << run.out;
  const boost::json::object results = boost::json::parse(read_text(dir / "run" / "results.json")).as_object();
  EXPECT_GE(results.at("validation").at("auc").as_double(), 0.95);
  // Each validation sample's loss on its own (fastMONAI's top losses): the cross-entropy of its score.
  std::istringstream predictions(read_text(dir / "run" / "predictions.csv"));
  std::string line;
  std::getline(predictions, line);
  EXPECT_EQ(line, "id,data.label,model.score,loss");
  int rows = 0;
  while (std::getline(predictions, line)) {
    std::istringstream cells(line);
    std::string id, label, score, loss;
    std::getline(cells, id, ','), std::getline(cells, label, ','), std::getline(cells, score, ','), std::getline(cells, loss, ',');
    const double p = std::stod(score);
    EXPECT_NEAR(std::stod(loss), -std::log(label == "1" ? p : 1 - p), 1e-4 * std::max(1.0, std::stod(loss))) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 32);
  ASSERT_EQ(fuse("export '" + (dir / "run").string() + "' --out '" + (dir / "bundle").string() + "'").exit_code, 0);
  // A test table laid out as the training one: every row predicted, then evaluated against its label.
  const std::string infer = "infer '" + (dir / "bundle").string() + "'";
  const CommandResult test = fuse(infer + " --table '" + (dir / "validation.csv").string() + "' --out '" + (dir / "test").string() + "'");
  ASSERT_EQ(test.exit_code, 0) << test.err;
  EXPECT_EQ(test.out.rfind("predicted 32 of 32 inputs in ", 0), 0u) << test.out;
  EXPECT_NE(test.out.find("\nevaluation: auc = "), std::string::npos) << test.out;
  EXPECT_NE(test.out.find("\nwrote " + (dir / "test" / "predictions.csv").string() + ", evaluation.json, report.html\n"), std::string::npos) << test.out;
  const std::string predicted = read_text(dir / "test" / "predictions.csv");
  EXPECT_EQ(predicted.substr(0, predicted.find('\n')),
            "id,data.x1,data.x2,data.label,model.logits_0,model.logits_1,model.probs_0,model.probs_1,model.score");
  EXPECT_EQ(std::count(predicted.begin(), predicted.end(), '\n'), 33);
  EXPECT_EQ(fuse(infer + " --input a.npy --input b.npy").err,
            "fuse: --out: needed with several inputs, a --folder or a --table: the folder for predictions.csv and the outputs\n"
            "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  const CommandResult both = fuse(infer + " --table t.csv --output x.nii.gz --out d");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(both.err.rfind("fuse: --output: names the file of one --input; with several inputs, a --folder or a --table give --out DIR\n", 0), 0u) << both.err;
  const CommandResult none = fuse(infer);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err.rfind("fuse: --input FILE (repeatable), --folder DIR or --table FILE is required\n", 0), 0u) << none.err;
  const CommandResult two_ways = fuse(infer + " --input a.npy --folder d --out o");
  EXPECT_EQ(two_ways.exit_code, 2);
  EXPECT_EQ(two_ways.err.rfind("fuse: --input excludes --folder\n", 0), 0u) << two_ways.err;
  EXPECT_EQ(fuse("run '" + experiment.string() + "' --out '" + (dir / "run").string() + "'").err,
            "fuse: error: run folder '" + (dir / "run").string() + "' already holds a run (checkpoints/last.ckpt); continue it with --resume, or choose "
            "another --out\n");
  const CommandResult bad = fuse("run '" + (dir / "missing.json").string() + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("missing.json"), std::string::npos) << bad.err;
  EXPECT_EQ(fuse("run").exit_code, 2);
}

// LibTorch splits a backward's sums by its thread count: the command that continues a run repeats --threads
// (and --epochs), results.json records the count, and a resume with another one says what it changes.
TEST(FuseRun, AResumeWithAnotherThreadCountSaysSo) {
  const fs::path dir = fresh_dir("train_cli_threads");
  const fs::path experiment = fuse::train::testing::write_toy(dir);
  const std::string run = "run '" + experiment.string() + "' --epochs 3 --out '" + (dir / "run").string() + "'";
  const CommandResult first = fuse(run + " --threads 1 --stop-after 1");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("stopped after 1 epoch(s); continue with: fuse run " + experiment.string() + " --epochs 3 --threads 1 --out " +
                           (dir / "run").string() + " --resume\n"),
            std::string::npos)
      << first.out;
  const CommandResult resumed = fuse(run + " --threads 2 --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming with 2 LibTorch threads where the run used 1: the model's sums split by thread count, so the run continues "
                             "in other last digits than it would have (losses ~1e-4 apart); --threads 1 continues it exactly\n"),
            std::string::npos)
      << resumed.err;
  EXPECT_EQ(boost::json::parse(read_text(dir / "run" / "results.json")).at("threads"), 2);
}

// --set replaces or adds values of the experiment for this run (a sweep without copies of the file): the run
// folder's config.json holds them and its settings.json lists them, so a resume needs them not; the command
// that continues the run repeats them all the same, and a bad value is named by its setting.
TEST(FuseRun, SetChangesTheExperimentForOneRun) {
  const fs::path dir = fresh_dir("train_cli_set");
  const fs::path experiment = fuse::train::testing::write_toy(dir);
  const std::string run = "run '" + experiment.string() + "' --set trainer.epochs=3 --set 'model.hidden=[4, 3]' --set schedule.name=constant";
  const CommandResult first = fuse(run + " --stop-after 1 --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("stopped after 1 epoch(s); continue with: fuse run " + experiment.string() +
                           " --set trainer.epochs=3 --set 'model.hidden=[4, 3]' --set schedule.name=constant --out " + (dir / "run").string() +
                           " --resume\n"),
            std::string::npos)
      << first.out;
  // The run folder records the values (settings.json): resumed without them, it goes on with them.
  const CommandResult resumed = fuse("run '" + experiment.string() + "' --out '" + (dir / "run").string() + "' --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const boost::json::object config = boost::json::parse(read_text(dir / "run" / "config.json")).as_object();
  EXPECT_EQ(config.at("model").at("hidden"), (boost::json::array{4, 3}));
  EXPECT_EQ(config.at("trainer").at("epochs"), 3);
  EXPECT_EQ(config.at("schedule").at("name"), "constant");
  std::istringstream log(read_text(dir / "run" / "log.csv"));
  std::vector<std::string> rows;
  for (std::string line; std::getline(log, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4u);  // the header and 3 epochs
  for (size_t epoch = 1; epoch <= 3; ++epoch)  // the constant schedule keeps the optimiser's lr (cosine would lower it)
    EXPECT_EQ(rows[epoch].substr(0, rows[epoch].find(',', 2)), std::to_string(epoch) + ",0.05") << rows[epoch];
  const std::string bad = "run '" + experiment.string() + "' --out '" + (dir / "bad").string() + "'";
  // A component's config is checked as a whole, at the component: its location names the setting.
  const std::string wide = fuse(bad + " --set model.hidden=wide").err;
  EXPECT_EQ(wide.rfind("fuse: error: " + experiment.string() + ":", 0), 0u) << wide;
  EXPECT_NE(wide.find(" (with --set model.hidden): model component 'net': component 'fuse.models.mlp': config 'hidden' must be an array of integers, "
                      "got string \"wide\"\n"),
            std::string::npos)
      << wide;
  EXPECT_EQ(fuse(bad + " --set trainer.epochs.max=3").err, "fuse: error: --set trainer.epochs.max: 'trainer.epochs' is 6, not an object or a list\n");
  EXPECT_EQ(fuse(bad + " --set epochs").err, "fuse: error: --set 'epochs': expected name=value\n");
  EXPECT_EQ(fuse(bad + " --set trainer.epochs=0").err, "fuse: error: --set trainer.epochs: 'epochs' must be >= 1, got 0\n");
  const std::string typo = fuse(bad + " --set trainer.epoch=3").err;
  EXPECT_EQ(typo.rfind("fuse: error: --set trainer.epoch: unknown field 'epoch' in the trainer; did you mean 'epochs'? (allowed: epochs, ", 0), 0u) << typo;
}

TEST(FuseRun, CrossValidatesOverTheFoldsAndEvaluatesTheOutOfFoldPredictions) {
  const fs::path dir = fresh_dir("train_cli_cv");
  std::string json = fuse::train::testing::toy_json("", "", R"({"epochs": 3, "monitor": "validation.auc", "mode": "max", "threads": 1})", R"(,
  "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}})");
  const std::string own_validation = R"("validation": {"table": "validation.csv"},)";
  json.erase(json.find(own_validation), own_validation.size());
  json.insert(json.find(R"("loader")"), R"("folds": {"k": 3, "file": "folds.json"}, )");
  const fs::path experiment = fuse::train::testing::write_toy(dir, json);
  const std::string args = "run '" + experiment.string() + "' --cross-validate --no-progress --out '" + (dir / "cv").string() + "'";
  // Two jobs: fold 1 alone, then the others with the summary.
  const CommandResult one = fuse(args + " --folds 1");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, "== fold 1 (2 of 3): validated on fold 1, trained on the others\n1 of 3 folds finished; fold(s) 0, 2 still to train: the summary comes "
                     "once every fold has run (fuse run " + experiment.string() + " --cross-validate --out " + (dir / "cv").string() + " --resume)\n");
  EXPECT_EQ(fuse("choose-postprocess '" + experiment.string() + "' '" + (dir / "cv").string() + "'").err,
            "fuse: error: '" + (dir / "cv").string() + "' is a cross-validation that has not finished (no cross_validation.json): finish it (`fuse run EXPERIMENT " +
                "--cross-validate --out " + (dir / "cv").string() + "` resumes it), or use one fold's run ('" + (dir / "cv" / "fold_1").string() + "')\n");
  const CommandResult all = fuse(args + " --resume");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out.find("== fold 1"), std::string::npos) << all.out;  // finished: not trained again
  std::istringstream lines(all.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "== fold 0 (1 of 3): validated on fold 0, trained on the others");
  std::getline(lines, line);
  EXPECT_EQ(line, "== fold 2 (3 of 3): validated on fold 2, trained on the others");
  std::getline(lines, line);
  EXPECT_EQ(line.substr(0, line.find("AUC")), "FOLD  BEST_EPOCH  ") << all.out;
  const boost::json::object summary = boost::json::parse(read_text(dir / "cv" / "cross_validation.json")).as_object();
  for (int f = 0; f < 3; ++f) {
    std::getline(lines, line);
    EXPECT_EQ(line.substr(0, 2), std::to_string(f) + " ") << all.out;
    EXPECT_EQ(summary.at("folds").at(f).at("fold"), f);
  }
  std::getline(lines, line);
  EXPECT_EQ(line.substr(0, 5), "mean ") << all.out;
  std::getline(lines, line);
  EXPECT_EQ(line.substr(0, 3), "sd ") << all.out;
  std::getline(lines, line);
  EXPECT_EQ(line, "out-of-fold predictions of 3 folds:");
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("evaluation: auc = ", 0), 0u) << all.out;
  EXPECT_NE(all.out.find("cross-validation folder: " + (dir / "cv").string() + " (cross_validation.json, fold_0 ... fold_2, evaluation.json, report.html)"),
            std::string::npos);
  EXPECT_EQ(all.out.find("next: fuse choose-postprocess"), std::string::npos) << all.out;  // a classifier has no label maps to clean
  EXPECT_EQ(fuse("run '" + experiment.string() + "' --folds 1").err, "fuse: error: --folds chooses folds to cross-validate: add --cross-validate\n");
  EXPECT_EQ(fuse(args + " --folds 5").err, "fuse: error: fold 5 is not one of the experiment's 3 folds (0 to 2)\n");
  // A classifier has no label maps to clean.
  EXPECT_EQ(fuse("choose-postprocess '" + experiment.string() + "' '" + (dir / "cv").string() + "'").err,
            "fuse: error: " + experiment.string() + " has no validation metric on label maps (fuse.metrics.segmentation) whose Dice could judge the post-processing\n");
  EXPECT_EQ(fuse("show-results '" + experiment.string() + "' '" + (dir / "cv").string() + "'").err,
            "fuse: error: '" + (dir / "cv").string() + "' is a cross-validation: show one fold's run ('" + (dir / "cv" / "fold_0").string() + "')\n");
  // The folds' bundles in one export, and their folder as an ensemble.
  const CommandResult exported = fuse("export '" + (dir / "cv").string() + "' --out '" + (dir / "bundles").string() + "'");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_EQ(exported.out, "wrote 3 bundles, one per fold: fold_0 fold_1 fold_2 in " + (dir / "bundles").string() + " (an ensemble: fuse infer " +
                              (dir / "bundles").string() + " ...)\n");
  const CommandResult inferred = fuse("infer '" + (dir / "bundles").string() + "' --table '" + (dir / "validation.csv").string() + "' --out '" +
                                      (dir / "ensemble").string() + "'");
  ASSERT_EQ(inferred.exit_code, 0) << inferred.err;
  const std::string header = read_text(dir / "ensemble" / "predictions.csv").substr(0, read_text(dir / "ensemble" / "predictions.csv").find('\n'));
  EXPECT_NE(header.find("model.probs_m2_1"), std::string::npos) << header;
  EXPECT_EQ(header.find("model.probs_m3_1"), std::string::npos) << header;
}

// --seeds: one run per seed, each an ordinary run folder recording its seed, then their table; stopped and
// resumed like one run; the folder itself is no run for the commands that take one.
TEST(FuseRun, RepeatsTheRunOncePerSeed) {
  const fs::path dir = fresh_dir("train_cli_seeds");
  const fs::path experiment = fuse::train::testing::write_toy(dir);
  const std::string out = (dir / "seeds").string();
  const std::string args = "run '" + experiment.string() + "' --seeds 4,2 --set trainer.epochs=3 --no-progress --out '" + out + "'";
  const CommandResult stopped = fuse(args + " --stop-after 1");
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_EQ(stopped.out, "== seed 4 (1 of 2)\nstopping after 1 epoch(s) as asked; continue with --resume\n0 of 2 seeds finished; seed(s) 4,2 still to train: the summary comes once every seed has run (fuse run " +
                             experiment.string() + " --set trainer.epochs=3 --seeds 4,2 --out " + out + " --resume)\n");
  const CommandResult all = fuse(args + " --resume");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.err.find("[warning]"), std::string::npos) << all.err;  // nothing in the file fixes a seed
  std::istringstream lines(all.out);
  std::string line;
  for (const char* expected : {"== seed 4 (1 of 2)", "resuming after epoch 1 of 3", "== seed 2 (2 of 2)"}) {
    std::getline(lines, line);
    EXPECT_EQ(line, expected) << all.out;
  }
  const boost::json::value summary = boost::json::parse(read_text(dir / "seeds" / "seeds.json"));
  std::getline(lines, line);
  EXPECT_EQ(line.substr(0, line.find("AUC")), "SEED  BEST_EPOCH  ") << all.out;
  for (size_t i = 0; i < 2; ++i) {
    const boost::json::value& run = summary.at("seeds").at(i);
    std::getline(lines, line);
    EXPECT_EQ(line.substr(0, 7), std::string(i == 0 ? "4" : "2") + "     " + std::to_string(run.at("best_epoch").as_int64())) << all.out;
    // Each an ordinary run folder with its seed and the settings given.
    const fs::path folder = dir / "seeds" / std::string(run.at("run").as_string());
    EXPECT_EQ(boost::json::parse(read_text(folder / "config.json")).at("seed"), run.at("seed"));
    EXPECT_EQ(boost::json::parse(read_text(folder / "config.json")).at("trainer").at("epochs"), 3);
  }
  for (const char* label : {"mean ", "sd "}) {
    std::getline(lines, line);
    EXPECT_EQ(line.substr(0, std::string(label).size()), label) << all.out;
  }
  std::getline(lines, line);
  EXPECT_EQ(line, "seeds folder: " + out + " (seeds.json, seed_4 ... seed_2)");
  std::getline(lines, line);
  EXPECT_EQ(line, "next: fuse runs " + out + " OTHER --versus " + out + " (another configuration's seeds against these: the difference with a t-test's interval)");
  // A seed's run exports as any run, the folder as a bundle per seed (a deep ensemble); a command that takes a
  // run's validation cases refuses the folder, naming a seed's run to use.
  EXPECT_EQ(fuse("export '" + (dir / "seeds" / "seed_2").string() + "' --out '" + (dir / "bundle").string() + "'").exit_code, 0);
  EXPECT_EQ(fuse("export '" + out + "' --out '" + (dir / "bundles").string() + "'").out,
            "wrote 2 bundles, one per seed: seed_4 seed_2 in " + (dir / "bundles").string() + " (an ensemble: fuse infer " + (dir / "bundles").string() + " ...)\n");
  EXPECT_EQ(fuse("show-results '" + experiment.string() + "' '" + out + "'").err,
            "fuse: error: '" + out + "' holds one run per seed (fuse run --seeds), trained on the same cases: use one seed's run ('" +
                (dir / "seeds" / "seed_2").string() + "')\n");
  // Listed beside other runs by `fuse runs`: the seeds' mean and sd, the settings they share.
  const CommandResult listed = fuse("runs '" + out + "' '" + (dir / "seeds" / "seed_4").string() + "'");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string row = listed.out.substr(listed.out.find("\n" + out + " ") + 1);
  EXPECT_NE(row.substr(0, row.find('\n')).find(" 2 seeds "), std::string::npos) << listed.out;
  EXPECT_NE(row.substr(0, row.find('\n')).find(" trainer.epochs=3"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\n" + (dir / "seeds" / "seed_4").string() + " "), std::string::npos) << listed.out;
  // Seeds the file fixes are named: they stay the same across the runs.
  std::string pinned = read_text(experiment);
  pinned.replace(pinned.find(R"("source")"), 0, R"("seed": 7, )");
  pinned.replace(pinned.find(R"("out_features": 2,)"), 0, R"("seed": 1, )");
  std::ofstream(dir / "pinned.json") << pinned;
  const CommandResult fixed = fuse("run '" + (dir / "pinned.json").string() + "' --seeds 1 --set trainer.epochs=1 --no-progress --out '" +
                                   (dir / "pinned").string() + "'");
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_NE(fixed.err.find("] " + (dir / "pinned.json").string() + ": data.seed fixes the augmentations and the sampling order, so the seeds' runs "
                           "differ in their initial weights only (remove data.seed to vary them too)\n"),
            std::string::npos)
      << fixed.err;
  EXPECT_NE(fixed.err.find("] " + (dir / "pinned.json").string() + ": model component 'net' sets its own seed, so every seed's run starts from the "
                           "same initial weights (remove it to draw them from each run's seed)\n"),
            std::string::npos)
      << fixed.err;
  EXPECT_EQ(fuse("run '" + experiment.string() + "' --seeds 1,2 --set seed=5").err,
            "fuse: error: --seeds sets the experiment's seed of each run: drop --set seed=5\n");
  EXPECT_EQ(fuse("run '" + experiment.string() + "' --seeds 1,1 --out '" + (dir / "twice").string() + "'").err,
            "fuse: error: seed 1 is given twice: each seed trains one run\n");
  const CommandResult word = fuse("run '" + experiment.string() + "' --seeds one");
  EXPECT_EQ(word.exit_code, 2);
  EXPECT_NE(word.err.find("--seeds"), std::string::npos) << word.err;
}

// An example's experiment as shipped, with its data folder (and any other text) replaced.
fs::path example_copy(const std::string& name, const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& replacements,
                      const std::string& file = "experiment.json") {
  std::string text = read_text(fs::path(FUSE_EXAMPLES_DIR) / name / file);
  for (const auto& [from, to] : replacements)
    for (size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  std::ofstream(dir / file) << text;
  return dir / file;
}

// The classification examples as shipped train on a little of their data (so they cannot rot unnoticed).
TEST(FuseRun, ClassificationExamplesTrainOnSmallData) {
  const fs::path nodules = fresh_dir("train_cli_nodule3d");
  ASSERT_EQ(run_command("'" FUSE_MAKE_NODULES "' '" + (nodules / "data").string() + "' 64 32").exit_code, 0);
  const fs::path nodule_experiment = example_copy("nodule3d", nodules, {{"../../build/examples/nodule3d", (nodules / "data").string()}});
  CommandResult run = fuse("run '" + nodule_experiment.string() + "' --epochs 1 --no-progress --out '" + (nodules / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("evaluation: auc = "), std::string::npos) << run.out;
  EXPECT_TRUE(fs::exists(nodules / "run" / "report.html"));

  const fs::path digits = fresh_dir("train_cli_mnist");
  ASSERT_EQ(run_command("'" FUSE_MAKE_MNIST "' '" + (digits / "data").string() + "' 256 64").exit_code, 0);
  const fs::path mnist_experiment = example_copy("mnist", digits, {{"../../build/examples/mnist", (digits / "data").string()},
                                                                  {"\"count\": 12000", "\"count\": 256"},
                                                                  {"\"count\": 2000", "\"count\": 64"}});
  run = fuse("run '" + mnist_experiment.string() + "' --epochs 1 --no-progress --out '" + (digits / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": validation.accuracy = "), std::string::npos) << run.out;
}

// The clinical example as shipped, on a small table: the fitted imputation and scaling go into config.json and
// the bundle, the evaluation comes per site, and the bundle scores the held-out table (empty cells kept empty).
TEST(FuseRun, TheClinicalExampleFitsItsPreprocessingAndScoresTheTestTable) {
  const fs::path dir = fresh_dir("train_cli_clinical");
  ASSERT_EQ(run_command("'" FUSE_MAKE_CLINICAL "' '" + (dir / "data").string() + "' 200 60").exit_code, 0);
  const fs::path experiment = example_copy("clinical", dir, {{"../../build/examples/clinical", (dir / "data").string()}});
  CommandResult run = fuse("run '" + experiment.string() + "' --epochs 2 --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const size_t fitted = run.out.find("fitted static pipeline step 2 (" + experiment.string() + ":");
  ASSERT_NE(fitted, std::string::npos) << run.out;
  EXPECT_NE(run.out.find("): fuse.ops.nan_to_num on 'data.psa': nan ", fitted), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: auc = "), std::string::npos) << run.out;
  const bj::value config = bj::parse(read_text(dir / "run" / "config.json"));
  const bj::array& imputed = config.at("data").at("static").at(1).at("repeat").as_array();
  ASSERT_EQ(imputed.size(), 3u);
  EXPECT_EQ(imputed[2].at("keys").at(0).as_string(), "data.psa");
  EXPECT_NEAR(imputed[2].at("nan").as_double(), 1.5, 0.3);  // log(PSA): PSAs around 4.5
  const bj::value evaluation = bj::parse(read_text(dir / "run" / "evaluation.json"));
  EXPECT_EQ(evaluation.at("groups").at("data.site").as_object().size(), 3u);  // north, south, east
  EXPECT_EQ(bj::serialize(config.at("data").at("static").at(3).at("categories")), R"(["east","north","south"])");  // fitted, sorted
  EXPECT_EQ(config.at("model").at("in_features").as_int64(), 7);  // taken from a training batch
  EXPECT_NE(run.out.find("model component 'net': in_features 7 (the size of 'data.features' from dimension 1 on"), std::string::npos) << run.out;

  // Validation data of one class: the AUC is undefined every epoch, so the last epoch stands in for the best, said
  // so, and the run is left unevaluated rather than failed.
  {
    std::ifstream in(dir / "data" / "train.csv");
    std::ofstream out(dir / "data" / "negatives.csv");
    std::string row;
    std::getline(in, row);
    out << row << "\n";
    for (int kept = 0; std::getline(in, row) && kept < 30;)
      if (split(row, ',')[6] == "0") out << row << "\n", ++kept;  // the label column
  }
  std::ofstream(dir / "negatives.json") << R"({"extends": "experiment.json", "name": "negatives", "validation": {"source": {"table": "data/negatives.csv"}}})";
  run = fuse("run '" + (dir / "negatives.json").string() + "' --epochs 2 --no-progress --out '" + (dir / "negatives").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("'validation.auc' was undefined (NaN) in every epoch, so no epoch was chosen: the last one's weights are the run's best.ckpt"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("best epoch 2: validation.auc = nan\nnot evaluated: metric 'auc' "), std::string::npos) << run.out;
  EXPECT_TRUE(fs::exists(dir / "negatives" / "checkpoints" / "best.ckpt"));
  EXPECT_FALSE(fs::exists(dir / "negatives" / "evaluation.json"));

  // A patient from a site the training folds never saw: all zeros in the site's one-hot ("unknown": "zeros").
  std::ofstream(dir / "data" / "test.csv", std::ios::app) << "w1,west,60,27,4.5,0,1,3.0,1\n";
  ASSERT_EQ(fuse("export '" + (dir / "run").string() + "' --out '" + (dir / "bundle").string() + "'").exit_code, 0);
  run = fuse("infer '" + (dir / "bundle").string() + "' --table '" + (dir / "data" / "test.csv").string() + "' --out '" + (dir / "test").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("predicted 61 of 61 inputs"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: auc = "), std::string::npos) << run.out;
  // An ensemble with a bundle whose preprocessing was fitted on other training rows (another fold's bundle;
  // here the same bundle with another imputed PSA): each model runs its own bundle's, said once.
  fs::copy(dir / "bundle", dir / "other_bundle", fs::copy_options::recursive);
  bj::value other = bj::parse(read_text(dir / "other_bundle" / "bundle.json"));
  other.at("experiment").at("data").at("static").at(1).at("repeat").at(2).as_object()["nan"] = 1.7;
  std::ofstream(dir / "other_bundle" / "bundle.json") << bj::serialize(other);
  setenv("FUSE_LOG_LEVEL", "info", 1);  // a note, not a warning
  CommandResult both = fuse("infer '" + (dir / "bundle").string() + "' '" + (dir / "other_bundle").string() + "' --table '" +
                            (dir / "data" / "test.csv").string() + "' --out '" + (dir / "ensemble").string() + "'");
  unsetenv("FUSE_LOG_LEVEL");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_NE(both.err.find("ensemble of 2 models whose bundles' inference steps differ (e.g. statistics fitted on other training folds): each model runs "
                          "its own bundle's; the first 1 inference steps, which they share, run once per input"),
            std::string::npos)
      << both.err;
  EXPECT_EQ(run.err.find("ensemble of"), std::string::npos);  // one bundle: nothing to say
  ASSERT_EQ(fuse("infer '" + (dir / "other_bundle").string() + "' --table '" + (dir / "data" / "test.csv").string() + "' --out '" +
                 (dir / "other_alone").string() + "'")
                .exit_code,
            0);
  // The second model's probabilities are the other bundle's alone; they differ from the first's where PSA was imputed.
  const auto column = [&](const fs::path& file, const std::string& name) {
    std::istringstream lines(read_text(file));
    std::string row;
    std::getline(lines, row);
    const std::vector<std::string_view> header = split(row, ',');
    const size_t at = static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    EXPECT_LT(at, header.size()) << name << " in " << file;
    std::vector<std::string> cells;
    while (std::getline(lines, row)) cells.emplace_back(at < header.size() ? split(row, ',').at(at) : "");
    return cells;
  };
  const std::vector<std::string> m1 = column(dir / "ensemble" / "predictions.csv", "model.probs_m1_1");
  EXPECT_EQ(m1, column(dir / "other_alone" / "predictions.csv", "model.probs_1"));
  const std::vector<std::string> m0 = column(dir / "ensemble" / "predictions.csv", "model.probs_m0_1");
  EXPECT_EQ(m0, column(dir / "test" / "predictions.csv", "model.probs_1"));
  const std::vector<std::string> psa = column(dir / "ensemble" / "predictions.csv", "data.psa");
  ASSERT_EQ(m0.size(), psa.size());
  size_t without_psa = 0;
  for (size_t i = 0; i < m0.size(); ++i) {
    EXPECT_EQ(m0[i] != m1[i], psa[i].empty()) << i;
    without_psa += psa[i].empty();
  }
  EXPECT_GT(without_psa, 0u);
  const std::string predictions = read_text(dir / "test" / "predictions.csv");
  EXPECT_EQ(predictions.substr(0, predictions.find('\n')),
            "id,data.site,data.age,data.bmi,data.psa,data.smoker,data.label,data.time,data.event,model.logits_0,model.logits_1,model.probs_0,model.probs_1,"
            "model.score");
  EXPECT_NE(predictions.find(",,"), std::string::npos);  // an empty cell of the table, kept
  EXPECT_NE(predictions.find("\nw1,west,60,"), std::string::npos) << predictions;

  // survival.json, extending it: a Cox model scored by the C-index.
  const fs::path survival = example_copy("clinical", dir, {{"../../build/examples/clinical", (dir / "data").string()}}, "survival.json");
  run = fuse("run '" + survival.string() + "' --epochs 2 --no-progress --out '" + (dir / "survival").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": validation.c_index = 0."), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: c_index = 0."), std::string::npos) << run.out;  // time and event written beside the risk
  EXPECT_NE(run.out.find("evaluation: survival_auc = 0."), std::string::npos) << run.out;  // at 5 years
  const std::string survival_predictions = read_text(dir / "survival" / "predictions.csv");
  EXPECT_EQ(survival_predictions.substr(0, survival_predictions.find('\n')),
            "id,data.event,model.risk,loss,data.site,data.time,model.free_5y,model.free_curve_0,model.free_curve_1,model.free_curve_2,model.free_curve_3,"
            "model.free_curve_4,model.free_curve_5,model.free_curve_6,model.free_curve_7");
  // The probabilities from the baseline hazard fitted after training, scored for calibration and Brier score.
  EXPECT_NE(run.out.find("evaluation: calibration_5y.calibration_error = 0."), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: brier_5y.brier_skill = "), std::string::npos) << run.out;
  const std::string survival_report = read_text(dir / "survival" / "report.html");
  EXPECT_NE(survival_report.find("<img alt=\"Kaplan-Meier curves by predicted risk, km\""), std::string::npos);
  EXPECT_EQ(survival_report.find("<img alt=\"ROC curve"), std::string::npos);  // a risk against the event alone, ignoring its time: left out
  // fuse eval --html draws them for a C-index too, on its times and events.
  std::ofstream(dir / "c_index.json") << R"({"target": "data.event", "score": "model.risk",
    "metrics": {"c_index": {"component": "c_index", "config": {"time": "data.time", "event": "data.event"}}}})";
  run = fuse("eval --predictions '" + (dir / "survival" / "predictions.csv").string() + "' --config '" + (dir / "c_index.json").string() + "' --html '" +
             (dir / "c_index.html").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(read_text(dir / "c_index.html").find("<img alt=\"Kaplan-Meier curves by predicted risk, km\""), std::string::npos);

  // survival_discrete.json: a discrete-time model, its bins fitted to the training folds' times; predictions in
  // years and 5-year progression-free probabilities, in the run and from its bundle.
  const fs::path discrete = example_copy("clinical", dir, {}, "survival_discrete.json");
  run = fuse("run '" + discrete.string() + "' --epochs 2 --out '" + (dir / "discrete").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("fuse.ops.time_bins on 'data.time': max "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: c_index = 0."), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: survival_auc = 0."), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: calibration_5y.calibration_error = 0."), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: brier_5y.brier_skill = "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("evaluation: ibs = "), std::string::npos) << run.out;  // the curve, read from its 8 columns
  EXPECT_NE(read_text(dir / "discrete" / "report.html").find("<img alt=\"survival calibration, calibration_5y\""), std::string::npos);
  const std::string discrete_predictions = read_text(dir / "discrete" / "predictions.csv");
  EXPECT_EQ(discrete_predictions.substr(0, discrete_predictions.find('\n')), "id,data.event,model.years,loss,data.site,data.time,model.free_5y,model.free_curve_0,model.free_curve_1,model.free_curve_2,model.free_curve_3,"
            "model.free_curve_4,model.free_curve_5,model.free_curve_6,model.free_curve_7");
  ASSERT_EQ(fuse("export '" + (dir / "discrete").string() + "' --out '" + (dir / "discrete_bundle").string() + "'").exit_code, 0);
  run = fuse("infer '" + (dir / "discrete_bundle").string() + "' --table '" + (dir / "data" / "test.csv").string() + "' --out '" +
             (dir / "discrete_test").string() + "' --no-progress");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("evaluation: c_index = 0."), std::string::npos) << run.out;
  const std::string test_predictions = read_text(dir / "discrete_test" / "predictions.csv");
  EXPECT_NE(test_predictions.substr(0, test_predictions.find('\n')).find(",model.years,model.free_5y"), std::string::npos) << test_predictions.substr(0, 400);

  // multilabel.json: both outcomes at once, each label scored alone with the macro and micro averages; across
  // folds (out of fold) and on the test table too.
  const fs::path multilabel = example_copy("clinical", dir, {{"../../build/examples/clinical", (dir / "data").string()}}, "multilabel.json");
  run = fuse("run '" + multilabel.string() + "' --epochs 2 --no-progress --out '" + (dir / "multilabel").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": validation.auc = 0."), std::string::npos) << run.out;  // the labels' mean AUC picks the epoch
  for (const char* line : {"evaluation: auc.data.label = 0.", "evaluation: auc.data.event = 0.", "evaluation: auc.micro = 0.", "evaluation: auc.macro = 0."})
    EXPECT_NE(run.out.find(line), std::string::npos) << line << "\n" << run.out;
  const std::string multilabel_predictions = read_text(dir / "multilabel" / "predictions.csv");
  EXPECT_EQ(multilabel_predictions.substr(0, multilabel_predictions.find('\n')), "id,data.label,data.event,model.probs_0,model.probs_1,loss,data.site");
  run = fuse("run '" + multilabel.string() + "' --cross-validate --epochs 1 --no-progress --out '" + (dir / "multilabel_cv").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(bj::parse(read_text(dir / "multilabel_cv" / "evaluation.json")).at("metrics").as_object().contains("auc.macro"));
  ASSERT_EQ(fuse("export '" + (dir / "multilabel").string() + "' --out '" + (dir / "multilabel_bundle").string() + "'").exit_code, 0);
  run = fuse("infer '" + (dir / "multilabel_bundle").string() + "' --table '" + (dir / "data" / "test.csv").string() + "' --out '" +
             (dir / "multilabel_test").string() + "' --no-progress");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("evaluation: auc.macro = 0."), std::string::npos) << run.out;
}

// seg3d's 2D variant as shipped, for one epoch on small volumes: slices in training, whole volumes in validation.
TEST(FuseRun, TheSlicesExampleTrainsOnSmallVolumes) {
  const fs::path dir = fresh_dir("train_cli_slices_example");
  // 64 voxels at 0.8 or 1 mm resample to 32 or 40 at 1.6 mm: sizes the 3-level UNet halves twice.
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 64 64 20").exit_code, 0);
  const fs::path experiment = example_copy("seg3d", dir, {{"../../build/examples/seg3d", (dir / "data").string()}}, "slices2d.json");
  const CommandResult run = fuse("run '" + experiment.string() + "' --epochs 1 --no-progress --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": validation.dice = "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\nnext: fuse choose-postprocess " + experiment.string() + " " + (dir / "run").string() +
                         " (keeps the largest components where that raises the validation Dice), then fuse export " + (dir / "run").string() + " --out BUNDLE\n"),
            std::string::npos)
      << run.out;
}

// seg3d's 3d_lowres variant as shipped, beside the full-resolution one, for one epoch on small volumes: their
// outputs lie on other grids, so choose-ensemble scores the lowres model and the pair on the first's grid, and
// fuse infer averages the two after resampling the lowres probabilities onto it.
TEST(FuseRun, TheLowresExampleEnsemblesWithTheFullResolutionOne) {
  const fs::path dir = fresh_dir("train_cli_lowres_example");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 64 64 20").exit_code, 0);
  const std::vector<std::pair<std::string, std::string>> data{{"../../build/examples/seg3d", (dir / "data").string()}};
  const fs::path full = example_copy("seg3d", dir, data, "experiment.json"), low = example_copy("seg3d", dir, data, "lowres3d.json");
  for (const auto& [experiment, run] : {std::pair{full, "full"}, std::pair{low, "low"}}) {
    const CommandResult trained = fuse("run '" + experiment.string() + "' --epochs 1 --no-progress --out '" + (dir / run).string() + "'");
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    ASSERT_EQ(fuse("export '" + (dir / run).string() + "' --out '" + (dir / run).string() + "_bundle'").exit_code, 0);
  }
  const CommandResult chosen =
      fuse("choose-ensemble '" + full.string() + "' '" + (dir / "full").string() + "' '" + low.string() + "' '" + (dir / "low").string() + "' --no-progress");
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_NE(chosen.out.find("\non the grid of " + (dir / "full").string() + ": " + (dir / "low").string() + ", " + (dir / "full").string() + " + " +
                            (dir / "low").string() + " (outputs resampled onto it, then scored against its labels)\n"),
            std::string::npos)
      << chosen.out;
  // The experiments swapped: each run was trained with the other's spacing, which would score it on inputs it
  // never saw.
  EXPECT_EQ(fuse("choose-ensemble '" + low.string() + "' '" + (dir / "full").string() + "' '" + full.string() + "' '" + (dir / "low").string() + "'").err,
            "fuse: error: '" + (dir / "full").string() + "' was trained with another experiment than '" + low.string() +
                "' gives: data.static.3.spacing.0 is 2.4 there and 1.6 in the run's config.json; give the experiment file the run was trained from\n");
  // A run trained with --set values is compared with them (its folder records them): choose-ensemble takes none.
  const CommandResult narrow = fuse("run '" + full.string() + "' --set 'model.channels=[4, 8, 16]' --epochs 1 --no-progress --out '" + (dir / "narrow").string() + "'");
  ASSERT_EQ(narrow.exit_code, 0) << narrow.err;
  const CommandResult with_set =
      fuse("choose-ensemble '" + full.string() + "' '" + (dir / "narrow").string() + "' '" + low.string() + "' '" + (dir / "low").string() + "' --no-progress");
  EXPECT_EQ(with_set.exit_code, 0) << with_set.err;
  const CommandResult inferred = fuse("infer '" + (dir / "full_bundle").string() + "' '" + (dir / "low_bundle").string() + "' --table '" +
                                      (dir / "data" / "test.csv").string() + "' --out '" + (dir / "test").string() + "' --no-progress");
  ASSERT_EQ(inferred.exit_code, 0) << inferred.err;
  EXPECT_NE(inferred.out.find("evaluation: dice = "), std::string::npos) << inferred.out;
}

// examples/seg3d/cascade3d.json as its comments run it: lowres3d.json cross-validated, its out-of-fold
// segmentations beside the table, the cascade trained on them, and the test table segmented by both stages.
TEST(FuseRun, TheCascadeExampleTrainsOnTheLowresOutOfFoldSegmentations) {
  const fs::path dir = fresh_dir("train_cli_cascade_example");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 64 64 20").exit_code, 0);
  const std::vector<std::pair<std::string, std::string>> data{{"../../build/examples/seg3d", (dir / "data").string()}};
  example_copy("seg3d", dir, data, "experiment.json");  // what cascade3d.json extends
  const fs::path low = example_copy("seg3d", dir, data, "lowres3d.json"), cascade = example_copy("seg3d", dir, data, "cascade3d.json");
  const auto at = [&](const std::string& name) { return "'" + (dir / name).string() + "'"; };
  ASSERT_EQ(fuse("run '" + low.string() + "' --epochs 1 --cross-validate --no-progress --out " + at("low_cv")).exit_code, 0);
  ASSERT_EQ(fuse("export " + at("low_cv") + " --out " + at("low_bundles")).exit_code, 0);
  CommandResult r = fuse("infer " + at("low_bundles") + " --out-of-fold --table " + at("data/train.csv") + " --out " + at("data/lowres_oof") + " --no-progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = fuse("run '" + cascade.string() + "' --epochs 1 --no-progress --out " + at("cascade"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("validation.dice = "), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export " + at("cascade") + " --out " + at("cascade_bundle")).exit_code, 0);
  r = fuse("infer " + at("cascade_bundle") + " --previous-stage " + at("low_bundles") + " --table " + at("data/test.csv") + " --out " + at("test") +
           " --no-progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("previous stage: " + (dir / "low_bundles").string() + " predicted 2 inputs into " + (dir / "test" / "previous_stage").string(), 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("\nevaluation: dice = "), std::string::npos) << r.out;
}

// A 2D model on the slices of volumes: the static pipeline splits each volume into its axial slices and keeps
// those with foreground; the dataset, its cache, the folds and the class-balanced sampler (from each volume's
// table row) see the slices. Validation predicts whole volumes slice by slice (volume Dice), and so does the
// exported bundle, writing a 3D label map. Without 'inference.steps', export refuses the splitting steps.
TEST(FuseRun, TrainsOnSlicesAndPredictsWholeVolumes) {
  const fs::path dir = fresh_dir("train_cli_slices");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 24 24 12").exit_code, 0);
  std::ofstream(dir / "experiment.json") << R"({
  "name": "slices",
  "data": {
    "source": {"table": "data/train.csv", "paths": ["image", "mask"]},
    "static": [
      {"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
      {"op": "fuse.io.read_medical", "path_key": "data.mask", "key": "data.seg", "dtype": "uint8"},
      {"op": "fuse.medical.rescale", "keys": ["data.ct"], "in_min": -200, "in_max": 300},
      {"split": {"keys": ["data.ct", "data.seg"], "axis": 1}},
      {"op": "fuse.ops.reduce", "key": "data.seg", "out": "data.foreground", "reduce": "count_nonzero", "greater_than": 0},
      {"keep_if": "data.foreground"}
    ],
    "cache": "cache",
    "folds": {"k": 4, "stratify": "data.lesion", "group": "data.patient", "file": "folds.json", "train": [0, 1, 2], "validation": [3]},
    "loader": {"batch_size": 8, "workers": 2, "sampler": {"balance": "data.lesion"}, "collate": {"skip": ["data.ct_meta", "data.seg_meta"]}}
  },
  "validation": {"static": [
      {"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
      {"op": "fuse.io.read_medical", "path_key": "data.mask", "key": "data.seg", "dtype": "uint8"},
      {"op": "fuse.medical.rescale", "keys": ["data.ct"], "in_min": -200, "in_max": 300}],
    "slices": {"axis": "z", "batch": 6}},
  "model": {"model": "fuse.models.unet", "dims": 2, "in_channels": 1, "num_classes": 3, "channels": [4, 8],
            "inputs": ["data.ct"], "outputs": ["model.logits", "model.probs"]},
  "postprocess": [{"op": "fuse.ops.argmax", "key": "model.probs", "out": "model.seg", "axis": 1}],
  "losses": {"dice_ce": {"loss": "fuse.losses.dice_ce", "pred": "model.logits", "target": "data.seg"}},
  "metrics": {"dice": {"metric": "fuse.metrics.segmentation", "pred": "model.seg", "target": "data.seg", "num_classes": 3,
                       "output": "mean_dice", "on": ["validation"]}},
  "optimizer": {"name": "adamw", "lr": 0.01},
  "trainer": {"epochs": 1, "monitor": "validation.dice", "mode": "max", "threads": 2},
  "inference": {
    "input_key": "data.image",
    "steps": [{"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
              {"op": "fuse.medical.rescale", "keys": ["data.ct"], "in_min": -200, "in_max": 300}],
    "slices": {"axis": "z"},
    "write": [{"op": "fuse.io.write_medical", "key": "model.seg", "geometry_from": "data.ct", "label": true, "dtype": "uint8",
               "path": "{data.output_path}"}]
  }
})";
  const std::string experiment = "'" + (dir / "experiment.json").string() + "'";
  const CommandResult built = fuse("cache build " + experiment + " --threads 2");
  ASSERT_EQ(built.exit_code, 0) << built.err;
  // "cache <folder>: <n> samples from 8 source samples": fewer than 8 x 12 slices, more than 8.
  const size_t at = built.out.find(": ");
  ASSERT_NE(at, std::string::npos) << built.out;
  const int slices = std::stoi(built.out.substr(at + 2));
  EXPECT_GT(slices, 8) << built.out;
  EXPECT_LT(slices, 8 * 12) << built.out;
  EXPECT_NE(built.out.find(" samples from 8 source samples"), std::string::npos) << built.out;
  const CommandResult shown = fuse("data show " + experiment + " --n 3 --out '" + (dir / "slices.png").string() + "'");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "wrote " + (dir / "slices.png").string() + " (3 samples, axial)\n");
  const CommandResult run = fuse("run " + experiment + " --no-progress --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": validation.dice = "), std::string::npos) << run.out;
  ASSERT_EQ(fuse("export '" + (dir / "run").string() + "' --out '" + (dir / "bundle").string() + "'").exit_code, 0);
  const fs::path volume = dir / "data" / "images" / "case01_ct.nii.gz";
  const CommandResult infer = fuse("infer '" + (dir / "bundle").string() + "' --input '" + volume.string() + "' --output '" + (dir / "seg.nii.gz").string() + "'");
  ASSERT_EQ(infer.exit_code, 0) << infer.err;
  // The label map has the volume's grid (12 slices, not one).
  fs::create_directories(dir / "check");
  fs::copy_file(volume, dir / "check" / "ct.nii.gz");
  fs::copy_file(dir / "seg.nii.gz", dir / "check" / "seg.nii.gz");
  const CommandResult grids = fuse("dataset summary '" + (dir / "check").string() + "' --json");
  ASSERT_EQ(grids.exit_code, 0) << grids.err;
  const boost::json::array images = boost::json::parse(grids.out).at("images").as_array();
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].at("size"), images[1].at("size"));
  EXPECT_EQ(images[0].at("size").as_array().back(), 12);
  // nnU-Net's ensemble of a 2D and a 3D model: a 3D UNet on the whole volumes, predicting in windows, and the
  // 2D one on slices; each runs its own bundle's setup and their probabilities are averaged.
  boost::json::object volumes = boost::json::parse(read_text(dir / "experiment.json")).as_object();
  volumes["name"] = "volumes";
  boost::json::object& data = volumes["data"].as_object();
  data["static"].as_array().resize(3);  // read both, rescale: no split into slices
  data["cache"] = "cache3d";
  data["loader"].as_object().erase("sampler");
  data["loader"].as_object()["batch_size"] = 1;  // whole volumes of different depths
  volumes.erase("validation");
  volumes["model"].as_object()["dims"] = 3;
  boost::json::object& inference = volumes["inference"].as_object();
  inference.erase("slices");
  inference["sliding_window"] = boost::json::parse(R"({"size": [16, 16, 8], "overlap": 0.5})");
  std::ofstream(dir / "volumes.json") << boost::json::serialize(volumes);
  const CommandResult run3d = fuse("run '" + (dir / "volumes.json").string() + "' --no-progress --out '" + (dir / "run3d").string() + "'");
  ASSERT_EQ(run3d.exit_code, 0) << run3d.err;
  ASSERT_EQ(fuse("export '" + (dir / "run3d").string() + "' --out '" + (dir / "bundle3d").string() + "'").exit_code, 0);
  setenv("FUSE_LOG_LEVEL", "info", 1);  // a note, not a warning
  const CommandResult both = fuse("infer '" + (dir / "bundle3d").string() + "' '" + (dir / "bundle").string() + "' --input '" + volume.string() +
                                  "' --output '" + (dir / "check" / "ensemble.nii.gz").string() + "'");
  unsetenv("FUSE_LOG_LEVEL");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_NE(both.err.find("ensemble of 2 models, each predicting as its bundle says: '" + (dir / "bundle3d").string() + "' in windows of 16 x 16 x 8; '" +
                          (dir / "bundle").string() + "' slice by slice along z\n"),
            std::string::npos)
      << both.err;
  const CommandResult three = fuse("dataset summary '" + (dir / "check").string() + "' --json");
  ASSERT_EQ(three.exit_code, 0) << three.err;
  const boost::json::array written = boost::json::parse(three.out).at("images").as_array();
  ASSERT_EQ(written.size(), 3u);
  for (const boost::json::value& image : written) EXPECT_EQ(image.at("size"), images[0].at("size"));
  // The same run without inference steps: its static pipeline cannot serve inference.
  fs::copy(dir / "run", dir / "run_plain", fs::copy_options::recursive);
  boost::json::object config = boost::json::parse(read_text(dir / "run" / "config.json")).as_object();
  config.erase("inference");
  std::ofstream(dir / "run_plain" / "config.json") << boost::json::serialize(config);
  const CommandResult refused = fuse("export '" + (dir / "run_plain").string() + "' --out '" + (dir / "bundle2").string() + "'");
  EXPECT_EQ(refused.exit_code, 1);
  // Located in the run's (one-line) config: where the split step is written.
  const std::string config_file = (dir / "run_plain" / "config.json").string();
  EXPECT_EQ(refused.err.rfind("fuse: error: " + config_file + ": the inference steps (by default the data's static pipeline) hold a 'split' step (" +
                                  config_file + ":1:", 0), 0u) << refused.err;
  EXPECT_NE(refused.err.find("), but inference makes one prediction per input: write 'inference.steps' without it\n"), std::string::npos) << refused.err;
}

// nnU-Net's deep supervision on the segmentation example: the UNet writes logits of half the size in training and
// the loss takes them too (the run says with which weights); validation, the export and inference go without them.
TEST(FuseRun, DeepSupervisionTrainsOnHalfSizeLogitsAndInfersWithoutThem) {
  const fs::path dir = fresh_dir("train_cli_deep_supervision");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 40 40 20").exit_code, 0);
  const fs::path experiment = example_copy("seg3d", dir, {{"../../build/examples/seg3d", (dir / "data").string()}});
  const std::string run_args = "run '" + experiment.string() + "' --epochs 1 --no-progress";
  const std::string model_set = " --set 'model.deep_supervision=[\"model.logits_half\"]'";
  const std::string loss_set = " --set 'losses.dice_ce.deep_supervision=[\"model.logits_half\"]'";
  const CommandResult run = fuse(run_args + model_set + loss_set + " --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("loss 'dice_ce': deep supervision, weights model.logits 0.667, model.logits_half 0.333 (validation: the first alone)\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find(": validation.dice = "), std::string::npos) << run.out;
  ASSERT_EQ(fuse("export '" + (dir / "run").string() + "' --out '" + (dir / "bundle").string() + "'").exit_code, 0);
  const fs::path volume = dir / "data" / "images" / "case01_ct.nii.gz";
  const CommandResult infer = fuse("infer '" + (dir / "bundle").string() + "' --input '" + volume.string() + "' --output '" + (dir / "seg.nii.gz").string() + "'");
  EXPECT_EQ(infer.exit_code, 0) << infer.err;
  EXPECT_TRUE(fs::exists(dir / "seg.nii.gz"));
  // The loss names keys the model does not write: the first training batch stops the run.
  const CommandResult unwritten = fuse(run_args + loss_set + " --out '" + (dir / "run2").string() + "'");
  EXPECT_EQ(unwritten.exit_code, 1);
  EXPECT_NE(unwritten.err.find(": loss 'dice_ce': deep supervision's 'model.logits_half' is not in the training batch: the model writes it in training "
                               "only when it names it (fuse.models.unet's 'deep_supervision': [\"model.logits_half\", ...])\n"),
            std::string::npos)
      << unwritten.err;
  // The loss names one more key than the model writes.
  const CommandResult more = fuse(run_args + model_set + " --set 'losses.dice_ce.deep_supervision=[\"model.logits_half\", \"model.logits_quarter\"]' --out '" +
                                  (dir / "run5").string() + "'");
  EXPECT_EQ(more.exit_code, 1);
  EXPECT_NE(more.err.find(": loss 'dice_ce': deep supervision's 'model.logits_quarter' is not in the batch, though 'model.logits_half' is: the model "
                          "writes it in training (fuse.models.unet's 'deep_supervision' names its keys, 1/2 the size first)\n"),
            std::string::npos)
      << more.err;
  // A loss that cannot resize its target to the lower resolutions.
  const CommandResult regression = fuse(run_args + model_set + " --set 'losses.dice_ce={\"loss\": \"fuse.losses.mse\", \"pred\": \"model.probs\", "
                                        "\"target\": \"data.seg\", \"deep_supervision\": [\"model.logits_half\"]}' --out '" + (dir / "run3").string() + "'");
  EXPECT_EQ(regression.exit_code, 1);
  EXPECT_NE(regression.err.find(": loss 'dice_ce': 'deep_supervision' needs a loss of one prediction 'pred' that resizes its target ('resize_target'), "
                                "as fuse.losses.cross_entropy, dice, dice_ce, dice_focal, focal and tversky do; fuse.losses.mse does not\n"),
            std::string::npos)
      << regression.err;
  const CommandResult empty = fuse(run_args + " --set 'losses.dice_ce.deep_supervision=[]' --out '" + (dir / "run4").string() + "'");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find(": 'deep_supervision' names no key: list the model's lower-resolution outputs, 1/2 the size first (fuse.models.unet's "
                           "'deep_supervision' keys)\n"),
            std::string::npos)
      << empty.err;
}

// The segmentation example as shipped, on small volumes: trained for 2 epochs, its validation shown, exported,
// and run on a volume stored LPS at 0.8 x 0.8 x 2 mm; the labels come back on that grid although the model saw
// RAS at 1.6 x 1.6 x 2.5.
TEST(FuseRun, SegmentationRunShowsItsResultsAndInfersOntoTheInputsGrid) {
  const fs::path dir = fresh_dir("train_cli_seg");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 12 40 40 20").exit_code, 0);
  const fs::path experiment = example_copy("seg3d", dir, {{"../../build/examples/seg3d", (dir / "data").string()}});
  const CommandResult run = fuse("run '" + experiment.string() + "' --epochs 2 --no-progress --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(": validation.dice = "), std::string::npos) << run.out;
  // fastMONAI's show_results and plot_top_losses: every validation volume's loss and metrics in the CSV, the
  // two with the largest losses drawn with their target and predicted masks and listed, largest first.
  const fs::path png = dir / "results.png", csv = dir / "cases.csv";
  const std::string show_args = "show-results '" + experiment.string() + "' '" + (dir / "run").string() + "'";
  const CommandResult show = fuse(show_args + " --top-losses --n 2 --out '" + png.string() + "' --csv '" + csv.string() + "'");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::istringstream listed(show.out), cases(read_text(csv));
  std::string line;
  std::getline(listed, line);
  std::istringstream header(line);
  std::vector<std::string> words;
  for (std::string word; header >> word;) words.push_back(word);
  EXPECT_EQ(words, (std::vector<std::string>{"ID", "LOSS", "DICE", "LESION_DICE", "HD95"}));
  std::getline(cases, line);
  EXPECT_EQ(line, "id,loss,dice,lesion_dice,hd95");
  std::vector<std::pair<double, std::string>> losses;  // from the CSV
  while (std::getline(cases, line)) losses.emplace_back(std::stod(line.substr(line.find(',') + 1)), line.substr(0, line.find(',')));
  ASSERT_GE(losses.size(), 2u);  // the validation fold's volumes
  std::sort(losses.rbegin(), losses.rend());
  for (size_t k = 0; k < 2; ++k) {
    std::getline(listed, line);
    EXPECT_EQ(line.substr(0, line.find(' ')), losses[k].second) << show.out;
  }
  std::getline(listed, line);
  EXPECT_EQ(line.substr(0, line.find(", best checkpoint")), "wrote " + png.string() + " (2 validation samples with the largest losses") << show.out;
  EXPECT_EQ(png_size(png).first, 512u);
  EXPECT_EQ(fuse(show_args + " --ids " + losses[0].second + ",nope").err.rfind("fuse: error: --ids: sample 'nope' is not among the validation samples of " +
                                                                              experiment.string() + " (its ids are like '", 0),
            0u);
  const std::string no_pred = fuse(show_args + " --n 1 --pred model.segg --out '" + png.string() + "'").err;
  EXPECT_NE(no_pred.find("': no prediction: key 'model.segg' missing; nearest present: model.seg, "), std::string::npos) << no_pred;
  EXPECT_EQ(no_pred.rfind("fuse: error: sample '", 0), 0u) << no_pred;
  EXPECT_EQ(fuse(show_args + " --ids a --top-losses").err, "fuse: error: --ids and --top-losses both choose the samples: give one\n");
  // The worst lesion rather than the largest loss (a lesion-free volume's soft Dice loss is large whatever the
  // prediction): the one drawn has the smallest lesion Dice of the CSV.
  std::map<std::string, double> lesion_dice;
  std::istringstream all_cases(read_text(csv));
  std::getline(all_cases, line);
  while (std::getline(all_cases, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 5u) << line;
    lesion_dice[cells[0]] = std::stod(cells[3]);
  }
  const double lowest = std::min_element(lesion_dice.begin(), lesion_dice.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->second;
  const CommandResult worst = fuse(show_args + " --lowest lesion_dice --n 1 --out '" + png.string() + "'");
  ASSERT_EQ(worst.exit_code, 0) << worst.err;
  std::istringstream worst_listed(worst.out);
  std::getline(worst_listed, line);
  std::getline(worst_listed, line);
  EXPECT_EQ(lesion_dice.at(line.substr(0, line.find(' '))), lowest) << worst.out;
  std::getline(worst_listed, line);
  EXPECT_EQ(line.substr(0, line.find(", best checkpoint")), "wrote " + png.string() + " (1 validation sample with the smallest lesion_dice") << worst.out;
  EXPECT_EQ(fuse(show_args + " --highest lesion_dce").err, "fuse: error: --highest: 'lesion_dce' is neither the loss nor a validation metric of " + experiment.string() +
                                                              "; did you mean 'lesion_dice'? (those are: loss, dice, lesion_dice, hd95)\n");
  EXPECT_EQ(fuse(show_args + " --top-losses --lowest dice").err, "fuse: error: --top-losses and --lowest both choose the samples: give one\n");
  EXPECT_EQ(fuse("show-results '" + experiment.string() + "' '" + (dir / "none").string() + "'").err,
            "fuse: error: '" + (dir / "none").string() + "' holds no checkpoints/best.ckpt: train it first (fuse run " + experiment.string() + " --out " +
                (dir / "none").string() + ")\n");
  // nnU-Net's post-processing choice on the validation volumes: the maps as predicted, the foreground's largest
  // component, then each class's, with the chosen steps written for fuse export.
  const std::string choose_args = "choose-postprocess '" + experiment.string() + "' '" + (dir / "run").string() + "'";
  // With the inference's test-time flips (seg3d's [[0]]), as fuse infer predicts.
  const CommandResult flipped = fuse(choose_args + " --no-progress --tta");
  ASSERT_EQ(flipped.exit_code, 0) << flipped.err;
  EXPECT_NE(flipped.out.find(" cases (best checkpoint, with the test-time flips)\nTRIAL "), std::string::npos) << flipped.out;
  const CommandResult choose = fuse(choose_args + " --no-progress");
  ASSERT_EQ(choose.exit_code, 0) << choose.err;
  std::istringstream chosen_lines(choose.out);
  std::getline(chosen_lines, line);
  EXPECT_EQ(line.rfind((dir / "run").string() + ": ", 0), 0u) << choose.out;
  std::getline(chosen_lines, line);
  EXPECT_EQ(line.rfind("judged by the Dice of 'dice' on model.seg over ", 0), 0u) << choose.out;
  std::getline(chosen_lines, line);
  EXPECT_EQ(line.substr(0, line.find("DICE")), "TRIAL" + std::string(line.find("DICE") - 5, ' ')) << choose.out;
  for (const char* trial : {"as predicted", "largest component of the foreground", "largest component of class 1", "largest component of class 2"}) {
    std::getline(chosen_lines, line);
    EXPECT_EQ(line.rfind(trial, 0), 0u) << choose.out;
  }
  const bj::object choice = bj::parse(read_text(dir / "run" / "postprocess.json")).as_object();
  EXPECT_EQ(choice.at("trials").as_array().size(), 4u);
  const bj::array& steps = choice.at("steps").as_array();
  size_t chosen = 0;
  for (const bj::value& trial : choice.at("trials").as_array()) chosen += trial.at("chosen").as_bool();
  EXPECT_EQ(steps.size(), chosen);
  for (const bj::value& step : steps) EXPECT_EQ(step.at("scores"), "model.probs");  // the written labels are made from them
  EXPECT_EQ(fuse(choose_args + " --metric dise").err, "fuse: error: --metric: 'dise' is not a validation metric of " + experiment.string() +
                                                          "; did you mean 'dice'? (those are: dice, lesion_dice, hd95)\n");
  const CommandResult exported = fuse("export '" + (dir / "run").string() + "' --out '" + (dir / "bundle").string() + "'");
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  // The bundle's inference postprocess: the experiment's, then the chosen steps.
  bj::array expected = bj::parse(read_text(dir / "run" / "config.json")).at("inference").at("postprocess").as_array();
  for (const bj::value& step : steps) expected.push_back(step);
  EXPECT_EQ(bj::parse(read_text(dir / "bundle" / "bundle.json")).at("experiment").at("inference").at("postprocess"), expected);
  if (!steps.empty()) {
    EXPECT_NE(exported.out.find("inference postprocess: + "), std::string::npos) << exported.out;
  }
  fs::create_directories(dir / "check");
  fs::copy_file(dir / "data" / "images" / "case03_ct.nii.gz", dir / "check" / "case03_ct.nii.gz");
  const CommandResult infer = fuse("infer '" + (dir / "bundle").string() + "' --input '" + (dir / "check" / "case03_ct.nii.gz").string() +
                                   "' --output '" + (dir / "check" / "case03_seg.nii.gz").string() + "'");
  ASSERT_EQ(infer.exit_code, 0) << infer.err;
  EXPECT_NE(infer.out.find("wrote " + (dir / "check" / "case03_seg.nii.gz").string()), std::string::npos) << infer.out;
  const CommandResult summary = fuse("dataset summary '" + (dir / "check").string() + "' --json");
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  const boost::json::array images = boost::json::parse(summary.out).at("images").as_array();
  ASSERT_EQ(images.size(), 2u);
  for (const char* field : {"size", "spacing", "orientation"}) EXPECT_EQ(images[0].at(field), images[1].at(field)) << field;
  EXPECT_EQ(images[0].at("orientation"), "LPS");
  EXPECT_EQ(images[1].at("pixel_type"), "uint8");
  // A folder of scans: each segmentation written into --out under the name asked for, as the single input's.
  const CommandResult folder = fuse("infer '" + (dir / "bundle").string() + "' --folder '" + (dir / "check").string() + "' --pattern '*_ct.nii.gz' --out '" +
                                    (dir / "batch").string() + "' --output-name '{id}_seg{ext}'");
  ASSERT_EQ(folder.exit_code, 0) << folder.err;
  EXPECT_EQ(folder.out.rfind("predicted 1 of 1 inputs in ", 0), 0u) << folder.out;
  EXPECT_NE(folder.out.find("wrote " + (dir / "batch" / "predictions.csv").string() + " and each input's output\n"), std::string::npos) << folder.out;
  EXPECT_EQ(read_text(dir / "batch" / "predictions.csv"),
            "id,data.image,output\ncase03_ct," + (dir / "check" / "case03_ct.nii.gz").string() + "," + (dir / "batch" / "case03_ct_seg.nii.gz").string() + "\n");
  EXPECT_NE(folder.out.find("not compared: the inputs carry no 'data.mask' (the inference's reference)\n"), std::string::npos) << folder.out;
  const CommandResult both_summaries = fuse("dataset summary '" + (dir / "batch").string() + "' --json");
  ASSERT_EQ(both_summaries.exit_code, 0) << both_summaries.err;
  const boost::json::value batch_image = boost::json::parse(both_summaries.out).at("images").at(0);
  for (const char* field : {"size", "spacing", "orientation", "pixel_type"}) EXPECT_EQ(batch_image.at(field), images[1].at(field)) << field;
  // Nothing is written where it would overwrite an input, or another input's output.
  const std::string into_check = "infer '" + (dir / "bundle").string() + "' --folder '" + (dir / "check").string() + "' --pattern '*.nii.gz' --out '" +
                                 (dir / "check").string() + "'";
  const std::string check = (dir / "check").string();
  EXPECT_EQ(fuse(into_check).err, "fuse: error: input 'case03_ct' (file " + check + "/case03_ct.nii.gz): its output '" + check +
                                      "/case03_ct.nii.gz' would overwrite its data.image; choose another --out or --output-name\n");
  EXPECT_EQ(fuse(into_check + " --output-name seg.nii.gz").err,
            "fuse: error: inputs 'case03_ct' and 'case03_seg' would both write '" + check + "/seg.nii.gz': put {id} in --output-name (it is 'seg.nii.gz')\n");
  EXPECT_FALSE(fs::exists(dir / "check" / "predictions.csv"));
  // The held-out test table with its masks: each written segmentation scored against its mask on the volume's own
  // grid by the experiment's metrics (the bundle's inference.reference is data.mask), per case and on average.
  const std::string on_test = "infer '" + (dir / "bundle").string() + "' --table '" + (dir / "data" / "test.csv").string() + "' --no-progress --out '";
  const CommandResult test = fuse(on_test + (dir / "test").string() + "'");
  ASSERT_EQ(test.exit_code, 0) << test.err;
  EXPECT_NE(test.out.find("\neach input's dice, lesion_dice, hd95 against its data.mask: columns of predictions.csv\n"), std::string::npos) << test.out;
  std::istringstream scored(read_text(dir / "test" / "predictions.csv"));
  std::getline(scored, line);
  EXPECT_EQ(line, "id,data.image,data.mask,data.lesion,data.patient,output,dice,lesion_dice,hd95");
  std::vector<double> dice, hd95;
  while (std::getline(scored, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 9u) << line;
    dice.push_back(std::stod(cells[6]));
    hd95.push_back(std::stod(cells[8]));
    EXPECT_GE(dice.back(), 0.0);
    EXPECT_LE(dice.back(), 1.0);
  }
  ASSERT_EQ(dice.size(), 4u);  // a third as many as the 12 training cases
  const boost::json::value scores = boost::json::parse(read_text(dir / "test" / "evaluation.json"));
  EXPECT_NEAR(scores.at("metrics").at("dice").at("value").to_number<double>(), std::accumulate(dice.begin(), dice.end(), 0.0) / 4, 1e-12);
  EXPECT_NEAR(scores.at("metrics").at("hd95").at("value").to_number<double>(), std::accumulate(hd95.begin(), hd95.end(), 0.0) / 4, 1e-12);
  EXPECT_EQ(scores.at("metrics").at("dice").at("ci").at("rounds"), 1000);
  EXPECT_EQ(scores.at("data").at("reference"), "data.mask");
  ASSERT_EQ(scores.at("cases").as_array().size(), 4u);  // each case's scores, for the report's table
  EXPECT_EQ(scores.at("cases").at(0).at("id"), "test00");
  EXPECT_DOUBLE_EQ(scores.at("cases").at(0).at("dice").to_number<double>(), dice[0]);
  EXPECT_NE(test.out.find("evaluation: dice = "), std::string::npos) << test.out;
  EXPECT_TRUE(fs::exists(dir / "test" / "report.html"));
  // A reference that cannot be read (scored on a thread of its own while the model goes on): the run stops
  // naming the case, or with --keep-going lists it in errors.csv and keeps each other case's own scores.
  std::string bad = read_text(dir / "data" / "test.csv");
  bad.replace(bad.find("test/test01_mask.nii.gz"), 23, "test/none_mask.nii.gz");
  std::ofstream(dir / "data" / "bad.csv") << bad;
  const std::string on_bad = "infer '" + (dir / "bundle").string() + "' --table '" + (dir / "data" / "bad.csv").string() + "' --no-progress --out '";
  const CommandResult stopped = fuse(on_bad + (dir / "bad").string() + "'");
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_EQ(stopped.err.rfind("fuse: error: input 'test01' (", 0), 0u) << stopped.err;
  EXPECT_NE(stopped.err.find("none_mask.nii.gz"), std::string::npos) << stopped.err;
  const CommandResult kept = fuse(on_bad + (dir / "kept").string() + "' --keep-going");
  EXPECT_EQ(kept.exit_code, 1) << kept.err;
  EXPECT_NE(read_text(dir / "kept" / "errors.csv").find("test01,"), std::string::npos);
  std::istringstream kept_rows(read_text(dir / "kept" / "predictions.csv"));
  std::getline(kept_rows, line);
  std::vector<std::string> kept_ids;
  const std::vector<std::string> all_ids{"test00", "test01", "test02", "test03"};
  while (std::getline(kept_rows, line)) {
    std::vector<std::string> cells;
    std::istringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 9u) << line;
    kept_ids.push_back(cells[0]);
    const size_t k = static_cast<size_t>(std::find(all_ids.begin(), all_ids.end(), cells[0]) - all_ids.begin());
    ASSERT_LT(k, 4u) << line;
    EXPECT_DOUBLE_EQ(std::stod(cells[6]), dice[k]) << line;
  }
  EXPECT_EQ(kept_ids, (std::vector<std::string>{"test00", "test02", "test03"}));
  const boost::json::value kept_scores = boost::json::parse(read_text(dir / "kept" / "evaluation.json"));
  ASSERT_EQ(kept_scores.at("cases").as_array().size(), 3u);
  EXPECT_EQ(kept_scores.at("cases").at(1).at("id"), "test02");
  EXPECT_DOUBLE_EQ(kept_scores.at("cases").at(1).at("dice").to_number<double>(), dice[2]);
  // The same segmentations scored as another tool's would be, folder against folder: the same Dice.
  const CommandResult seg = fuse("eval-seg --pred '" + (dir / "test").string() + "' --ref '" + (dir / "data" / "test").string() +
                                 "' --ref-pattern '*_mask.nii.gz' --num-classes 3 --out '" + (dir / "evalseg").string() + "'");
  ASSERT_EQ(seg.exit_code, 0) << seg.err;
  EXPECT_EQ(seg.out.rfind("scored 4 cases\nevaluation: dice = ", 0), 0u) << seg.out;
  const boost::json::value folders = boost::json::parse(read_text(dir / "evalseg" / "evaluation.json"));
  EXPECT_NEAR(folders.at("metrics").at("dice").at("value").to_number<double>(), scores.at("metrics").at("dice").at("value").to_number<double>(), 1e-12);
  EXPECT_NEAR(folders.at("metrics").at("hd95").at("value").to_number<double>(), scores.at("metrics").at("hd95").at("value").to_number<double>(), 1e-12);
  EXPECT_EQ(read_text(dir / "evalseg" / "cases.csv").substr(0, 77), "id,prediction,reference,dice,iou,hd95,hd,asd,nsd,dice.1,hd95.1,dice.2,hd95.2\n");
  // Regions of labels (BraTS's way): region 2 is label 2 alone, so its scores are class 2's; region 1 joins 1 and 2.
  const CommandResult regions = fuse("eval-seg --pred '" + (dir / "test").string() + "' --ref '" + (dir / "data" / "test").string() +
                                     "' --ref-pattern '*_mask.nii.gz' --regions '1,2;2' --no-progress --out '" + (dir / "evalregions").string() + "'");
  ASSERT_EQ(regions.exit_code, 0) << regions.err;
  const boost::json::value by_region = boost::json::parse(read_text(dir / "evalregions" / "evaluation.json"));
  EXPECT_EQ(by_region.at("metrics").at("dice.2").at("value"), folders.at("metrics").at("dice.2").at("value"));
  EXPECT_EQ(by_region.at("metrics").at("hd95.2").at("value"), folders.at("metrics").at("hd95.2").at("value"));
  EXPECT_NE(by_region.at("metrics").at("dice.1").at("value"), folders.at("metrics").at("dice.1").at("value"));
  EXPECT_GT(by_region.at("metrics").at("dice.1").at("value").to_number<double>(), 0.5);
  // Mirroring at inference (nnU-Net's test-time augmentation): --mirror xyz runs every flip of the three axes in
  // place of the bundle's inference.tta ([[0]] here), as a bundle that lists them does.
  const CommandResult mirrored = fuse(on_test + (dir / "mirrored").string() + "' --mirror zyx");
  ASSERT_EQ(mirrored.exit_code, 0) << mirrored.err;
  {
    boost::json::value bundle = boost::json::parse(read_text(dir / "bundle" / "bundle.json"));
    bundle.at("experiment").at("inference").as_object()["tta"] = boost::json::parse("[[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]");
    fs::copy(dir / "bundle", dir / "bundle_mirrored", fs::copy_options::recursive);
    std::ofstream(dir / "bundle_mirrored" / "bundle.json") << boost::json::serialize(bundle);
  }
  const CommandResult flips_listed = fuse("infer '" + (dir / "bundle_mirrored").string() + "' --table '" + (dir / "data" / "test.csv").string() +
                                    "' --no-progress --out '" + (dir / "listed").string() + "'");
  ASSERT_EQ(flips_listed.exit_code, 0) << flips_listed.err;
  const auto test_dice = [&](const std::string& scored_in) {
    return boost::json::parse(read_text(dir / scored_in / "evaluation.json")).at("metrics").at("dice").at("value").to_number<double>();
  };
  EXPECT_EQ(test_dice("mirrored"), test_dice("listed"));
  EXPECT_NE(test_dice("mirrored"), test_dice("test"));
  EXPECT_EQ(fuse(on_test + (dir / "x").string() + "' --mirror xq").err,
            "fuse: --mirror: 'xq': the axes to mirror, each of x, y and z at most once (e.g. xyz for a volume, xy for a slice)\n"
            "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  // Named regions name their scores.
  const CommandResult named = fuse("eval-seg --pred '" + (dir / "test").string() + "' --ref '" + (dir / "data" / "test").string() +
                                   "' --ref-pattern '*_mask.nii.gz' --regions 'organ and lesion=1,2;lesion=2' --no-progress --out '" +
                                   (dir / "evalnamed").string() + "'");
  ASSERT_EQ(named.exit_code, 0) << named.err;
  const boost::json::value by_name = boost::json::parse(read_text(dir / "evalnamed" / "evaluation.json"));
  EXPECT_EQ(by_name.at("metrics").at("dice.lesion").at("value"), by_region.at("metrics").at("dice.2").at("value"));
  EXPECT_EQ(by_name.at("metrics").at("hd95.organ and lesion").at("value"), by_region.at("metrics").at("hd95.1").at("value"));
  EXPECT_EQ(fuse("eval-seg --pred a --ref b").err, "fuse: --num-classes: is needed (labels 0 .. N - 1), or --regions\nRun 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  EXPECT_EQ(fuse("eval-seg --pred a --ref b --regions '1,2;x'").err,
            "fuse: --regions: region 2 ('x'): 'x' is not a label of 1 or more; give each region's labels with ',' and ';' between regions, e.g. 1,2,3;2,3;3\n"
            "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  EXPECT_EQ(fuse("eval-seg --pred a --ref b --regions 1 --num-classes 3").err,
            "fuse: --regions: and --num-classes are both given: --regions scores regions of labels, --num-classes classes; give one\n"
            "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  EXPECT_EQ(fuse(on_test + (dir / "test2").string() + "' --reference data.maks").err,
            "fuse: error: --reference data.maks: no input carries it; did you mean 'data.mask'? (input 'test00' has data.id, data.image, data.mask, "
            "data.lesion, data.patient)\n");
  EXPECT_EQ(fuse("infer '" + (dir / "bundle").string() + "' --input a.nii.gz --output b.nii.gz --reference data.mask").err,
            "fuse: --reference: scores what --out DIR writes against each input's reference: give a --table whose rows carry it and --out\n"
            "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  EXPECT_EQ(fuse("infer '" + (dir / "bundle").string() + "' --input a.nii.gz --out-of-fold").err,
            "fuse: --out-of-fold: predicts a cross-validation's cases into a folder: give them with --table (or --folder) and --out DIR\n"
            "Run 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  EXPECT_EQ(fuse(on_test + (dir / "test3").string() + "' --out-of-fold").err,
            "fuse: error: --out-of-fold predicts each case with the fold that validated it, and takes a cross-validation's bundles (fuse export RUNS "
            "--out BUNDLES of a `fuse run --cross-validate` folder); got one bundle, '" + (dir / "bundle").string() + "'\n");
  // A bundle refuses an input it cannot read, naming the file.
  const CommandResult missing = fuse("infer '" + (dir / "bundle").string() + "' --input '" + (dir / "nope.nii.gz").string() + "' --output x.nii.gz");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.nii.gz"), std::string::npos) << missing.err;
}

TEST(FuseRun, AKilledRunResumesToTheSameResult) {
  const fs::path dir = fresh_dir("train_cli_kill");
  // Long enough epochs to be killed inside one: 4000 rows in batches of 8 on one thread.
  const fs::path experiment = fuse::train::testing::write_toy(dir, fuse::train::testing::toy_json(), false, 4000);
  const std::string run = "'" FUSE_BINARY "' run '" + experiment.string() + "' --no-progress --out ";
  ASSERT_EQ(run_command(run + "'" + (dir / "whole").string() + "'").exit_code, 0);
  // Killed once the first epoch is logged, in the middle of the second.
  const CommandResult killed = run_command("(exec " + run + "'" + (dir / "killed").string() + "') & pid=$!; until [ -s '" +
                                           (dir / "killed" / "log.csv").string() + "' ] || ! kill -0 $pid 2>/dev/null; do sleep 0.01; done; sleep 0.05; kill -KILL $pid; "
                                           "wait $pid; echo status=$?");
  EXPECT_NE(killed.out.find("status=137"), std::string::npos) << killed.out << killed.err;
  EXPECT_FALSE(fs::exists(dir / "killed" / "results.json"));
  const CommandResult resumed = fuse("run '" + experiment.string() + "' --no-progress --out '" + (dir / "killed").string() + "' --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(without_seconds(read_text(dir / "killed" / "log.csv")), without_seconds(read_text(dir / "whole" / "log.csv")));
  const boost::json::object a = boost::json::parse(read_text(dir / "whole" / "results.json")).as_object(),
                            b = boost::json::parse(read_text(dir / "killed" / "results.json")).as_object();
  EXPECT_EQ(a.at("best_epoch"), b.at("best_epoch"));
  EXPECT_EQ(a.at("validation"), b.at("validation"));
  // Resuming a folder without a checkpoint says what to do.
  EXPECT_EQ(fuse("run '" + experiment.string() + "' --out '" + (dir / "empty").string() + "' --resume").err,
            "fuse: error: nothing to resume in '" + (dir / "empty").string() +
                "': no checkpoints/last.ckpt (the run stopped before its first epoch ended; start it again without --resume)\n");
}

}  // namespace
}  // namespace fuse::testing
