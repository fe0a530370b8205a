#include "spatial_batch.h"

#include <cstring>
#include <map>

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
  // Every key in one pass per group of kMaxResampleTargets; the outputs are set once all have run.
  std::vector<sdk::Tensor> outs;
  std::vector<ResampleTarget> targets;
  std::string names;
  auto run = [&] {
    resample(targets.data(), static_cast<int>(targets.size()), b.samples, b.size, out_size, d_maps.get(), field.get());
    cuda::check_kernels("resampling " + names);
    targets.clear(), names.clear();
  };
  for (const auto& [v, role] : vols) {
    const sdk::TensorView in = batch.tensor(v.key);
    std::vector<int64_t> shape = v.shape;  // the spatial axes at the end take the output size
    const size_t nd = shape.size();
    shape[nd - 1] = out_size.x, shape[nd - 2] = out_size.y;
    if (dims_ == 3) shape[nd - 3] = out_size.z;
    outs.push_back(cuda::empty_device(shape, v.dtype, device));
    const Voxel type = sdk::dtype_eq(v.dtype, sdk::kFloat32) ? Voxel::kFloat32
                       : sdk::dtype_eq(v.dtype, sdk::kUInt8) ? Voxel::kUInt8
                       : sdk::dtype_eq(v.dtype, sdk::kInt32) ? Voxel::kInt32
                                                             : Voxel::kInt64;
    const bool image = role == Role::kImage;
    targets.push_back(ResampleTarget{in.raw(), outs.back().mut().raw(), type, v.batch.channels, image && !exact, image ? fill_ : 0.0});
    names += (names.empty() ? "key '" : ", key '") + v.key + "'";
    if (targets.size() == static_cast<size_t>(kMaxResampleTargets)) run();
  }
  if (!targets.empty()) run();
  for (size_t i = 0; i < vols.size(); ++i) batch.set_tensor(vols[i].first.key, std::move(outs[i]));
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

// Each sample's dense field from its control points: the CPU's separable passes, on the device. The B-spline
// tables are made once per grid size and the control points copied in one transfer (each small copy waits for
// the device).
cuda::DeviceBuffer<float> SpatialBatch::dense_fields(const Batch& b, const std::vector<SampleDraw>& draws) const {
  const int64_t voxels = b.voxels();
  cuda::DeviceBuffer<float> field(static_cast<size_t>(b.samples * voxels * 3), "the elastic fields");
  struct Tables {
    cuda::DeviceBuffer<int64_t> first[3];
    cuda::DeviceBuffer<float> weights[3];
  };
  std::map<int64_t, Tables> tables;
  std::vector<float> control;
  std::vector<size_t> offset(draws.size());
  for (size_t n = 0; n < draws.size(); ++n) {
    offset[n] = control.size();
    control.insert(control.end(), draws[n].control.begin(), draws[n].control.end());
    if (draws[n].control.empty()) {
      cuda::check(cudaMemset(field.get() + n * static_cast<size_t>(voxels) * 3, 0, static_cast<size_t>(voxels) * 3 * sizeof(float)), "clearing an elastic field");
      continue;
    }
    const int64_t g = draws[n].grid;
    if (tables.count(g) != 0) continue;
    Tables& t = tables[g];
    const int64_t lengths[3] = {b.size.x, b.size.y, b.size.z};
    for (int axis = 0; axis < (dims_ == 3 ? 3 : 2); ++axis) {
      const volume::AxisWeights a = volume::axis_weights(lengths[axis], static_cast<int>(g));
      std::vector<float> w;
      for (const auto& four : a.w) w.insert(w.end(), four.begin(), four.end());
      t.first[axis] = cuda::DeviceBuffer<int64_t>(a.first, "B-spline tables");
      t.weights[axis] = cuda::DeviceBuffer<float>(w, "B-spline tables");
    }
  }
  const cuda::DeviceBuffer<float> points(control, "the control points");
  for (size_t n = 0; n < draws.size(); ++n) {
    if (draws[n].control.empty()) continue;
    const int64_t g = draws[n].grid;
    const int64_t gz = dims_ == 3 ? g : 1;
    const Tables& t = tables.at(g);
    cuda::DeviceBuffer<float> along_x(static_cast<size_t>(gz * g * b.size.x * 3), "an elastic pass");
    bspline_pass(points.get() + offset[n], along_x.get(), gz * g, g, b.size.x, 3, t.first[0].get(), t.weights[0].get());
    float* dst = field.get() + n * static_cast<size_t>(voxels) * 3;
    if (dims_ == 2) {
      bspline_pass(along_x.get(), dst, gz, g, b.size.y, b.size.x * 3, t.first[1].get(), t.weights[1].get());
    } else {
      cuda::DeviceBuffer<float> along_y(static_cast<size_t>(gz * b.size.y * b.size.x * 3), "an elastic pass");
      bspline_pass(along_x.get(), along_y.get(), gz, g, b.size.y, b.size.x * 3, t.first[1].get(), t.weights[1].get());
      bspline_pass(along_y.get(), dst, 1, g, b.size.z, b.size.y * b.size.x * 3, t.first[2].get(), t.weights[2].get());
    }
  }
  cuda::check_kernels("the elastic field");
  return field;
}

}  // namespace fuse::cuda_augment
