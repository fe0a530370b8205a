#include "ensemble_postprocess.h"

#include <algorithm>

#include "fuse/base/error.h"
#include "ensemble_mean.h"
#include "torch_view.h"

namespace fuse::train {

namespace {

bool same_step(const data::Step& a, const data::Step& b) {
  return a.op == b.op && a.config == b.config && a.repeat == b.repeat && a.apply_if == b.apply_if && a.apply_if_present == b.apply_if_present &&
         a.apply_probability == b.apply_probability;
}

// Whether a postprocess changed or made `after` (a tensor it replaced holds another buffer; tensors are
// compared without reading them, so device tensors are fine).
bool changed(const Value* before, const Value& after) {
  if (before == nullptr) return true;
  if (before->is<Tensor>() && after.is<Tensor>()) return !before->as<Tensor>().shares_buffer_with(after.as<Tensor>());
  return before->is<Tensor>() != after.is<Tensor>() || !(*before == after);
}

// The most frequent of `values` (ties: the earliest).
const Value& most_frequent(const std::vector<Value>& values) {
  size_t best = 0, best_count = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t count = static_cast<size_t>(std::count(values.begin(), values.end(), values[i]));
    if (count > best_count) best = i, best_count = count;
  }
  return values[best];
}

std::string refusal(const std::vector<std::string>& names, size_t i) {
  return "an ensemble combines what its models' postprocesses write, but the postprocess of '" + names[i] + "'";
}

Value combine(const std::string& key, const std::vector<Value>& values, const std::vector<std::string>& names, const std::string& kind) {
  if (std::all_of(values.begin(), values.end(), [](const Value& v) { return v.is<double>(); })) {
    double sum = 0;
    for (const Value& v : values) sum += v.as<double>();
    return Value(sum / static_cast<double>(values.size()));
  }
  if (!std::all_of(values.begin(), values.end(), [](const Value& v) { return v.is<Tensor>(); })) return most_frequent(values);
  std::vector<torch::Tensor> all;
  for (size_t i = 0; i < values.size(); ++i) {
    all.push_back(view(values[i].as<Tensor>()));
    if (!all[i].sizes().equals(all[0].sizes()) || all[i].scalar_type() != all[0].scalar_type())
      throw Error(Errc::kShape, refusal(names, i) + " makes '" + key + "' " + values[i].as<Tensor>().description() + " and the first " + kind + "'s ('" +
                                    names[0] + "') " + values[0].as<Tensor>().description());
  }
  return Value(wrap(ensemble_mean(all)));
}

}  // namespace

size_t shared_prefix(const std::vector<data::Step>& a, const std::vector<data::Step>& b) {
  size_t k = 0;
  while (k < a.size() && k < b.size() && same_step(a[k], b[k])) ++k;
  return k;
}

size_t index_of(std::vector<std::vector<data::Step>>& distinct, const std::vector<data::Step>& steps) {
  for (size_t g = 0; g < distinct.size(); ++g)
    if (distinct[g].size() == steps.size() && shared_prefix(distinct[g], steps) == steps.size()) return g;
  distinct.push_back(steps);
  return distinct.size() - 1;
}

void combine_postprocessed(NDict& out, const std::vector<NDict>& before, const std::vector<NDict>& after, const std::vector<std::string>& names,
                           const std::string& kind) {
  std::vector<std::string> written;  // by the first model's postprocess, in its order
  for (size_t i = 0; i < after.size(); ++i)
    for (const auto& [k, v] : after[i].flatten()) {
      if (!changed(before[i].find(k), *v)) continue;
      if (i == 0) written.push_back(k);
      else if (std::find(written.begin(), written.end(), k) == written.end())  // a mean over some models only would mislead
        throw Error(Errc::kInvalidArgument, refusal(names, i) + " writes '" + k + "', which the first " + kind + "'s ('" + names[0] + "') does not");
    }
  for (const std::string& k : written) {
    std::vector<Value> values;
    for (size_t i = 0; i < after.size(); ++i) {
      const Value* v = after[i].find(k);
      if (v == nullptr)
        throw Error(Errc::kKeyNotFound, refusal(names, i) + " writes no '" + k + "', which the first " + kind + "'s ('" + names[0] + "') writes");
      values.push_back(*v);
      out.set(k + "_m" + std::to_string(i), *v);
    }
    out.set(k, combine(k, values, names, kind));
  }
}

}  // namespace fuse::train
