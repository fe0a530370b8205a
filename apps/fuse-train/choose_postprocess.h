// fuse choose-postprocess: nnU-Net's post-processing choice on a run's (or a cross-validation's) validation
// cases, printed as a table of the trials and written to the run folder for `fuse export`.
#ifndef FUSE_APPS_FUSE_TRAIN_CHOOSE_POSTPROCESS_H_
#define FUSE_APPS_FUSE_TRAIN_CHOOSE_POSTPROCESS_H_

#include <ostream>
#include <string>
#include <vector>

#include "fuse/train/postprocess_choice.h"

namespace fuse::cli {

struct ChoosePostprocessCommand {
  std::string experiment, run, checkpoint = "best", device = "cpu", metric;
  std::vector<std::string> settings;  // the run's --set values
  bool tta = false;  // with the experiment's test-time flips
  bool no_progress = false;
};

int choose_postprocess(const ChoosePostprocessCommand& command);
// The trials as a table: each one's Dice (mean and per class), HD95 and whether it was chosen.
void print_postprocess_trials(const train::PostprocessChoice& choice, std::ostream& out);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_CHOOSE_POSTPROCESS_H_
