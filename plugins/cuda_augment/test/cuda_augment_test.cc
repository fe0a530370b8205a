// cuda_augment against its CPU twins (ops_medical): the same seeds give the same draws and the same volumes. The
// comparisons need a GPU and skip without one; the input checks (device, dtype, no GPU) run everywhere.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <tuple>

#include "fuse/data/dataset.h"
#include "fuse/data/seeds.h"
#include "fuse/loader/collate.h"
#include "fuse/loader/loader.h"
#include "gpu_batch.h"
#include "require_gpu.h"
#include "test_support.h"

namespace fuse {
namespace {

using testing::built_plugins;
using testing::error_of;
using testing::json_object;
using testing::values;

constexpr int64_t kX = 23, kY = 19, kZ = 11;

// Sample n: a smooth float image plus noise, and an int64 label map of its thresholds.
NDict sample_of(int n) {
  std::mt19937 gen(static_cast<unsigned>(n + 1));
  std::normal_distribution<float> noise(0.f, 0.1f);
  std::vector<float> img(kX * kY * kZ);
  std::vector<int64_t> seg(img.size());
  for (int64_t z = 0; z < kZ; ++z)
    for (int64_t y = 0; y < kY; ++y)
      for (int64_t x = 0; x < kX; ++x) {
        const size_t i = static_cast<size_t>((z * kY + y) * kX + x);
        img[i] = std::sin(0.3f * static_cast<float>(x + n)) + std::cos(0.2f * static_cast<float>(y)) + 0.1f * static_cast<float>(z) + noise(gen);
        seg[i] = img[i] > 1.0f ? 2 : img[i] > 0.0f ? 1 : 0;
      }
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(img, {1, kZ, kY, kX})));
  s.set("seg", Value(Tensor::from_vector<int64_t>(seg, {1, kZ, kY, kX})));
  return s;
}

// The samples stacked into a batch [n, 1, z, y, x].
NDict batch_of(const std::vector<NDict>& samples) {
  NDict b;
  for (const char* key : {"img", "seg"}) {
    const Tensor& first = samples[0].get<Tensor>(key);
    Tensor t = Tensor::empty({static_cast<int64_t>(samples.size()), 1, kZ, kY, kX}, first.dtype());
    const size_t bytes = first.nbytes();
    for (size_t n = 0; n < samples.size(); ++n)
      std::memcpy(static_cast<char*>(t.mutable_raw_data()) + n * bytes, samples[n].get<Tensor>(key).raw_data(), bytes);
    b.set(key, Value(t));
  }
  return b;
}

// Runs the CPU twin on each sample and the GPU op on their batch with the same seeds; returns the largest image
// difference and the number of label voxels that differ.
std::pair<double, int64_t> compare_with_twin(const std::string& cpu_id, const std::string& gpu_id, const std::string& config, bool labels) {
  std::vector<NDict> samples;
  std::vector<uint64_t> seeds;
  for (int n = 0; n < 4; ++n) samples.push_back(sample_of(n)), seeds.push_back(data::call_seed(7, 2, n, 3));
  NDict batch = batch_of(samples);
  testing::run_gpu_batch_step(batch, labels ? std::vector<std::string>{"img", "seg"} : std::vector<std::string>{"img"}, gpu_id, config, seeds);
  double worst = 0;
  int64_t label_diffs = 0;
  const std::vector<float> gpu_img = values<float>(batch.get<Tensor>("img"));
  const std::vector<int64_t> gpu_seg = labels ? values<int64_t>(batch.get<Tensor>("seg")) : std::vector<int64_t>{};
  const size_t voxels = static_cast<size_t>(kX * kY * kZ);
  for (size_t n = 0; n < samples.size(); ++n) {
    const NDict cpu = testing::run_op_training(cpu_id, config, samples[n], seeds[n]);
    const std::vector<float> img = values<float>(cpu.get<Tensor>("img"));
    for (size_t i = 0; i < voxels; ++i) worst = std::max(worst, static_cast<double>(std::abs(img[i] - gpu_img[n * voxels + i])));
    if (!labels) continue;
    const std::vector<int64_t> seg = values<int64_t>(cpu.get<Tensor>("seg"));
    for (size_t i = 0; i < voxels; ++i) label_diffs += seg[i] != gpu_seg[n * voxels + i];
  }
  return {worst, label_diffs};
}

TEST(CudaAugment, AffineEqualsTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  const auto [worst, labels] = compare_with_twin("fuse.medical.random_affine", "fuse.cuda.random_affine",
                                                 R"({"keys": ["img"], "labels": ["seg"], "rotation": [-20, 20], "scale": [0.8, 1.2], "shear": [-0.1, 0.1], "translation": [-3, 3], "p": 0.8})",
                                                 true);
  EXPECT_LE(worst, 1e-4);
  EXPECT_EQ(labels, 0);
}

TEST(CudaAugment, AffineWithElasticEqualsTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  const auto [worst, labels] = compare_with_twin("fuse.medical.random_affine", "fuse.cuda.random_affine",
                                                 R"({"keys": ["img"], "labels": ["seg"], "rotation": [-10, 10], "elastic_max_displacement": 4, "elastic_control_points": 5, "elastic_locked_borders": 1})",
                                                 true);
  EXPECT_LE(worst, 1e-4);
  EXPECT_EQ(labels, 0);
}

std::vector<double> as_doubles(const Tensor& t) {
  auto all = [](const auto& v) { return std::vector<double>(v.begin(), v.end()); };
  if (t.dtype().code == kDLFloat) return all(values<float>(t));
  if (t.dtype().bits == 8) return all(values<uint8_t>(t));
  if (t.dtype().bits == 32) return all(values<int32_t>(t));
  return all(values<int64_t>(t));
}

// One pass resamples every key of the op (up to 8 per pass): two images, one of two channels, and label maps of
// every type, 11 keys in all, each as the CPU twin makes it.
TEST(CudaAugment, AffineOfManyKeysOfEveryTypeEqualsTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  const std::vector<std::string> labels = {"seg", "u8", "i32", "f32", "seg2", "u8b", "i32b", "f32b", "seg3"};
  std::string config = R"({"keys": ["img", "img2"], "labels": [)";
  for (size_t i = 0; i < labels.size(); ++i) config += (i ? ", \"" : "\"") + labels[i] + "\"";
  config += R"(], "rotation": [-25, 25], "scale": [0.85, 1.15], "elastic_max_displacement": 3})";
  auto with_keys = [&](const NDict& s) {
    NDict out = s;
    const Tensor& img = s.get<Tensor>("img");
    const std::vector<float> v = values<float>(img);
    std::vector<float> two(v);
    for (float x : v) two.push_back(2 * x - 1);
    out.set("img2", Value(Tensor::from_vector<float>(two, {2, kZ, kY, kX})));
    const std::vector<int64_t> seg = values<int64_t>(s.get<Tensor>("seg"));
    for (size_t i = 1; i < labels.size(); ++i) {
      const std::vector<int64_t> shape{1, kZ, kY, kX};
      std::vector<int64_t> shifted(seg.size());
      for (size_t k = 0; k < seg.size(); ++k) shifted[k] = (seg[k] + static_cast<int64_t>(i)) % 5;
      const std::string& key = labels[i];
      if (key.rfind("u8", 0) == 0) out.set(key, Value(Tensor::from_vector<uint8_t>(std::vector<uint8_t>(shifted.begin(), shifted.end()), shape)));
      else if (key.rfind("i32", 0) == 0) out.set(key, Value(Tensor::from_vector<int32_t>(std::vector<int32_t>(shifted.begin(), shifted.end()), shape)));
      else if (key.rfind("f32", 0) == 0) out.set(key, Value(Tensor::from_vector<float>(std::vector<float>(shifted.begin(), shifted.end()), shape)));
      else out.set(key, Value(Tensor::from_vector<int64_t>(shifted, shape)));
    }
    return out;
  };
  std::vector<NDict> samples;
  std::vector<uint64_t> seeds;
  for (int n = 0; n < 3; ++n) samples.push_back(with_keys(sample_of(n))), seeds.push_back(data::call_seed(9, 1, n, 4));
  NDict batch = loader::collate(samples);
  std::vector<std::string> all = {"img", "img2"};
  all.insert(all.end(), labels.begin(), labels.end());
  testing::run_gpu_batch_step(batch, all, "fuse.cuda.random_affine", config, seeds);
  for (size_t n = 0; n < samples.size(); ++n) {
    const NDict cpu = testing::run_op_training("fuse.medical.random_affine", config, samples[n], seeds[n]);
    for (const char* key : {"img", "img2"}) {
      const std::vector<float> want = values<float>(cpu.get<Tensor>(key)), got = values<float>(batch.get<Tensor>(key));
      const size_t per = want.size();
      double worst = 0;
      for (size_t i = 0; i < per; ++i) worst = std::max(worst, static_cast<double>(std::abs(want[i] - got[n * per + i])));
      EXPECT_LE(worst, 1e-4) << key << " of sample " << n;
    }
    for (const std::string& key : labels) {
      // Compared as doubles: every type's values are small integers.
      const Tensor& want = cpu.get<Tensor>(key);
      const Tensor& got = batch.get<Tensor>(key);
      ASSERT_EQ(got.dtype().code, want.dtype().code) << key;
      ASSERT_EQ(got.dtype().bits, want.dtype().bits) << key;
      const std::vector<double> w = as_doubles(want), g = as_doubles(got);
      const size_t per = w.size();
      EXPECT_EQ(w, std::vector<double>(g.begin() + static_cast<std::ptrdiff_t>(n * per), g.begin() + static_cast<std::ptrdiff_t>((n + 1) * per))) << key << " of sample " << n;
    }
  }
}

// 2D: RGB photographs [3, y, x] and their label maps [1, y, x] ("dims": 2), affine with elastic and flips, as the
// CPU twins make them.
TEST(CudaAugment, TwoDimensionalImagesEqualTheCpuTwins) {
  FUSE_REQUIRE_GPU();
  auto photo = [](int n) {
    const NDict volume = sample_of(n);  // its first slice, three times brighter per channel
    const std::vector<float> v = values<float>(volume.get<Tensor>("img"));
    const std::vector<int64_t> l = values<int64_t>(volume.get<Tensor>("seg"));
    std::vector<float> rgb;
    for (int c = 0; c < 3; ++c)
      for (int64_t i = 0; i < kX * kY; ++i) rgb.push_back(v[static_cast<size_t>(i)] * static_cast<float>(c + 1));
    NDict s;
    s.set("img", Value(Tensor::from_vector<float>(rgb, {3, kY, kX})));
    s.set("seg", Value(Tensor::from_vector<int64_t>(std::vector<int64_t>(l.begin(), l.begin() + kX * kY), {1, kY, kX})));
    return s;
  };
  for (const auto& [cpu_id, gpu_id, config] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"fuse.medical.random_affine", "fuse.cuda.random_affine",
            R"({"keys": ["img"], "labels": ["seg"], "dims": 2, "rotation": [-30, 30], "scale": [0.8, 1.2], "elastic_max_displacement": 2})"},
           {"fuse.medical.random_flip", "fuse.cuda.random_flip", R"({"keys": ["img"], "labels": ["seg"], "dims": 2, "axes": [0, 1]})"}}) {
    std::vector<NDict> samples;
    std::vector<uint64_t> seeds;
    for (int n = 0; n < 5; ++n) samples.push_back(photo(n)), seeds.push_back(data::call_seed(4, 3, n, 2));
    NDict batch = loader::collate(samples);
    testing::run_gpu_batch_step(batch, {"img", "seg"}, gpu_id, config, seeds);
    const std::vector<float> img = values<float>(batch.get<Tensor>("img"));
    const std::vector<int64_t> seg = values<int64_t>(batch.get<Tensor>("seg"));
    for (size_t n = 0; n < samples.size(); ++n) {
      const NDict cpu = testing::run_op_training(cpu_id, config, samples[n], seeds[n]);
      const std::vector<float> want = values<float>(cpu.get<Tensor>("img"));
      double worst = 0;
      for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, static_cast<double>(std::abs(want[i] - img[n * want.size() + i])));
      EXPECT_LE(worst, 1e-4) << gpu_id << " sample " << n;
      const std::vector<int64_t> labels = values<int64_t>(cpu.get<Tensor>("seg"));
      EXPECT_EQ(labels, std::vector<int64_t>(seg.begin() + static_cast<std::ptrdiff_t>(n * labels.size()), seg.begin() + static_cast<std::ptrdiff_t>((n + 1) * labels.size())))
          << gpu_id << " sample " << n;
    }
  }
}

// Through the loader: its worker threads run the batch pipeline [to_device, random_affine, to_host] on the GPU at
// the same time, and each sample comes out as the CPU op makes it with the seed of the affine's place (batch
// step 1 after no dynamic step: to_device takes place 0).
TEST(CudaAugment, LoaderWorkersRunTheGpuPipelineAsTheCpuOpRunsEachSample) {
  FUSE_REQUIRE_GPU();
  const std::string config = R"({"keys": ["img"], "labels": ["seg"], "rotation": [-20, 20], "scale": [0.9, 1.1], "elastic_max_displacement": 2})";
  data::DatasetSpec spec;
  for (int n = 0; n < 12; ++n) spec.samples.push_back(data::Sample{"s" + std::to_string(n), "sample_of(" + std::to_string(n) + ")", sample_of(n)});
  const std::string keys = R"({"keys": ["img", "seg"]})";
  spec.batch_steps = {data::Step{"fuse.cuda.to_device", json_object(keys), {}, "", {}}, data::Step{"fuse.cuda.random_affine", json_object(config), {}, "", {}},
                      data::Step{"fuse.cuda.to_host", json_object(keys), {}, "", {}}};
  spec.seed = 11;
  data::Dataset d(built_plugins(), std::move(spec));
  const loader::SequentialSampler sampler(12, 4, true, false, 5);
  for (size_t workers : {1, 3}) {
    loader::Loader batches(d, sampler, loader::LoaderOptions{workers, 3, true, {}});
    batches.start(2);
    NDict batch;
    int64_t seen = 0;
    while (batches.next(batch)) {
      const std::vector<float> img = values<float>(batch.get<Tensor>("img"));
      const std::vector<int64_t> seg = values<int64_t>(batch.get<Tensor>("seg"));
      const size_t voxels = static_cast<size_t>(kX * kY * kZ);
      size_t k = 0;
      for (const Value& id : batch.get<List>("data.sample_id")) {
        const int n = std::stoi(id.as<std::string>().substr(1));
        const NDict cpu = testing::run_op_training("fuse.medical.random_affine", config, sample_of(n), data::call_seed(11, 2, n, 1));
        const std::vector<float> want = values<float>(cpu.get<Tensor>("img"));
        double worst = 0;
        for (size_t i = 0; i < voxels; ++i) worst = std::max(worst, static_cast<double>(std::abs(want[i] - img[k * voxels + i])));
        EXPECT_LE(worst, 1e-4) << "sample " << n << " with " << workers << " workers";
        EXPECT_EQ(values<int64_t>(cpu.get<Tensor>("seg")), std::vector<int64_t>(seg.begin() + static_cast<std::ptrdiff_t>(k * voxels), seg.begin() + static_cast<std::ptrdiff_t>((k + 1) * voxels)))
            << "sample " << n << " with " << workers << " workers";
        ++k, ++seen;
      }
    }
    EXPECT_EQ(seen, 12) << workers << " workers";
  }
}

TEST(CudaAugment, ElasticAndFlipEqualTheCpuTwins) {
  FUSE_REQUIRE_GPU();
  const auto [e_worst, e_labels] = compare_with_twin("fuse.medical.random_elastic", "fuse.cuda.random_elastic",
                                                     R"({"keys": ["img"], "labels": ["seg"], "max_displacement": 5, "control_points": 6, "locked_borders": 1})", true);
  EXPECT_LE(e_worst, 1e-4);
  EXPECT_EQ(e_labels, 0);
  const auto [f_worst, f_labels] =
      compare_with_twin("fuse.medical.random_flip", "fuse.cuda.random_flip", R"({"keys": ["img"], "labels": ["seg"], "axes": [0, 1, 2]})", true);
  EXPECT_EQ(f_worst, 0.0);
  EXPECT_EQ(f_labels, 0);
}

TEST(CudaAugment, IntensityOpsEqualTheCpuTwins) {
  FUSE_REQUIRE_GPU();
  EXPECT_LE(compare_with_twin("fuse.medical.random_gamma", "fuse.cuda.random_gamma", R"({"keys": ["img"], "log_gamma": [-0.4, 0.4]})", false).first, 1e-4);
  EXPECT_LE(compare_with_twin("fuse.medical.random_noise", "fuse.cuda.random_noise", R"({"keys": ["img"], "std": [0.1, 0.3], "p": 0.7})", false).first, 1e-4);
  EXPECT_LE(compare_with_twin("fuse.medical.random_bias_field", "fuse.cuda.random_bias_field", R"({"keys": ["img"], "order": 3})", false).first, 1e-4);
  EXPECT_LE(compare_with_twin("fuse.medical.znorm", "fuse.cuda.znorm", R"({"keys": ["img"]})", false).first, 1e-4);
}

// A CT + PET image: only the listed channel is z-normalised, the other kept to the bit, as the CPU twin does.
TEST(CudaAugment, ZnormOfListedChannelsEqualsTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  const std::vector<NDict> samples{sample_of(0), sample_of(1), sample_of(2)};
  const int64_t voxels = kX * kY * kZ;
  std::vector<float> two(static_cast<size_t>(2 * voxels * 3));  // [3, 2, z, y, x]: the channels are samples n and n + 1 scaled
  for (size_t n = 0; n < 3; ++n)
    for (size_t c = 0; c < 2; ++c) {
      const std::vector<float> img = values<float>(samples[(n + c) % 3].get<Tensor>("img"));
      for (size_t i = 0; i < static_cast<size_t>(voxels); ++i) two[(n * 2 + c) * static_cast<size_t>(voxels) + i] = img[i] * (c ? 40.f : 1.f) + (c ? 3.f : 0.f);
    }
  for (const std::string config : {R"({"keys": ["img"], "channels": [1]})", R"({"keys": ["img"], "channels": [0], "nonzero": true})"}) {
    NDict batch;
    batch.set("img", Value(Tensor::from_vector<float>(two, {3, 2, kZ, kY, kX})));
    built_plugins().create_op("fuse.cuda.to_device", json_object(R"({"keys": ["img"]})")).forward(batch);
    built_plugins().create_op("fuse.cuda.znorm", json_object(config)).forward(batch);
    built_plugins().create_op("fuse.cuda.to_host", json_object(R"({"keys": ["img"]})")).forward(batch);
    const std::vector<float> gpu = values<float>(batch.get<Tensor>("img"));
    for (size_t n = 0; n < 3; ++n) {
      NDict sample;
      sample.set("img", Value(Tensor::from_vector<float>(std::vector<float>(two.begin() + static_cast<std::ptrdiff_t>(n * 2 * voxels),
                                                                                two.begin() + static_cast<std::ptrdiff_t>((n + 1) * 2 * voxels)),
                                                          {2, kZ, kY, kX})));
      const std::vector<float> cpu = values<float>(testing::run_op("fuse.medical.znorm", config, sample).get<Tensor>("img"));
      double worst = 0;
      int64_t kept_differ = 0;  // voxels of the channel not listed that changed
      const size_t untouched = config.find("[1]") != std::string::npos ? 0 : 1;
      for (size_t i = 0; i < cpu.size(); ++i) {
        const float g = gpu[n * 2 * static_cast<size_t>(voxels) + i];
        worst = std::max(worst, static_cast<double>(std::abs(cpu[i] - g)));
        if (i / static_cast<size_t>(voxels) == untouched) kept_differ += g != two[n * 2 * static_cast<size_t>(voxels) + i];
      }
      EXPECT_LE(worst, 1e-4) << config << " sample " << n;
      EXPECT_EQ(kept_differ, 0) << config << " sample " << n;
    }
  }
}

// The 'channels' list is checked as the CPU twin checks it, before any device work.
TEST(CudaAugment, ZnormRefusesAChannelListedTwice) {
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.cuda.znorm", json_object(R"({"keys": ["img"], "channels": [0, 0]})")); }),
            "op 'fuse.cuda.znorm' (plugin 'fuse.cuda_augment'): create failed: 'channels' lists the channels to change, each once, counting from 0 "
            "(e.g. [0]); got 0 twice");
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.medical.znorm", json_object(R"({"keys": ["img"], "channels": [0, 0]})")); }),
            "op 'fuse.medical.znorm' (plugin 'fuse.ops_medical'): create failed: 'channels' lists the channels to change, each once, counting from 0 "
            "(e.g. [0]); got 0 twice");
}

TEST(CudaAugment, OutOfMemoryIsAnErrorNamingTheOp) {
  FUSE_REQUIRE_GPU();
  size_t free_bytes = 0, total = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total), cudaSuccess);
  void* hog = nullptr;  // leave less than the batch needs
  for (size_t take = free_bytes; take > (64u << 20) && hog == nullptr; take -= (16u << 20))
    if (cudaMalloc(&hog, take) != cudaSuccess) hog = nullptr, cudaGetLastError();
  NDict batch;
  batch.set("img", Value(Tensor::zeros({64, 1, 128, 128, 128}, sdk::kFloat32)));  // 512 MB
  const std::string error = error_of([&] { built_plugins().create_op("fuse.cuda.to_device", json_object(R"({"keys": ["img"]})")).forward(batch); });
  cudaFree(hog);
  EXPECT_EQ(error.rfind("op 'fuse.cuda.to_device' (plugin 'fuse.cuda_augment'): allocating a 536870912-byte tensor on CUDA device 0 failed: the GPU is out of memory", 0), 0u)
      << error;
}

TEST(CudaAugment, AHostTensorIsAnErrorNamingTheKeyAndTheTwin) {
  NDict batch = batch_of({sample_of(0)});
  EXPECT_EQ(error_of([&] { testing::run_op_training("fuse.cuda.random_affine", R"({"keys": ["img"], "labels": ["seg"]})", batch, 1); }),
            "op 'fuse.cuda.random_affine' (plugin 'fuse.cuda_augment'): key 'img': the tensor is in CPU memory; this op runs on CUDA tensors: put "
            "'fuse.cuda.to_device' before it in the data's batch pipeline, or use its CPU twin 'fuse.medical.random_affine'");
  EXPECT_EQ(error_of([&] { testing::run_op_training("fuse.cuda.random_noise", R"({"keys": ["img"]})", batch, 1); }),
            "op 'fuse.cuda.random_noise' (plugin 'fuse.cuda_augment'): key 'img': the tensor is in CPU memory; this op runs on CUDA tensors: put "
            "'fuse.cuda.to_device' before it in the data's batch pipeline, or use its CPU twin 'fuse.medical.random_noise'");
}

TEST(CudaAugment, AnUnsupportedDtypeIsAnErrorNamingTheKey) {
  NDict batch;
  batch.set("img", Value(Tensor::zeros({2, 1, 4, 4, 4}, sdk::kInt16)));
  batch.set("seg", Value(Tensor::zeros({2, 1, 4, 4, 4}, sdk::kFloat64)));
  EXPECT_EQ(error_of([&] { testing::run_op_training("fuse.cuda.random_gamma", R"({"keys": ["img"]})", batch, 1); }),
            "op 'fuse.cuda.random_gamma' (plugin 'fuse.cuda_augment'): key 'img': dtype int16 is not supported by the CUDA kernels (images: float32)");
  EXPECT_EQ(error_of([&] { testing::run_op_training("fuse.cuda.random_flip", R"({"labels": ["seg"]})", batch, 1); }),
            "op 'fuse.cuda.random_flip' (plugin 'fuse.cuda_augment'): key 'seg': dtype float64 is not supported by the CUDA kernels (labels: uint8, "
            "int32, int64 or float32)");
}

TEST(CudaAugment, WithoutAGpuTheTransferSaysWhy) {
  NDict batch = batch_of({sample_of(0)});
  const std::string why = cuda::no_gpu();
  const std::string error = error_of([&] { testing::run_op("fuse.cuda.to_device", R"({"keys": ["img"], "device": 7})", batch); });
  if (why.empty()) {
    int n = 0;
    cudaGetDeviceCount(&n);
    EXPECT_EQ(error, "op 'fuse.cuda.to_device' (plugin 'fuse.cuda_augment'): CUDA device 7 does not exist (this machine has " + std::to_string(n) + ")");
  } else {
    EXPECT_EQ(error, "op 'fuse.cuda.to_device' (plugin 'fuse.cuda_augment'): no usable CUDA device (" + why + ")");
  }
}

}  // namespace
}  // namespace fuse
