// Random spatial augmentation: affine, elastic, flips and 90-degree rotations. Each draws once per call and
// moves every listed key with the same draw (images linear, labels nearest). Off outside training.
#include <cmath>

#include "elastic_field.h"
#include "spatial_draws.h"
#include "spatial_keys.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::IndexMap;
using volume::Size3;

double probability(const DictView& config) { return config.get_double("p"); }

class RandomAffine {
 public:
  explicit RandomAffine(const DictView& config)
      : keys_(config),
        p_(probability(config)),
        ranges_{range_option(config, "rotation"), range_option(config, "scale"), range_option(config, "translation"),
                range_option(config, "shear"), config.get_bool("isotropic")},
        elastic_{static_cast<int>(config.get_int("elastic_control_points")), static_cast<int>(config.get_int("elastic_locked_borders")),
                 config.get_double("elastic_max_displacement")} {
    if (ranges_.scale.first <= 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scale' must stay above 0");
    if (elastic_.max_mm > 0) volume::check_elastic_grid(elastic_, "elastic_");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const int dims = keys_.dims();
    const Size3 size = keys_.size(sample);
    const std::array<double, 3> spacing = keys_.spacing(sample);
    const IndexMap map = volume::draw_affine(rng, ranges_, size, spacing, dims);
    // With an elastic part, its field rides on the same resampling: one pass instead of two.
    std::vector<float> field;
    if (elastic_.max_mm > 0) field = volume::bspline_field(size, dims, elastic_.grid, volume::draw_elastic_control(rng, elastic_, spacing, dims));
    keys_.apply(sample, size, map, field.empty() ? nullptr : field.data(), false);
  }

 private:
  SpatialKeys keys_;
  double p_;
  volume::AffineRanges ranges_;
  volume::ElasticSettings elastic_;
};
FUSE_OP(RandomAffine, "fuse.medical.random_affine", "1.0.0")

class RandomElastic {
 public:
  explicit RandomElastic(const DictView& config)
      : keys_(config),
        p_(probability(config)),
        elastic_{static_cast<int>(config.get_int("control_points")), static_cast<int>(config.get_int("locked_borders")),
                 config.get_double("max_displacement")} {
    volume::check_elastic_grid(elastic_, "");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const Size3 size = keys_.size(sample);
    const int dims = keys_.dims();
    const std::vector<float> field =
        volume::bspline_field(size, dims, elastic_.grid, volume::draw_elastic_control(rng, elastic_, keys_.spacing(sample), dims));
    keys_.apply(sample, size, IndexMap{}, field.data(), false);
  }

 private:
  SpatialKeys keys_;
  double p_;
  volume::ElasticSettings elastic_;
};
FUSE_OP(RandomElastic, "fuse.medical.random_elastic", "1.0.0")

class RandomFlip {
 public:
  explicit RandomFlip(const DictView& config)
      : keys_(config), p_(probability(config)), axes_(axes_option(config, keys_.dims())), flip_p_(config.get_double("flip_p")) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const Size3 size = keys_.size(sample);
    bool any = false;
    const IndexMap map = volume::draw_flip(rng, axes_, flip_p_, size, &any);
    if (any) keys_.apply(sample, size, map, nullptr, false, true);
  }

 private:
  SpatialKeys keys_;
  double p_;
  std::vector<int> axes_;
  double flip_p_;
};
FUSE_OP(RandomFlip, "fuse.medical.random_flip", "1.0.0")

class RandomRot90 {
 public:
  explicit RandomRot90(const DictView& config) : keys_(config), p_(probability(config)), axes_(axes_option(config, keys_.dims())) {
    if (axes_.size() != 2 || axes_[0] == axes_[1])
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'axes' must name the two different axes of the rotation plane, e.g. [0, 1]");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const Size3 size = keys_.size(sample);
    const int k = 1 + static_cast<int>(rng.below(3));
    const int a = axes_[0], b = axes_[1];
    IndexMap map;
    Size3 out = size;
    map.m[a][a] = map.m[b][b] = 0;
    const double na = static_cast<double>(size[a] - 1), nb = static_cast<double>(size[b] - 1);
    if (k == 1) {  // in_a = n_a - 1 - o_b, in_b = o_a
      map.m[a][b] = -1, map.m[a][3] = na, map.m[b][a] = 1;
      out[a] = size[b], out[b] = size[a];
    } else if (k == 2) {  // in_a = n_a - 1 - o_a, in_b = n_b - 1 - o_b
      map.m[a][a] = -1, map.m[a][3] = na, map.m[b][b] = -1, map.m[b][3] = nb;
    } else {  // in_a = o_b, in_b = n_b - 1 - o_a
      map.m[a][b] = 1, map.m[b][a] = -1, map.m[b][3] = nb;
      out[a] = size[b], out[b] = size[a];
    }
    keys_.apply(sample, out, map, nullptr, false, true);
  }

 private:
  SpatialKeys keys_;
  double p_;
  std::vector<int> axes_;
};
FUSE_OP(RandomRot90, "fuse.medical.random_rot90", "1.0.0")

}  // namespace
}  // namespace fuse::ops_medical
