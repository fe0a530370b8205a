// NDict get and set by a three-level dotted key, against a flat hash map keyed by the whole dotted string
// (the simplest alternative design), measured in the same run.
#include <string>
#include <unordered_map>

#include <benchmark/benchmark.h>

#include "fuse/ndict/ndict.h"

namespace {

// A sample shaped like a real one: a few top-level groups with several keys each.
fuse::NDict make_sample() {
  fuse::NDict d;
  for (const char* group : {"data", "model", "meta"})
    for (const char* sub : {"input", "target", "aux"})
      for (const char* leaf : {"image", "mask", "label", "id", "weight"})
        d.set(std::string(group) + "." + sub + "." + leaf, 1);
  return d;
}

std::unordered_map<std::string, fuse::Value> make_flat() {
  std::unordered_map<std::string, fuse::Value> flat;
  const fuse::NDict sample = make_sample();  // flatten() points into it: keep it alive
  for (const auto& [key, value] : sample.flatten()) flat.emplace(key, *value);
  return flat;
}

void BM_NDictGet3Level(benchmark::State& state) {
  const fuse::NDict d = make_sample();
  const std::string key = "model.target.label";
  for (auto _ : state) benchmark::DoNotOptimize(&d.get<int64_t>(key));
}
BENCHMARK(BM_NDictGet3Level);

void BM_FlatMapGet(benchmark::State& state) {
  const auto flat = make_flat();
  const std::string key = "model.target.label";
  for (auto _ : state) benchmark::DoNotOptimize(&flat.at(key).as<int64_t>());
}
BENCHMARK(BM_FlatMapGet);

void BM_NDictSet3Level(benchmark::State& state) {
  fuse::NDict d = make_sample();
  const std::string key = "model.target.label";
  int64_t i = 0;
  for (auto _ : state) d.set(key, ++i);
  benchmark::DoNotOptimize(d);
}
BENCHMARK(BM_NDictSet3Level);

void BM_FlatMapSet(benchmark::State& state) {
  auto flat = make_flat();
  const std::string key = "model.target.label";
  int64_t i = 0;
  for (auto _ : state) flat[key] = fuse::Value(++i);
  benchmark::DoNotOptimize(flat);
}
BENCHMARK(BM_FlatMapSet);

}  // namespace

BENCHMARK_MAIN();
