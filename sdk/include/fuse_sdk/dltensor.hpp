// Helpers on plain DLTensors (element count, layout, shape text). Pure header with no host dependency,
// shared by the host and plugins.
#ifndef FUSE_SDK_DLTENSOR_HPP_
#define FUSE_SDK_DLTENSOR_HPP_

#include <cstdint>
#include <string>

#include <dlpack/dlpack.h>

#include "fuse_sdk/dtype.hpp"

namespace fuse::sdk {

inline int64_t numel(const DLTensor& t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.ndim; ++i) n *= t.shape[i];
  return n;
}

// True when the elements are laid out densely in row-major order (strides NULL or equal to that layout).
inline bool is_contiguous(const DLTensor& t) {
  if (t.strides == nullptr) return true;
  int64_t expected = 1;
  for (int32_t i = t.ndim - 1; i >= 0; --i) {
    if (t.shape[i] != 1 && t.strides[i] != expected) return false;
    expected *= t.shape[i];
  }
  return true;
}

inline std::string shape_string(const int64_t* shape, int32_t ndim) {
  std::string s = "[";
  for (int32_t i = 0; i < ndim; ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

inline std::string shape_string(const DLTensor& t) { return shape_string(t.shape, t.ndim); }

inline DLDevice cpu_device() { return DLDevice{kDLCPU, 0}; }

}  // namespace fuse::sdk

#endif  // FUSE_SDK_DLTENSOR_HPP_
