// Resampling a volume through an index map, optionally plus a dense displacement field: the one kernel
// behind resample-to-spacing, reorientation, crops and pads, affine and elastic augmentation. One pass reads
// each output voxel's input neighbourhood once, so chained transforms should be composed into one map.
#ifndef FUSE_PLUGINS_SHARED_VOLUME_RESAMPLE_H_
#define FUSE_PLUGINS_SHARED_VOLUME_RESAMPLE_H_

#include <cstdint>

#include "geometry.h"

namespace fuse::volume {

enum class Interpolation { kNearest, kLinear };

// For every output voxel o of every channel: out[o] = in sampled at map(o) + displacement[o] (input voxel
// units; `displacement` is null or holds 3 floats per output voxel, x fastest). A sample within the input's
// extent (-0.5 to n - 0.5 voxels along each axis) reads it, the edge voxels repeating; outside, `fill`.
// Linear interpolation needs a floating type (float or double); nearest works for any.
template <class T>
void resample(const T* in, Size3 in_size, T* out, Size3 out_size, int64_t channels, const IndexMap& map,
              const float* displacement, Interpolation interpolation, double fill);

// Resamples the tensor under `key` in place of itself (same leading axes, `out_size` spatially). Integer
// tensors with linear interpolation become float32 first. `fill` outside the input.
void resample_key(sdk::Dict& sample, const std::string& key, int dims, Size3 out_size, const IndexMap& map,
                  const float* displacement, Interpolation interpolation, double fill);

}  // namespace fuse::volume

#endif  // FUSE_PLUGINS_SHARED_VOLUME_RESAMPLE_H_
