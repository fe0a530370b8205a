#include "spatial_keys.h"

#include <algorithm>

namespace fuse::ops_medical {

using sdk::fail;

SpatialKeys::SpatialKeys(const sdk::DictView& config)
    : images_(config.get_strings("keys")),
      labels_(config.get_strings("labels")),
      dims_(static_cast<int>(config.get_int("dims"))),
      fill_(config.get_double("fill")) {
  all_ = images_;
  all_.insert(all_.end(), labels_.begin(), labels_.end());
  if (all_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "name at least one key in 'keys' or 'labels'");
}

volume::Size3 SpatialKeys::size(const sdk::DictView& sample) const {
  const volume::Size3 first = volume::layout_of(sample.tensor(all_[0]), dims_).size;
  for (size_t i = 1; i < all_.size(); ++i) {
    const volume::Size3 s = volume::layout_of(sample.tensor(all_[i]), dims_).size;
    if (s != first)
      fail(FM_ERR_SHAPE, "keys '" + all_[0] + "' and '" + all_[i] + "' have different spatial shapes (" +
                             sdk::shape_string(sample.tensor(all_[0]).dl()) + " and " + sdk::shape_string(sample.tensor(all_[i]).dl()) +
                             "); a spatial op moves them together, so they must share a grid");
  }
  return first;
}

std::array<double, 3> SpatialKeys::spacing(const sdk::DictView& sample) const {
  const std::string meta = all_[0] + "_meta";
  if (!volume::has_meta(sample, meta)) return {1, 1, 1};
  return volume::read_meta(sample, meta).spacing;
}

void SpatialKeys::apply(sdk::Dict& sample, volume::Size3 out_size, const volume::IndexMap& map, const float* displacement,
                        bool update_meta, bool exact) const {
  for (const std::string& key : all_) {
    const bool label = std::find(labels_.begin(), labels_.end(), key) != labels_.end();
    volume::resample_key(sample, key, dims_, out_size, map, displacement,
                         label || exact ? volume::Interpolation::kNearest : volume::Interpolation::kLinear, label ? 0.0 : fill_);
    const std::string meta = key + "_meta";
    if (update_meta && volume::has_meta(sample, meta))
      volume::write_geometry(sample, meta, volume::transformed(volume::read_meta(sample, meta), map, out_size));
  }
}

std::vector<int> axes_option(const sdk::DictView& config, int dims) {
  std::vector<int> out;
  for (int64_t a : config.get_ints("axes")) {
    if (a < 0 || a >= dims) fail(FM_ERR_INVALID_ARGUMENT, "'axes' holds " + std::to_string(a) + "; spatial axes are 0 (x) to " + std::to_string(dims - 1));
    out.push_back(static_cast<int>(a));
  }
  return out;
}

}  // namespace fuse::ops_medical
