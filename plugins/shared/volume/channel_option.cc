#include "channel_option.h"

#include <algorithm>

namespace fuse::volume {

std::vector<int64_t> channels_option(const sdk::DictView& config) {
  std::vector<int64_t> channels = config.get_ints("channels");
  for (size_t i = 0; i < channels.size(); ++i)
    if (channels[i] < 0 || std::count(channels.begin(), channels.begin() + static_cast<std::ptrdiff_t>(i), channels[i]))
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'channels' lists the channels to change, each once, counting from 0 (e.g. [0]); got " +
                                             std::to_string(channels[i]) + (channels[i] < 0 ? "" : " twice"));
  return channels;
}

bool channel_selected(const std::vector<int64_t>& only, int64_t c) { return only.empty() || std::find(only.begin(), only.end(), c) != only.end(); }

void check_channels(const std::vector<int64_t>& only, int64_t channels, const std::string& key, const std::string& shape) {
  for (int64_t c : only)
    if (c >= channels)
      sdk::fail(FM_ERR_SHAPE, "key '" + key + "' " + shape + " has " + std::to_string(channels) + " channel(s) and 'channels' lists " + std::to_string(c) +
                                  " (channels count from 0)");
}

}  // namespace fuse::volume
