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
    const MetricSpec& s = specs_[i];
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
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < metrics_.size(); ++i) add_named(i, [&] { return metrics_[i].compute(); }, out);
  return out;
}

std::vector<std::pair<std::string, double>> MetricSet::compute_weighted(const uint8_t* counts, size_t rows) const {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < metrics_.size(); ++i) {
    if (!metrics_[i].supports_weighted())
      throw Error(Errc::kUnsupported, specs_[i].where + ": metric '" + specs_[i].name + "' (" + specs_[i].component +
                                          ") cannot weigh its rows (no compute_weighted), so it has no per-case values or intervals");
    add_named(i, [&] { return metrics_[i].compute_weighted(nullptr, counts, rows); }, out);
  }
  return out;
}

void MetricSet::add_named(size_t i, const std::function<NDict()>& compute, std::vector<std::pair<std::string, double>>& out) const {
  const MetricSpec& s = specs_[i];
  NDict result;
  try {
    result = compute();
  } catch (const Error& e) {
    if (e.code() != Errc::kNumeric) throw Error(e.code(), s.where + ": metric '" + s.name + "': " + e.what());
    out.emplace_back(s.name, std::numeric_limits<double>::quiet_NaN());  // undefined here
    return;
  }
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
