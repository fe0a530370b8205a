// GPU kernels against their CPU twins, measured in the same run (needs a CUDA device; each case reports "no
// CUDA device" and is skipped without one):
// - BM_GpuAffine, BM_GpuAffineElastic / BM_CpuTwinAffineElastic: random affine (+ elastic) of a batch of 8
//   images 128^3 with their labels, one resampling. Counters: voxels/s, and GB/s of the data each batch must
//   move (read + write of image and label, the dense field written once and read once) for comparison with
//   the GPU's memory bandwidth.
// - BM_GpuBootstrapAuc: AUC with a 10,000-round bootstrap CI over 1,000,000 rows, against BM_CpuTwinAuc10Rounds
//   (the same arithmetic on one core, 10 rounds; multiply by 1,000 for the full CI).
// - BM_GpuSurfaceDistance(FromHost) / BM_CpuTwinSurfaceDistance: Dice, IoU, HD, HD95 and ASD of 2 classes of one
//   160^3 int64 label map pair (two exact distance transforms per class), fuse.cuda.gpu_segmentation (maps on the
//   device, or copied from host memory each time) against fuse.metrics.segmentation. Counter: voxels/s.
// PyTorch's grid_sample on the same GPU (the path MONAI's GPU affine takes): bench/gpu_vs_grid_sample.py.
#include <cuda_runtime_api.h>

#include <random>

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>

#include "fuse/plugin/registry.h"
#include "kernels/poisson_auc.h"

namespace {

const fuse::Registry& registry() {
  static const fuse::Registry r(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  return r;
}

bool have_gpu(benchmark::State& state) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    state.SkipWithError("no CUDA device");
    return false;
  }
  return true;
}

fuse::Op op(const char* id, const char* config) { return registry().create_op(id, boost::json::parse(config).as_object()); }

constexpr int64_t kBatch = 8, kSide = 128;
const char* kAffine = R"({"keys": ["img"], "labels": ["seg"], "rotation": [-15, 15], "scale": [0.9, 1.1]})";
const char* kAffineElastic = R"({"keys": ["img"], "labels": ["seg"], "rotation": [-15, 15], "scale": [0.9, 1.1], "elastic_max_displacement": 7.5})";

fuse::NDict batch(int64_t samples) {
  const int64_t voxels = kSide * kSide * kSide;
  std::vector<float> img(static_cast<size_t>(samples * voxels));
  std::vector<uint8_t> seg(img.size());
  for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>(i % 997), seg[i] = static_cast<uint8_t>((i / 4096) % 3);
  fuse::NDict b;
  b.set("img", fuse::Value(fuse::Tensor::from_vector<float>(img, {samples, 1, kSide, kSide, kSide})));
  b.set("seg", fuse::Value(fuse::Tensor::from_vector<uint8_t>(seg, {samples, 1, kSide, kSide, kSide})));
  return b;
}

// Bytes per voxel: image read + write (4 + 4), label read + write (1 + 1), and with elastic the field written
// once and read once by the pass that resamples both (12 + 12).
void report(benchmark::State& state, int64_t samples, double bytes_per_voxel) {
  const double voxels = static_cast<double>(samples * kSide * kSide * kSide);
  state.counters["voxels/s"] = benchmark::Counter(voxels * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GB/s"] = benchmark::Counter(voxels * bytes_per_voxel * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

void gpu_affine(benchmark::State& state, const char* config, double bytes_per_voxel) {
  if (!have_gpu(state)) return;
  fuse::NDict b = batch(kBatch);
  op("fuse.cuda.to_device", R"({"keys": ["img", "seg"]})").forward(b);
  fuse::Op affine = op("fuse.cuda.random_affine", config);
  std::vector<uint64_t> seeds(kBatch);
  uint64_t round = 0;
  for (auto _ : state) {
    for (int64_t n = 0; n < kBatch; ++n) seeds[static_cast<size_t>(n)] = round * kBatch + static_cast<uint64_t>(n);
    fuse::CallContext context{true, round++, 0, -1};
    context.sample_seeds = &seeds;
    fuse::NDict work = b;
    affine.forward(work, context);  // synchronises before it returns
  }
  report(state, kBatch, bytes_per_voxel);
}

void BM_GpuAffine(benchmark::State& state) { gpu_affine(state, kAffine, 10); }
BENCHMARK(BM_GpuAffine)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_GpuAffineElastic(benchmark::State& state) { gpu_affine(state, kAffineElastic, 34); }
BENCHMARK(BM_GpuAffineElastic)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CpuTwinAffineElastic(benchmark::State& state) {
  fuse::Op affine = op("fuse.medical.random_affine", kAffineElastic);
  const fuse::NDict one = [] {
    fuse::NDict b = batch(1), s;
    s.set("img", fuse::Value(b.get<fuse::Tensor>("img").reshape({1, kSide, kSide, kSide})));
    s.set("seg", fuse::Value(b.get<fuse::Tensor>("seg").reshape({1, kSide, kSide, kSide})));
    return s;
  }();
  uint64_t seed = 0;
  for (auto _ : state)
    for (int64_t n = 0; n < kBatch; ++n) {
      fuse::NDict work = one;
      affine.forward(work, fuse::CallContext{true, seed++, 0, n});
    }
  report(state, kBatch, 34);
}
BENCHMARK(BM_CpuTwinAffineElastic)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

fuse::NDict scores(int64_t n) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> s(static_cast<size_t>(n));
  std::vector<int64_t> y(s.size());
  for (size_t i = 0; i < s.size(); ++i) s[i] = u(gen), y[i] = u(gen) < 0.3 + 0.4 * s[i];
  fuse::NDict b;
  b.set("score", fuse::Value(fuse::Tensor::from_vector<double>(s, {n})));
  b.set("label", fuse::Value(fuse::Tensor::from_vector<int64_t>(y, {n})));
  return b;
}

void BM_GpuBootstrapAuc(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const fuse::NDict b = scores(1000000);
  for (auto _ : state) {
    fuse::Metric m = registry().create_metric("fuse.cuda.gpu_auc", boost::json::parse(R"({"pred": "score", "target": "label", "bootstrap_rounds": 10000})").as_object());
    m.update(b);
    benchmark::DoNotOptimize(m.compute());
  }
}
BENCHMARK(BM_GpuBootstrapAuc)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CpuTwinAuc10Rounds(benchmark::State& state) {
  // 1,000,000 distinct scores: one group per row, as the GPU case.
  std::mt19937 gen(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<uint64_t> pos(1000000), neg(pos.size());
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = u(gen) < 0.5, neg[i] = 1 - pos[i];
  for (auto _ : state)
    for (uint64_t r = 0; r < 10; ++r) benchmark::DoNotOptimize(fuse::kernels::bootstrap_round(pos.data(), neg.data(), pos.size(), 1, r));
}
BENCHMARK(BM_CpuTwinAuc10Rounds)->Unit(benchmark::kMillisecond)->UseRealTime();

// Two overlapping balls of classes 1 and 2 with shifted copies as the prediction: surfaces everywhere in the volume.
fuse::NDict label_pair(int64_t side) {
  std::vector<int64_t> pred(static_cast<size_t>(side * side * side)), target(pred.size());
  auto ball = [&](int64_t x, int64_t y, int64_t z, double cx, double r) {
    const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - side / 2.0, dz = static_cast<double>(z) - side / 2.0;
    return dx * dx + dy * dy + dz * dz < r * r;
  };
  for (int64_t z = 0; z < side; ++z)
    for (int64_t y = 0; y < side; ++y)
      for (int64_t x = 0; x < side; ++x) {
        const size_t i = static_cast<size_t>((z * side + y) * side + x);
        target[i] = ball(x, y, z, side * 0.35, side * 0.3) ? 1 : ball(x, y, z, side * 0.7, side * 0.25) ? 2 : 0;
        pred[i] = ball(x, y, z, side * 0.38, side * 0.28) ? 1 : ball(x, y, z, side * 0.66, side * 0.27) ? 2 : 0;
      }
  fuse::NDict b;
  b.set("p", fuse::Value(fuse::Tensor::from_vector<int64_t>(pred, {1, side, side, side})));
  b.set("y", fuse::Value(fuse::Tensor::from_vector<int64_t>(target, {1, side, side, side})));
  return b;
}

constexpr int64_t kSegSide = 160;

void surface_distance(benchmark::State& state, const char* id, bool on_device = false) {
  fuse::NDict b = label_pair(kSegSide);
  if (on_device) op("fuse.cuda.to_device", R"({"keys": ["p", "y"]})").forward(b);
  for (auto _ : state) {
    fuse::Metric m = registry().create_metric(id, boost::json::parse(R"({"pred": "p", "target": "y", "num_classes": 3, "spacing": [0.8, 0.8, 1.5]})").as_object());
    m.update(b);
    benchmark::DoNotOptimize(m.compute());
  }
  state.counters["voxels/s"] = benchmark::Counter(static_cast<double>(kSegSide * kSegSide * kSegSide) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

// The label maps already on the device (a model's output there), and from host memory (copied each update).
void BM_GpuSurfaceDistance(benchmark::State& state) {
  if (have_gpu(state)) surface_distance(state, "fuse.cuda.gpu_segmentation", true);
}
BENCHMARK(BM_GpuSurfaceDistance)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_GpuSurfaceDistanceFromHost(benchmark::State& state) {
  if (have_gpu(state)) surface_distance(state, "fuse.cuda.gpu_segmentation");
}
BENCHMARK(BM_GpuSurfaceDistanceFromHost)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CpuTwinSurfaceDistance(benchmark::State& state) { surface_distance(state, "fuse.metrics.segmentation"); }
BENCHMARK(BM_CpuTwinSurfaceDistance)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
