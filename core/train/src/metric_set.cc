#include "metric_set.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse_sdk/dtype.hpp"

namespace fuse::train {

MetricSet::MetricSet(const Registry& registry, const std::vector<MetricSpec>& specs, bool train_split) : registry_(registry) {
  for (const MetricSpec& s : specs) {
    if (train_split ? !s.train : !s.validation) continue;
    // Metrics of one component and config (Dice and HD95 outputs of one segmentation metric) share an instance:
    // its rows are seen, and its distances computed, once.
    size_t shared = 0;
    while (shared < owners_.size() && !(specs_[owners_[shared]].component == s.component && specs_[owners_[shared]].config == s.config)) ++shared;
    if (shared == owners_.size()) {
      try {
        metrics_.push_back(registry.create_metric(s.component, s.config));
      } catch (const Error& e) {
        throw Error(e.code(), s.where + ": metric '" + s.name + "': " + e.what());
      }
      owners_.push_back(specs_.size());
    }
    instance_.push_back(shared);
    specs_.push_back(s);
  }
}

void MetricSet::reset() {
  for (Metric& m : metrics_) m.reset();
}

void MetricSet::update(const NDict& batch) {
  for (size_t j = 0; j < metrics_.size(); ++j) {
    const MetricSpec& s = specs_[owners_[j]];
    try {
      metrics_[j].update(batch);
    } catch (const Error& e) {
      throw Error(e.code(), s.where + ": metric '" + s.name + "': " + e.what());
    }
  }
}

void MetricSet::merge(const MetricSet& other) {
  for (size_t j = 0; j < metrics_.size(); ++j) metrics_[j].merge(other.metrics_[j]);
}

void MetricSet::merge_ranks(Communicator& communicator, const std::string& what) {
  if (metrics_.empty()) return;
  // One gather for all metrics: each state as its length (16 hex digits) and its bytes.
  std::string mine;
  for (Metric& m : metrics_) {
    const std::string state = m.save_state();
    char length[24];
    std::snprintf(length, sizeof length, "%016zx", state.size());
    mine += length + state;
  }
  const std::vector<std::string> all = communicator.all_gather(mine, what);
  std::vector<size_t> at(all.size(), 0);
  for (size_t i = 0; i < metrics_.size(); ++i) {
    const MetricSpec& s = specs_[owners_[i]];
    try {
      // Rebuilt from the gathered bytes on every rank, own state included: bit-identical results everywhere.
      std::optional<Metric> merged;
      for (size_t r = 0; r < all.size(); ++r) {
        const size_t length = std::stoull(all[r].substr(at[r], 16), nullptr, 16);
        Metric part = registry_.create_metric(s.component, s.config);
        part.load_state(std::string_view(all[r]).substr(at[r] + 16, length));
        at[r] += 16 + length;
        if (!merged) merged.emplace(std::move(part));
        else merged->merge(part);
      }
      metrics_[i] = std::move(*merged);
    } catch (const Error& e) {
      throw Error(e.code(), s.where + ": metric '" + s.name + "': merging the ranks' results: " + e.what());
    }
  }
}

namespace {

// "dice.1", "dice.2", ...: the elements of a short 1-D numeric output (per-class values), which `output` may
// name. They are numbered by the result's "classes" (the class ids a segmentation or detection metric reports)
// when it has one of the same length, else from 0.
void add_elements(const NDict& result, const std::string& key, const Tensor& t, std::vector<std::pair<std::string, double>>& out) {
  if (key == "classes" || t.ndim() != 1 || t.numel() > 256 || !t.is_contiguous()) return;
  std::vector<int64_t> ids(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  if (const Value* c = result.find("classes"); c && c->is<Tensor>() && c->as<Tensor>().numel() == t.numel() &&
                                                sdk::dtype_eq(c->as<Tensor>().dtype(), sdk::kInt64) && c->as<Tensor>().is_contiguous())
    ids.assign(c->as<Tensor>().data<int64_t>(), c->as<Tensor>().data<int64_t>() + t.numel());
  sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (size_t i = 0; i < ids.size(); ++i) out.emplace_back(key + "." + std::to_string(ids[i]), static_cast<double>(p[i]));
  });
}

}  // namespace

std::vector<std::pair<std::string, double>> MetricSet::compute() {
  return named([&](size_t j) { return metrics_[j].compute(); });
}

std::vector<std::pair<std::string, double>> MetricSet::compute_weighted(const uint8_t* counts, size_t rows) const {
  for (size_t j = 0; j < metrics_.size(); ++j)
    if (!metrics_[j].supports_weighted()) {
      const MetricSpec& s = specs_[owners_[j]];
      throw Error(Errc::kUnsupported, s.where + ": metric '" + s.name + "' (" + s.component +
                                          ") cannot weigh its rows (no compute_weighted), so it has no per-case values or intervals");
    }
  return named([&](size_t j) { return metrics_[j].compute_weighted(nullptr, counts, rows); });
}

std::vector<std::pair<std::string, double>> MetricSet::named(const std::function<NDict(size_t)>& compute) const {
  // Each instance computed once; an undefined result (Errc::kNumeric, e.g. one class in the epoch) is NaN.
  std::vector<std::optional<NDict>> results(metrics_.size());
  for (size_t j = 0; j < metrics_.size(); ++j) {
    const MetricSpec& s = specs_[owners_[j]];
    try {
      results[j] = compute(j);
    } catch (const Error& e) {
      if (e.code() != Errc::kNumeric) throw Error(e.code(), s.where + ": metric '" + s.name + "': " + e.what());
    }
  }
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < specs_.size(); ++i) add_named(i, results[instance_[i]] ? &*results[instance_[i]] : nullptr, out);
  return out;
}

void MetricSet::add_named(size_t i, const NDict* computed, std::vector<std::pair<std::string, double>>& out) const {
  const MetricSpec& s = specs_[i];
  if (computed == nullptr) {
    out.emplace_back(s.name, std::numeric_limits<double>::quiet_NaN());  // undefined here
    return;
  }
  const NDict& result = *computed;
  std::vector<std::pair<std::string, double>> scalars;
  const auto flat = result.flatten();
  for (const auto& [key, v] : flat) {
    if (v->is<double>()) scalars.emplace_back(key, v->as<double>());
    else if (v->is<int64_t>()) scalars.emplace_back(key, static_cast<double>(v->as<int64_t>()));
  }
  const std::string own = s.component.substr(s.component.rfind('.') + 1);
  const std::string chosen = !s.output.empty() ? s.output : own;
  bool found = false;
  for (const auto& [key, value] : scalars)
    if (key == chosen) out.emplace_back(s.name, value), found = true;
  if (!s.output.empty() && !found) {
    // An element of a per-class output ("dice.2": class 2's Dice), looked up only when asked for by name.
    std::vector<std::pair<std::string, double>> elements;
    for (const auto& [key, v] : flat)
      if (v->is<Tensor>()) add_elements(result, key, v->as<Tensor>(), elements);
    for (const auto& [key, value] : elements)
      if (!found && key == s.output) out.emplace_back(s.name, value), found = true;
    if (!found) {
      std::vector<std::string> names;
      for (const auto& [key, value] : scalars) names.push_back(key);
      for (const auto& [key, value] : elements) names.push_back(key);
      throw Error(Errc::kKeyNotFound, s.where + ": metric '" + s.name + "': no output '" + s.output + "'" + did_you_mean(s.output, names) +
                                          " (outputs: " + join(names, ", ") + ")");
    }
  }
  if (!s.output.empty()) return;
  for (const auto& [key, value] : scalars)
    if (key != chosen) out.emplace_back(found || scalars.size() > 1 ? s.name + "." + key : s.name, value);
}

}  // namespace fuse::train
