#include "channels.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace fuse::ops_medical {

std::vector<uint8_t> mask_of(const sdk::DictView& sample, const std::string& mask_key, const std::string& image_key, int dims) {
  if (mask_key.empty()) return {};
  sdk::TensorView m = sample.tensor(mask_key);
  m.require_cpu_contiguous();
  const volume::Layout ml = volume::layout_of(m, dims), il = volume::layout_of(sample.tensor(image_key), dims);
  if (ml.size != il.size)
    sdk::fail(FM_ERR_SHAPE, "mask '" + mask_key + "' " + sdk::shape_string(m.dl()) + " does not cover image '" + image_key + "' " +
                                sdk::shape_string(sample.tensor(image_key).dl()) + " voxel for voxel");
  std::vector<uint8_t> out(static_cast<size_t>(ml.size.count()));
  const bool known = sdk::dispatch_dtype(m.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* v = m.data<T>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = v[i] > T(0);
  });
  if (!known) sdk::fail(FM_ERR_TYPE, "mask '" + mask_key + "': dtype " + sdk::dtype_name(m.dtype()) + " is not supported");
  return out;
}

template <class T>
double percentile(const T* v, int64_t n, const std::vector<uint8_t>& mask, double q, std::vector<T>& scratch) {
  scratch.clear();
  for (int64_t i = 0; i < n; ++i)
    if ((mask.empty() || mask[static_cast<size_t>(i)]) && !std::isnan(v[i])) scratch.push_back(v[i]);
  if (scratch.empty()) return std::nan("");
  const double rank = q / 100.0 * static_cast<double>(scratch.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(lo), scratch.end());
  const double a = scratch[lo];
  if (lo + 1 >= scratch.size()) return a;
  const double b = *std::min_element(scratch.begin() + static_cast<std::ptrdiff_t>(lo) + 1, scratch.end());
  return a + (rank - static_cast<double>(lo)) * (b - a);
}

template double percentile<float>(const float*, int64_t, const std::vector<uint8_t>&, double, std::vector<float>&);
template double percentile<double>(const double*, int64_t, const std::vector<uint8_t>&, double, std::vector<double>&);

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace fuse::ops_medical
