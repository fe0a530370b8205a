#include "label_regions.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::apps {
namespace {

using testing::error_of;

TEST(LabelRegions, ParsedFromTheCommandLine) {
  EXPECT_EQ(parse_regions("1,2,3;2,3;3"), (LabelRegions{{1, 2, 3}, {2, 3}, {3}}));
  EXPECT_EQ(parse_regions(" 1, 2 ; 4"), (LabelRegions{{1, 2}, {4}}));
  EXPECT_EQ(error_of([] { parse_regions("1,2;x"); }),
            "region 2 ('x'): 'x' is not a label of 1 or more; give each region's labels with ',' and ';' between regions, e.g. 1,2,3;2,3;3");
  EXPECT_EQ(error_of([] { parse_regions("0,1"); }),
            "region 1 ('0,1'): '0' is not a label of 1 or more; give each region's labels with ',' and ';' between regions, e.g. 1,2,3;2,3;3");
  EXPECT_EQ(error_of([] { parse_regions("1;;2"); }),
            "region 2 (''): '' is not a label of 1 or more; give each region's labels with ',' and ';' between regions, e.g. 1,2,3;2,3;3");
}

// Regions may be named ("whole tumour=1,2,4"): the names come back beside the regions, "" where none.
TEST(LabelRegions, NamedRegions) {
  std::vector<std::string> names;
  EXPECT_EQ(parse_regions("whole tumour=1,2,4; core = 1,4;4", &names), (LabelRegions{{1, 2, 4}, {1, 4}, {4}}));
  EXPECT_EQ(names, (std::vector<std::string>{"whole tumour", "core", ""}));
  EXPECT_EQ(error_of([] { parse_regions("whole=1,2;2"); }),
            "region 1 ('whole=1,2'): regions are not named here; give their labels only, e.g. 1,2,3;2,3;3");
  EXPECT_EQ(error_of([] {
              std::vector<std::string> n;
              parse_regions("=1,2;2", &n);
            }),
            "region 1 ('=1,2'): the name before '=' is empty; e.g. whole tumour=1,2,3");
  EXPECT_EQ(error_of([] {
              std::vector<std::string> n;
              parse_regions("a=1,2;a=2", &n);
            }),
            "region 2 ('a=2'): the name 'a' is given to an earlier region too; each region's name is its own");
  EXPECT_EQ(error_of([] {
              std::vector<std::string> n;
              parse_regions("a=1,x", &n);
            }),
            "region 1 ('a=1,x'): 'x' is not a label of 1 or more; give each region's labels with ',' and ';' between regions, e.g. 1,2,3;2,3;3");
}

// Each region's voxels get the one label no later region holds: nnU-Net's BraTS labels, and BraTS 2021's own
// (1 necrosis, 2 oedema, 4 enhancing).
TEST(LabelRegions, TheClassOrderFollowsFromNestedRegions) {
  EXPECT_EQ(region_class_order({{1, 2, 3}, {2, 3}, {3}}, "--region-labels"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(region_class_order({{1, 2, 4}, {1, 4}, {4}}, "--region-labels"), (std::vector<int64_t>{2, 1, 4}));
  EXPECT_EQ(error_of([] { region_class_order({{1, 2}, {3}}, "--region-labels"); }),
            "region 1 has labels 1, 2 of its own (held by no later region), so the label its voxels get is not clear: give each region's with "
            "--region-labels (nnU-Net's regions_class_order, e.g. 1,2,3)");
  EXPECT_EQ(error_of([] { region_class_order({{2}, {1, 2}}, "--region-labels"); }),
            "region 1 has no label of its own (held by no later region), so the label its voxels get is not clear: give each region's with "
            "--region-labels (nnU-Net's regions_class_order, e.g. 1,2,3)");
}

}  // namespace
}  // namespace fuse::apps
