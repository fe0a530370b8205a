// Regions of labels on the command line (`fuse init --regions`, `fuse eval-seg --regions`): "1,2,3;2,3;3" is
// BraTS's whole tumour, tumour core and enhancing tumour, each region the labels its voxels may hold.
#ifndef FUSE_APPS_COMMON_LABEL_REGIONS_H_
#define FUSE_APPS_COMMON_LABEL_REGIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fuse::apps {

using LabelRegions = std::vector<std::vector<int64_t>>;

// "1,2,3;2,3;3" as regions; a label that is not a whole number of 1 or more is an error (fuse::Error) naming
// the region and the label. A region may start with its name and '=' ("whole tumour=1,2,3;core=2,3;3"):
// `names` gets each region's ("" where none); without `names`, or with an empty name or one given twice, that is
// an error.
LabelRegions parse_regions(const std::string& text, std::vector<std::string>* names = nullptr);

// The label each region's voxels get when the regions are turned back into labels (nnU-Net's
// regions_class_order), found from the regions: region r's own labels are those no later region holds, and
// there must be one (BraTS's 1,2,4;1,4;4 gives 2, 1, 4; nnU-Net's 1,2,3;2,3;3 gives 1, 2, 3). Otherwise an error
// asks for them (`option`, e.g. "--region-labels").
std::vector<int64_t> region_class_order(const LabelRegions& regions, const std::string& option);

}  // namespace fuse::apps

#endif  // FUSE_APPS_COMMON_LABEL_REGIONS_H_
