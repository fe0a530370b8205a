// The experiment's losses as one objective (FuseMedML's LossDefault per term): each loss component with its
// weight, a warm-up during which it counts zero, and class weights computed from the training labels.
// Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_LOSS_TERMS_H_
#define FUSE_TRAIN_SRC_LOSS_TERMS_H_

#include <memory>
#include <string>
#include <vector>

#include "fuse/data/dataset.h"
#include "fuse/data/pipeline.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/class_weights.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

class LossTerms {
 public:
  // `train` provides the labels for "class_weights": "auto".
  LossTerms(const Registry& registry, const std::vector<LossSpec>& specs, data::Dataset& train);

  struct Values {
    double total = 0;
    std::vector<double> each;  // per loss, unweighted
  };
  // Every loss on `batch`. With `grads`, adds weight * scale * d(loss)/d(key) to `grads` (scale: 1 / the
  // accumulation steps). A loss in its warm-up counts 0 and gives no gradient. A loss with deep supervision is
  // its terms' weighted sum where the batch has the lower-resolution outputs (training), else its
  // full-resolution term (validation, where the model writes none); training without them is an error.
  Values compute(const NDict& batch, NDict* grads, int64_t optimizer_step, double scale);
  // Before the first batch: every key a loss reads is in `batch`, else an error naming the loss and where the
  // keys could have come from.
  void check_keys(const NDict& batch, const std::vector<std::string>& model_outputs) const;

  const std::vector<std::string>& names() const { return names_; }
  // For the run's output, one line each: what was fitted to the training data (the class weights of "auto"),
  // and deep supervision's weights.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  // A loss's deep supervision: the loss on each lower-resolution output, and the weights of the full-resolution
  // term, then of those (empty without deep supervision).
  struct Supervision {
    std::vector<Loss> losses;
    std::vector<double> weights;
  };
  static Supervision supervision(const Registry& registry, const LossSpec& spec, boost::json::object config);

  std::vector<Loss> losses_;
  std::vector<Supervision> supervision_;
  std::vector<std::unique_ptr<data::Pipeline>> pre_;  // per loss, may be empty
  std::vector<LossSpec> specs_;
  std::vector<std::string> names_;
  std::vector<std::string> notes_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_LOSS_TERMS_H_
