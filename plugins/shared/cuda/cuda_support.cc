#include "cuda_support.h"

namespace fuse::cuda {

namespace {

struct DeviceTensor {
  DLManagedTensor managed{};
  std::vector<int64_t> shape;
};

void free_device_tensor(DLManagedTensor* m) {
  auto* t = static_cast<DeviceTensor*>(m->manager_ctx);
  if (t->managed.dl_tensor.data != nullptr) cudaFree(t->managed.dl_tensor.data);
  delete t;
}

}  // namespace

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
  const cudaError_t status = bytes > 0 ? cudaMalloc(&data, bytes) : cudaSuccess;
  if (status != cudaSuccess) {
    delete t;
    check(status, "allocating a " + std::to_string(bytes) + "-byte tensor on CUDA device " + std::to_string(device));
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
