// The 'channels' config of the intensity ops and their GPU twins (a CT + PET image: normalise the CT only):
// read and checked in one place, so both twins accept and refuse the same lists.
#ifndef FUSE_PLUGINS_SHARED_VOLUME_CHANNEL_OPTION_H_
#define FUSE_PLUGINS_SHARED_VOLUME_CHANNEL_OPTION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"

namespace fuse::volume {

// The channels an op changes (indices along the leading axes; empty: all), each >= 0 and listed once, else an
// error.
std::vector<int64_t> channels_option(const sdk::DictView& config);

// Whether channel c is changed ('channels' `only`, empty: every channel).
bool channel_selected(const std::vector<int64_t>& only, int64_t c);

// An error naming `key` (`shape`) when `only` lists a channel it lacks (it has `channels`).
void check_channels(const std::vector<int64_t>& only, int64_t channels, const std::string& key, const std::string& shape);

}  // namespace fuse::volume

#endif  // FUSE_PLUGINS_SHARED_VOLUME_CHANNEL_OPTION_H_
