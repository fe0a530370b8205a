#include "fuse/train/gradient_reducer.h"

#include <torch/torch.h>

#include <chrono>
#include <map>

#include "communicator_impl.h"
#include "fuse/base/error.h"

namespace fuse::train {

namespace {

torch::ScalarType scalar_type(DLDataType t, const std::string& name) {
  if (t.code == kDLFloat && t.bits == 32) return torch::kFloat32;
  if (t.code == kDLFloat && t.bits == 64) return torch::kFloat64;
  if (t.code == kDLFloat && t.bits == 16) return torch::kFloat16;
  if (t.code == kDLBfloat && t.bits == 16) return torch::kBFloat16;
  throw Error(Errc::kType, "gradient of '" + name + "': dtype " + sdk::dtype_name(t) + " cannot be all-reduced (floating point expected)");
}

// A gradient's memory as one flat run of numbers. Views are dense (contiguous or a permutation such as
// channels-last), and every rank has the same layout, so element i is the same number everywhere.
torch::Tensor flat(const DLTensor& t, const std::string& name) {
  int64_t n = 1;
  for (int32_t i = 0; i < t.ndim; ++i) n *= t.shape[i];
  const torch::Device device = t.device.device_type == kDLCUDA ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(t.device.device_id))
                                                               : torch::Device(torch::kCPU);
  return torch::from_blob(static_cast<char*>(t.data) + t.byte_offset, {n}, torch::TensorOptions().dtype(scalar_type(t.dtype, name)).device(device));
}

}  // namespace

struct GradientReducer::Impl {
  struct Bucket {
    std::vector<torch::Tensor> grads;  // flat views of the gradients in it
    std::vector<std::string> components;
    torch::Tensor buffer;              // their concatenation
    c10::intrusive_ptr<c10d::Work> work;
    bool sent = false;
  };
  Communicator::Impl* comm = nullptr;
  std::vector<Bucket> buckets;
  std::map<std::string, bool> done;
  size_t next = 0;  // the first bucket not sent
  bool active = false;
  double weight = 1;
  size_t bytes = 0, reductions = 0;
  double waited = 0;

  bool complete(const Bucket& b) const {
    for (const std::string& c : b.components)
      if (!done.at(c)) return false;
    return true;
  }
  void send(Bucket& b) {
    int64_t at = 0;
    for (const torch::Tensor& g : b.grads) {
      b.buffer.narrow(0, at, g.numel()).copy_(g);
      at += g.numel();
    }
    if (weight != 1) b.buffer.mul_(weight);
    std::vector<torch::Tensor> tensors{b.buffer};
    b.work = comm->group->allreduce(tensors);
    b.sent = true;
  }
  // In bucket order only: every rank issues the same collectives in the same order.
  void send_ready() {
    while (next < buckets.size() && complete(buckets[next])) send(buckets[next++]);
  }
};

GradientReducer::GradientReducer(Communicator& communicator, const std::vector<ComponentParameters>& components, size_t bucket_bytes)
    : impl_(std::make_unique<Impl>()) {
  impl_->comm = &communicator.impl();
  bucket_bytes = std::max<size_t>(1, bucket_bytes);
  Impl::Bucket current;
  size_t current_bytes = 0;
  auto close = [&] {
    if (current.grads.empty()) return;
    int64_t n = 0;
    for (const torch::Tensor& g : current.grads) n += g.numel();
    current.buffer = torch::empty({n}, current.grads[0].options());
    impl_->buckets.push_back(std::move(current));
    current = Impl::Bucket();
    current_bytes = 0;
  };
  for (auto c = components.rbegin(); c != components.rend(); ++c) {
    impl_->done[c->first] = false;
    for (auto p = c->second.rbegin(); p != c->second.rend(); ++p) {
      if (p->grad == nullptr) continue;
      torch::Tensor g = flat(*p->grad, c->first + "." + p->name);
      if (!current.grads.empty() && (g.scalar_type() != current.grads[0].scalar_type() || g.device() != current.grads[0].device())) close();
      current.grads.push_back(g);
      if (current.components.empty() || current.components.back() != c->first) current.components.push_back(c->first);
      const size_t size = static_cast<size_t>(g.numel()) * g.element_size();
      current_bytes += size;
      impl_->bytes += size;
      if (current_bytes >= bucket_bytes) close();
    }
  }
  close();
}

GradientReducer::~GradientReducer() {
  // A step abandoned by an error: wait out what was sent before the buffers go away.
  for (Impl::Bucket& b : impl_->buckets)
    if (b.work) {
      try {
        b.work->wait();
      } catch (...) {
      }
    }
}

void GradientReducer::begin(double weight) {
  impl_->active = true;
  impl_->weight = weight;
  impl_->next = 0;
  for (auto& [name, done] : impl_->done) done = false;
  for (Impl::Bucket& b : impl_->buckets) b.sent = false, b.work.reset();
}

void GradientReducer::ready(const std::string& component) {
  if (!impl_->active) return;
  const auto it = impl_->done.find(component);
  if (it == impl_->done.end()) return;  // no reduced parameters
  it->second = true;
  impl_->send_ready();
}

void GradientReducer::finish(const std::string& what) {
  if (!impl_->active) throw Error(Errc::kInternal, "gradient reducer: finish without begin");
  impl_->active = false;
  const auto start = std::chrono::steady_clock::now();
  for (; impl_->next < impl_->buckets.size(); ++impl_->next) impl_->send(impl_->buckets[impl_->next]);
  for (Impl::Bucket& b : impl_->buckets) {
    impl_->comm->wait(b.work, what);
    b.work.reset();
    int64_t at = 0;
    for (torch::Tensor& g : b.grads) {
      g.copy_(b.buffer.narrow(0, at, g.numel()));
      at += g.numel();
    }
  }
  impl_->waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++impl_->reductions;
}

size_t GradientReducer::bytes() const { return impl_->bytes; }
size_t GradientReducer::buckets() const { return impl_->buckets.size(); }
size_t GradientReducer::reductions() const { return impl_->reductions; }
double GradientReducer::waited_seconds() const { return impl_->waited; }

}  // namespace fuse::train
