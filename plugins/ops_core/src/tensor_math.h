// Helpers shared by the ops: typed loops over tensors, dtype names and conversions.
#ifndef FUSE_PLUGINS_OPS_CORE_TENSOR_MATH_H_
#define FUSE_PLUGINS_OPS_CORE_TENSOR_MATH_H_

#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"
#include "fuse_sdk/tensor_ops.hpp"

namespace fuse::ops {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;
using sdk::Tensor;
using sdk::TensorView;
using sdk::with_floating;

// Calls f(T{}) for the tensor's dtype or throws an error naming the key and the supported dtypes.
template <class F>
void dispatch(const TensorView& t, F&& f) {
  if (!sdk::dispatch_dtype(t.dtype(), f))
    fail(FM_ERR_TYPE, "key '" + t.name() + "': dtype " + sdk::dtype_name(t.dtype()) +
                          " is not supported (uint8, int8, int16, int32, int64, float32, float64)");
}

// A table's empty cell (null) under `key`, which an op cannot work on (`what`: "nothing to stack"): the error
// says how to fill it.
[[noreturn]] inline void refuse_empty_cell(const std::string& key, const std::string& what = "") {
  fail(FM_ERR_TYPE, "key '" + key + "' is empty (null) in this sample: " + (what.empty() ? "" : what + "; ") +
                        "fill missing values first with fuse.ops.nan_to_num (\"fit\": true fills in the training samples' mean)");
}

// A number (a table's column) has no statistics of its own: an op needs `fields` given or fitted.
[[noreturn]] inline void refuse_number_without(const std::string& key, const std::string& what, const std::string& fields) {
  fail(FM_ERR_INVALID_ARGUMENT, "key '" + key + "' holds a number, which has no " + what + " of its own: set " + fields +
                                    ", or mark the step \"fit\": true to take the training samples'");
}

// The dtype named in a config ("float32", ...), or an error naming the op.
inline DLDataType dtype_from_config(const std::string& name) {
  std::optional<DLDataType> t = sdk::parse_dtype(name);
  if (!t) fail(FM_ERR_INVALID_ARGUMENT, "unknown dtype '" + name + "'");
  return *t;
}

// A number as people write it: "0.5", "255", "1e-07" (six significant digits).
inline std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// Outer, size and inner extents of `axis` in `shape`: element (i, k, j) is at (i * size + k) * inner + j.
struct Extents {
  int64_t outer = 1, size = 1, inner = 1;
};
inline Extents extents(const std::vector<int64_t>& shape, int32_t axis) {
  Extents e;
  for (int32_t d = 0; d < axis; ++d) e.outer *= shape[static_cast<size_t>(d)];
  e.size = shape[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) e.inner *= shape[d];
  return e;
}

// Normalises a possibly negative axis of a tensor with `ndim` dimensions (`extra` = 1 when the axis may also
// be one past the end, as for stack or unsqueeze).
inline int32_t axis_index(int64_t axis, int32_t ndim, int32_t extra, const std::string& key) {
  const int64_t n = ndim + extra;
  const int64_t a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n)
    fail(FM_ERR_SHAPE, "key '" + key + "': axis " + std::to_string(axis) + " is out of range for " +
                           std::to_string(ndim) + " dimensions");
  return static_cast<int32_t>(a);
}

}  // namespace fuse::ops

#endif  // FUSE_PLUGINS_OPS_CORE_TENSOR_MATH_H_
