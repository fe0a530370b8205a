// fuse choose-ensemble: nnU-Net's choice among trained configurations (each alone and each pair's ensemble) on
// their shared validation cases, printed as a table, with the chosen one's post-processing written to its runs
// for `fuse export`.
#ifndef FUSE_APPS_FUSE_TRAIN_CHOOSE_ENSEMBLE_H_
#define FUSE_APPS_FUSE_TRAIN_CHOOSE_ENSEMBLE_H_

#include <string>
#include <vector>

namespace fuse::cli {

struct ChooseEnsembleCommand {
  std::vector<std::string> pairs;  // EXPERIMENT RUN EXPERIMENT RUN ...
  std::string checkpoint = "best", device = "cpu", metric, out, csv;
  bool tta = false;  // with each experiment's test-time flips
  bool no_progress = false;
};

int choose_ensemble(const ChooseEnsembleCommand& command);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_CHOOSE_ENSEMBLE_H_
