// Random affine (+ elastic), elastic and flip on batches on the GPU. Per sample the draws come from the shared
// draw code (plugins/shared/volume/spatial_draws) with the seed the CPU twin would get, and the voxels from the
// shared per-voxel code: the results equal the CPU twin's (images within 1e-4, labels exactly).
#include "spatial_batch.h"
#include "spatial_draws.h"

namespace fuse::cuda_augment {
namespace {

using sdk::Dict;
using sdk::DictView;

using volume::range_option;

class RandomAffine {
 public:
  explicit RandomAffine(const DictView& config)
      : keys_(config, "fuse.medical.random_affine"),
        p_(config.get_double("p")),
        ranges_{range_option(config, "rotation"), range_option(config, "scale"), range_option(config, "translation"), range_option(config, "shear"),
                config.get_bool("isotropic")},
        elastic_{static_cast<int>(config.get_int("elastic_control_points")), static_cast<int>(config.get_int("elastic_locked_borders")),
                 config.get_double("elastic_max_displacement")} {
    if (ranges_.scale.first <= 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scale' must stay above 0");
    if (elastic_.max_mm > 0) volume::check_elastic_grid(elastic_, "elastic_");
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    keys_.run(batch, call, p_, false, [&](sdk::Random& rng, volume::Size3 size, const std::array<double, 3>& spacing, SampleDraw& d) {
      d.map = volume::draw_affine(rng, ranges_, size, spacing, keys_.dims());
      if (elastic_.max_mm > 0) d.control = volume::draw_elastic_control(rng, elastic_, spacing, keys_.dims()), d.grid = elastic_.grid;
      return true;
    });
  }

 private:
  SpatialBatch keys_;
  double p_;
  volume::AffineRanges ranges_;
  volume::ElasticSettings elastic_;
};
FUSE_OP(RandomAffine, "fuse.cuda.random_affine", "1.0.0")

class RandomElastic {
 public:
  explicit RandomElastic(const DictView& config)
      : keys_(config, "fuse.medical.random_elastic"),
        p_(config.get_double("p")),
        elastic_{static_cast<int>(config.get_int("control_points")), static_cast<int>(config.get_int("locked_borders")),
                 config.get_double("max_displacement")} {
    volume::check_elastic_grid(elastic_, "");
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    keys_.run(batch, call, p_, false, [&](sdk::Random& rng, volume::Size3, const std::array<double, 3>& spacing, SampleDraw& d) {
      d.control = volume::draw_elastic_control(rng, elastic_, spacing, keys_.dims()), d.grid = elastic_.grid;
      return true;
    });
  }

 private:
  SpatialBatch keys_;
  double p_;
  volume::ElasticSettings elastic_;
};
FUSE_OP(RandomElastic, "fuse.cuda.random_elastic", "1.0.0")

class RandomFlip {
 public:
  explicit RandomFlip(const DictView& config)
      : keys_(config, "fuse.medical.random_flip"), p_(config.get_double("p")), flip_p_(config.get_double("flip_p")) {
    for (int64_t a : config.get_ints("axes")) {
      if (a < 0 || a >= keys_.dims())
        sdk::fail(FM_ERR_INVALID_ARGUMENT, "'axes' holds " + std::to_string(a) + "; spatial axes are 0 (x) to " + std::to_string(keys_.dims() - 1));
      axes_.push_back(static_cast<int>(a));
    }
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    // Whole voxels: every key copied, dtypes kept.
    keys_.run(batch, call, p_, true, [&](sdk::Random& rng, volume::Size3 size, const std::array<double, 3>&, SampleDraw& d) {
      bool flipped = false;
      d.map = volume::draw_flip(rng, axes_, flip_p_, size, &flipped);
      return flipped;
    });
  }

 private:
  SpatialBatch keys_;
  double p_, flip_p_;
  std::vector<int> axes_;
};
FUSE_OP(RandomFlip, "fuse.cuda.random_flip", "1.0.0")

}  // namespace
}  // namespace fuse::cuda_augment
