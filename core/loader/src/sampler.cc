#include "fuse/loader/sampler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/seeds.h"

namespace fuse::loader {
namespace {

// A generator for one sampler and epoch: the same sequence for the same (seed, epoch, purpose).
std::mt19937_64 generator(uint64_t seed, int64_t epoch, int64_t purpose) {
  return std::mt19937_64(data::call_seed(seed, epoch, -1 - purpose, 0));
}

__extension__ typedef unsigned __int128 uint128;  // GCC and Clang; __extension__ keeps -pedantic quiet

// A uniform index in [0, n), the same on every platform (std::uniform_int_distribution is not).
size_t below(std::mt19937_64& g, size_t n) { return static_cast<size_t>((static_cast<uint128>(g()) * n) >> 64); }

template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& g) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(g, i)]);  // Fisher-Yates
}

}  // namespace

void number_repeats(Batches& batches) {
  std::map<size_t, uint32_t> seen;
  for (Batch& batch : batches)
    for (Pick& p : batch) p.repeat = seen[p.sample]++;
}

SequentialSampler::SequentialSampler(size_t samples, size_t batch_size, bool shuffle_rows, bool drop_last, uint64_t seed, size_t repeats)
    : samples_(samples), batch_size_(batch_size), repeats_(repeats), shuffle_(shuffle_rows), drop_last_(drop_last), seed_(seed) {
  if (batch_size == 0) throw Error(Errc::kInvalidArgument, "the batch size must be at least 1");
  if (repeats == 0) throw Error(Errc::kInvalidArgument, "each sample must be drawn at least once per epoch ('repeats' >= 1)");
}

Batches SequentialSampler::batches(int64_t epoch) const {
  std::vector<Pick> order;
  order.reserve(samples_ * repeats_);
  for (size_t r = 0; r < repeats_; ++r)
    for (size_t i = 0; i < samples_; ++i) order.emplace_back(i, static_cast<uint32_t>(r));
  if (shuffle_) {
    std::mt19937_64 g = generator(seed_, epoch, 0);
    shuffle(order, g);
  }
  Batches out;
  for (size_t i = 0; i < order.size(); i += batch_size_) {
    const size_t end = std::min(order.size(), i + batch_size_);
    if (drop_last_ && end - i < batch_size_) break;
    out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(i), order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return out;
}

BalancedSampler::BalancedSampler(const std::vector<std::string>& classes, size_t batch_size, std::vector<double> probabilities,
                                 size_t batches_per_epoch, uint64_t seed)
    : batch_size_(batch_size), seed_(seed) {
  std::map<std::string, size_t> code;
  for (size_t i = 0; i < classes.size(); ++i) {
    auto [it, inserted] = code.emplace(classes[i], names_.size());
    if (inserted) names_.push_back(classes[i]), members_.emplace_back();
    members_[it->second].push_back(i);
  }
  const size_t k = names_.size();
  if (k == 0) throw Error(Errc::kInvalidArgument, "a balanced sampler needs samples");
  if (!probabilities.empty() && probabilities.size() != k)
    throw Error(Errc::kInvalidArgument, "balanced sampler: " + std::to_string(probabilities.size()) + " class probabilities for " +
                                            std::to_string(k) + " classes (" + join(names_, ", ") + ")");
  if (probabilities.empty()) probabilities.assign(k, 1.0 / static_cast<double>(k));
  const double total = std::accumulate(probabilities.begin(), probabilities.end(), 0.0);
  if (!(total > 0)) throw Error(Errc::kInvalidArgument, "balanced sampler: the class probabilities must add up to more than 0");
  // Largest remainders: the per-class counts add up to the batch size exactly.
  per_batch_.assign(k, 0);
  std::vector<std::pair<double, size_t>> remainders;
  size_t given = 0;
  for (size_t c = 0; c < k; ++c) {
    const double exact = probabilities[c] / total * static_cast<double>(batch_size);
    per_batch_[c] = static_cast<size_t>(std::floor(exact));
    given += per_batch_[c];
    remainders.emplace_back(exact - std::floor(exact), c);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; given < batch_size; ++i, ++given) ++per_batch_[remainders[i % k].second];
  batches_ = batches_per_epoch ? batches_per_epoch : (classes.size() + batch_size - 1) / batch_size;
}

Batches BalancedSampler::batches(int64_t epoch) const {
  std::mt19937_64 g = generator(seed_, epoch, 1);
  std::vector<std::vector<size_t>> pools(members_.size());
  std::vector<size_t> next(members_.size(), 0);
  Batches out(batches_);
  for (Batch& batch : out) {
    for (size_t c = 0; c < members_.size(); ++c)
      for (size_t j = 0; j < per_batch_[c]; ++j) {
        if (next[c] == pools[c].size()) {  // this class ran out: a fresh shuffle
          pools[c] = members_[c];
          shuffle(pools[c], g);
          next[c] = 0;
        }
        batch.emplace_back(pools[c][next[c]++]);
      }
    shuffle(batch, g);
  }
  number_repeats(out);
  return out;
}

WeightedSampler::WeightedSampler(std::vector<double> weights, size_t samples_per_epoch, size_t batch_size, uint64_t seed)
    : samples_(samples_per_epoch), batch_size_(batch_size), seed_(seed) {
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i]))
      throw Error(Errc::kInvalidArgument, "weighted sampler: weight " + std::to_string(i) + " is " + std::to_string(weights[i]));
    cumulative_.push_back(sum += weights[i]);
  }
  if (!(sum > 0)) throw Error(Errc::kInvalidArgument, "weighted sampler: the weights add up to 0");
  if (batch_size == 0) throw Error(Errc::kInvalidArgument, "the batch size must be at least 1");
}

Batches WeightedSampler::batches(int64_t epoch) const {
  std::mt19937_64 g = generator(seed_, epoch, 2);
  Batches out;
  for (size_t i = 0; i < samples_; ++i) {
    const double u = static_cast<double>(g() >> 11) * 0x1.0p-53 * cumulative_.back();
    const size_t pick = static_cast<size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
    if (i % batch_size_ == 0) out.emplace_back();
    out.back().emplace_back(std::min(pick, cumulative_.size() - 1));
  }
  number_repeats(out);
  return out;
}

}  // namespace fuse::loader
