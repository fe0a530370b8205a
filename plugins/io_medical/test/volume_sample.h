// Samples holding a volume and its "<key>_meta" geometry, built in C++ (JSON samples would turn the geometry's
// lists into tensors), and the world position of a voxel for checking spatial ops.
#ifndef FUSE_PLUGINS_IO_MEDICAL_TEST_VOLUME_SAMPLE_H_
#define FUSE_PLUGINS_IO_MEDICAL_TEST_VOLUME_SAMPLE_H_

#include <array>
#include <string>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::io_medical::testing {

inline List list_of(const std::vector<double>& v) {
  List l;
  for (double x : v) l.emplace_back(x);
  return l;
}

inline std::vector<double> doubles(const NDict& d, const std::string& key) {
  std::vector<double> out;
  for (const Value& v : d.get<List>(key)) out.push_back(v.is<double>() ? v.as<double>() : static_cast<double>(v.as<int64_t>()));
  return out;
}

// A [1, z, y, x] tensor under `key` with values 0, 1, 2, ... and its geometry.
template <class T>
void set_volume(NDict& s, const std::string& key, std::array<int64_t, 3> size, std::vector<double> spacing, std::vector<double> origin,
                std::vector<double> direction) {
  Tensor t = Tensor::empty({1, size[2], size[1], size[0]}, sdk::dtype_of<T>());
  T* p = t.mutable_data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(i);
  s.set(key, Value(std::move(t)));
  List sizes;
  for (int64_t n : size) sizes.emplace_back(n);
  s.set(key + "_meta.size", Value(std::move(sizes)));
  s.set(key + "_meta.spacing", Value(list_of(spacing)));
  s.set(key + "_meta.origin", Value(list_of(origin)));
  s.set(key + "_meta.direction", Value(list_of(direction)));
}

// origin + direction * (spacing * index), from a sample's meta.
inline std::array<double, 3> world(const NDict& s, const std::string& meta, std::array<double, 3> index) {
  const std::vector<double> sp = doubles(s, meta + ".spacing"), o = doubles(s, meta + ".origin"), d = doubles(s, meta + ".direction");
  std::array<double, 3> p{};
  for (size_t r = 0; r < 3; ++r) {
    p[r] = o[r];
    for (size_t c = 0; c < 3; ++c) p[r] += d[r * 3 + c] * sp[c] * index[c];
  }
  return p;
}

}  // namespace fuse::io_medical::testing

#endif  // FUSE_PLUGINS_IO_MEDICAL_TEST_VOLUME_SAMPLE_H_
