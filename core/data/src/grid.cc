#include "fuse/data/grid.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"

namespace fuse::data {

namespace {

std::vector<double> doubles_of(const NDict& d, const std::string& key) {
  const Value* v = d.find(key);
  if (v == nullptr || !v->is<List>()) throw Error(Errc::kKeyNotFound, "no list '" + key + "' (the grid of a volume read by fuse.io.read_medical)");
  std::vector<double> out;
  for (const Value& x : v->as<List>()) out.push_back(x.is<double>() ? x.as<double>() : static_cast<double>(x.as<int64_t>()));
  return out;
}

std::string list_text(const std::vector<double>& v) {
  std::vector<std::string> parts;
  for (double x : v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", x);
    parts.emplace_back(text);
  }
  return "[" + join(parts, ", ") + "]";
}

}  // namespace

Grid grid_of(const NDict& sample, const std::string& meta_key) {
  return Grid{doubles_of(sample, meta_key + ".size"), doubles_of(sample, meta_key + ".spacing"), doubles_of(sample, meta_key + ".origin"),
              doubles_of(sample, meta_key + ".direction")};
}

std::string grid_difference(const Grid& a, const Grid& b) {
  if (a.size != b.size) return "size " + list_text(a.size) + " against " + list_text(b.size);
  double smallest = 1;
  for (double s : a.spacing) smallest = std::min(smallest, s);
  const auto differ = [](const std::vector<double>& x, const std::vector<double>& y, double tolerance) {
    if (x.size() != y.size()) return true;
    for (size_t i = 0; i < x.size(); ++i)
      if (std::abs(x[i] - y[i]) > tolerance * std::max(1.0, std::abs(x[i]))) return true;
    return false;
  };
  if (differ(a.spacing, b.spacing, 1e-4)) return "spacing " + list_text(a.spacing) + " against " + list_text(b.spacing);
  if (differ(a.origin, b.origin, 0.01 * smallest)) return "origin " + list_text(a.origin) + " against " + list_text(b.origin);
  if (differ(a.direction, b.direction, 1e-4)) return "direction " + list_text(a.direction) + " against " + list_text(b.direction);
  return "";
}

}  // namespace fuse::data
