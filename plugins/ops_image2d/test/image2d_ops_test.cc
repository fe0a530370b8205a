#include <gtest/gtest.h>

#include <numeric>

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

}  // namespace
}  // namespace fuse
