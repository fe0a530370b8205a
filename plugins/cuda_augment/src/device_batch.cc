#include "device_batch.h"

#include "cuda_support.h"

namespace fuse::cuda_augment {

DeviceVolume device_volume(const sdk::DictView& batch, const std::string& key, int dims, Role role, const std::string& twin) {
  const sdk::TensorView t = batch.tensor(key);
  const DLDataType dt = t.dtype();
  const bool ok = role == Role::kImage ? sdk::dtype_eq(dt, sdk::kFloat32)
                                       : sdk::dtype_eq(dt, sdk::kFloat32) || sdk::dtype_eq(dt, sdk::kUInt8) || sdk::dtype_eq(dt, sdk::kInt32) ||
                                             sdk::dtype_eq(dt, sdk::kInt64);
  if (!ok)
    sdk::fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(dt) + " is not supported by the CUDA kernels (" +
                               (role == Role::kImage ? "images: float32" : "labels: uint8, int32, int64 or float32") + ")");
  cuda::require_cuda(t, key, twin);
  if (t.ndim() < dims + 1)
    sdk::fail(FM_ERR_SHAPE, "key '" + key + "': a batch [samples, channels..., " + (dims == 3 ? "z, " : "") + "y, x] has at least " +
                                std::to_string(dims + 1) + " axes; this tensor has " + std::to_string(t.ndim()));
  DeviceVolume v{key, {}, dt, t.device().device_id, t.shape()};
  v.batch.samples = v.shape[0];
  v.batch.channels = 1;
  for (int32_t a = 1; a < t.ndim() - dims; ++a) v.batch.channels *= v.shape[static_cast<size_t>(a)];
  const int32_t last = t.ndim() - 1;
  v.batch.size = kernels::Extent{v.shape[static_cast<size_t>(last)], v.shape[static_cast<size_t>(last - 1)],
                                 dims == 3 ? v.shape[static_cast<size_t>(last - 2)] : 1};
  return v;
}

std::vector<uint64_t> sample_seeds(const sdk::Call& call, int64_t samples) {
  if (call.sample_count() == 0)
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "this op draws per sample and runs on batches: put it in the data's 'batch' pipeline");
  if (static_cast<int64_t>(call.sample_count()) != samples)
    sdk::fail(FM_ERR_SHAPE, "the batch holds " + std::to_string(samples) + " samples but the host passed " + std::to_string(call.sample_count()) + " seeds");
  std::vector<uint64_t> seeds(call.sample_count());
  for (size_t i = 0; i < seeds.size(); ++i) seeds[i] = call.sample_seed(i);
  return seeds;
}

std::array<double, 3> sample_spacing(const sdk::DictView& batch, const std::string& key, int64_t n) {
  const std::string at = key + "_meta.spacing." + std::to_string(n);
  if (!batch.has(at)) return {1, 1, 1};
  const std::vector<double> s = batch.get_doubles(at);
  std::array<double, 3> out{1, 1, 1};
  for (size_t a = 0; a < s.size() && a < 3; ++a) out[a] = s[a];
  return out;
}

}  // namespace fuse::cuda_augment
