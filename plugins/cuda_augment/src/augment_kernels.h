// The CUDA kernels of cuda_augment, behind plain launch functions (the op code is C++ and never sees CUDA
// syntax). Volumes are batches [n][channels][z][y][x] on the current device; per-sample parameters are device
// arrays. Each kernel computes a voxel with the same shared code (plugins/shared/kernels) as the CPU twin.
#ifndef FUSE_PLUGINS_CUDA_AUGMENT_AUGMENT_KERNELS_H_
#define FUSE_PLUGINS_CUDA_AUGMENT_AUGMENT_KERNELS_H_

#include <cstdint>

#include "kernels/sample_point.h"

namespace fuse::cuda_augment {

struct Batch {
  int64_t samples, channels;
  kernels::Extent size;  // spatial
  FUSE_HD int64_t voxels() const { return size.x * size.y * size.z; }
};

// One volume of a resampling: its data type, its channels, and whether it is interpolated (float images) or
// read at the nearest voxel (any type), with the value written outside the input.
enum class Voxel { kFloat32, kUInt8, kInt32, kInt64 };
struct ResampleTarget {
  const void* in;
  void* out;
  Voxel type;
  int64_t channels;
  bool linear;
  double fill;
};
inline constexpr int kMaxResampleTargets = 8;

// For every target: out[n] = in[n] sampled at maps[n] (12 doubles each: a 3x4 index map) plus disp[n] (3 floats
// per output voxel; null for none). All targets share the batch's samples and spatial size; one pass computes
// each voxel's point once for all of them (an image and its label map read the field once). Linear
// interpolation needs kFloat32. At most kMaxResampleTargets targets.
void resample(const ResampleTarget* targets, int count, int64_t samples, kernels::Extent in_size, kernels::Extent out_size, const double* maps,
              const float* disp);

// One separable B-spline pass (elastic fields): out[o][j][m] = sum_k w[j][k] * in[o][first[j] + k][m], the terms
// in k order and skipped outside [0, in_len), as the CPU's pass.
void bspline_pass(const float* in, float* out, int64_t outer, int64_t in_len, int64_t out_len, int64_t inner, const int64_t* first,
                  const float* weights);

// Per (sample, channel) of float volumes: minimum and maximum (gamma), or mean and standard deviation over all
// or the nonzero voxels (z-normalisation; count 0 leaves NaN).
void channel_min_max(const float* v, int64_t lines, int64_t voxels, double* low, double* high);
void channel_mean_std(const float* v, int64_t lines, int64_t voxels, bool nonzero, double* mean, double* sd, int64_t* count);

// In place, per sample n where apply[n]: gamma; noise of sd[n] from counter stream streams[n]; bias field
// exp(poly) with coefficients coef[n] and per-axis powers; z-normalisation.
void gamma(float* v, Batch b, const uint8_t* apply, const double* gammas, const double* low, const double* high);
void noise(float* v, Batch b, const uint8_t* apply, double mean, const double* sd, const uint64_t* streams);
void bias_field(float* v, Batch b, const uint8_t* apply, const double* coef, int order1, int kz, const double* px, const double* py,
                const double* pz);
void znorm(float* v, Batch b, bool nonzero, const double* mean, const double* sd);

}  // namespace fuse::cuda_augment

#endif  // FUSE_PLUGINS_CUDA_AUGMENT_AUGMENT_KERNELS_H_
