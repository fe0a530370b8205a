// What every cuda_augment op reads from a batch: its volumes on the device (checked for dtype and device), the
// per-sample seeds the host passes to batch ops, and each sample's voxel spacing.
#ifndef FUSE_PLUGINS_CUDA_AUGMENT_DEVICE_BATCH_H_
#define FUSE_PLUGINS_CUDA_AUGMENT_DEVICE_BATCH_H_

#include <array>
#include <string>
#include <vector>

#include "augment_kernels.h"
#include "fuse_sdk/plugin.hpp"
#include "fuse_sdk/random.hpp"

namespace fuse::cuda_augment {

enum class Role { kImage, kLabel };

struct DeviceVolume {
  std::string key;
  Batch batch;
  DLDataType dtype;
  int device;
  std::vector<int64_t> shape;
};

// The tensor under `key`: [samples, channels..., (z,) y, x] with `dims` spatial axes. Images must be float32,
// labels uint8, int32, int64 or float32; either must be a contiguous CUDA tensor. Errors name the key and, for
// the device, the CPU twin `twin`.
DeviceVolume device_volume(const sdk::DictView& batch, const std::string& key, int dims, Role role, const std::string& twin);

// The host's per-sample seeds of this call; an error when the op is not called on a batch of `samples`.
std::vector<uint64_t> sample_seeds(const sdk::Call& call, int64_t samples);

// Which samples a random op applies to, drawn as its CPU twin draws them: each sample's generator starts from its
// seed with the "apply with probability p" draw, then `draw(rng, n)` draws sample n's parameters from it.
template <class Draw>
std::vector<uint8_t> draw_per_sample(const std::vector<uint64_t>& seeds, double p, Draw&& draw) {
  std::vector<uint8_t> apply(seeds.size(), 0);
  for (size_t n = 0; n < seeds.size(); ++n) {
    sdk::Random rng(seeds[n]);
    if (!rng.chance(p)) continue;
    apply[n] = 1;
    draw(rng, n);
  }
  return apply;
}

// Sample n's spacing from "<key>_meta.spacing.<n>" when the batch has it, else 1 mm.
std::array<double, 3> sample_spacing(const sdk::DictView& batch, const std::string& key, int64_t n);

}  // namespace fuse::cuda_augment

#endif  // FUSE_PLUGINS_CUDA_AUGMENT_DEVICE_BATCH_H_
