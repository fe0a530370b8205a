// Label regions, nnU-Net's region-based training (BraTS: whole tumour = labels 1, 2 and 3; tumour core = 2 and 3;
// enhancing tumour = 3): each region a set of label values, the regions free to overlap and nest. The overlap
// losses train one sigmoid channel per region, fuse.metrics.segmentation (and its GPU twin) scores each region of
// two label maps, and fuse.ops.regions_to_labels turns the regions' probabilities back into labels.
#ifndef FUSE_PLUGINS_SHARED_SEGMENTATION_LABEL_REGIONS_H_
#define FUSE_PLUGINS_SHARED_SEGMENTATION_LABEL_REGIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"

namespace fuse::segmentation {

// The most labels one region may list (the GPU twin passes a region's labels by value).
constexpr size_t kMaxRegionLabels = 32;

// Region r's label values, r from 0.
using Regions = std::vector<std::vector<int64_t>>;

// config[key]: a list of regions, each a label (3) or a list of labels ([2, 3]), every label at least 1 (the
// background belongs to no region). Empty when the key is unset; errors name the region, counted from 1.
Regions read_regions(const sdk::DictView& config, const std::string& key = "regions");

// "[[1, 2, 3], [2, 3], [3]]", for messages.
std::string regions_text(const Regions& regions);

}  // namespace fuse::segmentation

#endif  // FUSE_PLUGINS_SHARED_SEGMENTATION_LABEL_REGIONS_H_
