#include "fuse/train/model_sizes.h"

#include <optional>

#include "fuse/base/error.h"
#include "fuse/data/dataset.h"
#include "fuse/json/write.h"
#include "fuse/loader/collate.h"
#include "fuse/train/trainer.h"

namespace fuse::train {

namespace bj = boost::json;

namespace {

bool unset(const bj::object& config, const std::string& field) {
  const bj::value* v = config.if_contains(field);
  return v == nullptr || v->is_null();
}

// The keys config field `of` holds (the config's, else the manifest's default).
std::vector<std::string> keys_of(const bj::object& config, const ComponentManifest& m, const std::string& of) {
  const bj::value* v = config.if_contains(of);
  if (v == nullptr) v = &m.field(of)->default_value;
  std::vector<std::string> keys;
  if (v->is_string()) keys.emplace_back(v->as_string());
  if (v->is_array())
    for (const bj::value& k : v->as_array())
      if (k.is_string()) keys.emplace_back(k.as_string());
  return keys;
}

// One training sample made into a batch of one, as the loader makes batches (static, dynamic and batch steps),
// without touching the cache: the first of the training samples that the pipelines keep.
NDict probe_batch(const Registry& registry, const Experiment& e) {
  constexpr size_t kTried = 16;
  data::DatasetSpec spec = e.data.dataset;
  spec.samples = data::split_samples(e.data, e.data.folds ? "train" : "all");
  if (spec.samples.size() > kTried) spec.samples.resize(kTried);
  spec.cache_dir.reset();
  spec.index_threads = 1;
  spec.index_progress = false;
  data::Dataset dataset(registry, std::move(spec));
  data::Dataset::Worker worker = dataset.worker();
  for (size_t i = 0; i < dataset.size(); ++i) {
    std::optional<NDict> sample = worker.get(i, 0, true);
    if (!sample) continue;
    NDict batch = loader::collate({*sample}, e.loader.options.collate);
    if (worker.has_batch_pipeline()) worker.run_batch(batch, 0, 0, {static_cast<int64_t>(i)}, true);
    return batch;
  }
  throw Error(Errc::kInvalidArgument, "none of the first " + std::to_string(dataset.size()) + " training samples came through the pipelines");
}

}  // namespace

std::vector<std::string> size_model(const Registry& registry, Experiment& e) {
  std::vector<std::string> lines;
  bool any = false;
  for (const ComponentSpec& c : e.model)
    if (!c.component.empty())
      for (const SizeSpec& s : registry.component(c.component).sizes) any = any || unset(c.config, s.field);
  if (!any) return lines;

  std::optional<NDict> data;    // the probe batch, made when first needed
  std::optional<NDict> outputs;  // it with the outputs of components [0, ran)
  size_t ran = 0;
  for (size_t i = 0; i < e.model.size(); ++i) {
    ComponentSpec& c = e.model[i];
    if (c.component.empty()) continue;
    const ComponentManifest& m = registry.component(c.component);
    for (const SizeSpec& s : m.sizes) {
      if (!unset(c.config, s.field)) continue;
      const std::vector<std::string> keys = keys_of(c.config, m, s.of);
      if (s.index >= keys.size()) continue;  // no such input: the component's own rule (e.g. no tabular features)
      const std::string& key = keys[s.index];
      // "the size of dimension 1 of 'x'", flattened "the size of 'x' from dimension 1 on", spatial "the sizes of
      // 'x' from dimension 2 on, last first".
      const std::string from = "'" + key + "' from dimension " + std::to_string(s.dim) + " on";
      const std::string measured = s.spatial ? "the sizes of " + from + ", last first"
                                   : s.flatten ? "the size of " + from
                                               : "the size of dimension " + std::to_string(s.dim) + " of '" + key + "'";
      const std::string where = c.where + ": model component '" + c.name + "': '" + s.field + "' is " + measured;
      try {
        if (!data) data = probe_batch(registry, e);
      } catch (const Error& error) {
        throw Error(error.code(), where + " in a training batch, but making one failed: " + error.what() + " (or give '" + s.field + "')");
      }
      const Value* value = data->find(key);
      if (value == nullptr) {
        // Another component's output: run those before this one on the batch (inference mode, no draws).
        if (ran != i) {
          std::vector<ComponentSpec> before(e.model.begin(), e.model.begin() + static_cast<std::ptrdiff_t>(i));
          ModelGraph graph = build_model(registry, before);
          graph.set_training(false);
          const DLDevice device = parse_device(e.trainer.device);
          if (device.device_type != kDLCPU) graph.to_device(device);
          outputs = *data;
          try {
            graph.forward(*outputs, CallContext(false, e.seed, 0, -1));
          } catch (const Error& error) {
            throw Error(error.code(), where + ", which the components before it write; running them on a training batch failed: " + error.what());
          }
          ran = i;
        }
        if (outputs) value = outputs->find(key);
      }
      if (value == nullptr)
        throw Error(Errc::kKeyNotFound, where + ", which neither a training batch nor the components before it hold (" +
                                            (outputs ? *outputs : *data).missing_key_message(key) + ")");
      if (!value->is<Tensor>()) throw Error(Errc::kType, where + ", which holds a " + value->type_name() + " (" + value->summary() + "), not a tensor");
      const Tensor& t = value->as<Tensor>();
      const int64_t dim = s.dim < 0 ? s.dim + t.ndim() : s.dim;
      if (dim < 0 || dim > t.ndim() || (dim == t.ndim() && !s.flatten))
        throw Error(Errc::kShape, where + ", which is " + t.description() + " in a training batch of one: it has no dimension " + std::to_string(s.dim));
      bj::value size;
      if (s.spatial) {
        bj::array sizes;  // last first: x, y, z
        for (int64_t d = t.ndim() - 1; d >= dim; --d) sizes.push_back(t.shape()[static_cast<size_t>(d)]);
        size = std::move(sizes);
      } else {
        int64_t product = 1;  // flattened: the product of the sizes from dim on
        for (int64_t d = dim; d < (s.flatten ? t.ndim() : dim + 1); ++d) product *= t.shape()[static_cast<size_t>(d)];
        size = product;
      }
      c.config[s.field] = size;
      boost::system::error_code ec;
      if (bj::value* at = e.resolved.find_pointer(c.pointer, ec); at != nullptr && at->is_object()) at->as_object()[s.field] = size;
      lines.push_back("model component '" + c.name + "': " + s.field + " " + json::to_text(size) + " (" + measured + ", " + t.description() +
                      " in a training batch of one)");
    }
  }
  return lines;
}

}  // namespace fuse::train
