// Repeated runs: the experiment trained once per seed (its initial weights, sampling order and random
// augmentations), each in a run folder of its own, then every seed's best validation values side by side with
// their mean and standard deviation: how much of a difference between two configurations is the seed's. With
// cross-validation, each seed is a cross-validation (repeated k-fold) summarized by its folds' mean.
#ifndef FUSE_TRAIN_SEED_RUNS_H_
#define FUSE_TRAIN_SEED_RUNS_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"
#include "fuse/train/communicator.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

struct SeedRunsOptions {
  bool cross_validate = false;  // each seed a cross-validation of data.folds into <run_dir>/seed_<s>/fold_<f>
  std::vector<int> folds;       // with cross_validate: the folds to train in this call (empty: all)
  bool resume = false;          // finished runs are kept, interrupted ones continued, the others started
  std::function<void(uint64_t seed, size_t index, size_t count)> on_seed_start;  // before a seed trains
  std::function<void(int fold, int k)> on_fold_start;                           // with cross_validate
  Communicator* communicator = nullptr;  // data-parallel: every rank calls with the same options; rank 0 writes
};

struct SeedRun {
  uint64_t seed = 0;
  std::filesystem::path dir;         // <run_dir>/seed_<seed>
  std::optional<int64_t> best_epoch;  // 0-based; none for a cross-validation (each fold has its own)
  boost::json::object validation;    // the best epoch's validation values, or the folds' mean
  double seconds = 0;                // training time (a cross-validation's: its folds' together)
};

struct SeedRunsResult {
  std::vector<SeedRun> finished;   // in the order of the seeds given
  std::vector<uint64_t> missing;   // seeds without a finished run (or cross-validation): no summary until then
  boost::json::object mean, std;   // per validation value over the seeds (std: n - 1; null for one seed)
};

// Trains `experiment(seed)` for each seed into run_dir/seed_<seed> (`fuse run --seeds` reads the experiment file
// again with `--set seed=<seed>`, so each run records its seed). When every seed has finished, writes
// run_dir/seeds.json: each seed's best epoch and validation values, and their mean and standard deviation.
// No seeds, or a seed given twice, is an error. On ranks other than 0 only `missing` is given.
SeedRunsResult run_seeds(const Registry& registry, const std::vector<uint64_t>& seeds, const std::function<Experiment(uint64_t seed)>& experiment,
                         const std::filesystem::path& run_dir, const SeedRunsOptions& options = {});

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SEED_RUNS_H_
