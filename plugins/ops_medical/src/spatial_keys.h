// What every spatial op shares: the keys it moves together (images with linear interpolation, labels with
// nearest), their grid, and applying one index map (and displacement) to all of them, keeping "<key>_meta" true.
#ifndef FUSE_PLUGINS_OPS_MEDICAL_SPATIAL_KEYS_H_
#define FUSE_PLUGINS_OPS_MEDICAL_SPATIAL_KEYS_H_

#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"
#include "geometry.h"
#include "resample.h"
#include "spatial_draws.h"

namespace fuse::ops_medical {

class SpatialKeys {
 public:
  // Reads "keys", "labels", "dims" and "fill" from the config; at least one key is required.
  explicit SpatialKeys(const sdk::DictView& config);

  int dims() const { return dims_; }
  // The spatial size shared by every key (an error names the keys whose sizes differ).
  volume::Size3 size(const sdk::DictView& sample) const;
  // The voxel spacing, from the first key's "<key>_meta" when there (else 1 mm).
  std::array<double, 3> spacing(const sdk::DictView& sample) const;
  // Resamples every key through `map` (+ `displacement`) onto `out_size`; updates the meta of keys that have
  // one when `update_meta` (crops and pads move the grid; augmentations leave the recorded geometry alone).
  // With `exact` (maps that only permute, flip or shift whole voxels) every key is copied by nearest sampling,
  // keeping its dtype.
  void apply(sdk::Dict& sample, volume::Size3 out_size, const volume::IndexMap& map, const float* displacement,
             bool update_meta, bool exact = false) const;
  const std::vector<std::string>& all() const { return all_; }

 private:
  std::vector<std::string> images_, labels_, all_;
  int dims_;
  double fill_;
};

using volume::range_option;

// Axis indices of a config's 'axes' list (0 = x, 1 = y, 2 = z), checked against the op's dims.
std::vector<int> axes_option(const sdk::DictView& config, int dims);

}  // namespace fuse::ops_medical

#endif  // FUSE_PLUGINS_OPS_MEDICAL_SPATIAL_KEYS_H_
