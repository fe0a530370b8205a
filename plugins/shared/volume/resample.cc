#include "resample.h"

#include <cmath>
#include <type_traits>

namespace fuse::volume {

namespace {

template <class T>
T cast_to(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    return static_cast<T>(std::llround(v));
  }
}

// A point is inside a volume of n voxels along an axis when -0.5 <= p <= n - 0.5 (within the voxels' extent,
// edges included); neighbours past the last voxel repeat it.
inline bool inside(const double p[3], Size3 s) {
  return p[0] >= -0.5 && p[1] >= -0.5 && p[2] >= -0.5 && p[0] <= static_cast<double>(s.x) - 0.5 &&
         p[1] <= static_cast<double>(s.y) - 0.5 && p[2] <= static_cast<double>(s.z) - 0.5;
}

inline int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

// floor() without a libm call (the x86-64 baseline has no rounding instruction); exact for |p| < 2^53.
inline int64_t floor_index(double p) {
  const int64_t i = static_cast<int64_t>(p);
  return i - (p < static_cast<double>(i));
}

// One output row (fixed y, z): points p = base + x * step (+ displacement), x = 0 .. n-1. Each has a fast
// path for points whose neighbours are all inside (unsigned compares, no clamping) and a careful one for the
// edges.
template <class T>
void nearest_row(const T* in, Size3 s, T* out, int64_t out_stride, int64_t channels, int64_t in_stride, const double base[3],
                 const double step[3], const float* disp, int64_t n, T fill) {
  double q[3] = {base[0], base[1], base[2]};  // the point before displacement, stepped along the row
  for (int64_t x = 0; x < n; ++x, q[0] += step[0], q[1] += step[1], q[2] += step[2]) {
    double p[3] = {q[0], q[1], q[2]};
    if (disp) p[0] += disp[3 * x], p[1] += disp[3 * x + 1], p[2] += disp[3 * x + 2];
    int64_t ix = floor_index(p[0] + 0.5), iy = floor_index(p[1] + 0.5), iz = floor_index(p[2] + 0.5);
    if (!(static_cast<uint64_t>(ix) < static_cast<uint64_t>(s.x) && static_cast<uint64_t>(iy) < static_cast<uint64_t>(s.y) &&
          static_cast<uint64_t>(iz) < static_cast<uint64_t>(s.z))) {
      if (!inside(p, s)) {
        for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = fill;
        continue;
      }
      ix = clamp_index(ix, s.x), iy = clamp_index(iy, s.y), iz = clamp_index(iz, s.z);
    }
    const int64_t at = (iz * s.y + iy) * s.x + ix;
    for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = in[c * in_stride + at];
  }
}

template <class T>
void linear_row(const T* in, Size3 s, T* out, int64_t out_stride, int64_t channels, int64_t in_stride, const double base[3],
                const double step[3], const float* disp, int64_t n, T fill) {
  const int64_t sy = s.x, sz = s.x * s.y;
  double q[3] = {base[0], base[1], base[2]};  // the point before displacement, stepped along the row
  for (int64_t x = 0; x < n; ++x, q[0] += step[0], q[1] += step[1], q[2] += step[2]) {
    double p[3] = {q[0], q[1], q[2]};
    if (disp) p[0] += disp[3 * x], p[1] += disp[3 * x + 1], p[2] += disp[3 * x + 2];
    const int64_t x0 = floor_index(p[0]), y0 = floor_index(p[1]), z0 = floor_index(p[2]);
    const T wx = static_cast<T>(p[0] - static_cast<double>(x0)), wy = static_cast<T>(p[1] - static_cast<double>(y0)),
            wz = static_cast<T>(p[2] - static_cast<double>(z0));
    // A flat axis (size 1, e.g. z of a 2D image) takes the fast path only when sampled at 0 exactly.
    const bool fast = (s.x > 1 ? static_cast<uint64_t>(x0) < static_cast<uint64_t>(s.x - 1) : p[0] == 0.0) &&
                      (s.y > 1 ? static_cast<uint64_t>(y0) < static_cast<uint64_t>(s.y - 1) : p[1] == 0.0) &&
                      (s.z > 1 ? static_cast<uint64_t>(z0) < static_cast<uint64_t>(s.z - 1) : p[2] == 0.0);
    int64_t xa, xb, ya, yb, za, zb;
    if (fast) {
      xa = x0, xb = s.x > 1 ? x0 + 1 : x0;
      ya = y0 * sy, yb = s.y > 1 ? ya + sy : ya;
      za = z0 * sz, zb = s.z > 1 ? za + sz : za;
    } else {
      if (!inside(p, s)) {
        for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = fill;
        continue;
      }
      xa = clamp_index(x0, s.x), xb = clamp_index(x0 + 1, s.x);
      ya = clamp_index(y0, s.y) * sy, yb = clamp_index(y0 + 1, s.y) * sy;
      za = clamp_index(z0, s.z) * sz, zb = clamp_index(z0 + 1, s.z) * sz;
    }
    auto blend = [&](const T* v) {
      const T c00 = v[za + ya + xa] + wx * (v[za + ya + xb] - v[za + ya + xa]);
      const T c10 = v[za + yb + xa] + wx * (v[za + yb + xb] - v[za + yb + xa]);
      const T c01 = v[zb + ya + xa] + wx * (v[zb + ya + xb] - v[zb + ya + xa]);
      const T c11 = v[zb + yb + xa] + wx * (v[zb + yb + xb] - v[zb + yb + xa]);
      const T c0 = c00 + wy * (c10 - c00), c1 = c01 + wy * (c11 - c01);
      return c0 + wz * (c1 - c0);
    };
    if (channels == 1) {  // the common case, without the channel loop
      out[x] = blend(in);
      continue;
    }
    for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = blend(in + c * in_stride);
  }
}

// Maps of whole voxels (flips, 90-degree rotations, axis permutations, integer shifts): every output row reads
// the input along one integer stride, so a row wholly inside is a strided copy, with no per-voxel arithmetic.
bool whole_voxels(const IndexMap& map) {
  for (const auto& row : map.m)
    for (double v : row)
      if (v != static_cast<double>(static_cast<int64_t>(v))) return false;
  return true;
}

// Copies row [base, base + (n - 1) * step] of whole-voxel points when all of it is inside; false otherwise.
template <class T>
bool copy_row(const T* in, Size3 s, T* out, int64_t out_stride, int64_t channels, int64_t in_stride, const double base[3],
              const double step[3], int64_t n) {
  int64_t first[3], last[3], size[3] = {s.x, s.y, s.z};
  for (int k = 0; k < 3; ++k) {
    first[k] = static_cast<int64_t>(base[k]);
    last[k] = first[k] + (n - 1) * static_cast<int64_t>(step[k]);
    if (first[k] < 0 || first[k] >= size[k] || last[k] < 0 || last[k] >= size[k]) return false;
  }
  const int64_t start = (first[2] * s.y + first[1]) * s.x + first[0];
  const int64_t stride = static_cast<int64_t>(step[0]) + static_cast<int64_t>(step[1]) * s.x + static_cast<int64_t>(step[2]) * s.x * s.y;
  for (int64_t c = 0; c < channels; ++c) {
    const T* src = in + c * in_stride + start;
    T* dst = out + c * out_stride;
    for (int64_t x = 0; x < n; ++x) dst[x] = src[x * stride];
  }
  return true;
}

}  // namespace

template <class T>
void resample(const T* in, Size3 in_size, T* out, Size3 out_size, int64_t channels, const IndexMap& map, const float* displacement,
              Interpolation interpolation, double fill) {
  const int64_t in_stride = in_size.count(), out_stride = out_size.count();
  const double step[3] = {map.m[0][0], map.m[1][0], map.m[2][0]};
  const T fill_value = cast_to<T>(fill);
  const bool copies = displacement == nullptr && interpolation == Interpolation::kNearest && whole_voxels(map);
  for (int64_t z = 0; z < out_size.z; ++z)
    for (int64_t y = 0; y < out_size.y; ++y) {
      const double yd = static_cast<double>(y), zd = static_cast<double>(z);
      const double base[3] = {map.m[0][1] * yd + map.m[0][2] * zd + map.m[0][3], map.m[1][1] * yd + map.m[1][2] * zd + map.m[1][3],
                              map.m[2][1] * yd + map.m[2][2] * zd + map.m[2][3]};
      const int64_t row = (z * out_size.y + y) * out_size.x;
      if (copies && copy_row(in, in_size, out + row, out_stride, channels, in_stride, base, step, out_size.x)) continue;
      const float* disp = displacement ? displacement + 3 * row : nullptr;
      if constexpr (std::is_floating_point_v<T>) {
        if (interpolation == Interpolation::kLinear) {
          linear_row(in, in_size, out + row, out_stride, channels, in_stride, base, step, disp, out_size.x, fill_value);
          continue;
        }
      } else if (interpolation == Interpolation::kLinear) {
        sdk::fail(FM_ERR_TYPE, "linear interpolation of an integer tensor (convert it to float32 first)");
      }
      nearest_row(in, in_size, out + row, out_stride, channels, in_stride, base, step, disp, out_size.x, fill_value);
    }
}

#define FUSE_VOLUME_RESAMPLE(T)                                                                              \
  template void resample<T>(const T*, Size3, T*, Size3, int64_t, const IndexMap&, const float*, Interpolation, \
                            double);
FUSE_VOLUME_RESAMPLE(uint8_t)
FUSE_VOLUME_RESAMPLE(int8_t)
FUSE_VOLUME_RESAMPLE(int16_t)
FUSE_VOLUME_RESAMPLE(int32_t)
FUSE_VOLUME_RESAMPLE(int64_t)
FUSE_VOLUME_RESAMPLE(float)
FUSE_VOLUME_RESAMPLE(double)
#undef FUSE_VOLUME_RESAMPLE

void resample_key(sdk::Dict& sample, const std::string& key, int dims, Size3 out_size, const IndexMap& map, const float* displacement,
                  Interpolation interpolation, double fill) {
  sdk::TensorView in = sample.tensor(key);
  in.require_cpu_contiguous();
  const Layout l = layout_of(in, dims);
  const bool to_float = interpolation == Interpolation::kLinear && !sdk::is_floating(in.dtype());
  sdk::Tensor out = sdk::Tensor::empty(shape_for(in, dims, out_size), to_float ? sdk::kFloat32 : in.dtype());
  const bool ok = sdk::dispatch_dtype(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (!to_float) {
      resample<T>(in.data<T>(), l.size, out.data<T>(), out_size, l.channels, map, displacement, interpolation, fill);
      return;
    }
    std::vector<float> converted(in.data<T>(), in.data<T>() + in.numel());
    resample<float>(converted.data(), l.size, out.data<float>(), out_size, l.channels, map, displacement, interpolation, fill);
  });
  if (!ok) sdk::fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(in.dtype()) + " cannot be resampled");
  sample.set_tensor(key, std::move(out));
}

}  // namespace fuse::volume
