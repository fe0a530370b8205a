// A cascade (nnU-Net's 3d_cascade_fullres): the second stage's model reads, beside each input, the first stage's
// segmentation of it (its 3d_lowres model's), under the key its inference names (inference.previous_stage).
// `fuse infer --previous-stage` gives those segmentations as a folder of files named by the inputs' ids, as
// `fuse infer --out` writes them, or makes them first with the first stage's bundles.
#ifndef FUSE_TRAIN_PREVIOUS_STAGE_H_
#define FUSE_TRAIN_PREVIOUS_STAGE_H_

#include <filesystem>
#include <string>
#include <vector>

#include "fuse/data/sample_source.h"

namespace fuse::train {

// Sets `key` of each sample to its file in `folder`: the one whose name without extensions is the sample's id
// ("case03.nii.gz" for "case03"). Errors (kIo) name the folder, or the first input without a file and what was
// looked for.
void attach_previous_stage(std::vector<data::Sample>& samples, const std::string& key, const std::filesystem::path& folder);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_PREVIOUS_STAGE_H_
