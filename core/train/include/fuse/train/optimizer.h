// The optimiser: LibTorch's SGD, Adam or AdamW updating the model's parameters in place through the views the
// components hand out, in parameter groups with their own learning rates; frozen parameters are left out.
// SAM (sharpness-aware minimisation) wraps any of them. LibTorch stays behind this header.
#ifndef FUSE_TRAIN_OPTIMIZER_H_
#define FUSE_TRAIN_OPTIMIZER_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuse/train/model_graph.h"

namespace fuse::train {

struct OptimizerSpec {
  std::string name = "adamw";  // sgd, adam, adamw
  double lr = 1e-3;
  double weight_decay = 0.0;
  double momentum = 0.9;       // sgd
  bool nesterov = false;       // sgd
  std::array<double, 2> betas{0.9, 0.999};  // adam, adamw
  double sam_rho = 0.0;        // > 0: sharpness-aware minimisation with this neighbourhood radius
};

struct ParamGroupSpec {
  std::vector<std::string> patterns;  // globs over parameter names ('*' crosses dots)
  std::optional<double> lr, weight_decay;
};

class Optimizer {
 public:
  // `freeze` globs leave parameters out (they keep their values). A parameter in no group is in the default one.
  Optimizer(std::vector<NamedParameter> parameters, const OptimizerSpec& spec, const std::vector<ParamGroupSpec>& groups,
            const std::vector<std::string>& freeze);
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void step();
  // Scales every group's learning rate to factor x its base (schedules); returns the default group's rate.
  double set_lr_factor(double factor);
  double lr() const;
  // Sets every group's momentum (SGD) or first beta (Adam, AdamW): one-cycle schedules cycle it.
  void set_momentum(double momentum);
  double momentum() const;
  // Clips the gradients' global norm to `max_norm`; returns the norm before clipping.
  double clip_grad_norm(double max_norm);
  // SAM: moves the weights to the worst point of their neighbourhood (from the current gradients), and back.
  bool sharpness_aware() const;
  void sam_ascend();
  void sam_restore();
  // Whether any gradient holds a NaN or an infinity.
  bool gradients_finite() const;

  size_t trainable() const;
  std::vector<std::string> frozen() const;
  std::string save_state() const;
  void load_state(const std::string& bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_OPTIMIZER_H_
