#include "volume_view.h"

#include <algorithm>
#include <cmath>

#include "fuse/base/error.h"
#include "fuse_sdk/dtype.hpp"

namespace fuse::cli {

bool to_volume(const NDict& s, const std::string& key, VolumeView& v, VolumePart part, int64_t channel) {
  const Value* value = s.find(key);
  if (value == nullptr) return false;
  if (!value->is<Tensor>()) throw Error(Errc::kType, "key '" + key + "' is a " + std::string(value->type_name()) + ", not an image tensor");
  const Tensor t = value->as<Tensor>().is_contiguous() ? value->as<Tensor>() : value->as<Tensor>().clone();
  size_t dims = t.ndim() >= 4 ? 3 : 2;
  if (const Value* size = s.find(key + "_meta.size"); size && size->is<List>()) dims = size->as<List>().size();
  if (t.ndim() < static_cast<int32_t>(dims))
    throw Error(Errc::kShape, "key '" + key + "' has shape " + shape_string(t.shape()) + ", too few axes for a " + std::to_string(dims) + "D image");
  const std::vector<int64_t>& shape = t.shape();
  std::array<int64_t, 3> size{1, 1, 1};
  for (size_t a = 0; a < dims; ++a) size[a] = shape[shape.size() - 1 - a];
  const int64_t voxels = size[0] * size[1] * size[2];
  const int64_t channels = voxels > 0 ? t.numel() / voxels : 0;
  if (part == VolumePart::kImage && channel >= channels)
    throw Error(Errc::kInvalidArgument, "key '" + key + "' has " + std::to_string(channels) + " channel" + (channels == 1 ? "" : "s") + " (shape " +
                                            shape_string(t.shape()) + "); channel " + std::to_string(channel) + " is not one of them (0 to " +
                                            std::to_string(channels - 1) + ")");
  const int64_t drawn = part == VolumePart::kImage ? std::max<int64_t>(0, channel) : 0;
  // A 2D image of 3 channels ([3, height, width]) is a colour picture: its three planes, drawn in colour.
  const bool colour = part == VolumePart::kImage && channel < 0 && dims == 2 && t.ndim() == 3 && shape[0] == 3;
  std::vector<float> first(static_cast<size_t>(voxels)), planes(colour ? static_cast<size_t>(3 * voxels) : 0);
  const bool ok = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (int64_t i = 0; i < voxels; ++i) first[static_cast<size_t>(i)] = static_cast<float>(p[drawn * voxels + i]);
    for (size_t i = 0; i < planes.size(); ++i) planes[i] = static_cast<float>(p[i]);
  });
  if (!ok) throw Error(Errc::kType, "key '" + key + "': dtype " + sdk::dtype_name(t.dtype()) + " cannot be drawn");
  if (part != VolumePart::kImage) {
    if (first.size() != v.image.size())
      throw Error(Errc::kShape, "the " + std::string(part == VolumePart::kMask ? "mask" : "prediction") + " '" + key + "' (shape " + shape_string(t.shape()) +
                                    ") is not the image's size (" + std::to_string(v.size[0]) + " x " + std::to_string(v.size[1]) + " x " +
                                    std::to_string(v.size[2]) + " voxels)");
    std::vector<uint8_t>& labels = part == VolumePart::kMask ? v.mask : v.prediction;
    labels.resize(first.size());
    for (size_t i = 0; i < first.size(); ++i) labels[i] = first[i] > 0 ? static_cast<uint8_t>(std::min(255.0f, std::max(1.0f, std::round(first[i])))) : 0;
    return true;
  }
  v.image = std::move(first);
  v.color = std::move(planes);
  v.size = size;
  if (const Value* spacing = s.find(key + "_meta.spacing"); spacing && spacing->is<List>())
    for (size_t a = 0; a < dims && a < spacing->as<List>().size(); ++a) {
      const Value& x = spacing->as<List>()[a];
      v.spacing[a] = x.is<double>() ? x.as<double>() : static_cast<double>(x.as<int64_t>());
    }
  return true;
}

std::string default_mask_key(const NDict& sample) {
  for (const char* k : {"data.mask", "data.seg", "data.label"})
    if (const Value* m = sample.find(k); m && m->is<Tensor>() && m->as<Tensor>().ndim() >= 2) return k;
  return "";
}

std::string default_image_key(const NDict& sample, const std::string& mask_key) {
  for (const auto& [key, value] : sample.flatten())
    if (value->is<Tensor>() && value->as<Tensor>().ndim() >= 3 && key != mask_key) return key;
  return "";
}

}  // namespace fuse::cli
