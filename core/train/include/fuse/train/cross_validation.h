// k-fold cross-validation (FuseMedML's cross-validation runner, nnU-Net's five folds): the experiment trained
// once per fold of data.folds, validated on that fold and trained on the others, each in a run folder of its
// own; then every fold's best validation values side by side with their mean and standard deviation, and with
// an evaluation section the out-of-fold predictions evaluated together and per fold.
#ifndef FUSE_TRAIN_CROSS_VALIDATION_H_
#define FUSE_TRAIN_CROSS_VALIDATION_H_

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"
#include "fuse/train/communicator.h"
#include "fuse/train/experiment.h"
#include "fuse/train/trainer.h"

namespace fuse::train {

struct CrossValidationOptions {
  std::vector<int> folds;  // the folds to train in this call (empty: all); e.g. one per job on a cluster
  bool resume = false;     // finished folds are kept, interrupted ones continued, the others started
  std::function<void(int fold, int k)> on_fold_start;  // before a fold trains (progress lines)
  // Data-parallel folds (`fuse run --cross-validate --nproc N`): every rank calls cross_validate with the same
  // options and trains each fold with the others. Rank 0 decides from its files which folds are finished or
  // resumed, and alone writes the summary and the evaluation.
  Communicator* communicator = nullptr;
};

struct FoldRun {
  int fold = 0;
  std::filesystem::path dir;  // <run_dir>/fold_<fold>
  RunResult result;           // from results.json for a fold finished earlier
};

struct CrossValidationResult {
  int k = 0;
  std::vector<FoldRun> finished;  // in fold order
  std::vector<int> missing;       // folds without a finished run: no summary until they have one
  bool interrupted = false;       // a fold stopped by stop_after: the folds after it were not started
  boost::json::object mean, std;  // per validation value over the finished folds (std: n - 1; null for one)
  bool evaluated = false;         // evaluation.json and report.html of the out-of-fold predictions written
};

// The experiment's data.folds (k folds) each validated once: fold f trains on the other k - 1 folds into
// run_dir/fold_f (a run folder as `fuse run` writes: export and show-results work on it). A validation source
// of its own is an error (cross-validation validates on the folds). When every fold has finished, writes
// run_dir/cross_validation.json, and with an evaluation section the folds' predictions.csv evaluated as one
// set and per fold into run_dir/evaluation.json and report.html. On ranks other than 0 only `k` and `missing`
// are given.
CrossValidationResult cross_validate(const Registry& registry, const Experiment& experiment, const std::filesystem::path& run_dir,
                                     const CrossValidationOptions& options = {});

// The experiment as it trains fold `fold`: data.folds choosing the other folds for training and `fold` for
// validation (in the resolved JSON too, so the fold's config.json says so).
Experiment fold_experiment(const Experiment& experiment, int fold);

// The trained run folders in `dir`: itself for a run folder, each fold's for a finished cross-validation (in
// fold order). An unfinished cross-validation, or a folder that is neither, is an error saying what to do.
std::vector<std::filesystem::path> trained_runs(const std::filesystem::path& dir);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_CROSS_VALIDATION_H_
