// Counter-based random numbers: value i of stream `key` is a pure function of (key, i), so a GPU thread per
// voxel draws exactly what the CPU loop draws for that voxel, in any order.
#ifndef FUSE_PLUGINS_SHARED_KERNELS_COUNTER_RANDOM_H_
#define FUSE_PLUGINS_SHARED_KERNELS_COUNTER_RANDOM_H_

#include <cmath>
#include <cstdint>

#include "hd.h"

namespace fuse::kernels {

// splitmix64's finaliser: a bijection that spreads every input bit over the output.
FUSE_HD uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Uniform in (0, 1): never 0, so log() is safe.
FUSE_HD double counter_uniform(uint64_t key, uint64_t i) {
  return (static_cast<double>(mix64(key ^ mix64(i)) >> 11) + 0.5) * 0x1.0p-53;
}

// Standard normal (Box-Muller on two uniforms of the counter pair 2i, 2i + 1).
FUSE_HD double counter_normal(uint64_t key, uint64_t i) {
  const double u = counter_uniform(key, 2 * i), v = counter_uniform(key, 2 * i + 1);
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586476925 * v);
}

}  // namespace fuse::kernels

#endif  // FUSE_PLUGINS_SHARED_KERNELS_COUNTER_RANDOM_H_
