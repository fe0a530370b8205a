#include "cuda_support.h"

#include <map>
#include <mutex>

namespace fuse::cuda {

namespace {

struct DeviceTensor {
  DLManagedTensor managed{};
  std::vector<int64_t> shape;
  bool pooled = false;
};

// The consumer of a tensor (LibTorch, say) may still have work queued on its own streams when it lets go, so
// the device finishes first, as cudaFree would make it; the memory then goes back to the pool.
void free_device_tensor(DLManagedTensor* m) {
  auto* t = static_cast<DeviceTensor*>(m->manager_ctx);
  if (void* data = t->managed.dl_tensor.data; data != nullptr) {
    int current = -1;
    const int device = t->managed.dl_tensor.device.device_id;
    const bool other = cudaGetDevice(&current) == cudaSuccess && current != device;
    if (other) cudaSetDevice(device);
    if (t->pooled) cudaDeviceSynchronize();
    device_free(data, t->pooled);
    if (other) cudaSetDevice(current);
  }
  delete t;
}

// Whether `device` allocates from its default memory pool; the first time, the pool is told to keep up to
// kPoolKeepBytes when freed (by default it returns everything at each synchronisation).
bool uses_pool(int device) {
  static std::mutex mutex;
  static std::map<int, bool> known;
  const std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = known.find(device); it != known.end()) return it->second;
  int supported = 0;
  cudaMemPool_t pool{};
  bool ok = cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) == cudaSuccess && supported != 0 &&
            cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess;
  uint64_t keep = 0;
  if (ok && cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep) == cudaSuccess && keep < kPoolKeepBytes) {
    keep = kPoolKeepBytes;
    ok = cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep) == cudaSuccess;
  }
  cudaGetLastError();  // a refusal above only means plain cudaMalloc
  known[device] = ok;
  return ok;
}

}  // namespace

cudaError_t pool_alloc(void** p, size_t bytes, bool* pooled) {
  *p = nullptr;
  *pooled = false;
  if (bytes == 0) return cudaSuccess;
  int device = 0;
  if (const cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  *pooled = uses_pool(device);
  return *pooled ? cudaMallocAsync(p, bytes, cudaStreamLegacy) : cudaMalloc(p, bytes);
}

void* device_alloc(size_t bytes, const std::string& what, bool* pooled) {
  void* p = nullptr;
  check(pool_alloc(&p, bytes, pooled), what);
  return p;
}

void device_free(void* p, bool pooled) {
  if (p == nullptr) return;
  if (pooled) cudaFreeAsync(p, cudaStreamLegacy);
  else cudaFree(p);
}

void check(cudaError_t status, const std::string& what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clears a sticky-free error so the next call starts clean
  const std::string reason = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
  if (status == cudaErrorMemoryAllocation)
    sdk::fail(FM_ERR_OUT_OF_MEMORY, what + " failed: the GPU is out of memory (" + reason + "); use smaller batches or patches");
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver || status == cudaErrorInvalidDevice)
    sdk::fail(FM_ERR_UNSUPPORTED, what + " failed: no usable CUDA device (" + reason + ")");
  sdk::fail(FM_ERR_INTERNAL, what + " failed: " + reason);
}

int device_count(std::string* why) {
  int n = 0;
  const cudaError_t status = cudaGetDeviceCount(&n);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (why != nullptr) *why = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    return 0;
  }
  if (n == 0 && why != nullptr) *why = "no CUDA device";
  return n;
}

void use_device(int device) {
  std::string why;
  const int n = device_count(&why);
  if (n == 0) sdk::fail(FM_ERR_UNSUPPORTED, "no usable CUDA device (" + why + ")");
  if (device < 0 || device >= n)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "CUDA device " + std::to_string(device) + " does not exist (this machine has " + std::to_string(n) + ")");
  check(cudaSetDevice(device), "selecting CUDA device " + std::to_string(device));
}

void require_cuda(const sdk::TensorView& t, const std::string& key, const std::string& twin) {
  const DLDevice d = t.device();
  if (d.device_type != kDLCUDA) {
    const std::string where = d.device_type == kDLCPU ? "in CPU memory" : "on device type " + std::to_string(d.device_type);
    sdk::fail(FM_ERR_UNSUPPORTED, "key '" + key + "': the tensor is " + where + "; this op runs on CUDA tensors: put 'fuse.cuda.to_device' before it in the "
                                  "data's batch pipeline" + (twin.empty() ? std::string() : ", or use its CPU twin '" + twin + "'"));
  }
  if (!sdk::is_contiguous(t.dl()))
    sdk::fail(FM_ERR_UNSUPPORTED, "key '" + key + "': the CUDA tensor is not contiguous");
}

sdk::Tensor empty_device(const std::vector<int64_t>& shape, DLDataType dtype, int device) {
  auto* t = new DeviceTensor;
  t->shape = shape;
  int64_t count = 1;
  for (int64_t s : shape) count *= s;
  const size_t bytes = static_cast<size_t>(count) * static_cast<size_t>(sdk::dtype_size(dtype));
  void* data = nullptr;
  try {
    data = device_alloc(bytes, "allocating a " + std::to_string(bytes) + "-byte tensor on CUDA device " + std::to_string(device), &t->pooled);
  } catch (...) {
    delete t;
    throw;
  }
  DLTensor& dl = t->managed.dl_tensor;
  dl.data = data;
  dl.device = DLDevice{kDLCUDA, device};
  dl.ndim = static_cast<int32_t>(t->shape.size());
  dl.dtype = dtype;
  dl.shape = t->shape.data();
  dl.strides = nullptr;
  dl.byte_offset = 0;
  t->managed.manager_ctx = t;
  t->managed.deleter = free_device_tensor;
  return sdk::Tensor(&t->managed);
}

void check_kernels(const std::string& what) {
  check(cudaGetLastError(), what + " (launch)");
  check(cudaDeviceSynchronize(), what);
}

}  // namespace fuse::cuda
