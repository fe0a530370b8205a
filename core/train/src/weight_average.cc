#include "weight_average.h"

#include <algorithm>

#include "torch_view.h"

namespace fuse::train {

WeightAverage::WeightAverage(const std::vector<NamedParameter>& parameters, double decay) : decay_(decay) {
  for (const NamedParameter& p : parameters)
    if (p.parameter.trainable && p.parameter.value != nullptr) weights_.push_back(parameter_view(*p.parameter.value));
  reset();
}

double WeightAverage::decay_at(int64_t step) const {
  return std::min(decay_, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

void WeightAverage::update(int64_t step) {
  torch::NoGradGuard no_grad;
  const double d = decay_at(step);
  for (size_t i = 0; i < weights_.size(); ++i) average_[i].mul_(d).add_(weights_[i], 1.0 - d);
}

void WeightAverage::swap() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < weights_.size(); ++i) {
    const torch::Tensor trained = weights_[i].clone();
    weights_[i].copy_(average_[i]);
    average_[i].copy_(trained);
  }
}

void WeightAverage::reset() {
  torch::NoGradGuard no_grad;
  average_.clear();
  for (const torch::Tensor& w : weights_) average_.push_back(w.clone());
}

}  // namespace fuse::train
