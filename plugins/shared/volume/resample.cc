#include "resample.h"

#include <cmath>
#include <type_traits>

#include "kernels/sample_point.h"

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

using kernels::Extent;

Extent extent(Size3 s) { return Extent{s.x, s.y, s.z}; }

// One output row (fixed y, z): the points of map(x, y, z) (+ displacement), x = 0 .. n-1, sampled with the
// per-voxel code the GPU twins run too (kernels/sample_point.h).
template <class T>
void nearest_row(const T* in, Size3 s, T* out, int64_t out_stride, int64_t channels, int64_t in_stride, const IndexMap& map,
                 const double base[3], const float* disp, int64_t n, T fill) {
  const Extent e = extent(s);
  for (int64_t x = 0; x < n; ++x) {
    double p[3];
    kernels::point_in_row(map.m, base, x, disp ? disp + 3 * x : nullptr, p);
    const int64_t at = kernels::nearest_offset(p, e);
    if (at < 0) {
      for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = fill;
      continue;
    }
    for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = in[c * in_stride + at];
  }
}

template <class T>
void linear_row(const T* in, Size3 s, T* out, int64_t out_stride, int64_t channels, int64_t in_stride, const IndexMap& map,
                const double base[3], const float* disp, int64_t n, T fill) {
  const Extent e = extent(s);
  for (int64_t x = 0; x < n; ++x) {
    double p[3];
    kernels::point_in_row(map.m, base, x, disp ? disp + 3 * x : nullptr, p);
    kernels::LinearTap<T> tap;
    if (!kernels::linear_tap(p, e, &tap)) {
      for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = fill;
      continue;
    }
    if (channels == 1) {  // the common case, without the channel loop
      out[x] = kernels::blend(in, tap);
      continue;
    }
    for (int64_t c = 0; c < channels; ++c) out[c * out_stride + x] = kernels::blend(in + c * in_stride, tap);
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
      double base[3];
      kernels::row_base(map.m, y, z, base);
      const int64_t row = (z * out_size.y + y) * out_size.x;
      if (copies && copy_row(in, in_size, out + row, out_stride, channels, in_stride, base, step, out_size.x)) continue;
      const float* disp = displacement ? displacement + 3 * row : nullptr;
      if constexpr (std::is_floating_point_v<T>) {
        if (interpolation == Interpolation::kLinear) {
          linear_row(in, in_size, out + row, out_stride, channels, in_stride, map, base, disp, out_size.x, fill_value);
          continue;
        }
      } else if (interpolation == Interpolation::kLinear) {
        sdk::fail(FM_ERR_TYPE, "linear interpolation of an integer tensor (convert it to float32 first)");
      }
      nearest_row(in, in_size, out + row, out_stride, channels, in_stride, map, base, disp, out_size.x, fill_value);
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
