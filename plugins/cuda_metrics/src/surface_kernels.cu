#include <cub/block/block_reduce.cuh>
#include <cub/device/device_select.cuh>

#include "device_memory.h"
#include "kernels/distance_line.h"
#include "surface_kernels.h"

namespace fuse::cuda_metrics {
namespace {

constexpr int kThreads = 256;
// Scratch for the lines transformed at once; longer grids take several launches per axis.
constexpr size_t kScratchBytes = size_t{256} << 20;

unsigned blocks_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

#define FUSE_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)

__device__ double label_at(const void* p, LabelType t, int64_t i) {
  switch (t) {
    case LabelType::kUInt8: return static_cast<const uint8_t*>(p)[i];
    case LabelType::kInt32: return static_cast<const int32_t*>(p)[i];
    case LabelType::kInt64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case LabelType::kFloat32: return static_cast<const float*>(p)[i];
    default: return static_cast<const double*>(p)[i];
  }
}

__device__ bool in_set(const LabelSet& labels, double v) {
  for (int k = 0; k < labels.count; ++k)
    if (labels.values[k] == v) return true;
  return false;
}

__global__ void masks_kernel(const void* pred, LabelType pt, const void* target, LabelType tt, int64_t voxels, LabelSet labels, uint8_t* a,
                             uint8_t* b, unsigned long long* counts) {
  unsigned long long na = 0, nb = 0, both = 0;
  FUSE_GRID_STRIDE(i, voxels) {
    const double t = label_at(target, tt, i);
    if (labels.has_ignore && t == labels.ignore) {  // not annotated: in neither map, as the CPU twin
      a[i] = b[i] = 0;
      continue;
    }
    const bool x = in_set(labels, label_at(pred, pt, i)), y = in_set(labels, t);
    a[i] = x, b[i] = y;
    na += x, nb += y, both += x && y;
  }
  // One atomic per block and count: one per thread made the counts' three words the kernel's bottleneck.
  using Reduce = cub::BlockReduce<unsigned long long, kThreads>;
  __shared__ typename Reduce::TempStorage storage;
  const unsigned long long sum_a = Reduce(storage).Sum(na);
  __syncthreads();
  const unsigned long long sum_b = Reduce(storage).Sum(nb);
  __syncthreads();
  const unsigned long long sum_both = Reduce(storage).Sum(both);
  if (threadIdx.x == 0) {
    if (sum_a) atomicAdd(&counts[0], sum_a);
    if (sum_b) atomicAdd(&counts[1], sum_b);
    if (sum_both) atomicAdd(&counts[2], sum_both);
  }
}

__global__ void surface_kernel(const uint8_t* mask, Grid g, uint8_t* out) {
  FUSE_GRID_STRIDE(i, g.voxels) out[i] = kernels::surface_voxel(mask, i, g.nd, g.shape, g.strides);
}

__global__ void seed_kernel(const uint8_t* seeds, int64_t voxels, double* f) {
  FUSE_GRID_STRIDE(i, voxels) f[i] = seeds[i] ? 0.0 : INFINITY;
}

// One thread per line along `axis` of maps stored one after the other (line L is line L % lines of map
// L / lines, lines = voxels / n per map): lines first .. first + count. The scratch holds v, fv (n rows each) and z (n + 1 rows) of `count` columns, a
// line's elements down its column: neighbouring threads touch neighbouring words, so their reads and writes
// coalesce.
__global__ void line_kernel(double* f, Grid g, int axis, int64_t first, int64_t count, char* scratch) {
  const int64_t n = g.shape[axis], stride = g.strides[axis], lines = g.voxels / n;
  auto* v = reinterpret_cast<int64_t*>(scratch);
  auto* fv = reinterpret_cast<double*>(scratch + static_cast<size_t>(n * count) * 8);
  auto* z = reinterpret_cast<double*>(scratch + static_cast<size_t>(2 * n * count) * 8);
  FUSE_GRID_STRIDE(k, count) {
    const int64_t line = first + k, map = line / lines;
    kernels::distance_line(f + map * g.voxels + kernels::line_start(line - map * lines, n, stride), n, stride, g.spacing[axis], v + k, fv + k, z + k, count);
  }
}

__global__ void sqrt_kernel(const double* d2, int64_t voxels, double* out) {
  FUSE_GRID_STRIDE(i, voxels) out[i] = sqrt(d2[i]);  // IEEE-rounded, as std::sqrt
}

using cuda::Scratch;

// The squared distance maps of both seed masks, f and f + voxels, in the same launches: one map's lines fill a
// tenth of a large GPU's threads (each line a chain of dependent reads), two fill twice as many.
cudaError_t transform_pair(const uint8_t* seeds0, const uint8_t* seeds1, const Grid& g, double* f, char* scratch, size_t scratch_bytes) {
  seed_kernel<<<blocks_for(g.voxels), kThreads>>>(seeds0, g.voxels, f);
  seed_kernel<<<blocks_for(g.voxels), kThreads>>>(seeds1, g.voxels, f + g.voxels);
  for (int axis = 0; axis < g.nd; ++axis) {
    const int64_t n = g.shape[axis], lines = 2 * (g.voxels / n);
    const int64_t chunk = static_cast<int64_t>(scratch_bytes / (static_cast<size_t>(3 * n + 1) * 8));
    for (int64_t first = 0; first < lines; first += chunk) {
      const int64_t count = lines - first < chunk ? lines - first : chunk;
      line_kernel<<<blocks_for(count), kThreads>>>(f, g, axis, first, count, scratch);
    }
  }
  return cudaGetLastError();
}

size_t scratch_bytes_for(const Grid& g) {
  size_t need = 0;
  for (int axis = 0; axis < g.nd; ++axis) {
    const size_t lines = 2 * static_cast<size_t>(g.voxels / g.shape[axis]), per_line = static_cast<size_t>(3 * g.shape[axis] + 1) * 8;
    const size_t want = lines * per_line < kScratchBytes ? lines * per_line : (kScratchBytes / per_line > 0 ? kScratchBytes / per_line : 1) * per_line;
    need = want > need ? want : need;
  }
  return need;
}

}  // namespace

cudaError_t class_masks(const void* pred, LabelType pred_type, const void* target, LabelType target_type, int64_t voxels, const LabelSet& labels,
                        uint8_t* a, uint8_t* b, unsigned long long* counts) {
  masks_kernel<<<blocks_for(voxels), kThreads>>>(pred, pred_type, target, target_type, voxels, labels, a, b, counts);
  return cudaGetLastError();
}

cudaError_t surface_distances(const uint8_t* a, const uint8_t* b, const Grid& g, std::vector<double>* ab, std::vector<double>* ba) {
  const size_t v = static_cast<size_t>(g.voxels), scratch_bytes = scratch_bytes_for(g);
  Scratch surfaces, map, dist, out, count, lines, temp;
  cudaError_t e;
  if ((e = surfaces.alloc(2 * v)) != cudaSuccess) return e;
  if ((e = map.alloc(2 * v * sizeof(double))) != cudaSuccess) return e;  // both directions' squared maps
  if ((e = dist.alloc(v * sizeof(double))) != cudaSuccess) return e;
  if ((e = out.alloc(v * sizeof(double))) != cudaSuccess) return e;
  if ((e = count.alloc(sizeof(int64_t))) != cudaSuccess) return e;
  if ((e = lines.alloc(scratch_bytes)) != cudaSuccess) return e;
  auto* sa = static_cast<uint8_t*>(surfaces.p);
  uint8_t* sb = sa + v;
  auto* d2 = static_cast<double*>(map.p);
  auto* d = static_cast<double*>(dist.p);
  auto* selected = static_cast<double*>(out.p);
  auto* n_selected = static_cast<int64_t*>(count.p);
  size_t temp_bytes = 0;
  if ((e = cub::DeviceSelect::Flagged(nullptr, temp_bytes, d, sa, selected, n_selected, g.voxels)) != cudaSuccess) return e;
  if ((e = temp.alloc(temp_bytes)) != cudaSuccess) return e;
  surface_kernel<<<blocks_for(g.voxels), kThreads>>>(a, g, sa);
  surface_kernel<<<blocks_for(g.voxels), kThreads>>>(b, g, sb);
  // From each surface to the other: the other's distance map, its root at this surface's voxels, in order.
  const uint8_t* from[2] = {sa, sb};
  const uint8_t* to[2] = {sb, sa};
  std::vector<double>* result[2] = {ab, ba};
  if ((e = transform_pair(to[0], to[1], g, d2, static_cast<char*>(lines.p), scratch_bytes)) != cudaSuccess) return e;
  for (int k = 0; k < 2; ++k) {
    sqrt_kernel<<<blocks_for(g.voxels), kThreads>>>(d2 + k * v, g.voxels, d);
    if ((e = cub::DeviceSelect::Flagged(temp.p, temp_bytes, d, from[k], selected, n_selected, g.voxels)) != cudaSuccess) return e;
    int64_t n = 0;
    if ((e = cudaMemcpy(&n, n_selected, sizeof n, cudaMemcpyDeviceToHost)) != cudaSuccess) return e;
    result[k]->resize(static_cast<size_t>(n));
    if ((e = cudaMemcpy(result[k]->data(), selected, static_cast<size_t>(n) * sizeof(double), cudaMemcpyDeviceToHost)) != cudaSuccess) return e;
  }
  return cudaGetLastError();
}

}  // namespace fuse::cuda_metrics
