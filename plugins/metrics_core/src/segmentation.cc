// Segmentation metrics per class (or per region: sets of labels, label_regions.h): Dice, IoU, Hausdorff distance
// (maximum and 95th percentile) and average symmetric surface distance, in physical units from the voxel
// spacing. Rows are samples: pred and target are label maps of shape [batch, *spatial] (1 to 3 spatial axes; a
// channel axis of 1 is allowed); results are means over samples. Target voxels of 'ignore_label' count in
// neither map. The config, the empty-mask rules and the means are shared with the GPU twin
// (plugins/shared/segmentation); here each sample's surfaces and distance maps are computed on the CPU.
#include "common.h"
#include "segmentation_scores.h"
#include "surface_distance.h"

namespace fuse::metrics {
namespace {

using segmentation::Overlap;

class Segmentation {
 public:
  explicit Segmentation(const DictView& config) : scores_(config) {}

  void reset() { scores_.reset(); }

  void update(const DictView& batch) {
    const segmentation::LabelMaps maps = scores_.maps(batch);
    const std::vector<double> pv = read_numbers(maps.pred), tv = read_numbers(maps.target);
    const std::vector<int64_t>& shape = maps.spatial;
    const size_t voxels = static_cast<size_t>(maps.voxels());
    for (int64_t s = 0; s < maps.samples; ++s) {
      const std::vector<double> spacing = scores_.spacing(batch, s, shape.size());
      const size_t offset = static_cast<size_t>(s) * voxels;
      for (size_t k = 0; k < scores_.classes().size(); ++k) {
        std::vector<uint8_t> a(voxels), b(voxels);
        Overlap o;
        for (size_t i = 0; i < voxels; ++i) {
          if (scores_.ignored(tv[offset + i])) continue;  // not annotated: in neither map
          a[i] = scores_.member(k, pv[offset + i]);
          b[i] = scores_.member(k, tv[offset + i]);
          o.pred += a[i], o.target += b[i], o.both += a[i] && b[i];
        }
        std::vector<double> ab, ba;
        if (o.needs_distances()) {
          const std::vector<uint8_t> sa = segmentation::surface(a, shape), sb = segmentation::surface(b, shape);
          ab = segmentation::directed(sa, segmentation::squared_distance(sb, shape, spacing));
          ba = segmentation::directed(sb, segmentation::squared_distance(sa, shape, spacing));
        }
        scores_.add(o, shape, spacing, ab, ba);
      }
    }
  }

  void merge(const Segmentation& o) { scores_.merge(o.scores_); }
  void compute(Dict& result) const { scores_.compute_weighted(nullptr, scores_.samples(), result); }
  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const { scores_.compute_weighted(counts, n, result); }
  void save(sdk::Writer& w) const { scores_.save(w); }
  void load(const void* data, size_t size) { scores_.load(data, size); }

 private:
  segmentation::SegmentationScores scores_;
};
FUSE_METRIC(Segmentation, "fuse.metrics.segmentation", "1.2.0")

}  // namespace
}  // namespace fuse::metrics
