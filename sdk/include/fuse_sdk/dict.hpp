// NDict handles on the plugin side: DictView reads, Dict also writes, OwnedDict owns a dict.
#ifndef FUSE_SDK_DICT_HPP_
#define FUSE_SDK_DICT_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuse_sdk/error.hpp"
#include "fuse_sdk/tensor.hpp"

namespace fuse::sdk {

inline const char* value_type_name(fm_value_type type) {
  switch (type) {
    case FM_VALUE_MISSING: return "missing";
    case FM_VALUE_NULL: return "null";
    case FM_VALUE_TENSOR: return "tensor";
    case FM_VALUE_INT: return "int";
    case FM_VALUE_DOUBLE: return "double";
    case FM_VALUE_BOOL: return "bool";
    case FM_VALUE_STRING: return "string";
    case FM_VALUE_LIST: return "list";
    case FM_VALUE_DICT: return "dict";
    default: return "unknown";
  }
}

// A read-only view of a dict the host lends for one call (or of an OwnedDict).
class DictView {
 public:
  explicit DictView(const fm_dict* dict) : d_(dict) {}
  const fm_dict* handle() const { return d_; }

  fm_value_type type(const std::string& key) const { return api().dict_type(d_, key.c_str()); }
  bool has(const std::string& key) const { return type(key) != FM_VALUE_MISSING; }
  // Missing or null: what an optional config value looks like.
  bool is_unset(const std::string& key) const {
    fm_value_type t = type(key);
    return t == FM_VALUE_MISSING || t == FM_VALUE_NULL;
  }

  int64_t get_int(const std::string& key) const {
    int64_t v = 0;
    check(api().dict_get_int(d_, key.c_str(), &v));
    return v;
  }
  double get_double(const std::string& key) const {
    double v = 0;
    check(api().dict_get_double(d_, key.c_str(), &v));
    return v;
  }
  bool get_bool(const std::string& key) const {
    int32_t v = 0;
    check(api().dict_get_bool(d_, key.c_str(), &v));
    return v != 0;
  }
  // Valid until the value under `key` changes.
  std::string_view get_string_view(const std::string& key) const {
    const char* s = nullptr;
    size_t n = 0;
    check(api().dict_get_string(d_, key.c_str(), &s, &n));
    return std::string_view(s, n);
  }
  std::string get_string(const std::string& key) const { return std::string(get_string_view(key)); }

  std::optional<int64_t> find_int(const std::string& key) const {
    return is_unset(key) ? std::nullopt : std::optional<int64_t>(get_int(key));
  }
  std::optional<double> find_double(const std::string& key) const {
    return is_unset(key) ? std::nullopt : std::optional<double>(get_double(key));
  }
  std::optional<std::string> find_string(const std::string& key) const {
    return is_unset(key) ? std::nullopt : std::optional<std::string>(get_string(key));
  }

  size_t list_length(const std::string& key) const {
    size_t n = 0;
    check(api().dict_list_length(d_, key.c_str(), &n));
    return n;
  }
  // A list of strings, or a single string read as a list of one; empty when unset.
  std::vector<std::string> get_strings(const std::string& key) const {
    std::vector<std::string> out;
    fm_value_type t = type(key);
    if (t == FM_VALUE_MISSING || t == FM_VALUE_NULL) return out;
    if (t == FM_VALUE_STRING) return {get_string(key)};
    for (size_t i = 0, n = list_length(key); i < n; ++i) out.push_back(get_string(key + "." + std::to_string(i)));
    return out;
  }
  std::vector<double> get_doubles(const std::string& key) const {
    std::vector<double> out;
    for (size_t i = 0, n = list_length(key); i < n; ++i) out.push_back(get_double(key + "." + std::to_string(i)));
    return out;
  }
  std::vector<int64_t> get_ints(const std::string& key) const {
    std::vector<int64_t> out;
    for (size_t i = 0, n = list_length(key); i < n; ++i) out.push_back(get_int(key + "." + std::to_string(i)));
    return out;
  }

  TensorView tensor(const std::string& key) const {
    const DLTensor* t = nullptr;
    check(api().dict_get_tensor(d_, key.c_str(), &t));
    return TensorView(t, key);
  }
  // A new reference to the tensor (no copy of its data).
  Tensor ref_tensor(const std::string& key) const {
    DLManagedTensor* t = nullptr;
    check(api().dict_ref_tensor(d_, key.c_str(), &t));
    return Tensor(t);
  }

  // Keys below `prefix` ("" for the root): its direct children, or every leaf when `leaves` is true.
  std::vector<std::string> keys(const std::string& prefix = "", bool leaves = false) const {
    std::vector<std::string> out;
    auto visit = [](void* user, const char* key, fm_value_type) -> int32_t {
      static_cast<std::vector<std::string>*>(user)->emplace_back(key);
      return 0;
    };
    check(api().dict_keys(d_, prefix.c_str(), leaves ? FM_KEYS_LEAVES : FM_KEYS_CHILDREN, visit, &out));
    return out;
  }

 protected:
  const fm_dict* d_;
};

// A dict the plugin may also write.
class Dict : public DictView {
 public:
  explicit Dict(fm_dict* dict) : DictView(dict) {}
  fm_dict* handle() const { return const_cast<fm_dict*>(d_); }

  // A view to write the tensor in place; the host copies a shared buffer first (copy on write).
  MutTensorView tensor_mut(const std::string& key) {
    DLTensor* t = nullptr;
    check(api().dict_get_tensor_mut(handle(), key.c_str(), &t));
    return MutTensorView(t, key);
  }

  void set_null(const std::string& key) { check(api().dict_set_null(handle(), key.c_str())); }
  void set_int(const std::string& key, int64_t v) { check(api().dict_set_int(handle(), key.c_str(), v)); }
  void set_double(const std::string& key, double v) { check(api().dict_set_double(handle(), key.c_str(), v)); }
  void set_bool(const std::string& key, bool v) { check(api().dict_set_bool(handle(), key.c_str(), v ? 1 : 0)); }
  void set_string(const std::string& key, std::string_view v) {
    check(api().dict_set_string(handle(), key.c_str(), v.data(), v.size()));
  }
  void set_tensor(const std::string& key, Tensor&& t) {
    check(api().dict_set_tensor(handle(), key.c_str(), t.release()));
  }
  void set_list(const std::string& key, size_t length) {
    check(api().dict_set_list(handle(), key.c_str(), length));
  }
  void set_dict(const std::string& key) { check(api().dict_set_dict(handle(), key.c_str())); }
  void copy(const std::string& dst_key, const DictView& src, const std::string& src_key) {
    check(api().dict_copy(handle(), dst_key.c_str(), src.handle(), src_key.c_str()));
  }
  void copy(const std::string& dst_key, const std::string& src_key) { copy(dst_key, *this, src_key); }
  void move(const std::string& dst_key, const std::string& src_key) {
    check(api().dict_move(handle(), dst_key.c_str(), src_key.c_str()));
  }
  void remove(const std::string& key) { check(api().dict_remove(handle(), key.c_str())); }
};

// A dict the plugin creates and owns (e.g. to build a result before copying it out), or one the host hands
// over (a prediction's result).
class OwnedDict : public Dict {
 public:
  OwnedDict() : Dict(api().dict_new()) {}
  // Takes ownership of `owned`, made by the host's dict_new or handed over by the host.
  explicit OwnedDict(fm_dict* owned) : Dict(owned) {}
  OwnedDict(OwnedDict&& other) noexcept : Dict(other.handle()) { other.d_ = nullptr; }
  OwnedDict(const OwnedDict&) = delete;
  OwnedDict& operator=(const OwnedDict&) = delete;
  OwnedDict& operator=(OwnedDict&&) = delete;
  ~OwnedDict() {
    if (d_ != nullptr) api().dict_free(handle());
  }
};

}  // namespace fuse::sdk

#endif  // FUSE_SDK_DICT_HPP_
