// The columns of a run's predictions.csv, read by the trainer's evaluation and by cross-validation's
// out-of-fold one. Internal to the trainer.
#ifndef FUSE_TRAIN_SRC_PREDICTION_COLUMNS_H_
#define FUSE_TRAIN_SRC_PREDICTION_COLUMNS_H_

#include <string>
#include <vector>

namespace fuse::train {

// predictions.csv holds id, the target, the scores, the per-sample "loss", then the keys the evaluation also
// reads (its groups, a C-index's time and event): the scores are the columns between the target and the loss
// (keys are dotted, so none is called "loss").
template <class Name>
std::vector<std::string> score_columns(const std::vector<Name>& columns) {
  std::vector<std::string> scores;
  for (size_t i = 2; i < columns.size() && columns[i] != "loss"; ++i) scores.emplace_back(columns[i]);
  return scores;
}

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_PREDICTION_COLUMNS_H_
