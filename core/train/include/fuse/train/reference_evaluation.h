// Segmentations judged where they were written (nnU-Net's evaluation of a test folder, MONAI's metrics after
// inverting the preprocessing): each case's label map as the bundle wrote it, on its input's own grid, against
// the case's reference mask file, by the experiment's metrics on that label map (its Dice, Hausdorff, ...). The
// run's validation scores the resampled volumes; this scores what a reader of the written files sees.
#ifndef FUSE_TRAIN_REFERENCE_EVALUATION_H_
#define FUSE_TRAIN_REFERENCE_EVALUATION_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "fuse/eval/eval_config.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

class ReferenceEvaluation {
 public:
  // `reference_key`: the input key holding each case's reference file (e.g. data.mask); `origin` names where it
  // was asked for, in messages ("inference.reference", "--reference"). The metrics are the experiment's
  // validation metrics whose 'pred' is the label map that a write step writes to the output path
  // ({data.output_path}); their spacing is each case's own, read from its files. A bundle that writes nothing
  // there, or has no metric on what it writes, is an error that says what to add.
  ReferenceEvaluation(const Registry& registry, const Experiment& experiment, const std::string& reference_key, const std::string& origin);
  // Scoring with these metrics (component, config, output, name; their pred, target and spacing are set here),
  // `reference_key` naming the references in messages: label maps from any tool.
  ReferenceEvaluation(const Registry& registry, const std::vector<MetricSpec>& metrics, const std::string& reference_key);
  ~ReferenceEvaluation();

  const std::string& reference_key() const;
  // The values each case gets, named as the experiment names its metrics ("dice", "lesion_dice", "hd95"); known
  // once per_case() or results() has run.
  const std::vector<std::string>& names() const;

  // Reads the written label map and the reference, checks that they lie on one grid (size, spacing, origin,
  // direction) and scores the case. Nothing is added when it throws.
  void add(const std::string& written, const std::string& reference);
  // Many cases at once, read and scored on `threads` threads in contiguous parts merged in order: the same as
  // adding them one by one, whatever the number of threads. An error names the first failing case by its id;
  // nothing is added then. `on_done` (called under a lock) counts the cases scored.
  struct Case {
    std::string id, written, reference;
  };
  void add_all(const std::vector<Case>& cases, size_t threads, const std::function<void(size_t done)>& on_done = {});
  size_t cases() const;

  // After the last case: each case's values in names() order (NaN where a metric is undefined for it).
  std::vector<std::vector<double>> per_case();
  // The means over the cases with bootstrap intervals over cases ('ci.rounds' 0: none; percentile or BCa),
  // shaped as an evaluation's "metrics" ({"dice": {"value": ..., "ci": {...}}}).
  boost::json::object results(const eval::CiSpec& ci);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// evaluation.json's "cases": [{"id": ..., "<name>": value (null where undefined), ...}] in order.
boost::json::array cases_json(const std::vector<std::string>& ids, const std::vector<std::string>& names, const std::vector<std::vector<double>>& values);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_REFERENCE_EVALUATION_H_
