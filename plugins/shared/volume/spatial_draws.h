// The random draws of the spatial augmentations, apart from the resampling they drive: the CPU ops
// (ops_medical) and their GPU twins (cuda_augment) call these with the same seed, so they draw the same
// transform. Each takes the generator after the op's "apply with probability p" draw.
#ifndef FUSE_PLUGINS_SHARED_VOLUME_SPATIAL_DRAWS_H_
#define FUSE_PLUGINS_SHARED_VOLUME_SPATIAL_DRAWS_H_

#include <array>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "fuse_sdk/plugin.hpp"
#include "fuse_sdk/random.hpp"
#include "geometry.h"

namespace fuse::volume {

using Range = std::pair<double, double>;

// A range option [low, high] of a config (an error names it when it is not two ordered numbers).
Range range_option(const sdk::DictView& config, const std::string& name);

struct AffineRanges {
  Range rotation{-10, 10};  // degrees
  Range scale{0.9, 1.1};
  Range translation{0, 0};  // mm
  Range shear{0, 0};
  bool isotropic = false;
};

// Rotation about each axis (2D: z only), scale, shear and translation in mm, about the volume's centre: the
// index map from output to input voxels.
IndexMap draw_affine(sdk::Random& rng, const AffineRanges& ranges, Size3 size, const std::array<double, 3>& spacing, int dims);

struct ElasticSettings {
  int grid = 7;           // control points per axis
  int locked = 2;         // outer layers that stay
  double max_mm = 0;      // largest move of a control point
};

// An error when the locked borders leave no control point free; `prefix` names the config fields ("" in
// random_elastic, "elastic_" in random_affine).
void check_elastic_grid(const ElasticSettings& elastic, const std::string& prefix);

// The control points' moves (voxel units; grid^dims points, x fastest, 3 components each), uniform up to
// max_mm; bspline_field() makes the dense field of them.
std::vector<float> draw_elastic_control(sdk::Random& rng, const ElasticSettings& elastic, const std::array<double, 3>& spacing, int dims);

// A flip of each of `axes` with probability flip_p; `any` says whether one flipped.
IndexMap draw_flip(sdk::Random& rng, const std::vector<int>& axes, double flip_p, Size3 size, bool* any);

// The target size of a pad or crop from the config's 'size' (x, y[, z]; -1 keeps an axis): an error names a
// wrong count or value.
Size3 size_option(const sdk::DictView& config, int dims);

// The config's 'class_ratios' (a ratio per class, background first; empty when unset): an error names a
// negative ratio, fewer than two, or none above 0.
std::vector<double> class_ratios_option(const sdk::DictView& config);

// The error for a label map's element that is not a class of 'class_ratios' (an integer 0 to classes - 1).
[[noreturn]] void fail_not_a_class(const std::string& key, double value, int64_t element, size_t classes);

// Padding or cropping `size` to `target` (-1 axes kept): the whole-voxel shift (in_index = out_index + start),
// centred, or at a uniformly drawn place when `rng` is given. `out` gets the output size.
IndexMap draw_pad_or_crop(sdk::Random* rng, Size3 size, Size3 target, Size3* out);

// A patch of `target` voxels around a random centre (fuse.medical.crop_foreground and its GPU twin): with
// probability foreground_p the k-th of the label's foreground elements (k uniform; `count()` says how many there
// are, `nth(k)` gives the element index of the k-th, channels included), else, or when there is none, a uniform
// voxel. The patch stays inside the volume where it fits, else it is centred and padded.
IndexMap draw_patch(sdk::Random& rng, double foreground_p, Size3 size, Size3 target, const std::function<int64_t()>& count,
                    const std::function<int64_t(int64_t)>& nth, Size3* out);

// The same around a voxel of a drawn class (MONAI's RandCropByLabelClasses): class c with probability
// ratios[c] / the sum of the ratios of the classes present (counts[c] > 0 voxels), then its k-th voxel (k
// uniform; `nth(c, k)` gives its element index). With no class of positive ratio present, a uniform voxel.
IndexMap draw_class_patch(sdk::Random& rng, const std::vector<double>& ratios, const std::vector<int64_t>& counts, Size3 size, Size3 target,
                          const std::function<int64_t(int64_t, int64_t)>& nth, Size3* out);

}  // namespace fuse::volume

#endif  // FUSE_PLUGINS_SHARED_VOLUME_SPATIAL_DRAWS_H_
