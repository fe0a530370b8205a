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

}  // namespace
}  // namespace fuse
