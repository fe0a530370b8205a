// The model of an experiment: model components connected by keys (FuseMedML's ModelWrapSeqToDict, multi-head,
// multi-stream). Forward runs them in order; backward runs them in reverse, handing each the gradients of its
// outputs and collecting those of its inputs, summed where several components read one key. A component can
// be applied again under other keys with the same weights (siamese).
#ifndef FUSE_TRAIN_MODEL_GRAPH_H_
#define FUSE_TRAIN_MODEL_GRAPH_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuse/plugin/component.h"

namespace fuse::train {

struct NamedParameter {
  std::string name;  // "<component>.<parameter>", e.g. "backbone.layer1.0.conv1.weight"
  Parameter parameter;
};

class ModelGraph {
 public:
  // Adds a component; its input and output keys are the ones its config names.
  void add(std::string name, Model model);
  // Applies component `of` again with its keys renamed (its key -> this application's key); shares weights.
  void add_shared(std::string name, const std::string& of, std::map<std::string, std::string> renames);

  // In order. In training, a component reading another's output is asked for input gradients.
  void forward(NDict& batch, const CallContext& context);
  // `grads` holds d(loss)/d(key) for output keys; they flow back through every component. `done`, when given,
  // is called with a component's name as soon as its parameter gradients are final (after the backward of its
  // first application), for the data-parallel reducer to send them while the rest runs.
  void backward(NDict grads, const CallContext& context, const std::function<void(const std::string&)>& done = {});

  std::vector<NamedParameter> parameters();
  // Each component's parameters under its name, in forward order (shared applications once).
  std::vector<std::pair<std::string, std::vector<Parameter>>> parameters_by_component();
  void zero_grad();
  void set_training(bool training);
  void to_device(DLDevice device);
  // Per component (shared applications are saved once).
  std::map<std::string, std::string> save_state();
  // Refuses states of other components, naming them (and the component's own message for other shapes).
  void load_state(const std::map<std::string, std::string>& states);

  std::vector<std::string> output_keys() const;  // every key some component always writes
  // Keys a component may write, e.g. deep supervision's outputs in training (its manifest's optional writes).
  std::vector<std::string> optional_output_keys() const;
  std::vector<std::string> input_keys() const;   // keys read that no component writes (the data)
  std::vector<std::string> component_names() const;
  bool empty() const { return nodes_.empty(); }
  // The component of `name` (applications give their owner's).
  Model& model(const std::string& name);

 private:
  struct Node {
    std::string name;
    size_t owner;  // index into models_
    std::map<std::string, std::string> renames;  // the component's key -> the key in the batch
    std::vector<std::string> inputs, outputs;    // batch keys
    std::vector<std::string> optional_outputs;   // batch keys the component may skip
    bool input_grads = false;
  };
  std::string batch_key(const Node& n, const std::string& own) const;
  bool reads_an_output(const Node& n) const;  // of an earlier node
  std::vector<std::unique_ptr<Model>> models_;
  std::vector<std::string> model_names_;
  std::vector<Node> nodes_;
};

}  // namespace fuse::train

#endif  // FUSE_TRAIN_MODEL_GRAPH_H_
