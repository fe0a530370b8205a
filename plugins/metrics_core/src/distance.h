// Exact Euclidean distance transforms on 1-3 dimensional grids with anisotropic spacing, and mask surfaces:
// what surface-distance metrics need.
#ifndef FUSE_PLUGINS_METRICS_CORE_DISTANCE_H_
#define FUSE_PLUGINS_METRICS_CORE_DISTANCE_H_

#include <cstdint>
#include <vector>

namespace fuse::metrics {

// Squared distance (in spacing units, e.g. mm^2) from each voxel to the nearest voxel where `seeds` is 1;
// +infinity everywhere when there is none. Felzenszwalb and Huttenlocher's lower envelope of parabolas, one
// axis after another: O(voxels).
std::vector<double> squared_distance(const std::vector<uint8_t>& seeds, const std::vector<int64_t>& shape,
                                     const std::vector<double>& spacing);

// Voxels of the mask that touch the background through a face (voxels on the grid border count as touching).
std::vector<uint8_t> surface(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape);

}  // namespace fuse::metrics

#endif  // FUSE_PLUGINS_METRICS_CORE_DISTANCE_H_
