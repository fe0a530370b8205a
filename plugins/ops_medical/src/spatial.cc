// Random spatial augmentation: affine, elastic, flips and 90-degree rotations. Each draws once per call and
// moves every listed key with the same draw (images linear, labels nearest). Off outside training.
#include <cmath>

#include "elastic_field.h"
#include "spatial_keys.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::IndexMap;
using volume::Size3;

constexpr double kPi = 3.14159265358979323846;

double probability(const DictView& config) {
  const double p = config.get_double("p");
  return p;
}

// in_index = S^-1 (M S (o - c) + t) + c: M acts in millimetres about the volume's centre c.
IndexMap about_centre(const double m[3][3], const double t[3], Size3 size, const std::array<double, 3>& spacing, int dims) {
  IndexMap map;
  double centre[3];
  for (int a = 0; a < 3; ++a) centre[a] = a < dims ? (static_cast<double>(size[a]) - 1) / 2 : 0.0;
  for (int r = 0; r < 3; ++r) {
    double offset = centre[r] + t[r] / spacing[static_cast<size_t>(r)];
    for (int c = 0; c < 3; ++c) {
      map.m[r][c] = m[r][c] * spacing[static_cast<size_t>(c)] / spacing[static_cast<size_t>(r)];
      offset -= map.m[r][c] * centre[c];
    }
    map.m[r][3] = offset;
  }
  return map;
}

void multiply(const double a[3][3], const double b[3][3], double out[3][3]) {
  double tmp[3][3];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      tmp[r][c] = 0;
      for (int k = 0; k < 3; ++k) tmp[r][c] += a[r][k] * b[k][c];
    }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) out[r][c] = tmp[r][c];
}

// The control-point moves of an elastic deformation (voxel units), uniform up to `max_mm`, outer `locked`
// layers fixed; smoothed into a dense field.
std::vector<float> elastic_field(sdk::Random& rng, volume::Size3 size, int dims, const std::array<double, 3>& spacing, int grid, int locked,
                                 double max_mm) {
  const int gz = dims == 3 ? grid : 1;
  std::vector<float> control(static_cast<size_t>(grid * grid * gz * 3), 0.0f);
  auto free = [&](int i) { return i >= locked && i < grid - locked; };
  for (int z = 0; z < gz; ++z)
    for (int y = 0; y < grid; ++y)
      for (int x = 0; x < grid; ++x) {
        if (!free(x) || !free(y) || (dims == 3 && !free(z))) continue;
        float* d = &control[static_cast<size_t>(((z * grid + y) * grid + x) * 3)];
        for (int a = 0; a < dims; ++a) d[a] = static_cast<float>(rng.uniform(-max_mm, max_mm) / spacing[static_cast<size_t>(a)]);
      }
  return bspline_field(size, dims, grid, control);
}

// `prefix` names the fields: "" in random_elastic, "elastic_" in random_affine.
void check_grid(int grid, int locked, const std::string& prefix) {
  if (2 * locked >= grid)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'" + prefix + "locked_borders' " + std::to_string(locked) + " locks every one of the " +
                                           std::to_string(grid) + " control points per axis; use more '" + prefix +
                                           "control_points' or fewer locked borders");
}

class RandomAffine {
 public:
  explicit RandomAffine(const DictView& config)
      : keys_(config),
        p_(probability(config)),
        rotation_(range_option(config, "rotation")),
        scale_(range_option(config, "scale")),
        translation_(range_option(config, "translation")),
        shear_(range_option(config, "shear")),
        isotropic_(config.get_bool("isotropic")),
        elastic_mm_(config.get_double("elastic_max_displacement")),
        elastic_grid_(static_cast<int>(config.get_int("elastic_control_points"))),
        elastic_locked_(static_cast<int>(config.get_int("elastic_locked_borders"))) {
    if (scale_.first <= 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scale' must stay above 0");
    if (elastic_mm_ > 0) check_grid(elastic_grid_, elastic_locked_, "elastic_");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const int dims = keys_.dims();
    const Size3 size = keys_.size(sample);
    // Rotations about x, y, z (2D: z only), then scale and shear.
    double angle[3] = {0, 0, 0};
    for (int a = dims == 3 ? 0 : 2; a < 3; ++a) angle[a] = rng.uniform(rotation_.first, rotation_.second) * kPi / 180;
    double m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    const double rx[3][3] = {{1, 0, 0}, {0, std::cos(angle[0]), -std::sin(angle[0])}, {0, std::sin(angle[0]), std::cos(angle[0])}};
    const double ry[3][3] = {{std::cos(angle[1]), 0, std::sin(angle[1])}, {0, 1, 0}, {-std::sin(angle[1]), 0, std::cos(angle[1])}};
    const double rz[3][3] = {{std::cos(angle[2]), -std::sin(angle[2]), 0}, {std::sin(angle[2]), std::cos(angle[2]), 0}, {0, 0, 1}};
    multiply(rz, ry, m);
    multiply(m, rx, m);
    double sc[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    const double iso = rng.uniform(scale_.first, scale_.second);
    for (int a = 0; a < dims; ++a) sc[a][a] = isotropic_ ? iso : rng.uniform(scale_.first, scale_.second);
    for (int r = 0; r < dims; ++r)
      for (int c = 0; c < dims; ++c)
        if (r != c) sc[r][c] = rng.uniform(shear_.first, shear_.second);
    multiply(m, sc, m);
    double t[3] = {0, 0, 0};
    for (int a = 0; a < dims; ++a) t[a] = rng.uniform(translation_.first, translation_.second);
    const std::array<double, 3> spacing = keys_.spacing(sample);
    // With an elastic part, its field rides on the same resampling: one pass instead of two.
    std::vector<float> field;
    if (elastic_mm_ > 0) field = elastic_field(rng, size, dims, spacing, elastic_grid_, elastic_locked_, elastic_mm_);
    keys_.apply(sample, size, about_centre(m, t, size, spacing, dims), field.empty() ? nullptr : field.data(), false);
  }

 private:
  SpatialKeys keys_;
  double p_;
  std::pair<double, double> rotation_, scale_, translation_, shear_;
  bool isotropic_;
  double elastic_mm_;
  int elastic_grid_, elastic_locked_;
};
FUSE_OP(RandomAffine, "fuse.medical.random_affine", "1.0.0")

class RandomElastic {
 public:
  explicit RandomElastic(const DictView& config)
      : keys_(config),
        p_(probability(config)),
        grid_(static_cast<int>(config.get_int("control_points"))),
        max_displacement_(config.get_double("max_displacement")),
        locked_(static_cast<int>(config.get_int("locked_borders"))) {
    check_grid(grid_, locked_, "");
  }

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const Size3 size = keys_.size(sample);
    const std::vector<float> field = elastic_field(rng, size, keys_.dims(), keys_.spacing(sample), grid_, locked_, max_displacement_);
    keys_.apply(sample, size, IndexMap{}, field.data(), false);
  }

 private:
  SpatialKeys keys_;
  double p_;
  int grid_;
  double max_displacement_;
  int locked_;
};
FUSE_OP(RandomElastic, "fuse.medical.random_elastic", "1.0.0")

// Axis indices of a config list (0 = x, 1 = y, 2 = z), checked against the op's dims.
std::vector<int> axes_option(const DictView& config, int dims) {
  std::vector<int> out;
  for (int64_t a : config.get_ints("axes")) {
    if (a < 0 || a >= dims)
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'axes' holds " + std::to_string(a) + "; spatial axes are 0 (x) to " + std::to_string(dims - 1));
    out.push_back(static_cast<int>(a));
  }
  return out;
}

class RandomFlip {
 public:
  explicit RandomFlip(const DictView& config)
      : keys_(config), p_(probability(config)), axes_(axes_option(config, keys_.dims())), flip_p_(config.get_double("flip_p")) {}

  void forward(Dict& sample, const sdk::Call& call) {
    if (!call.training()) return;
    sdk::Random rng(call.seed());
    if (!rng.chance(p_)) return;
    const Size3 size = keys_.size(sample);
    IndexMap map;
    bool any = false;
    for (int a : axes_)
      if (rng.chance(flip_p_)) {
        map.m[a][a] = -1;
        map.m[a][3] = static_cast<double>(size[a] - 1);
        any = true;
      }
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
