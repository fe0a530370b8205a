// fuse.io.read_hdf5 on a PCam-like file: 1,024 images of 3 x 64 x 64 uint8, in gzip chunks of 16 images.
//   BM_Hdf5Items/C      every item in order through one op; C = 1: `file` (one shared file whose datasets stay
//                       open, so each chunk is inflated once), C = 0: `path_key` (the file opened per sample, as
//                       for a file per sample: each item inflates its chunk again). Counters: `items_per_s`, and
//                       for C = 1 `vs_reopen` = the C = 0 time per item measured in the same run / this one.
#include <hdf5.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <benchmark/benchmark.h>

#include <boost/json/parse.hpp>

#include "fuse/plugin/registry.h"

namespace {

namespace fs = std::filesystem;
constexpr int64_t kItems = 1024;

const fuse::Registry& registry() {
  static const fuse::Registry r(fuse::Registry::Options{{FUSE_BENCH_PLUGIN_DIR}, {}});
  return r;
}

const fs::path& file() {
  static const fs::path path = [] {
    const fs::path p = fs::temp_directory_path() / ("fuse_hdf5_bench_" + std::to_string(getpid()) + ".h5");
    std::vector<uint8_t> images(static_cast<size_t>(kItems) * 3 * 64 * 64);
    for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>((i * 2654435761u) >> 24 & 0x3f);  // compressible noise
    const hsize_t dims[4] = {static_cast<hsize_t>(kItems), 3, 64, 64}, chunk[4] = {16, 3, 64, 64};
    const hid_t f = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(4, dims, nullptr);
    const hid_t layout = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(layout, 4, chunk);
    H5Pset_deflate(layout, 4);
    const hid_t d = H5Dcreate2(f, "x", H5T_NATIVE_UINT8, space, H5P_DEFAULT, layout, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, images.data());
    H5Dclose(d);
    H5Pclose(layout);
    H5Sclose(space);
    H5Fclose(f);
    return p;
  }();
  static const bool removed_at_exit = std::atexit([] { fs::remove(file()); }) == 0;
  (void)removed_at_exit;
  return path;
}

// Seconds per item for reading every item once through one op.
double seconds_per_item(bool shared) {
  const std::string config = shared ? R"({"file": ")" + file().string() + R"(", "datasets": ["x"], "keys": ["x"], "index_key": "i"})"
                                    : R"({"path_key": "p", "datasets": ["x"], "keys": ["x"], "index_key": "i"})";
  fuse::Op read = registry().create_op("fuse.io.read_hdf5", boost::json::parse(config).as_object());
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < kItems; ++i) {
    fuse::NDict s;
    s.set("i", i);
    s.set("p", file().string());
    read.forward(s);
    benchmark::DoNotOptimize(s);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / static_cast<double>(kItems);
}

void BM_Hdf5Items(benchmark::State& state) {
  const bool shared = state.range(0) == 1;
  const double reopen = shared ? seconds_per_item(false) : 0;
  double total = 0;
  int64_t rounds = 0;
  for (auto _ : state) {
    total += seconds_per_item(shared);
    ++rounds;
  }
  const double per_item = total / static_cast<double>(rounds);
  state.counters["items_per_s"] = 1.0 / per_item;
  if (shared) state.counters["vs_reopen"] = reopen / per_item;
}
BENCHMARK(BM_Hdf5Items)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
