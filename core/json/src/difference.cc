#include "fuse/json/difference.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace fuse::json {

namespace bj = boost::json;

namespace {

std::string child(const std::string& path, const std::string& name) { return path.empty() ? name : path + "." + name; }

// Numbers of either kind as one: a value written as 2 and read back as 2.0 is the same setting.
bool same_number(const bj::value& a, const bj::value& b) {
  const double x = a.to_number<double>(), y = b.to_number<double>();
  return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
}

}  // namespace

Difference first_difference(const bj::value& a, const bj::value& b, const std::string& path) {
  const Difference here{false, path, &a, &b};
  if (a.is_number() && b.is_number()) return same_number(a, b) ? Difference{} : here;
  if (a.kind() != b.kind()) return here;
  if (a.is_object()) {
    std::set<std::string> keys;
    for (const auto& kv : a.as_object()) keys.insert(std::string(kv.key()));
    for (const auto& kv : b.as_object()) keys.insert(std::string(kv.key()));
    for (const std::string& k : keys) {
      const bj::value* x = a.as_object().if_contains(k);
      const bj::value* y = b.as_object().if_contains(k);
      if (x == nullptr || y == nullptr) return {false, child(path, k), x, y};
      Difference d = first_difference(*x, *y, child(path, k));
      if (!d.same) return d;
    }
    return {};
  }
  if (a.is_array()) {
    const bj::array &x = a.as_array(), &y = b.as_array();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      Difference d = first_difference(x[i], y[i], child(path, std::to_string(i)));
      if (!d.same) return d;
    }
    if (x.size() == y.size()) return {};
    const size_t n = std::min(x.size(), y.size());
    return {false, child(path, std::to_string(n)), n < x.size() ? &x[n] : nullptr, n < y.size() ? &y[n] : nullptr};
  }
  return a == b ? Difference{} : here;
}

}  // namespace fuse::json
