// fuse run (one run, a cross-validation, repeated seeds; data-parallel with --nproc) and fuse lr-find.
#ifndef FUSE_APPS_FUSE_TRAIN_RUN_COMMAND_H_
#define FUSE_APPS_FUSE_TRAIN_RUN_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fuse::cli {

struct RunOptions {
  std::string experiment, out, device;
  bool resume = false, no_progress = false, cross_validate = false;
  std::vector<int> folds;  // with cross_validate: the folds to train in this call
  std::vector<uint64_t> seeds;  // repeated runs: one per seed
  std::vector<std::string> settings;  // --set path=value, applied to the experiment file
  int64_t epochs = 0, threads = -1, stop_after = 0;
  int nproc = 0;  // > 1: that many local processes (data-parallel)
};

// `fuse run`: argc and argv start the ranks again with --nproc.
int run(const RunOptions& o, int argc, char** argv);

struct LrFindOptions {
  RunOptions run;
  double min_lr = 1e-7, max_lr = 10;
  int64_t steps = 100;
};

int lr_find(const LrFindOptions& o);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_RUN_COMMAND_H_
