#include "spatial_draws.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace fuse::volume {

namespace {

constexpr double kPi = 3.14159265358979323846;

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

}  // namespace

Range range_option(const sdk::DictView& config, const std::string& name) {
  const std::vector<double> v = config.get_doubles(name);
  if (v.size() != 2 || !(v[0] <= v[1]))
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'" + name + "' must be a range [low, high] with low <= high");
  return {v[0], v[1]};
}

IndexMap draw_affine(sdk::Random& rng, const AffineRanges& ranges, Size3 size, const std::array<double, 3>& spacing, int dims) {
  // Rotations about x, y, z (2D: z only), then scale and shear.
  double angle[3] = {0, 0, 0};
  for (int a = dims == 3 ? 0 : 2; a < 3; ++a) angle[a] = rng.uniform(ranges.rotation.first, ranges.rotation.second) * kPi / 180;
  double m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const double rx[3][3] = {{1, 0, 0}, {0, std::cos(angle[0]), -std::sin(angle[0])}, {0, std::sin(angle[0]), std::cos(angle[0])}};
  const double ry[3][3] = {{std::cos(angle[1]), 0, std::sin(angle[1])}, {0, 1, 0}, {-std::sin(angle[1]), 0, std::cos(angle[1])}};
  const double rz[3][3] = {{std::cos(angle[2]), -std::sin(angle[2]), 0}, {std::sin(angle[2]), std::cos(angle[2]), 0}, {0, 0, 1}};
  multiply(rz, ry, m);
  multiply(m, rx, m);
  double sc[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const double iso = rng.uniform(ranges.scale.first, ranges.scale.second);
  for (int a = 0; a < dims; ++a) sc[a][a] = ranges.isotropic ? iso : rng.uniform(ranges.scale.first, ranges.scale.second);
  for (int r = 0; r < dims; ++r)
    for (int c = 0; c < dims; ++c)
      if (r != c) sc[r][c] = rng.uniform(ranges.shear.first, ranges.shear.second);
  multiply(m, sc, m);
  double t[3] = {0, 0, 0};
  for (int a = 0; a < dims; ++a) t[a] = rng.uniform(ranges.translation.first, ranges.translation.second);
  return about_centre(m, t, size, spacing, dims);
}

void check_elastic_grid(const ElasticSettings& e, const std::string& prefix) {
  if (2 * e.locked >= e.grid)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'" + prefix + "locked_borders' " + std::to_string(e.locked) + " locks every one of the " +
                                           std::to_string(e.grid) + " control points per axis; use more '" + prefix +
                                           "control_points' or fewer locked borders");
}

std::vector<float> draw_elastic_control(sdk::Random& rng, const ElasticSettings& e, const std::array<double, 3>& spacing, int dims) {
  const int grid = e.grid, gz = dims == 3 ? grid : 1;
  std::vector<float> control(static_cast<size_t>(grid * grid * gz * 3), 0.0f);
  auto free = [&](int i) { return i >= e.locked && i < grid - e.locked; };
  for (int z = 0; z < gz; ++z)
    for (int y = 0; y < grid; ++y)
      for (int x = 0; x < grid; ++x) {
        if (!free(x) || !free(y) || (dims == 3 && !free(z))) continue;
        float* d = &control[static_cast<size_t>(((z * grid + y) * grid + x) * 3)];
        for (int a = 0; a < dims; ++a) d[a] = static_cast<float>(rng.uniform(-e.max_mm, e.max_mm) / spacing[static_cast<size_t>(a)]);
      }
  return control;
}

IndexMap draw_flip(sdk::Random& rng, const std::vector<int>& axes, double flip_p, Size3 size, bool* any) {
  IndexMap map;
  *any = false;
  for (int a : axes)
    if (rng.chance(flip_p)) {
      map.m[a][a] = -1;
      map.m[a][3] = static_cast<double>(size[a] - 1);
      *any = true;
    }
  return map;
}

Size3 size_option(const sdk::DictView& config, int dims) {
  const std::vector<int64_t> v = config.get_ints("size");
  if (static_cast<int>(v.size()) != dims)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'size' needs " + std::to_string(dims) + " values (x, y" + (dims == 3 ? ", z" : "") + "), got " +
                                           std::to_string(v.size()));
  Size3 s{-1, -1, -1};
  for (int a = 0; a < dims; ++a) {
    if (v[static_cast<size_t>(a)] == 0 || v[static_cast<size_t>(a)] < -1)
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'size' values must be positive (or -1 to keep an axis), got " + std::to_string(v[static_cast<size_t>(a)]));
    s[a] = v[static_cast<size_t>(a)];
  }
  if (dims == 2) s.z = 1;
  return s;
}

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

std::vector<double> class_ratios_option(const sdk::DictView& config) {
  if (config.is_unset("class_ratios")) return {};
  std::vector<double> ratios = config.get_doubles("class_ratios");
  double sum = 0;
  for (double r : ratios) {
    if (!(r >= 0)) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'class_ratios' must not be negative, got " + number(r));
    sum += r;
  }
  if (ratios.size() < 2 || sum <= 0)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'class_ratios' needs a ratio per class, background (0) first, and one of them above 0, e.g. [1, 1, 2]");
  return ratios;
}

void fail_not_a_class(const std::string& key, double value, int64_t element, size_t classes) {
  sdk::fail(FM_ERR_INVALID_ARGUMENT, "key '" + key + "' holds the value " + number(value) + " at element " + std::to_string(element) +
                                         ", not a class of 'class_ratios' (an integer 0 to " + std::to_string(classes - 1) + ")");
}

IndexMap draw_pad_or_crop(sdk::Random* rng, Size3 size, Size3 target, Size3* out) {
  IndexMap map;
  for (int a = 0; a < 3; ++a) {
    const int64_t want = target[a] < 0 ? size[a] : target[a];
    const int64_t extra = size[a] - want;  // > 0: crop, < 0: pad
    const int64_t range = extra >= 0 ? extra : -extra;
    const int64_t offset = rng != nullptr ? static_cast<int64_t>(rng->below(static_cast<uint64_t>(range) + 1)) : range / 2;
    map.m[a][3] = static_cast<double>(extra >= 0 ? offset : -offset);
    (*out)[a] = want;
  }
  return map;
}

namespace {

// The patch of `target` voxels around element `centre` (any channel): kept inside the volume where it fits,
// else centred and padded.
IndexMap patch_around(int64_t centre, Size3 size, Size3 target, Size3* out) {
  centre %= size.count();
  const int64_t c[3] = {centre % size.x, (centre / size.x) % size.y, centre / (size.x * size.y)};
  IndexMap map;
  for (int a = 0; a < 3; ++a) {
    const int64_t want = target[a] < 0 ? size[a] : target[a];
    (*out)[a] = want;
    const int64_t start = size[a] >= want ? std::min(std::max<int64_t>(0, c[a] - want / 2), size[a] - want) : -((want - size[a]) / 2);
    map.m[a][3] = static_cast<double>(start);
  }
  return map;
}

}  // namespace

IndexMap draw_patch(sdk::Random& rng, double foreground_p, Size3 size, Size3 target, const std::function<int64_t()>& count,
                    const std::function<int64_t(int64_t)>& nth, Size3* out) {
  int64_t centre = -1;
  if (rng.chance(foreground_p)) {
    const int64_t n = count();
    if (n > 0) centre = nth(static_cast<int64_t>(rng.below(static_cast<uint64_t>(n))));
  }
  if (centre < 0) centre = static_cast<int64_t>(rng.below(static_cast<uint64_t>(size.count())));
  return patch_around(centre, size, target, out);
}

IndexMap draw_class_patch(sdk::Random& rng, const std::vector<double>& ratios, const std::vector<int64_t>& counts, Size3 size, Size3 target,
                          const std::function<int64_t(int64_t, int64_t)>& nth, Size3* out) {
  double total = 0;
  for (size_t c = 0; c < ratios.size(); ++c)
    if (counts[c] > 0) total += ratios[c];
  int64_t centre = -1;
  if (total > 0) {
    double u = rng.uniform() * total;
    size_t chosen = ratios.size();
    for (size_t c = 0; c < ratios.size(); ++c) {
      if (counts[c] == 0 || ratios[c] <= 0) continue;
      chosen = c;  // the last eligible class takes what rounding leaves
      if ((u -= ratios[c]) < 0) break;
    }
    centre = nth(static_cast<int64_t>(chosen), static_cast<int64_t>(rng.below(static_cast<uint64_t>(counts[chosen]))));
  } else {
    centre = static_cast<int64_t>(rng.below(static_cast<uint64_t>(size.count())));
  }
  return patch_around(centre, size, target, out);
}

}  // namespace fuse::volume
