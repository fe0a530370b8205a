// `fuse run --nproc N` and torchrun-style ranks over loopback: two processes train the weights one process does
// with the same global batch; a rank that dies stops the others with a message naming it, and --resume
// continues the run; bad environments are named.
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fuse/launch/local_launcher.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

const std::string kFuse = "env -u RANK -u WORLD_SIZE -u LOCAL_RANK -u LOCAL_WORLD_SIZE -u MASTER_ADDR -u MASTER_PORT '" FUSE_BINARY "' ";

std::vector<std::vector<std::string>> csv(const fs::path& file) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(read_text(file));
  for (std::string line; std::getline(lines, line);) {
    rows.emplace_back();
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) rows.back().push_back(cell);
  }
  return rows;
}

// Equal tables, numbers within `tolerance` (relative to 1 or their size), a column named `skip` left out.
void expect_close(const fs::path& a, const fs::path& b, double tolerance, const std::string& skip = "") {
  const auto x = csv(a), y = csv(b);
  ASSERT_EQ(x.size(), y.size()) << a << " vs " << b;
  ASSERT_FALSE(x.empty());
  for (size_t r = 0; r < x.size(); ++r) {
    ASSERT_EQ(x[r].size(), y[r].size()) << "row " << r;
    for (size_t c = 0; c < x[r].size(); ++c) {
      if (x[0][c] == skip) continue;
      char* end = nullptr;
      const double u = std::strtod(x[r][c].c_str(), &end);
      if (r == 0 || x[r][c].empty() || *end != '\0') {  // not a number
        EXPECT_EQ(x[r][c], y[r][c]) << a.filename() << " row " << r << " column " << x[0][c];
        continue;
      }
      const double v = std::strtod(y[r][c].c_str(), nullptr);
      EXPECT_NEAR(u, v, tolerance * std::max(1.0, std::abs(u))) << a.filename() << " row " << r << " column " << x[0][c];
    }
  }
}

std::string with(std::string json, const std::string& from, const std::string& to) {
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return json.replace(at, from.size(), to);
}

std::string toy(const std::string& trainer = "") {
  return fuse::train::testing::toy_json("", "", trainer, R"(,
  "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}, "ci": {"rounds": 100, "seed": 1}})");
}

// Two processes, each with half of every batch of 8, against one process: the same gradients up to rounding,
// so the same weights (checked through every epoch's losses and metrics and the best epoch's predictions).
// Returns the folder of the experiment.
fs::path expect_two_processes_match_one(const std::string& name, const std::string& json, int rows) {
  const fs::path dir = fresh_dir(name);
  const fs::path experiment = fuse::train::testing::write_toy(dir, json, false, rows);
  const CommandResult two = run_command(kFuse + "run '" + experiment.string() + "' --nproc 2 --out '" + (dir / "two").string() + "'");
  EXPECT_EQ(two.exit_code, 0) << two.err;
  const CommandResult one = run_command(kFuse + "run '" + experiment.string() + "' --out '" + (dir / "one").string() + "'");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  if (one.exit_code != 0 || two.exit_code != 0) return dir;
  EXPECT_EQ(two.err.rfind("started 2 processes on 127.0.0.1:", 0), 0u) << two.err;
  // Rank 0 reports, once.
  EXPECT_EQ(two.out.find("best epoch "), one.out.find("best epoch "));
  EXPECT_EQ(two.out.find("best epoch ", two.out.find("best epoch ") + 1), std::string::npos) << two.out;
  expect_close(dir / "one" / "log.csv", dir / "two" / "log.csv", 1e-4, "seconds");
  expect_close(dir / "one" / "predictions.csv", dir / "two" / "predictions.csv", 1e-5);
  const auto a = boost::json::parse(read_text(dir / "one" / "results.json")), b = boost::json::parse(read_text(dir / "two" / "results.json"));
  EXPECT_EQ(a.at("best_epoch"), b.at("best_epoch"));
  EXPECT_TRUE(fs::exists(dir / "two" / "checkpoints" / "best.ckpt"));
  EXPECT_TRUE(fs::exists(dir / "two" / "report.html"));
  return dir;
}

TEST(FuseRunDistributed, TwoProcessesGiveTheWeightsOfOne) { expect_two_processes_match_one("dist_match", toy(), 64); }

// A weight average is the same on every rank (it averages weights the ranks share): as one process's.
TEST(FuseRunDistributed, AWeightAverageIsThatOfOneProcess) {
  expect_two_processes_match_one("dist_ema", toy(R"({"epochs": 6, "monitor": "validation.auc", "mode": "max", "threads": 1, "progress": false, "ema": 0.9})"), 64);
}

TEST(FuseRunDistributed, BalancedSamplingAndASharedCacheAcrossRanks) {
  std::string json = with(toy(), R"("loader": {"batch_size": 8, "workers": 1})",
                          R"("loader": {"batch_size": 8, "workers": 1, "sampler": {"balance": "data.label", "batches_per_epoch": 6}})");
  json = with(json, R"("source": {"table": "train.csv"},)", R"("source": {"table": "train.csv"}, "cache": "cache",)");
  const fs::path dir = expect_two_processes_match_one("dist_balanced", json, 64);
  // The two ranks built the cache between them (the one-process run came after and found it whole).
  size_t entries = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir / "cache")) entries += f.path().extension() == ".fmc";
  EXPECT_EQ(entries, 64u + 32u);  // training and validation samples
}

// --cross-validate --nproc 2: each fold trained by both ranks gives one process's fold; the plan (which folds
// are finished, which to resume) is rank 0's, so a second call with --resume trains only what is missing.
TEST(FuseRunDistributed, CrossValidationWithTwoProcessesMatchesOne) {
  const fs::path dir = fresh_dir("dist_cv");
  std::string json = with(toy(), R"("validation": {"table": "validation.csv"},)", "");
  json = with(json, R"("loader")", R"("folds": {"k": 3, "file": "folds.json"}, "loader")");
  const fs::path experiment = fuse::train::testing::write_toy(dir, json, false, 48);
  const std::string cv = "run '" + experiment.string() + "' --cross-validate --no-progress --out ";
  const CommandResult first = run_command(kFuse + cv + "'" + (dir / "two").string() + "' --nproc 2 --folds 2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "== fold 2 (3 of 3): validated on fold 2, trained on the others\n1 of 3 folds finished; fold(s) 0, 1 still to train: the "
                       "summary comes once every fold has run (fuse run " + experiment.string() + " --nproc 2 --cross-validate --out " +
                       (dir / "two").string() + " --resume)\n");
  const CommandResult two = run_command(kFuse + cv + "'" + (dir / "two").string() + "' --nproc 2 --resume");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const CommandResult one = run_command(kFuse + cv + "'" + (dir / "one").string() + "'");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  // Rank 0 reports, once; fold 2 is not trained again.
  EXPECT_EQ(two.out.rfind("== fold 0 (1 of 3): validated on fold 0, trained on the others\n== fold 1 (2 of 3)", 0), 0u) << two.out;
  EXPECT_EQ(two.out.find("== fold 2"), std::string::npos) << two.out;
  EXPECT_EQ(two.out.find("FOLD  BEST_EPOCH"), two.out.rfind("FOLD  BEST_EPOCH")) << two.out;
  EXPECT_NE(two.out.find("cross-validation folder: " + (dir / "two").string() + " (cross_validation.json, fold_0 ... fold_2, evaluation.json, report.html)"),
            std::string::npos)
      << two.out;
  for (const std::string fold : {"fold_0", "fold_1", "fold_2"}) {
    expect_close(dir / "one" / fold / "log.csv", dir / "two" / fold / "log.csv", 1e-4, "seconds");
    expect_close(dir / "one" / fold / "predictions.csv", dir / "two" / fold / "predictions.csv", 1e-5);
  }
  const auto a = boost::json::parse(read_text(dir / "one" / "cross_validation.json")), b = boost::json::parse(read_text(dir / "two" / "cross_validation.json"));
  for (size_t f = 0; f < 3; ++f) EXPECT_EQ(a.at("folds").at(f).at("best_epoch"), b.at("folds").at(f).at("best_epoch")) << "fold " << f;
  EXPECT_NEAR(a.at("mean").at("auc").to_number<double>(), b.at("mean").at("auc").to_number<double>(), 1e-6);
  EXPECT_TRUE(fs::exists(dir / "two" / "evaluation.json"));
}

// --seeds --nproc 2: each seed's run trained by both ranks is one process's run of that seed, reported once.
TEST(FuseRunDistributed, RepeatedSeedsWithTwoProcessesMatchOne) {
  const fs::path dir = fresh_dir("dist_seeds");
  const fs::path experiment = fuse::train::testing::write_toy(dir, toy(), false, 48);
  const std::string seeds = "run '" + experiment.string() + "' --seeds 1,2 --no-progress --out ";
  const CommandResult two = run_command(kFuse + seeds + "'" + (dir / "two").string() + "' --nproc 2");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const CommandResult one = run_command(kFuse + seeds + "'" + (dir / "one").string() + "'");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(two.out.rfind("== seed 1 (1 of 2)\n== seed 2 (2 of 2)\nSEED  BEST_EPOCH", 0), 0u) << two.out;
  EXPECT_EQ(two.out.find("SEED"), two.out.rfind("SEED")) << two.out;
  for (const std::string seed : {"seed_1", "seed_2"}) expect_close(dir / "one" / seed / "log.csv", dir / "two" / seed / "log.csv", 1e-4, "seconds");
  const auto a = boost::json::parse(read_text(dir / "one" / "seeds.json")), b = boost::json::parse(read_text(dir / "two" / "seeds.json"));
  EXPECT_NEAR(a.at("mean").at("auc").to_number<double>(), b.at("mean").at("auc").to_number<double>(), 1e-6);
  EXPECT_NE(fuse::train::testing::log_without_seconds(dir / "one" / "seed_1"), fuse::train::testing::log_without_seconds(dir / "one" / "seed_2"));
}

TEST(FuseRunDistributed, ADeadRankStopsTheOthersAndTheRunResumes) {
  const fs::path dir = fresh_dir("dist_kill");
  // Epochs long enough to be killed inside one.
  const fs::path experiment = fuse::train::testing::write_toy(dir, toy(), false, 4000);
  const std::string run = kFuse + "run '" + experiment.string() + "' --no-progress --nproc 2 --out ";
  ASSERT_EQ(run_command(run + "'" + (dir / "whole").string() + "'").exit_code, 0);
  // Rank 1 killed once the first epoch is logged.
  const fs::path err = dir / "killed.err";
  const CommandResult killed = run_command("(exec " + run + "'" + (dir / "killed").string() + "' 2>'" + err.string() + "') & pid=$!; until [ -s '" +
                                           (dir / "killed" / "log.csv").string() + "' ] || ! kill -0 $pid 2>/dev/null; do sleep 0.01; done; sleep 0.05; kill -KILL $(sed -n " +
                                           "'s/.*rank 1 is process \\([0-9]*\\).*/\\1/p' '" + err.string() + "'); wait $pid; echo status=$?");
  EXPECT_NE(killed.out.find("status=1\n"), std::string::npos) << killed.out << killed.err;
  const std::string message = read_text(err);
  const size_t at = message.find("fuse: rank 1 (process ");
  ASSERT_NE(at, std::string::npos) << message;
  EXPECT_NE(message.find(") was killed by signal 9 (Killed); stopping the other ranks\n", at), std::string::npos) << message;
  EXPECT_NE(message.find(") was killed by signal 9 (Killed); continue from the last checkpoint with: fuse run " + experiment.string() +
                         " --no-progress --nproc 2 --out " + (dir / "killed").string() + " --resume\n"),
            std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(dir / "killed" / "results.json"));
  // --resume: every rank continues from rank 0's last checkpoint, to the uninterrupted run's result.
  const CommandResult resumed = run_command(run + "'" + (dir / "killed").string() + "' --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_close(dir / "whole" / "log.csv", dir / "killed" / "log.csv", 1e-9, "seconds");
  const auto a = boost::json::parse(read_text(dir / "whole" / "results.json")), b = boost::json::parse(read_text(dir / "killed" / "results.json"));
  EXPECT_EQ(a.at("best_epoch"), b.at("best_epoch"));
  EXPECT_EQ(a.at("validation"), b.at("validation"));
}

TEST(FuseRunDistributed, ANonFiniteLossOnOneRank) {
  const fs::path dir = fresh_dir("dist_nan");
  // Sample s5 has a NaN feature: its rank's loss is NaN in every epoch.
  fs::path experiment = fuse::train::testing::write_toy(dir, toy(), true);
  CommandResult r = run_command(kFuse + "run '" + experiment.string() + "' --nproc 2 --out '" + (dir / "stop").string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(": the loss is nan (ce = nan) at epoch 1, step "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("s5"), std::string::npos) << r.err;
  // "skip": that rank's batch adds nothing; every rank still takes the same steps, and the run ends.
  experiment = fuse::train::testing::write_toy(dir, toy(R"({"epochs": 2, "on_nan": "skip", "threads": 1, "progress": false})"), true);
  r = run_command(kFuse + "run '" + experiment.string() + "' --nproc 2 --out '" + (dir / "skip").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("; batch skipped"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "skip" / "results.json"));
}

TEST(FuseRunDistributed, TorchrunStyleRanksStartedByHand) {
  const fs::path dir = fresh_dir("dist_env");
  const fs::path experiment = fuse::train::testing::write_toy(dir, toy(R"({"epochs": 2, "monitor": "validation.auc", "mode": "max", "threads": 1, "progress": false})"));
  const std::string rank = "env MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(launch::free_port()) + " WORLD_SIZE=2 '" FUSE_BINARY "' run '" +
                           experiment.string() + "' --out '" + (dir / "run").string() + "'";
  const CommandResult r = run_command("RANK=1 " + rank + " > /dev/null & RANK=0 " + rank + "; a=$?; wait $!; b=$?; echo status=$a,$b");
  EXPECT_NE(r.out.find(": validation.auc = "), std::string::npos) << r.out << r.err;  // rank 0 reports
  EXPECT_NE(r.out.find("status=0,0"), std::string::npos) << r.out << r.err;
  EXPECT_TRUE(fs::exists(dir / "run" / "results.json"));
}

TEST(FuseRunDistributed, BadEnvironmentsAndArgumentsAreNamed) {
  const fs::path dir = fresh_dir("dist_bad");
  const fs::path experiment = fuse::train::testing::write_toy(dir, toy());
  const std::string run = "'" FUSE_BINARY "' run '" + experiment.string() + "' --out '" + (dir / "run").string() + "'";
  CommandResult r = run_command("env -u MASTER_ADDR RANK=0 WORLD_SIZE=2 MASTER_PORT=1234 " + run);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "fuse: error: environment: RANK is set but MASTER_ADDR is not (a distributed run needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, as "
            "torchrun sets them)\n");
  r = run_command("env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=1234 " + run + " --nproc 4");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: --nproc 4 disagrees with WORLD_SIZE=2 (drop --nproc when a launcher such as torchrun starts the ranks)\n");
  r = run_command("env RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=1234 " + run + " --nproc 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: --nproc 2 disagrees with WORLD_SIZE=1 (drop --nproc when a launcher such as torchrun starts the ranks)\n");
  r = run_command(kFuse + "run '" + experiment.string() + "' --nproc 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fuse: --nproc: Value 0 not in range 1 to 1024\n"), std::string::npos) << r.err;
  // A run folder that holds a run: every rank stops with rank 0's verdict.
  ASSERT_EQ(run_command(kFuse + run.substr(run.find(" run ") + 1) + " --nproc 2").exit_code, 0);
  r = run_command(kFuse + run.substr(run.find(" run ") + 1) + " --nproc 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fuse: error: rank 1 of 2: run folder '" + (dir / "run").string() + "' already holds a run (checkpoints/last.ckpt)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace fuse::testing
