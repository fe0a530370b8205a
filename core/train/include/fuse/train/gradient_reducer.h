// Data-parallel gradients (what DDP's reducer does, over the plugin ABI's parameter views): after a backward,
// each rank's gradients are replaced by the sum over ranks of `weight` x that rank's gradients. Gradients are
// packed into buckets of about `bucket_bytes` in backward order (the last component's parameters first); a
// bucket is sent as soon as every component in it has finished its backward, so that the all-reduce of the
// later components overlaps with the backward of the earlier ones. Buckets are always sent in the same order,
// as c10d requires of every rank.
#ifndef FUSE_TRAIN_GRADIENT_REDUCER_H_
#define FUSE_TRAIN_GRADIENT_REDUCER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuse/plugin/component.h"
#include "fuse/train/communicator.h"

namespace fuse::train {

class GradientReducer {
 public:
  // `components` in forward order, each with the parameters whose gradients are reduced (trainable ones with a
  // gradient; the caller leaves frozen ones out). Parameter memory must stay where it is.
  using ComponentParameters = std::pair<std::string, std::vector<Parameter>>;
  GradientReducer(Communicator& communicator, const std::vector<ComponentParameters>& components, size_t bucket_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // A backward starts whose gradients are to be reduced; this rank's count `weight` times (its share of the
  // global batch: the shard's samples over the batch's).
  void begin(double weight);
  // `component`'s gradients are final for this step (ignored outside begin/finish).
  void ready(const std::string& component);
  // Sends the buckets not sent yet and waits for all; the gradients then hold the sums. `what` names the step
  // in errors.
  void finish(const std::string& what);

  size_t bytes() const;    // gradient bytes each rank contributes per reduction
  size_t buckets() const;
  size_t reductions() const;      // finish() calls so far
  double waited_seconds() const;  // spent in finish() waiting for the sums (what the backward did not hide)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_GRADIENT_REDUCER_H_
