// Out-of-fold prediction (`fuse infer BUNDLES --out-of-fold`): a cross-validation's bundles, each case
// predicted by the fold that validated it and so never trained on it (nnU-Net's validation folders). Written back
// onto each case's own grid and scored there, these are the cross-validation's results on the original images,
// and the inputs a cascade's next stage trains on.
#ifndef FUSE_TRAIN_OUT_OF_FOLD_H_
#define FUSE_TRAIN_OUT_OF_FOLD_H_

#include <cstddef>
#include <filesystem>
#include <vector>

#include "fuse/data/sample_source.h"

namespace fuse::train {

// For each sample, the index into `bundles` of the one whose validation cases (bundle_validation_cases) hold
// its id. Errors (kInvalidArgument), each naming what to do: fewer than two bundles; a bundle that records no
// validation cases; a case two bundles validated; samples that no bundle validated (the first few named).
std::vector<size_t> out_of_fold_bundles(const std::vector<std::filesystem::path>& bundles, const std::vector<data::Sample>& samples);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_OUT_OF_FOLD_H_
