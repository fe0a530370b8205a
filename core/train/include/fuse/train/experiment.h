// An experiment file: data, model, losses, metrics, optimiser, schedule and trainer, each naming components
// by id. Every part is checked when read; errors give the file, line, column and JSON pointer. The format is
// documented in docs/training.md.
#ifndef FUSE_TRAIN_EXPERIMENT_H_
#define FUSE_TRAIN_EXPERIMENT_H_

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/data/data_config.h"
#include "fuse/eval/eval_config.h"
#include "fuse/json/document.h"
#include "fuse/loader/loader_config.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/optimizer.h"
#include "fuse/train/schedule.h"

namespace fuse::train {

struct ComponentSpec {
  std::string name;
  std::string component;       // a model component id (empty for a shared application)
  boost::json::object config;
  std::string shares;          // apply the weights of this earlier component...
  std::map<std::string, std::string> keys;  // ...with its keys renamed
  std::string where;
  std::string pointer;  // of the component in the experiment's JSON (Experiment::resolved)
  // The initial weights' seed for a component whose manifest takes a "seed" and whose config sets none: the
  // experiment's seed plus the component's position, so `"seed"` (or `--set seed=N`) draws new weights too.
  uint64_t default_seed = 0;
};

struct LossSpec {
  std::string name;
  std::string component;
  boost::json::object config;
  double weight = 1.0;
  int64_t warmup_steps = 0;       // the loss counts 0 for this many optimisation steps
  // Deep supervision (nnU-Net's): the model's lower-resolution outputs, 1/2 the size first. The loss is taken
  // again on each (its 'pred' replaced, the target resized to it) and the terms weigh 1, 1/2, 1/4, ... scaled
  // to sum to 1. The model writes them in training only; validation counts the full-resolution term alone.
  std::vector<std::string> deep_supervision;
  // The config's weight fields set to "auto" ("class_weights", "dice_class_weights"): weights of the training
  // targets' classes (fuse/train/class_weights.h), filled in before the loss is made.
  std::vector<std::string> auto_weights;
  std::vector<data::Step> pre;  // ops run on a copy of the batch before the loss (e.g. a target's one-hot);
                                // they must not change what the loss differentiates
  std::string where;
};

struct MetricSpec {
  std::string name;
  std::string component;
  boost::json::object config;
  std::string output;  // which output is the metric's value (default: the one named like the component)
  bool train = true, validation = true;
  std::string where;
};

struct TrainerSpec {
  int64_t epochs = 10;
  std::string monitor;  // "validation.<metric>" or "validation.loss" (default), "train.loss" without validation
  bool maximize = false;
  int64_t patience = 0;  // early stopping after this many epochs without improvement (0: off)
  double min_delta = 0.0;
  double grad_clip = 0.0;  // global norm (0: off)
  double ema = 0.0;        // decay of the weights' moving average that is validated and exported (0: off)
  int64_t accumulate = 1;
  std::string device = "cpu";  // cpu, cuda, cuda:N
  bool mixed_precision = false;
  int64_t threads = 0;  // LibTorch's intra-op threads (0: its default)
  std::string on_nan = "stop";  // or "skip"
  bool progress = true;
  int64_t stop_after = 0;  // train at most this many epochs in this call, then stop to be resumed (0: all)
  // Distributed runs ("distributed": {...}): gradient bucket size, and how long a rank waits for the others.
  double bucket_mb = 25;
  int64_t timeout_s = 300;
};

// Test-time augmentation: each entry flips these spatial axes (0 = x, the last axis); the identity is always
// included. Segmentation outputs are flipped back before averaging.
struct TtaSpec {
  std::vector<std::vector<int>> flips;
};

// Sliding-window inference: the model runs on overlapping windows of `size` voxels (x, y[, z], as the crops'
// sizes) instead of the whole input, and each spatial output is blended back from its windows. Empty size: off.
struct SlidingWindowSpec {
  std::vector<int64_t> size;
  double overlap = 0.25;         // fraction of a window shared with the next one, in [0, 1)
  std::string blend = "gaussian";  // or "constant"
  double sigma_scale = 0.125;    // the Gaussian's sigma per axis, as a fraction of the window
  int64_t batch = 1;             // windows per forward call
  double pad_value = 0;          // fills inputs smaller than a window
};

// A 2D model on 3D volumes: each slice across `axis` ("z", "y" or "x") is predicted on its own, `batch` slices per
// forward call, and the slices' outputs are stacked back into a volume. Empty axis: off.
struct SliceSpec {
  std::string axis;
  int64_t batch = 16;
  bool enabled() const { return !axis.empty(); }
};

struct InferenceSpec {
  std::vector<data::Step> steps;        // the pipeline for one input (default: the data's static pipeline)
  std::vector<data::Step> postprocess;  // after the model (default: the experiment's postprocess)
  std::vector<data::Step> write;        // what writes the prediction (e.g. fuse.io.write_medical)
  std::string input_key = "data.image_path";  // where `fuse infer --input` puts the path
  std::string output_key = "data.output_path";  // and `--output`
  // The input key of each input's reference label map (data.mask): `fuse infer --out` scores the written label
  // map against it on the input's grid (ReferenceEvaluation). Empty: none.
  std::string reference;
  // A cascade's second stage (nnU-Net's 3d_cascade_fullres): the input key of each input's segmentation by the
  // first stage (a file on the input's grid), which `fuse infer --previous-stage` fills. Empty: none.
  std::string previous_stage;
  TtaSpec tta;
  SlidingWindowSpec sliding_window;
  SliceSpec slices;
};

// "validation": a source of its own (else the folds' validation split) and, optionally, how it differs from
// training: other reading steps (MNIST's t10k files), other random steps (none of the training's patch crops),
// another batch size, and sliding windows over whole volumes for a model trained on patches.
// The data part (source, pipelines) is read by core/data, so `fuse data show` and `fuse cache build` see it too.
struct ValidationSpec : data::ValidationData {
  std::optional<int64_t> batch_size;                     // replaces data.loader.batch_size (1 with sliding windows)
  SlidingWindowSpec sliding_window;                      // empty size: the model sees each batch whole
  SliceSpec slices;                                      // a 2D model validated on whole volumes, slice by slice
};

struct EvaluationSpec {
  std::string target;               // key of the target
  std::vector<std::string> labels;  // multi-label instead: keys of 0/1 targets (a [labels] tensor, or a number each)
  std::vector<std::string> scores;  // keys of the scores (each a column of predictions.csv)
  eval::EvalConfig config;          // metrics, intervals (predictions filled by the trainer)

  // The target's key, or the labels'.
  std::vector<std::string> target_keys() const { return labels.empty() ? std::vector<std::string>{target} : labels; }
};

struct Experiment {
  std::filesystem::path file;
  std::vector<std::string> settings;  // the --set values applied to the file (a run folder records them)
  std::string name;
  uint64_t seed = 0;
  data::DataConfig data;
  ValidationSpec validation;
  loader::LoaderConfig loader;
  std::vector<ComponentSpec> model;
  std::vector<std::string> freeze;
  std::vector<ParamGroupSpec> param_groups;
  std::vector<data::Step> postprocess;
  std::vector<LossSpec> losses;
  std::vector<MetricSpec> metrics;
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  TrainerSpec trainer;
  std::optional<EvaluationSpec> evaluation;
  InferenceSpec inference;
  boost::json::value resolved;  // the document's JSON, written into the run folder
};

// `read_samples` false leaves the sample sources unread (inference, where only the pipelines are needed).
Experiment read_experiment(const std::filesystem::path& file, bool read_samples = true);
Experiment read_experiment(const json::Document& document, bool read_samples = true);
// The file with command-line settings ("trainer.epochs=3", "model.channels=[8, 16]") replacing or adding values
// first (json::Document::set); errors about a value a setting gave name it ("--set trainer.epochs: ...").
Experiment read_experiment(const std::filesystem::path& file, const std::vector<std::string>& settings, bool read_samples = true);

// Fits the data's static steps marked "fit" to the training split (fuse/data/fit.h), gives validation's and
// inference's copies the same values and postprocessing steps marked {"from": key} that key's, and writes them
// into `e.resolved` (the run's config.json, and from there
// a bundle). Returns one line per fitted key.
std::vector<std::string> fit_experiment(const Registry& registry, Experiment& e, size_t threads, bool progress);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_EXPERIMENT_H_
