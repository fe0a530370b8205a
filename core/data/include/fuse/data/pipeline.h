// A pipeline: an ordered list of op components, each configured with the keys it reads and writes. The static
// pipeline of a dataset is deterministic and cached; the dynamic one is random and runs every epoch.
#ifndef FUSE_DATA_PIPELINE_H_
#define FUSE_DATA_PIPELINE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"

namespace fuse::data {

struct Step {
  std::string op;               // component id
  boost::json::object config;
  // FuseMedML's OpRepeat: run the op once per entry, each merging its fields into `config` (e.g. one entry per
  // key it should apply to). Empty: run once.
  std::vector<boost::json::object> repeat;
  std::string where;  // where the step was written ("experiment.json:14:9"), for messages
  std::filesystem::path base;  // the folder relative "path" config fields are taken from (the config file's)
  // FuseMedML's OpCond: run only when the value under this key is true (a bool, or a number or one-element
  // tensor other than 0). Empty: always.
  std::string apply_if{};
  // FuseMedML's OpRandApply: run with this probability, drawn per (seed, epoch, sample, step); skipped outside
  // training (an augmentation). Unset: always.
  std::optional<double> apply_probability{};
};

class Pipeline {
 public:
  // Creates every op (configs are checked now); `name` ("static pipeline") starts messages.
  Pipeline(const Registry& registry, std::vector<Step> steps, std::string name);
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  // Runs every op on `sample`. Op i of the pipeline draws its randomness from
  // call_seed(run_seed, epoch, sample_index, i). Errors say which step: "static pipeline step 2
  // (experiment.json:14:9): op 'fuse.io.read_image' (plugin ...): ...". Not thread-safe: one Pipeline per
  // thread (clone()).
  void run(NDict& sample, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training);

  // Runs every op on a collated batch of the samples `sample_indices` (batch order): op i is called once, with
  // the per-sample seeds call_seed(run_seed, epoch, sample_index, first_position + i), what it would draw as
  // op first_position + i of each sample's own pipeline; its own seed is call_seed(run_seed, epoch,
  // -2 - batch_index, first_position + i). Errors name the step as run() does.
  void run_batch(NDict& batch, uint64_t run_seed, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& sample_indices,
                 int64_t first_position, bool training);

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
  const Registry* registry_;
  std::vector<Step> steps_;
  std::string name_;
  std::vector<Instance> ops_;
  std::string hash_;
};

}  // namespace fuse::data

#endif  // FUSE_DATA_PIPELINE_H_
