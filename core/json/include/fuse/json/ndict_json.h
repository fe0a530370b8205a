// NDict <-> JSON. Tensors are written as {"$tensor": {"dtype": "float32", "shape": [2], "data": [1, 2]}} and
// read back from that form; rectangular arrays of numbers may also be read as tensors (for sample files).
#ifndef FUSE_JSON_NDICT_JSON_H_
#define FUSE_JSON_NDICT_JSON_H_

#include <boost/json/value.hpp>

#include "fuse/ndict/ndict.h"

namespace fuse::json {

struct FromJsonOptions {
  // Read rectangular arrays of numbers as tensors (int64 when all are integers, else float32) rather than
  // lists. Sample files want tensors; configs want lists.
  bool numeric_arrays_as_tensors = false;
  // The dtype of such tensors when a number has a fraction (float32, the usual training dtype, or float64).
  DLDataType float_dtype = sdk::kFloat32;
};

// Converts a JSON value; object keys with dots nest ("data.image" is data -> image). Errors name the pointer.
Value value_from_json(const boost::json::value& json, const FromJsonOptions& options = {});
NDict ndict_from_json(const boost::json::object& json, const FromJsonOptions& options = {});

boost::json::value to_json(const Value& value);
boost::json::object to_json(const NDict& dict);
boost::json::value tensor_to_json(const Tensor& tensor);

}  // namespace fuse::json

#endif  // FUSE_JSON_NDICT_JSON_H_
