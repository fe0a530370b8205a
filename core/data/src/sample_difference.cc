#include "fuse/data/sample_difference.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace fuse::data {
namespace {

// The largest |a - b| over two tensors of one numeric dtype and shape (NaN where one is NaN and the other not).
std::optional<double> max_difference(const Tensor& a, const Tensor& b) {
  const Tensor x = a.is_contiguous() ? a : a.clone(), y = b.is_contiguous() ? b : b.clone();
  std::optional<double> out;
  sdk::dispatch_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = x.data<T>();
    const T* q = y.data<T>();
    double m = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double u = static_cast<double>(p[i]), v = static_cast<double>(q[i]);
      if (std::isnan(u) != std::isnan(v)) return void(out = std::nan(""));
      if (!std::isnan(u)) m = std::max(m, std::abs(u - v));
    }
    out = m;
  });
  return out;
}

std::string how(const Value& before, const Value& after) {
  std::string text = before.summary() + " before, " + after.summary() + " now";
  if (before.is<Tensor>() && after.is<Tensor>()) {
    const Tensor &a = before.as<Tensor>(), &b = after.as<Tensor>();
    if (sdk::dtype_eq(a.dtype(), b.dtype()) && a.shape() == b.shape())
      if (std::optional<double> d = max_difference(a, b)) {
        char buffer[48];
        std::snprintf(buffer, sizeof buffer, "%.6g", *d);
        text += ", max |difference| " + std::string(buffer);
      }
  }
  return text;
}

}  // namespace

std::optional<std::string> sample_difference(const NDict& before, const NDict& after) {
  std::map<std::string, const Value*> now;
  for (const auto& [key, value] : after.flatten()) now.emplace(key, value);
  for (const auto& [key, value] : before.flatten()) {
    auto it = now.find(key);
    if (it == now.end()) return "'" + key + "': " + value->summary() + " before, absent now";
    if (*value != *it->second) return "'" + key + "': " + how(*value, *it->second);
    now.erase(it);
  }
  if (!now.empty()) return "'" + now.begin()->first + "': absent before, " + now.begin()->second->summary() + " now";
  return std::nullopt;
}

}  // namespace fuse::data
