// DLPack data types: names, sizes, the C++ type of each, and dispatch from a runtime dtype to a template.
// Pure header with no host dependency, shared by the host and plugins.
#ifndef FUSE_SDK_DTYPE_HPP_
#define FUSE_SDK_DTYPE_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <dlpack/dlpack.h>

namespace fuse::sdk {

inline constexpr DLDataType make_dtype(uint8_t code, uint8_t bits) { return DLDataType{code, bits, 1}; }

inline constexpr DLDataType kUInt8 = make_dtype(kDLUInt, 8);
inline constexpr DLDataType kInt8 = make_dtype(kDLInt, 8);
inline constexpr DLDataType kInt16 = make_dtype(kDLInt, 16);
inline constexpr DLDataType kInt32 = make_dtype(kDLInt, 32);
inline constexpr DLDataType kInt64 = make_dtype(kDLInt, 64);
inline constexpr DLDataType kFloat16 = make_dtype(kDLFloat, 16);
inline constexpr DLDataType kBFloat16 = make_dtype(kDLBfloat, 16);
inline constexpr DLDataType kFloat32 = make_dtype(kDLFloat, 32);
inline constexpr DLDataType kFloat64 = make_dtype(kDLFloat, 64);
// DLPack 0.6 has no boolean code: booleans travel as uint8 holding 0 or 1 (as PyTorch 1.13 exports them).
inline constexpr DLDataType kBool = kUInt8;

// A named function, not operator==: DLDataType is a global C type that other libraries may also extend.
inline constexpr bool dtype_eq(DLDataType a, DLDataType b) {
  return a.code == b.code && a.bits == b.bits && a.lanes == b.lanes;
}

inline constexpr bool is_floating(DLDataType t) { return t.code == kDLFloat || t.code == kDLBfloat; }

// Bytes per element (lanes included).
inline constexpr int64_t dtype_size(DLDataType t) { return (int64_t{t.bits} * t.lanes + 7) / 8; }

// "float32", "int64", ... or a descriptive name for types outside that list.
inline std::string dtype_name(DLDataType t) {
  std::string base;
  switch (t.code) {
    case kDLInt: base = "int"; break;
    case kDLUInt: base = "uint"; break;
    case kDLFloat: base = "float"; break;
    case kDLBfloat: base = "bfloat"; break;
    case kDLComplex: base = "complex"; break;
    default: base = "code" + std::to_string(t.code) + "_"; break;
  }
  base += std::to_string(t.bits);
  if (t.lanes != 1) base += "x" + std::to_string(t.lanes);
  return base;
}

// The inverse of dtype_name for the common types; also accepts "bool", "float", "double", "int", "long".
inline std::optional<DLDataType> parse_dtype(std::string_view name) {
  struct Named {
    std::string_view name;
    DLDataType type;
  };
  static constexpr Named kNames[] = {
      {"uint8", kUInt8},     {"bool", kBool},       {"int8", kInt8},          {"int16", kInt16},
      {"int32", kInt32},     {"int", kInt32},       {"int64", kInt64},        {"long", kInt64},
      {"float16", kFloat16}, {"half", kFloat16},    {"bfloat16", kBFloat16}, {"float32", kFloat32},
      {"float", kFloat32},   {"float64", kFloat64}, {"double", kFloat64},
  };
  for (const Named& n : kNames)
    if (n.name == name) return n.type;
  return std::nullopt;
}

// The DLPack dtype of a C++ arithmetic type.
template <class T>
constexpr DLDataType dtype_of() {
  static_assert(std::is_arithmetic_v<T>, "dtype_of needs an arithmetic type");
  if constexpr (std::is_same_v<T, bool>) {
    return kBool;
  } else if constexpr (std::is_floating_point_v<T>) {
    return make_dtype(kDLFloat, sizeof(T) * 8);
  } else if constexpr (std::is_signed_v<T>) {
    return make_dtype(kDLInt, sizeof(T) * 8);
  } else {
    return make_dtype(kDLUInt, sizeof(T) * 8);
  }
}

// Calls `f(T{})` with the C++ type of `t` for uint8, int8/16/32/64, float32 and float64; returns false (and
// does not call f) for any other dtype, so the caller can report it.
template <class F>
bool dispatch_dtype(DLDataType t, F&& f) {
  if (t.lanes != 1) return false;
  switch (t.code) {
    case kDLUInt:
      if (t.bits == 8) return f(uint8_t{}), true;
      return false;
    case kDLInt:
      switch (t.bits) {
        case 8: return f(int8_t{}), true;
        case 16: return f(int16_t{}), true;
        case 32: return f(int32_t{}), true;
        case 64: return f(int64_t{}), true;
        default: return false;
      }
    case kDLFloat:
      if (t.bits == 32) return f(float{}), true;
      if (t.bits == 64) return f(double{}), true;
      return false;
    default:
      return false;
  }
}

// The same for float32 and float64 only.
template <class F>
bool dispatch_floating(DLDataType t, F&& f) {
  if (dtype_eq(t, kFloat32)) return f(float{}), true;
  if (dtype_eq(t, kFloat64)) return f(double{}), true;
  return false;
}

}  // namespace fuse::sdk

#endif  // FUSE_SDK_DTYPE_HPP_
