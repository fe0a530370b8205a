// Where a volume's voxels lie in the patient: ITK's convention (physical point = origin + direction *
// (spacing * index), in LPS world coordinates, axes in (x, y, z) order), and how plugins store it beside a
// tensor as the "<key>_meta" subtree. Tensors hold volumes as [channels, z, y, x] (x fastest), images as
// [channels, y, x].
#ifndef FUSE_PLUGINS_SHARED_VOLUME_GEOMETRY_H_
#define FUSE_PLUGINS_SHARED_VOLUME_GEOMETRY_H_

#include <array>
#include <cstdint>
#include <string>

#include "fuse_sdk/plugin.hpp"

namespace fuse::volume {

struct Size3 {
  int64_t x = 1, y = 1, z = 1;
  int64_t count() const { return x * y * z; }
  int64_t operator[](int axis) const { return axis == 0 ? x : axis == 1 ? y : z; }
  int64_t& operator[](int axis) { return axis == 0 ? x : axis == 1 ? y : z; }
  bool operator==(const Size3& o) const { return x == o.x && y == o.y && z == o.z; }
  bool operator!=(const Size3& o) const { return !(*this == o); }
};

struct Geometry {
  int dims = 3;  // 2 or 3 spatial axes
  Size3 size;
  std::array<double, 3> spacing{1, 1, 1};
  std::array<double, 3> origin{0, 0, 0};
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major; column j is axis j's direction
};

// Input voxel index (x, y, z) = m * (output x, y, z, 1): how every spatial op maps output voxels to input.
struct IndexMap {
  double m[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
};
IndexMap compose(const IndexMap& outer, const IndexMap& inner);  // outer(inner(p))

// "RAS", "LPS", ...: for each axis, the world direction it points to (nibabel's convention; an identity
// direction in ITK's LPS world is "LPS"). Two letters for 2D images.
std::string orientation_code(const Geometry& g);
// The direction matrix of a code (axes along world axes); an invalid code gives an error naming it.
std::array<double, 9> direction_of_code(const std::string& code);

// What differs between two grids ("spacing [1, 1, 2] against [1, 1, 3]"; "" when they are one): the size, then
// spacing and direction within 1e-4 (relative), then the origin within 1% of the smallest voxel side. Volumes of
// one scan (its MRI sequences) share a grid; a real difference means they need registering.
std::string grid_difference(const Geometry& a, const Geometry& b);

// The geometry of the output grid of `map` (out_size voxels): origin, spacing and direction follow the map.
Geometry transformed(const Geometry& g, const IndexMap& map, Size3 out_size);

// The index map from the voxels of grid `to` to those of grid `from` (both in one world), so that resampling a
// volume on `from` through it lays the volume onto `to`. A singular geometry is an error.
IndexMap index_map_between(const Geometry& from, const Geometry& to);

// The spatial shape of a tensor laid out [channels..., z, y, x]: `dims` trailing axes are spatial, the
// leading ones are flattened into channels. An error names the key when the tensor has too few axes.
struct Layout {
  int64_t channels = 1;
  Size3 size;
};
Layout layout_of(const sdk::TensorView& t, int dims);
// The spatial sizes of a layout in tensor order: [z,] y, x.
std::vector<int64_t> spatial_shape(const Layout& l, int dims);
// The tensor shape for a layout (leading shape kept from `like`).
std::vector<int64_t> shape_for(const sdk::TensorView& like, int dims, Size3 size);

// The meta subtree: {spacing, origin, direction, size, orientation, dims}; `original` holds the same as read
// from the file and is written once (by the reader).
bool has_meta(const sdk::DictView& d, const std::string& meta_key);
Geometry read_meta(const sdk::DictView& d, const std::string& meta_key);
void write_meta(sdk::Dict& d, const std::string& meta_key, const Geometry& g);
void write_geometry(sdk::Dict& d, const std::string& key, const Geometry& g);  // the fields alone, under key

// The same for sample n of a collated batch, whose meta fields are lists of the samples' ("<meta>.<field>.<n>").
bool has_sample_meta(const sdk::DictView& d, const std::string& meta_key, int64_t sample);
Geometry read_sample_meta(const sdk::DictView& d, const std::string& meta_key, int64_t sample);
void write_sample_geometry(sdk::Dict& d, const std::string& meta_key, int64_t sample, const Geometry& g);

// Lists of numbers in a dict (SDK dicts set lists element by element).
void set_doubles(sdk::Dict& d, const std::string& key, const double* values, size_t n);
void set_ints(sdk::Dict& d, const std::string& key, const int64_t* values, size_t n);

}  // namespace fuse::volume

#endif  // FUSE_PLUGINS_SHARED_VOLUME_GEOMETRY_H_
