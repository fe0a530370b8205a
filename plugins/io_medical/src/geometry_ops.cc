// fuse.medical.reorient, fuse.medical.resample and fuse.medical.resample_like: change a volume's grid and keep
// "<key>_meta" true to it.
#include <cmath>

#include "resample.h"
#include "volume_io.h"

namespace fuse::io_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::Geometry;
using volume::IndexMap;

// The map that lays a volume's axes out in the orientation `code`: a permutation with flips, so nearest
// sampling copies voxels exactly.
IndexMap reorientation(const Geometry& g, const std::array<double, 9>& target, volume::Size3& out_size) {
  IndexMap map;
  for (auto& row : map.m)
    for (double& v : row) v = 0;
  bool used[3] = {false, false, false};
  for (int out_axis = 0; out_axis < 3; ++out_axis) {
    int world = 0;
    for (int w = 1; w < 3; ++w)
      if (std::fabs(target[static_cast<size_t>(w * 3 + out_axis)]) > std::fabs(target[static_cast<size_t>(world * 3 + out_axis)])) world = w;
    // The input axis that runs closest to that world axis.
    int best = -1;
    for (int in_axis = 0; in_axis < 3; ++in_axis) {
      if (used[in_axis]) continue;
      if (best < 0 || std::fabs(g.direction[static_cast<size_t>(world * 3 + in_axis)]) > std::fabs(g.direction[static_cast<size_t>(world * 3 + best)]))
        best = in_axis;
    }
    used[best] = true;
    const bool flip = (g.direction[static_cast<size_t>(world * 3 + best)] >= 0) != (target[static_cast<size_t>(world * 3 + out_axis)] >= 0);
    map.m[best][out_axis] = flip ? -1 : 1;
    map.m[best][3] = flip ? static_cast<double>(g.size[best] - 1) : 0;
    out_size[out_axis] = g.size[best];
  }
  return map;
}

class Reorient {
 public:
  explicit Reorient(const DictView& config) : keys_(config.get_strings("keys")), code_(config.get_string("orientation")) {
    target_ = volume::direction_of_code(code_);
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      const std::string meta = key + "_meta";
      const Geometry g = volume::read_meta(sample, meta);
      if (g.dims != 3) sdk::fail(FM_ERR_UNSUPPORTED, "key '" + key + "': reorientation needs a 3D volume");
      if (volume::orientation_code(g) == code_) continue;
      volume::Size3 size;
      const IndexMap map = reorientation(g, target_, size);
      volume::resample_key(sample, key, 3, size, map, nullptr, volume::Interpolation::kNearest, 0);
      volume::write_geometry(sample, meta, volume::transformed(g, map, size));
    }
  }

 private:
  std::vector<std::string> keys_;
  std::string code_;
  std::array<double, 9> target_;
};
FUSE_OP(Reorient, "fuse.medical.reorient", "1.0.0")

class Resample {
 public:
  explicit Resample(const DictView& config)
      : images_(config.get_strings("keys")), labels_(config.get_strings("labels")), spacing_(config.get_doubles("spacing")) {
    if (spacing_.size() != 2 && spacing_.size() != 3)
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'spacing' needs 2 or 3 values (x, y[, z]), got " + std::to_string(spacing_.size()));
    for (double s : spacing_)
      if (!(s > 0) && s != -1) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'spacing' values must be > 0 (or -1 to keep an axis), got " + std::to_string(s));
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : images_) resample(sample, key, volume::Interpolation::kLinear);
    for (const std::string& key : labels_) resample(sample, key, volume::Interpolation::kNearest);
  }

 private:
  void resample(Dict& sample, const std::string& key, volume::Interpolation interpolation) {
    const std::string meta = key + "_meta";
    const Geometry g = volume::read_meta(sample, meta);
    if (static_cast<size_t>(g.dims) != spacing_.size())
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "key '" + key + "' is " + std::to_string(g.dims) + "D but 'spacing' has " +
                                             std::to_string(spacing_.size()) + " values");
    IndexMap map;
    volume::Size3 size = g.size;
    bool changed = false;
    for (int a = 0; a < g.dims; ++a) {
      const double want = spacing_[static_cast<size_t>(a)] > 0 ? spacing_[static_cast<size_t>(a)] : g.spacing[static_cast<size_t>(a)];
      const double ratio = want / g.spacing[static_cast<size_t>(a)];
      map.m[a][a] = ratio;
      // Voxel 0 stays where it is; the extent is kept as closely as whole voxels allow.
      size[a] = std::max<int64_t>(1, std::llround(static_cast<double>(g.size[a]) / ratio));
      changed = changed || std::fabs(ratio - 1) > 1e-9;
    }
    if (!changed) return;
    volume::resample_key(sample, key, g.dims, size, map, nullptr, interpolation, 0);
    volume::write_geometry(sample, meta, volume::transformed(g, map, size));
  }

  std::vector<std::string> images_, labels_;
  std::vector<double> spacing_;
};
FUSE_OP(Resample, "fuse.medical.resample", "1.0.0")

// Volumes onto the grid of another (a mask saved on another grid than its image; an ensemble's model outputs
// from models that work at other spacings): one resampling through the world position of each voxel.
class ResampleLike {
 public:
  explicit ResampleLike(const DictView& config)
      : images_(config.get_strings("keys")), labels_(config.get_strings("labels")), like_(config.get_string("like")) {
    if (images_.empty() && labels_.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "give 'keys' (images) or 'labels' to resample onto the grid of '" + like_ + "'");
  }

  void forward(Dict& sample, const sdk::Call&) {
    const Geometry target = volume::read_meta(sample, like_ + "_meta");
    for (const std::string& key : images_) resample(sample, key, target, volume::Interpolation::kLinear);
    for (const std::string& key : labels_) resample(sample, key, target, volume::Interpolation::kNearest);
  }

 private:
  void resample(Dict& sample, const std::string& key, const Geometry& target, volume::Interpolation interpolation) {
    const std::string meta = key + "_meta";
    const Geometry g = volume::read_meta(sample, meta);
    if (g.dims != target.dims)
      sdk::fail(FM_ERR_SHAPE, "key '" + key + "' is " + std::to_string(g.dims) + "D and '" + like_ + "' " + std::to_string(target.dims) + "D");
    const volume::Layout l = volume::layout_of(sample.tensor(key), g.dims);
    if (l.size.x != g.size.x || l.size.y != g.size.y || (g.dims == 3 && l.size.z != g.size.z))
      sdk::fail(FM_ERR_SHAPE, "key '" + key + "' is of shape " + sdk::shape_string(sample.tensor(key).dl()) + ", which is not the grid of '" + meta + "' (" +
                                  std::to_string(g.size.x) + " x " + std::to_string(g.size.y) + (g.dims == 3 ? " x " + std::to_string(g.size.z) : "") +
                                  " voxels, x first)");
    if (volume::grid_difference(g, target).empty()) return;
    const IndexMap map = volume::index_map_between(g, target);
    volume::resample_key(sample, key, g.dims, target.size, map, nullptr, interpolation, 0);
    volume::write_geometry(sample, meta, volume::transformed(g, map, target.size));
  }

  std::vector<std::string> images_, labels_;
  std::string like_;
};
FUSE_OP(ResampleLike, "fuse.medical.resample_like", "1.0.0")

}  // namespace
}  // namespace fuse::io_medical
