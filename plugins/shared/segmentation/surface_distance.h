// Surface distances between two masks on a grid of 1 to 3 axes with anisotropic spacing (the CPU side; the
// per-line and per-voxel steps are shared with the GPU twin through kernels/distance_line.h).
#ifndef FUSE_PLUGINS_SHARED_SEGMENTATION_SURFACE_DISTANCE_H_
#define FUSE_PLUGINS_SHARED_SEGMENTATION_SURFACE_DISTANCE_H_

#include <cstdint>
#include <vector>

namespace fuse::segmentation {

// Squared distance (in spacing units, e.g. mm^2) from each voxel to the nearest voxel where `seeds` is 1;
// +infinity everywhere when there is none. The exact transform, one axis after another: O(voxels).
std::vector<double> squared_distance(const std::vector<uint8_t>& seeds, const std::vector<int64_t>& shape,
                                     const std::vector<double>& spacing);

// Voxels of the mask that touch the background through a face (voxels on the grid border count as touching).
std::vector<uint8_t> surface(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape);

// The distances from the surface voxels of `from` (in voxel order) to the surface whose squared distance map
// is `to_distance2`.
std::vector<double> directed(const std::vector<uint8_t>& from_surface, const std::vector<double>& to_distance2);

// From the two directed distance lists (each non-empty), as MONAI: hd the larger directed maximum, hd95 the
// larger directed 95th percentile (linear interpolation), asd the mean over both lists.
struct SurfaceDistances {
  double hd, hd95, asd;
};
SurfaceDistances summarize(const std::vector<double>& ab, const std::vector<double>& ba);

// The normalised surface Dice (Nikolov et al. 2021, MONAI's compute_surface_dice): the fraction of both
// surfaces' voxels within `tolerance` of the other surface.
double surface_dice(const std::vector<double>& ab, const std::vector<double>& ba, double tolerance);

}  // namespace fuse::segmentation

#endif  // FUSE_PLUGINS_SHARED_SEGMENTATION_SURFACE_DISTANCE_H_
