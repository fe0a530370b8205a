#include "geometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fuse::volume {

using sdk::fail;

IndexMap compose(const IndexMap& a, const IndexMap& b) {
  IndexMap out;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      double v = c == 3 ? a.m[r][3] : 0.0;
      for (int k = 0; k < 3; ++k) v += a.m[r][k] * b.m[k][c];
      out.m[r][c] = v;
    }
  return out;
}

std::string orientation_code(const Geometry& g) {
  // LPS world: +x points to the patient's left, +y posterior, +z superior.
  static const char kPositive[3] = {'L', 'P', 'S'}, kNegative[3] = {'R', 'A', 'I'};
  std::string code;
  for (int axis = 0; axis < g.dims; ++axis) {
    int best = 0;
    for (int w = 1; w < 3; ++w)
      if (std::fabs(g.direction[static_cast<size_t>(w * 3 + axis)]) > std::fabs(g.direction[static_cast<size_t>(best * 3 + axis)])) best = w;
    code += g.direction[static_cast<size_t>(best * 3 + axis)] >= 0 ? kPositive[best] : kNegative[best];
  }
  return code;
}

std::array<double, 9> direction_of_code(const std::string& code) {
  std::array<double, 9> d{0, 0, 0, 0, 0, 0, 0, 0, 0};
  bool used[3] = {false, false, false};
  const std::string letters = "LRPASI";  // pairs per world axis, the LPS-positive letter first
  if (code.size() != 3) fail(FM_ERR_INVALID_ARGUMENT, "orientation '" + code + "' must have 3 letters, one of L/R, P/A, S/I each (e.g. RAS)");
  for (int axis = 0; axis < 3; ++axis) {
    const size_t at = letters.find(static_cast<char>(std::toupper(static_cast<unsigned char>(code[static_cast<size_t>(axis)]))));
    if (at == std::string::npos || used[at / 2])
      fail(FM_ERR_INVALID_ARGUMENT, "orientation '" + code + "' must have 3 letters, one of L/R, P/A, S/I each (e.g. RAS)");
    used[at / 2] = true;
    d[at / 2 * 3 + static_cast<size_t>(axis)] = at % 2 == 0 ? 1.0 : -1.0;  // L, P, S positive in LPS
  }
  return d;
}

Geometry transformed(const Geometry& g, const IndexMap& map, Size3 out_size) {
  Geometry out = g;
  out.size = out_size;
  // p = origin + D S (A o + b): the new origin is origin + D S b, the new D' S' = D S A.
  double ds[3][3];
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) ds[r][c] = g.direction[static_cast<size_t>(r * 3 + c)] * g.spacing[static_cast<size_t>(c)];
  for (int r = 0; r < 3; ++r) {
    double o = g.origin[static_cast<size_t>(r)];
    for (int k = 0; k < 3; ++k) o += ds[r][k] * map.m[k][3];
    out.origin[static_cast<size_t>(r)] = o;
  }
  for (int c = 0; c < 3; ++c) {
    double column[3], norm = 0;
    for (int r = 0; r < 3; ++r) {
      column[r] = 0;
      for (int k = 0; k < 3; ++k) column[r] += ds[r][k] * map.m[k][c];
      norm += column[r] * column[r];
    }
    norm = std::sqrt(norm);
    if (norm == 0) continue;  // a 2D image's unused z axis
    out.spacing[static_cast<size_t>(c)] = norm;
    for (int r = 0; r < 3; ++r) out.direction[static_cast<size_t>(r * 3 + c)] = column[r] / norm;
  }
  return out;
}

Layout layout_of(const sdk::TensorView& t, int dims) {
  if (t.ndim() < dims)
    fail(FM_ERR_SHAPE, "key '" + t.name() + "': a " + std::to_string(dims) + "D image needs at least " + std::to_string(dims) +
                           " axes, got shape " + sdk::shape_string(t.dl()));
  Layout l;
  const std::vector<int64_t> s = t.shape();
  const size_t first = s.size() - static_cast<size_t>(dims);
  for (size_t i = 0; i < first; ++i) l.channels *= s[i];
  l.size.x = s[s.size() - 1];
  l.size.y = s[s.size() - 2];
  if (dims == 3) l.size.z = s[s.size() - 3];
  return l;
}

std::vector<int64_t> spatial_shape(const Layout& l, int dims) {
  std::vector<int64_t> shape = {l.size.y, l.size.x};
  if (dims == 3) shape.insert(shape.begin(), l.size.z);
  return shape;
}

std::vector<int64_t> shape_for(const sdk::TensorView& like, int dims, Size3 size) {
  std::vector<int64_t> s = like.shape();
  s.resize(s.size() - static_cast<size_t>(dims));
  if (dims == 3) s.push_back(size.z);
  s.push_back(size.y);
  s.push_back(size.x);
  return s;
}

namespace {

// A meta field's key: "<meta>.<field>", or "<meta>.<field>.<n>" for sample n of a batch (collate keeps each
// sample's field as an element of a list).
std::string field_key(const std::string& meta_key, const char* field, int64_t sample) {
  return meta_key + "." + field + (sample < 0 ? std::string() : "." + std::to_string(sample));
}

Geometry read_fields(const sdk::DictView& d, const std::string& meta_key, int64_t sample) {
  Geometry g;
  const std::vector<double> spacing = d.get_doubles(field_key(meta_key, "spacing", sample)), origin = d.get_doubles(field_key(meta_key, "origin", sample)),
                            direction = d.get_doubles(field_key(meta_key, "direction", sample));
  const std::vector<int64_t> size = d.get_ints(field_key(meta_key, "size", sample));
  g.dims = static_cast<int>(spacing.size());
  if ((g.dims != 2 && g.dims != 3) || origin.size() != spacing.size() || size.size() != spacing.size() ||
      direction.size() != spacing.size() * spacing.size())
    fail(FM_ERR_INVALID_ARGUMENT, "'" + meta_key + "'" + (sample < 0 ? std::string() : " of sample " + std::to_string(sample)) +
                                      " is not a valid geometry (spacing, origin and size of 2 or 3 values, direction of 4 or 9)");
  for (size_t i = 0; i < spacing.size(); ++i) {
    g.spacing[i] = spacing[i];
    g.origin[i] = origin[i];
    g.size[static_cast<int>(i)] = size[i];
    for (size_t j = 0; j < spacing.size(); ++j) g.direction[i * 3 + j] = direction[i * spacing.size() + j];
  }
  return g;
}

void write_fields(sdk::Dict& d, const std::string& key, int64_t sample, const Geometry& g) {
  const size_t n = static_cast<size_t>(g.dims);
  const int64_t size[3] = {g.size.x, g.size.y, g.size.z};
  double direction[9];
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) direction[i * n + j] = g.direction[i * 3 + j];
  set_doubles(d, field_key(key, "spacing", sample), g.spacing.data(), n);
  set_doubles(d, field_key(key, "origin", sample), g.origin.data(), n);
  set_doubles(d, field_key(key, "direction", sample), direction, n * n);
  set_ints(d, field_key(key, "size", sample), size, n);
  d.set_string(field_key(key, "orientation", sample), orientation_code(g));
}

}  // namespace

bool has_meta(const sdk::DictView& d, const std::string& meta_key) { return d.has(meta_key + ".spacing"); }

Geometry read_meta(const sdk::DictView& d, const std::string& meta_key) {
  if (!has_meta(d, meta_key))
    fail(FM_ERR_KEY_NOT_FOUND, "no geometry under '" + meta_key + "' (written by the medical image reader, fuse.io.read_medical)");
  return read_fields(d, meta_key, -1);
}

bool has_sample_meta(const sdk::DictView& d, const std::string& meta_key, int64_t sample) {
  return d.has(field_key(meta_key, "spacing", sample));
}
Geometry read_sample_meta(const sdk::DictView& d, const std::string& meta_key, int64_t sample) {
  if (!has_sample_meta(d, meta_key, sample))
    fail(FM_ERR_KEY_NOT_FOUND, "no geometry of sample " + std::to_string(sample) + " under '" + meta_key + "'");
  return read_fields(d, meta_key, sample);
}
void write_sample_geometry(sdk::Dict& d, const std::string& meta_key, int64_t sample, const Geometry& g) {
  write_fields(d, meta_key, sample, g);
}

void set_doubles(sdk::Dict& d, const std::string& key, const double* values, size_t n) {
  d.set_list(key, n);
  for (size_t i = 0; i < n; ++i) d.set_double(key + "." + std::to_string(i), values[i]);
}

void set_ints(sdk::Dict& d, const std::string& key, const int64_t* values, size_t n) {
  d.set_list(key, n);
  for (size_t i = 0; i < n; ++i) d.set_int(key + "." + std::to_string(i), values[i]);
}

void write_geometry(sdk::Dict& d, const std::string& key, const Geometry& g) { write_fields(d, key, -1, g); }

void write_meta(sdk::Dict& d, const std::string& meta_key, const Geometry& g) { write_geometry(d, meta_key, g); }

namespace {

// "[1, 1, 2.5]": six significant digits, enough to show how two grids differ.
template <class Array>
std::string list_text(const Array& values, size_t n) {
  std::string text = "[";
  char buffer[32];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buffer, sizeof buffer, "%.6g", static_cast<double>(values[i]));
    text += (i ? ", " : "") + std::string(buffer);
  }
  return text + "]";
}

}  // namespace

namespace {

// The 3x3 matrix direction * diag(spacing) of a geometry.
void voxel_to_world(const Geometry& g, double m[3][3]) {
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) m[r][c] = g.direction[static_cast<size_t>(r * 3 + c)] * g.spacing[static_cast<size_t>(c)];
}

bool invert(const double a[3][3], double out[3][3]) {
  const double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                     a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  if (std::fabs(det) < 1e-12) return false;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) {
      const int r1 = (c + 1) % 3, r2 = (c + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
      out[r][c] = (a[r1][c1] * a[r2][c2] - a[r1][c2] * a[r2][c1]) / det;
    }
  return true;
}

}  // namespace

IndexMap index_map_between(const Geometry& from, const Geometry& to) {
  double mf[3][3], mt[3][3], inv[3][3];
  voxel_to_world(from, mf);
  voxel_to_world(to, mt);
  if (!invert(mf, inv)) fail(FM_ERR_INVALID_ARGUMENT, "the geometry has a singular direction or spacing");
  IndexMap map;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      map.m[r][c] = 0;
      for (int k = 0; k < 3; ++k) map.m[r][c] += inv[r][k] * mt[k][c];
    }
    map.m[r][3] = 0;
    for (int k = 0; k < 3; ++k) map.m[r][3] += inv[r][k] * (to.origin[static_cast<size_t>(k)] - from.origin[static_cast<size_t>(k)]);
  }
  // Round away float noise so that exact permutations stay exact.
  for (auto& row : map.m)
    for (double& v : row)
      if (std::fabs(v - std::round(v)) < 1e-9) v = std::round(v);
  return map;
}

std::string grid_difference(const Geometry& a, const Geometry& b) {
  const size_t n = static_cast<size_t>(std::max(a.dims, b.dims));
  const std::array<int64_t, 3> size_a{a.size.x, a.size.y, a.size.z}, size_b{b.size.x, b.size.y, b.size.z};
  if (a.dims != b.dims || size_a != size_b) return "size " + list_text(size_a, n) + " against " + list_text(size_b, n);
  double smallest = 1;
  for (size_t i = 0; i < n; ++i) smallest = std::min(smallest, a.spacing[i]);
  const auto differ = [](const auto& x, const auto& y, size_t count, double tolerance) {
    for (size_t i = 0; i < count; ++i)
      if (std::abs(x[i] - y[i]) > tolerance * std::max(1.0, std::abs(x[i]))) return true;
    return false;
  };
  if (differ(a.spacing, b.spacing, n, 1e-4)) return "spacing " + list_text(a.spacing, n) + " against " + list_text(b.spacing, n);
  if (differ(a.origin, b.origin, n, 0.01 * smallest)) return "origin " + list_text(a.origin, n) + " against " + list_text(b.origin, n);
  if (differ(a.direction, b.direction, 9, 1e-4)) return "direction " + list_text(a.direction, 9) + " against " + list_text(b.direction, 9);
  return "";
}

}  // namespace fuse::volume
