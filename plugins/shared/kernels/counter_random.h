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

// Two independent standard normals from the uniforms 2p and 2p + 1 (Box-Muller: r cos t and r sin t).
struct NormalPair {
  double even, odd;
};
FUSE_HD NormalPair counter_normal_pair(uint64_t key, uint64_t p) {
  const double u = counter_uniform(key, 2 * p), v = counter_uniform(key, 2 * p + 1);
  const double r = sqrt(-2.0 * log(u)), t = 6.283185307179586476925 * v;
  return {r * cos(t), r * sin(t)};
}

// Standard normal i: the even or odd half of pair i / 2 (one thread per voxel computes its pair).
FUSE_HD double counter_normal(uint64_t key, uint64_t i) {
  const NormalPair n = counter_normal_pair(key, i / 2);
  return i % 2 == 0 ? n.even : n.odd;
}

// v[i] += mean + sd * counter_normal(key, first + i) for i < n, each pair computed once: the CPU loop pays a log,
// a square root and a cosine and sine per two values.
template <class T>
void add_counter_normals(T* v, int64_t n, uint64_t key, uint64_t first, double mean, double sd) {
  int64_t i = 0;
  if (n > 0 && first % 2 == 1) v[i] = static_cast<T>(v[i] + (mean + sd * counter_normal(key, first))), i = 1;
  for (; i + 1 < n; i += 2) {
    const NormalPair pair = counter_normal_pair(key, (first + static_cast<uint64_t>(i)) / 2);
    v[i] = static_cast<T>(v[i] + (mean + sd * pair.even));
    v[i + 1] = static_cast<T>(v[i + 1] + (mean + sd * pair.odd));
  }
  if (i < n) v[i] = static_cast<T>(v[i] + (mean + sd * counter_normal(key, first + static_cast<uint64_t>(i))));
}

}  // namespace fuse::kernels

#endif  // FUSE_PLUGINS_SHARED_KERNELS_COUNTER_RANDOM_H_
