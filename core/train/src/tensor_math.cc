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

}  // namespace fuse::train
