// Which samples make each batch of an epoch. Every sampler is a pure function of (seed, epoch).
#ifndef FUSE_LOADER_SAMPLER_H_
#define FUSE_LOADER_SAMPLER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace fuse::loader {

// One place in a batch: a sample, and how many times the epoch drew it before. A sample drawn again (balanced
// and weighted samplers draw with replacement; `repeats`) gets other random draws each time, so its copies
// are not the same augmented sample.
struct Pick {
  Pick(size_t sample_index = 0, uint32_t repeat_number = 0) : sample(sample_index), repeat(repeat_number) {}  // NOLINT: from an index
  size_t sample;
  uint32_t repeat;
  bool operator==(const Pick& o) const { return sample == o.sample && repeat == o.repeat; }
};
inline std::ostream& operator<<(std::ostream& os, const Pick& p) { return os << p.sample << (p.repeat ? "#" + std::to_string(p.repeat) : ""); }

using Batch = std::vector<Pick>;
using Batches = std::vector<Batch>;

// Numbers the picks of an epoch: the k-th pick of a sample (in batch order) gets repeat k - 1.
void number_repeats(Batches& batches);

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual Batches batches(int64_t epoch) const = 0;
};

// Every sample `repeats` times per epoch (TorchIO's samples_per_volume: several random patches of one cached
// volume), in order or shuffled, in batches of `batch_size` (the last one smaller unless `drop_last`). In
// order, the epoch goes through the samples `repeats` times; shuffled, all the picks are shuffled together.
class SequentialSampler : public Sampler {
 public:
  SequentialSampler(size_t samples, size_t batch_size, bool shuffle, bool drop_last, uint64_t seed, size_t repeats = 1);
  Batches batches(int64_t epoch) const override;

 private:
  size_t samples_, batch_size_, repeats_;
  bool shuffle_, drop_last_;
  uint64_t seed_;
};

// FuseMedML's BatchSamplerDefault: batches with a fixed share of each class (equal shares, or the given
// probabilities), drawing each class's samples in shuffled order and starting over when they run out.
// `classes` holds each sample's class (any strings: labels, "benign", ...). An epoch has `batches_per_epoch`
// batches (0: as many as cover the samples once).
class BalancedSampler : public Sampler {
 public:
  BalancedSampler(const std::vector<std::string>& classes, size_t batch_size, std::vector<double> probabilities,
                  size_t batches_per_epoch, uint64_t seed);
  Batches batches(int64_t epoch) const override;
  const std::vector<std::string>& class_names() const { return names_; }

 private:
  std::vector<std::vector<size_t>> members_;  // per class, the samples
  std::vector<std::string> names_;
  std::vector<size_t> per_batch_;             // per class, how many in each batch
  size_t batch_size_, batches_;
  uint64_t seed_;
};

// `samples_per_epoch` draws with replacement, each sample with probability proportional to its weight.
class WeightedSampler : public Sampler {
 public:
  WeightedSampler(std::vector<double> weights, size_t samples_per_epoch, size_t batch_size, uint64_t seed);
  Batches batches(int64_t epoch) const override;

 private:
  std::vector<double> cumulative_;
  size_t samples_, batch_size_;
  uint64_t seed_;
};

}  // namespace fuse::loader

#endif  // FUSE_LOADER_SAMPLER_H_
