#include "volume_view.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::cli {
namespace {

using fuse::testing::error_of;

NDict sample() {
  NDict s;
  s.set("data.ct", Value(Tensor::from_vector<float>(std::vector<float>(24, 0.5f), {1, 2, 3, 4})));
  s.set("data.seg", Value(Tensor::from_vector<float>({0, 1, 2, 2.4f, 0.2f, -1, 0, 0, 0, 0, 0, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 2, 3, 4})));
  s.set("model.seg", Value(Tensor::from_vector<int64_t>({1, 1, 1, 1, 1, 1}, {1, 2, 3})));
  return s;
}

// A mask keeps its classes (rounded, at least 1 where > 0, at most 255) for the grid to colour each.
TEST(VolumeView, MasksKeepTheirClasses) {
  const NDict s = sample();
  EXPECT_EQ(default_mask_key(s), "data.seg");
  EXPECT_EQ(default_image_key(s, "data.seg"), "data.ct");
  VolumeView v;
  ASSERT_TRUE(to_volume(s, "data.ct", v, VolumePart::kImage));
  EXPECT_EQ(v.size, (std::array<int64_t, 3>{4, 3, 2}));
  ASSERT_TRUE(to_volume(s, "data.seg", v, VolumePart::kMask));
  EXPECT_EQ(std::vector<uint8_t>(v.mask.begin(), v.mask.begin() + 12), (std::vector<uint8_t>{0, 1, 2, 2, 1, 0, 0, 0, 0, 0, 0, 255}));
  EXPECT_FALSE(to_volume(s, "data.none", v, VolumePart::kPrediction));
}

// A case's sequences as channels: the one asked for is drawn; one that is not there is named.
TEST(VolumeView, AChannelOfSeveral) {
  NDict s;
  std::vector<float> values(24);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  s.set("data.scan", Value(Tensor::from_vector<float>(values, {2, 1, 3, 4})));
  VolumeView v;
  ASSERT_TRUE(to_volume(s, "data.scan", v, VolumePart::kImage));
  EXPECT_EQ(v.image.front(), 0.0f);
  EXPECT_EQ(v.size, (std::array<int64_t, 3>{4, 3, 1}));
  ASSERT_TRUE(to_volume(s, "data.scan", v, VolumePart::kImage, 1));
  EXPECT_EQ(v.image, std::vector<float>(values.begin() + 12, values.end()));
  EXPECT_EQ(error_of([&] { to_volume(s, "data.scan", v, VolumePart::kImage, 2); }),
            "key 'data.scan' has 2 channels (shape [2, 1, 3, 4]); channel 2 is not one of them (0 to 1)");
}

TEST(VolumeView, APredictionOfAnotherSizeIsNamed) {
  const NDict s = sample();
  VolumeView v;
  ASSERT_TRUE(to_volume(s, "data.ct", v, VolumePart::kImage));
  EXPECT_EQ(error_of([&] { to_volume(s, "model.seg", v, VolumePart::kPrediction); }),
            "the prediction 'model.seg' (shape [1, 2, 3]) is not the image's size (4 x 3 x 2 voxels)");
}

}  // namespace
}  // namespace fuse::cli
