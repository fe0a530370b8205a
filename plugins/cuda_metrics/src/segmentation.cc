// fuse.cuda.gpu_segmentation: the GPU twin of fuse.metrics.segmentation. Per sample and class the masks, their
// overlap, surfaces and distance maps are computed on the device (host label maps are copied there once per
// batch; CUDA ones are read in place); the config, empty-mask rules and means are the CPU twin's own code
// (plugins/shared/segmentation), so the two give the same numbers.
#include <algorithm>
#include <cmath>

#include "cuda_support.h"
#include "fuse_sdk/plugin.hpp"
#include "segmentation_scores.h"
#include "surface_kernels.h"

namespace fuse::cuda_metrics {
namespace {

using sdk::DictView;
using sdk::fail;
using segmentation::Overlap;

LabelType label_type(const sdk::TensorView& t, const std::string& key) {
  const DLDataType d = t.dtype();
  if (sdk::dtype_eq(d, sdk::kUInt8)) return LabelType::kUInt8;
  if (sdk::dtype_eq(d, sdk::kInt32)) return LabelType::kInt32;
  if (sdk::dtype_eq(d, sdk::kInt64)) return LabelType::kInt64;
  if (sdk::dtype_eq(d, sdk::kFloat32)) return LabelType::kFloat32;
  if (sdk::dtype_eq(d, sdk::kFloat64)) return LabelType::kFloat64;
  fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(d) + " is not a label map (uint8, int32, int64, float32 or float64)");
}

// A label map in device memory: the CUDA tensor itself, or a copy of a host one.
struct DeviceLabels {
  const void* data = nullptr;
  LabelType type{};
  cuda::DeviceBuffer<char> copy;
};

DeviceLabels on_device(const sdk::TensorView& t, const std::string& key, LabelType type) {
  DeviceLabels out;
  out.type = type;
  if (t.device().device_type == kDLCUDA) {
    cuda::require_cuda(t, key, "fuse.metrics.segmentation");
    out.data = t.raw();
    return out;
  }
  t.require_cpu_contiguous();
  const size_t bytes = static_cast<size_t>(t.numel() * sdk::dtype_size(t.dtype()));
  out.copy = cuda::DeviceBuffer<char>(bytes, "the label map");
  cuda::check(cudaMemcpy(out.copy.get(), t.raw(), bytes, cudaMemcpyHostToDevice), "copying key '" + key + "' to the GPU");
  out.data = out.copy.get();
  return out;
}

// The device both maps live on: a CUDA tensor's, else device 0.
int device_of(const segmentation::LabelMaps& maps, const std::string& pred, const std::string& target) {
  const DLDevice p = maps.pred.device(), t = maps.target.device();
  if (p.device_type == kDLCUDA && t.device_type == kDLCUDA && p.device_id != t.device_id)
    fail(FM_ERR_INVALID_ARGUMENT, "'" + pred + "' is on CUDA device " + std::to_string(p.device_id) + " but '" + target + "' on device " +
                                      std::to_string(t.device_id) + "; put both on one device");
  return p.device_type == kDLCUDA ? p.device_id : t.device_type == kDLCUDA ? t.device_id : 0;
}

Grid grid_of(const std::vector<int64_t>& spatial, const std::vector<double>& spacing) {
  Grid g{};
  g.nd = static_cast<int>(spatial.size());
  g.voxels = 1;
  for (int a = g.nd; a-- > 0;) {
    g.shape[a] = spatial[static_cast<size_t>(a)];
    g.strides[a] = g.voxels;
    g.spacing[a] = spacing[static_cast<size_t>(a)];
    g.voxels *= g.shape[a];
  }
  return g;
}

class Segmentation {
 public:
  explicit Segmentation(const DictView& config)
      : scores_(config), pred_(config.get_string("pred")), target_(config.get_string("target")), regions_(!config.is_unset("regions")) {}

  void reset() { scores_.reset(); }

  // Every check before the device work, and the scores added only once the whole batch is through: a failure
  // leaves the metric as it was.
  void update(const DictView& batch) {
    const segmentation::LabelMaps maps = scores_.maps(batch);
    const LabelType pt = label_type(maps.pred, pred_), tt = label_type(maps.target, target_);
    std::vector<std::vector<double>> spacings;
    for (int64_t s = 0; s < maps.samples; ++s) spacings.push_back(scores_.spacing(batch, s, maps.spatial.size()));
    std::string why;
    if (cuda::device_count(&why) == 0) fail(FM_ERR_UNSUPPORTED, "no usable CUDA device (" + why + "); the CPU twin is fuse.metrics.segmentation");
    cuda::use_device(device_of(maps, pred_, target_));
    const DeviceLabels pred = on_device(maps.pred, pred_, pt), target = on_device(maps.target, target_, tt);
    const int64_t voxels = maps.voxels();
    cuda::DeviceBuffer<uint8_t> masks(static_cast<size_t>(2 * voxels), "the class masks");
    cuda::DeviceBuffer<unsigned long long> counts(3, "the overlap counts");
    struct Found {
      Overlap overlap;
      std::vector<double> ab, ba;
    };
    std::vector<Found> found;
    for (int64_t s = 0; s < maps.samples; ++s) {
      const Grid grid = grid_of(maps.spatial, spacings[static_cast<size_t>(s)]);
      const size_t offset = static_cast<size_t>(s * voxels);
      const auto* p = static_cast<const char*>(pred.data) + offset * static_cast<size_t>(sdk::dtype_size(maps.pred.dtype()));
      const auto* t = static_cast<const char*>(target.data) + offset * static_cast<size_t>(sdk::dtype_size(maps.target.dtype()));
      for (size_t k = 0; k < scores_.classes().size(); ++k) {
        const std::string step = "sample " + std::to_string(s) + ", " + (regions_ ? "region " : "class ") + std::to_string(scores_.classes()[k]);
        cuda::check(cudaMemset(counts.get(), 0, 3 * sizeof(unsigned long long)), "clearing the overlap counts");
        cuda::check(class_masks(p, pt, t, tt, voxels, label_set(k), masks.get(), masks.get() + voxels, counts.get()), "the masks of " + step);
        const std::vector<unsigned long long> n = counts.to_host("the overlap counts");
        Found f{Overlap{n[0], n[1], n[2]}, {}, {}};
        if (f.overlap.needs_distances())
          cuda::check(surface_distances(masks.get(), masks.get() + voxels, grid, &f.ab, &f.ba), "the surface distances of " + step);
        found.push_back(std::move(f));
      }
    }
    for (size_t i = 0; i < found.size(); ++i)
      scores_.add(found[i].overlap, maps.spatial, spacings[i / scores_.classes().size()], found[i].ab, found[i].ba);
  }

  void merge(const Segmentation& o) { scores_.merge(o.scores_); }
  void compute(sdk::Dict& result) const { scores_.compute_weighted(nullptr, scores_.samples(), result); }
  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, sdk::Dict& result) const { scores_.compute_weighted(counts, n, result); }
  void save(sdk::Writer& w) const { scores_.save(w); }
  void load(const void* data, size_t size) { scores_.load(data, size); }

 private:
  // The labels of the k-th reported class or region, as the mask kernel takes them.
  LabelSet label_set(size_t k) const {
    LabelSet set{};
    const std::vector<double>& labels = scores_.labels_of(k);
    set.count = static_cast<int>(labels.size());  // at most segmentation::kMaxRegionLabels, as read_regions checks
    std::copy(labels.begin(), labels.end(), set.values);
    set.has_ignore = scores_.has_ignore_label();
    set.ignore = scores_.ignore_label();
    return set;
  }

  segmentation::SegmentationScores scores_;
  std::string pred_, target_;
  bool regions_;
};
FUSE_METRIC(Segmentation, "fuse.cuda.gpu_segmentation", "1.2.0")

}  // namespace
}  // namespace fuse::cuda_metrics
