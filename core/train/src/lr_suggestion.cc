#include "fuse/train/lr_suggestion.h"

namespace fuse::train {

std::optional<size_t> valley_index(const std::vector<double>& smoothed) {
  const size_t n = smoothed.size();
  // length[i]: the most points of a falling run ending at i.
  std::vector<size_t> length(n, 1);
  size_t end = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < i; ++j)
      if (smoothed[i] < smoothed[j] && length[j] + 1 > length[i]) length[i] = length[j] + 1;
    if (length[i] > length[end]) end = i;
  }
  if (n == 0 || length[end] < 2) return std::nullopt;
  // The valley is the run's points laid end to end before its end: a run that picks a few lower points across a
  // noisy plateau is long in rates but thin in points, and the plateau is no place to train.
  return end - length[end] / 2;
}

std::optional<size_t> steepest_index(const std::vector<double>& smoothed) {
  // Steps are equal in log(rate), so the fall per step is the fall per decade up to a constant.
  std::optional<size_t> at;
  double steepest = 0;
  for (size_t i = smoothed.size() / 10 + 1; i + 1 < smoothed.size(); ++i) {
    const double slope = smoothed[i + 1] - smoothed[i - 1];
    if (slope < steepest) steepest = slope, at = i;
  }
  return at;
}

}  // namespace fuse::train
