#include "connected_components.h"

#include <array>
#include <cstdlib>

namespace fuse::segmentation {
namespace {

// Union-find over provisional labels, with path halving; the smaller label becomes the root, so a component's
// final number follows its first voxel.
struct DisjointSets {
  std::vector<int32_t> parent{0};
  int32_t add() {
    parent.push_back(static_cast<int32_t>(parent.size()));
    return parent.back();
  }
  int32_t find(int32_t x) {
    while (parent[static_cast<size_t>(x)] != x) x = parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    return x;
  }
  void join(int32_t a, int32_t b) {
    a = find(a), b = find(b);
    if (a < b) parent[static_cast<size_t>(b)] = a;
    else if (b < a) parent[static_cast<size_t>(a)] = b;
  }
};

}  // namespace

Components connected_components(const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape, bool full) {
  // As 3D (z, y, x), missing leading axes of size 1.
  int64_t n[3] = {1, 1, 1};
  for (size_t i = 0; i < shape.size() && i < 3; ++i) n[3 - shape.size() + i] = shape[i];
  // The neighbours already visited in row-major order: offsets (dz, dy, dx) before the voxel.
  std::vector<std::array<int64_t, 3>> before;
  for (int64_t dz = -1; dz <= 0; ++dz)
    for (int64_t dy = -1; dy <= 1; ++dy)
      for (int64_t dx = -1; dx <= 1; ++dx) {
        if (dz == 0 && (dy > 0 || (dy == 0 && dx >= 0))) continue;  // not before
        if (!full && std::abs(dz) + std::abs(dy) + std::abs(dx) != 1) continue;
        before.push_back({dz, dy, dx});
      }
  Components c;
  c.labels.assign(mask.size(), 0);
  DisjointSets sets;
  // First pass: provisional labels, joined where neighbours meet.
  for (int64_t z = 0; z < n[0]; ++z)
    for (int64_t y = 0; y < n[1]; ++y)
      for (int64_t x = 0; x < n[2]; ++x) {
        const size_t i = static_cast<size_t>((z * n[1] + y) * n[2] + x);
        if (!mask[i]) continue;
        int32_t label = 0;
        for (const auto& d : before) {
          const int64_t zz = z + d[0], yy = y + d[1], xx = x + d[2];
          if (zz < 0 || yy < 0 || yy >= n[1] || xx < 0 || xx >= n[2]) continue;
          const int32_t other = c.labels[static_cast<size_t>((zz * n[1] + yy) * n[2] + xx)];
          if (other == 0) continue;
          if (label == 0) label = other;
          else sets.join(label, other);
        }
        c.labels[i] = label ? label : sets.add();
      }
  // Second pass: roots numbered 1..count in order of first appearance, sizes counted.
  std::vector<int32_t> final_label(sets.parent.size(), 0);
  c.sizes.assign(1, 0);
  for (int32_t& l : c.labels) {
    if (l == 0) continue;
    const int32_t root = sets.find(l);
    if (final_label[static_cast<size_t>(root)] == 0) {
      final_label[static_cast<size_t>(root)] = static_cast<int32_t>(c.sizes.size());
      c.sizes.push_back(0);
    }
    l = final_label[static_cast<size_t>(root)];
    ++c.sizes[static_cast<size_t>(l)];
  }
  return c;
}

}  // namespace fuse::segmentation
