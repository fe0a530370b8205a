// Random draws for ops, from the seed the host passes with each call (Call::seed()). The generator and every
// distribution are written out here, not taken from <random>, whose distributions differ between standard
// libraries: the same seed gives the same augmentation on every platform.
#ifndef FUSE_SDK_RANDOM_HPP_
#define FUSE_SDK_RANDOM_HPP_

#include <cmath>
#include <cstdint>

namespace fuse::sdk {

// xoshiro256** seeded through splitmix64: fast, 256 bits of state, good statistical quality.
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) {
    __extension__ typedef unsigned __int128 wide;  // GCC and Clang
    return static_cast<uint64_t>((static_cast<wide>(next()) * n) >> 64);
  }
  // True with probability p.
  bool chance(double p) { return p >= 1.0 || (p > 0.0 && uniform() < p); }
  // Standard normal (Box-Muller; the second value is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0;
    while (u <= 0) u = uniform();
    const double r = std::sqrt(-2.0 * std::log(u)), theta = 6.283185307179586 * uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace fuse::sdk

#endif  // FUSE_SDK_RANDOM_HPP_
