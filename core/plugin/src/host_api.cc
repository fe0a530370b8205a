#include "host_api.h"

#include <new>
#include <utility>

#include "fuse/base/spdlog_logger.h"
#include "fuse/plugin/library.h"

// The opaque error type of the ABI, defined by the host that allocates it.
struct fm_error {
  fm_error_code code;
  std::string message;
};

namespace fuse {
namespace {

thread_local const std::shared_ptr<Library>* t_current_library = nullptr;

// Returned when there is no memory left to report an error; never freed.
fm_error g_out_of_memory{FM_ERR_OUT_OF_MEMORY, "out of memory"};

fm_error* make_error(fm_error_code code, std::string message) {
  try {
    return new fm_error{code, std::move(message)};
  } catch (...) {
    return &g_out_of_memory;
  }
}

fm_error_code to_fm_code(Errc code) {
  const int c = static_cast<int>(code);
  if (c >= FM_ERR_INVALID_ARGUMENT && c <= FM_ERR_NUMERIC) return c;
  return code == Errc::kConfig ? FM_ERR_INVALID_ARGUMENT : FM_ERR_INTERNAL;
}

NDict& dict_of(fm_dict* d) {
  if (d == nullptr) throw_error(Errc::kInvalidArgument, "null fm_dict handle");
  return *reinterpret_cast<NDict*>(d);
}
const NDict& dict_of(const fm_dict* d) {
  if (d == nullptr) throw_error(Errc::kInvalidArgument, "null fm_dict handle");
  return *reinterpret_cast<const NDict*>(d);
}
std::string_view key_of(const char* key) {
  if (key == nullptr) throw_error(Errc::kInvalidArgument, "null key");
  return key;
}
template <class T>
void require_out(T* out) {
  if (out == nullptr) throw_error(Errc::kInvalidArgument, "null output pointer");
}

// The value under `key`, as T, with messages that name the key.
template <class T>
const T& typed(const fm_dict* d, const char* key) {
  return dict_of(d).get<T>(key_of(key));
}

fm_value_type type_code(ValueType t) {
  switch (t) {
    case ValueType::kNull: return FM_VALUE_NULL;
    case ValueType::kTensor: return FM_VALUE_TENSOR;
    case ValueType::kInt: return FM_VALUE_INT;
    case ValueType::kDouble: return FM_VALUE_DOUBLE;
    case ValueType::kBool: return FM_VALUE_BOOL;
    case ValueType::kString: return FM_VALUE_STRING;
    case ValueType::kList: return FM_VALUE_LIST;
    case ValueType::kDict: return FM_VALUE_DICT;
  }
  return FM_VALUE_MISSING;
}

// ---- the table's functions ----

fm_error* error_new(fm_error_code code, const char* message) { return make_error(code, message ? message : ""); }
fm_error_code error_code(const fm_error* e) { return e ? e->code : 0; }
const char* error_message(const fm_error* e) { return e ? e->message.c_str() : ""; }
void error_free(fm_error* e) {
  if (e != &g_out_of_memory) delete e;
}

void log_message(int32_t level, const char* message) {
  const std::string who = t_current_library && *t_current_library ? (*t_current_library)->manifest().id : "plugin";
  const spdlog::level::level_enum lvl = level <= FM_LOG_DEBUG    ? spdlog::level::debug
                                        : level == FM_LOG_INFO    ? spdlog::level::info
                                        : level == FM_LOG_WARNING ? spdlog::level::warn
                                                                  : spdlog::level::err;
  logger().log(lvl, "[{}] {}", who, message ? message : "");
}

fm_value_type dict_type(const fm_dict* d, const char* key) {
  if (d == nullptr || key == nullptr) return FM_VALUE_MISSING;
  const Value* v = dict_of(d).find(key);
  return v ? type_code(v->type()) : FM_VALUE_MISSING;
}

fm_error* dict_get_int(const fm_dict* d, const char* key, int64_t* out) {
  return guard_boundary([&] {
    require_out(out);
    *out = typed<int64_t>(d, key);
  });
}

fm_error* dict_get_double(const fm_dict* d, const char* key, double* out) {
  return guard_boundary([&] {
    require_out(out);
    const Value& v = dict_of(d).at(key_of(key));
    if (v.is<int64_t>()) *out = static_cast<double>(v.as<int64_t>());
    else *out = typed<double>(d, key);
  });
}

fm_error* dict_get_bool(const fm_dict* d, const char* key, int32_t* out) {
  return guard_boundary([&] {
    require_out(out);
    *out = typed<bool>(d, key) ? 1 : 0;
  });
}

fm_error* dict_get_string(const fm_dict* d, const char* key, const char** out, size_t* length) {
  return guard_boundary([&] {
    require_out(out);
    const std::string& s = typed<std::string>(d, key);
    *out = s.c_str();
    if (length != nullptr) *length = s.size();
  });
}

fm_error* dict_get_tensor(const fm_dict* d, const char* key, const DLTensor** out) {
  return guard_boundary([&] {
    require_out(out);
    *out = &typed<Tensor>(d, key).dl();
  });
}

fm_error* dict_get_tensor_mut(fm_dict* d, const char* key, DLTensor** out) {
  return guard_boundary([&] {
    require_out(out);
    *out = dict_of(d).get<Tensor>(key_of(key)).mutable_dl();
  });
}

fm_error* dict_ref_tensor(const fm_dict* d, const char* key, DLManagedTensor** out) {
  return guard_boundary([&] {
    require_out(out);
    *out = typed<Tensor>(d, key).to_dlpack();
  });
}

fm_error* dict_list_length(const fm_dict* d, const char* key, size_t* out) {
  return guard_boundary([&] {
    require_out(out);
    *out = typed<List>(d, key).size();
  });
}

fm_error* dict_keys(const fm_dict* d, const char* prefix, uint32_t flags, fm_key_visitor visit, void* user) {
  return guard_boundary([&] {
    if (visit == nullptr) throw_error(Errc::kInvalidArgument, "dict_keys: null visitor");
    const std::string base = prefix ? prefix : "";
    const NDict& root = dict_of(d);
    const NDict& dict = base.empty() ? root : root.subtree(base);
    const std::string lead = base.empty() ? "" : base + ".";
    if (flags & FM_KEYS_LEAVES) {
      for (const auto& [key, value] : dict.flatten())
        if (visit(user, (lead + key).c_str(), type_code(value->type())) != 0) return;
    } else {
      for (const NDict::Entry& e : dict.entries())
        if (visit(user, (lead + e.key).c_str(), type_code(e.value.type())) != 0) return;
    }
  });
}

fm_error* set_value(fm_dict* d, const char* key, Value v) {
  return guard_boundary([&] { dict_of(d).set(key_of(key), std::move(v)); });
}

fm_error* dict_set_null(fm_dict* d, const char* key) { return set_value(d, key, Value()); }
fm_error* dict_set_int(fm_dict* d, const char* key, int64_t v) { return set_value(d, key, Value(v)); }
fm_error* dict_set_double(fm_dict* d, const char* key, double v) { return set_value(d, key, Value(v)); }
fm_error* dict_set_bool(fm_dict* d, const char* key, int32_t v) { return set_value(d, key, Value(v != 0)); }

fm_error* dict_set_string(fm_dict* d, const char* key, const char* value, size_t length) {
  return guard_boundary([&] {
    if (value == nullptr && length > 0) throw_error(Errc::kInvalidArgument, "dict_set_string: null value");
    dict_of(d).set(key_of(key), Value(std::string(value ? value : "", length)));
  });
}

fm_error* dict_set_tensor(fm_dict* d, const char* key, DLManagedTensor* tensor) {
  return guard_boundary([&] {
    if (tensor == nullptr) throw_error(Errc::kInvalidArgument, "dict_set_tensor: null tensor");
    // Adopt first, so the tensor is freed even when the key is bad.
    std::shared_ptr<const void> keep_alive;
    if (t_current_library != nullptr) keep_alive = *t_current_library;
    Tensor t = Tensor::from_dlpack(tensor, std::move(keep_alive));
    dict_of(d).set(key_of(key), Value(std::move(t)));
  });
}

fm_error* dict_set_list(fm_dict* d, const char* key, size_t length) { return set_value(d, key, Value(List(length))); }
fm_error* dict_set_dict(fm_dict* d, const char* key) { return set_value(d, key, Value(NDict())); }

fm_error* dict_copy(fm_dict* dst, const char* dst_key, const fm_dict* src, const char* src_key) {
  return guard_boundary([&] {
    Value v = dict_of(src).at(key_of(src_key));  // a copy: setting may move what src_key refers to
    dict_of(dst).set(key_of(dst_key), std::move(v));
  });
}

fm_error* dict_move(fm_dict* d, const char* dst_key, const char* src_key) {
  return guard_boundary([&] {
    NDict& dict = dict_of(d);
    std::optional<Value> v = dict.pop(key_of(src_key));
    if (!v) throw Error(Errc::kKeyNotFound, dict.missing_key_message(src_key));
    try {
      dict.set(key_of(dst_key), std::move(*v));
    } catch (...) {
      dict.set(src_key, std::move(*v));  // leave the dict as it was
      throw;
    }
  });
}

fm_error* dict_remove(fm_dict* d, const char* key) {
  return guard_boundary([&] {
    NDict& dict = dict_of(d);
    if (!dict.pop(key_of(key))) throw Error(Errc::kKeyNotFound, dict.missing_key_message(key));
  });
}

fm_error* tensor_alloc(int32_t ndim, const int64_t* shape, DLDataType dtype, DLDevice device, DLManagedTensor** out) {
  return guard_boundary([&] {
    require_out(out);
    if (device.device_type != kDLCPU)
      throw_error(Errc::kUnsupported, "tensor_alloc: this host allocates CPU tensors only (device type " +
                                          std::to_string(device.device_type) + " asked)");
    if (ndim < 0 || (ndim > 0 && shape == nullptr)) throw_error(Errc::kInvalidArgument, "tensor_alloc: bad shape");
    *out = Tensor::empty(std::vector<int64_t>(shape, shape + ndim), dtype).to_dlpack();
  });
}

fm_dict* dict_new() {
  try {
    return to_handle(new NDict());
  } catch (...) {
    return nullptr;
  }
}

void dict_free(fm_dict* d) { delete reinterpret_cast<NDict*>(d); }

const fm_api_v1 kApiV1 = {
    sizeof(fm_api_v1), FM_ABI_VERSION_MAJOR, FM_ABI_VERSION_MINOR,
    &error_new,        &error_code,          &error_message,
    &error_free,       &log_message,         &dict_type,
    &dict_get_int,     &dict_get_double,     &dict_get_bool,
    &dict_get_string,  &dict_get_tensor,     &dict_get_tensor_mut,
    &dict_ref_tensor,  &dict_list_length,    &dict_keys,
    &dict_set_null,    &dict_set_int,        &dict_set_double,
    &dict_set_bool,    &dict_set_string,     &dict_set_tensor,
    &dict_set_list,    &dict_set_dict,       &dict_copy,
    &dict_move,        &dict_remove,         &tensor_alloc,
    &dict_new,         &dict_free,
};

}  // namespace

const fm_api_v1* host_api_v1() { return &kApiV1; }

fm_error* current_exception_error() noexcept {
  try {
    throw;
  } catch (const Error& e) {
    return make_error(to_fm_code(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return make_error(FM_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return make_error(FM_ERR_INTERNAL, e.what());
  } catch (...) {
    return make_error(FM_ERR_INTERNAL, "unknown exception in the host");
  }
}

const void* host_get_api(uint32_t major, uint32_t minor) {
  if (major == FM_ABI_VERSION_MAJOR && minor <= FM_ABI_VERSION_MINOR) return &kApiV1;
  return nullptr;
}

void throw_plugin_error(fm_error* error, const std::string& context) {
  if (error == nullptr) return;
  const int code = error->code;
  std::string message = context + error->message;
  error_free(error);
  const Errc errc = code >= FM_ERR_INVALID_ARGUMENT && code <= FM_ERR_NUMERIC ? static_cast<Errc>(code) : Errc::kPlugin;
  throw Error(errc, message);
}

CallScope::CallScope(const std::shared_ptr<Library>& library) : previous_(t_current_library) {
  t_current_library = &library;
}

CallScope::~CallScope() { t_current_library = previous_; }

}  // namespace fuse
