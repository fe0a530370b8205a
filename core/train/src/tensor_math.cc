#include "tensor_math.h"

#include "fuse/base/error.h"
#include "torch_view.h"

namespace fuse::train {

Tensor add_tensors(const Tensor& a, const Tensor& b, const std::string& key) {
  if (a.shape() != b.shape())
    throw Error(Errc::kShape, "gradients of '" + key + "' have shapes " + shape_string(a.shape()) + " and " + shape_string(b.shape()));
  return wrap(view(a) + view(b));
}

Tensor scale_tensor(const Tensor& t, double factor) { return wrap(view(t).to(torch::kFloat32) * factor); }

Tensor to_host(const Tensor& t) {
  if (t.device().device_type == kDLCPU) return t;
  return wrap(view(t).cpu());
}

bool all_finite(const Tensor& t) { return torch::isfinite(view(t)).all().item<bool>(); }

void keys_to_host(NDict& d, const std::vector<std::string>& keys) {
  for (const std::string& k : keys)
    if (Value* v = d.find(k); v && v->is<Tensor>() && v->as<Tensor>().device().device_type != kDLCPU) *v = Value(to_host(v->as<Tensor>()));
}

NDict batch_row(const NDict& batch, size_t row, size_t rows) {
  NDict out;
  const int64_t r = static_cast<int64_t>(row), n = static_cast<int64_t>(rows);
  for (const auto& [key, value] : batch.flatten()) {
    if (value->is<Tensor>() && value->as<Tensor>().ndim() > 0 && value->as<Tensor>().shape()[0] == n)
      out.set(key, Value(wrap(view(value->as<Tensor>()).narrow(0, r, 1))));
    else if (value->is<List>() && value->as<List>().size() == rows)
      out.set(key, Value(List{value->as<List>()[row]}));
    else
      out.set(key, *value);
  }
  return out;
}

}  // namespace fuse::train
