// A pipeline: an ordered list of op components, each configured with the keys it reads and writes. The static
// pipeline of a dataset is deterministic and cached; the dynamic one is random and runs every epoch.
#ifndef FUSE_DATA_PIPELINE_H_
#define FUSE_DATA_PIPELINE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"

namespace fuse::data {

// A step that makes one sample per position along `axis` of the `keys` (tensors, or lists when axis is 0): a
// volume into its slices, a stack into its patches. Other keys are shared by every part. Part k's id (under the
// dataset's id key) is the sample's id + "#k"; `source_key` keeps the id of the sample it came from.
struct Split {
  std::vector<std::string> keys;
  int64_t axis = 0;
  std::string source_key = "data.source_id";
};

// A static step whose config values are fitted to the training samples ("fit": true, or {"mask": key, "set":
// {field: statistic}}), or a postprocessing step that takes those of a data.static step ({"from": key}): see
// fit.h. Until fit_steps() has set them, the step cannot run.
struct StepFit {
  std::string mask{};     // statistics only where this key's tensor is > 0 (empty: everywhere)
  // The fields to fit and their statistics ("set": {"in_min": "p0.5"}); empty: the op's manifest's.
  std::vector<std::pair<std::string, std::string>> set{};
  boost::json::value signature{};  // the step as written (op, config, repeat, mask, set): how another pipeline's copy is found
  bool done = false;
  std::vector<std::string> fields{};  // the config fields set, once done
  std::map<std::string, boost::json::object> by_key{};  // once measured: each key's fitted fields and values
  std::string from{};  // postprocessing: the key whose data.static fit (same op) it takes; empty: measured
  // Postprocessing: fitted after training to the model's outputs on the training samples, with these keys
  // (a Cox model's Breslow baseline: the survival time and the event); empty: not such a fit.
  std::string time{}, event{};
  // Statistics only over these channels of the key's tensor (its first axis: a [C, (z,) y, x] image's), e.g. the
  // CT channel of a CT + PET image; empty: every element.
  std::vector<int64_t> channels{};
  bool on_predictions() const { return !time.empty(); }
};

struct Step {
  std::string op;               // component id; empty for a split, keep_if or drop_if step

  boost::json::object config;
  // FuseMedML's OpRepeat: run the op once per entry, each merging its fields into `config` (e.g. one entry per
  // key it should apply to). Empty: run once.
  std::vector<boost::json::object> repeat;
  std::string where;  // where the step was written ("experiment.json:14:9"), for messages
  std::filesystem::path base;  // the folder relative "path" config fields are taken from (the config file's)
  // FuseMedML's OpCond: run only when the value under this key is true (a bool, or a number or one-element
  // tensor other than 0). Empty: always.
  std::string apply_if{};
  // Run only when the sample has every one of these keys: a step that makes the target from its label column,
  // which a table to predict lacks. Empty: always.
  std::vector<std::string> apply_if_present{};
  // FuseMedML's OpRandApply: run with this probability, drawn per (seed, epoch, sample, step); skipped outside
  // training (an augmentation). Unset: always.
  std::optional<double> apply_probability{};
  // Steps that change the number of samples (FuseMedML's static ops that return a list or None); the static
  // pipeline only, since its output is cached and indexed. One of them, or `op`.
  std::optional<Split> split{};
  std::string keep_if{};  // drops the sample unless this key is true (as for apply_if)
  std::string drop_if{};  // drops the sample when this key is true
  std::optional<StepFit> fit{};
  std::string pointer{};  // the step's JSON pointer in its document ("/data/static/2"), where fitted values go

  bool changes_count() const { return split.has_value() || !keep_if.empty() || !drop_if.empty(); }
  // The configs the op runs with: `config` merged with each repeat entry, or `config` alone.
  std::vector<boost::json::object> run_configs() const;
  // "split", "keep_if" or "drop_if" (empty for an op step), for messages.
  std::string kind() const { return split ? "split" : !keep_if.empty() ? "keep_if" : !drop_if.empty() ? "drop_if" : ""; }
};

class Pipeline {
 public:
  // Creates every op (configs are checked now); `name` ("static pipeline") starts messages.
  Pipeline(const Registry& registry, std::vector<Step> steps, std::string name);
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  // Runs every op on `sample`. A pipeline with split, keep_if or drop_if steps cannot (run_all does). Op i of the pipeline draws its randomness from
  // call_seed(run_seed, epoch, sample_index, i). Errors say which step: "static pipeline step 2
  // (experiment.json:14:9): op 'fuse.io.read_image' (plugin ...): ...". Not thread-safe: one Pipeline per
  // thread (clone()).
  void run(NDict& sample, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training);

  // Runs every step on `sample` and returns what comes out: the sample, its parts after a split, or nothing
  // when it was dropped. `id_key` holds the sample's id; a split numbers its parts there. Seeds and messages as
  // run() (a step that fails on a part names the part).
  std::vector<NDict> run_all(NDict sample, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training, const std::string& id_key);
  // run() of steps [begin, end) alone, each with the seed and the message it has in run(): inputs that share the
  // first steps of several pipelines (an ensemble's bundles) run those once.
  void run_steps(NDict& sample, size_t begin, size_t end, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training);
  // Whether a step splits or drops samples.
  bool changes_count() const { return changes_count_; }

  // Runs every op on a collated batch of the samples `sample_indices` (batch order): op i is called once, with
  // the per-sample seeds call_seed(repeat_seed(run_seed, repeat), epoch, sample_index, first_position + i),
  // what it would draw as op first_position + i of each sample's own pipeline (`repeats` per sample; empty:
  // all 0); its own seed is call_seed(run_seed, epoch, -2 - batch_index, first_position + i). Errors name the
  // step as run() does.
  void run_batch(NDict& batch, uint64_t run_seed, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& sample_indices,
                 int64_t first_position, bool training, const std::vector<uint32_t>& repeats = {});

  // A new pipeline with the same steps and fresh op instances (for another thread).
  Pipeline clone() const;

  // What the pipeline computes: every op's id, version, checked config and plugin library hash, hashed (sha256).
  // A changed op, config or library changes it; the module an op came from does not.
  const std::string& hash() const { return hash_; }
  size_t size() const { return steps_.size(); }
  bool empty() const { return steps_.empty(); }
  const std::vector<Step>& steps() const { return steps_; }

 private:
  struct Instance;
  std::vector<NDict> run_range(NDict sample, size_t begin, size_t end, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training,
                               const std::string& id_key);
  std::string where(size_t step) const;  // "static pipeline step 2 (experiment.json:14:9): "
  void refuse_count_steps() const;       // run() and run_batch() keep one sample per sample
  Op& op_for(Instance& instance, const NDict& sample);  // the op, made for the sample's keys when its config has patterns
  const Registry* registry_;
  std::vector<Step> steps_;
  std::string name_;
  std::vector<Instance> ops_;
  std::string hash_;
  bool changes_count_ = false;
};

}  // namespace fuse::data

#endif  // FUSE_DATA_PIPELINE_H_
