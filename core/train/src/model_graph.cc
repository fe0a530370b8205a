#include "fuse/train/model_graph.h"

#include <algorithm>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "tensor_math.h"

namespace fuse::train {

void ModelGraph::add(std::string name, Model model) {
  for (const std::string& n : component_names())
    if (n == name) throw Error(Errc::kConfig, "model: two components are named '" + name + "'");
  Node n;
  n.name = name;
  n.owner = models_.size();
  n.inputs = model.reads();
  const std::vector<std::string> optional = model.optional_writes();
  for (const std::string& k : model.writes())
    (std::count(optional.begin(), optional.end(), k) ? n.optional_outputs : n.outputs).push_back(k);
  models_.push_back(std::make_unique<Model>(std::move(model)));
  model_names_.push_back(std::move(name));
  // A component reading a key an earlier one writes gets input gradients.
  n.input_grads = reads_an_output(n);
  nodes_.push_back(std::move(n));
}

void ModelGraph::add_shared(std::string name, const std::string& of, std::map<std::string, std::string> renames) {
  auto owner = std::find(model_names_.begin(), model_names_.end(), of);
  if (owner == model_names_.end())
    throw Error(Errc::kConfig, "model: component '" + name + "' shares the weights of '" + of + "', which is not defined before it" +
                                   did_you_mean(of, model_names_));
  Node n;
  n.name = std::move(name);
  n.owner = static_cast<size_t>(owner - model_names_.begin());
  const Model& m = *models_[n.owner];
  std::set<std::string> own;
  for (const std::string& k : m.reads()) own.insert(k);
  for (const std::string& k : m.writes()) own.insert(k);
  for (const auto& [from, to] : renames)
    if (!own.count(from))
      throw Error(Errc::kConfig, "model: component '" + n.name + "' renames '" + from + "', which '" + of + "' neither reads nor writes (" +
                                     join(std::vector<std::string>(own.begin(), own.end()), ", ") + ")");
  n.renames = std::move(renames);
  for (const std::string& k : m.reads()) n.inputs.push_back(batch_key(n, k));
  const std::vector<std::string> optional = m.optional_writes();
  for (const std::string& k : m.writes())
    (std::count(optional.begin(), optional.end(), k) ? n.optional_outputs : n.outputs).push_back(batch_key(n, k));
  n.input_grads = reads_an_output(n);
  nodes_.push_back(std::move(n));
}

bool ModelGraph::reads_an_output(const Node& n) const {
  for (const std::string& in : n.inputs)
    for (const Node& earlier : nodes_)
      for (const std::vector<std::string>* keys : {&earlier.outputs, &earlier.optional_outputs})
        if (std::find(keys->begin(), keys->end(), in) != keys->end()) return true;
  return false;
}

std::string ModelGraph::batch_key(const Node& n, const std::string& own) const {
  auto it = n.renames.find(own);
  return it == n.renames.end() ? own : it->second;
}

void ModelGraph::forward(NDict& batch, const CallContext& context) {
  for (const Node& n : nodes_) {
    Model& m = *models_[n.owner];
    CallContext c = context;
    c.input_grads = context.training && n.input_grads;
    if (n.renames.empty()) {
      m.forward(batch, c);
      continue;
    }
    // Another application of shared weights: the component's own keys in a scratch dict.
    NDict scratch;
    for (const std::string& k : m.reads()) scratch.set(k, batch.at(batch_key(n, k)));
    m.forward(scratch, c);
    for (const std::string& k : m.writes())
      if (const Value* v = scratch.find(k)) batch.set(batch_key(n, k), *v);
  }
}

void ModelGraph::backward(NDict grads, const CallContext& context, const std::function<void(const std::string&)>& done) {
  // A component's gradients are final once its first application (in forward order) has run its backward.
  std::vector<size_t> first(models_.size(), nodes_.size());
  for (size_t i = nodes_.size(); i-- > 0;) first[nodes_[i].owner] = i;
  for (size_t i = nodes_.size(); i-- > 0;) {
    const Node& n = nodes_[i];
    Model& m = *models_[n.owner];
    NDict out_grads;
    bool any = false;
    for (const std::string& k : m.writes())
      if (const Value* g = grads.find(batch_key(n, k))) {
        out_grads.set(k, *g);
        any = true;
      }
    if (any) {  // else nothing downstream of this component reached the loss
      NDict in_grads;
      m.backward(out_grads, in_grads, context);
      for (const auto& [k, v] : in_grads.flatten()) {
        if (!v->is<Tensor>()) continue;
        const std::string key = batch_key(n, k);
        if (Value* existing = grads.find(key)) existing->as<Tensor>() = add_tensors(existing->as<Tensor>(), v->as<Tensor>(), key);
        else grads.set(key, *v);
      }
    }
    if (done && first[n.owner] == i) done(model_names_[n.owner]);
  }
}

std::vector<NamedParameter> ModelGraph::parameters() {
  std::vector<NamedParameter> out;
  for (size_t i = 0; i < models_.size(); ++i)
    for (Parameter& p : models_[i]->parameters()) out.push_back(NamedParameter{model_names_[i] + "." + p.name, p});
  return out;
}

std::vector<std::pair<std::string, std::vector<Parameter>>> ModelGraph::parameters_by_component() {
  std::vector<std::pair<std::string, std::vector<Parameter>>> out;
  for (size_t i = 0; i < models_.size(); ++i) out.emplace_back(model_names_[i], models_[i]->parameters());
  return out;
}

void ModelGraph::zero_grad() {
  for (auto& m : models_) m->zero_grad();
}

void ModelGraph::set_training(bool training) {
  for (auto& m : models_) m->set_training(training);
}

void ModelGraph::to_device(DLDevice device) {
  for (auto& m : models_) m->to_device(device);
}

std::map<std::string, std::string> ModelGraph::save_state() {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < models_.size(); ++i) out[model_names_[i]] = models_[i]->save_state();
  return out;
}

void ModelGraph::load_state(const std::map<std::string, std::string>& states) {
  std::vector<std::string> missing, unexpected;
  for (const std::string& n : model_names_)
    if (!states.count(n)) missing.push_back(n);
  for (const auto& [n, s] : states)
    if (std::find(model_names_.begin(), model_names_.end(), n) == model_names_.end()) unexpected.push_back(n);
  if (!missing.empty() || !unexpected.empty())
    throw Error(Errc::kInvalidArgument, "the checkpoint is of another model: " +
                                            (missing.empty() ? std::string() : "no state for component(s) " + join(missing, ", ")) +
                                            (missing.empty() || unexpected.empty() ? "" : "; ") +
                                            (unexpected.empty() ? std::string() : "states of unknown component(s) " + join(unexpected, ", ")));
  for (size_t i = 0; i < models_.size(); ++i) {
    try {
      models_[i]->load_state(states.at(model_names_[i]));
    } catch (const Error& e) {
      throw Error(e.code(), "component '" + model_names_[i] + "': " + e.what());
    }
  }
}

std::vector<std::string> ModelGraph::output_keys() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) out.insert(out.end(), n.outputs.begin(), n.outputs.end());
  return out;
}

std::vector<std::string> ModelGraph::optional_output_keys() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) out.insert(out.end(), n.optional_outputs.begin(), n.optional_outputs.end());
  return out;
}

std::vector<std::string> ModelGraph::input_keys() const {
  std::vector<std::string> outputs = output_keys();
  for (const std::string& k : optional_output_keys()) outputs.push_back(k);
  std::vector<std::string> out;
  for (const Node& n : nodes_)
    for (const std::string& k : n.inputs)
      if (std::find(outputs.begin(), outputs.end(), k) == outputs.end() && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  return out;
}

std::vector<std::string> ModelGraph::component_names() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) out.push_back(n.name);
  return out;
}

Model& ModelGraph::model(const std::string& name) {
  for (const Node& n : nodes_)
    if (n.name == name) return *models_[n.owner];
  throw Error(Errc::kKeyNotFound, "model: no component '" + name + "'" + did_you_mean(name, component_names()));
}

}  // namespace fuse::train
