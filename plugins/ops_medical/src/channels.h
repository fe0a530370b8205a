// Intensity ops work on floating tensors channel by channel: [channels..., (z,) y, x].
#ifndef FUSE_PLUGINS_OPS_MEDICAL_CHANNELS_H_
#define FUSE_PLUGINS_OPS_MEDICAL_CHANNELS_H_

#include <algorithm>
#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"
#include "channel_option.h"
#include "geometry.h"

namespace fuse::ops_medical {

// Calls f(T* values, voxels, channel) for each channel of the (floating, written in place) tensor under key;
// integer tensors become float32 first.
template <class F>
void for_each_channel(sdk::Dict& sample, const std::string& key, int dims, F&& f) {
  const volume::Layout l = volume::layout_of(sample.tensor(key), dims);
  sdk::with_floating(sample, key, [&](auto* data, int64_t) {
    const int64_t voxels = l.size.count();
    for (int64_t c = 0; c < l.channels; ++c) f(data + c * voxels, voxels, c);
  });
}

using volume::channels_option;

// for_each_channel over the channels `only` lists (all when empty); one the tensor lacks is an error naming key.
template <class F>
void for_channels(sdk::Dict& sample, const std::string& key, int dims, const std::vector<int64_t>& only, F&& f) {
  volume::check_channels(only, volume::layout_of(sample.tensor(key), dims).channels, key, sdk::shape_string(sample.tensor(key).dl()));
  for_each_channel(sample, key, dims, [&](auto* v, int64_t n, int64_t c) {
    if (volume::channel_selected(only, c)) f(v, n, c);
  });
}

// The voxels selected by a mask (any dtype, first channel, > 0), or all voxels when `mask_key` is empty. The
// mask must have the image's spatial size.
std::vector<uint8_t> mask_of(const sdk::DictView& sample, const std::string& mask_key, const std::string& image_key, int dims);

// The q-th percentile (0-100, linear between order statistics) of the values where `mask` is set (or all),
// ignoring NaN. `scratch` is reused between calls.
template <class T>
double percentile(const T* v, int64_t n, const std::vector<uint8_t>& mask, double q, std::vector<T>& scratch);

std::string number(double v);  // 2.5, 1e-06: short, for messages

}  // namespace fuse::ops_medical

#endif  // FUSE_PLUGINS_OPS_MEDICAL_CHANNELS_H_
