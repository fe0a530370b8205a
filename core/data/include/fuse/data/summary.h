// Inspecting a medical image dataset before training (fastMONAI's MedDataset): each image's size, spacing and
// orientation, groups of images that share them, voxel counts per label of the masks, and a suggested
// resampling spacing (the per-axis mode) with the largest size it gives. Photographs (PNG, JPEG, ...: dermoscopy,
// X-ray exports, pathology tiles) have a size and channels only.
#ifndef FUSE_DATA_SUMMARY_H_
#define FUSE_DATA_SUMMARY_H_

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"

namespace fuse::data {

struct ImageInfo {
  std::string path;
  bool photograph = false;  // a 2D picture read by fuse.io.read_image: size {width, height, 1}, no spacing or orientation
  std::array<int64_t, 3> size{1, 1, 1};  // x, y, z
  std::array<double, 3> spacing{1, 1, 1};
  std::string orientation;
  std::string pixel_type;
  int64_t channels = 1;
  std::string mask_path;                 // empty: no mask
  std::map<int64_t, int64_t> label_voxels;  // label value -> voxels (masks only)
  std::string mask_grid;  // empty when the mask lies on the image's grid; else how it differs (image against mask)
};

struct SummaryGroup {
  std::array<int64_t, 3> size;
  std::array<double, 3> spacing;
  std::string orientation;
  size_t count = 0;
};

struct DatasetSummary {
  std::vector<ImageInfo> images;
  std::vector<SummaryGroup> groups;        // largest first
  std::array<double, 3> spacing{1, 1, 1};  // suggested: the most common spacing per axis
  bool reorient = false;                   // the images do not all share one orientation (or it is not RAS)
  std::string orientation = "RAS";         // the orientation to reorient to
  std::array<int64_t, 3> largest_size{0, 0, 0};  // per axis, after resampling to `spacing`
  std::map<int64_t, int64_t> label_voxels;  // over every mask
  bool photographs = false;                 // every image is a photograph
};

// Whether `path` names a photograph format (PNG, JPEG, BMP, TIFF, WebP, by its extension) that fuse.io.read_image
// reads, rather than a medical volume for fuse.io.read_medical.
bool is_photograph(const std::string& path);

// Reads every image's header (and every mask in full, for its label counts) through the registry's
// fuse.io.read_medical, on `threads` threads; photographs and their masks in full through fuse.io.read_image (a
// mask must have one channel). A file that cannot be read is an error naming it; so are photographs mixed with
// volumes (one of each named).
std::vector<ImageInfo> read_image_infos(const Registry& registry, const std::vector<std::string>& images,
                                        const std::vector<std::string>& masks, size_t threads);

// For each i, how the grid of the volume `others[i]` differs from that of `volumes[i]` ("" where they are one;
// grid_difference), from their headers, on `threads` threads: a case's MRI sequences, read as its channels,
// must share one grid. A file that cannot be read is an error naming it.
std::vector<std::string> grid_differences(const Registry& registry, const std::vector<std::string>& volumes, const std::vector<std::string>& others,
                                          size_t threads);

// For each volume, the share of its voxels inside the bounding box of its nonzero voxels (any channel), as
// fuse.medical.crop_nonzero keeps it (1 for an all-zero volume: nothing to crop), read in full on `threads`
// threads: well below 1 for skull-stripped MR, whose zero background nnU-Net leaves out of the z-score (its
// use_mask_for_norm). A file that cannot be read is an error naming it.
std::vector<double> nonzero_box_shares(const Registry& registry, const std::vector<std::string>& volumes, size_t threads);

DatasetSummary summarize(std::vector<ImageInfo> images);

// {"images": [...], "groups": [...], "suggestion": {"spacing", "reorient", "orientation", "largest_size"},
//  "labels": {"0": voxels, ...}}; the shape is documented in docs/data.md.
boost::json::object summary_json(const DatasetSummary& s);

}  // namespace fuse::data

#endif  // FUSE_DATA_SUMMARY_H_
