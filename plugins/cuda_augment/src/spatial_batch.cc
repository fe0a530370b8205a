#include "spatial_batch.h"

#include <cstring>

#include "elastic_field.h"

namespace fuse::cuda_augment {

SpatialBatch::SpatialBatch(const sdk::DictView& config, std::string twin)
    : images_(config.get_strings("keys")),
      labels_(config.get_strings("labels")),
      dims_(static_cast<int>(config.get_int("dims"))),
      fill_(config.get_double("fill")),
      twin_(std::move(twin)) {
  if (images_.empty() && labels_.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "no key to move: list images in 'keys' or label maps in 'labels'");
}

Volumes SpatialBatch::volumes(const sdk::DictView& batch) const {
  Volumes out;
  for (const std::string& k : images_) out.emplace_back(device_volume(batch, k, dims_, Role::kImage, twin_), Role::kImage);
  for (const std::string& k : labels_) out.emplace_back(device_volume(batch, k, dims_, Role::kLabel, twin_), Role::kLabel);
  const DeviceVolume& a = out[0].first;
  for (const auto& [v, role] : out)
    if (v.batch.samples != a.batch.samples || v.batch.size.x != a.batch.size.x || v.batch.size.y != a.batch.size.y ||
        v.batch.size.z != a.batch.size.z || v.device != a.device)
      sdk::fail(FM_ERR_SHAPE, "keys '" + a.key + "' and '" + v.key + "' differ in batch size, spatial size or device; a spatial op moves them together");
  return out;
}

void SpatialBatch::apply(sdk::Dict& batch, const Volumes& vols, const std::vector<SampleDraw>& draws, bool exact, kernels::Extent out_size) const {
  const Batch& b = vols[0].first.batch;
  const int device = vols[0].first.device;
  std::vector<double> maps(static_cast<size_t>(b.samples) * 12);
  bool any_field = false;
  for (size_t n = 0; n < draws.size(); ++n) {
    std::memcpy(&maps[n * 12], draws[n].map.m, sizeof(double) * 12);
    any_field = any_field || !draws[n].control.empty();
  }
  cuda::DeviceBuffer<double> d_maps(maps, "the index maps");
  cuda::DeviceBuffer<float> field;
  if (any_field) field = dense_fields(b, draws);
  for (const auto& [v, role] : vols) {
    const sdk::TensorView in = batch.tensor(v.key);
    std::vector<int64_t> shape = v.shape;  // the spatial axes at the end take the output size
    const size_t nd = shape.size();
    shape[nd - 1] = out_size.x, shape[nd - 2] = out_size.y;
    if (dims_ == 3) shape[nd - 3] = out_size.z;
    sdk::Tensor out = cuda::empty_device(shape, v.dtype, device);
    const bool linear = role == Role::kImage && !exact;
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T fill = role == Role::kImage ? static_cast<T>(fill_) : T{0};
      resample<T>(static_cast<const T*>(in.raw()), v.batch, static_cast<T*>(out.mut().raw()), out_size, d_maps.get(), field.get(), linear, fill);
    };
    if (sdk::dtype_eq(v.dtype, sdk::kFloat32)) run(float{});
    else if (sdk::dtype_eq(v.dtype, sdk::kUInt8)) run(uint8_t{});
    else if (sdk::dtype_eq(v.dtype, sdk::kInt32)) run(int32_t{});
    else run(int64_t{});
    cuda::check_kernels("resampling key '" + v.key + "'");
    batch.set_tensor(v.key, std::move(out));
  }
}


void SpatialBatch::move_meta(sdk::Dict& batch, const std::vector<SampleDraw>& draws, volume::Size3 out_size) const {
  for (const std::vector<std::string>* keys : {&images_, &labels_})
    for (const std::string& key : *keys) {
      const std::string meta = key + "_meta";
      for (size_t n = 0; n < draws.size(); ++n) {
        const auto sample = static_cast<int64_t>(n);
        if (!volume::has_sample_meta(batch, meta, sample)) continue;
        volume::write_sample_geometry(batch, meta, sample, volume::transformed(volume::read_sample_meta(batch, meta, sample), draws[n].map, out_size));
      }
    }
}

// Each sample's dense field from its control points: the CPU's separable passes, on the device.
cuda::DeviceBuffer<float> SpatialBatch::dense_fields(const Batch& b, const std::vector<SampleDraw>& draws) const {
  const int64_t voxels = b.voxels();
  cuda::DeviceBuffer<float> field(static_cast<size_t>(b.samples * voxels * 3), "the elastic fields");
  cuda::check(cudaMemset(field.get(), 0, field.size() * sizeof(float)), "clearing the elastic fields");
  for (size_t n = 0; n < draws.size(); ++n) {
    const std::vector<float>& control = draws[n].control;
    if (control.empty()) continue;
    const int64_t g = draws[n].grid;
    const int64_t gz = dims_ == 3 ? g : 1;
    auto tables = [&](int64_t len) {
      const volume::AxisWeights a = volume::axis_weights(len, static_cast<int>(g));
      std::vector<float> w;
      for (const auto& four : a.w) w.insert(w.end(), four.begin(), four.end());
      return std::make_pair(cuda::DeviceBuffer<int64_t>(a.first, "B-spline tables"), cuda::DeviceBuffer<float>(w, "B-spline tables"));
    };
    const auto [fx, wx] = tables(b.size.x);
    const auto [fy, wy] = tables(b.size.y);
    cuda::DeviceBuffer<float> points(control, "the control points");
    cuda::DeviceBuffer<float> along_x(static_cast<size_t>(gz * g * b.size.x * 3), "an elastic pass");
    bspline_pass(points.get(), along_x.get(), gz * g, g, b.size.x, 3, fx.get(), wx.get());
    float* dst = field.get() + n * static_cast<size_t>(voxels) * 3;
    if (dims_ == 2) {
      bspline_pass(along_x.get(), dst, gz, g, b.size.y, b.size.x * 3, fy.get(), wy.get());
    } else {
      const auto [fz, wz] = tables(b.size.z);
      cuda::DeviceBuffer<float> along_y(static_cast<size_t>(gz * b.size.y * b.size.x * 3), "an elastic pass");
      bspline_pass(along_x.get(), along_y.get(), gz, g, b.size.y, b.size.x * 3, fy.get(), wy.get());
      bspline_pass(along_y.get(), dst, 1, g, b.size.z, b.size.y * b.size.x * 3, fz.get(), wz.get());
    }
    cuda::check_kernels("the elastic field");
  }
  return field;
}

}  // namespace fuse::cuda_augment
