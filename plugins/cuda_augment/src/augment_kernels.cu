// Built with --fmad=false: the device then rounds every multiply and add as the CPU does, so coordinates (and
// so nearest-neighbour labels) come out bit for bit as on the CPU twin.
#include <cub/block/block_reduce.cuh>

#include "augment_kernels.h"
#include "kernels/counter_random.h"

namespace fuse::cuda_augment {

namespace {

constexpr int kThreads = 256;

struct Targets {
  ResampleTarget t[kMaxResampleTargets];
  int count;
};

template <class T>
__device__ void write_nearest(const ResampleTarget& t, int64_t n, int64_t in_voxels, int64_t out_voxels, int64_t o, int64_t at) {
  const T* src = static_cast<const T*>(t.in) + n * t.channels * in_voxels;
  T* dst = static_cast<T*>(t.out) + n * t.channels * out_voxels + o;
  const T fill = static_cast<T>(t.fill);
  for (int64_t c = 0; c < t.channels; ++c) dst[c * out_voxels] = at >= 0 ? src[c * in_voxels + at] : fill;
}

// A thread per output voxel of a row: x from the thread, the row (y) and slice-of-sample (z, n) from the
// grid, so no voxel pays for 64-bit divisions (they dominated the kernel); grid-stride over rows and slices
// where the grid's y and z limits are smaller. The point, its taps and its nearest voxel are computed once
// for all targets. I: the type of offsets within a volume (int32_t where it fits).
template <class I>
__global__ void resample_kernel(Targets targets, int64_t samples, kernels::Extent is, kernels::Extent os, const double* maps, const float* disp) {
  const int64_t x = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (x >= os.x) return;
  const int64_t out_voxels = os.x * os.y * os.z, in_voxels = is.x * is.y * is.z, slices = samples * os.z;
  bool any_linear = false, any_nearest = false;
  // Unrolled with constant indices: a loop indexing the parameter array would copy it to local memory.
#pragma unroll
  for (int k = 0; k < kMaxResampleTargets; ++k)
    if (k < targets.count) (targets.t[k].linear ? any_linear : any_nearest) = true;
  for (int64_t zn = blockIdx.z; zn < slices; zn += gridDim.z) {
    int64_t n;
    if constexpr (sizeof(I) == 4) n = static_cast<uint32_t>(zn) / static_cast<uint32_t>(os.z);  // slices < 2^31 here
    else n = zn / os.z;
    const int64_t z = zn - n * os.z;
    double m[3][4];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) m[r][c] = maps[n * 12 + r * 4 + c];
    for (int64_t y = blockIdx.y; y < os.y; y += gridDim.y) {
      const int64_t o = (z * os.y + y) * os.x + x;
      double base[3], p[3];
      kernels::row_base(m, y, z, base);
      kernels::point_in_row(m, base, x, disp != nullptr ? disp + 3 * (n * out_voxels + o) : nullptr, p);
      kernels::LinearTap<float, I> tap{};
      const bool ok = any_linear && kernels::linear_tap(p, is, &tap);
      const int64_t at = any_nearest ? kernels::nearest_offset<I>(p, is) : -1;
#pragma unroll
      for (int k = 0; k < kMaxResampleTargets; ++k) {
        if (k >= targets.count) break;
        const ResampleTarget& t = targets.t[k];
        if (t.linear) {
          const float* src = static_cast<const float*>(t.in) + n * t.channels * in_voxels;
          float* dst = static_cast<float*>(t.out) + n * t.channels * out_voxels + o;
          const float fill = static_cast<float>(t.fill);
          for (int64_t c = 0; c < t.channels; ++c) dst[c * out_voxels] = ok ? kernels::blend(src + c * in_voxels, tap) : fill;
        } else if (t.type == Voxel::kFloat32) {
          write_nearest<float>(t, n, in_voxels, out_voxels, o, at);
        } else if (t.type == Voxel::kUInt8) {
          write_nearest<uint8_t>(t, n, in_voxels, out_voxels, o, at);
        } else if (t.type == Voxel::kInt32) {
          write_nearest<int32_t>(t, n, in_voxels, out_voxels, o, at);
        } else {
          write_nearest<int64_t>(t, n, in_voxels, out_voxels, o, at);
        }
      }
    }
  }
}

// 32-bit indices where the pass fits them: a 64-bit division costs several times a 32-bit one.
template <class I>
__global__ void bspline_pass_kernel(const float* in, float* out, I outer, I in_len, I out_len, I inner, const int64_t* first, const float* w) {
  const I total = outer * out_len * inner;
  for (I i = blockIdx.x * static_cast<I>(blockDim.x) + threadIdx.x; i < total; i += static_cast<I>(gridDim.x) * blockDim.x) {
    const I rest = i / inner, m = i - rest * inner;
    const I o = rest / out_len, j = rest - o * out_len;
    float acc = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int64_t c = first[j] + k;
      if (c < 0 || c >= static_cast<int64_t>(in_len)) continue;
      acc += w[j * 4 + k] * in[(o * in_len + static_cast<I>(c)) * inner + m];
    }
    out[i] = acc;
  }
}

// One block per line (sample, channel).
__global__ void min_max_kernel(const float* v, int64_t voxels, double* low, double* high) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage storage;
  const float* line = v + blockIdx.x * voxels;
  double lo = INFINITY, hi = -INFINITY;
  for (int64_t i = threadIdx.x; i < voxels; i += kThreads) lo = fmin(lo, static_cast<double>(line[i])), hi = fmax(hi, static_cast<double>(line[i]));
  const double l = Reduce(storage).Reduce(lo, [](double a, double b) { return fmin(a, b); });
  __syncthreads();
  const double h = Reduce(storage).Reduce(hi, [](double a, double b) { return fmax(a, b); });
  if (threadIdx.x == 0) low[blockIdx.x] = l, high[blockIdx.x] = h;
}

__global__ void mean_std_kernel(const float* v, int64_t voxels, bool nonzero, double* mean, double* sd, int64_t* count) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage storage;
  __shared__ double shared_mean;
  const float* line = v + blockIdx.x * voxels;
  double sum = 0, n = 0;
  for (int64_t i = threadIdx.x; i < voxels; i += kThreads)
    if (!nonzero || line[i] != 0) sum += line[i], n += 1;
  const double total = Reduce(storage).Sum(sum);
  __syncthreads();
  const double cnt = Reduce(storage).Sum(n);
  if (threadIdx.x == 0) shared_mean = cnt > 0 ? total / cnt : NAN;
  __syncthreads();
  const double mu = shared_mean;
  double ss = 0;  // two passes: the squares about the mean, as stable as the CPU's Welford
  for (int64_t i = threadIdx.x; i < voxels; i += kThreads)
    if (!nonzero || line[i] != 0) ss += (line[i] - mu) * (line[i] - mu);
  __syncthreads();
  const double squares = Reduce(storage).Sum(ss);
  if (threadIdx.x == 0) {
    mean[blockIdx.x] = mu;
    sd[blockIdx.x] = cnt > 0 ? sqrt(squares / cnt) : NAN;
    count[blockIdx.x] = static_cast<int64_t>(cnt);
  }
}

__global__ void gamma_kernel(float* v, Batch b, const uint8_t* apply, const double* gammas, const double* low, const double* high) {
  const int64_t voxels = b.voxels(), total = b.samples * b.channels * voxels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t line = i / voxels, n = line / b.channels;
    const double lo = low[line], range = high[line] - lo;
    if (!apply[n] || !(range > 0)) continue;
    v[i] = static_cast<float>(lo + range * pow((v[i] - lo) / range, gammas[n]));
  }
}

__global__ void noise_kernel(float* v, Batch b, const uint8_t* apply, double mean, const double* sd, const uint64_t* streams) {
  const int64_t per_sample = b.channels * b.voxels(), total = b.samples * per_sample;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / per_sample;
    if (!apply[n]) continue;
    v[i] = static_cast<float>(v[i] + (mean + sd[n] * kernels::counter_normal(streams[n], static_cast<uint64_t>(i % per_sample))));
  }
}

__global__ void bias_kernel(float* v, Batch b, const uint8_t* apply, const double* coef, int o, int kz, const double* px, const double* py,
                            const double* pz) {
  const int64_t voxels = b.voxels(), total = b.samples * b.channels * voxels;
  const int64_t terms = static_cast<int64_t>(o) * o * kz;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / (b.channels * voxels), at = i % voxels;
    if (!apply[n]) continue;
    const int64_t x = at % b.size.x, y = (at / b.size.x) % b.size.y, z = at / (b.size.x * b.size.y);
    const double* c = coef + n * terms;
    // The CPU's order: per row the polynomial in y, z for each power of x, then the sum over x's powers.
    double sum = 0;
    for (int ix = 0; ix < o; ++ix) {
      double row = 0;
      for (int k = 0; k < kz; ++k)
        for (int j = 0; j < o; ++j) row += c[(k * o + j) * o + ix] * py[y * o + j] * pz[z * o + k];
      sum += row * px[x * o + ix];
    }
    v[i] = v[i] * static_cast<float>(exp(sum));
  }
}

__global__ void znorm_kernel(float* v, Batch b, bool nonzero, const double* mean, const double* sd) {
  const int64_t voxels = b.voxels(), total = b.samples * b.channels * voxels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t line = i / voxels;
    if (!nonzero || v[i] != 0) v[i] = static_cast<float>((v[i] - mean[line]) / sd[line]);
  }
}

unsigned grid_for(int64_t n) {
  const int64_t most = 65535LL * 16;  // grid-stride loops beyond this
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < most ? (blocks > 0 ? blocks : 1) : most);
}

}  // namespace

void resample(const ResampleTarget* targets, int count, int64_t samples, kernels::Extent is, kernels::Extent os, const double* maps, const float* disp) {
  Targets all{};
  all.count = count;
  for (int k = 0; k < count; ++k) all.t[k] = targets[k];
  const int64_t slices = samples * os.z;
  if (count == 0 || os.x <= 0 || os.y <= 0 || slices <= 0) return;
  const int64_t row_threads = os.x < kThreads ? ((os.x + 31) / 32) * 32 : kThreads;
  const dim3 grid(static_cast<unsigned>((os.x + row_threads - 1) / row_threads), static_cast<unsigned>(os.y < 65535 ? os.y : 65535),
                  static_cast<unsigned>(slices < 65535 ? slices : 65535));
  if (is.x * is.y * is.z < (int64_t{1} << 31) && slices < (int64_t{1} << 31))
    resample_kernel<int32_t><<<grid, static_cast<unsigned>(row_threads)>>>(all, samples, is, os, maps, disp);
  else
    resample_kernel<int64_t><<<grid, static_cast<unsigned>(row_threads)>>>(all, samples, is, os, maps, disp);
}

void bspline_pass(const float* in, float* out, int64_t outer, int64_t in_len, int64_t out_len, int64_t inner, const int64_t* first, const float* w) {
  const int64_t total = outer * out_len * inner;
  if (total < (int64_t{1} << 31) && outer * in_len * inner < (int64_t{1} << 31))
    bspline_pass_kernel<uint32_t><<<grid_for(total), kThreads>>>(in, out, static_cast<uint32_t>(outer), static_cast<uint32_t>(in_len),
                                                                 static_cast<uint32_t>(out_len), static_cast<uint32_t>(inner), first, w);
  else
    bspline_pass_kernel<int64_t><<<grid_for(total), kThreads>>>(in, out, outer, in_len, out_len, inner, first, w);
}

void channel_min_max(const float* v, int64_t lines, int64_t voxels, double* low, double* high) {
  min_max_kernel<<<static_cast<unsigned>(lines), kThreads>>>(v, voxels, low, high);
}

void channel_mean_std(const float* v, int64_t lines, int64_t voxels, bool nonzero, double* mean, double* sd, int64_t* count) {
  mean_std_kernel<<<static_cast<unsigned>(lines), kThreads>>>(v, voxels, nonzero, mean, sd, count);
}

void gamma(float* v, Batch b, const uint8_t* apply, const double* gammas, const double* low, const double* high) {
  gamma_kernel<<<grid_for(b.samples * b.channels * b.voxels()), kThreads>>>(v, b, apply, gammas, low, high);
}

void noise(float* v, Batch b, const uint8_t* apply, double mean, const double* sd, const uint64_t* streams) {
  noise_kernel<<<grid_for(b.samples * b.channels * b.voxels()), kThreads>>>(v, b, apply, mean, sd, streams);
}

void bias_field(float* v, Batch b, const uint8_t* apply, const double* coef, int order1, int kz, const double* px, const double* py, const double* pz) {
  bias_kernel<<<grid_for(b.samples * b.channels * b.voxels()), kThreads>>>(v, b, apply, coef, order1, kz, px, py, pz);
}

void znorm(float* v, Batch b, bool nonzero, const double* mean, const double* sd) {
  znorm_kernel<<<grid_for(b.samples * b.channels * b.voxels()), kThreads>>>(v, b, nonzero, mean, sd);
}

}  // namespace fuse::cuda_augment
