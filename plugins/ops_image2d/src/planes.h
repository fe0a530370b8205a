// 2D images as tensors [..., height, width]: each plane (one channel) is handed to OpenCV as a cv::Mat that
// shares the tensor's memory, so no interleaving or copies are needed.
#ifndef FUSE_PLUGINS_OPS_IMAGE2D_PLANES_H_
#define FUSE_PLUGINS_OPS_IMAGE2D_PLANES_H_

#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "fuse_sdk/plugin.hpp"

namespace fuse::ops_image2d {

// The keys an op moves together: images (interpolated) and labels (nearest), from "keys" and "labels".
struct ImageKeys {
  explicit ImageKeys(const sdk::DictView& config);
  std::vector<std::string> images, labels;
  // The (height, width) every key shares; an error names keys that differ.
  cv::Size size(const sdk::DictView& sample) const;
};

// Replaces the tensor under `key` by one whose planes are f(plane): every output plane must have the size
// `out` and the input's OpenCV type. uint8, int16, int32, float32 and float64 go to OpenCV as they are; int8
// and int64 are carried as int32 and converted back.
void map_planes(sdk::Dict& sample, const std::string& key, cv::Size out, const std::function<void(const cv::Mat&, cv::Mat&)>& f);

}  // namespace fuse::ops_image2d

#endif  // FUSE_PLUGINS_OPS_IMAGE2D_PLANES_H_
