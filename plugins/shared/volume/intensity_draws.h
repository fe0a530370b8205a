// The random draws of the intensity augmentations, shared by the CPU ops (ops_medical) and their GPU twins
// (cuda_augment) so the same seed draws the same change. Each takes the generator after the op's "apply with
// probability p" draw.
#ifndef FUSE_PLUGINS_SHARED_VOLUME_INTENSITY_DRAWS_H_
#define FUSE_PLUGINS_SHARED_VOLUME_INTENSITY_DRAWS_H_

#include <cstdint>
#include <vector>

#include "fuse_sdk/random.hpp"
#include "spatial_draws.h"

namespace fuse::volume {

// gamma = exp(u), u uniform in log_gamma.
double draw_gamma(sdk::Random& rng, Range log_gamma);

// The noise's standard deviation and the counter stream of listed key k: kernels::mix64(stream + k).
struct NoiseDraw {
  double sd;
  uint64_t stream;
};
NoiseDraw draw_noise(sdk::Random& rng, Range sd);

// The bias field's polynomial coefficients c[(k * o + j) * o + i] of x^i y^j z^k, i + j + k <= order
// (o = order + 1; k only 0 in 2D), each uniform in `range`.
std::vector<double> draw_bias_coefficients(sdk::Random& rng, Range range, int order, int dims);

// Powers t^0 .. t^(o-1) of each voxel's coordinate t in [-1, 1] along an axis of n voxels, [n][o].
std::vector<double> bias_powers(int64_t n, int o);

}  // namespace fuse::volume

#endif  // FUSE_PLUGINS_SHARED_VOLUME_INTENSITY_DRAWS_H_
