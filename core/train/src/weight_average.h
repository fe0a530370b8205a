// An exponential moving average of a model's trainable weights (Polyak averaging; timm's ModelEma): updated
// after each optimiser step, swapped in to validate and to checkpoint the weights that are exported. Internal to
// the trainer.
#ifndef FUSE_TRAIN_SRC_WEIGHT_AVERAGE_H_
#define FUSE_TRAIN_SRC_WEIGHT_AVERAGE_H_

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "fuse/train/model_graph.h"

namespace fuse::train {

class WeightAverage {
 public:
  // The average starts at the trainable parameters' values. Buffers (batch-norm statistics) are not averaged:
  // the trained model's serve the average too, alike on every rank of a distributed run (timm averages them;
  // measured here, that cost seg3d's UNet 0.01-0.04 Dice).
  WeightAverage(const std::vector<NamedParameter>& parameters, double decay);

  // After optimiser step `step` (0, 1, ...): average = d * average + (1 - d) * weights, with d the decay warmed
  // up as min(decay, (1 + step) / (10 + step)), so the first steps' weights do not linger.
  void update(int64_t step);
  // Exchanges the weights and the average (twice: back as they were).
  void swap();
  // The average restarts at the weights' current values (a resumed run, after loading the average's state).
  void reset();

 private:
  double decay_at(int64_t step) const;
  std::vector<torch::Tensor> weights_, average_;
  double decay_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_WEIGHT_AVERAGE_H_
