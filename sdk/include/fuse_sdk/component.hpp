// Turning plain C++ classes into ABI components, and the registration macros.
//
//   class Scale {
//    public:
//     explicit Scale(const fuse::sdk::DictView& config) : key_(config.get_string("key")) {}
//     void forward(fuse::sdk::Dict& sample, const fuse::sdk::Call&) { ... }
//    private:
//     std::string key_;
//   };
//   FUSE_OP(Scale, "example.scale", "1.0.0")
//   FUSE_PLUGIN("example", "1.0.0")   // once per library
//
// What each kind's class provides (all calls run inside the exception guard):
//   op:     T(const DictView& config); void forward(Dict& sample, const Call&);
//   model:  T(const DictView& config); void forward(Dict& batch, const Call&);
//           void backward(const DictView& output_grads, Dict& input_grads, const Call&);
//           std::vector<fm_param_v1> parameters(); void zero_grad(); void set_training(bool);
//           void to_device(DLDevice); void save(Writer&) const; void load(const void* data, size_t size);
//   loss:   T(const DictView& config); double forward(const DictView& batch, Dict* grads, const Call&);
//   metric: T(const DictView& config); void reset(); void update(const DictView& batch);
//           void merge(const T& other); void compute(Dict& result) const;
//           void save(Writer&) const; void load(const void* data, size_t size) (a Reader reads it back);
//           optional: void compute_weighted(const DictView* inputs, const uint8_t* counts, size_t rows,
//                                           Dict& result) const;   (see fm_metric_v1.compute_weighted)
#ifndef FUSE_SDK_COMPONENT_HPP_
#define FUSE_SDK_COMPONENT_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fuse_sdk/dict.hpp"
#include "fuse_sdk/error.hpp"

namespace fuse::sdk {

// The host's per-call context.
class Call {
 public:
  explicit Call(const fm_call_v1* call) : c_(call) {}
  bool training() const { return c_ != nullptr && (c_->flags & FM_CALL_TRAINING) != 0; }
  // A model's forward: backward will also be asked for the inputs' gradients.
  bool input_grads() const { return c_ != nullptr && (c_->flags & FM_CALL_INPUT_GRADS) != 0; }
  // A model's forward: reduced precision is allowed (autocast).
  bool mixed_precision() const { return c_ != nullptr && (c_->flags & FM_CALL_MIXED_PRECISION) != 0; }
  // The seed for this call's random draws (see fm_call_v1).
  uint64_t seed() const { return c_ != nullptr ? c_->seed : 0; }
  int64_t epoch() const { return c_ != nullptr ? c_->epoch : -1; }
  int64_t sample_index() const { return c_ != nullptr ? c_->sample_index : -1; }
  // A batch op's per-sample seeds (see fm_call_v1): 0 and none for a per-sample call, or from an older host.
  size_t sample_count() const { return has_sample_seeds() ? c_->sample_count : 0; }
  uint64_t sample_seed(size_t i) const { return c_->sample_seeds[i]; }

 private:
  // The fields grew the struct after its first release: an older host's call is shorter.
  bool has_sample_seeds() const {
    return c_ != nullptr && c_->struct_size >= offsetof(fm_call_v1, sample_seeds) + sizeof(c_->sample_seeds) &&
           c_->sample_seeds != nullptr;
  }

  const fm_call_v1* c_;
};

// Where a component writes its state.
class Writer {
 public:
  Writer(fm_write_fn sink, void* user) : write_(sink), user_(user) {}
  void write(const void* data, size_t size) { check(write_(user_, data, size)); }
  template <class T>
  void write_value(const T& value) {
    write(&value, sizeof(T));
  }

 private:
  fm_write_fn write_;
  void* user_;
};

// Reads a state back in the order its Writer wrote it. Every read checks that the bytes are there (a short,
// corrupt or foreign state is an error naming `what` and where it ran out, never a read past its end, and a
// count read from the state cannot overflow the check); finish() checks that nothing is left over. Values are
// copied out, so the state needs no alignment.
class Reader {
 public:
  Reader(const void* data, size_t size, std::string what = "the") : p_(static_cast<const unsigned char*>(data)), size_(size), what_(std::move(what)) {}
  void read(void* out, size_t bytes) {
    need(bytes, 1);
    if (bytes > 0) std::memcpy(out, p_ + at_, bytes);
    at_ += bytes;
  }
  template <class T>
  T read_value() {
    static_assert(std::is_trivially_copyable_v<T>, "a state holds plain values");
    T value;
    read(&value, sizeof(T));
    return value;
  }
  // `count` values of T (a count read from the state: checked before anything is allocated).
  template <class T>
  std::vector<T> read_array(uint64_t count) {
    static_assert(std::is_trivially_copyable_v<T>, "a state holds plain values");
    need(count, sizeof(T));
    std::vector<T> out(static_cast<size_t>(count));
    read(out.data(), out.size() * sizeof(T));
    return out;
  }
  size_t left() const { return size_ - at_; }
  void finish() const {
    if (at_ != size_)
      fail(FM_ERR_INVALID_ARGUMENT, what_ + " state has " + std::to_string(size_ - at_) + (size_ - at_ == 1 ? " byte" : " bytes") + " left over after its " +
                                        std::to_string(at_) + " (a state of another version or component?)");
  }

 private:
  void need(uint64_t count, size_t each) const {
    if (count > left() / each)
      fail(FM_ERR_INVALID_ARGUMENT, what_ + " state is cut short: " + std::to_string(count) + " x " + std::to_string(each) + " bytes wanted at byte " +
                                        std::to_string(at_) + " of " + std::to_string(size_));
  }
  const unsigned char* p_;
  size_t size_, at_ = 0;
  std::string what_;
};

// A component's load(): `read(reader)` reads the whole state, and nothing may be left over.
template <class F>
void read_state(const void* data, size_t size, F&& read) {
  Reader reader(data, size);
  read(reader);
  reader.finish();
}

namespace detail {

inline std::vector<const fm_component_v1*>& registered_components() {
  static std::vector<const fm_component_v1*> components;
  return components;
}

struct Registrar {
  explicit Registrar(const fm_component_v1* component) { registered_components().push_back(component); }
};

template <class Instance>
Instance& self(void* instance) {
  return *static_cast<Instance*>(instance);
}

template <class T>
fm_error* create(const fm_dict* config, void** instance) {
  return guard([&] { *instance = new T(DictView(config)); });
}

template <class T>
void destroy(void* instance) {
  delete static_cast<T*>(instance);
}

template <class T>
fm_component_v1 base(uint32_t size, fm_component_kind kind, const char* id, const char* version) {
  return fm_component_v1{size, kind, id, version, &create<T>, &destroy<T>};
}

template <class T>
fm_op_v1 make_op(const char* id, const char* version) {
  fm_op_v1 d{};
  d.base = base<T>(sizeof(fm_op_v1), FM_KIND_OP, id, version);
  d.forward = [](void* instance, fm_dict* sample, const fm_call_v1* call) -> fm_error* {
    return guard([&] {
      Dict dict(sample);
      self<T>(instance).forward(dict, Call(call));
    });
  };
  return d;
}

// A model instance and the parameter table it hands out (valid until the next call that changes it).
template <class T>
struct ModelHolder {
  explicit ModelHolder(const DictView& config) : model(config) {}
  T model;
  std::vector<fm_param_v1> params;
};

template <class T>
fm_model_v1 make_model(const char* id, const char* version) {
  using H = ModelHolder<T>;
  fm_model_v1 d{};
  d.base = base<H>(sizeof(fm_model_v1), FM_KIND_MODEL, id, version);
  d.forward = [](void* instance, fm_dict* batch, const fm_call_v1* call) -> fm_error* {
    return guard([&] {
      Dict dict(batch);
      self<H>(instance).model.forward(dict, Call(call));
    });
  };
  d.backward = [](void* instance, const fm_dict* output_grads, fm_dict* input_grads,
                  const fm_call_v1* call) -> fm_error* {
    return guard([&] {
      Dict in(input_grads);
      self<H>(instance).model.backward(DictView(output_grads), in, Call(call));
    });
  };
  d.parameters = [](void* instance, size_t* count, const fm_param_v1** params) -> fm_error* {
    return guard([&] {
      H& h = self<H>(instance);
      h.params = h.model.parameters();
      *count = h.params.size();
      *params = h.params.data();
    });
  };
  d.zero_grad = [](void* instance) -> fm_error* { return guard([&] { self<H>(instance).model.zero_grad(); }); };
  d.set_training = [](void* instance, int32_t training) -> fm_error* {
    return guard([&] { self<H>(instance).model.set_training(training != 0); });
  };
  d.to_device = [](void* instance, DLDevice device) -> fm_error* {
    return guard([&] { self<H>(instance).model.to_device(device); });
  };
  d.state_save = [](void* instance, fm_write_fn write, void* user) -> fm_error* {
    return guard([&] {
      Writer w(write, user);
      self<H>(instance).model.save(w);
    });
  };
  d.state_load = [](void* instance, const void* data, size_t size) -> fm_error* {
    return guard([&] { self<H>(instance).model.load(data, size); });
  };
  return d;
}

template <class T>
fm_loss_v1 make_loss(const char* id, const char* version) {
  fm_loss_v1 d{};
  d.base = base<T>(sizeof(fm_loss_v1), FM_KIND_LOSS, id, version);
  d.forward = [](void* instance, const fm_dict* batch, fm_dict* grads, double* value,
                 const fm_call_v1* call) -> fm_error* {
    return guard([&] {
      Dict g(grads);
      *value = self<T>(instance).forward(DictView(batch), grads != nullptr ? &g : nullptr, Call(call));
    });
  };
  return d;
}

// Whether a metric class has compute_weighted (it is optional).
template <class T, class = void>
struct has_compute_weighted : std::false_type {};
template <class T>
struct has_compute_weighted<T, std::void_t<decltype(std::declval<const T&>().compute_weighted(
                                   std::declval<const DictView*>(), std::declval<const uint8_t*>(), size_t{},
                                   std::declval<Dict&>()))>> : std::true_type {};

template <class T>
fm_metric_v1 make_metric(const char* id, const char* version) {
  fm_metric_v1 d{};
  d.base = base<T>(sizeof(fm_metric_v1), FM_KIND_METRIC, id, version);
  d.reset = [](void* instance) -> fm_error* { return guard([&] { self<T>(instance).reset(); }); };
  d.update = [](void* instance, const fm_dict* batch) -> fm_error* {
    return guard([&] { self<T>(instance).update(DictView(batch)); });
  };
  d.merge = [](void* instance, const void* other) -> fm_error* {
    return guard([&] { self<T>(instance).merge(*static_cast<const T*>(other)); });
  };
  d.compute = [](void* instance, fm_dict* result) -> fm_error* {
    return guard([&] {
      Dict r(result);
      self<T>(instance).compute(r);
    });
  };
  d.state_save = [](void* instance, fm_write_fn write, void* user) -> fm_error* {
    return guard([&] {
      Writer w(write, user);
      self<T>(instance).save(w);
    });
  };
  d.state_load = [](void* instance, const void* data, size_t size) -> fm_error* {
    return guard([&] { self<T>(instance).load(data, size); });
  };
  if constexpr (has_compute_weighted<T>::value) {
    d.compute_weighted = [](void* instance, const fm_dict* inputs, const uint8_t* counts, size_t rows,
                            fm_dict* result) -> fm_error* {
      return guard([&] {
        DictView in(inputs);
        Dict r(result);
        static_cast<const T*>(instance)->compute_weighted(inputs ? &in : nullptr, counts, rows, r);
      });
    };
  }
  return d;
}

inline fm_error* init_plugin(fm_get_api_fn get_api) {
  // The host checked our declared ABI before calling init, so the table for it exists.
  api_slot() = static_cast<const fm_api_v1*>(get_api(FM_ABI_VERSION_MAJOR, FM_ABI_VERSION_MINOR));
  return nullptr;
}

inline fm_plugin_v1 make_plugin(const char* id, const char* version) {
  const std::vector<const fm_component_v1*>& components = registered_components();
  return fm_plugin_v1{sizeof(fm_plugin_v1),
                      FM_ABI_VERSION_MAJOR,
                      FM_ABI_VERSION_MINOR,
                      id,
                      version,
                      &init_plugin,
                      nullptr,
                      components.size(),
                      components.data()};
}

}  // namespace detail
}  // namespace fuse::sdk

#define FUSE_SDK_CONCAT_INNER_(a, b) a##b
#define FUSE_SDK_CONCAT_(a, b) FUSE_SDK_CONCAT_INNER_(a, b)
#define FUSE_SDK_REGISTER_(maker, Class, id, version, n)                                                  \
  static const auto FUSE_SDK_CONCAT_(fuse_sdk_descriptor_, n) = ::fuse::sdk::detail::maker<Class>(id, version); \
  static const ::fuse::sdk::detail::Registrar FUSE_SDK_CONCAT_(fuse_sdk_registrar_, n)(                   \
      &FUSE_SDK_CONCAT_(fuse_sdk_descriptor_, n).base);

// Registers a class as a component of the plugin being built. `id` and `version` must match the manifest.
#define FUSE_OP(Class, id, version) FUSE_SDK_REGISTER_(make_op, Class, id, version, __COUNTER__)
#define FUSE_MODEL(Class, id, version) FUSE_SDK_REGISTER_(make_model, Class, id, version, __COUNTER__)
#define FUSE_LOSS(Class, id, version) FUSE_SDK_REGISTER_(make_loss, Class, id, version, __COUNTER__)
#define FUSE_METRIC(Class, id, version) FUSE_SDK_REGISTER_(make_metric, Class, id, version, __COUNTER__)

// Defines the library's one exported symbol. Use once per plugin library, after (or in another file than) the
// component registrations.
#define FUSE_PLUGIN(id, version)                                                             \
  extern "C" FM_PLUGIN_EXPORT const fm_plugin_v1* fm_plugin_entry_v1(void) {                \
    static const fm_plugin_v1 fuse_sdk_plugin = ::fuse::sdk::detail::make_plugin(id, version); \
    return &fuse_sdk_plugin;                                                                 \
  }

#endif  // FUSE_SDK_COMPONENT_HPP_
