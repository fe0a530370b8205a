#include "fuse/plugin/component.h"

#include <algorithm>
#include <optional>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/manifest/config_schema.h"
#include "fuse/plugin/library.h"
#include "host_api.h"

namespace fuse {

Component::Component(std::shared_ptr<Library> library, const fm_component_v1* descriptor,
                     const ComponentManifest* manifest, boost::json::object config)
    : library_(std::move(library)), descriptor_(descriptor), manifest_(manifest), config_(std::move(config)) {
  reads_ = resolve_keys(manifest_->reads, config_);
  writes_ = resolve_keys(manifest_->writes, config_);
}

Component::Component(Component&& other) noexcept
    : library_(std::move(other.library_)),
      descriptor_(other.descriptor_),
      manifest_(other.manifest_),
      config_(std::move(other.config_)),
      reads_(std::move(other.reads_)),
      writes_(std::move(other.writes_)),
      instance_(std::exchange(other.instance_, nullptr)) {}

Component& Component::operator=(Component&& other) noexcept {
  if (this != &other) {
    destroy_instance();
    library_ = std::move(other.library_);
    descriptor_ = other.descriptor_;
    manifest_ = other.manifest_;
    config_ = std::move(other.config_);
    reads_ = std::move(other.reads_);
    writes_ = std::move(other.writes_);
    instance_ = std::exchange(other.instance_, nullptr);
  }
  return *this;
}

Component::~Component() { destroy_instance(); }

void Component::destroy_instance() noexcept {
  if (instance_ != nullptr) {
    CallScope scope(library_);
    descriptor_->destroy(instance_);
    instance_ = nullptr;
  }
}

const std::string& Component::plugin_id() const { return library_->manifest().id; }

std::vector<std::string> Component::reads() const {
  std::vector<std::string> out;
  for (const auto& [key, spec] : reads_) out.push_back(key);
  return out;
}

std::vector<std::string> Component::writes() const {
  std::vector<std::string> out;
  for (const auto& [key, spec] : writes_) out.push_back(key);
  return out;
}

std::vector<std::string> Component::optional_writes() const {
  std::vector<std::string> out;
  for (const auto& [key, spec] : writes_)
    if (spec->optional) out.push_back(key);
  return out;
}

std::string Component::name() const {
  return std::string(kind_name(kind())) + " '" + id() + "' (plugin '" + plugin_id() + "')";
}

void Component::check(fm_error* error) const {
  if (error != nullptr) throw_plugin_error(error, name() + ": ");  // the name is built only on failure
}

namespace {

// The first element of an int value or integer tensor outside `allowed`, as (index, value).
std::optional<std::pair<int64_t, int64_t>> first_disallowed(const Value& v, const std::vector<int64_t>& allowed) {
  auto ok = [&](int64_t x) { return std::find(allowed.begin(), allowed.end(), x) != allowed.end(); };
  if (v.is<int64_t>()) return ok(v.as<int64_t>()) ? std::nullopt : std::optional(std::pair(int64_t{0}, v.as<int64_t>()));
  if (!v.is<Tensor>() || sdk::is_floating(v.as<Tensor>().dtype())) return std::nullopt;
  const Tensor& t = v.as<Tensor>();
  std::optional<std::pair<int64_t, int64_t>> bad;
  sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n && !bad; ++i)
      if (!ok(static_cast<int64_t>(p[i]))) bad = std::pair(i, static_cast<int64_t>(p[i]));
  });
  return bad;
}

}  // namespace

void Component::check_reads(const NDict& input) const {
  for (const auto& [key, spec] : reads_) {
    const Value* v = input.find(key);
    if (v == nullptr) {
      if (spec->optional) continue;
      throw Error(Errc::kKeyNotFound, name() + ": " + input.missing_key_message(key));
    }
    if (spec->values.empty()) continue;
    if (auto bad = first_disallowed(*v, spec->values)) {
      std::vector<std::string> allowed;
      for (int64_t a : spec->values) allowed.push_back(std::to_string(a));
      throw Error(Errc::kInvalidArgument, name() + ": key '" + key + "': value " + std::to_string(bad->second) +
                                              " at index " + std::to_string(bad->first) + " is not allowed (allowed: " +
                                              join(allowed, ", ") + ")");
    }
  }
}

namespace {

bool type_matches(const std::string& type, const Value& v) {
  if (type == "any") return true;
  if (type == "double") return v.is<double>() || v.is<int64_t>();
  return type == v.type_name();
}

std::string dtype_names(const std::vector<DLDataType>& dtypes) {
  std::vector<std::string> names;
  for (DLDataType t : dtypes) names.push_back(dtype_name(t));
  return join(names, ", ");
}

}  // namespace

void Component::check_writes(const NDict& output) const {
  for (const auto& [key, spec] : writes_) {
    const Value* v = output.find(key);
    if (v == nullptr) {
      if (spec->optional) continue;
      throw Error(Errc::kPlugin, name() + ": its manifest says it writes '" + key + "' but it did not");
    }
    if (!type_matches(spec->type, *v))
      throw Error(Errc::kType, name() + ": output '" + key + "' is " + v->type_name() + "; the manifest promises " +
                                   spec->type);
    if (!v->is<Tensor>()) continue;
    const Tensor& t = v->as<Tensor>();
    if (!spec->dtypes.empty()) {
      bool ok = false;
      for (DLDataType d : spec->dtypes) ok = ok || dtype_eq(d, t.dtype());
      if (!ok)
        throw Error(Errc::kType, name() + ": output '" + key + "' has dtype " + dtype_name(t.dtype()) +
                                     "; the manifest allows " + dtype_names(spec->dtypes));
    }
    if (!spec->ndims.empty()) {
      bool ok = false;
      for (int32_t n : spec->ndims) ok = ok || n == t.ndim();
      if (!ok) {
        std::vector<std::string> allowed;
        for (int32_t n : spec->ndims) allowed.push_back(std::to_string(n));
        throw Error(Errc::kShape, name() + ": output '" + key + "' has shape " + shape_string(t.shape()) + " (" +
                                      std::to_string(t.ndim()) + " dimensions); the manifest allows " +
                                      join(allowed, " or ") + " dimensions");
      }
    }
    if (!spec->shape.empty()) {
      bool ok = spec->shape.size() == t.shape().size();
      for (size_t i = 0; ok && i < spec->shape.size(); ++i) ok = spec->shape[i] < 0 || spec->shape[i] == t.shape()[i];
      if (!ok) {
        std::vector<std::string> dims;
        for (int64_t d : spec->shape) dims.push_back(d < 0 ? "*" : std::to_string(d));
        throw Error(Errc::kShape, name() + ": output '" + key + "' has shape " + shape_string(t.shape()) +
                                      "; the manifest promises [" + join(dims, ", ") + "]");
      }
    }
  }
}

fm_call_v1 Component::to_call(const CallContext& c) {
  const uint32_t flags = (c.training ? FM_CALL_TRAINING : 0u) | (c.input_grads ? FM_CALL_INPUT_GRADS : 0u) |
                         (c.mixed_precision ? FM_CALL_MIXED_PRECISION : 0u);
  const size_t count = c.sample_seeds != nullptr ? c.sample_seeds->size() : 0;
  return fm_call_v1{sizeof(fm_call_v1), flags, c.seed, c.epoch, c.sample_index, count, count > 0 ? c.sample_seeds->data() : nullptr};
}

// ---- op ----

void Op::forward(NDict& sample, const CallContext& context) {
  check_reads(sample);
  const fm_call_v1 call = to_call(context);
  {
    CallScope scope(library_);
    check(reinterpret_cast<const fm_op_v1*>(descriptor_)->forward(instance_, to_handle(&sample), &call));
  }
  check_writes(sample);
}

// ---- model ----

namespace {
const fm_model_v1& model_of(const fm_component_v1* d) { return *reinterpret_cast<const fm_model_v1*>(d); }

fm_error* append_bytes(void* user, const void* data, size_t size) {
  static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
  return nullptr;
}
}  // namespace

void Model::forward(NDict& batch, const CallContext& context) {
  check_reads(batch);
  const fm_call_v1 call = to_call(context);
  {
    CallScope scope(library_);
    check(model_of(descriptor_).forward(instance_, to_handle(&batch), &call));
  }
  check_writes(batch);
}

void Model::backward(const NDict& output_grads, NDict& input_grads, const CallContext& context) {
  const fm_call_v1 call = to_call(context);
  CallScope scope(library_);
  check(model_of(descriptor_).backward(instance_, to_handle(&output_grads), to_handle(&input_grads), &call));
}

std::vector<Parameter> Model::parameters() {
  size_t count = 0;
  const fm_param_v1* params = nullptr;
  {
    CallScope scope(library_);
    check(model_of(descriptor_).parameters(instance_, &count, &params));
  }
  std::vector<Parameter> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i)
    out.push_back(Parameter{params[i].name ? params[i].name : "", params[i].trainable != 0, params[i].value, params[i].grad});
  return out;
}

void Model::zero_grad() {
  CallScope scope(library_);
  check(model_of(descriptor_).zero_grad(instance_));
}

void Model::set_training(bool training) {
  CallScope scope(library_);
  check(model_of(descriptor_).set_training(instance_, training ? 1 : 0));
}

void Model::to_device(DLDevice device) {
  CallScope scope(library_);
  check(model_of(descriptor_).to_device(instance_, device));
}

std::string Model::save_state() {
  std::string bytes;
  CallScope scope(library_);
  check(model_of(descriptor_).state_save(instance_, &append_bytes, &bytes));
  return bytes;
}

void Model::load_state(std::string_view bytes) {
  CallScope scope(library_);
  check(model_of(descriptor_).state_load(instance_, bytes.data(), bytes.size()));
}

// ---- loss ----

double Loss::forward(const NDict& batch, NDict* grads, const CallContext& context) {
  check_reads(batch);
  const fm_call_v1 call = to_call(context);
  double value = 0;
  CallScope scope(library_);
  check(reinterpret_cast<const fm_loss_v1*>(descriptor_)
            ->forward(instance_, to_handle(&batch), grads ? to_handle(grads) : nullptr, &value, &call));
  return value;
}

// ---- metric ----

namespace {
const fm_metric_v1& metric_of(const fm_component_v1* d) { return *reinterpret_cast<const fm_metric_v1*>(d); }
}  // namespace

void Metric::reset() {
  CallScope scope(library_);
  check(metric_of(descriptor_).reset(instance_));
}

void Metric::update(const NDict& batch) {
  check_reads(batch);
  CallScope scope(library_);
  check(metric_of(descriptor_).update(instance_, to_handle(&batch)));
}

void Metric::merge(const Metric& other) {
  if (other.descriptor_ != descriptor_)
    throw Error(Errc::kInvalidArgument, name() + ": cannot merge the state of " + other.name());
  CallScope scope(library_);
  check(metric_of(descriptor_).merge(instance_, other.instance_));
}

NDict Metric::compute() {
  NDict result;
  {
    CallScope scope(library_);
    check(metric_of(descriptor_).compute(instance_, to_handle(&result)));
  }
  check_writes(result);
  return result;
}

bool Metric::supports_weighted() const { return metric_of(descriptor_).compute_weighted != nullptr; }

NDict Metric::compute_weighted(const NDict* inputs, const uint8_t* counts, size_t rows) const {
  if (!supports_weighted()) throw Error(Errc::kUnsupported, name() + ": it does not support replicate weights");
  NDict result;
  CallScope scope(library_);
  check(metric_of(descriptor_).compute_weighted(instance_, inputs ? to_handle(inputs) : nullptr, counts, rows,
                                                to_handle(&result)));
  return result;
}

std::string Metric::save_state() {
  std::string bytes;
  CallScope scope(library_);
  check(metric_of(descriptor_).state_save(instance_, &append_bytes, &bytes));
  return bytes;
}

void Metric::load_state(std::string_view bytes) {
  CallScope scope(library_);
  check(metric_of(descriptor_).state_load(instance_, bytes.data(), bytes.size()));
}

}  // namespace fuse
