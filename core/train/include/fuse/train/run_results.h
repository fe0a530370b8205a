// A trained run's validation, one sample at a time (fastMONAI's show_results and plot_top_losses; nnU-Net's
// per-case validation results): the experiment and a checkpoint of its run; each validation sample through the
// validation pipelines (no augmentation), the model (on sliding windows or slices where validation has them)
// and the postprocess, with its own loss and metric values.
#ifndef FUSE_TRAIN_RUN_RESULTS_H_
#define FUSE_TRAIN_RUN_RESULTS_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuse/plugin/registry.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

struct SampleResult {
  size_t index = 0;  // among the validation samples
  std::string id;
  NDict sample;  // after the pipelines, as drawn (its metadata kept)
  NDict batch;   // the sample collated into a batch of one, with the model's and the postprocess's keys
  NDict outputs;  // the model's outputs as it gave them (on the CPU), before the postprocess
  double loss = 0;  // the experiment's losses on this sample alone; NaN where a loss needs several samples
  std::vector<std::pair<std::string, double>> metrics;  // the validation metrics on this sample alone (NaN: undefined)
};

struct RunResultsOptions {
  std::string checkpoint = "best";  // or "last"
  std::string device = "cpu";       // "cuda", "cuda:N"
  std::vector<std::string> settings;  // --set values applied to the experiment after those the run records (settings.json)
  // Each case predicted with the experiment's test-time flips (inference.tta) too, their outputs averaged, as
  // fuse infer predicts (nnU-Net validates with its mirroring).
  bool tta = false;
};

class RunResults {
 public:
  // `run_dir` is a folder `fuse run experiment --out run_dir` wrote. The experiment (not the run's config.json,
  // whose relative paths are relative to the experiment) must have validation data. A checkpoint of another
  // model is an error naming it.
  RunResults(const Registry& registry, const std::filesystem::path& experiment, const std::filesystem::path& run_dir, RunResultsOptions options = {});
  ~RunResults();
  RunResults(const RunResults&) = delete;
  RunResults& operator=(const RunResults&) = delete;

  const Experiment& experiment() const;
  size_t size() const;  // the validation samples
  const std::string& id(size_t index) const;
  // The epoch (from 1) of the checkpoint's weights.
  int64_t epoch() const;
  // The keys the model reads (the data).
  std::vector<std::string> model_inputs() const;

  // Each of `indices` in that order, handed to `consume` as soon as it is made (all of a large validation set
  // need not be held at once). A sample skipped by the data's on_error policy is passed over.
  void run(const std::vector<size_t>& indices, const std::function<void(SampleResult&&)>& consume);
  // The postprocess on `batch` as run() runs it on validation sample `index` (e.g. on outputs averaged with
  // another run's, fuse choose-ensemble).
  void postprocess(NDict& batch, size_t index);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_RUN_RESULTS_H_
