// Segmentations from any tool scored against references, folder against folder (nnU-Net's evaluate_folder;
// `fuse eval-seg`): label maps paired by their names, each pair scored on its own grid by fuse.metrics.segmentation,
// per case and over the cases with bootstrap intervals.
#ifndef FUSE_TRAIN_MASK_FOLDERS_H_
#define FUSE_TRAIN_MASK_FOLDERS_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/eval/eval_config.h"
#include "fuse/plugin/registry.h"

namespace fuse::train {

struct MaskFolders {
  std::filesystem::path predictions, references;
  // The predictions' and the references' file names (the references' default: the predictions'); a pair shares
  // what the pattern's first '*' matched ("case_7" of "case_7.nii.gz" and of "case_7_mask.nii.gz").
  std::string pattern = "*.nii.gz", reference_pattern;
  int64_t num_classes = 2;           // labels 0 .. num_classes - 1
  bool include_background = false;
  // Scored instead of classes when set: regions of labels (BraTS's {1, 2, 3}, {2, 3}, {3}), numbered from 1.
  std::vector<std::vector<int64_t>> regions;
  std::vector<std::string> region_names;  // per region, its scores' name (dice.<name>); "" or none: its number
  // The references' label of voxels not annotated (nnU-Net's ignore label): counted in neither map.
  std::optional<int64_t> ignore_label;
  double tolerance = 1.0;               // surface Dice's, in physical units
  std::string empty_distance = "max";   // "max" or "nan": see fuse.metrics.segmentation
  eval::CiSpec ci;
  size_t threads = 0;  // reading and scoring cases (0: every core); results do not depend on it
};

struct MaskFoldersResult {
  std::vector<std::string> ids, predictions, references;  // per case, in name order
  std::vector<std::string> names;  // the per-case values: dice, iou, hd95, hd, asd, nsd (means over classes),
                                   // then each class's (or region's) dice.<c> and hd95.<c>
  std::vector<std::vector<double>> per_case;
  boost::json::object results;  // as evaluation.json: metrics (means over cases, intervals), data, cases
};

// A prediction without its reference, or a reference without its prediction, is an error listing them.
MaskFoldersResult evaluate_mask_folders(const Registry& registry, const MaskFolders& options,
                                        const std::function<void(size_t done, size_t total)>& on_progress = {});

}  // namespace fuse::train

#endif  // FUSE_TRAIN_MASK_FOLDERS_H_
