// fuse show-results: a trained run's validation samples drawn with their target and predicted masks, captioned
// and listed with their own loss and metrics (fastMONAI's show_results and plot_top_losses).
#ifndef FUSE_APPS_FUSE_TRAIN_SHOW_RESULTS_H_
#define FUSE_APPS_FUSE_TRAIN_SHOW_RESULTS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fuse::cli {

struct ShowResultsOptions {
  std::string experiment, run, checkpoint = "best", device = "cpu", plane = "axial", out = "results.png", csv, image_key, mask_key, pred_key;
  std::vector<std::string> ids;
  std::vector<std::string> settings;  // the run's --set values
  int64_t n = 8, slice = -1, channel = -1;  // channel: the image's to draw (-1: the first)
  int columns = 4;
  // At most one: run every validation sample and draw the --n with the largest loss, or the largest or
  // smallest value of "loss" or a validation metric (--lowest lesion_dice: the worst lesions). None: the first
  // --n, or the --ids.
  bool top_losses = false;
  bool tta = false;  // with the experiment's test-time flips
  std::string highest, lowest;
};

int show_results(const ShowResultsOptions& options);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_SHOW_RESULTS_H_
