// fuse infer: one input, or many (a folder, a table) in batches into --out, with ensembles, test-time flips,
// out-of-fold bundles and a cascade's previous stage.
#ifndef FUSE_APPS_FUSE_TRAIN_INFER_COMMAND_H_
#define FUSE_APPS_FUSE_TRAIN_INFER_COMMAND_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuse/train/inference_inputs.h"

namespace fuse::cli {

struct InferOptions {
  std::vector<std::string> bundles;
  fuse::train::InferenceInputs inputs;
  std::string output, device = "cpu", out, output_name = "{id}{ext}", reference;
  std::string mirror;  // "xyz": test-time flips along every combination of these axes
  size_t workers = 2, batch = 0;
  bool keep_going = false, no_progress = false;
  bool out_of_fold = false;  // each input by the bundle whose validation cases hold it
  std::string previous_stage;  // a cascade's first stage: its bundles, or a folder of its segmentations
};

int infer(const InferOptions& o);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_INFER_COMMAND_H_
