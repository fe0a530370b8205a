// The data side on the 3D segmentation example (24 synthetic CT volumes and masks, 96 x 96 x 48):
//   BM_EpochFromCache       an epoch of the static pipeline served by the cache; counter `speedup` = an uncached
//                           epoch (read .nii.gz, reorient, resample, rescale, crop) measured in the same run /
//                           the cached one. Target >= 10x (MONAI's CacheDataset: about 10x).
//   BM_ReadNifti/N/M        an uncompressed N^3 float32 NIfTI through fuse.io.read_medical, every page of the
//                           tensor touched, mapped (M = 1, the default) or read into a new tensor (M = 0); counter `vs_read` = the time / reading the same bytes with read(2)
//                           into a fresh buffer. Target <= 40 ms for 256^3 (nibabel: about 33 ms).
//   BM_LoaderEpoch/W        a loader epoch with augmentation on W workers; counter `busy_cores` = process CPU
//                           time / wall time (2 on two busy cores).
//   BM_TwoProcessesShareCache  a second process holding every cached sample while the first does; counter
//                           `second_vs_one` = the proportional resident memory the second process adds / the
//                           resident memory the samples take in one process (0: shared through the page cache;
//                           1: a copy each).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>

#include "fuse/data/data_config.h"
#include "fuse/loader/loader.h"
#include "fuse/loader/loader_config.h"

namespace {

namespace fs = std::filesystem;

const fuse::Registry& registry() {
  static const fuse::Registry r(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  return r;
}

// The example's volumes and an experiment over them (its own cache folder), made once per run.
const fs::path& example() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("fuse_data_bench_" + std::to_string(getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    if (std::system(("'" FUSE_MAKE_VOLUMES "' '" + d.string() + "' 24 > /dev/null").c_str()) != 0) std::abort();
    std::ofstream(d / "experiment.json") << R"({"data": {
      "source": {"table": "train.csv", "paths": ["image", "mask"]},
      "static": [
        {"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
        {"op": "fuse.io.read_medical", "path_key": "data.mask", "key": "data.seg", "dtype": "uint8"},
        {"op": "fuse.medical.reorient", "keys": ["data.ct", "data.seg"], "orientation": "RAS"},
        {"op": "fuse.medical.resample", "keys": ["data.ct"], "labels": ["data.seg"], "spacing": [1.6, 1.6, 2.5]},
        {"op": "fuse.medical.rescale", "keys": ["data.ct"], "in_min": -200, "in_max": 300},
        {"op": "fuse.medical.pad_or_crop", "keys": ["data.ct"], "labels": ["data.seg"], "size": [48, 48, 32]}
      ],
      "dynamic": [
        {"op": "fuse.medical.random_affine", "keys": ["data.ct"], "labels": ["data.seg"], "rotation": [-10, 10], "p": 0.7},
        {"op": "fuse.medical.random_elastic", "keys": ["data.ct"], "labels": ["data.seg"], "max_displacement": 4, "p": 0.3},
        {"op": "fuse.medical.random_flip", "keys": ["data.ct"], "labels": ["data.seg"], "axes": [0]},
        {"op": "fuse.medical.random_gamma", "keys": ["data.ct"], "p": 0.5}
      ],
      "cache": "cache",
      "loader": {"batch_size": 4, "collate": {"skip": ["data.ct_meta", "data.seg_meta"]}}}})";
    return d;
  }();
  return dir;
}

fuse::data::DataConfig config() { return fuse::data::read_data_config(fuse::json::Document::load(example() / "experiment.json")); }

double seconds_since(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

void static_epoch(fuse::data::Dataset& d) {
  fuse::data::Dataset::Worker w = d.worker();
  for (size_t i = 0; i < d.size(); ++i) benchmark::DoNotOptimize(w.get_static(i));
}

void BM_EpochFromCache(benchmark::State& state) {
  fuse::data::DataConfig c = config();
  fuse::data::DatasetSpec uncached = c.dataset;
  uncached.cache_dir.reset();
  fuse::data::Dataset plain(registry(), uncached);
  static_epoch(plain);  // warm the page cache with the source files
  auto t0 = std::chrono::steady_clock::now();
  const int rounds = 3;
  for (int r = 0; r < rounds; ++r) static_epoch(plain);
  const double uncached_epoch = seconds_since(t0) / rounds;
  fuse::data::Dataset cached(registry(), c.dataset);
  cached.build_cache(1, false);
  double total = 0;
  int64_t epochs = 0;
  for (auto _ : state) {
    t0 = std::chrono::steady_clock::now();
    static_epoch(cached);
    total += seconds_since(t0);
    ++epochs;
  }
  state.counters["uncached_ms"] = uncached_epoch * 1e3;
  state.counters["speedup"] = uncached_epoch / (total / static_cast<double>(epochs));
}
BENCHMARK(BM_EpochFromCache)->Unit(benchmark::kMillisecond)->UseRealTime();

fs::path nifti(int64_t n) {
  const fs::path p = fs::temp_directory_path() / ("fuse_bench_" + std::to_string(n) + "_" + std::to_string(getpid()) + ".nii");
  if (fs::exists(p)) return p;
  fuse::NDict s;
  s.set("v", fuse::Value(fuse::Tensor::zeros({1, n, n, n}, fuse::sdk::kFloat32)));
  fuse::List size{fuse::Value(n), fuse::Value(n), fuse::Value(n)}, one{fuse::Value(1.0), fuse::Value(1.0), fuse::Value(1.0)};
  s.set("v_meta.size", fuse::Value(size));
  s.set("v_meta.spacing", fuse::Value(one));
  s.set("v_meta.origin", fuse::Value(fuse::List{fuse::Value(0.0), fuse::Value(0.0), fuse::Value(0.0)}));
  s.set("v_meta.direction", fuse::Value(fuse::List{fuse::Value(1.0), fuse::Value(0.0), fuse::Value(0.0), fuse::Value(0.0), fuse::Value(1.0),
                                                   fuse::Value(0.0), fuse::Value(0.0), fuse::Value(0.0), fuse::Value(1.0)}));
  registry().create_op("fuse.io.write_medical", boost::json::parse(R"({"key": "v", "geometry": "current", "path": ")" + p.string() + "\"}").as_object()).forward(s);
  return p;
}

void BM_ReadNifti(benchmark::State& state) {
  const fs::path file = nifti(state.range(0));
  // The floor: the file's bytes into a fresh buffer with read(2), from the page cache.
  const size_t bytes = fs::file_size(file);
  auto t0 = std::chrono::steady_clock::now();
  const int rounds = 5;
  for (int r = 0; r < rounds; ++r) {
    std::unique_ptr<char[]> buffer(new char[bytes]);
    const int fd = ::open(file.c_str(), O_RDONLY);
    size_t got = 0;
    while (got < bytes) {
      const ssize_t n = ::read(fd, buffer.get() + got, bytes - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    ::close(fd);
    benchmark::DoNotOptimize(buffer.get());
  }
  const double floor = seconds_since(t0) / rounds;
  // Arg 1: 1 maps the file (the default), 0 reads it into a new tensor.
  const std::string options = state.range(1) ? R"({"path_key": "p"})" : R"({"path_key": "p", "memory_map": false})";
  fuse::Op read = registry().create_op("fuse.io.read_medical", boost::json::parse(options).as_object());
  double total = 0;
  int64_t reads = 0;
  for (auto _ : state) {
    fuse::NDict s;
    s.set("p", file.string());
    t0 = std::chrono::steady_clock::now();
    read.forward(s);
    // Touch every page: a mapped file costs its page faults when used, and they count here.
    const fuse::Tensor& t = s.get<fuse::Tensor>("data.image");
    const char* p = static_cast<const char*>(t.raw_data());
    char sum = 0;
    for (size_t b = 0; b < t.nbytes(); b += 4096) sum = static_cast<char>(sum + p[b]);
    benchmark::DoNotOptimize(sum);
    total += seconds_since(t0);
    ++reads;
    benchmark::DoNotOptimize(s);
  }
  state.counters["read2_ms"] = floor * 1e3;
  state.counters["vs_read"] = total / static_cast<double>(reads) / floor;
  fs::remove(file);  // this process's file (64 MB at 256^3): nothing is left in the temporary folder
}
BENCHMARK(BM_ReadNifti)->Args({64, 1})->Args({256, 1})->Args({256, 0})->Unit(benchmark::kMillisecond)->UseRealTime();

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void BM_LoaderEpoch(benchmark::State& state) {
  fuse::data::DataConfig c = config();
  fuse::data::Dataset d(registry(), c.dataset);
  d.build_cache(2, false);
  fuse::loader::LoaderConfig lc = fuse::loader::read_loader_config(fuse::json::Document::load(example() / "experiment.json"), "/data/loader");
  lc.options.workers = static_cast<size_t>(state.range(0));
  const std::unique_ptr<fuse::loader::Sampler> sampler = fuse::loader::make_sampler(lc, d, 1);
  fuse::loader::Loader loader(d, *sampler, lc.options);
  int64_t epoch = 0;
  double cpu = 0, wall = 0;
  for (auto _ : state) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    loader.start(epoch++);
    fuse::NDict batch;
    while (loader.next(batch)) benchmark::DoNotOptimize(batch);
    wall += seconds_since(t0);
    cpu += cpu_seconds() - c0;
  }
  state.counters["busy_cores"] = cpu / wall;
}
BENCHMARK(BM_LoaderEpoch)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Proportional and whole resident memory of a process (kB), from /proc.
std::pair<double, double> pss_rss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  double pss = 0, rss = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name;
    double kb = 0;
    words >> name >> kb;
    if (name == "Pss:") pss = kb;
    if (name == "Rss:") rss = kb;
  }
  return {pss, rss};
}

// Reads every cached sample and touches every byte of its tensors; the samples stay mapped while held.
std::vector<fuse::NDict> hold_all(fuse::data::Dataset& d) {
  std::vector<fuse::NDict> held;
  fuse::data::Dataset::Worker w = d.worker();
  for (size_t i = 0; i < d.size(); ++i) {
    held.push_back(*w.get_static(i));
    for (const auto& [key, value] : held.back().flatten())
      if (value->is<fuse::Tensor>()) {
        const char* p = static_cast<const char*>(value->as<fuse::Tensor>().raw_data());
        volatile char sum = 0;
        for (size_t b = 0; b < value->as<fuse::Tensor>().nbytes(); b += 4096) sum = static_cast<char>(sum + p[b]);
      }
  }
  return held;
}

void BM_TwoProcessesShareCache(benchmark::State& state) {
  fuse::data::DataConfig c = config();
  fuse::data::Dataset d(registry(), c.dataset);
  d.build_cache(2, false);
  for (auto _ : state) {
    // One process: resident memory the samples add.
    const double before = pss_rss(getpid()).second;
    std::vector<fuse::NDict> mine = hold_all(d);
    const double one = pss_rss(getpid()).second - before;
    // A second process holds them too; then both processes' proportional shares are read at once.
    int ready[2], done[2];
    if (pipe(ready) != 0 || pipe(done) != 0) std::abort();
    const double pss_before_child = pss_rss(getpid()).first;
    const pid_t child = fork();
    if (child == 0) {
      fuse::data::Dataset again(registry(), c.dataset);
      std::vector<fuse::NDict> theirs = hold_all(again);
      char b = 1;
      if (write(ready[1], &b, 1) != 1 || read(done[0], &b, 1) != 1) _exit(1);
      _exit(0);
    }
    char b = 0;
    if (read(ready[0], &b, 1) != 1) std::abort();
    const double parent_pss = pss_rss(getpid()).first, child_pss = pss_rss(child).first;
    if (write(done[1], &b, 1) != 1) std::abort();
    waitpid(child, nullptr, 0);
    for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
    // What the second process adds (its own bookkeeping included), against what the samples take in one.
    const double second = parent_pss + child_pss - pss_before_child;
    state.counters["one_process_MiB"] = one / 1024;
    state.counters["second_process_MiB"] = second / 1024;
    state.counters["second_vs_one"] = second / one;
    benchmark::DoNotOptimize(mine);
  }
}
BENCHMARK(BM_TwoProcessesShareCache)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
