#include "metric_set.h"

#include <cmath>
#include <limits>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"

namespace fuse::train {

MetricSet::MetricSet(const Registry& registry, const std::vector<MetricSpec>& specs, bool train_split) {
  for (const MetricSpec& s : specs) {
    if (train_split ? !s.train : !s.validation) continue;
    try {
      metrics_.push_back(registry.create_metric(s.component, s.config));
    } catch (const Error& e) {
      throw Error(e.code(), s.where + ": metric '" + s.name + "': " + e.what());
    }
    specs_.push_back(s);
  }
}

void MetricSet::reset() {
  for (Metric& m : metrics_) m.reset();
}

void MetricSet::update(const NDict& batch) {
  for (size_t i = 0; i < metrics_.size(); ++i) {
    try {
      metrics_[i].update(batch);
    } catch (const Error& e) {
      throw Error(e.code(), specs_[i].where + ": metric '" + specs_[i].name + "': " + e.what());
    }
  }
}

std::vector<std::pair<std::string, double>> MetricSet::compute() {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < metrics_.size(); ++i) {
    const MetricSpec& s = specs_[i];
    NDict result;
    try {
      result = metrics_[i].compute();
    } catch (const Error& e) {
      if (e.code() != Errc::kNumeric) throw Error(e.code(), s.where + ": metric '" + s.name + "': " + e.what());
      out.emplace_back(s.name, std::numeric_limits<double>::quiet_NaN());  // undefined this epoch
      continue;
    }
    std::vector<std::pair<std::string, double>> scalars;
    for (const auto& [key, v] : result.flatten()) {
      if (v->is<double>()) scalars.emplace_back(key, v->as<double>());
      else if (v->is<int64_t>()) scalars.emplace_back(key, static_cast<double>(v->as<int64_t>()));
    }
    const std::string own = s.component.substr(s.component.rfind('.') + 1);
    const std::string chosen = !s.output.empty() ? s.output : own;
    bool found = false;
    for (const auto& [key, value] : scalars)
      if (key == chosen) out.emplace_back(s.name, value), found = true;
    if (!s.output.empty() && !found) {
      std::vector<std::string> names;
      for (const auto& [key, value] : scalars) names.push_back(key);
      throw Error(Errc::kKeyNotFound, s.where + ": metric '" + s.name + "': no output '" + s.output + "'" + did_you_mean(s.output, names) +
                                          " (outputs: " + join(names, ", ") + ")");
    }
    if (!s.output.empty()) continue;
    for (const auto& [key, value] : scalars)
      if (key != chosen) out.emplace_back(found || scalars.size() > 1 ? s.name + "." + key : s.name, value);
  }
  return out;
}

}  // namespace fuse::train
