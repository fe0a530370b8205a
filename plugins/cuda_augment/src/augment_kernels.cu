// Built with --fmad=false: the device then rounds every multiply and add as the CPU does, so coordinates (and
// so nearest-neighbour labels) come out bit for bit as on the CPU twin.
#include <cub/block/block_reduce.cuh>

#include "augment_kernels.h"
#include "kernels/counter_random.h"

namespace fuse::cuda_augment {

namespace {

constexpr int kThreads = 256;

template <class T>
__global__ void resample_kernel(const T* in, Batch b, T* out, kernels::Extent os, const double* maps, const float* disp, bool linear, T fill) {
  const int64_t out_voxels = os.x * os.y * os.z, in_voxels = b.voxels();
  const int64_t total = b.samples * out_voxels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t n = i / out_voxels, o = i % out_voxels;
    const int64_t x = o % os.x, y = (o / os.x) % os.y, z = o / (os.x * os.y);
    double m[3][4];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) m[r][c] = maps[n * 12 + r * 4 + c];
    double base[3], p[3];
    kernels::row_base(m, y, z, base);
    kernels::point_in_row(m, base, x, disp != nullptr ? disp + 3 * (n * out_voxels + o) : nullptr, p);
    const T* src = in + n * b.channels * in_voxels;
    T* dst = out + n * b.channels * out_voxels + o;
    if (linear) {
      kernels::LinearTap<T> tap;
      const bool ok = kernels::linear_tap(p, b.size, &tap);
      for (int64_t c = 0; c < b.channels; ++c) dst[c * out_voxels] = ok ? kernels::blend(src + c * in_voxels, tap) : fill;
    } else {
      const int64_t at = kernels::nearest_offset(p, b.size);
      for (int64_t c = 0; c < b.channels; ++c) dst[c * out_voxels] = at >= 0 ? src[c * in_voxels + at] : fill;
    }
  }
}

__global__ void bspline_pass_kernel(const float* in, float* out, int64_t outer, int64_t in_len, int64_t out_len, int64_t inner,
                                    const int64_t* first, const float* w) {
  const int64_t total = outer * out_len * inner;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t m = i % inner, j = (i / inner) % out_len, o = i / (inner * out_len);
    float acc = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int64_t c = first[j] + k;
      if (c < 0 || c >= in_len) continue;
      acc += w[j * 4 + k] * in[(o * in_len + c) * inner + m];
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

template <class T>
void resample(const T* in, Batch b, T* out, kernels::Extent os, const double* maps, const float* disp, bool linear, T fill) {
  resample_kernel<T><<<grid_for(b.samples * os.x * os.y * os.z), kThreads>>>(in, b, out, os, maps, disp, linear, fill);
}
template void resample<float>(const float*, Batch, float*, kernels::Extent, const double*, const float*, bool, float);
template void resample<uint8_t>(const uint8_t*, Batch, uint8_t*, kernels::Extent, const double*, const float*, bool, uint8_t);
template void resample<int32_t>(const int32_t*, Batch, int32_t*, kernels::Extent, const double*, const float*, bool, int32_t);
template void resample<int64_t>(const int64_t*, Batch, int64_t*, kernels::Extent, const double*, const float*, bool, int64_t);

void bspline_pass(const float* in, float* out, int64_t outer, int64_t in_len, int64_t out_len, int64_t inner, const int64_t* first, const float* w) {
  bspline_pass_kernel<<<grid_for(outer * out_len * inner), kThreads>>>(in, out, outer, in_len, out_len, inner, first, w);
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
