#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::run_op_training;
using testing::values;

NDict row(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 1.0f);
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(v, {1, 1, 1, n})));
  List sizes{Value(n), Value(int64_t{1}), Value(int64_t{1})};
  s.set("img_meta.size", Value(sizes));
  s.set("img_meta.spacing", Value(List{Value(2.0), Value(1.0), Value(1.0)}));
  s.set("img_meta.origin", Value(List{Value(10.0), Value(0.0), Value(0.0)}));
  s.set("img_meta.direction", Value(List{Value(1.0), Value(0.0), Value(0.0), Value(0.0), Value(1.0), Value(0.0), Value(0.0), Value(0.0), Value(1.0)}));
  return s;
}

TEST(PadOrCrop, CentredCropsAndPadsMoveTheOrigin) {
  const NDict cropped = run_op("fuse.medical.pad_or_crop", R"({"keys": ["img"], "size": [2, -1, -1]})", row(5));
  EXPECT_EQ(values<float>(cropped.get<Tensor>("img")), (std::vector<float>{2, 3}));
  EXPECT_DOUBLE_EQ(cropped.get<List>("img_meta.origin")[0].as<double>(), 12.0);  // one voxel of 2 mm in
  EXPECT_EQ(cropped.get<List>("img_meta.size")[0].as<int64_t>(), 2);
  const NDict padded = run_op("fuse.medical.pad_or_crop", R"({"keys": ["img"], "size": [6, 1, 1], "fill": -1})", row(3));
  EXPECT_EQ(values<float>(padded.get<Tensor>("img")), (std::vector<float>{-1, 1, 2, 3, -1, -1}));
  EXPECT_DOUBLE_EQ(padded.get<List>("img_meta.origin")[0].as<double>(), 8.0);
}

TEST(PadOrCrop, RandomPlacesDependOnTheSeed) {
  std::set<float> firsts;
  for (uint64_t seed = 0; seed < 40; ++seed)
    firsts.insert(values<float>(run_op_training("fuse.medical.pad_or_crop", R"({"keys": ["img"], "size": [2, 1, 1], "mode": "random"})", row(5), seed)
                                    .get<Tensor>("img"))[0]);
  EXPECT_EQ(firsts, (std::set<float>{1, 2, 3, 4}));
  EXPECT_EQ(error_of([] { run_op("fuse.medical.pad_or_crop", R"({"keys": ["img"], "size": [2, 2]})", NDict()); }),
            "op 'fuse.medical.pad_or_crop' (plugin 'fuse.ops_medical'): create failed: 'size' needs 3 values (x, y, z), got 2");
}

TEST(CropForeground, ThePatchHoldsTheForeground) {
  NDict s;
  std::vector<float> img(1000);
  std::iota(img.begin(), img.end(), 0.0f);
  std::vector<uint8_t> mask(1000, 0);
  mask[7 * 100 + 2 * 10 + 8] = 1;  // (x 8, y 2, z 7)
  s.set("img", Value(Tensor::from_vector<float>(img, {1, 10, 10, 10})));
  s.set("mask", Value(Tensor::from_vector<uint8_t>(mask, {1, 10, 10, 10})));
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const NDict out = run_op_training("fuse.medical.crop_foreground", R"({"keys": ["img"], "labels": ["mask"], "size": [4, 4, 4]})", s, seed);
    const std::vector<uint8_t> m = values<uint8_t>(out.get<Tensor>("mask"));
    EXPECT_EQ(std::accumulate(m.begin(), m.end(), 0), 1);
    EXPECT_EQ(out.get<Tensor>("img").shape(), (std::vector<int64_t>{1, 4, 4, 4}));
    // Centred on (8, 2, 7) and kept inside: x from 6, y from 0, z from 5.
    EXPECT_EQ(values<float>(out.get<Tensor>("img"))[0], 5 * 100 + 0 * 10 + 6);
  }
}

// 60 voxels along x: background, class 1 at x 20-49, class 2 at x 55 alone; the image holds x.
NDict classes_along_x(uint8_t lesion = 2) {
  std::vector<float> img(60);
  std::iota(img.begin(), img.end(), 0.0f);
  std::vector<uint8_t> seg(60, 0);
  for (size_t x = 20; x < 50; ++x) seg[x] = 1;
  seg[55] = lesion;
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(img, {1, 1, 1, 60})));
  s.set("seg", Value(Tensor::from_vector<uint8_t>(seg, {1, 1, 1, 60})));
  return s;
}

// The patch's first x for each of `n` seeds (patches of 4 voxels along x).
std::vector<float> starts(const std::string& ratios, const NDict& s, uint64_t n) {
  std::vector<float> out;
  for (uint64_t seed = 0; seed < n; ++seed)
    out.push_back(values<float>(run_op_training("fuse.medical.crop_foreground",
                                                R"({"keys": ["img"], "labels": ["seg"], "size": [4, 1, 1], "class_ratios": )" + ratios + "}", s, seed)
                                    .get<Tensor>("img"))[0]);
  return out;
}

TEST(CropForeground, ClassRatiosChooseTheClassOfTheCentre) {
  // Only class 2: every patch holds its one voxel (centre 55, start 53).
  EXPECT_EQ(starts("[0, 0, 1]", classes_along_x(), 30), std::vector<float>(30, 53.0f));
  // [1, 1, 2]: a quarter background, a quarter class 1, half class 2 (the centre is start + 2 inside the volume).
  const std::vector<float> mixed = starts("[1, 1, 2]", classes_along_x(), 400);
  int background = 0, organ = 0, lesion = 0;
  for (float start : mixed) {
    const int centre = static_cast<int>(start) + 2;
    if (start == 0 || start == 56 || centre < 20 || (centre >= 50 && centre != 55)) ++background;
    else if (centre == 55) ++lesion;
    else ++organ;
  }
  EXPECT_EQ(background + organ + lesion, 400);
  EXPECT_NEAR(lesion, 200, 40);  // 4 standard deviations of a binomial(400, 1/2)
  EXPECT_NEAR(organ, 100, 35);
  EXPECT_NEAR(background, 100, 35);
  // A class the sample lacks drops out: without class 2, [0, 0, 1] leaves no class, so any voxel.
  const std::vector<float> anywhere = starts("[0, 0, 1]", classes_along_x(0), 60);
  EXPECT_GT(std::set<float>(anywhere.begin(), anywhere.end()).size(), 20u);
  // Without class 2, [0, 1, 1] centres on class 1 alone.
  for (float start : starts("[0, 1, 1]", classes_along_x(0), 40)) EXPECT_TRUE(start >= 18 && start <= 47) << start;
}

// 2.5D training from volumes with existing ops (docs/data.md's recipe): a slab of 3 slices through a voxel of
// the drawn class becomes 3 channels of a 2D image, and the middle slice's labels its 2D label map.
TEST(CropForeground, ASlabThroughTheDrawnClassBecomesA2DSample) {
  const int64_t z = 7, y = 4, x = 5;
  std::vector<float> ct(static_cast<size_t>(z * y * x));
  std::iota(ct.begin(), ct.end(), 0.0f);
  std::vector<uint8_t> seg(ct.size(), 0);
  seg[static_cast<size_t>((4 * y + 2) * x + 3)] = 2;  // the lesion: one voxel in slice 4
  for (int64_t i = 0; i < y * x; ++i) seg[static_cast<size_t>(1 * y * x + i)] = 1;  // slice 1: organ
  NDict s;
  s.set("data.ct", Value(Tensor::from_vector<float>(ct, {1, z, y, x})));
  s.set("data.seg", Value(Tensor::from_vector<uint8_t>(seg, {1, z, y, x})));
  for (uint64_t seed = 0; seed < 5; ++seed) {
    NDict out = run_op_training("fuse.medical.crop_foreground",
                                R"({"keys": ["data.ct"], "labels": ["data.seg"], "size": [-1, -1, 3], "class_ratios": [0, 0, 1]})", s, seed);
    out = run_op("fuse.ops.squeeze", R"({"keys": ["data.ct"], "axis": 0})", std::move(out));
    out = run_op("fuse.ops.select", R"({"key": "data.seg", "axis": 1, "index": 1})", std::move(out));
    const Tensor& slab = out.get<Tensor>("data.ct");
    ASSERT_EQ(slab.shape(), (std::vector<int64_t>{3, y, x}));
    EXPECT_EQ(values<float>(slab)[0], static_cast<float>(3 * y * x));  // slices 3, 4, 5
    const Tensor& labels = out.get<Tensor>("data.seg");
    ASSERT_EQ(labels.shape(), (std::vector<int64_t>{1, y, x}));
    const std::vector<uint8_t> middle = values<uint8_t>(labels);
    EXPECT_EQ(middle[2 * x + 3], 2);
    EXPECT_EQ(std::accumulate(middle.begin(), middle.end(), 0), 2);  // slice 4 alone
  }
}

TEST(CropForeground, BadClassRatiosAndLabelValuesAreNamed) {
  const std::string prefix = "op 'fuse.medical.crop_foreground' (plugin 'fuse.ops_medical'): ";
  const auto crop = [](const std::string& ratios, const NDict& s) {
    run_op("fuse.medical.crop_foreground", R"({"keys": ["img"], "labels": ["seg"], "size": [4, 1, 1], "class_ratios": )" + ratios + "}", s);
  };
  EXPECT_EQ(error_of([&] { crop("[1, 2]", classes_along_x()); }),
            prefix + "key 'seg' holds the value 2 at element 55, not a class of 'class_ratios' (an integer 0 to 1)");
  NDict half = classes_along_x();
  half.set("seg", Value(Tensor::from_vector<float>(std::vector<float>(60, 0.5f), {1, 1, 1, 60})));
  EXPECT_EQ(error_of([&] { crop("[1, 2]", half); }),
            prefix + "key 'seg' holds the value 0.5 at element 0, not a class of 'class_ratios' (an integer 0 to 1)");
  EXPECT_EQ(error_of([&] { crop("[1, -1]", classes_along_x()); }), prefix + "create failed: 'class_ratios' must not be negative, got -1");
  const std::string needs = prefix + "create failed: 'class_ratios' needs a ratio per class, background (0) first, and one of them above 0, e.g. [1, 1, 2]";
  EXPECT_EQ(error_of([&] { crop("[1]", classes_along_x()); }), needs);
  EXPECT_EQ(error_of([&] { crop("[0, 0, 0]", classes_along_x()); }), needs);
}

// An image [2 channels, z 3, y 4, x 5] of 2 x 3 x 4 mm voxels, nonzero at (x 1, y 1, z 0) in channel 0 and at
// (x 3, y 2, z 1) in channel 1: the box x 1-3, y 1-2, z 0-1 stays, with the label map beside it.
TEST(CropNonzero, TheBoxOfTheNonzeroVoxelsInAnyChannelStays) {
  const auto volume = [](float first, float second) {
    std::vector<float> v(2 * 60, 0.0f);
    std::vector<uint8_t> labels(60);
    for (size_t i = 0; i < 60; ++i) labels[i] = static_cast<uint8_t>(i % 7);
    v[0 * 20 + 1 * 5 + 1] = first;
    v[60 + 1 * 20 + 2 * 5 + 3] = second;
    NDict s;
    s.set("img", Value(Tensor::from_vector<float>(v, {2, 3, 4, 5})));
    s.set("seg", Value(Tensor::from_vector<uint8_t>(labels, {1, 3, 4, 5})));
    s.set("img_meta.size", Value(List{Value(int64_t{5}), Value(int64_t{4}), Value(int64_t{3})}));
    s.set("img_meta.spacing", Value(List{Value(2.0), Value(3.0), Value(4.0)}));
    s.set("img_meta.origin", Value(List{Value(10.0), Value(20.0), Value(30.0)}));
    s.set("img_meta.direction", Value(List{Value(1.0), Value(0.0), Value(0.0), Value(0.0), Value(1.0), Value(0.0), Value(0.0), Value(0.0), Value(1.0)}));
    return s;
  };
  const NDict out = run_op("fuse.medical.crop_nonzero", R"({"keys": ["img"], "labels": ["seg"]})", volume(5, -2));
  EXPECT_EQ(out.get<Tensor>("img").shape(), (std::vector<int64_t>{2, 2, 2, 3}));
  const std::vector<float> img = values<float>(out.get<Tensor>("img"));
  EXPECT_EQ(img[0], 5.0f);                    // channel 0 (x 1, y 1, z 0): the box's first voxel
  EXPECT_EQ(img[12 + 1 * 6 + 1 * 3 + 2], -2.0f);  // channel 1 (x 3, y 2, z 1): its last
  std::vector<uint8_t> want;  // the label map's same box, dtype kept
  for (int z = 0; z < 2; ++z)
    for (int y = 1; y < 3; ++y)
      for (int x = 1; x < 4; ++x) want.push_back(static_cast<uint8_t>((z * 20 + y * 5 + x) % 7));
  EXPECT_EQ(values<uint8_t>(out.get<Tensor>("seg")), want);
  EXPECT_EQ(out.get<List>("img_meta.size")[2].as<int64_t>(), 2);
  EXPECT_DOUBLE_EQ(out.get<List>("img_meta.origin")[0].as<double>(), 12.0);  // one voxel of 2 mm in
  EXPECT_DOUBLE_EQ(out.get<List>("img_meta.origin")[1].as<double>(), 23.0);
  EXPECT_DOUBLE_EQ(out.get<List>("img_meta.origin")[2].as<double>(), 30.0);
  // A margin of 1 voxel reaches every edge but x's last: x 0-4 is the whole axis, y 0-3, z 0-2.
  EXPECT_EQ(run_op("fuse.medical.crop_nonzero", R"({"keys": ["img"], "labels": ["seg"], "margin": 1})", volume(5, -2)).get<Tensor>("img").shape(),
            (std::vector<int64_t>{2, 3, 4, 5}));
  // All zero: nothing to crop to, the volume stays.
  EXPECT_EQ(run_op("fuse.medical.crop_nonzero", R"({"keys": ["img"]})", volume(0, 0)).get<Tensor>("img").shape(), (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(error_of([] { run_op("fuse.medical.crop_nonzero", R"({"keys": [], "labels": ["seg"]})", NDict()); }),
            "op 'fuse.medical.crop_nonzero' (plugin 'fuse.ops_medical'): create failed: 'keys' names the image whose nonzero voxels the crop keeps "
            "(labels follow it)");
}

}  // namespace
}  // namespace fuse
