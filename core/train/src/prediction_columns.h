// The columns of a run's predictions.csv, read by the trainer's evaluation and by cross-validation's
// out-of-fold one. Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_PREDICTION_COLUMNS_H_
#define FUSE_TRAIN_SRC_PREDICTION_COLUMNS_H_

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace fuse::train {

// predictions.csv holds id, the target's columns (the target; or each label key's: the key, or key_0, key_1, ...
// for a tensor's elements), the scores, the per-sample "loss", then the keys the evaluation also reads (its
// groups, a C-index's time and event): the scores are the columns between the targets and the loss (keys are
// dotted, so none is called "loss").
struct PredictionLayout {
  std::vector<std::string> targets, scores;
};

template <class Name>
PredictionLayout prediction_layout(const std::vector<Name>& columns, const std::vector<std::string>& target_keys) {
  const auto of_target = [&](const std::string& column) {
    return std::any_of(target_keys.begin(), target_keys.end(), [&](const std::string& key) {
      if (column == key) return true;
      if (column.size() <= key.size() + 1 || column.compare(0, key.size() + 1, key + "_") != 0) return false;
      return std::all_of(column.begin() + static_cast<std::ptrdiff_t>(key.size() + 1), column.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    });
  };
  PredictionLayout layout;
  size_t i = 1;
  for (; i < columns.size() && of_target(std::string(columns[i])); ++i) layout.targets.emplace_back(columns[i]);
  for (; i < columns.size() && columns[i] != "loss"; ++i) layout.scores.emplace_back(columns[i]);
  return layout;
}

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_PREDICTION_COLUMNS_H_
