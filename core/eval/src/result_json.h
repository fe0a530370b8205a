// Internal to the evaluator: metric results as the JSON of evaluation.json (numbers, NaN as null; tensors as
// arrays), shared by the in-memory and the streaming evaluation.
#ifndef FUSE_EVAL_SRC_RESULT_JSON_H_
#define FUSE_EVAL_SRC_RESULT_JSON_H_

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "fuse/tensor/tensor.h"
#include "fuse_sdk/dtype.hpp"

namespace fuse::eval {

inline std::vector<double> tensor_values(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(p[i]);
  });
  return v;
}

inline boost::json::value number(double v) { return std::isfinite(v) ? boost::json::value(v) : boost::json::value(nullptr); }

inline boost::json::array numbers(const std::vector<double>& v) {
  boost::json::array a;
  for (double x : v) a.push_back(number(x));
  return a;
}

// A 1-D tensor as an array, a 2-D one (a confusion matrix) as an array of rows.
inline boost::json::array tensor_json(const Tensor& t) {
  const std::vector<double> v = tensor_values(t);
  if (t.ndim() != 2) return numbers(v);
  boost::json::array rows;
  const size_t cols = static_cast<size_t>(t.size(1));
  for (size_t r = 0; r < static_cast<size_t>(t.size(0)); ++r)
    rows.push_back(numbers(std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(r * cols), v.begin() + static_cast<std::ptrdiff_t>((r + 1) * cols))));
  return rows;
}

// The results' "arrays" entry of a metric unit (its curves, and a chart's numbers), made on first use.
inline boost::json::object& unit_arrays(boost::json::object& arrays, const std::string& unit) {
  boost::json::value& slot = arrays[unit];
  if (!slot.is_object()) slot = boost::json::object();
  return slot.as_object();
}

// A chart's number under its unit's arrays: the output's name without the "<unit>." in front.
inline std::string name_within_unit(const std::string& name, const std::string& unit) {
  return name.size() > unit.size() ? name.substr(unit.size() + 1) : name;
}

}  // namespace fuse::eval

#endif  // FUSE_EVAL_SRC_RESULT_JSON_H_
