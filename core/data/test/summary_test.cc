#include "fuse/data/summary.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;

ImageInfo info(std::array<int64_t, 3> size, std::array<double, 3> spacing, std::string orientation) {
  ImageInfo i;
  i.path = "x";
  i.size = size;
  i.spacing = spacing;
  i.orientation = std::move(orientation);
  return i;
}

TEST(Summary, GroupsModeSpacingAndLargestSize) {
  const DatasetSummary s = summarize({info({100, 100, 40}, {1, 1, 3}, "RAS"), info({100, 100, 40}, {1, 1, 3.0000001}, "RAS"),
                                      info({200, 200, 10}, {0.5, 0.5, 5}, "LPS")});
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].count, 2u);  // spacings equal to a micrometre group together
  EXPECT_EQ(s.spacing, (std::array<double, 3>{1, 1, 3}));
  EXPECT_TRUE(s.reorient);
  EXPECT_EQ(s.largest_size, (std::array<int64_t, 3>{100, 100, 40}));  // 200 x 0.5 = 100 mm; 10 x 5 = 50 mm ~ 17 voxels
  const boost::json::object j = summary_json(s);
  EXPECT_EQ(boost::json::serialize(j.at("suggestion")), R"({"spacing":[1E0,1E0,3E0],"reorient":true,"orientation":"RAS","largest_size":[100,100,40]})");
  EXPECT_EQ(j.at("images").as_array().size(), 3u);
}

NDict volume_sample(std::array<int64_t, 3> size, std::array<double, 3> spacing, DLDataType dtype) {
  NDict s;
  s.set("v", Value(Tensor::zeros({1, size[2], size[1], size[0]}, dtype)));
  s.set("v_meta.size", Value(List{Value(size[0]), Value(size[1]), Value(size[2])}));
  s.set("v_meta.spacing", Value(List{Value(spacing[0]), Value(spacing[1]), Value(spacing[2])}));
  s.set("v_meta.origin", Value(List{Value(0.0), Value(0.0), Value(0.0)}));
  s.set("v_meta.direction", Value(List{Value(-1.0), Value(0.0), Value(0.0), Value(0.0), Value(-1.0), Value(0.0), Value(0.0), Value(0.0), Value(1.0)}));
  return s;
}

void write(const std::filesystem::path& p, NDict s) {
  fuse::testing::run_op("fuse.io.write_medical", R"({"key": "v", "geometry": "current", "path": ")" + p.string() + "\"}", std::move(s));
}

TEST(Summary, ReadsHeadersAndCountsMaskLabels) {
  const auto dir = fresh_dir("summary_read");
  write(dir / "a.nii.gz", volume_sample({4, 4, 2}, {1, 1, 2}, sdk::kInt16));
  write(dir / "b.nii.gz", volume_sample({8, 8, 2}, {0.5, 0.5, 2}, sdk::kInt16));
  NDict mask = volume_sample({4, 4, 2}, {1, 1, 2}, sdk::kUInt8);
  mask.get<Tensor>("v").mutable_data<uint8_t>()[0] = 2;
  write(dir / "a_mask.nii.gz", mask);
  const std::vector<ImageInfo> infos = read_image_infos(fuse::testing::built_plugins(), {(dir / "a.nii.gz").string(), (dir / "b.nii.gz").string()},
                                                        {(dir / "a_mask.nii.gz").string(), ""}, 2);
  ASSERT_EQ(infos.size(), 2u);
  EXPECT_EQ(infos[1].size, (std::array<int64_t, 3>{8, 8, 2}));
  EXPECT_EQ(infos[1].spacing, (std::array<double, 3>{0.5, 0.5, 2}));
  EXPECT_EQ(infos[0].orientation, "RAS");
  EXPECT_EQ(infos[0].pixel_type, "int16");
  EXPECT_EQ(infos[0].label_voxels, (std::map<int64_t, int64_t>{{0, 31}, {2, 1}}));
  EXPECT_TRUE(infos[1].label_voxels.empty());
  EXPECT_EQ(infos[0].mask_grid, "");  // on its image's grid
  // A mask on another grid is named with what differs, in the summary's JSON too.
  write(dir / "b_mask.nii.gz", volume_sample({8, 8, 2}, {0.5, 0.5, 3}, sdk::kUInt8));
  const std::vector<ImageInfo> off = read_image_infos(fuse::testing::built_plugins(), {(dir / "b.nii.gz").string()}, {(dir / "b_mask.nii.gz").string()}, 1);
  EXPECT_EQ(off[0].mask_grid, "spacing [0.5, 0.5, 2] against [0.5, 0.5, 3]");
  EXPECT_EQ(summary_json(summarize(off)).at("images").at(0).at("mask").at("grid"), "image spacing [0.5, 0.5, 2] against [0.5, 0.5, 3] (mask)");
  const std::string missing = (dir / "c.nii.gz").string();
  EXPECT_EQ(error_of([&] { read_image_infos(fuse::testing::built_plugins(), {missing}, {}, 1); }),
            "op 'fuse.io.read_medical' (plugin 'fuse.io_medical'): file not found: '" + missing + "'");
}

// The share of a volume inside its nonzero voxels' box: a 2 x 3 x 4 block (any channel's voxels count) in a
// 10 x 10 x 5 volume is 24 / 500; a full volume 1, and an empty one 1 too (nothing to crop away).
TEST(Summary, NonzeroBoxShares) {
  const auto dir = fresh_dir("summary_nonzero");
  NDict block = volume_sample({10, 10, 5}, {1, 1, 1}, sdk::kFloat32);
  float* v = block.get<Tensor>("v").mutable_data<float>();  // [1, z 5, y 10, x 10]
  v[1 * 100 + 2 * 10 + 3] = 5;   // z 1, y 2, x 3
  v[2 * 100 + 4 * 10 + 6] = -1;  // z 2, y 4, x 6
  v[2 * 100 + 3 * 10 + 4] = 2;
  write(dir / "block.nii.gz", block);
  NDict full = volume_sample({4, 3, 2}, {1, 1, 1}, sdk::kInt16);
  int16_t* f = full.get<Tensor>("v").mutable_data<int16_t>();
  f[0] = 1, f[23] = 7;  // the first and last voxels: the box is the volume
  write(dir / "full.nii.gz", full);
  write(dir / "empty.nii.gz", volume_sample({4, 3, 2}, {1, 1, 1}, sdk::kInt16));
  const std::vector<double> shares = nonzero_box_shares(
      fuse::testing::built_plugins(), {(dir / "block.nii.gz").string(), (dir / "full.nii.gz").string(), (dir / "empty.nii.gz").string()}, 2);
  ASSERT_EQ(shares.size(), 3u);
  EXPECT_DOUBLE_EQ(shares[0], (2.0 / 5) * (3.0 / 10) * (4.0 / 10));
  EXPECT_DOUBLE_EQ(shares[1], 1.0);
  EXPECT_DOUBLE_EQ(shares[2], 1.0);
  const std::string missing = (dir / "c.nii.gz").string();
  EXPECT_EQ(error_of([&] { nonzero_box_shares(fuse::testing::built_plugins(), {missing}, 1); }),
            "op 'fuse.io.read_medical' (plugin 'fuse.io_medical'): file not found: '" + missing + "'");
}

}  // namespace
}  // namespace fuse::data
