#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.h"

namespace fuse {
namespace {

using testing::error_of;
using testing::run_op;
using testing::run_op_training;
using testing::sample;
using testing::values;

NDict image(int64_t h, int64_t w) {
  std::vector<float> v(static_cast<size_t>(h * w));
  std::iota(v.begin(), v.end(), 0.0f);
  std::vector<int64_t> l(v.begin(), v.end());
  NDict s;
  s.set("img", Value(Tensor::from_vector<float>(v, {1, h, w})));
  s.set("seg", Value(Tensor::from_vector<int64_t>(l, {1, h, w})));
  return s;
}

TEST(Resize, ImagesInterpolateLabelsStayLabels) {
  const NDict out = run_op("fuse.image2d.resize", R"({"keys": ["img"], "labels": ["seg"], "size": [4, 2]})", image(2, 2));
  EXPECT_EQ(out.get<Tensor>("img").shape(), (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3}));  // int64 kept
  const std::vector<float> v = values<float>(out.get<Tensor>("img"));
  EXPECT_FLOAT_EQ(v[0], 0.0f);
  EXPECT_FLOAT_EQ(v[1], 0.25f);  // half-pixel centres, as OpenCV
  EXPECT_EQ(error_of([] { run_op("fuse.image2d.resize", R"({"keys": ["img"], "size": [4]})", NDict()); }),
            "op 'fuse.image2d.resize' (plugin 'fuse.ops_image2d'): create failed: 'size' must be [width, height], both positive");
}

TEST(Crop, CentredOrPadded) {
  EXPECT_EQ(values<float>(run_op("fuse.image2d.crop", R"({"keys": ["img"], "size": [2, 1]})", image(3, 4)).get<Tensor>("img")),
            (std::vector<float>{5, 6}));
  EXPECT_EQ(values<float>(run_op("fuse.image2d.crop", R"({"keys": ["img"], "size": [3, 1], "fill": -1})", image(1, 1)).get<Tensor>("img")),
            (std::vector<float>{-1, 0, -1}));
}

TEST(RandomAffine, ImageAndLabelMoveTogether) {
  const char* config = R"({"keys": ["img"], "labels": ["seg"], "rotation": [90, 90], "scale": [1, 1]})";
  const NDict out = run_op_training("fuse.image2d.random_affine", config, image(3, 3), 1);
  const std::vector<int64_t> seg = values<int64_t>(out.get<Tensor>("seg"));
  const std::vector<float> img = values<float>(out.get<Tensor>("img"));
  EXPECT_EQ(seg, (std::vector<int64_t>{2, 5, 8, 1, 4, 7, 0, 3, 6}));
  for (size_t i = 0; i < img.size(); ++i) EXPECT_NEAR(img[i], static_cast<float>(seg[i]), 1e-3);
  EXPECT_EQ(values<float>(run_op("fuse.image2d.random_affine", config, image(3, 3)).get<Tensor>("img")), values<float>(image(3, 3).get<Tensor>("img")));
}

TEST(ColorJitter, FactorsStayInTheirRangesAndBytesStayBytes) {
  const NDict in = sample(R"({"img": {"$tensor": {"dtype": "uint8", "data": [[[100, 200]], [[50, 0]], [[10, 255]]]}}})");
  const NDict out = run_op_training("fuse.image2d.color_jitter", R"({"keys": ["img"], "brightness": 0.5, "contrast": 0, "saturation": 0})", in, 3);
  const std::vector<uint8_t> v = values<uint8_t>(out.get<Tensor>("img"));
  const double f = v[0] / 100.0;
  EXPECT_GE(f, 0.5);
  EXPECT_LE(f, 1.5);
  EXPECT_NEAR(v[2], std::min(255.0, 50 * f), 1.0);  // one factor for every pixel
  const NDict grey = run_op_training("fuse.image2d.color_jitter", R"({"keys": ["img"], "brightness": 0, "contrast": 0, "saturation": 1})",
                                     sample(R"({"img": [[[0.5]], [[0.5]], [[0.5]]]})"), 4);
  EXPECT_EQ(values<float>(grey.get<Tensor>("img")), (std::vector<float>{0.5f, 0.5f, 0.5f}));  // grey has no saturation to change
}

TEST(ResizeAndPad, FitsKeepingTheAspectRatioThenPads) {
  const char* config = R"({"keys": ["img"], "labels": ["seg"], "size": [4, 4], "fill": -1})";
  const NDict out = run_op("fuse.image2d.resize_and_pad", config, image(2, 4));  // 4 wide, 2 high: fits as it is
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{-1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0}));
  const NDict corner = run_op("fuse.image2d.resize_and_pad", R"({"labels": ["seg"], "size": [4, 2], "position": "top_left"})", image(2, 1));
  // 1 x 2 scaled by 1 (the height decides) to the left; nearest for labels.
  EXPECT_EQ(values<int64_t>(corner.get<Tensor>("seg")), (std::vector<int64_t>{0, 0, 0, 0, 1, 0, 0, 0}));
  const NDict larger = run_op("fuse.image2d.resize_and_pad", R"({"labels": ["seg"], "size": [4, 8]})", image(2, 2));
  EXPECT_EQ(larger.get<Tensor>("seg").shape(), (std::vector<int64_t>{1, 8, 4}));
  // 2 x 2 grows to 4 x 4, centred in 8 rows: rows 2 to 5.
  EXPECT_EQ(values<int64_t>(larger.get<Tensor>("seg")),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(RandomResizedCrop, AWindowOfTheDrawnShareResizedBack) {
  const char* config = R"({"keys": ["img"], "labels": ["seg"], "scale": [0.25, 0.25], "ratio": [1, 1]})";
  std::set<int64_t> corners;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    const NDict out = run_op_training("fuse.image2d.random_resized_crop", config, image(8, 8), seed);
    const std::vector<int64_t> seg = values<int64_t>(out.get<Tensor>("seg"));
    ASSERT_EQ(seg.size(), 64u);
    // A 4 x 4 window at (x, y), each label doubled in both directions.
    const int64_t x = seg[0] % 8, y = seg[0] / 8;
    EXPECT_LE(x, 4);
    EXPECT_LE(y, 4);
    for (int64_t r = 0; r < 8; ++r)
      for (int64_t c = 0; c < 8; ++c) EXPECT_EQ(seg[static_cast<size_t>(r * 8 + c)], (y + r / 2) * 8 + x + c / 2) << seed;
    EXPECT_EQ(values<int64_t>(run_op_training("fuse.image2d.random_resized_crop", config, image(8, 8), seed).get<Tensor>("seg")), seg);  // by seed
    corners.insert(seg[0]);
  }
  EXPECT_GT(corners.size(), 3u);
  // Outside training the whole image is resized (here to its own size: unchanged).
  EXPECT_EQ(values<float>(run_op("fuse.image2d.random_resized_crop", config, image(8, 8)).get<Tensor>("img")), values<float>(image(8, 8).get<Tensor>("img")));
}

TEST(RandomResizedCrop, FallsBackToTheLargestCentredWindowAndChecksItsRanges) {
  // No 4:1 window fits in 4 x 4 at full area: the centred 4 x 1 window (row 1), stretched to 4 x 4.
  const NDict out = run_op_training("fuse.image2d.random_resized_crop", R"({"labels": ["seg"], "scale": [1, 1], "ratio": [4, 4]})", image(4, 4), 2);
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7}));
  EXPECT_EQ(error_of([] { run_op("fuse.image2d.random_resized_crop", R"({"keys": ["img"], "scale": [0, 1]})", NDict()); }),
            "op 'fuse.image2d.random_resized_crop' (plugin 'fuse.ops_image2d'): create failed: 'scale' is a share of the area: it must lie in (0, 1]");
  EXPECT_EQ(error_of([] { run_op("fuse.image2d.random_resized_crop", R"({"keys": ["img"], "ratio": [-1, 1]})", NDict()); }),
            "op 'fuse.image2d.random_resized_crop' (plugin 'fuse.ops_image2d'): create failed: 'ratio' (width / height) must stay above 0");
}

TEST(FlipBrightSideLeft, FlipsWhenTheRightHalfIsBrighter) {
  const char* config = R"({"keys": ["img"], "labels": ["seg"], "flipped_key": "flipped"})";
  NDict in = sample(R"({"img": [[[0.0, 1.0, 5.0, 5.0]]], "seg": [[[0, 0, 1, 2]]]})");
  NDict out = run_op("fuse.image2d.flip_bright_side_left", config, in);
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{5, 5, 1, 0}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{2, 1, 0, 0}));
  EXPECT_TRUE(out.get<bool>("flipped"));
  // Already bright on the left: unchanged (and running it again on its output changes nothing).
  out = run_op("fuse.image2d.flip_bright_side_left", config, out);
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{5, 5, 1, 0}));
  EXPECT_FALSE(out.get<bool>("flipped"));
  // An odd width's middle column counts for neither side.
  out = run_op("fuse.image2d.flip_bright_side_left", R"({"keys": ["img"]})", sample(R"({"img": [[1.0, 100.0, 2.0]]})"));
  EXPECT_EQ(values<float>(out.get<Tensor>("img")), (std::vector<float>{2, 100, 1}));
  EXPECT_EQ(error_of([] { run_op("fuse.image2d.flip_bright_side_left", R"({"labels": ["seg"]})", NDict()); }),
            "op 'fuse.image2d.flip_bright_side_left' (plugin 'fuse.ops_image2d'): create failed: name the image that decides in 'keys' (labels follow it)");
}

TEST(CropToContent, CropsToTheLargestObject) {
  // A 6-pixel object at rows 1-2, columns 1-3, and a single pixel at (row 4, column 5).
  const char* picture = R"({"img": [[[0, 0, 0, 0, 0, 0], [0, 7, 7, 7, 0, 0], [0, 7, 7, 7, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 9]]],
                           "seg": [[[0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 0, 0], [0, 4, 5, 6, 0, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 8]]]})";
  NDict out = run_op("fuse.image2d.crop_to_content", R"({"keys": ["img"], "labels": ["seg"], "bbox_key": "box"})", sample(picture));
  EXPECT_EQ(out.get<Tensor>("img").shape(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("seg")), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("box")), (std::vector<int64_t>{1, 1, 3, 2}));
  out = run_op("fuse.image2d.crop_to_content", R"({"keys": ["img"], "bbox_key": "box", "largest": false})", sample(picture));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("box")), (std::vector<int64_t>{1, 1, 5, 4}));
  // A margin stays within the image; a threshold above the object's values leaves only the single pixel.
  out = run_op("fuse.image2d.crop_to_content", R"({"keys": ["img"], "bbox_key": "box", "margin": 2})", sample(picture));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("box")), (std::vector<int64_t>{0, 0, 6, 5}));
  out = run_op("fuse.image2d.crop_to_content", R"({"keys": ["img"], "bbox_key": "box", "threshold": 8})", sample(picture));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("box")), (std::vector<int64_t>{5, 4, 1, 1}));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("img")), (std::vector<int64_t>{9}));
  // No content: the whole image.
  out = run_op("fuse.image2d.crop_to_content", R"({"keys": ["img"], "bbox_key": "box", "threshold": 100})", sample(picture));
  EXPECT_EQ(values<int64_t>(out.get<Tensor>("box")), (std::vector<int64_t>{0, 0, 6, 5}));
  EXPECT_EQ(error_of([] { run_op("fuse.image2d.crop_to_content", R"({"keys": ["img"], "margin": -1})", NDict()); }),
            "op 'fuse.image2d.crop_to_content' (plugin 'fuse.ops_image2d'): create failed: 'margin' must be >= 0 pixels, got -1");
}

}  // namespace
}  // namespace fuse
