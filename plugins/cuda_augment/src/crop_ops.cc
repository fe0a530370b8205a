// Crops of a batch on the GPU, each the twin of an ops_medical crop: pad or crop to a fixed size (centred or at a
// random place) and a patch around a random foreground voxel or a voxel of a class drawn by 'class_ratios'. Per
// sample the shared draw code (spatial_draws) runs with the CPU op's seed; every key is copied voxel for voxel
// (dtypes kept) and each sample's "<key>_meta" follows its new grid, as on the CPU.
#include "foreground_select.h"
#include "spatial_batch.h"
#include "spatial_draws.h"

namespace fuse::cuda_augment {
namespace {

class PadOrCrop {
 public:
  explicit PadOrCrop(const sdk::DictView& config)
      : keys_(config, "fuse.medical.pad_or_crop"),
        target_(volume::size_option(config, keys_.dims())),
        random_(config.get_string("mode") == "random") {}

  // Applies in training and evaluation alike: the crop sets the model's input size.
  void forward(sdk::Dict& batch, const sdk::Call& call) {
    const Volumes vols = keys_.volumes(batch);
    const Batch& b = vols[0].first.batch;
    const std::vector<uint64_t> seeds = sample_seeds(call, b.samples);
    const volume::Size3 size{b.size.x, b.size.y, b.size.z};
    std::vector<SampleDraw> draws(seeds.size());
    volume::Size3 out;
    for (size_t n = 0; n < seeds.size(); ++n) {
      sdk::Random rng(seeds[n]);
      draws[n].map = volume::draw_pad_or_crop(random_ ? &rng : nullptr, size, target_, &out);
    }
    if (out == size) return;
    cuda::use_device(vols[0].first.device);
    keys_.apply(batch, vols, draws, true, kernels::Extent{out.x, out.y, out.z});
    keys_.move_meta(batch, draws, out);
  }

 private:
  SpatialBatch keys_;
  volume::Size3 target_;
  bool random_;
};
FUSE_OP(PadOrCrop, "fuse.cuda.pad_or_crop", "1.0.0")

// A label map's elements per sample (channels included, as the CPU op counts them) that are foreground or of a
// class, selected on the device when a draw asks for them: their count, then the one drawn.
class Selection {
  // Calls f with a value of the label map's element type (defined first: its return type is deduced).
  template <class F>
  auto dispatch(F&& f) const {
    if (sdk::dtype_eq(dtype_, sdk::kUInt8)) return f(uint8_t{});
    if (sdk::dtype_eq(dtype_, sdk::kInt32)) return f(int32_t{});
    if (sdk::dtype_eq(dtype_, sdk::kInt64)) return f(int64_t{});
    return f(float{});  // device_volume admits no other label dtype
  }

 public:
  Selection(const sdk::TensorView& t, const DeviceVolume& v)
      : data_(t.raw()), dtype_(v.dtype), per_sample_(v.batch.channels * v.batch.voxels()), indices_(static_cast<size_t>(per_sample_), "the selected indices"),
        count_(1, "the selection's count") {
    size_t bytes = 0;
    cuda::check(select(0, Match::kAboveZero, 0, nullptr, &bytes), "sizing the label selection");
    temp_ = cuda::DeviceBuffer<char>(bytes, "the label selection");
  }

  // Selects the elements of `sample` that `match` keeps; returns how many.
  int64_t count(int64_t sample, Match match, int64_t value) {
    size_t bytes = temp_.size();
    cuda::check(select(sample, match, value, temp_.get(), &bytes), "selecting the labels of sample " + std::to_string(sample));
    return count_.to_host("the selection's count")[0];
  }
  // The element index (within its sample) of the k-th element selected last.
  int64_t nth(int64_t k) const {
    int64_t at = 0;
    cuda::check(cudaMemcpy(&at, indices_.get() + k, sizeof at, cudaMemcpyDeviceToHost), "reading the drawn voxel");
    return at;
  }
  // The value of element `at` of `sample`.
  double value(int64_t sample, int64_t at) const {
    return dispatch([&](auto tag) {
      using T = decltype(tag);
      T v{};
      cuda::check(cudaMemcpy(&v, static_cast<const T*>(data_) + sample * per_sample_ + at, sizeof v, cudaMemcpyDeviceToHost), "reading a label value");
      return static_cast<double>(v);
    });
  }

 private:
  cudaError_t select(int64_t sample, Match match, int64_t value, void* temp, size_t* bytes) {
    return dispatch([&](auto tag) {
      using T = decltype(tag);
      return select_indices<T>(static_cast<const T*>(data_) + sample * per_sample_, per_sample_, match, value, indices_.get(), count_.get(), temp, bytes);
    });
  }

  const void* data_;
  DLDataType dtype_;
  int64_t per_sample_;
  cuda::DeviceBuffer<int64_t> indices_, count_;
  cuda::DeviceBuffer<char> temp_;
};

class CropForeground {
 public:
  explicit CropForeground(const sdk::DictView& config)
      : keys_(config, "fuse.medical.crop_foreground"),
        target_(volume::size_option(config, keys_.dims())),
        label_key_(config.find_string("label_key").value_or("")),
        foreground_p_(config.get_double("foreground_p")),
        ratios_(volume::class_ratios_option(config)) {
    if (label_key_.empty()) {
      const std::vector<std::string> labels = config.get_strings("labels");
      if (labels.empty()) sdk::fail(FM_ERR_INVALID_ARGUMENT, "set 'label_key' or list the mask under 'labels'");
      label_key_ = labels[0];
    }
  }

  // Applies in training and evaluation alike: the patch sets the model's input size.
  void forward(sdk::Dict& batch, const sdk::Call& call) {
    const Volumes vols = keys_.volumes(batch);
    const Batch& b = vols[0].first.batch;
    const std::vector<uint64_t> seeds = sample_seeds(call, b.samples);
    const DeviceVolume label = device_volume(batch, label_key_, keys_.dims(), Role::kLabel, "fuse.medical.crop_foreground");
    if (label.batch.samples != b.samples || label.batch.size.x != b.size.x || label.batch.size.y != b.size.y || label.batch.size.z != b.size.z ||
        label.device != vols[0].first.device)
      sdk::fail(FM_ERR_SHAPE, "the label map '" + label_key_ + "' and '" + vols[0].first.key + "' differ in batch size, spatial size or device");
    cuda::use_device(label.device);
    Selection selection(batch.tensor(label_key_), label);
    const volume::Size3 size{b.size.x, b.size.y, b.size.z};
    std::vector<SampleDraw> draws(seeds.size());
    volume::Size3 out;
    for (size_t n = 0; n < seeds.size(); ++n) {
      sdk::Random rng(seeds[n]);
      const auto sample = static_cast<int64_t>(n);
      if (ratios_.empty()) {
        draws[n].map = volume::draw_patch(
            rng, foreground_p_, size, target_, [&] { return selection.count(sample, Match::kAboveZero, 0); }, [&](int64_t k) { return selection.nth(k); },
            &out);
        continue;
      }
      // As the CPU op: every value a class (the first that is not is named), then each class's count.
      const auto classes = static_cast<int64_t>(ratios_.size());
      if (selection.count(sample, Match::kNotAClass, classes) > 0) {
        const int64_t at = selection.nth(0);
        volume::fail_not_a_class(label_key_, selection.value(sample, at), at, ratios_.size());
      }
      std::vector<int64_t> counts(ratios_.size());
      for (int64_t c = 0; c < classes; ++c) counts[static_cast<size_t>(c)] = selection.count(sample, Match::kClass, c);
      const auto nth = [&](int64_t c, int64_t k) {
        selection.count(sample, Match::kClass, c);
        return selection.nth(k);
      };
      draws[n].map = volume::draw_class_patch(rng, ratios_, counts, size, target_, nth, &out);
    }
    keys_.apply(batch, vols, draws, true, kernels::Extent{out.x, out.y, out.z});
    keys_.move_meta(batch, draws, out);
  }

 private:
  SpatialBatch keys_;
  volume::Size3 target_;
  std::string label_key_;
  double foreground_p_;
  std::vector<double> ratios_;  // empty: foreground_p
};
FUSE_OP(CropForeground, "fuse.cuda.crop_foreground", "1.1.0")

}  // namespace
}  // namespace fuse::cuda_augment
