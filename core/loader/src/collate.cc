#include "fuse/loader/collate.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"

namespace fuse::loader {
namespace {

std::string id_of(const NDict& s, const std::string& id_key, size_t i) {
  const Value* v = s.find(id_key);
  return v && v->is<std::string>() ? v->as<std::string>() : "#" + std::to_string(i);
}

// The samples' tensors under one key, stacked (or padded) into one.
void stack(const std::string& key, const std::vector<const Tensor*>& parts, const std::vector<NDict>& samples,
           const CollateOptions& o, NDict& batch) {
  const Tensor& first = *parts[0];
  std::vector<int64_t> largest = first.shape();
  bool same = true;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Tensor& t = *parts[i];
    if (!dtype_eq(t.dtype(), first.dtype()))
      throw Error(Errc::kType, "collate: key '" + key + "' is " + t.description() + " in sample '" + id_of(samples[i], o.id_key, i) +
                                   "' but " + first.description() + " in sample '" + id_of(samples[0], o.id_key, 0) + "'");
    if (t.ndim() != first.ndim())
      throw Error(Errc::kShape, "collate: key '" + key + "' has shape " + shape_string(t.shape()) + " in sample '" +
                                    id_of(samples[i], o.id_key, i) + "' but " + shape_string(first.shape()) + " in sample '" +
                                    id_of(samples[0], o.id_key, 0) + "': tensors of different ranks cannot be batched");
    for (int32_t d = 0; d < t.ndim(); ++d) largest[static_cast<size_t>(d)] = std::max(largest[static_cast<size_t>(d)], t.shape()[static_cast<size_t>(d)]);
    same = same && t.shape() == first.shape();
  }
  if (!same && !o.pad) {
    std::vector<std::string> shapes;
    for (size_t i = 0; i < parts.size() && shapes.size() < 4; ++i)
      if (parts[i]->shape() != first.shape() || i == 0) shapes.push_back(shape_string(parts[i]->shape()) + " in '" + id_of(samples[i], o.id_key, i) + "'");
    throw Error(Errc::kShape, "collate: key '" + key + "' has different shapes: " + join(shapes, ", ") +
                                  "; resize or crop them in the pipeline, or pad them (collate pad)");
  }
  std::vector<int64_t> shape = largest;
  shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
  Tensor out = Tensor::zeros(shape, first.dtype());
  Tensor mask = same ? Tensor() : Tensor::zeros(shape, sdk::kUInt8);
  const size_t item = static_cast<size_t>(sdk::dtype_size(first.dtype()));
  int64_t slot = 1;
  for (int64_t d : largest) slot *= d;
  char* dst = static_cast<char*>(out.mutable_raw_data());
  uint8_t* m = same ? nullptr : mask.mutable_data<uint8_t>();
  for (size_t i = 0; i < parts.size(); ++i) {
    const Tensor t = parts[i]->is_contiguous() ? *parts[i] : parts[i]->clone();
    const char* src = static_cast<const char*>(t.raw_data());
    if (same) {
      std::memcpy(dst + i * static_cast<size_t>(slot) * item, src, t.nbytes());
      continue;
    }
    // Copy element by element into the top-left corner of the slot (row-major index arithmetic).
    const std::vector<int64_t>& s = t.shape();
    std::vector<int64_t> index(s.size(), 0);
    for (int64_t e = 0, n = t.numel(); e < n; ++e) {
      int64_t offset = 0;
      for (size_t d = 0; d < s.size(); ++d) offset = offset * largest[d] + index[d];
      std::memcpy(dst + (static_cast<size_t>(i * slot + offset)) * item, src + static_cast<size_t>(e) * item, item);
      m[i * static_cast<size_t>(slot) + static_cast<size_t>(offset)] = 1;
      for (size_t d = s.size(); d-- > 0;) {
        if (++index[d] < s[d]) break;
        index[d] = 0;
      }
    }
  }
  batch.set(key, Value(std::move(out)));
  if (!same) batch.set(key + "_mask", Value(std::move(mask)));
}

}  // namespace

NDict collate(const std::vector<NDict>& samples, const CollateOptions& o) {
  NDict batch;
  if (samples.empty()) return batch;
  const std::vector<std::string> keys = samples[0].keys();
  for (size_t i = 1; i < samples.size(); ++i) {
    const std::vector<std::string> other = samples[i].keys();
    for (const std::string& k : other)
      if (!samples[0].has(k) && std::find(o.skip.begin(), o.skip.end(), k) == o.skip.end())
        throw Error(Errc::kKeyNotFound, "collate: key '" + k + "' is in sample '" + id_of(samples[i], o.id_key, i) +
                                            "' but not in sample '" + id_of(samples[0], o.id_key, 0) + "'");
  }
  for (const std::string& key : keys) {
    if (std::find(o.skip.begin(), o.skip.end(), key) != o.skip.end()) continue;
    std::vector<const Value*> values;
    for (size_t i = 0; i < samples.size(); ++i) {
      const Value* v = samples[i].find(key);
      if (v == nullptr)
        throw Error(Errc::kKeyNotFound, "collate: key '" + key + "' is in sample '" + id_of(samples[0], o.id_key, 0) +
                                            "' but not in sample '" + id_of(samples[i], o.id_key, i) + "'");
      values.push_back(v);
    }
    const ValueType type = values[0]->type();
    const bool uniform = std::all_of(values.begin(), values.end(), [&](const Value* v) { return v->type() == type; });
    if (uniform && type == ValueType::kTensor) {
      std::vector<const Tensor*> parts;
      for (const Value* v : values) parts.push_back(&v->as<Tensor>());
      stack(key, parts, samples, o, batch);
    } else if (uniform && type == ValueType::kInt) {
      std::vector<int64_t> v;
      for (const Value* x : values) v.push_back(x->as<int64_t>());
      batch.set(key, Value(Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())})));
    } else if (uniform && type == ValueType::kDouble) {
      std::vector<double> v;
      for (const Value* x : values) v.push_back(x->as<double>());
      batch.set(key, Value(Tensor::from_vector<double>(v, {static_cast<int64_t>(v.size())})));
    } else if (std::all_of(values.begin(), values.end(), [](const Value* v) { return v->is<int64_t>() || v->is<double>(); })) {
      std::vector<double> v;  // ints and doubles mixed (2 and 2.5, as a JSON list gives them): float64, as one column
      for (const Value* x : values) v.push_back(x->as_number());
      batch.set(key, Value(Tensor::from_vector<double>(v, {static_cast<int64_t>(v.size())})));
    } else if (uniform && type == ValueType::kBool) {
      std::vector<uint8_t> v;
      for (const Value* x : values) v.push_back(x->as<bool>() ? 1 : 0);
      batch.set(key, Value(Tensor::from_vector<uint8_t>(v, {static_cast<int64_t>(v.size())})));
    } else {
      List list;
      for (const Value* x : values) list.push_back(*x);
      batch.set(key, Value(std::move(list)));
    }
  }
  return batch;
}

}  // namespace fuse::loader
