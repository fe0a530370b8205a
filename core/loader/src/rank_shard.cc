#include "fuse/loader/rank_shard.h"

#include <algorithm>

#include "fuse/base/error.h"

namespace fuse::loader {

RankShardSampler::RankShardSampler(std::unique_ptr<Sampler> global, int rank, int ranks) : global_(std::move(global)), rank_(rank), ranks_(ranks) {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw Error(Errc::kInvalidArgument, "rank shard: rank " + std::to_string(rank) + " of " + std::to_string(ranks) + " does not exist");
}

Batches RankShardSampler::batches(int64_t epoch) const {
  Batches out;
  for (const Batch& batch : global_->batches(epoch)) {
    if (batch.size() < static_cast<size_t>(ranks_)) continue;
    Batch mine;
    for (size_t i = static_cast<size_t>(rank_); i < batch.size(); i += static_cast<size_t>(ranks_)) mine.push_back(batch[i]);
    out.push_back(std::move(mine));
  }
  return out;
}

std::vector<double> RankShardSampler::shares(int64_t epoch) const {
  std::vector<double> out;
  for (const Batch& batch : global_->batches(epoch)) {
    if (batch.size() < static_cast<size_t>(ranks_)) continue;
    const size_t mine = (batch.size() - static_cast<size_t>(rank_) + static_cast<size_t>(ranks_) - 1) / static_cast<size_t>(ranks_);
    out.push_back(static_cast<double>(mine) / static_cast<double>(batch.size()));
  }
  return out;
}

std::pair<size_t, size_t> rank_block(size_t samples, int rank, int ranks) {
  const size_t r = static_cast<size_t>(rank), n = static_cast<size_t>(std::max(1, ranks));
  return {samples * r / n, samples * (r + 1) / n};
}

RangeSampler::RangeSampler(size_t begin, size_t end, size_t batch_size) : begin_(begin), end_(end), batch_size_(batch_size) {
  if (batch_size == 0) throw Error(Errc::kInvalidArgument, "the batch size must be at least 1");
}

Batches RangeSampler::batches(int64_t) const {
  Batches out;
  for (size_t i = begin_; i < end_; i += batch_size_) {
    out.emplace_back();
    for (size_t j = i; j < std::min(end_, i + batch_size_); ++j) out.back().emplace_back(j);
  }
  return out;
}

}  // namespace fuse::loader
