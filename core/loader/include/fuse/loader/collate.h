// Turning samples into a batch (FuseMedML's CollateDefault).
#ifndef FUSE_LOADER_COLLATE_H_
#define FUSE_LOADER_COLLATE_H_

#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::loader {

struct CollateOptions {
  // Tensors of different shapes: an error (default), or zero-padded to the largest shape with a
  // "<key>_mask" tensor (1 where there is data).
  bool pad = false;
  std::vector<std::string> skip;  // keys left out of the batch
  std::string id_key = "data.sample_id";
};

// Tensors of one shape and dtype are stacked into [batch, ...]; ints, doubles and bools become [batch] tensors
// (int64, float64, uint8; ints and doubles mixed, float64); anything else becomes a list. A key missing from some samples, or tensors that do not
// stack, are errors naming the key, the shapes and the sample ids.
NDict collate(const std::vector<NDict>& samples, const CollateOptions& options = {});

}  // namespace fuse::loader

#endif  // FUSE_LOADER_COLLATE_H_
