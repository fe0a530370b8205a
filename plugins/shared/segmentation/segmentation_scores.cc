#include "segmentation_scores.h"

#include <cmath>
#include <limits>

#include "label_regions.h"
#include "surface_distance.h"

namespace fuse::segmentation {
namespace {

using sdk::fail;

constexpr int kMeasures = 6;
constexpr const char* kNames[kMeasures] = {"dice", "iou", "hd", "hd95", "asd", "nsd"};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A channel axis of size 1 after the batch, as medical readers and collate make ([batch, 1, z, y, x]), is not a
// spatial axis: it is dropped from a 5-axis shape, or when the other map lacks it.
std::vector<int64_t> without_channel(std::vector<int64_t> shape, size_t other_ndim) {
  if (shape.size() >= 3 && shape[1] == 1 && (shape.size() == 5 || shape.size() == other_ndim + 1)) shape.erase(shape.begin() + 1);
  return shape;
}

double ratio(double num, double den) { return den != 0 ? num / den : kNaN; }

}  // namespace

int64_t LabelMaps::voxels() const {
  int64_t v = 1;
  for (int64_t s : spatial) v *= s;
  return v;
}

SegmentationScores::SegmentationScores(const sdk::DictView& config)
    : pred_(config.get_string("pred")),
      target_(config.get_string("target")),
      spacing_(config.get_doubles("spacing")),
      spacing_key_(config.find_string("spacing_key").value_or("")),
      empty_nan_(config.get_string("empty_distance") == "nan"),
      tolerance_(config.get_double("tolerance")) {
  if (config.has("ignore_label") && !config.is_unset("ignore_label")) {
    has_ignore_ = true;
    ignore_ = static_cast<double>(config.get_int("ignore_label"));
    if (ignore_ == 0) fail(FM_ERR_INVALID_ARGUMENT, "'ignore_label' 0 is the background; the ignore label marks voxels not annotated, e.g. the largest label");
  }
  const Regions regions = read_regions(config);
  if (regions.empty()) {
    classes_ = reported_classes(config);
    for (int64_t c : classes_) members_.push_back({static_cast<double>(c)});
    return;
  }
  if (!config.is_unset("num_classes"))
    fail(FM_ERR_INVALID_ARGUMENT, "'num_classes' and 'regions' are both set: give 'regions' to score regions (numbered from 1), 'num_classes' to score classes");
  if (config.get_bool("include_background"))
    fail(FM_ERR_INVALID_ARGUMENT, "'include_background' is set with 'regions': no region holds the background (label 0)");
  for (size_t r = 0; r < regions.size(); ++r) {
    classes_.push_back(static_cast<int64_t>(r + 1));
    members_.emplace_back(regions[r].begin(), regions[r].end());
  }
}

std::vector<int64_t> reported_classes(const sdk::DictView& config) {
  if (config.is_unset("num_classes")) fail(FM_ERR_INVALID_ARGUMENT, "'num_classes' is not set: the label maps' classes are 0 to num_classes - 1");
  std::vector<int64_t> classes;
  for (int64_t c = config.get_bool("include_background") ? 0 : 1; c < config.get_int("num_classes"); ++c) classes.push_back(c);
  if (classes.empty()) fail(FM_ERR_INVALID_ARGUMENT, "no class to report: set num_classes > 1 or include_background");
  return classes;
}

LabelMaps SegmentationScores::maps(const sdk::DictView& batch) const { return read_label_maps(batch, pred_, target_); }

LabelMaps read_label_maps(const sdk::DictView& batch, const std::string& pred, const std::string& target) {
  const sdk::TensorView p = batch.tensor(pred), t = batch.tensor(target);
  const std::vector<int64_t> pshape = without_channel(p.shape(), static_cast<size_t>(t.ndim())),
                             tshape = without_channel(t.shape(), static_cast<size_t>(p.ndim()));
  if (pshape != tshape)
    fail(FM_ERR_SHAPE, "'" + pred + "' has shape " + sdk::shape_string(p.dl()) + " but '" + target + "' has " + sdk::shape_string(t.dl()));
  if (pshape.size() < 2 || pshape.size() > 4)
    fail(FM_ERR_SHAPE, "key '" + pred + "': expected [batch, *spatial] with 1 to 3 spatial axes, got " + sdk::shape_string(p.dl()));
  return LabelMaps{p, t, pshape[0], std::vector<int64_t>(pshape.begin() + 1, pshape.end())};
}

std::vector<double> SegmentationScores::spacing(const sdk::DictView& batch, int64_t sample, size_t nd) const {
  std::vector<double> s = spacing_;
  if (!spacing_key_.empty()) {
    const sdk::TensorView t = batch.tensor(spacing_key_);
    std::vector<double> v = t.to_doubles();
    if (t.ndim() == 2) v = std::vector<double>(v.begin() + sample * t.size(1), v.begin() + (sample + 1) * t.size(1));
    s = v;
  }
  if (s.empty()) s.assign(nd, 1.0);
  if (s.size() != nd) fail(FM_ERR_SHAPE, "the spacing has " + std::to_string(s.size()) + " values for " + std::to_string(nd) + " spatial axes");
  return s;
}

void SegmentationScores::add(Overlap o, const std::vector<int64_t>& spatial, const std::vector<double>& spacing,
                             const std::vector<double>& ab, const std::vector<double>& ba) {
  double diagonal = 0;
  for (size_t d = 0; d < spatial.size(); ++d) diagonal += std::pow(static_cast<double>(spatial[d]) * spacing[d], 2);
  diagonal = std::sqrt(diagonal);
  double dice, iou, hd, hd95, asd, nsd;
  if (o.pred == 0 && o.target == 0) {
    dice = iou = nsd = 1, hd = hd95 = asd = 0;
  } else if (!o.needs_distances()) {
    dice = iou = nsd = 0;
    hd = hd95 = asd = empty_nan_ ? kNaN : diagonal;
  } else {
    dice = 2.0 * static_cast<double>(o.both) / static_cast<double>(o.pred + o.target);
    iou = static_cast<double>(o.both) / static_cast<double>(o.pred + o.target - o.both);
    const SurfaceDistances d = summarize(ab, ba);
    hd = d.hd, hd95 = d.hd95, asd = d.asd;
    nsd = surface_dice(ab, ba, tolerance_);
  }
  values_.insert(values_.end(), {dice, iou, hd, hd95, asd, nsd});
}

size_t SegmentationScores::samples() const { return values_.size() / (classes_.size() * kMeasures); }

void SegmentationScores::compute_weighted(const uint8_t* counts, size_t n, sdk::Dict& result) const {
  if (n != samples()) fail(FM_ERR_INVALID_ARGUMENT, "counts are for " + std::to_string(n) + " samples but the metric has seen " + std::to_string(samples()));
  if (n == 0) fail(FM_ERR_NUMERIC, "no samples: update the metric first");
  const size_t k = classes_.size();
  for (int m = 0; m < kMeasures; ++m) {
    sdk::Tensor per_class = sdk::Tensor::empty({static_cast<int64_t>(k)}, sdk::kFloat64);
    double class_sum = 0, class_count = 0;
    for (size_t c = 0; c < k; ++c) {
      double sum = 0, w = 0;
      for (size_t s = 0; s < n; ++s) {
        const double v = values_[(s * k + c) * kMeasures + static_cast<size_t>(m)];
        if (std::isnan(v)) continue;
        const double times = counts ? counts[s] : 1.0;
        sum += times * v;
        w += times;
      }
      const double mean = ratio(sum, w);
      per_class.data<double>()[c] = mean;
      if (!std::isnan(mean)) class_sum += mean, class_count += 1;
    }
    result.set_tensor(kNames[m], std::move(per_class));
    result.set_double(std::string("mean_") + kNames[m], ratio(class_sum, class_count));
  }
  sdk::Tensor classes = sdk::Tensor::empty({static_cast<int64_t>(k)}, sdk::kInt64);
  std::copy(classes_.begin(), classes_.end(), classes.data<int64_t>());
  result.set_tensor("classes", std::move(classes));
}

void SegmentationScores::save(sdk::Writer& w) const {
  w.write_value(static_cast<uint64_t>(values_.size()));
  w.write(values_.data(), values_.size() * sizeof(double));
}

void SegmentationScores::load(const void* data, size_t size) {
  sdk::read_state(data, size, [&](sdk::Reader& r) { values_ = r.read_array<double>(r.read_value<uint64_t>()); });
}

}  // namespace fuse::segmentation
