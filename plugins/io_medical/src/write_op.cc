// fuse.io.write_medical: writes a tensor (e.g. a predicted mask) as a volume, by default back in the geometry
// the image was read in: reorientation, resampling and crops done since are undone by one resampling.
#include <cmath>
#include <limits>
#include <vector>

#include "fuse_sdk/path_pattern.hpp"
#include "resample.h"
#include "volume_io.h"

namespace fuse::io_medical {
namespace {

using sdk::Dict;
using sdk::DictView;
using volume::Geometry;
using volume::IndexMap;
using volume::Size3;

bool same(const Geometry& a, const Geometry& b) {
  if (a.size != b.size) return false;
  for (size_t i = 0; i < 3; ++i)
    if (std::fabs(a.spacing[i] - b.spacing[i]) > 1e-9 || std::fabs(a.origin[i] - b.origin[i]) > 1e-6) return false;
  for (size_t i = 0; i < 9; ++i)
    if (std::fabs(a.direction[i] - b.direction[i]) > 1e-9) return false;
  return true;
}

// The most likely class per voxel of `target`'s grid from the class scores under `key` ([classes, z, y, x], a
// leading axis of 1 allowed): each class's scores resampled linearly onto the grid (one class at a time, so
// memory stays a few volumes whatever the number of classes), the largest winning, the first on ties. A label
// map resampled by nearest neighbour keeps the working grid's staircase; this gives the boundary between the
// classes' interpolated scores (nnU-Net's and MONAI's way back to the original grid). With `region_labels` the
// scores are region probabilities instead (fuse.ops.regions_to_labels): each region in turn gives its label
// where its resampled probability is above 0.5.
sdk::Tensor most_likely_class(const DictView& sample, const std::string& key, const Geometry& current, const Geometry& target, bool resample,
                              DLDataType dtype, const std::vector<int64_t>& region_labels) {
  const sdk::TensorView in = sample.tensor(key);
  in.require_cpu_contiguous();
  const volume::Layout l = volume::layout_of(in, current.dims);
  if (l.size != current.size)
    sdk::fail(FM_ERR_SHAPE, "'scores' key '" + key + "' has spatial size (" + std::to_string(l.size.x) + ", " + std::to_string(l.size.y) + ", " +
                                std::to_string(l.size.z) + "), not its geometry's (" + std::to_string(current.size.x) + ", " +
                                std::to_string(current.size.y) + ", " + std::to_string(current.size.z) + ")");
  if (l.channels > 65536) sdk::fail(FM_ERR_SHAPE, "'scores' key '" + key + "' has " + std::to_string(l.channels) + " classes; at most 65536");
  if (!region_labels.empty() && static_cast<int64_t>(region_labels.size()) != l.channels)
    sdk::fail(FM_ERR_SHAPE, "'scores' key '" + key + "' has " + std::to_string(l.channels) + " regions but 'region_labels' gives " +
                                std::to_string(region_labels.size()) + " labels (one per region)");
  const Size3 out_size = resample ? target.size : current.size;
  const size_t in_voxels = static_cast<size_t>(l.size.x * l.size.y * l.size.z), voxels = static_cast<size_t>(out_size.x * out_size.y * out_size.z);
  const IndexMap map = resample ? volume::index_map_between(current, target) : IndexMap{};
  std::vector<float> channel(in_voxels), score(voxels), best(voxels, -std::numeric_limits<float>::infinity());
  std::vector<int64_t> label(voxels, 0);
  for (int64_t c = 0; c < l.channels; ++c) {
    const bool ok = sdk::dispatch_dtype(in.dtype(), [&](auto tag) {
      const auto* p = in.data<decltype(tag)>() + static_cast<size_t>(c) * in_voxels;
      for (size_t v = 0; v < in_voxels; ++v) channel[v] = static_cast<float>(p[v]);
    });
    if (!ok) sdk::fail(FM_ERR_TYPE, "'scores' key '" + key + "': dtype " + sdk::dtype_name(in.dtype()) + " holds no class scores");
    if (resample) volume::resample<float>(channel.data(), l.size, score.data(), out_size, 1, map, nullptr, volume::Interpolation::kLinear, 0.0);
    const std::vector<float>& s = resample ? score : channel;
    if (!region_labels.empty()) {
      for (size_t v = 0; v < voxels; ++v)
        if (s[v] > 0.5f) label[v] = region_labels[static_cast<size_t>(c)];
      continue;
    }
    for (size_t v = 0; v < voxels; ++v)
      if (s[v] > best[v]) best[v] = s[v], label[v] = c;
  }
  std::vector<int64_t> shape = {1};
  if (current.dims == 3) shape.push_back(out_size.z);
  shape.push_back(out_size.y);
  shape.push_back(out_size.x);
  sdk::Tensor out = sdk::Tensor::empty(shape, dtype);
  const bool ok = sdk::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (size_t v = 0; v < voxels; ++v) o[v] = static_cast<T>(label[v]);
  });
  if (!ok) sdk::fail(FM_ERR_TYPE, "cannot write class indices as " + sdk::dtype_name(dtype));
  return out;
}

class WriteMedical {
 public:
  explicit WriteMedical(const DictView& config)
      : key_(config.get_string("key")),
        path_(config.get_string("path")),
        geometry_from_(config.find_string("geometry_from").value_or(key_)),
        original_(config.get_string("geometry") == "original"),
        label_(config.get_bool("label")),
        dtype_(config.find_string("dtype")),
        scores_(config.find_string("scores")),
        region_labels_(config.get_ints("region_labels")) {
    if (dtype_ && !sdk::parse_dtype(*dtype_)) sdk::fail(FM_ERR_INVALID_ARGUMENT, "unknown dtype '" + *dtype_ + "'");
    if (!region_labels_.empty() && !scores_)
      sdk::fail(FM_ERR_INVALID_ARGUMENT, "'region_labels' turns the region probabilities under 'scores' into labels: set 'scores' too");
  }

  void forward(Dict& sample, const sdk::Call&) {
    const std::string meta = geometry_from_ + "_meta";
    const Geometry current = volume::read_meta(sample, meta);
    Geometry target = current;
    if (original_ && sample.has(meta + ".original.spacing")) target = volume::read_meta(sample, meta + ".original");
    const std::string path = sdk::expand_path(path_, sample);
    if (scores_) {
      // The label map under 'key' is what is written; its classes come from the scores on the written grid.
      const DLDataType dtype = dtype_ ? *sdk::parse_dtype(*dtype_) : sample.tensor(key_).dtype();
      sdk::OwnedDict labels;
      labels.set_tensor("t", most_likely_class(sample, *scores_, current, target, !same(current, target), dtype, region_labels_));
      write_volume(path, labels.tensor("t"), target);
      return;
    }
    // Work on a private copy of the tensor: the sample keeps its own.
    sdk::OwnedDict scratch;
    scratch.copy("t", sample, key_);
    if (dtype_ && !sdk::dtype_eq(*sdk::parse_dtype(*dtype_), scratch.tensor("t").dtype()))
      scratch.set_tensor("t", sdk::converted(scratch.tensor("t"), *sdk::parse_dtype(*dtype_)));
    if (!same(current, target)) {
      const volume::Layout l = volume::layout_of(scratch.tensor("t"), current.dims);
      if (l.size != current.size)
        sdk::fail(FM_ERR_SHAPE, "key '" + key_ + "' has spatial size (" + std::to_string(l.size.x) + ", " + std::to_string(l.size.y) + ", " +
                                    std::to_string(l.size.z) + ") but '" + meta + "' describes (" + std::to_string(current.size.x) + ", " +
                                    std::to_string(current.size.y) + ", " + std::to_string(current.size.z) + ")");
      volume::resample_key(scratch, "t", current.dims, target.size, volume::index_map_between(current, target), nullptr,
                           label_ ? volume::Interpolation::kNearest : volume::Interpolation::kLinear, 0.0);
    }
    write_volume(path, scratch.tensor("t"), target);
  }

 private:
  std::string key_, path_, geometry_from_;
  bool original_, label_;
  std::optional<std::string> dtype_, scores_;
  std::vector<int64_t> region_labels_;
};
FUSE_OP(WriteMedical, "fuse.io.write_medical", "1.2.0")

}  // namespace
}  // namespace fuse::io_medical
