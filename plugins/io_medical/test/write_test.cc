#include <gtest/gtest.h>

#include "nifti_files.h"
#include "test_support.h"
#include "volume_sample.h"

namespace fuse::io_medical {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::run_op;
using fuse::testing::values;
using testing::doubles;
using testing::set_volume;

NDict read(const std::string& path, const std::string& key = "data.image") {
  NDict s;
  s.set("data.path", path);
  return run_op("fuse.io.read_medical", R"({"key": ")" + key + R"("})", std::move(s));
}

class WriteFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(WriteFormats, WhatIsWrittenReadsBackWithItsGeometry) {
  const auto dir = fresh_dir("write_" + GetParam().substr(1));
  NDict s;
  set_volume<int16_t>(s, "ct", {4, 3, 2}, {0.5, 0.75, 2.5}, {-3, 4.5, 10}, {0, 1, 0, -1, 0, 0, 0, 0, 1});
  s.set("data.sample_id", "case1");
  run_op("fuse.io.write_medical", R"({"key": "ct", "path": ")" + (dir / "out").string() + "/{data.sample_id}" + GetParam() + R"(", "geometry": "current"})", s);
  const NDict back = read((dir / "out" / ("case1" + GetParam())).string());
  EXPECT_EQ(values<int16_t>(back.get<Tensor>("data.image")), values<int16_t>(s.get<Tensor>("ct")));
  EXPECT_EQ(back.get<Tensor>("data.image").shape(), (std::vector<int64_t>{1, 2, 3, 4}));
  const std::vector<double> spacing = doubles(back, "data.image_meta.spacing"), origin = doubles(back, "data.image_meta.origin"),
                            direction = doubles(back, "data.image_meta.direction");
  const std::vector<double> want_spacing = {0.5, 0.75, 2.5}, want_origin = {-3, 4.5, 10}, want_direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(spacing[i], want_spacing[i], 1e-5);
    EXPECT_NEAR(origin[i], want_origin[i], 1e-5);
  }
  for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(direction[i], want_direction[i], 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Formats, WriteFormats, ::testing::Values(".nii.gz", ".nii", ".nrrd", ".mha"),
                         [](const auto& p) { return p.param.substr(1) == "nii.gz" ? std::string("nii_gz") : p.param.substr(1); });

TEST(WriteMedical, PredictionsGoBackToTheOriginalGeometry) {
  const auto dir = fresh_dir("write_back");
  testing::RawNifti f;  // RAS, spacing (2, 3, 4)
  f.datatype = DT_UINT8;
  f.bitpix = 8;
  std::vector<uint8_t> labels(60);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(i % 7);
  f.data = testing::bytes_of(labels);
  testing::write_raw_nifti(dir / "mask.nii", f);
  NDict s = read((dir / "mask.nii").string(), "data.mask");
  // What a pipeline does before the model: another orientation, a finer grid.
  s = run_op("fuse.medical.reorient", R"({"keys": ["data.mask"], "orientation": "LPI"})", s);
  s = run_op("fuse.medical.resample", R"({"labels": ["data.mask"], "spacing": [1, 1.5, 2]})", s);
  ASSERT_EQ(s.get<Tensor>("data.mask").shape(), (std::vector<int64_t>{1, 10, 8, 6}));
  s.set("model.mask", s.at("data.mask"));
  run_op("fuse.io.write_medical", R"({"key": "model.mask", "geometry_from": "data.mask", "label": true, "path": ")" + (dir / "pred.nii.gz").string() + "\"}", s);
  const NDict back = read((dir / "pred.nii.gz").string());
  EXPECT_EQ(values<uint8_t>(back.get<Tensor>("data.image")), labels);
  EXPECT_EQ(back.get<std::string>("data.image_meta.orientation"), "RAS");
  EXPECT_EQ(doubles(back, "data.image_meta.spacing"), (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(doubles(back, "data.image_meta.origin"), (std::vector<double>{-10, -20, 30}));
}

// A 10 x 2 x 2 image of 2 x 3 x 4 mm written to dir/ct.nii, read and resampled to 4 x 3 x 4 mm (5 x 2 x 2).
NDict coarse_image(const std::filesystem::path& dir) {
  testing::RawNifti f;
  f.nx = 10, f.ny = 2, f.nz = 2;
  f.datatype = DT_UINT8;
  f.bitpix = 8;
  f.data = testing::bytes_of(std::vector<uint8_t>(40, 0));
  testing::write_raw_nifti(dir / "ct.nii", f);
  return run_op("fuse.medical.resample", R"({"keys": ["data.image"], "spacing": [4, 3, 4]})", read((dir / "ct.nii").string()));
}

// A segmentation made on a coarser grid goes back as nnU-Net sends it: each class's scores interpolated onto
// the original grid, then the most likely class, so the boundary falls between the coarse voxels.
TEST(WriteMedical, ScoresGiveTheMostLikelyClassOnTheWrittenGrid) {
  const auto dir = fresh_dir("write_scores");
  NDict s = coarse_image(dir);
  ASSERT_EQ(s.get<Tensor>("data.image").shape(), (std::vector<int64_t>{1, 2, 2, 5}));
  // Two classes on the coarse grid, [1, 2, z, y, x]: class 1's score rises along x, 0, 0.25, ..., 1.
  std::vector<float> scores;
  for (int c = 0; c < 2; ++c)
    for (int zy = 0; zy < 4; ++zy)
      for (int x = 0; x < 5; ++x) scores.push_back(c == 1 ? static_cast<float>(x) / 4 : 1 - static_cast<float>(x) / 4);
  s.set("model.probs", Tensor::from_vector(scores, {1, 2, 2, 2, 5}));
  s.set("model.seg", Tensor::zeros({1, 2, 2, 5}, sdk::kInt64));
  const std::string write = R"({"key": "model.seg", "scores": "model.probs", "geometry_from": "data.image", "dtype": "uint8", "path": ")";
  run_op("fuse.io.write_medical", write + (dir / "seg.nii.gz").string() + "\"}", s);
  const NDict back = read((dir / "seg.nii.gz").string());
  // Original voxel i lies at coarse x i / 2: class 1's score i / 8 wins from i = 5 (4 is a tie: the first class).
  std::vector<uint8_t> want;
  for (int zy = 0; zy < 4; ++zy)
    for (uint8_t x : {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}) want.push_back(x);
  EXPECT_EQ(values<uint8_t>(back.get<Tensor>("data.image")), want);
  EXPECT_EQ(back.get<Tensor>("data.image").shape(), (std::vector<int64_t>{1, 2, 2, 10}));
  EXPECT_EQ(doubles(back, "data.image_meta.spacing"), (std::vector<double>{2, 3, 4}));
  // On the working grid itself: the arg-max of the scores, in the label map's dtype.
  run_op("fuse.io.write_medical", R"({"key": "model.seg", "scores": "model.probs", "geometry_from": "data.image", "geometry": "current", "path": ")" +
                                      (dir / "coarse.nii.gz").string() + "\"}",
         s);
  const NDict coarse = read((dir / "coarse.nii.gz").string());
  std::vector<int64_t> want_coarse;
  for (int zy = 0; zy < 4; ++zy)
    for (int64_t x : {0, 0, 0, 1, 1}) want_coarse.push_back(x);
  EXPECT_EQ(values<int64_t>(coarse.get<Tensor>("data.image")), want_coarse);
  s.set("model.probs", Tensor::zeros({1, 2, 2, 2, 4}, sdk::kFloat32));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_medical", write + (dir / "bad.nii.gz").string() + "\"}", s); }),
            "op 'fuse.io.write_medical' (plugin 'fuse.io_medical'): 'scores' key 'model.probs' has spatial size (4, 2, 2), not its geometry's (5, 2, 2)");
}

// Region probabilities (region-based training) go back the same way: each region's probability interpolated
// onto the original grid, then each region in turn gives its label where it is above 0.5.
TEST(WriteMedical, RegionScoresGiveLabelsOnTheWrittenGrid) {
  const auto dir = fresh_dir("write_region_scores");
  NDict s = coarse_image(dir);
  // Region 1's probability x / 4 and region 2's (inside it) 0.8 x / 4 along the coarse x: original voxel i lies at
  // coarse x i / 2, so region 1 is above 0.5 from i = 5 (i / 8) and region 2 from i = 6 (0.1 i).
  std::vector<float> scores;
  for (int r = 0; r < 2; ++r)
    for (int zy = 0; zy < 4; ++zy)
      for (int x = 0; x < 5; ++x) scores.push_back((r == 0 ? 1.0f : 0.8f) * static_cast<float>(x) / 4);
  s.set("model.probs", Tensor::from_vector(scores, {1, 2, 2, 2, 5}));
  s.set("model.seg", Tensor::zeros({1, 2, 2, 5}, sdk::kInt64));
  const std::string write = R"({"key": "model.seg", "scores": "model.probs", "region_labels": [1, 3], "geometry_from": "data.image", "dtype": "uint8", "path": ")";
  run_op("fuse.io.write_medical", write + (dir / "seg.nii.gz").string() + "\"}", s);
  std::vector<uint8_t> want;
  for (int zy = 0; zy < 4; ++zy)
    for (uint8_t x : {0, 0, 0, 0, 0, 1, 3, 3, 3, 3}) want.push_back(x);
  EXPECT_EQ(values<uint8_t>(read((dir / "seg.nii.gz").string()).get<Tensor>("data.image")), want);
  const std::string three = R"({"key": "model.seg", "scores": "model.probs", "region_labels": [1, 2, 3], "geometry_from": "data.image", "path": ")";
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_medical", three + (dir / "bad.nii.gz").string() + "\"}", s); }),
            "op 'fuse.io.write_medical' (plugin 'fuse.io_medical'): 'scores' key 'model.probs' has 2 regions but 'region_labels' gives 3 labels (one per "
            "region)");
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_medical", R"({"key": "model.seg", "region_labels": [1], "path": "x.nii.gz"})", s); }),
            "op 'fuse.io.write_medical' (plugin 'fuse.io_medical'): create failed: 'region_labels' turns the region probabilities under 'scores' into "
            "labels: set 'scores' too");
}

TEST(WriteMedical, BadRequestsAreNamed) {
  const auto dir = fresh_dir("write_bad");
  NDict s;
  set_volume<float>(s, "img", {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_medical", R"({"key": "img", "path": "out/{data.sample_id}.nii"})", s); }),
            "op 'fuse.io.write_medical' (plugin 'fuse.io_medical'): 'path' uses key 'data.sample_id', which the sample does not have as a "
            "string or int");
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_medical", R"({"key": "img", "path": ")" + (dir / "a.png").string() + "\"}", s); }),
            "op 'fuse.io.write_medical' (plugin 'fuse.io_medical'): cannot write '" + (dir / "a.png").string() +
                "': unknown format (use .nii.gz, .nii, .nrrd, .mha or .mhd)");
  s.set("img", Value(Tensor::zeros({1, 3, 2, 2}, sdk::kFloat32)));
  EXPECT_EQ(error_of([&] { run_op("fuse.io.write_medical", R"({"key": "img", "path": ")" + (dir / "a.nii").string() + "\"}", s); }),
            "op 'fuse.io.write_medical' (plugin 'fuse.io_medical'): cannot write '" + (dir / "a.nii").string() +
                "': the tensor's spatial size (2, 2, 3) differs from its geometry's (2, 2, 2)");
}

}  // namespace
}  // namespace fuse::io_medical
