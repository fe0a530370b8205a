// Evaluation at scale: AUC with a 1000-round bootstrap interval on 10,000 and 1,000,000 rows, against a naive
// bootstrap (resample the rows, sort, AUC: what fuse.eval does) measured in the same run; the memory of an
// evaluation against its input; and streaming memory as the file grows (bounded = it does not grow).
#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include <benchmark/benchmark.h>

#include "fuse/eval/evaluator.h"
#include "fuse/plugin/registry.h"

namespace {

namespace fs = std::filesystem;

// A predictions file of n rows (30% positives, overlapping score distributions), written once per run.
fs::path predictions(size_t n) {
  const fs::path p = fs::temp_directory_path() / ("fuse_eval_bench_" + std::to_string(n) + ".csv");
  if (fs::exists(p)) return p;
  std::mt19937_64 rng(n);
  std::normal_distribution<double> noise(0, 0.2);
  std::ofstream out(p);
  out << "id,label,score\n";
  char line[64];
  for (size_t i = 0; i < n; ++i) {
    const int y = (rng() % 10) < 3;
    const double s = std::clamp(0.4 + 0.25 * y + noise(rng), 1e-6, 1 - 1e-6);
    out.write(line, std::snprintf(line, sizeof(line), "c%zu,%d,%.6f\n", i, y, s));
  }
  return p;
}

const fuse::Registry& registry() {
  static const fuse::Registry r(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  return r;
}

fuse::eval::EvalConfig config(const fs::path& file, int64_t rounds) {
  fuse::eval::EvalConfig c;
  c.predictions.push_back(fuse::eval::PredictionFile{file, "p"});
  c.target_column = "label";
  c.score_columns = {"score"};
  c.metrics.push_back(fuse::eval::MetricSpec{"auc", "auc", {}, false, "bench"});
  c.ci.rounds = rounds;
  return c;
}

// The whole evaluation, files read included: with the interval (args: rows, rounds) and without (rounds 0).
void BM_Evaluate(benchmark::State& state) {
  const fs::path file = predictions(static_cast<size_t>(state.range(0)));
  const fuse::eval::EvalConfig c = config(file, state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(fuse::eval::Evaluator(registry(), c).run());
  state.counters["rows"] = static_cast<double>(state.range(0));
  state.counters["rounds"] = static_cast<double>(state.range(1));
}
BENCHMARK(BM_Evaluate)->Args({10000, 0})->Args({10000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Evaluate)->Args({1000000, 0})->Args({1000000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// The naive bootstrap (args: rows, rounds): per round, draw n rows with replacement, copy them, sort, AUC.
void BM_NaiveBootstrap(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 0.2);
  std::vector<double> score(n);
  std::vector<int> label(n);
  for (size_t i = 0; i < n; ++i) {
    label[i] = (rng() % 10) < 3;
    score[i] = 0.4 + 0.25 * label[i] + noise(rng);
  }
  std::vector<std::pair<double, int>> sample(n);
  for (auto _ : state) {
    double sum = 0;
    for (int64_t r = 0; r < state.range(1); ++r) {
      for (size_t i = 0; i < n; ++i) {
        const size_t k = rng() % n;
        sample[i] = {score[k], label[k]};
      }
      std::sort(sample.begin(), sample.end());
      double pos = 0, neg = 0, num = 0;
      for (size_t i = 0; i < n;) {  // ascending, in tie groups
        size_t j = i;
        double pg = 0, ng = 0;
        for (; j < n && sample[j].first == sample[i].first; ++j) (sample[j].second ? pg : ng) += 1;
        num += pg * (neg + 0.5 * ng);
        pos += pg, neg += ng;
        i = j;
      }
      sum += num / (pos * neg);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["rounds"] = static_cast<double>(state.range(1));
}
BENCHMARK(BM_NaiveBootstrap)->Args({10000, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NaiveBootstrap)->Args({1000000, 20})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// Memory is measured in this process: the kernel's high-water mark is reset (/proc/self/clear_refs), the
// evaluation runs, and the new high-water mark less the resident size before is what the evaluation needed.
double status_mib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::string(field).size())) / 1024;
  return -1;
}

double evaluation_mib(const fuse::eval::EvalConfig& c) {
  malloc_trim(0);  // give back what earlier benchmarks freed, so it is not silently reused
  std::ofstream("/proc/self/clear_refs") << "5";
  const double before = status_mib("VmRSS:");
  benchmark::DoNotOptimize(fuse::eval::Evaluator(registry(), c).run());
  return status_mib("VmHWM:") - before;
}

double file_mib(const fs::path& p) { return static_cast<double>(fs::file_size(p)) / (1024 * 1024); }

// In-memory evaluation of 1M rows with a 1000-round interval, against the file's size.
void BM_PeakMemory(benchmark::State& state) {
  const fs::path big = predictions(1000000);
  double used = 0;
  for (auto _ : state) used = evaluation_mib(config(big, 1000));
  state.counters["input_MiB"] = file_mib(big);
  state.counters["evaluation_MiB"] = used;
  state.counters["per_input"] = used / file_mib(big);
}
BENCHMARK(BM_PeakMemory)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

// Streaming with bounded-state metrics (a binned AUC, a mean absolute error): the memory must not grow with
// the file (1M rows against 4M rows).
void BM_StreamingMemory(benchmark::State& state) {
  const fs::path one = predictions(1000000), four = predictions(4000000);
  auto streamed = [](const fs::path& file) {
    fuse::eval::EvalConfig c = config(file, 0);
    c.streaming = true;
    c.metrics = {fuse::eval::MetricSpec{"auc", "auc", boost::json::object{{"bins", 65536}}, false, "bench"},
                 fuse::eval::MetricSpec{"mae", "fuse.c.mean_abs_error", boost::json::object{{"pred", "score"}, {"target", "label"}}, false, "bench"}};
    return c;
  };
  double small = 0, large = 0;
  for (auto _ : state) {
    small = evaluation_mib(streamed(one));
    large = evaluation_mib(streamed(four));
  }
  state.counters["1M_MiB"] = small;
  state.counters["4M_MiB"] = large;
  state.counters["4M_input_MiB"] = file_mib(four);
}
BENCHMARK(BM_StreamingMemory)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
