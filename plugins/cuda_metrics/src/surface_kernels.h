// The CUDA side of fuse.cuda.gpu_segmentation behind plain functions: class masks with their overlap counts,
// and surface distances through a device distance transform. Each voxel and each line is computed by the
// CPU twin's shared code (kernels/distance_line.h), so the distances are the CPU's to the last bit.
#ifndef FUSE_PLUGINS_CUDA_METRICS_SURFACE_KERNELS_H_
#define FUSE_PLUGINS_CUDA_METRICS_SURFACE_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

namespace fuse::cuda_metrics {

// The label dtypes the masks read (compared as doubles, as the CPU twin does).
enum class LabelType : int { kUInt8, kInt32, kInt64, kFloat32, kFloat64 };

// A sample's grid: 1 to 3 axes, row-major, with the physical spacing per axis.
struct Grid {
  int nd;
  int64_t shape[3], strides[3];
  double spacing[3];
  int64_t voxels;
};

// The label values of one class (one value) or region (several), passed to the kernel by value.
struct LabelSet {
  int count;
  double values[32];  // segmentation::kMaxRegionLabels
  int has_ignore;     // target voxels of label `ignore` (not annotated) are in neither mask
  double ignore;
};

// a[i] = pred[i] in labels and b[i] = target[i] in labels for `voxels` elements (both 0 where the target holds
// the ignore label); counts[0], [1], [2] += the voxels in a, in b, in both.
cudaError_t class_masks(const void* pred, LabelType pred_type, const void* target, LabelType target_type, int64_t voxels, const LabelSet& labels,
                        uint8_t* a, uint8_t* b, unsigned long long* counts);

// One sample and class with both masks non-empty: the surfaces of a and b, the squared distance map of each, and
// the distances from a's surface voxels to b's surface (ab) and back (ba), in voxel order, copied to the host.
cudaError_t surface_distances(const uint8_t* a, const uint8_t* b, const Grid& grid, std::vector<double>* ab, std::vector<double>* ba);

}  // namespace fuse::cuda_metrics

#endif  // FUSE_PLUGINS_CUDA_METRICS_SURFACE_KERNELS_H_
