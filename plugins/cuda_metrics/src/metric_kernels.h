// The CUDA side of cuda_metrics behind plain functions (inputs and outputs in device memory; errors returned as
// cudaError_t for the C++ side to name).
#ifndef FUSE_PLUGINS_CUDA_METRICS_METRIC_KERNELS_H_
#define FUSE_PLUGINS_CUDA_METRICS_METRIC_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace fuse::cuda_metrics {

// Sorts n (score, label) rows by score (CUB radix sort) and groups equal scores: writes each group's positives
// and negatives, ascending by score, to pos/neg (room for n each) and the number of groups to *groups.
cudaError_t score_groups(const double* scores, const uint8_t* labels, int64_t n, uint64_t* pos, uint64_t* neg, int64_t* groups);

// `rounds` Poisson-bootstrap AUCs of the groups (one thread block per round; NaN for a round without both
// classes), round r drawn from kernels::round_stream(seed, r): the CPU twin's values.
cudaError_t bootstrap_auc(const uint64_t* pos, const uint64_t* neg, int64_t groups, uint64_t seed, int64_t rounds, double* out);

// counts[t * classes + p] += rows with target t and prediction p (labels in [0, classes)); rows outside that
// range are counted in *outside.
cudaError_t confusion(const int64_t* pred, const int64_t* target, int64_t n, int64_t classes, unsigned long long* counts,
                      unsigned long long* outside);

}  // namespace fuse::cuda_metrics

#endif  // FUSE_PLUGINS_CUDA_METRICS_METRIC_KERNELS_H_
