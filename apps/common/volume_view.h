// A sample's image, mask and prediction as flat volumes for the slice grid and histograms (fuse data show, fuse
// show-results).
#ifndef FUSE_APPS_COMMON_VOLUME_VIEW_H_
#define FUSE_APPS_COMMON_VOLUME_VIEW_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::cli {

struct VolumeView {
  std::vector<float> image;         // x fastest
  std::vector<float> color;         // a colour picture's R, G and B planes (x fastest), drawn in colour; empty: none
  std::vector<uint8_t> mask;        // the class (> 0) where labelled, tinted; empty: none
  std::vector<uint8_t> prediction;  // the predicted class, outlined; empty: none
  std::array<int64_t, 3> size{1, 1, 1};
  std::array<double, 3> spacing{1, 1, 1};
  std::string caption;
};

enum class VolumePart { kImage, kMask, kPrediction };

// A channel of the tensor under `key` of `sample` as a volume (the last 3 axes, or 2 for a 2D image;
// "<key>_meta.size" says which when there) into `v`: the image (its size and "<key>_meta.spacing" too; a 2D
// image of 3 channels, a photograph, its colour planes as well unless a channel is asked for), or the
// mask or the prediction as class labels (a value > 0 rounded, at most 255; 0 and below are unlabelled). The
// image's channel is `channel` (a case's sequence), the first when -1; masks and predictions take their first.
// False when the key is missing; an error naming it when it is not a tensor that can be drawn, has no such
// channel, or (mask, prediction) is not the image's size.
bool to_volume(const NDict& sample, const std::string& key, VolumeView& v, VolumePart part, int64_t channel = -1);

// The keys drawn when none is named: the mask is data.mask, data.seg or data.label when a tensor of 2 or more
// axes ("" when none is); the image is the first tensor of 3 or more axes that is not the mask.
std::string default_mask_key(const NDict& sample);
std::string default_image_key(const NDict& sample, const std::string& mask_key);

}  // namespace fuse::cli

#endif  // FUSE_APPS_COMMON_VOLUME_VIEW_H_
