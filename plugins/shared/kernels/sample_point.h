// Sampling a [z][y][x] volume at one point given in input voxel units: the per-voxel step of every resampling
// (crops, resampling to a spacing, affine and elastic augmentation), on the CPU and on the GPU. A point within
// the input's extent (-0.5 to n - 0.5 voxels along each axis) reads it, the edge voxels repeating; outside, the
// caller writes its fill value.
#ifndef FUSE_PLUGINS_SHARED_KERNELS_SAMPLE_POINT_H_
#define FUSE_PLUGINS_SHARED_KERNELS_SAMPLE_POINT_H_

#include <cstdint>
#include <type_traits>

#include "hd.h"

namespace fuse::kernels {

struct Extent {
  int64_t x, y, z;
};

// floor() without a libm call (the x86-64 baseline has no rounding instruction); exact for |p| < 2^53.
// Offsets are int64_t on the CPU; the GPU uses int32_t where the volume fits (a 64-bit multiply or conversion
// costs it several instructions), which is safe there because its float-to-int conversion saturates: a point
// far outside still compares as outside.
template <class I = int64_t>
FUSE_HD I floor_index(double p) {
  const I i = static_cast<I>(p);
  return i - (p < static_cast<double>(i));
}

template <class I>
FUSE_HD I clamp_index(I i, I n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

FUSE_HD bool inside(const double p[3], Extent s) {
  return p[0] >= -0.5 && p[1] >= -0.5 && p[2] >= -0.5 && p[0] <= static_cast<double>(s.x) - 0.5 &&
         p[1] <= static_cast<double>(s.y) - 0.5 && p[2] <= static_cast<double>(s.z) - 0.5;
}

// The point of output voxel (x, y, z) under the index map m (input = m * (x, y, z, 1)), plus a displacement of
// 3 floats when `disp` is not null. The row part (y, z) first, then x: the CPU's row loops compute it the same
// way, so both sides get the same bits.
FUSE_HD void row_base(const double m[3][4], int64_t y, int64_t z, double base[3]) {
  const double yd = static_cast<double>(y), zd = static_cast<double>(z);
  for (int r = 0; r < 3; ++r) base[r] = m[r][1] * yd + m[r][2] * zd + m[r][3];
}
FUSE_HD void point_in_row(const double m[3][4], const double base[3], int64_t x, const float* disp, double p[3]) {
  const double xd = static_cast<double>(x);
  for (int r = 0; r < 3; ++r) p[r] = base[r] + xd * m[r][0];
  if (disp != nullptr) p[0] += disp[0], p[1] += disp[1], p[2] += disp[2];
}

// The offset of the voxel nearest-neighbour sampling reads at p, or -1 outside the input.
template <class I = int64_t>
FUSE_HD I nearest_offset(const double p[3], Extent s) {
  const I nx = static_cast<I>(s.x), ny = static_cast<I>(s.y), nz = static_cast<I>(s.z);
  I ix = floor_index<I>(p[0] + 0.5), iy = floor_index<I>(p[1] + 0.5), iz = floor_index<I>(p[2] + 0.5);
  using U = std::make_unsigned_t<I>;
  if (!(static_cast<U>(ix) < static_cast<U>(nx) && static_cast<U>(iy) < static_cast<U>(ny) && static_cast<U>(iz) < static_cast<U>(nz))) {
    if (!inside(p, s)) return -1;
    ix = clamp_index(ix, nx), iy = clamp_index(iy, ny), iz = clamp_index(iz, nz);
  }
  return (iz * ny + iy) * nx + ix;
}

// The eight neighbours of a point (offsets along x, and rows/slices premultiplied) and its weights.
template <class T, class I = int64_t>
struct LinearTap {
  I xa, xb, ya, yb, za, zb;
  T wx, wy, wz;
};

// False when p is outside the input. A flat axis (size 1, e.g. z of a 2D image) reads its one voxel.
template <class T, class I>
FUSE_HD bool linear_tap(const double p[3], Extent s, LinearTap<T, I>* t) {
  const I nx = static_cast<I>(s.x), ny = static_cast<I>(s.y), nz = static_cast<I>(s.z);
  const I sy = nx, sz = nx * ny;
  const I x0 = floor_index<I>(p[0]), y0 = floor_index<I>(p[1]), z0 = floor_index<I>(p[2]);
  t->wx = static_cast<T>(p[0] - static_cast<double>(x0));
  t->wy = static_cast<T>(p[1] - static_cast<double>(y0));
  t->wz = static_cast<T>(p[2] - static_cast<double>(z0));
  // All neighbours inside (unsigned compares, no clamping): the common case.
  using U = std::make_unsigned_t<I>;
  const bool fast = (nx > 1 ? static_cast<U>(x0) < static_cast<U>(nx - 1) : p[0] == 0.0) &&
                    (ny > 1 ? static_cast<U>(y0) < static_cast<U>(ny - 1) : p[1] == 0.0) &&
                    (nz > 1 ? static_cast<U>(z0) < static_cast<U>(nz - 1) : p[2] == 0.0);
  if (fast) {
    t->xa = x0, t->xb = nx > 1 ? x0 + 1 : x0;
    t->ya = y0 * sy, t->yb = ny > 1 ? t->ya + sy : t->ya;
    t->za = z0 * sz, t->zb = nz > 1 ? t->za + sz : t->za;
    return true;
  }
  if (!inside(p, s)) return false;
  t->xa = clamp_index(x0, nx), t->xb = clamp_index<I>(x0 + 1, nx);
  t->ya = clamp_index(y0, ny) * sy, t->yb = clamp_index<I>(y0 + 1, ny) * sy;
  t->za = clamp_index(z0, nz) * sz, t->zb = clamp_index<I>(z0 + 1, nz) * sz;
  return true;
}

template <class T, class I>
FUSE_HD T blend(const T* v, const LinearTap<T, I>& t) {
  const T c00 = v[t.za + t.ya + t.xa] + t.wx * (v[t.za + t.ya + t.xb] - v[t.za + t.ya + t.xa]);
  const T c10 = v[t.za + t.yb + t.xa] + t.wx * (v[t.za + t.yb + t.xb] - v[t.za + t.yb + t.xa]);
  const T c01 = v[t.zb + t.ya + t.xa] + t.wx * (v[t.zb + t.ya + t.xb] - v[t.zb + t.ya + t.xa]);
  const T c11 = v[t.zb + t.yb + t.xa] + t.wx * (v[t.zb + t.yb + t.xb] - v[t.zb + t.yb + t.xa]);
  const T c0 = c00 + t.wy * (c10 - c00), c1 = c01 + t.wy * (c11 - c01);
  return c0 + t.wz * (c1 - c0);
}

}  // namespace fuse::kernels

#endif  // FUSE_PLUGINS_SHARED_KERNELS_SAMPLE_POINT_H_
