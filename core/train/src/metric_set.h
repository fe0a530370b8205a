// The metrics of one split (train or validation): metric components accumulated over an epoch and their
// results as named numbers ("auc", "confusion.accuracy"). Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_METRIC_SET_H_
#define FUSE_TRAIN_SRC_METRIC_SET_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fuse/plugin/registry.h"
#include "fuse/train/communicator.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

class MetricSet {
 public:
  MetricSet(const Registry& registry, const std::vector<MetricSpec>& specs, bool train_split);
  void reset();
  void update(const NDict& batch);
  // Named scalar results: a metric's chosen output (or the one named like its component) under its name, the
  // other scalar outputs as "<name>.<output>". A metric whose result is undefined (e.g. one class in the
  // epoch) gives NaN.
  std::vector<std::pair<std::string, double>> compute();
  // The same as if accumulated row i (a sample, in the order updated) had come counts[i] times: a bootstrap
  // replicate, or one row alone. Call compute() first. A metric that cannot weigh its rows is an error.
  std::vector<std::pair<std::string, double>> compute_weighted(const uint8_t* counts, size_t rows) const;
  bool empty() const { return metrics_.empty(); }
  // Adds another set's rows (one built from the same specs) after this one's: threads scoring parts in turn.
  void merge(const MetricSet& other);
  // Distributed runs: every rank's accumulated rows merged in rank order (the metrics' merge), the same on
  // every rank, so that they all compute the same values.
  void merge_ranks(Communicator& communicator, const std::string& what);

 private:
  // The named values of every spec from each instance's result (compute(j) for instance j).
  std::vector<std::pair<std::string, double>> named(const std::function<NDict(size_t)>& compute) const;
  // Spec i's values from its instance's result (null: undefined, NaN).
  void add_named(size_t i, const NDict* result, std::vector<std::pair<std::string, double>>& out) const;

  const Registry& registry_;
  std::vector<Metric> metrics_;    // one per distinct component and config
  std::vector<size_t> owners_;     // per instance: the first spec using it (for messages and merging)
  std::vector<MetricSpec> specs_;  // in order
  std::vector<size_t> instance_;   // per spec: its instance
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_METRIC_SET_H_
