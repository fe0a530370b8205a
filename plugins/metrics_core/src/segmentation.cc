// Segmentation metrics per class: Dice, IoU, Hausdorff distance (maximum and 95th percentile) and average
// symmetric surface distance, in physical units from the voxel spacing. Rows are samples: pred and target are
// label maps of shape [batch, *spatial] (1 to 3 spatial axes; a channel axis of 1 is allowed); results are means over samples.
//
// Empty masks, by rule (so results are always defined and comparable):
//   both empty:       dice 1, iou 1, distances 0 (nothing to find, nothing found);
//   exactly one empty: dice 0, iou 0, distances as 'empty_distance' says: "max" (default) gives the diagonal
//                      of the volume in physical units (the worst possible), "nan" leaves the sample out of
//                      that class's distance means.
// Surfaces are mask voxels with a face on the background (or on the volume border). Distances are between
// surfaces, as in MONAI: hd is the larger of the two directed maxima, hd95 the larger of the two directed 95th
// percentiles (linear interpolation), asd the mean over both surfaces' distances.
#include <algorithm>

#include "common.h"
#include "distance.h"

namespace fuse::metrics {
namespace {

constexpr int kMeasures = 5;  // dice, iou, hd, hd95, asd
constexpr const char* kNames[kMeasures] = {"dice", "iou", "hd", "hd95", "asd"};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// A channel axis of size 1 after the batch, as medical readers and collate make ([batch, 1, z, y, x]), is not a
// spatial axis: it is dropped from a 5-axis shape, or when the other map lacks it.
std::vector<int64_t> without_channel(std::vector<int64_t> shape, size_t other_ndim) {
  if (shape.size() >= 3 && shape[1] == 1 && (shape.size() == 5 || shape.size() == other_ndim + 1)) shape.erase(shape.begin() + 1);
  return shape;
}

// Distances from the surface voxels of `from` to the surface of `to` (given as its squared distance map).
std::vector<double> directed(const std::vector<uint8_t>& from_surface, const std::vector<double>& to_distance2) {
  std::vector<double> out;
  for (size_t i = 0; i < from_surface.size(); ++i)
    if (from_surface[i]) out.push_back(std::sqrt(to_distance2[i]));
  return out;
}

class Segmentation {
 public:
  explicit Segmentation(const DictView& config)
      : pred_(config.get_string("pred")),
        target_(config.get_string("target")),
        classes_(config.get_int("num_classes")),
        background_(config.get_bool("include_background")),
        spacing_(config.get_doubles("spacing")),
        spacing_key_(config.find_string("spacing_key").value_or("")),
        empty_nan_(config.get_string("empty_distance") == "nan") {
    for (int64_t c = background_ ? 0 : 1; c < classes_; ++c) reported_.push_back(c);
    if (reported_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "no class to report: set num_classes > 1 or include_background");
  }

  void reset() { values_.clear(); }

  void update(const DictView& batch) {
    TensorView p = batch.tensor(pred_), t = batch.tensor(target_);
    const std::vector<int64_t> pshape = without_channel(p.shape(), t.ndim()), tshape = without_channel(t.shape(), p.ndim());
    if (pshape != tshape)
      fail(FM_ERR_SHAPE, "'" + pred_ + "' has shape " + sdk::shape_string(p.dl()) + " but '" + target_ + "' has " +
                             sdk::shape_string(t.dl()));
    if (pshape.size() < 2 || pshape.size() > 4)
      fail(FM_ERR_SHAPE, "key '" + pred_ + "': expected [batch, *spatial] with 1 to 3 spatial axes, got " + sdk::shape_string(p.dl()));
    const std::vector<double> pv = read_numbers(p), tv = read_numbers(t);
    const std::vector<int64_t> shape(pshape.begin() + 1, pshape.end());
    const size_t voxels = pv.size() / static_cast<size_t>(p.size(0));
    for (int64_t s = 0; s < p.size(0); ++s) {
      const std::vector<double> spacing = spacing_for(batch, s, shape.size());
      const size_t offset = static_cast<size_t>(s) * voxels;
      for (int64_t c : reported_) {
        std::vector<uint8_t> a(voxels), b(voxels);
        for (size_t i = 0; i < voxels; ++i) {
          a[i] = pv[offset + i] == static_cast<double>(c);
          b[i] = tv[offset + i] == static_cast<double>(c);
        }
        measure(a, b, shape, spacing);
      }
    }
  }

  void merge(const Segmentation& o) { values_.insert(values_.end(), o.values_.begin(), o.values_.end()); }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, samples(), result); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    if (n != samples()) fail(FM_ERR_INVALID_ARGUMENT, "counts are for " + std::to_string(n) + " samples but the metric has seen " + std::to_string(samples()));
    if (n == 0) fail(FM_ERR_NUMERIC, "no samples: update the metric first");
    const size_t k = reported_.size();
    for (int m = 0; m < kMeasures; ++m) {
      std::vector<double> per_class(k);
      double class_sum = 0, class_count = 0;
      for (size_t c = 0; c < k; ++c) {
        double sum = 0, w = 0;
        for (size_t s = 0; s < n; ++s) {
          const double v = values_[(s * k + c) * kMeasures + static_cast<size_t>(m)];
          if (std::isnan(v)) continue;
          sum += weight(counts, s) * v;
          w += weight(counts, s);
        }
        per_class[c] = ratio(sum, w);
        if (!std::isnan(per_class[c])) class_sum += per_class[c], class_count += 1;
      }
      result.set_tensor(kNames[m], vector_tensor(per_class));
      result.set_double(std::string("mean_") + kNames[m], ratio(class_sum, class_count));
    }
    Tensor classes = Tensor::empty({static_cast<int64_t>(k)}, sdk::kInt64);
    std::copy(reported_.begin(), reported_.end(), classes.data<int64_t>());
    result.set_tensor("classes", std::move(classes));
  }

  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(values_.size()));
    w.write(values_.data(), values_.size() * sizeof(double));
  }
  void load(const void* data, size_t size) {
    uint64_t n = 0;
    if (size < sizeof(n)) fail(FM_ERR_INVALID_ARGUMENT, "metric state is too short");
    std::memcpy(&n, data, sizeof(n));
    if (size != sizeof(n) + n * sizeof(double)) fail(FM_ERR_INVALID_ARGUMENT, "metric state has the wrong size");
    const double* p = reinterpret_cast<const double*>(static_cast<const char*>(data) + sizeof(n));
    values_.assign(p, p + n);
  }

 private:
  size_t samples() const { return values_.size() / (reported_.size() * kMeasures); }

  std::vector<double> spacing_for(const DictView& batch, int64_t sample, size_t nd) const {
    std::vector<double> s = spacing_;
    if (!spacing_key_.empty()) {
      TensorView t = batch.tensor(spacing_key_);
      std::vector<double> v = read_numbers(t);
      if (t.ndim() == 2) v = std::vector<double>(v.begin() + sample * t.size(1), v.begin() + (sample + 1) * t.size(1));
      s = v;
    }
    if (s.empty()) s.assign(nd, 1.0);
    if (s.size() != nd)
      fail(FM_ERR_SHAPE, "the spacing has " + std::to_string(s.size()) + " values for " + std::to_string(nd) + " spatial axes");
    return s;
  }

  void measure(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, const std::vector<int64_t>& shape,
               const std::vector<double>& spacing) {
    size_t na = 0, nb = 0, both = 0;
    for (size_t i = 0; i < a.size(); ++i) na += a[i], nb += b[i], both += a[i] && b[i];
    double diagonal = 0;
    for (size_t d = 0; d < shape.size(); ++d) diagonal += std::pow(static_cast<double>(shape[d]) * spacing[d], 2);
    diagonal = std::sqrt(diagonal);
    double dice, iou, hd, hd95, asd;
    if (na == 0 && nb == 0) {
      dice = iou = 1, hd = hd95 = asd = 0;
    } else if (na == 0 || nb == 0) {
      dice = iou = 0;
      hd = hd95 = asd = empty_nan_ ? kNaN : diagonal;
    } else {
      dice = 2.0 * static_cast<double>(both) / static_cast<double>(na + nb);
      iou = static_cast<double>(both) / static_cast<double>(na + nb - both);
      const std::vector<uint8_t> sa = surface(a, shape), sb = surface(b, shape);
      const std::vector<double> ab = directed(sa, squared_distance(sb, shape, spacing));
      const std::vector<double> ba = directed(sb, squared_distance(sa, shape, spacing));
      hd = std::max(*std::max_element(ab.begin(), ab.end()), *std::max_element(ba.begin(), ba.end()));
      hd95 = std::max(percentile(ab, 95), percentile(ba, 95));
      double sum = 0;
      for (double d : ab) sum += d;
      for (double d : ba) sum += d;
      asd = sum / static_cast<double>(ab.size() + ba.size());
    }
    values_.insert(values_.end(), {dice, iou, hd, hd95, asd});
  }

  std::string pred_, target_;
  int64_t classes_;
  bool background_;
  std::vector<double> spacing_;
  std::string spacing_key_;
  bool empty_nan_;
  std::vector<int64_t> reported_;
  std::vector<double> values_;  // per sample, per reported class: dice, iou, hd, hd95, asd
};
FUSE_METRIC(Segmentation, "fuse.metrics.segmentation", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
