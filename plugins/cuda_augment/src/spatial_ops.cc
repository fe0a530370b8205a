// Random affine (+ elastic), elastic and flip on batches on the GPU. Per sample the draws come from the shared
// draw code (plugins/shared/volume/spatial_draws) with the seed the CPU twin would get, and the voxels from the
// shared per-voxel code: the results equal the CPU twin's (images within 1e-4, labels exactly).
#include <cstring>

#include "cuda_support.h"
#include "device_batch.h"
#include "elastic_field.h"
#include "spatial_draws.h"

namespace fuse::cuda_augment {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::IndexMap;

using volume::range_option;

// One sample's draw: its index map and its elastic control points (none: no field) on a grid of `grid` per axis.
struct SampleDraw {
  IndexMap map;
  std::vector<float> control;
  int grid = 0;
};

// The keys a spatial op moves together and the resampling of a whole batch through per-sample draws.
class SpatialBatch {
 public:
  SpatialBatch(const DictView& config, std::string twin)
      : images_(config.get_strings("keys")),
        labels_(config.get_strings("labels")),
        dims_(static_cast<int>(config.get_int("dims"))),
        fill_(config.get_double("fill")),
        twin_(std::move(twin)) {
    if (images_.empty() && labels_.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "no key to move: list images in 'keys' or label maps in 'labels'");
  }
  int dims() const { return dims_; }
  const std::string& first() const { return images_.empty() ? labels_[0] : images_[0]; }

  // Draws per sample (with its seed, after the probability-p draw) and resamples every key through the draws
  // when one moved something. `draw(rng, n, size, spacing, &out)` returns whether sample n moves. `exact`:
  // whole-voxel maps, every key copied by nearest sampling.
  template <class Draw>
  void run(Dict& batch, const sdk::Call& call, double p, bool exact, Draw&& draw) const {
    const auto vols = volumes(batch);
    const Batch& b = vols[0].first.batch;
    const std::vector<uint64_t> seeds = sample_seeds(call, b.samples);
    cuda::use_device(vols[0].first.device);
    const volume::Size3 size{b.size.x, b.size.y, b.size.z};
    std::vector<SampleDraw> draws(seeds.size());
    bool any = false;
    for (size_t n = 0; n < seeds.size(); ++n) {
      sdk::Random rng(seeds[n]);
      if (!rng.chance(p)) continue;  // identity: an exact copy
      any = draw(rng, size, sample_spacing(batch, first(), static_cast<int64_t>(n)), draws[n]) || any;
    }
    if (any) apply(batch, vols, draws, exact);
  }

 private:
  // The volumes, checked, all of one batch size, spatial size and device.
  std::vector<std::pair<DeviceVolume, Role>> volumes(const DictView& batch) const {
    std::vector<std::pair<DeviceVolume, Role>> out;
    for (const std::string& k : images_) out.emplace_back(device_volume(batch, k, dims_, Role::kImage, twin_), Role::kImage);
    for (const std::string& k : labels_) out.emplace_back(device_volume(batch, k, dims_, Role::kLabel, twin_), Role::kLabel);
    const DeviceVolume& a = out[0].first;
    for (const auto& [v, role] : out)
      if (v.batch.samples != a.batch.samples || v.batch.size.x != a.batch.size.x || v.batch.size.y != a.batch.size.y ||
          v.batch.size.z != a.batch.size.z || v.device != a.device)
        sdk::fail(FM_ERR_SHAPE, "keys '" + a.key + "' and '" + v.key + "' differ in batch size, spatial size or device; a spatial op moves them together");
    return out;
  }

  // Resamples every key through the per-sample draws (a sample without a field gets a zero field when others
  // have one: p + 0 is p, bit for bit).
  void apply(Dict& batch, const std::vector<std::pair<DeviceVolume, Role>>& vols, const std::vector<SampleDraw>& draws, bool exact) const {
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
      sdk::Tensor out = cuda::empty_device(v.shape, v.dtype, device);
      const bool linear = role == Role::kImage && !exact;
      const kernels::Extent os = b.size;
      auto run = [&](auto tag) {
        using T = decltype(tag);
        const T fill = role == Role::kImage ? static_cast<T>(fill_) : T{0};
        resample<T>(static_cast<const T*>(in.raw()), v.batch, static_cast<T*>(out.mut().raw()), os, d_maps.get(), field.get(), linear, fill);
      };
      if (sdk::dtype_eq(v.dtype, sdk::kFloat32)) run(float{});
      else if (sdk::dtype_eq(v.dtype, sdk::kUInt8)) run(uint8_t{});
      else if (sdk::dtype_eq(v.dtype, sdk::kInt32)) run(int32_t{});
      else run(int64_t{});
      cuda::check_kernels("resampling key '" + v.key + "'");
      batch.set_tensor(v.key, std::move(out));
    }
  }

  // Each sample's dense field from its control points: the CPU's separable passes, on the device.
  cuda::DeviceBuffer<float> dense_fields(const Batch& b, const std::vector<SampleDraw>& draws) const {
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

  std::vector<std::string> images_, labels_;
  int dims_;
  double fill_;
  std::string twin_;
};

class RandomAffine {
 public:
  explicit RandomAffine(const DictView& config)
      : keys_(config, "fuse.medical.random_affine"),
        p_(config.get_double("p")),
        ranges_{range_option(config, "rotation"), range_option(config, "scale"), range_option(config, "translation"), range_option(config, "shear"),
                config.get_bool("isotropic")},
        elastic_{static_cast<int>(config.get_int("elastic_control_points")), static_cast<int>(config.get_int("elastic_locked_borders")),
                 config.get_double("elastic_max_displacement")} {
    if (ranges_.scale.first <= 0) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'scale' must stay above 0");
    if (elastic_.max_mm > 0) volume::check_elastic_grid(elastic_, "elastic_");
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    keys_.run(batch, call, p_, false, [&](sdk::Random& rng, volume::Size3 size, const std::array<double, 3>& spacing, SampleDraw& d) {
      d.map = volume::draw_affine(rng, ranges_, size, spacing, keys_.dims());
      if (elastic_.max_mm > 0) d.control = volume::draw_elastic_control(rng, elastic_, spacing, keys_.dims()), d.grid = elastic_.grid;
      return true;
    });
  }

 private:
  SpatialBatch keys_;
  double p_;
  volume::AffineRanges ranges_;
  volume::ElasticSettings elastic_;
};
FUSE_OP(RandomAffine, "fuse.cuda.random_affine", "1.0.0")

class RandomElastic {
 public:
  explicit RandomElastic(const DictView& config)
      : keys_(config, "fuse.medical.random_elastic"),
        p_(config.get_double("p")),
        elastic_{static_cast<int>(config.get_int("control_points")), static_cast<int>(config.get_int("locked_borders")),
                 config.get_double("max_displacement")} {
    volume::check_elastic_grid(elastic_, "");
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    keys_.run(batch, call, p_, false, [&](sdk::Random& rng, volume::Size3, const std::array<double, 3>& spacing, SampleDraw& d) {
      d.control = volume::draw_elastic_control(rng, elastic_, spacing, keys_.dims()), d.grid = elastic_.grid;
      return true;
    });
  }

 private:
  SpatialBatch keys_;
  double p_;
  volume::ElasticSettings elastic_;
};
FUSE_OP(RandomElastic, "fuse.cuda.random_elastic", "1.0.0")

class RandomFlip {
 public:
  explicit RandomFlip(const DictView& config)
      : keys_(config, "fuse.medical.random_flip"), p_(config.get_double("p")), flip_p_(config.get_double("flip_p")) {
    for (int64_t a : config.get_ints("axes")) {
      if (a < 0 || a >= keys_.dims())
        sdk::fail(FM_ERR_INVALID_ARGUMENT, "'axes' holds " + std::to_string(a) + "; spatial axes are 0 (x) to " + std::to_string(keys_.dims() - 1));
      axes_.push_back(static_cast<int>(a));
    }
  }

  void forward(Dict& batch, const sdk::Call& call) {
    if (!call.training()) return;
    // Whole voxels: every key copied, dtypes kept.
    keys_.run(batch, call, p_, true, [&](sdk::Random& rng, volume::Size3 size, const std::array<double, 3>&, SampleDraw& d) {
      bool flipped = false;
      d.map = volume::draw_flip(rng, axes_, flip_p_, size, &flipped);
      return flipped;
    });
  }

 private:
  SpatialBatch keys_;
  double p_, flip_p_;
  std::vector<int> axes_;
};
FUSE_OP(RandomFlip, "fuse.cuda.random_flip", "1.0.0")

}  // namespace
}  // namespace fuse::cuda_augment
