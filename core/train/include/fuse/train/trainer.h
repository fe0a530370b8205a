// The trainer (FuseMedML's LightningModuleDefault + fit): train and validation loops over the loaders,
// losses, optimiser and schedule, metrics from metric components, the best epoch by a monitored value,
// checkpoints written atomically, resume with the same result as an uninterrupted run, early stopping, a
// progress bar and a CSV log; then the best epoch evaluated with fuse.eval into a report.
#ifndef FUSE_TRAIN_TRAINER_H_
#define FUSE_TRAIN_TRAINER_H_

#include <filesystem>
#include <memory>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"
#include "fuse/train/communicator.h"
#include "fuse/train/experiment.h"
#include "fuse/train/model_graph.h"

namespace fuse::train {

struct RunResult {
  int64_t best_epoch = -1;
  double best_value = 0;
  std::string monitor;
  boost::json::object validation;  // the best epoch's validation values
  int64_t epochs_run = 0;          // epochs trained by this call
  bool stopped_early = false;
  bool interrupted = false;  // stopped by stop_after, to be resumed
  double seconds = 0;
  std::string not_evaluated;  // why the evaluation section gave no results (a metric undefined on the validation data)
};

// The model components of an experiment, created and connected (shared weights applied).
ModelGraph build_model(const Registry& registry, const std::vector<ComponentSpec>& components);
// "cpu", "cuda", "cuda:1".
DLDevice parse_device(const std::string& text);

struct LrFindOptions {
  double min_lr = 1e-7, max_lr = 10;
  int64_t steps = 100;
  double smoothing = 0.98;   // of the running loss
  double stop_factor = 4.0;  // stop once the smoothed loss exceeds this many times its best
};

struct LrFindResult {
  std::vector<double> learning_rates, losses, smoothed;
  double suggestion = 0;  // halfway along the longest fall of the smoothed loss (fastai's "valley"; lr_suggestion.h)
  double steepest = 0;    // where it falls fastest (fastai's "steep"; 0 when it never falls)
  double minimum = 0;     // the rate of the lowest smoothed loss
};

class Trainer {
 public:
  // With a `communicator`, this process is one rank of a data-parallel run: it trains on its shard of every
  // batch, gradients are all-reduced, metrics and losses merged over the ranks, validation split between them;
  // rank 0 alone writes the run folder. Every rank makes the same decisions (best epoch, early stopping).
  Trainer(const Registry& registry, Experiment experiment, std::filesystem::path run_dir, Communicator* communicator = nullptr);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Trains; with `resume`, continues from the run folder's last checkpoint (a fresh run refuses a folder that
  // already holds one). Writes config.json, log.csv, checkpoints/{last,best}.ckpt and results.json, and with
  // an evaluation section predictions.csv, evaluation.json and report.html.
  RunResult fit(bool resume);

  // The learning-rate range test (fastai's lr_find): one optimisation step per rate, rising exponentially from
  // min_lr to max_lr, until the loss diverges. Writes lr_find.csv and lr_find.png into the run folder; the
  // experiment's own files are left alone.
  LrFindResult find_lr(const LrFindOptions& options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_TRAINER_H_
