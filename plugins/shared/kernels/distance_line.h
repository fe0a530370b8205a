// The two per-element steps of surface distances, for the CPU metric and its CUDA twin: one line of the exact
// Euclidean distance transform, and whether a mask voxel lies on the mask's surface.
#ifndef FUSE_PLUGINS_SHARED_KERNELS_DISTANCE_LINE_H_
#define FUSE_PLUGINS_SHARED_KERNELS_DISTANCE_LINE_H_

#include <cmath>
#include <cstdint>

#include "hd.h"

namespace fuse::kernels {

// Where line `line` of the lines along an axis of n samples `stride` apart starts (lines in memory order).
FUSE_HD int64_t line_start(int64_t line, int64_t n, int64_t stride) { return (line / stride) * stride * n + line % stride; }

// One line of the squared distance transform: f[q] <- min_j f[j] + ((q - j) s)^2 for the n samples f[q *
// stride] at spacing s, by Felzenszwalb and Huttenlocher's lower envelope of the parabolas rooted at the finite
// samples (O(n)); a line without any stays infinite. Scratch: v (n), fv (n) and z (n + 1), the caller's, element
// i at [i * ss], so a GPU thread per line needs no allocation and neighbouring threads' lines interleave (their
// reads and writes of the scratch coalesce). Run along each axis in turn for the whole grid.
FUSE_HD void distance_line(double* f, int64_t n, int64_t stride, double s, int64_t* v, double* fv, double* z, int64_t ss = 1) {
  const double inf = INFINITY;
  int64_t k = -1;
  for (int64_t q = 0; q < n; ++q) {
    const double fq = f[q * stride];
    if (fq == inf) continue;
    const double pq = static_cast<double>(q) * s;
    if (k < 0) {
      k = 0, v[0] = q, fv[0] = fq, z[0] = -inf, z[ss] = inf;
      continue;
    }
    double x = 0;
    while (true) {  // z[0] = -inf stops this at k = 0 at the latest
      const double pv = static_cast<double>(v[k * ss]) * s;
      x = ((fq + pq * pq) - (fv[k * ss] + pv * pv)) / (2 * (pq - pv));  // where q's parabola overtakes v[k]'s
      if (x > z[k * ss]) break;
      --k;
    }
    ++k;
    v[k * ss] = q, fv[k * ss] = fq, z[k * ss] = x, z[(k + 1) * ss] = inf;
  }
  if (k < 0) return;
  int64_t j = 0;
  for (int64_t q = 0; q < n; ++q) {  // f is written in place: the envelope keeps its own copy of the roots (fv)
    const double pq = static_cast<double>(q) * s;
    while (z[(j + 1) * ss] < pq) ++j;
    const double pv = static_cast<double>(v[j * ss]) * s;
    f[q * stride] = (pq - pv) * (pq - pv) + fv[j * ss];
  }
}

// Whether voxel i of a mask on a grid of nd axes (shape and strides, row-major) is a surface voxel: in the mask
// with a face on the background or on the grid's border.
FUSE_HD bool surface_voxel(const uint8_t* mask, int64_t i, int nd, const int64_t* shape, const int64_t* strides) {
  if (!mask[i]) return false;
  for (int a = 0; a < nd; ++a) {
    const int64_t coord = (i / strides[a]) % shape[a];
    if (coord == 0 || coord + 1 == shape[a] || !mask[i - strides[a]] || !mask[i + strides[a]]) return true;
  }
  return false;
}

}  // namespace fuse::kernels

#endif  // FUSE_PLUGINS_SHARED_KERNELS_DISTANCE_LINE_H_
