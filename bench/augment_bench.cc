// Spatial augmentation of a 128^3 image and its label, on one core: random affine then random elastic (two
// ops, two resamplings of each key), the two in one op (one resampling), against one identity resampling of
// both keys measured in the same run (the floor any resampling op pays). TorchIO takes about 400 ms for
// affine + elastic here; the target is 100 ms.
#include <numeric>

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>

#include "fuse/plugin/registry.h"

namespace {

const fuse::Registry& registry() {
  static const fuse::Registry r(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  return r;
}

fuse::NDict volume(int64_t n) {
  std::vector<float> img(static_cast<size_t>(n * n * n));
  std::vector<uint8_t> seg(img.size());
  for (size_t i = 0; i < img.size(); ++i) {
    img[i] = static_cast<float>(i % 997);
    seg[i] = static_cast<uint8_t>((i / 4096) % 3);
  }
  fuse::NDict s;
  s.set("img", fuse::Value(fuse::Tensor::from_vector<float>(img, {1, n, n, n})));
  s.set("seg", fuse::Value(fuse::Tensor::from_vector<uint8_t>(seg, {1, n, n, n})));
  return s;
}

fuse::Op op(const char* id, const char* config) { return registry().create_op(id, boost::json::parse(config).as_object()); }

// Times `o` on a fresh copy of the n^3 volume per iteration, each with the next seed.
void time_op(benchmark::State& state, fuse::Op& o) {
  const fuse::NDict input = volume(state.range(0));
  uint64_t seed = 0;
  for (auto _ : state) {
    fuse::NDict s = input;
    o.forward(s, fuse::CallContext{true, ++seed, 0, 0});
    benchmark::DoNotOptimize(s);
  }
}

void BM_AffineThenElastic(benchmark::State& state) {
  fuse::Op affine = op("fuse.medical.random_affine", R"({"keys": ["img"], "labels": ["seg"], "rotation": [-15, 15], "scale": [0.9, 1.1]})");
  fuse::Op elastic = op("fuse.medical.random_elastic", R"({"keys": ["img"], "labels": ["seg"], "max_displacement": 7.5})");
  const fuse::NDict input = volume(state.range(0));
  uint64_t seed = 0;
  for (auto _ : state) {
    fuse::NDict s = input;
    affine.forward(s, fuse::CallContext{true, ++seed, 0, 0});
    elastic.forward(s, fuse::CallContext{true, ++seed, 0, 0});
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_AffineThenElastic)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

// Both in one op: the elastic field rides on the affine resampling (one pass over each key).
void BM_AffineElasticOneOp(benchmark::State& state) {
  fuse::Op both = op("fuse.medical.random_affine",
                     R"({"keys": ["img"], "labels": ["seg"], "rotation": [-15, 15], "scale": [0.9, 1.1], "elastic_max_displacement": 7.5})");
  time_op(state, both);
}
BENCHMARK(BM_AffineElasticOneOp)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

// The baseline: the same keys through one resampling whose draw is the identity.
void BM_IdentityResampling(benchmark::State& state) {
  fuse::Op affine = op("fuse.medical.random_affine", R"({"keys": ["img"], "labels": ["seg"], "rotation": [0, 0], "scale": [1, 1]})");
  const fuse::NDict input = volume(state.range(0));
  for (auto _ : state) {
    fuse::NDict s = input;
    affine.forward(s, fuse::CallContext{true, 1, 0, 0});
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_IdentityResampling)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Elastic(benchmark::State& state) {
  fuse::Op elastic = op("fuse.medical.random_elastic", R"({"keys": ["img"], "labels": ["seg"], "max_displacement": 7.5})");
  time_op(state, elastic);
}
BENCHMARK(BM_Elastic)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

// Gaussian noise on the image alone (a standard deviation drawn per call, a normal per voxel): the identity
// resampling above is its baseline too.
void BM_Noise(benchmark::State& state) {
  fuse::Op noise = op("fuse.medical.random_noise", R"({"keys": ["img"], "std": [0, 0.1]})");
  time_op(state, noise);
}
BENCHMARK(BM_Noise)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

// The MR artifacts on the image alone: spike and ghosting pay one DFT there and back; motion (2 moves) pays
// two resamplings and three forward DFTs. The identity resampling above is the baseline of the ratios.
void BM_MrArtifact(benchmark::State& state, const char* id) {
  fuse::Op artifact = op(id, R"({"keys": ["img"]})");
  time_op(state, artifact);
}
BENCHMARK_CAPTURE(BM_MrArtifact, spike, "fuse.medical.random_spike")->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_MrArtifact, ghosting, "fuse.medical.random_ghosting")->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_MrArtifact, motion, "fuse.medical.random_motion")->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
