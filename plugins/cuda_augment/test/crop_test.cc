// fuse.cuda.pad_or_crop and fuse.cuda.crop_foreground against their CPU twins: on a GPU the same seeds give the
// same crops, voxel for voxel, and each sample's "<key>_meta" moves as the CPU op moves it; the config and input
// checks run everywhere.
#include <gtest/gtest.h>

#include <random>

#include "fuse/data/seeds.h"
#include "fuse/loader/collate.h"
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

List numbers(const std::vector<double>& v) {
  List l;
  for (double x : v) l.emplace_back(x);
  return l;
}

// Sample n: random image and labels with a geometry of its own.
NDict sample_of(int n) {
  std::mt19937 gen(static_cast<unsigned>(n + 10));
  std::vector<float> img(kX * kY * kZ);
  std::vector<uint8_t> seg(img.size());
  for (size_t i = 0; i < img.size(); ++i) img[i] = std::uniform_real_distribution<float>(-1, 1)(gen), seg[i] = static_cast<uint8_t>(gen() % 4);
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(img, {1, kZ, kY, kX})));
  s.set("seg", Value(Tensor::from_vector<uint8_t>(seg, {1, kZ, kY, kX})));
  for (const char* key : {"img_meta", "seg_meta"}) {
    const std::string k = key;
    s.set(k + ".spacing", Value(numbers({0.5 + n, 1.0, 2.5})));
    s.set(k + ".origin", Value(numbers({-10.0 * n, 4.0, 7.5})));
    s.set(k + ".direction", Value(numbers({1, 0, 0, 0, 0, 1, 0, -1, 0})));
    s.set(k + ".size", Value(List{Value(int64_t{kX}), Value(int64_t{kY}), Value(int64_t{kZ})}));
    s.set(k + ".orientation", Value(std::string("LIP")));
  }
  return s;
}

std::vector<double> list_of(const NDict& d, const std::string& key) {
  std::vector<double> out;
  for (const Value& v : d.get<List>(key)) out.push_back(v.is<double>() ? v.as<double>() : static_cast<double>(v.as<int64_t>()));
  return out;
}

// Runs the GPU op on the batch of 3 samples and the CPU twin on each with the same seeds: the crops, voxel for
// voxel, and each sample's meta must agree.
void expect_twins(const std::string& cpu_id, const std::string& gpu_id, const std::string& config, const std::vector<int64_t>& shape) {
  std::vector<NDict> samples;
  std::vector<uint64_t> seeds;
  for (int n = 0; n < 3; ++n) samples.push_back(sample_of(n)), seeds.push_back(data::call_seed(5, 1, n, 2));
  NDict batch = loader::collate(samples);
  testing::run_gpu_batch_step(batch, {"img", "seg"}, gpu_id, config, seeds);
  ASSERT_EQ(batch.get<Tensor>("img").shape(), shape);
  const std::vector<float> img = values<float>(batch.get<Tensor>("img"));
  const std::vector<uint8_t> seg = values<uint8_t>(batch.get<Tensor>("seg"));
  const size_t voxels = static_cast<size_t>(shape[2] * shape[3] * shape[4]);
  for (size_t n = 0; n < samples.size(); ++n) {
    const NDict cpu = testing::run_op_training(cpu_id, config, samples[n], seeds[n]);
    EXPECT_EQ(values<float>(cpu.get<Tensor>("img")), std::vector<float>(img.begin() + n * voxels, img.begin() + (n + 1) * voxels)) << n;
    EXPECT_EQ(values<uint8_t>(cpu.get<Tensor>("seg")), std::vector<uint8_t>(seg.begin() + n * voxels, seg.begin() + (n + 1) * voxels)) << n;
    for (const char* field : {"origin", "size", "spacing"})
      EXPECT_EQ(list_of(batch, std::string("seg_meta.") + field + "." + std::to_string(n)), list_of(cpu, std::string("seg_meta.") + field)) << field << n;
  }
}

TEST(CudaPadOrCrop, EqualsTheCpuTwinAndMovesEachSamplesMeta) {
  FUSE_REQUIRE_GPU();
  // x and y cropped at random places, z padded with the fill value
  expect_twins("fuse.medical.pad_or_crop", "fuse.cuda.pad_or_crop", R"({"keys": ["img"], "labels": ["seg"], "size": [16, 12, 14], "mode": "random", "fill": -3})",
               {3, 1, 14, 12, 16});
  expect_twins("fuse.medical.pad_or_crop", "fuse.cuda.pad_or_crop", R"({"keys": ["img"], "labels": ["seg"], "size": [9, -1, 5]})", {3, 1, 5, kY, 9});
}

TEST(CudaCropForeground, EqualsTheCpuTwinAndMovesEachSamplesMeta) {
  FUSE_REQUIRE_GPU();
  // seg is 0 to 3: a quarter background; some samples centre on any voxel (foreground_p 0.6)
  expect_twins("fuse.medical.crop_foreground", "fuse.cuda.crop_foreground",
               R"({"keys": ["img"], "labels": ["seg"], "size": [10, 8, 16], "foreground_p": 0.6})", {3, 1, 16, 8, 10});
}

// MONAI's RandCropByLabelClasses on the device: each sample's class drawn by ratio (class 1 never: ratio 0),
// then one of its voxels, as the CPU op draws them; a label value that is no class is named as the CPU op names
// it (the first such element of the first sample that has one).
TEST(CudaCropForeground, ClassRatiosEqualTheCpuTwin) {
  FUSE_REQUIRE_GPU();
  expect_twins("fuse.medical.crop_foreground", "fuse.cuda.crop_foreground",
               R"({"keys": ["img"], "labels": ["seg"], "size": [10, 8, 16], "class_ratios": [1, 0, 2, 1]})", {3, 1, 16, 8, 10});
  const std::string config = R"({"keys": ["img"], "labels": ["seg"], "size": [10, 8, 16], "class_ratios": [1, 1, 1]})";  // seg has a 3
  const NDict first = sample_of(0);
  const std::string cpu = error_of([&] { testing::run_op_training("fuse.medical.crop_foreground", config, first, 1); });
  NDict batch = loader::collate({sample_of(0), sample_of(1)});
  built_plugins().create_op("fuse.cuda.to_device", json_object(R"({"keys": ["img", "seg"]})")).forward(batch);
  const std::vector<uint64_t> seeds{1, 2};
  CallContext context{true, 1, 0, -1};
  context.sample_seeds = &seeds;
  const std::string gpu = error_of([&] { built_plugins().create_op("fuse.cuda.crop_foreground", json_object(config)).forward(batch, context); });
  ASSERT_NE(cpu.find("): key 'seg' holds the value 3 at element "), std::string::npos) << cpu;
  EXPECT_EQ(gpu.substr(gpu.find("): ")), cpu.substr(cpu.find("): "))) << gpu;
}

TEST(CudaPadOrCrop, BadConfigAndHostTensorsAreErrorsNamingTheOp) {
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.cuda.pad_or_crop", json_object(R"({"keys": ["img"], "size": [16, 12]})")); }),
            "op 'fuse.cuda.pad_or_crop' (plugin 'fuse.cuda_augment'): create failed: 'size' needs 3 values (x, y, z), got 2");
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.cuda.pad_or_crop", json_object(R"({"keys": ["img"], "size": [16, 0, 4]})")); }),
            "op 'fuse.cuda.pad_or_crop' (plugin 'fuse.cuda_augment'): create failed: 'size' values must be positive (or -1 to keep an axis), got 0");
  NDict batch = loader::collate({sample_of(0), sample_of(1)});
  EXPECT_EQ(error_of([&] { testing::run_op("fuse.cuda.pad_or_crop", R"({"keys": ["img"], "size": [8, 8, 8]})", batch); }),
            "op 'fuse.cuda.pad_or_crop' (plugin 'fuse.cuda_augment'): key 'img': the tensor is in CPU memory; this op runs on CUDA tensors: put "
            "'fuse.cuda.to_device' before it in the data's batch pipeline, or use its CPU twin 'fuse.medical.pad_or_crop'");
}

TEST(CudaCropForeground, BadConfigAndHostTensorsAreErrorsNamingTheOp) {
  EXPECT_EQ(error_of([] { built_plugins().create_op("fuse.cuda.crop_foreground", json_object(R"({"keys": ["img"], "size": [4, 4, 4]})")); }),
            "op 'fuse.cuda.crop_foreground' (plugin 'fuse.cuda_augment'): create failed: set 'label_key' or list the mask under 'labels'");
  EXPECT_EQ(error_of([] {
              built_plugins().create_op("fuse.cuda.crop_foreground", json_object(R"({"labels": ["seg"], "size": [4, 4, 4], "class_ratios": [1, -2]})"));
            }),
            "op 'fuse.cuda.crop_foreground' (plugin 'fuse.cuda_augment'): create failed: 'class_ratios' must not be negative, got -2");
  EXPECT_EQ(error_of([] {
              built_plugins().create_op("fuse.cuda.crop_foreground", json_object(R"({"labels": ["seg"], "size": [4, 4, 4], "class_ratios": [0, 0]})"));
            }),
            "op 'fuse.cuda.crop_foreground' (plugin 'fuse.cuda_augment'): create failed: 'class_ratios' needs a ratio per class, background (0) first, "
            "and one of them above 0, e.g. [1, 1, 2]");
  NDict batch = loader::collate({sample_of(0), sample_of(1)});
  EXPECT_EQ(error_of([&] { testing::run_op("fuse.cuda.crop_foreground", R"({"labels": ["seg"], "size": [8, 8, 8]})", batch); }),
            "op 'fuse.cuda.crop_foreground' (plugin 'fuse.cuda_augment'): key 'seg': the tensor is in CPU memory; this op runs on CUDA tensors: put "
            "'fuse.cuda.to_device' before it in the data's batch pipeline, or use its CPU twin 'fuse.medical.crop_foreground'");
}

}  // namespace
}  // namespace fuse
