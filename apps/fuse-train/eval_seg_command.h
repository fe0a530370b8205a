// fuse eval-seg: segmentations from any tool scored against references, folder against folder.
#ifndef FUSE_APPS_FUSE_TRAIN_EVAL_SEG_COMMAND_H_
#define FUSE_APPS_FUSE_TRAIN_EVAL_SEG_COMMAND_H_

#include <string>

#include "fuse/train/mask_folders.h"

namespace fuse::cli {

struct EvalSegOptions {
  fuse::train::MaskFolders folders;
  std::string regions;  // "1,2,3;2,3;3"
  bool num_classes_given = false;
  std::string out;
  bool no_progress = false;
};

int eval_seg(EvalSegOptions& o);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_EVAL_SEG_COMMAND_H_
