#include "loss_terms.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "tensor_math.h"

namespace fuse::train {

namespace {

std::optional<int64_t> label_of(const Value& v) {
  if (v.is<int64_t>()) return v.as<int64_t>();
  if (v.is<bool>()) return v.as<bool>() ? 1 : 0;
  if (v.is<double>() && v.as<double>() == std::floor(v.as<double>())) return static_cast<int64_t>(v.as<double>());
  if (v.is<Tensor>() && v.as<Tensor>().numel() == 1) {
    std::optional<int64_t> out;
    const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
    sdk::dispatch_dtype(t.dtype(), [&](auto tag) { out = static_cast<int64_t>(t.data<decltype(tag)>()[0]); });
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::vector<double> class_weights(data::Dataset& dataset, const std::string& key) {
  std::map<int64_t, double> counts;
  std::optional<data::Dataset::Worker> worker;
  for (size_t i = 0; i < dataset.size(); ++i) {
    const Value* v = dataset.sample(i).values.find(key);
    std::optional<NDict> s;
    if (v == nullptr) {
      if (!worker) worker.emplace(dataset.worker());
      s = worker->get_static(i);
      v = s ? s->find(key) : nullptr;
    }
    if (v == nullptr) throw Error(Errc::kKeyNotFound, "class weights: sample '" + dataset.sample(i).id + "' has no '" + key + "'");
    const std::optional<int64_t> label = label_of(*v);
    if (!label || *label < 0)
      throw Error(Errc::kType, "class weights: '" + key + "' of sample '" + dataset.sample(i).id + "' is not a class label (a non-negative integer)");
    counts[*label] += 1;
  }
  if (counts.empty()) throw Error(Errc::kInvalidArgument, "class weights: no training samples");
  const int64_t classes = counts.rbegin()->first + 1;
  std::vector<double> w(static_cast<size_t>(classes), 0.0);
  for (int64_t c = 0; c < classes; ++c) {
    const auto it = counts.find(c);
    if (it == counts.end()) throw Error(Errc::kInvalidArgument, "class weights: class " + std::to_string(c) + " of '" + key + "' has no training sample");
    w[static_cast<size_t>(c)] = static_cast<double>(dataset.size()) / (static_cast<double>(classes) * it->second);
  }
  return w;
}

LossTerms::LossTerms(const Registry& registry, const std::vector<LossSpec>& specs, data::Dataset& train) : specs_(specs) {
  for (const LossSpec& s : specs) {
    boost::json::object config = s.config;
    if (s.auto_class_weights) {
      const boost::json::value* target = config.if_contains("target");
      if (target == nullptr || !target->is_string())
        throw Error(Errc::kConfig, s.where + ": loss '" + s.name + "': \"class_weights\": \"auto\" needs the loss's 'target' key");
      boost::json::array w;
      for (double x : class_weights(train, std::string(target->as_string()))) w.push_back(x);
      config["class_weights"] = std::move(w);
    }
    try {
      losses_.push_back(registry.create_loss(s.component, config));
    } catch (const Error& e) {
      throw Error(e.code(), s.where + ": loss '" + s.name + "': " + e.what());
    }
    pre_.push_back(s.pre.empty() ? nullptr : std::make_unique<data::Pipeline>(registry, s.pre, "loss '" + s.name + "' preprocessing"));
    names_.push_back(s.name);
    configs_.push_back(std::move(config));
  }
}

void LossTerms::check_keys(const NDict& batch, const std::vector<std::string>& model_outputs) const {
  for (size_t i = 0; i < losses_.size(); ++i)
    for (const std::string& key : losses_[i].reads())
      if (!batch.has(key))
        throw Error(Errc::kKeyNotFound, specs_[i].where + ": loss '" + specs_[i].name + "' reads '" + key +
                                            "', which neither the data nor the model provides" + did_you_mean(key, model_outputs) +
                                            " (the model writes: " + join(model_outputs, ", ") + ")");
}

LossTerms::Values LossTerms::compute(const NDict& batch, NDict* grads, int64_t optimizer_step, double scale) {
  Values v;
  for (size_t i = 0; i < losses_.size(); ++i) {
    const bool warming = optimizer_step < specs_[i].warmup_steps;
    NDict mine;
    double value = 0;
    if (pre_[i]) {
      // On a copy: tensors are shared, the preprocessing's changes stay with this loss.
      NDict prepared = batch;
      pre_[i]->run(prepared, 0, -1, -1, false);
      value = losses_[i].forward(prepared, grads && !warming ? &mine : nullptr);
    } else {
      value = losses_[i].forward(batch, grads && !warming ? &mine : nullptr);
    }
    v.each.push_back(value);
    if (warming) continue;
    v.total += specs_[i].weight * value;
    if (grads == nullptr) continue;
    const double factor = specs_[i].weight * scale;
    for (const auto& [key, g] : mine.flatten()) {
      if (!g->is<Tensor>()) continue;
      Tensor scaled = factor == 1.0 ? g->as<Tensor>() : scale_tensor(g->as<Tensor>(), factor);
      if (Value* existing = grads->find(key)) existing->as<Tensor>() = add_tensors(existing->as<Tensor>(), scaled, key);
      else grads->set(key, Value(std::move(scaled)));
    }
  }
  return v;
}

}  // namespace fuse::train
