#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_reduce.cuh>

#include <vector>

#include "device_memory.h"
#include "kernels/poisson_auc.h"
#include "metric_kernels.h"

namespace fuse::cuda_metrics {

namespace {

constexpr int kThreads = 256;

struct Counts {
  unsigned long long pos, neg;
};

struct AddCounts {
  __host__ __device__ Counts operator()(const Counts& a, const Counts& b) const { return Counts{a.pos + b.pos, a.neg + b.neg}; }
};

__global__ void to_counts(const uint8_t* labels, int64_t n, Counts* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = Counts{labels[i] ? 1ull : 0ull, labels[i] ? 0ull : 1ull};
}

__global__ void split_counts(const Counts* in, const int64_t* groups, uint64_t* pos, uint64_t* neg) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < *groups; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    pos[i] = in[i].pos, neg[i] = in[i].neg;
}

// One block per round: groups in chunks of kThreads, each thread redraws one group; an exclusive scan of the
// redrawn negatives gives each group's negatives below it.
__global__ void bootstrap_kernel(const uint64_t* pos, const uint64_t* neg, int64_t groups, uint64_t seed, uint64_t first_round, const double* table,
                                 double* out) {
  using Scan = cub::BlockScan<unsigned long long, kThreads>;
  using Reduce = cub::BlockReduce<unsigned long long, kThreads>;
  __shared__ typename Scan::TempStorage scan_storage;
  __shared__ typename Reduce::TempStorage reduce_storage;
  __shared__ unsigned long long carry;
  const uint64_t round = first_round + blockIdx.x, stream = kernels::round_stream(seed, round);
  if (threadIdx.x == 0) carry = 0;
  unsigned long long twice = 0, p_total = 0;
  for (int64_t start = 0; start < groups; start += kThreads) {
    const int64_t g = start + threadIdx.x;
    unsigned long long p = 0, n = 0;
    if (g < groups) p = kernels::redraw_from_table(pos[g], stream, g, 0, table), n = kernels::redraw_from_table(neg[g], stream, g, 1, table);
    unsigned long long below = 0, chunk = 0;
    __syncthreads();  // carry from the last chunk is visible
    Scan(scan_storage).ExclusiveSum(n, below, chunk);
    twice += p * (2 * (carry + below) + n);
    p_total += p;
    __syncthreads();
    if (threadIdx.x == 0) carry += chunk;
  }
  __syncthreads();
  const unsigned long long num = Reduce(reduce_storage).Sum(twice);
  __syncthreads();
  const unsigned long long positives = Reduce(reduce_storage).Sum(p_total);
  if (threadIdx.x == 0) {
    kernels::AucSums s;
    s.twice_num = num, s.pos = positives, s.neg = carry;
    out[round] = kernels::auc_of(s);
  }
}

__global__ void confusion_kernel(const int64_t* pred, const int64_t* target, int64_t n, int64_t classes, unsigned long long* counts,
                                 unsigned long long* outside) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t t = target[i], p = pred[i];
    if (t < 0 || t >= classes || p < 0 || p >= classes) atomicAdd(outside, 1ull);
    else atomicAdd(&counts[t * classes + p], 1ull);
  }
}

unsigned grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

using cuda::Scratch;

}  // namespace

cudaError_t score_groups(const double* scores, const uint8_t* labels, int64_t n, uint64_t* pos, uint64_t* neg, int64_t* groups) {
  Scratch keys, values, counts, unique, reduced, temp, ngroups;
  cudaError_t e;
  if ((e = keys.alloc(n * sizeof(double))) != cudaSuccess) return e;
  if ((e = values.alloc(n * sizeof(uint8_t))) != cudaSuccess) return e;
  size_t sort_bytes = 0, reduce_bytes = 0;
  auto* k = static_cast<double*>(keys.p);
  auto* v = static_cast<uint8_t*>(values.p);
  if ((e = cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, scores, k, labels, v, n)) != cudaSuccess) return e;
  if ((e = counts.alloc(n * sizeof(Counts))) != cudaSuccess) return e;
  if ((e = unique.alloc(n * sizeof(double))) != cudaSuccess) return e;
  if ((e = reduced.alloc(n * sizeof(Counts))) != cudaSuccess) return e;
  if ((e = ngroups.alloc(sizeof(int64_t))) != cudaSuccess) return e;
  auto* c = static_cast<Counts*>(counts.p);
  auto* r = static_cast<Counts*>(reduced.p);
  auto* g = static_cast<int64_t*>(ngroups.p);
  if ((e = cub::DeviceReduce::ReduceByKey(nullptr, reduce_bytes, k, static_cast<double*>(unique.p), c, r, g, AddCounts{}, n)) != cudaSuccess) return e;
  if ((e = temp.alloc(sort_bytes > reduce_bytes ? sort_bytes : reduce_bytes)) != cudaSuccess) return e;
  if ((e = cub::DeviceRadixSort::SortPairs(temp.p, sort_bytes, scores, k, labels, v, n)) != cudaSuccess) return e;
  to_counts<<<grid_for(n), kThreads>>>(v, n, c);
  if ((e = cub::DeviceReduce::ReduceByKey(temp.p, reduce_bytes, k, static_cast<double*>(unique.p), c, r, g, AddCounts{}, n)) != cudaSuccess) return e;
  split_counts<<<grid_for(n), kThreads>>>(r, g, pos, neg);
  if ((e = cudaGetLastError()) != cudaSuccess) return e;
  return cudaMemcpy(groups, g, sizeof(int64_t), cudaMemcpyDeviceToHost);
}

cudaError_t bootstrap_auc(const uint64_t* pos, const uint64_t* neg, int64_t groups, uint64_t seed, int64_t rounds, double* out) {
  std::vector<double> rows(static_cast<size_t>(kernels::kTableLambdas) * kernels::kTableTerms);
  for (int lambda = 1; lambda < kernels::kTableLambdas; ++lambda) kernels::poisson_cdf_row(lambda, rows.data() + static_cast<size_t>(lambda) * kernels::kTableTerms);
  Scratch table;
  cudaError_t e;
  if ((e = table.alloc(rows.size() * sizeof(double))) != cudaSuccess) return e;
  if ((e = cudaMemcpy(table.p, rows.data(), rows.size() * sizeof(double), cudaMemcpyHostToDevice)) != cudaSuccess) return e;
  for (int64_t first = 0; first < rounds; first += 65535) {  // launches of at most 65535 blocks
    const int64_t count = rounds - first < 65535 ? rounds - first : 65535;
    bootstrap_kernel<<<static_cast<unsigned>(count), kThreads>>>(pos, neg, groups, seed, static_cast<uint64_t>(first), static_cast<const double*>(table.p), out);
  }
  e = cudaGetLastError();
  return e != cudaSuccess ? e : cudaDeviceSynchronize();
}

cudaError_t confusion(const int64_t* pred, const int64_t* target, int64_t n, int64_t classes, unsigned long long* counts, unsigned long long* outside) {
  confusion_kernel<<<grid_for(n), kThreads>>>(pred, target, n, classes, counts, outside);
  cudaError_t e = cudaGetLastError();
  return e != cudaSuccess ? e : cudaDeviceSynchronize();
}

}  // namespace fuse::cuda_metrics
