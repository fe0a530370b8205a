// The cost of calling an op through the plugin ABI, against the same work done by a C++ function on the
// host's NDict (same key lookup, same copy-on-write access, same loop), measured in the same run.
// The op is fuse.ops.clip from the ops_core plugin on a 16-element float32 tensor.
#include <algorithm>

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include "fuse/plugin/registry.h"

namespace {

fuse::NDict make_sample() {
  fuse::NDict d;
  d.set("data.input.image", fuse::Tensor::zeros({16}, fuse::sdk::kFloat32));
  d.set("data.input.label", 1);
  return d;
}

// What fuse.ops.clip does, written directly against the host's types.
void clip_direct(fuse::NDict& sample, const std::string& key, float lo, float hi) {
  fuse::Tensor& t = sample.get<fuse::Tensor>(key);
  float* x = t.mutable_data<float>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) x[i] = std::clamp(x[i], lo, hi);
}

void BM_DirectCall(benchmark::State& state) {
  fuse::NDict sample = make_sample();
  const std::string key = "data.input.image";
  for (auto _ : state) clip_direct(sample, key, 0.0f, 1.0f);
  benchmark::DoNotOptimize(sample);
}
BENCHMARK(BM_DirectCall);

void BM_AbiCall(benchmark::State& state) {
  fuse::Registry registry(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  fuse::Op op = registry.create_op("fuse.ops.clip",
                                   boost::json::parse(R"({"keys": ["data.input.image"], "min": 0, "max": 1})").as_object());
  fuse::NDict sample = make_sample();
  for (auto _ : state) op.forward(sample);
  benchmark::DoNotOptimize(sample);
}
BENCHMARK(BM_AbiCall);

}  // namespace

BENCHMARK_MAIN();
