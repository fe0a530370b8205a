// nnU-Net's post-processing, chosen by measurement rather than by hand: on a run's validation cases (a
// cross-validation's out-of-fold cases), whether keeping only the largest connected component of the foreground,
// then of each class, raises the Dice. The steps that do are written to the run folder's postprocess.json, and
// `fuse export` appends them to the bundles' inference postprocess.
#ifndef FUSE_TRAIN_POSTPROCESS_CHOICE_H_
#define FUSE_TRAIN_POSTPROCESS_CHOICE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "fuse/ndict/ndict.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/experiment.h"
#include "fuse/train/run_results.h"

namespace fuse::train {

// One way of cleaning the label maps, scored on every case.
struct PostprocessTrial {
  std::string what;             // "as predicted", "largest component of the foreground", "largest component of class 2"
  std::vector<int64_t> labels;  // the labels whose largest component is kept, together (empty: the maps as predicted)
  int judged = -1;              // the index of the class (or region) whose Dice decides; -1: the mean over them
  std::vector<double> dice, hd95;  // per reported class or region, means over the cases
  double mean_dice = 0, mean_hd95 = 0;
  bool chosen = false;
};

struct PostprocessChoice {
  std::string key;  // the label maps cleaned (the metric's pred, e.g. model.seg)
  std::string metric;  // the validation metric whose Dice judged (choose_postprocess)
  int dims = 3;     // their spatial axes
  std::vector<int64_t> classes;  // the classes reported (regions: numbered from 1)
  size_t cases = 0;
  // The maps as predicted, the foreground's largest component, then each class's on top of what was chosen
  // before (nnU-Net's order). A trial is chosen when its Dice is higher than without it: the mean over the
  // classes for the foreground, the class's own for a class.
  std::vector<PostprocessTrial> trials;
};

// The trials over cases added one at a time. `metric` is the config of the experiment's validation metric on
// the label maps (fuse.metrics.segmentation's: pred, target, num_classes or regions, spacing, ignore_label);
// its Dice decides and its HD95 is reported.
class PostprocessTrials {
 public:
  PostprocessTrials(const Registry& registry, const boost::json::object& metric);
  ~PostprocessTrials();
  PostprocessTrials(const PostprocessTrials&) = delete;
  PostprocessTrials& operator=(const PostprocessTrials&) = delete;

  // One case: a batch of one holding the metric's pred and target (and its spacing_key, if any).
  void add(const NDict& batch);
  // The scores and the choice over the cases added (at least one).
  PostprocessChoice choose() const;
  // The metric on the label maps as predicted, each case a row (after choose(): its compute_weighted gives a
  // case's scores, or a bootstrap replicate's).
  const Metric& as_predicted() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether a metric scores label maps with Dice (fuse.metrics.segmentation or its GPU twin) on validation: what can
// judge the post-processing.
bool scores_label_maps(const MetricSpec& metric);

// The validation metric of `e` (read from `experiment`) whose Dice judges `judged` (e.g. "the post-processing"):
// the one named `name` (--metric), else the first on label maps. Errors say which metrics there are.
const MetricSpec& label_map_metric(const Experiment& e, const std::string& name, const std::filesystem::path& experiment, const std::string& judged);

// The chosen trials as fuse.medical.keep_components steps for `inference`'s postprocess. Where a write step
// makes the written labels from scores (fuse.io.write_medical's 'scores', e.g. model.probs), the steps clean
// those scores too ('scores_are' "regions" with 'region_labels').
boost::json::array keep_component_steps(const PostprocessChoice& choice, const InferenceSpec& inference);

struct ChoosePostprocessOptions {
  RunResultsOptions run;  // the checkpoint, device and --set values of the runs
  std::string metric;     // the experiment's validation metric that judges (default: the first on label maps)
  std::function<void(const std::string& run, size_t done, size_t total)> on_case;  // after each validation case
  std::function<void(const std::string& run, size_t cases)> on_run;  // after each run's validation cases
};

// The trials on the validation cases of `run_dir` (a run folder, or a finished cross-validation's: every fold's
// validation fold, together) as trained from `experiment`.
PostprocessChoice choose_postprocess(const Registry& registry, const std::filesystem::path& experiment, const std::filesystem::path& run_dir,
                                     const ChoosePostprocessOptions& options = {});

// run_dir/postprocess.json: the steps, the cases and every trial's scores; `ensemble`, when the trials were
// of an ensemble's averaged outputs (fuse choose-ensemble), its runs.
void write_postprocess_choice(const std::filesystem::path& run_dir, const PostprocessChoice& choice, const boost::json::array& steps,
                              const std::vector<std::string>& ensemble = {});
// Every trial of `choice` with its scores (NaN as null), as postprocess.json lists them.
boost::json::array trials_json(const PostprocessChoice& choice);
// The steps of run_dir/postprocess.json; empty when there is none. A file that is not one is an error naming it.
boost::json::array chosen_postprocess(const std::filesystem::path& run_dir);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_POSTPROCESS_CHOICE_H_
