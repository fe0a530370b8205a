// Shipping a trained model: a bundle (the experiment, the chosen checkpoint's weights, and the ids, versions and
// library hashes of the plugins it needs) and prediction from bundles, with test-time augmentation and
// ensembles of several runs.
#ifndef FUSE_TRAIN_INFERENCE_H_
#define FUSE_TRAIN_INFERENCE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

#include "fuse/plugin/registry.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

// Writes `bundle_dir` from a run folder: bundle.json (format, experiment, epoch, plugins) and
// model/<component>.state. `checkpoint` is "best" or "last". `postprocess` steps are appended to the
// inference's postprocess (a choice of fuse choose-postprocess).
void export_bundle(const Registry& registry, const std::filesystem::path& run_dir, const std::filesystem::path& bundle_dir,
                   const std::string& checkpoint, const boost::json::array& postprocess = {});
// export_bundle for a run folder; for a finished cross-validation folder (`fuse run --cross-validate`), one
// bundle per fold under `out`/fold_<k>, which `fuse infer out` takes as an ensemble. The steps of the folder's
// postprocess.json (chosen_postprocess) join each bundle's inference postprocess. For the runs of `fuse run
// --seeds` (their seeds.json), one bundle per seed under `out`/seed_<s> (a deep ensemble), each with its own
// run's postprocess.json. Returns the bundles written.
std::vector<std::filesystem::path> export_bundles(const Registry& registry, const std::filesystem::path& run_dir, const std::filesystem::path& out,
                                                  const std::string& checkpoint);
// The ids of the cases that validated a bundle's run (its results.json's, copied at export); empty when it
// records none (a run without validation, exported before it finished, or by an older fuse).
std::vector<std::string> bundle_validation_cases(const std::filesystem::path& bundle_dir);
// `paths` with each folder of bundles (no bundle.json of its own, sub-folders that have one: what export_bundles
// writes for a cross-validation) replaced by its bundles, fold_2 before fold_10.
std::vector<std::filesystem::path> expand_bundle_folders(const std::vector<std::filesystem::path>& paths);

// An input after the inference steps: what each distinct inference steps of a predictor's bundles made of it.
// One sample, unless an ensemble's bundles prepare their inputs otherwise (the folds of one experiment fit their
// statistics on other training rows); the first is the first bundle's.
struct PreparedInput {
  std::vector<NDict> by_steps;
};

class Predictor {
 public:
  // One bundle, or several trained runs of one experiment (a folder of bundles counts as its bundles; an ensemble: each model's outputs under
  // "<key>_m<i>", their mean under "<key>", and for class scores the majority vote of their argmax under
  // "<key>_vote"). Each model gets its inputs from its own bundle's inference steps. Where the bundles'
  // postprocesses differ (a Cox baseline fitted per fold), each model's runs on its own outputs and what they
  // write is combined the same way (integers and labels by vote). A plugin a bundle needs that is missing, or of
  // another version, is an error naming it.
  Predictor(const Registry& registry, const std::vector<std::filesystem::path>& bundles, const std::string& device = "cpu");
  ~Predictor();

  // The inference steps on `sample`, the model(s) (with test-time augmentation, on sliding windows when the
  // experiment asks), the postprocess and the write steps; the sample with the predictions.
  NDict predict(NDict sample);
  // predict() in its two parts, for callers that read and prepare the next inputs on other threads while the
  // model runs: the inference steps (thread-safe; steps that every bundle shares run once), then the model(s),
  // postprocess and write steps on what they made (one thread at a time).
  PreparedInput prepare(NDict sample);
  NDict predict_prepared(PreparedInput input);
  // Several prepared inputs through the model(s) in one batch where their model inputs share shape and type
  // (and no sliding window or slices cut them), else one by one; the postprocess and write steps per input.
  // Each comes back as predict_prepared would give it (up to the last float digits a batch's arithmetic moves).
  // A batch that fails is predicted input by input: an input that fails then leaves its message in errors[i]
  // (and an empty dict in its place), and the others are predicted.
  std::vector<NDict> predict_prepared(std::vector<PreparedInput> inputs, std::vector<std::string>& errors);
  // What `fuse infer --input PATH [--output PATH]` predicts: the input's path under the inference's input key,
  // `output` (unless empty) under its output key, and data.sample_id the input's file name up to its first '.'.
  NDict predict_file(const std::string& input, const std::string& output = "");
  // Test-time flips for every model in place of the bundles' `inference.tta` (`fuse infer --mirror`): each a list
  // of spatial axes (0 = x), the identity always run too.
  void set_flips(std::vector<std::vector<int>> flips);
  // The first bundle's experiment.
  const Experiment& experiment() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_INFERENCE_H_
