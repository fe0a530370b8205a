// Randomness as a pure function of (run seed, epoch, sample index, op position): results do not depend on the
// number of loader threads or their timing (no generator is shared).
#ifndef FUSE_DATA_SEEDS_H_
#define FUSE_DATA_SEEDS_H_

#include <cstdint>

namespace fuse::data {

// splitmix64's finaliser: a bijection that spreads every input bit over the output.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The seed of one op's call on one sample in one epoch. Epoch -1 is the static pipeline (the same every epoch).
inline uint64_t call_seed(uint64_t run_seed, int64_t epoch, int64_t sample_index, int64_t op_position) {
  uint64_t h = mix64(run_seed);
  h = mix64(h ^ static_cast<uint64_t>(epoch));
  h = mix64(h ^ static_cast<uint64_t>(sample_index));
  return mix64(h ^ static_cast<uint64_t>(op_position));
}

// The run seed of a sample's `repeat`-th draw in one epoch (a sampler that picks it again): draw 0 keeps the
// run seed, so samples drawn once get what they always got.
inline uint64_t repeat_seed(uint64_t run_seed, uint32_t repeat) {
  return repeat == 0 ? run_seed : mix64(run_seed ^ mix64(0x7265706561740000ull + repeat));
}

}  // namespace fuse::data

#endif  // FUSE_DATA_SEEDS_H_
