#include "fuse/tensor/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace fuse {

// The buffer: the bytes and who frees them (a custom deleter of the shared_ptr that holds the Storage).
namespace {
struct Storage {
  void* data = nullptr;
  bool writable = true;
};
constexpr size_t kAlignment = 64;
}  // namespace

// Shape and strides live here so the DLTensor's pointers stay valid as long as any reference does.
struct Tensor::Impl {
  DLTensor dl{};
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;  // empty when contiguous (dl.strides == nullptr)
  std::shared_ptr<Storage> storage;

  void point_dl_at_vectors() {
    dl.ndim = static_cast<int32_t>(shape.size());
    dl.shape = shape.empty() ? nullptr : shape.data();
    dl.strides = strides.empty() ? nullptr : strides.data();
  }
};

namespace {

int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void check_shape(const std::vector<int64_t>& shape) {
  for (int64_t d : shape)
    if (d < 0) throw_error(Errc::kShape, "negative dimension in shape " + shape_string(shape));
}

// The context behind a DLManagedTensor this host exports: it holds one reference to the tensor.
struct Export {
  DLManagedTensor managed;
  std::shared_ptr<void> impl;
};

void export_deleter(DLManagedTensor* managed) { delete static_cast<Export*>(managed->manager_ctx); }

}  // namespace

std::string shape_string(const std::vector<int64_t>& shape) { return sdk::shape_string(shape.data(), static_cast<int32_t>(shape.size())); }

Tensor Tensor::empty(const std::vector<int64_t>& shape, DLDataType dtype) {
  check_shape(shape);
  const size_t bytes = static_cast<size_t>(count(shape) * sdk::dtype_size(dtype));
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* data = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (data == nullptr)
    throw_error(Errc::kOutOfMemory, "cannot allocate " + std::to_string(bytes) + " bytes for a " +
                                        dtype_name(dtype) + shape_string(shape) + " tensor");
  Tensor t;
  t.impl_ = std::make_shared<Impl>();
  t.impl_->storage = std::shared_ptr<Storage>(new Storage{data, true}, [](Storage* s) {
    std::free(s->data);
    delete s;
  });
  t.impl_->shape = shape;
  t.impl_->point_dl_at_vectors();
  t.impl_->dl.data = data;
  t.impl_->dl.device = DLDevice{kDLCPU, 0};
  t.impl_->dl.dtype = dtype;
  return t;
}

Tensor Tensor::zeros(const std::vector<int64_t>& shape, DLDataType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.impl_->dl.data, 0, t.nbytes());
  return t;
}

Tensor Tensor::from_dlpack(DLManagedTensor* managed, std::shared_ptr<const void> keep_alive) {
  if (managed == nullptr) throw_error(Errc::kInvalidArgument, "Tensor::from_dlpack: null DLManagedTensor");
  Tensor t;
  if (managed->deleter == &export_deleter) {
    // One of ours coming back (e.g. a plugin passed a tensor through): share the original, keep identity.
    t.impl_ = std::static_pointer_cast<Impl>(static_cast<Export*>(managed->manager_ctx)->impl);
    managed->deleter(managed);
    return t;
  }
  const DLTensor& src = managed->dl_tensor;
  t.impl_ = std::make_shared<Impl>();
  t.impl_->shape.assign(src.shape, src.shape + src.ndim);
  if (src.strides != nullptr && !sdk::is_contiguous(src)) t.impl_->strides.assign(src.strides, src.strides + src.ndim);
  t.impl_->point_dl_at_vectors();
  t.impl_->dl.data = src.data;
  t.impl_->dl.byte_offset = src.byte_offset;
  t.impl_->dl.device = src.device;
  t.impl_->dl.dtype = src.dtype;
  // Read-only to us: the producer may share this memory with views we cannot see (e.g. a plugin's zero-copy
  // reshape of one of our buffers), so the first write goes to a private copy.
  t.impl_->storage = std::shared_ptr<Storage>(new Storage{src.data, false},
                                              [managed, keep = std::move(keep_alive)](Storage* s) {
                                                if (managed->deleter != nullptr) managed->deleter(managed);
                                                delete s;
                                              });
  return t;
}

Tensor Tensor::from_buffer(void* data, const std::vector<int64_t>& shape, DLDataType dtype, std::shared_ptr<void> owner,
                           bool writable) {
  check_shape(shape);
  Tensor t;
  t.impl_ = std::make_shared<Impl>();
  t.impl_->shape = shape;
  t.impl_->point_dl_at_vectors();
  t.impl_->dl.data = data;
  t.impl_->dl.device = DLDevice{kDLCPU, 0};
  t.impl_->dl.dtype = dtype;
  t.impl_->storage = std::shared_ptr<Storage>(new Storage{data, writable}, [o = std::move(owner)](Storage* s) { delete s; });
  return t;
}

DLManagedTensor* Tensor::to_dlpack() const {
  if (!impl_) throw_error(Errc::kInvalidArgument, "Tensor::to_dlpack on an undefined tensor");
  auto* e = new Export{DLManagedTensor{impl_->dl, nullptr, &export_deleter}, impl_};
  e->managed.manager_ctx = e;
  return &e->managed;
}

const DLTensor& Tensor::dl() const {
  if (!impl_) throw_error(Errc::kInvalidArgument, "use of an undefined tensor");
  return impl_->dl;
}

const std::vector<int64_t>& Tensor::shape() const {
  dl();
  return impl_->shape;
}

int64_t Tensor::size(int32_t dim) const {
  const int32_t n = ndim();
  const int32_t d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    throw_error(Errc::kShape, "dimension " + std::to_string(dim) + " out of range for " + description());
  return impl_->shape[static_cast<size_t>(d)];
}

int64_t Tensor::numel() const { return count(shape()); }

size_t Tensor::nbytes() const { return static_cast<size_t>(numel() * sdk::dtype_size(dtype())); }

bool Tensor::is_contiguous() const { return sdk::is_contiguous(dl()); }

const void* Tensor::raw_data() const {
  const DLTensor& t = dl();
  if (t.device.device_type != kDLCPU && t.device.device_type != kDLCUDAHost)
    throw_error(Errc::kUnsupported, "tensor " + description() + " is not in CPU memory");
  if (!is_contiguous())
    throw_error(Errc::kUnsupported, "tensor " + description() + " is not contiguous; call clone() first");
  return static_cast<const char*>(t.data) + t.byte_offset;
}

bool Tensor::is_unique() const {
  return impl_ && impl_.use_count() == 1 && impl_->storage.use_count() == 1 && impl_->storage->writable;
}

void* Tensor::mutable_raw_data() {
  if (!is_unique() || !is_contiguous()) *this = clone();
  return const_cast<void*>(raw_data());
}

DLTensor* Tensor::mutable_dl() {
  mutable_raw_data();
  return &impl_->dl;
}

Tensor Tensor::clone() const {
  const DLTensor& src = dl();
  if (src.device.device_type != kDLCPU && src.device.device_type != kDLCUDAHost)
    throw_error(Errc::kUnsupported, "cannot copy tensor " + description() + ": not in CPU memory");
  Tensor out = empty(impl_->shape, src.dtype);
  const auto* from = static_cast<const char*>(src.data) + src.byte_offset;
  auto* to = static_cast<char*>(out.impl_->dl.data);
  const size_t item = static_cast<size_t>(sdk::dtype_size(src.dtype));
  if (sdk::is_contiguous(src)) {
    std::memcpy(to, from, out.nbytes());
    return out;
  }
  // Strided source: walk the elements in row-major order with an index counter.
  const size_t n = static_cast<size_t>(numel());
  std::vector<int64_t> index(static_cast<size_t>(src.ndim), 0);
  for (size_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (int32_t d = 0; d < src.ndim; ++d) offset += index[static_cast<size_t>(d)] * src.strides[d];
    std::memcpy(to + i * item, from + offset * static_cast<int64_t>(item), item);
    for (int32_t d = src.ndim - 1; d >= 0; --d) {
      if (++index[static_cast<size_t>(d)] < src.shape[d]) break;
      index[static_cast<size_t>(d)] = 0;
    }
  }
  return out;
}

Tensor Tensor::reshape(const std::vector<int64_t>& shape) const {
  check_shape(shape);
  if (count(shape) != numel())
    throw_error(Errc::kShape, "cannot reshape " + description() + " to " + shape_string(shape) +
                                  ": the element counts differ");
  if (!is_contiguous()) return clone().reshape(shape);
  Tensor t;
  t.impl_ = std::make_shared<Impl>(*impl_);
  t.impl_->shape = shape;
  t.impl_->strides.clear();
  t.impl_->point_dl_at_vectors();
  return t;
}

bool Tensor::shares_buffer_with(const Tensor& other) const {
  return impl_ && other.impl_ && impl_->storage == other.impl_->storage;
}

std::string Tensor::description() const {
  if (!impl_) return "undefined";
  std::string s = dtype_name(impl_->dl.dtype) + shape_string(impl_->shape);
  if (impl_->dl.device.device_type != kDLCPU)
    s += " on device " + std::to_string(impl_->dl.device.device_type) + ":" + std::to_string(impl_->dl.device.device_id);
  return s;
}

void Tensor::check_dtype(DLDataType expected) const {
  if (!dtype_eq(dl().dtype, expected))
    throw_error(Errc::kType, "tensor " + description() + " accessed as " + dtype_name(expected));
}

}  // namespace fuse
