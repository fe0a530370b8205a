// Connected components of a binary mask (1 to 3 spatial axes): instances for lesion-wise detection metrics and
// for keeping the largest component of a segmentation.
#ifndef FUSE_PLUGINS_SHARED_SEGMENTATION_CONNECTED_COMPONENTS_H_
#define FUSE_PLUGINS_SHARED_SEGMENTATION_CONNECTED_COMPONENTS_H_

#include <cstdint>
#include <vector>

namespace fuse::segmentation {

struct Components {
  std::vector<int32_t> labels;  // per voxel: 0 outside the mask, else 1..count (numbered by first voxel, row-major)
  std::vector<int64_t> sizes;   // voxels per component; sizes[0] is unused (0)
  int64_t count() const { return static_cast<int64_t>(sizes.size()) - 1; }
};

// The components of `mask` (row-major, `shape` its spatial sizes). `full` connectivity joins voxels that share a
// face, an edge or a corner (8 neighbours in 2D, 26 in 3D); otherwise only a face (4, 6).
Components connected_components(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape, bool full);

}  // namespace fuse::segmentation

#endif  // FUSE_PLUGINS_SHARED_SEGMENTATION_CONNECTED_COMPONENTS_H_
