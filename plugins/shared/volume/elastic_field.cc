#include "elastic_field.h"

#include <array>
#include <cmath>

namespace fuse::volume {

AxisWeights axis_weights(int64_t n, int grid) {
  AxisWeights a;
  a.first.resize(static_cast<size_t>(n));
  a.w.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double u = n > 1 ? static_cast<double>(i) * (grid - 1) / static_cast<double>(n - 1) : 0.0;
    const double f = std::floor(u), t = u - f;
    a.first[static_cast<size_t>(i)] = static_cast<int64_t>(f) - 1;
    const double t2 = t * t, t3 = t2 * t;
    a.w[static_cast<size_t>(i)] = {static_cast<float>((1 - t) * (1 - t) * (1 - t) / 6), static_cast<float>((3 * t3 - 6 * t2 + 4) / 6),
                                   static_cast<float>((-3 * t3 + 3 * t2 + 3 * t + 1) / 6), static_cast<float>(t3 / 6)};
  }
  return a;
}

namespace {

// out[o][j][k] = sum over the four control points c of weights[j] * in[o][c][k], for lines of `inner` floats:
// one separable pass along the axis between `outer` and `inner`.
void pass(const std::vector<float>& in, std::vector<float>& out, int64_t outer, int64_t in_len, const AxisWeights& a, int64_t inner) {
  const int64_t out_len = static_cast<int64_t>(a.first.size());
  out.assign(static_cast<size_t>(outer * out_len * inner), 0.0f);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < out_len; ++j) {
      float* __restrict dst = &out[static_cast<size_t>((o * out_len + j) * inner)];
      for (int k = 0; k < 4; ++k) {
        const int64_t c = a.first[static_cast<size_t>(j)] + k;
        if (c < 0 || c >= in_len) continue;  // control points past the grid are zero
        const float w = a.w[static_cast<size_t>(j)][static_cast<size_t>(k)];
        const float* __restrict src = &in[static_cast<size_t>((o * in_len + c) * inner)];
        for (int64_t m = 0; m < inner; ++m) dst[m] += w * src[m];
      }
    }
}

}  // namespace

std::vector<float> bspline_field(Size3 size, int dims, int grid, const std::vector<float>& control) {
  const int64_t g = grid, gz = dims == 3 ? g : 1;
  // Along x: [gz][gy][gx][3] -> [gz][gy][X][3]; along y: -> [gz][Y][X][3]; along z: -> [Z][Y][X][3].
  std::vector<float> along_x, along_y, along_z;
  pass(control, along_x, gz * g, g, axis_weights(size.x, grid), 3);
  pass(along_x, along_y, gz, g, axis_weights(size.y, grid), size.x * 3);
  if (dims == 2) return along_y;
  pass(along_y, along_z, 1, g, axis_weights(size.z, grid), size.y * size.x * 3);
  return along_z;
}

}  // namespace fuse::volume
