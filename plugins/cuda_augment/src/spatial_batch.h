// The keys a GPU spatial op moves together (images linearly, labels by nearest sampling, as the CPU twin's
// SpatialKeys) and the resampling of a whole batch through one draw per sample.
#ifndef FUSE_PLUGINS_CUDA_AUGMENT_SPATIAL_BATCH_H_
#define FUSE_PLUGINS_CUDA_AUGMENT_SPATIAL_BATCH_H_

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "cuda_support.h"
#include "device_batch.h"
#include "fuse_sdk/plugin.hpp"
#include "geometry.h"

namespace fuse::cuda_augment {

// One sample's draw: its index map and its elastic control points (none: no field) on a grid of `grid` per axis.
struct SampleDraw {
  volume::IndexMap map;
  std::vector<float> control;
  int grid = 0;
};

using Volumes = std::vector<std::pair<DeviceVolume, Role>>;

class SpatialBatch {
 public:
  // Reads "keys", "labels", "dims" and "fill"; `twin` is the CPU op named in device errors.
  SpatialBatch(const sdk::DictView& config, std::string twin);
  int dims() const { return dims_; }
  const std::string& first() const { return images_.empty() ? labels_[0] : images_[0]; }

  // The volumes, checked, all of one batch size, spatial size and device.
  Volumes volumes(const sdk::DictView& batch) const;

  // Draws per sample (with its seed, after the probability-p draw) and resamples every key through the draws
  // when one moved something. `draw(rng, size, spacing, &out)` returns whether the sample moves. `exact`:
  // whole-voxel maps, every key copied by nearest sampling.
  template <class Draw>
  void run(sdk::Dict& batch, const sdk::Call& call, double p, bool exact, Draw&& draw) const {
    const Volumes vols = volumes(batch);
    const Batch& b = vols[0].first.batch;
    const std::vector<uint64_t> seeds = sample_seeds(call, b.samples);
    cuda::use_device(vols[0].first.device);
    const volume::Size3 size{b.size.x, b.size.y, b.size.z};
    std::vector<SampleDraw> draws(seeds.size());  // a sample left out keeps the identity: an exact copy
    bool any = false;
    draw_per_sample(seeds, p, [&](sdk::Random& rng, size_t n) {
      any = draw(rng, size, sample_spacing(batch, first(), static_cast<int64_t>(n)), draws[n]) || any;
    });
    if (any) apply(batch, vols, draws, exact, b.size);
  }

  // Resamples every key through the per-sample draws onto a grid of `out_size` (a sample without a field gets a
  // zero field when others have one: p + 0 is p, bit for bit).
  void apply(sdk::Dict& batch, const Volumes& vols, const std::vector<SampleDraw>& draws, bool exact, kernels::Extent out_size) const;

  // Each key's "<key>_meta" of every sample that has one follows its draw's map onto `out_size` (crops and pads).
  void move_meta(sdk::Dict& batch, const std::vector<SampleDraw>& draws, volume::Size3 out_size) const;

 private:
  cuda::DeviceBuffer<float> dense_fields(const Batch& b, const std::vector<SampleDraw>& draws) const;

  std::vector<std::string> images_, labels_;
  int dims_;
  double fill_;
  std::string twin_;
};

}  // namespace fuse::cuda_augment

#endif  // FUSE_PLUGINS_CUDA_AUGMENT_SPATIAL_BATCH_H_
