#include "fuse/json/ndict_json.h"

#include <charconv>
#include <cstdlib>
#include <string>

#include "fuse/base/error.h"
#include "fuse/json/document.h"

namespace fuse::json {
namespace {

namespace bj = boost::json;

[[noreturn]] void fail_at(const std::string& pointer, const std::string& message) {
  throw Error(Errc::kInvalidArgument, "at '" + (pointer.empty() ? std::string("/") : pointer) + "': " + message);
}

// The shape of a nested rectangular array of numbers, and whether every number is an integer; nullopt when
// the array is ragged or holds anything but numbers.
bool array_shape(const bj::value& v, size_t depth, std::vector<int64_t>& shape, bool& all_ints) {
  if (v.is_array()) {
    const bj::array& a = v.as_array();
    if (depth == shape.size()) shape.push_back(static_cast<int64_t>(a.size()));
    else if (depth > shape.size() || shape[depth] != static_cast<int64_t>(a.size())) return false;
    for (const bj::value& e : a)
      if (!array_shape(e, depth + 1, shape, all_ints)) return false;
    return true;
  }
  if (depth != shape.size()) return false;  // a number where the other branches had arrays
  if (v.is_int64() || v.is_uint64()) return true;
  if (v.is_double()) {
    all_ints = false;
    return true;
  }
  return false;
}

template <class T>
void flatten_numbers(const bj::value& v, T*& out) {
  if (v.is_array()) {
    for (const bj::value& e : v.as_array()) flatten_numbers(e, out);
    return;
  }
  *out++ = static_cast<T>(v.to_number<double>());
}

Tensor tensor_from_spec(const bj::object& spec, const std::string& pointer) {
  const bj::value* dtype_v = spec.if_contains("dtype");
  const bj::value* shape_v = spec.if_contains("shape");
  const bj::value* data_v = spec.if_contains("data");
  if (!dtype_v || !dtype_v->is_string()) fail_at(pointer, "$tensor needs a string 'dtype'");
  std::optional<DLDataType> dtype = sdk::parse_dtype(std::string(dtype_v->as_string()));
  if (!dtype) fail_at(pointer, "$tensor has unknown dtype '" + std::string(dtype_v->as_string()) + "'");
  if (!data_v || !data_v->is_array()) fail_at(pointer, "$tensor needs a 'data' array");
  std::vector<int64_t> shape;
  bool all_ints = true;
  if (!array_shape(*data_v, 0, shape, all_ints)) fail_at(pointer, "$tensor 'data' is not a rectangular array of numbers");
  if (shape_v) {
    if (!shape_v->is_array()) fail_at(pointer, "$tensor 'shape' must be an array of integers");
    std::vector<int64_t> given;
    for (const bj::value& d : shape_v->as_array()) {
      if (!d.is_int64()) fail_at(pointer, "$tensor 'shape' must be an array of integers");
      given.push_back(d.as_int64());
    }
    int64_t n = 1, m = 1;
    for (int64_t d : given) n *= d;
    for (int64_t d : shape) m *= d;
    if (n != m) fail_at(pointer, "$tensor 'shape' " + shape_string(given) + " does not match " + std::to_string(m) + " data values");
    shape = given;
  }
  Tensor t = Tensor::empty(shape, *dtype);
  const bool ok = sdk::dispatch_dtype(*dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = t.mutable_data<T>();
    flatten_numbers(*data_v, out);
  });
  if (!ok) fail_at(pointer, "$tensor dtype " + dtype_name(*dtype) + " cannot be read from JSON");
  return t;
}

Value convert(const bj::value& v, const FromJsonOptions& options, const std::string& pointer) {
  switch (v.kind()) {
    case bj::kind::null: return Value();
    case bj::kind::bool_: return Value(v.as_bool());
    case bj::kind::int64: return Value(v.as_int64());
    case bj::kind::uint64:
      if (v.as_uint64() > static_cast<uint64_t>(INT64_MAX)) fail_at(pointer, "integer too large for int64");
      return Value(static_cast<int64_t>(v.as_uint64()));
    case bj::kind::double_: return Value(v.as_double());
    case bj::kind::string: return Value(std::string(v.as_string()));
    case bj::kind::array: {
      const bj::array& a = v.as_array();
      if (options.numeric_arrays_as_tensors && !a.empty()) {
        std::vector<int64_t> shape;
        bool all_ints = true;
        if (array_shape(v, 0, shape, all_ints)) {
          Tensor t = Tensor::empty(shape, all_ints ? sdk::kInt64 : options.float_dtype);
          sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
            auto* out = t.mutable_data<decltype(tag)>();
            flatten_numbers(v, out);
          });
          return Value(std::move(t));
        }
      }
      List list;
      list.reserve(a.size());
      for (size_t i = 0; i < a.size(); ++i) list.push_back(convert(a[i], options, child_pointer(pointer, i)));
      return Value(std::move(list));
    }
    case bj::kind::object: {
      const bj::object& o = v.as_object();
      if (o.size() == 1 && o.contains("$tensor")) {
        const bj::value& spec = o.at("$tensor");
        if (!spec.is_object()) fail_at(pointer, "$tensor must be an object");
        return Value(tensor_from_spec(spec.as_object(), child_pointer(pointer, "$tensor")));
      }
      NDict d;
      for (const auto& member : o) {
        const std::string key(member.key());
        Value child = convert(member.value(), options, child_pointer(pointer, key));
        try {
          d.set(key, std::move(child));  // a dotted key nests; a clash with an earlier value is an error
        } catch (const Error& e) {
          fail_at(child_pointer(pointer, key), e.what());
        }
      }
      return Value(std::move(d));
    }
  }
  return Value();
}

// The double a float32 value means: its shortest decimal form, so 0.1f prints as 0.1, not 0.100000001.
double float_to_double(float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f);
  *end = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace

Value value_from_json(const boost::json::value& json, const FromJsonOptions& options) {
  return convert(json, options, "");
}

NDict ndict_from_json(const boost::json::object& json, const FromJsonOptions& options) {
  return std::move(convert(boost::json::value(json), options, "").as<NDict>());
}

boost::json::value tensor_to_json(const Tensor& tensor) {
  Tensor t = tensor.is_contiguous() ? tensor : tensor.clone();
  bj::array data;
  data.reserve(static_cast<size_t>(t.numel()));
  const bool ok = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, float>) data.emplace_back(float_to_double(p[i]));
      else if constexpr (std::is_floating_point_v<T>) data.emplace_back(static_cast<double>(p[i]));
      else data.emplace_back(static_cast<int64_t>(p[i]));
    }
  });
  bj::object spec;
  spec["dtype"] = dtype_name(t.dtype());
  bj::array shape;
  for (int64_t d : t.shape()) shape.emplace_back(d);
  spec["shape"] = std::move(shape);
  if (ok) spec["data"] = std::move(data);
  else spec["data"] = nullptr;  // no JSON form for this dtype (e.g. float16): shape and dtype only
  bj::object out;
  out["$tensor"] = std::move(spec);
  return out;
}

boost::json::value to_json(const Value& value) {
  switch (value.type()) {
    case ValueType::kNull: return nullptr;
    case ValueType::kTensor: return tensor_to_json(value.as<Tensor>());
    case ValueType::kInt: return value.as<int64_t>();
    case ValueType::kDouble: return value.as<double>();
    case ValueType::kBool: return value.as<bool>();
    case ValueType::kString: return bj::string(value.as<std::string>());
    case ValueType::kList: {
      bj::array a;
      for (const Value& v : value.as<List>()) a.push_back(to_json(v));
      return a;
    }
    case ValueType::kDict: return to_json(value.as<NDict>());
  }
  return nullptr;
}

boost::json::object to_json(const NDict& dict) {
  bj::object o;
  for (const NDict::Entry& e : dict.entries()) o[e.key] = to_json(e.value);
  return o;
}

}  // namespace fuse::json
