#include "loss_terms.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "tensor_math.h"

namespace fuse::train {

namespace {

// The count of each class in one training target: a class label (a number, or a tensor of one element) counts
// once; a label map (a tensor of more) counts its voxels. Returns whether it was a label map.
bool count_target(const Value& v, std::map<int64_t, double>& counts) {
  std::optional<int64_t> label;
  if (v.is<int64_t>()) label = v.as<int64_t>();
  if (v.is<bool>()) label = v.as<bool>() ? 1 : 0;
  if (v.is<double>() && v.as<double>() == std::floor(v.as<double>())) label = static_cast<int64_t>(v.as<double>());
  if (label) {
    if (*label < 0) throw Error(Errc::kType, "it holds " + std::to_string(*label));
    counts[*label] += 1;
    return false;
  }
  if (!v.is<Tensor>() || v.as<Tensor>().numel() == 0) throw Error(Errc::kType, std::string("it holds a ") + v.type_name() + " (" + v.summary() + ")");
  const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
  std::map<int64_t, double> mine;
  const bool known = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) {
      const double x = static_cast<double>(p[i]);
      if (x < 0 || x != std::floor(x)) throw Error(Errc::kType, "its tensor holds " + json::format_number(x));
      mine[static_cast<int64_t>(x)] += 1;
    }
  });
  if (!known) throw Error(Errc::kType, "its tensor has dtype " + sdk::dtype_name(t.dtype()));
  for (const auto& [value, n] : mine) counts[value] += n;
  return t.numel() > 1;
}

// Calls `each(id, value)` with every sample's `key`: from the source, else from the static pipeline's output.
// `what` ("class weights") starts the error for a sample without it.
template <class Each>
void for_each_target(data::Dataset& dataset, const std::string& key, const std::string& what, Each&& each) {
  std::optional<data::Dataset::Worker> worker;
  for (size_t i = 0; i < dataset.size(); ++i) {
    const std::string& id = dataset.sample(i).id;
    const Value* v = dataset.sample(i).values.find(key);
    std::optional<NDict> s;
    if (v == nullptr) {
      if (!worker) worker.emplace(dataset.worker());
      s = worker->get_static(i);
      v = s ? s->find(key) : nullptr;
    }
    if (v == nullptr) throw Error(Errc::kKeyNotFound, what + ": sample '" + id + "' has no '" + key + "'");
    each(id, *v);
  }
}

}  // namespace

LabelWeights label_pos_weights(data::Dataset& dataset, const std::string& key) {
  LabelWeights out;
  std::vector<double> positives;
  for_each_target(dataset, key, "positive weights", [&](const std::string& id, const Value& v) {
    std::vector<double> labels;
    if (v.is<Tensor>()) {
      const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
      labels.resize(static_cast<size_t>(t.numel()));
      const bool known = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
        const auto* p = t.data<decltype(tag)>();
        for (size_t k = 0; k < labels.size(); ++k) labels[k] = static_cast<double>(p[k]);
      });
      if (!known) throw Error(Errc::kType, "positive weights: '" + key + "' of sample '" + id + "' has dtype " + sdk::dtype_name(t.dtype()));
    } else if (v.is<int64_t>() || v.is<double>() || v.is<bool>()) {
      labels.push_back(v.is<bool>() ? (v.as<bool>() ? 1.0 : 0.0) : v.as_number());
    } else {
      throw Error(Errc::kType, "positive weights: '" + key + "' of sample '" + id + "' is a " + v.type_name() + ", not 0/1 labels");
    }
    if (out.samples == 0) positives.assign(labels.size(), 0);
    if (labels.size() != positives.size())
      throw Error(Errc::kInvalidArgument, "positive weights: '" + key + "' of sample '" + id + "' has " + std::to_string(labels.size()) +
                                              " labels, of earlier samples " + std::to_string(positives.size()));
    for (size_t k = 0; k < labels.size(); ++k) {
      if (labels[k] != 0 && labels[k] != 1)
        throw Error(Errc::kInvalidArgument, "positive weights: '" + key + "' of sample '" + id + "' holds " + json::format_number(labels[k]) +
                                                " at label " + std::to_string(k) + "; multi-label targets are 0 or 1");
      positives[k] += labels[k];
    }
    ++out.samples;
  });
  if (out.samples == 0) throw Error(Errc::kInvalidArgument, "positive weights: no training samples");
  const double n = static_cast<double>(out.samples);
  for (size_t k = 0; k < positives.size(); ++k) {
    if (positives[k] == 0 || positives[k] == n)
      throw Error(Errc::kInvalidArgument, "positive weights: label " + std::to_string(k) + " of '" + key + "' is " + (positives[k] == 0 ? "0" : "1") +
                                              " in every training sample");
    out.weights.push_back((n - positives[k]) / positives[k]);
  }
  out.positives = std::move(positives);
  return out;
}

ClassWeights class_weights(data::Dataset& dataset, const std::string& key, std::optional<int64_t> ignore) {
  std::map<int64_t, double> counts;
  std::optional<bool> label_maps;
  for_each_target(dataset, key, "class weights", [&](const std::string& id, const Value& value) {
    bool map = false;
    try {
      map = count_target(value, counts);
    } catch (const Error& e) {
      throw Error(e.code(), "class weights: '" + key + "' of sample '" + id + "' is neither a class label nor a label map (non-negative integers): " + e.what());
    }
    if (label_maps && *label_maps != map)
      throw Error(Errc::kType, "class weights: '" + key + "' of sample '" + id + "' is a " + (map ? "label map" : "class label") + ", of earlier samples a " +
                                   (map ? "class label" : "label map"));
    label_maps = map;
  });
  if (ignore) counts.erase(*ignore);
  if (counts.empty()) throw Error(Errc::kInvalidArgument, "class weights: no training samples");
  const int64_t classes = counts.rbegin()->first + 1;
  for (int64_t c = 0; c < classes; ++c)
    if (!counts.count(c))
      throw Error(Errc::kInvalidArgument, "class weights: class " + std::to_string(c) + " of '" + key + "' has no training " + (*label_maps ? "voxel" : "sample"));
  ClassWeights out;
  out.label_maps = *label_maps;
  out.weights.assign(static_cast<size_t>(classes), 1.0);
  for (int64_t c = 0; c < classes; ++c) out.counts.push_back(counts[c]);
  if (!out.label_maps) {
    for (int64_t c = 0; c < classes; ++c) out.weights[static_cast<size_t>(c)] = static_cast<double>(dataset.size()) / (static_cast<double>(classes) * counts[c]);
    return out;
  }
  if (classes == 1) throw Error(Errc::kInvalidArgument, "class weights: the label maps '" + key + "' hold only label 0 (background)");
  const double largest = *std::max_element(out.counts.begin() + 1, out.counts.end());
  for (int64_t c = 1; c < classes; ++c) out.weights[static_cast<size_t>(c)] = std::min(kMaxLabelMapWeight, std::sqrt(largest / counts[c]));
  return out;
}

ClassWeights region_weights(const ClassWeights& classes, const std::vector<std::vector<int64_t>>& regions, const std::string& key) {
  ClassWeights out;
  out.label_maps = true;
  for (size_t r = 0; r < regions.size(); ++r) {
    double voxels = 0;
    for (int64_t l : regions[r])
      if (l >= 0 && l < static_cast<int64_t>(classes.counts.size())) voxels += classes.counts[static_cast<size_t>(l)];
    if (voxels == 0) throw Error(Errc::kInvalidArgument, "class weights: region " + std::to_string(r + 1) + " of '" + key + "' has no training voxel");
    out.counts.push_back(voxels);
  }
  const double largest = *std::max_element(out.counts.begin(), out.counts.end());
  for (double voxels : out.counts) out.weights.push_back(std::min(kMaxLabelMapWeight, std::sqrt(largest / voxels)));
  return out;
}

namespace {

// The loss's 'regions' as lists of labels (a region a label or a list of them); empty when unset or not of that
// form (the loss itself says what is wrong with it).
std::vector<std::vector<int64_t>> regions_of(const boost::json::object& config) {
  std::vector<std::vector<int64_t>> regions;
  const boost::json::value* v = config.if_contains("regions");
  if (v == nullptr || !v->is_array()) return {};
  for (const boost::json::value& r : v->as_array()) {
    std::vector<int64_t> labels;
    if (r.is_int64()) labels.push_back(r.as_int64());
    else if (r.is_array())
      for (const boost::json::value& l : r.as_array()) {
        if (!l.is_int64()) return {};
        labels.push_back(l.as_int64());
      }
    else return {};
    regions.push_back(std::move(labels));
  }
  return regions;
}

// A term's weight in a note: 3 digits.
std::string weight_text(double w) {
  char text[16];
  std::snprintf(text, sizeof text, "%.3g", w);
  return text;
}

}  // namespace

LossTerms::LossTerms(const Registry& registry, const std::vector<LossSpec>& specs, data::Dataset& train) : specs_(specs) {
  for (const LossSpec& s : specs) {
    boost::json::object config = s.config;
    if (!s.auto_weights.empty()) {
      const boost::json::value* target = config.if_contains("target");
      if (target == nullptr || !target->is_string())
        throw Error(Errc::kConfig, s.where + ": loss '" + s.name + "': \"" + s.auto_weights[0] + "\": \"auto\" needs the loss's 'target' key");
      const std::string key(target->as_string());
      const boost::json::value* ignore_label = config.if_contains("ignore_label");
      const std::optional<int64_t> ignore = ignore_label != nullptr && ignore_label->is_int64() ? std::optional<int64_t>(ignore_label->as_int64()) : std::nullopt;
      std::vector<double> fitted, counts;
      std::string counted;  // what the counts are, for the output line
      try {
        if (s.auto_weights[0] == "pos_weights") {  // multi-label: per label, negatives / positives
          const LabelWeights w = label_pos_weights(train, key);
          fitted = w.weights, counts = w.positives;
          counted = "positives of label 0.." + std::to_string(fitted.size() - 1) + " among the " + std::to_string(w.samples) + " training targets '" + key + "'";
        } else if (const std::vector<std::vector<int64_t>> regions = regions_of(config); !regions.empty()) {  // per region of labels
          const ClassWeights w = region_weights(class_weights(train, key, ignore), regions, key);
          fitted = w.weights, counts = w.counts;
          counted = "voxels of region 1.." + std::to_string(fitted.size()) + " in the training label maps '" + key + "'";
        } else {
          const ClassWeights w = class_weights(train, key, ignore);
          fitted = w.weights, counts = w.counts;
          counted = std::string(w.label_maps ? "voxels" : "samples") + " of class 0.." + std::to_string(fitted.size() - 1) + " in the training " +
                    (w.label_maps ? "label maps '" : "targets '") + key + "'";
        }
      } catch (const Error& e) {
        throw Error(e.code(), s.where + ": loss '" + s.name + "': " + e.what());
      }
      boost::json::array w;
      std::vector<std::string> weights, count_texts;
      for (size_t c = 0; c < fitted.size(); ++c) {
        w.push_back(fitted[c]);
        weights.push_back(json::format_number(fitted[c]));
        count_texts.push_back(json::format_number(counts[c]));
      }
      for (const std::string& field : s.auto_weights) config[field] = w;
      notes_.push_back("loss '" + s.name + "': " + join(s.auto_weights, " and ") + " [" + join(weights, ", ") + "] (" + counted + ": " + join(count_texts, ", ") + ")");
    }
    try {
      losses_.push_back(registry.create_loss(s.component, config));
    } catch (const Error& e) {
      throw Error(e.code(), s.where + ": loss '" + s.name + "': " + e.what());
    }
    supervision_.push_back(supervision(registry, s, config));
    if (!s.deep_supervision.empty()) {
      const boost::json::value* pred = config.if_contains("pred");
      std::vector<std::string> terms{(pred && pred->is_string() ? std::string(pred->as_string()) : "pred") + " " + weight_text(supervision_.back().weights[0])};
      for (size_t k = 0; k < s.deep_supervision.size(); ++k) terms.push_back(s.deep_supervision[k] + " " + weight_text(supervision_.back().weights[k + 1]));
      notes_.push_back("loss '" + s.name + "': deep supervision, weights " + join(terms, ", ") + " (validation: the first alone)");
    }
    pre_.push_back(s.pre.empty() ? nullptr : std::make_unique<data::Pipeline>(registry, s.pre, "loss '" + s.name + "' preprocessing"));
    names_.push_back(s.name);
  }
}

LossTerms::Supervision LossTerms::supervision(const Registry& registry, const LossSpec& s, boost::json::object config) {
  Supervision out;
  if (s.deep_supervision.empty()) return out;
  const std::vector<ConfigField>& fields = registry.component(s.component).config;
  const auto has = [&](const char* name) { return std::any_of(fields.begin(), fields.end(), [&](const ConfigField& f) { return f.name == name; }); };
  if (!has("pred") || !has("resize_target"))
    throw Error(Errc::kConfig, s.where + ": loss '" + s.name + "': 'deep_supervision' needs a loss of one prediction 'pred' that resizes its target "
                                         "('resize_target'), as fuse.losses.cross_entropy, dice, dice_ce, dice_focal, focal and tversky do; " + s.component + " does not");
  out.weights.push_back(1.0);
  for (const std::string& key : s.deep_supervision) {
    config["pred"] = key;
    config["resize_target"] = true;
    try {
      out.losses.push_back(registry.create_loss(s.component, config));
    } catch (const Error& e) {
      throw Error(e.code(), s.where + ": loss '" + s.name + "' on deep supervision's '" + key + "': " + e.what());
    }
    out.weights.push_back(out.weights.back() / 2);
  }
  double sum = 0;
  for (double w : out.weights) sum += w;
  for (double& w : out.weights) w /= sum;
  return out;
}

void LossTerms::check_keys(const NDict& batch, const std::vector<std::string>& model_outputs) const {
  for (size_t i = 0; i < losses_.size(); ++i)
    for (const std::string& key : losses_[i].reads())
      if (!batch.has(key))
        throw Error(Errc::kKeyNotFound, specs_[i].where + ": loss '" + specs_[i].name + "' reads '" + key +
                                            "', which neither the data nor the model provides" + did_you_mean(key, model_outputs) +
                                            " (the model writes: " + join(model_outputs, ", ") + ")");
}

namespace {

// grads += factor * mine, key by key.
void add_grads(NDict& grads, const NDict& mine, double factor) {
  for (const auto& [key, g] : mine.flatten()) {
    if (!g->is<Tensor>()) continue;
    Tensor scaled = factor == 1.0 ? g->as<Tensor>() : scale_tensor(g->as<Tensor>(), factor);
    if (Value* existing = grads.find(key)) existing->as<Tensor>() = add_tensors(existing->as<Tensor>(), scaled, key);
    else grads.set(key, Value(std::move(scaled)));
  }
}

}  // namespace

LossTerms::Values LossTerms::compute(const NDict& batch, NDict* grads, int64_t optimizer_step, double scale) {
  Values v;
  for (size_t i = 0; i < losses_.size(); ++i) {
    const LossSpec& spec = specs_[i];
    const bool warming = optimizer_step < spec.warmup_steps;
    const bool differentiate = grads != nullptr && !warming;
    // On a copy: tensors are shared, the preprocessing's changes stay with this loss.
    std::optional<NDict> prepared;
    if (pre_[i]) {
      prepared = batch;
      pre_[i]->run(*prepared, 0, -1, -1, false);
    }
    const NDict& in = prepared ? *prepared : batch;
    NDict mine;
    double value = losses_[i].forward(in, differentiate ? &mine : nullptr);
    std::vector<std::pair<NDict, double>> terms;  // the gradients of each term, with its weight
    terms.emplace_back(std::move(mine), 1.0);
    Supervision& sup = supervision_[i];
    if (!sup.losses.empty() && in.has(spec.deep_supervision[0])) {
      terms[0].second = sup.weights[0];
      double combined = sup.weights[0] * value;
      for (size_t k = 0; k < sup.losses.size(); ++k) {
        if (!in.has(spec.deep_supervision[k]))
          throw Error(Errc::kKeyNotFound, spec.where + ": loss '" + spec.name + "': deep supervision's '" + spec.deep_supervision[k] +
                                              "' is not in the batch, though '" + spec.deep_supervision[0] + "' is: the model writes it in training " +
                                              "(fuse.models.unet's 'deep_supervision' names its keys, 1/2 the size first)");
        NDict lower;
        combined += sup.weights[k + 1] * sup.losses[k].forward(in, differentiate ? &lower : nullptr);
        terms.emplace_back(std::move(lower), sup.weights[k + 1]);
      }
      value = combined;
    } else if (!sup.losses.empty() && grads != nullptr) {
      throw Error(Errc::kKeyNotFound, spec.where + ": loss '" + spec.name + "': deep supervision's '" + spec.deep_supervision[0] +
                                          "' is not in the training batch: the model writes it in training only when it names it (fuse.models.unet's " +
                                          "'deep_supervision': [\"" + spec.deep_supervision[0] + "\", ...])");
    }
    v.each.push_back(value);
    if (warming) continue;
    v.total += spec.weight * value;
    if (grads == nullptr) continue;
    for (const auto& [term, weight] : terms) add_grads(*grads, term, spec.weight * scale * weight);
  }
  return v;
}

}  // namespace fuse::train
