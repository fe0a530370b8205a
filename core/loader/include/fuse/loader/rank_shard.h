// Data-parallel sampling: each rank of a distributed run takes its part of every batch another sampler makes,
// so that the ranks together see exactly the batches one process would (shuffled, balanced or weighted alike),
// and the samples, each with its own seed, get the same augmentation whatever the number of ranks.
#ifndef FUSE_LOADER_RANK_SHARD_H_
#define FUSE_LOADER_RANK_SHARD_H_

#include <memory>
#include <utility>
#include <vector>

#include "fuse/loader/sampler.h"

namespace fuse::loader {

// Rank r of n takes positions r, r + n, r + 2n, ... of each global batch. Every rank gets the same number of
// batches: a global batch with fewer samples than ranks is left out.
class RankShardSampler : public Sampler {
 public:
  RankShardSampler(std::unique_ptr<Sampler> global, int rank, int ranks);
  Batches batches(int64_t epoch) const override;
  // Per batch of the epoch, this rank's share of the global batch (its samples over the batch's): the weight of
  // its gradients in the sum over ranks.
  std::vector<double> shares(int64_t epoch) const;

 private:
  std::unique_ptr<Sampler> global_;
  int rank_, ranks_;
};

// Evaluation: rank r of n takes the r-th of n nearly equal contiguous blocks of `samples`, so that the ranks'
// rows put together in rank order are the samples in order.
std::pair<size_t, size_t> rank_block(size_t samples, int rank, int ranks);

// The samples [begin, end) in order, in batches of `batch_size`.
class RangeSampler : public Sampler {
 public:
  RangeSampler(size_t begin, size_t end, size_t batch_size);
  Batches batches(int64_t epoch) const override;

 private:
  size_t begin_, end_, batch_size_;
};

}  // namespace fuse::loader

#endif  // FUSE_LOADER_RANK_SHARD_H_
