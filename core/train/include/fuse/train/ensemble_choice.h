// nnU-Net's choice among configurations (its find_best_configuration): on the validation cases that several
// trained configurations share (a 3D UNet on windows and a 2D one on slices, each a run or a cross-validation),
// the Dice of each alone and of each pair's ensemble (their model outputs averaged, as `fuse infer A B` does),
// the best chosen, and nnU-Net's post-processing chosen for it.
#ifndef FUSE_TRAIN_ENSEMBLE_CHOICE_H_
#define FUSE_TRAIN_ENSEMBLE_CHOICE_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/ndict/ndict.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/postprocess_choice.h"
#include "fuse/train/run_results.h"

namespace fuse::train {

// A configuration alone, or a pair averaged.
struct EnsembleCandidate {
  std::vector<size_t> members;  // indices of the configurations
  // trials[0] is the label maps as predicted, whose mean Dice decides; the rest are the post-processing trials
  // on top (fuse choose-postprocess's), whose choice goes with the candidate.
  PostprocessChoice scores;
  // Why a pair was left out (its models' outputs cannot be averaged: another key, or another grid without a
  // geometry to resample them by); its scores are empty then. Empty for a candidate scored.
  std::string skipped;
  // Outputs of a model on another grid than the first configuration's (another spacing) laid onto that grid,
  // where the candidate is postprocessed and scored against the first configuration's labels.
  bool resampled = false;
  bool chosen = false;
  std::vector<double> case_dice;  // each case's mean Dice over the classes as predicted (NaN: undefined)
  // Its mean Dice minus the chosen candidate's, with a 95% paired bootstrap interval over the cases (the same
  // draws for both): whether the choice is more than the luck of a few cases. Zero for the chosen one.
  double vs_chosen = 0, vs_chosen_lower = 0, vs_chosen_upper = 0;
};

struct EnsembleChoice {
  std::vector<std::string> names;  // the configurations, e.g. their run folders
  std::string metric;              // the validation metric whose Dice judged (choose_ensemble)
  std::vector<EnsembleCandidate> candidates;  // each configuration alone, then each pair (0 + 1, 0 + 2, 1 + 2, ...)
  size_t cases = 0;
  std::vector<std::string> ids;  // the cases, in the order added
  const EnsembleCandidate& chosen() const;
  std::string name(const EnsembleCandidate& c) const;  // "runs/a" or "runs/a + runs/b"
};

// The candidates over cases added one at a time. `metric` is the config of the validation metric on label maps
// that judges (fuse.metrics.segmentation's); `names` name the configurations in messages.
class EnsembleTrials {
 public:
  EnsembleTrials(const Registry& registry, const boost::json::object& metric, std::vector<std::string> names);
  ~EnsembleTrials();
  EnsembleTrials(const EnsembleTrials&) = delete;
  EnsembleTrials& operator=(const EnsembleTrials&) = delete;

  // A member's output `key` on the first member's grid: `onto(member, first, key, output)`, an error where it
  // cannot.
  using OntoFirst = std::function<Value(size_t member, size_t first, const std::string& key, const Value& output)>;

  // One case (`id` names it in messages): each configuration's batch of one after its postprocess, and its
  // model's outputs before it. Every candidate is scored on the first configuration's grid: outputs of another
  // shape (a model on another grid) are laid onto it by `onto`, put on the first configuration's batch and made
  // again by `postprocess(member, batch)`. A configuration alone is otherwise its own batch; a pair's batch is
  // its first member's with the outputs averaged (floating ones by their mean, integer ones by each element's
  // vote), then made again by `postprocess(first member, batch)` — where the members' postprocesses are one
  // (`postprocess_of[c]`: which of the case's distinct postprocesses configuration c runs; empty: all one). Where
  // they differ, each member's postprocess runs on its own outputs and what they write is combined, as `fuse
  // infer` does (floating values by their mean, integer ones by each element's vote). A configuration whose
  // outputs differ in keys, or in shape without `onto` or where it fails, is scored alone on its own grid and its
  // pairs are left out from then on (EnsembleCandidate::skipped says why).
  void add(const std::string& id, const std::vector<NDict>& batches, const std::vector<NDict>& outputs,
           const std::function<void(size_t, NDict&)>& postprocess, const OntoFirst& onto = {}, const std::vector<size_t>& postprocess_of = {});
  // The scores over the cases added (at least one) and the choice: the highest mean Dice as predicted (ties:
  // the earlier candidate, so a configuration alone before an ensemble). `rounds` bootstrap replicates (seeded
  // by `seed`) make each candidate's interval against the choice.
  EnsembleChoice choose(size_t rounds = 1000, uint64_t seed = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A trained configuration: the experiment file and its run folder (or finished cross-validation folder).
struct Configuration {
  std::filesystem::path experiment, run;
};

struct ChooseEnsembleOptions {
  RunResultsOptions run;  // the checkpoint and device of every run
  std::string metric;     // the first experiment's validation metric that judges (default: the first on label maps)
  std::function<void(size_t done, size_t total)> on_case;  // after each validation case
};

// The candidates on the validation cases of `configurations` (at least two, each run once). Every configuration
// must validate on the same cases (the same folds). Every candidate is scored on the first configuration's grid:
// the outputs of models working on other grids (other spacings: nnU-Net's 3d_lowres) are resampled onto it from
// the geometry of their inputs (fuse.medical.resample_like), as `fuse infer` does, and scored against the first
// configuration's labels there.
EnsembleChoice choose_ensemble(const Registry& registry, const std::vector<Configuration>& configurations, const ChooseEnsembleOptions& options = {});

// `file`: the configurations, every candidate's scores as predicted, the chosen one and its post-processing trials.
void write_ensemble_choice(const std::filesystem::path& file, const EnsembleChoice& choice);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_ENSEMBLE_CHOICE_H_
