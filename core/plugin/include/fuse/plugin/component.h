// Host-side handles of component instances. Each owns one instance in a plugin and keeps its library loaded.
// Calls check what the manifest promises: keys read must be present, keys written must appear with an allowed
// type, dtype and shape. Errors name the component and its plugin.
// Not thread-safe: one instance is never called from two threads at once (create one per thread instead).
#ifndef FUSE_PLUGIN_COMPONENT_H_
#define FUSE_PLUGIN_COMPONENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/manifest/manifest.h"
#include "fuse/ndict/ndict.h"
#include "fuse_sdk/fm_plugin.h"

namespace fuse {

class Library;

// The per-call context (see fm_call_v1).
struct CallContext {
  CallContext() = default;
  CallContext(bool training_, uint64_t seed_, int64_t epoch_, int64_t sample_index_)
      : training(training_), seed(seed_), epoch(epoch_), sample_index(sample_index_) {}

  bool training = false;
  uint64_t seed = 0;
  int64_t epoch = -1;
  int64_t sample_index = -1;
  bool input_grads = false;      // a model's forward: backward will be asked for input gradients
  bool mixed_precision = false;  // a model's forward: autocast allowed
  // A batch op's per-sample seeds (fm_call_v1.sample_seeds), borrowed for the call; null for a sample.
  const std::vector<uint64_t>* sample_seeds = nullptr;
};

class Component {
 public:
  Component(Component&& other) noexcept;
  Component& operator=(Component&& other) noexcept;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;
  virtual ~Component();

  const std::string& id() const { return manifest_->id; }
  const std::string& version() const { return manifest_->version; }
  ComponentKind kind() const { return manifest_->kind; }
  const std::string& plugin_id() const;
  const ComponentManifest& manifest() const { return *manifest_; }
  // The config after validation, defaults filled in.
  const boost::json::object& config() const { return config_; }
  // The keys this instance reads and writes, resolved from its config.
  std::vector<std::string> reads() const;
  std::vector<std::string> writes() const;
  // The keys of writes() that its manifest marks optional: ones it may skip (e.g. a model's training-only outputs).
  std::vector<std::string> optional_writes() const;
  // "op 'fuse.ops.zscore' (plugin 'fuse.ops_core')": the prefix of every error about this instance.
  std::string name() const;

 protected:
  Component(std::shared_ptr<Library> library, const fm_component_v1* descriptor, const ComponentManifest* manifest,
            boost::json::object config);
  // Throws (taking ownership of `error`) with this component's name in front of the plugin's message.
  void check(fm_error* error) const;
  void check_reads(const NDict& input) const;
  void check_writes(const NDict& output) const;
  static fm_call_v1 to_call(const CallContext& context);
  void destroy_instance() noexcept;

  std::shared_ptr<Library> library_;
  const fm_component_v1* descriptor_ = nullptr;
  const ComponentManifest* manifest_ = nullptr;  // owned by the library's manifest
  boost::json::object config_;
  std::vector<std::pair<std::string, const KeySpec*>> reads_, writes_;
  void* instance_ = nullptr;

  friend class Registry;
};

class Op : public Component {
 public:
  // Transforms `sample` in place.
  void forward(NDict& sample, const CallContext& context = {});

 private:
  using Component::Component;
  friend class Registry;
};

// A trainable parameter: views owned by the model instance (valid until to_device, load or destruction).
struct Parameter {
  std::string name;
  bool trainable = true;
  DLTensor* value = nullptr;
  DLTensor* grad = nullptr;
};

class Model : public Component {
 public:
  void forward(NDict& batch, const CallContext& context = {});
  // Takes d(loss)/d(output) per output key; writes d(loss)/d(input) into `input_grads`.
  void backward(const NDict& output_grads, NDict& input_grads, const CallContext& context = {});
  std::vector<Parameter> parameters();
  void zero_grad();
  void set_training(bool training);
  void to_device(DLDevice device);
  std::string save_state();
  void load_state(std::string_view bytes);

 private:
  using Component::Component;
  friend class Registry;
};

class Loss : public Component {
 public:
  // The loss on `batch`; with `grads`, also d(loss)/d(prediction) under each prediction key.
  double forward(const NDict& batch, NDict* grads = nullptr, const CallContext& context = {});

 private:
  using Component::Component;
  friend class Registry;
};

class Metric : public Component {
 public:
  void reset();
  void update(const NDict& batch);
  // Adds another instance's state (same component id); for threads and processes.
  void merge(const Metric& other);
  NDict compute();
  // Whether the component implements replicate weights (fm_metric_v1.compute_weighted).
  bool supports_weighted() const;
  // The result as if row i appeared counts[i] times (see fm_metric_v1.compute_weighted). Call compute() once
  // first; then this may run from several threads at once. An undefined result (e.g. one class only) throws
  // Errc::kNumeric.
  NDict compute_weighted(const NDict* inputs, const uint8_t* counts, size_t rows) const;
  std::string save_state();
  void load_state(std::string_view bytes);

 private:
  using Component::Component;
  friend class Registry;
};

}  // namespace fuse

#endif  // FUSE_PLUGIN_COMPONENT_H_
