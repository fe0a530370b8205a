// Where two samples differ, in words: what a cache audit reports when a cached sample is no longer what the
// static pipeline makes.
#ifndef FUSE_DATA_SAMPLE_DIFFERENCE_H_
#define FUSE_DATA_SAMPLE_DIFFERENCE_H_

#include <optional>
#include <string>

#include "fuse/ndict/ndict.h"

namespace fuse::data {

// The first key (in `before`'s order, then keys only `after` has) whose value differs, as "'data.ct': float32[28,
// 28, 28] before, float32[28, 28, 28] now, max |difference| 0.31"; nullopt when the samples are equal (tensors
// equal in dtype, shape and every byte).
std::optional<std::string> sample_difference(const NDict& before, const NDict& after);

}  // namespace fuse::data

#endif  // FUSE_DATA_SAMPLE_DIFFERENCE_H_
