// NDict: FuseMedML's nested dictionary. A sample or a batch is a tree addressed by dotted keys
// ("data.image", "model.logits.cls"); a list element is addressed by its index ("data.paths.1").
// Entries keep insertion order. Copying an NDict copies the tree; tensors inside share their buffers
// (copy on write, see Tensor).
#ifndef FUSE_NDICT_NDICT_H_
#define FUSE_NDICT_NDICT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "fuse/base/error.h"
#include "fuse/tensor/tensor.h"

namespace fuse {

class Value;
using List = std::vector<Value>;

class NDict {
 public:
  struct Entry;

  NDict();
  NDict(const NDict&);
  NDict(NDict&&) noexcept;
  NDict& operator=(const NDict&);
  NDict& operator=(NDict&&) noexcept;
  ~NDict();

  // -- dotted-key access --
  bool has(std::string_view key) const { return find(key) != nullptr; }
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // The value under `key`; a missing key throws Errc::kKeyNotFound naming the nearest present keys.
  const Value& at(std::string_view key) const;
  Value& at(std::string_view key);
  // The value as T (int64_t, double, bool, std::string, Tensor, List, NDict); the error names the key.
  template <class T>
  const T& get(std::string_view key) const;
  template <class T>
  T& get(std::string_view key);
  // Sets `key`, creating the dicts missing on its path; replaces an existing value. Returns the stored value.
  Value& set(std::string_view key, Value value);
  // Removes `key` and returns its value (nullopt when missing).
  std::optional<Value> pop(std::string_view key);
  bool erase(std::string_view key);

  // -- structure --
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  // Every leaf (non-dict value) as a dotted key, depth first in insertion order. Lists are leaves.
  std::vector<std::string> keys() const;
  // The names of the top-level entries.
  std::vector<std::string> child_keys() const;
  // The leaf keys matching a glob: '*' matches within one segment, '**' across segments, '?' one character.
  // "data.*.image" matches data.t1.image; "model.**" every leaf under model.
  std::vector<std::string> keys_matching(std::string_view pattern) const;
  std::vector<std::pair<std::string, const Value*>> flatten() const;
  // The dict under `key` (Errc::kType if the value there is not a dict).
  const NDict& subtree(std::string_view key) const;
  NDict& subtree(std::string_view key);
  // Sets every leaf of `other` into this dict (a deep update).
  void merge(const NDict& other);

  // An indented, human-readable tree: tensors as dtype[shape], strings quoted.
  std::string to_string() const;

  // The message of a missing-key error: the key and the nearest keys present.
  std::string missing_key_message(std::string_view key) const;

 private:
  // The child `segment` of a container value (dict entry or list element), or nullptr.
  static Value* child(Value& parent, std::string_view segment);
  std::vector<Entry> entries_;
};

enum class ValueType { kNull, kTensor, kInt, kDouble, kBool, kString, kList, kDict };
const char* value_type_name(ValueType type);

// One value of an NDict.
class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(Tensor v) : v_(std::move(v)) {}
  Value(bool v) : v_(v) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T v) : v_(static_cast<int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(float v) : v_(static_cast<double>(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(List v) : v_(std::move(v)) {}
  Value(NDict v) : v_(std::move(v)) {}

  ValueType type() const { return static_cast<ValueType>(v_.index()); }
  const char* type_name() const { return value_type_name(type()); }
  bool is_null() const { return type() == ValueType::kNull; }
  template <class T>
  bool is() const {
    return std::holds_alternative<T>(v_);
  }
  // The value as T; Errc::kType with "expected X, found Y" otherwise.
  template <class T>
  const T& as() const;
  template <class T>
  T& as() {
    return const_cast<T&>(std::as_const(*this).as<T>());
  }
  // An int or a double as double.
  double as_number() const;

  // One line: 3, 0.5, "text", float32[2, 3], list[4], dict{2}.
  std::string summary() const;

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  template <class T>
  static ValueType type_of();
  std::variant<std::monostate, Tensor, int64_t, double, bool, std::string, List, NDict> v_;
};

struct NDict::Entry {
  std::string key;
  Value value;
};

// Deep equality; tensors are equal when dtype, shape and bytes are.
bool operator==(const NDict& a, const NDict& b);
inline bool operator!=(const NDict& a, const NDict& b) { return !(a == b); }
std::ostream& operator<<(std::ostream& out, const NDict& dict);
std::ostream& operator<<(std::ostream& out, const Value& value);

template <class T>
ValueType Value::type_of() {
  if constexpr (std::is_same_v<T, Tensor>) return ValueType::kTensor;
  else if constexpr (std::is_same_v<T, int64_t>) return ValueType::kInt;
  else if constexpr (std::is_same_v<T, double>) return ValueType::kDouble;
  else if constexpr (std::is_same_v<T, bool>) return ValueType::kBool;
  else if constexpr (std::is_same_v<T, std::string>) return ValueType::kString;
  else if constexpr (std::is_same_v<T, List>) return ValueType::kList;
  else if constexpr (std::is_same_v<T, NDict>) return ValueType::kDict;
  else static_assert(sizeof(T) == 0, "not an NDict value type");
}

template <class T>
const T& Value::as() const {
  if (const T* p = std::get_if<T>(&v_)) return *p;
  throw Error(Errc::kType, std::string("expected ") + value_type_name(type_of<T>()) + ", found " + type_name());
}

template <class T>
const T& NDict::get(std::string_view key) const {
  const Value& v = at(key);
  try {
    return v.as<T>();
  } catch (const Error& e) {
    throw Error(e.code(), "key '" + std::string(key) + "': " + e.what());
  }
}

template <class T>
T& NDict::get(std::string_view key) {
  return const_cast<T&>(std::as_const(*this).get<T>(key));
}

}  // namespace fuse

#endif  // FUSE_NDICT_NDICT_H_
