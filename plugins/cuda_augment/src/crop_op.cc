// Pad or crop a batch to a fixed size on the GPU, centred or at a random place per sample: the twin of
// fuse.medical.pad_or_crop (the same shift drawn by the same shared code from the same seed; every key copied
// voxel for voxel, dtypes kept). "<key>_meta" of each sample follows its new grid, as on the CPU.
#include "spatial_batch.h"
#include "spatial_draws.h"

namespace fuse::cuda_augment {
namespace {

class PadOrCrop {
 public:
  explicit PadOrCrop(const sdk::DictView& config)
      : keys_(config, "fuse.medical.pad_or_crop"),
        target_(volume::size_option(config, keys_.dims())),
        random_(config.get_string("mode") == "random") {}

  // Applies in training and evaluation alike: the crop sets the model's input size.
  void forward(sdk::Dict& batch, const sdk::Call& call) {
    const Volumes vols = keys_.volumes(batch);
    const Batch& b = vols[0].first.batch;
    const std::vector<uint64_t> seeds = sample_seeds(call, b.samples);
    const volume::Size3 size{b.size.x, b.size.y, b.size.z};
    std::vector<SampleDraw> draws(seeds.size());
    volume::Size3 out;
    for (size_t n = 0; n < seeds.size(); ++n) {
      sdk::Random rng(seeds[n]);
      draws[n].map = volume::draw_pad_or_crop(random_ ? &rng : nullptr, size, target_, &out);
    }
    if (out == size) return;
    cuda::use_device(vols[0].first.device);
    keys_.apply(batch, vols, draws, true, kernels::Extent{out.x, out.y, out.z});
    keys_.move_meta(batch, draws, out);
  }

 private:
  SpatialBatch keys_;
  volume::Size3 target_;
  bool random_;
};
FUSE_OP(PadOrCrop, "fuse.cuda.pad_or_crop", "1.0.0")

}  // namespace
}  // namespace fuse::cuda_augment
