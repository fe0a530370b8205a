// Instance (lesion-wise) detection from label maps: each class's connected components are its instances; a
// predicted instance and a target instance match when their IoU reaches 'iou_threshold' (one to one, the
// highest IoU first). Counts are summed over samples: true positives, false positives, false negatives; from
// them precision, recall (lesion-wise sensitivity), F1, the mean IoU of matched pairs, panoptic quality and
// false positives per sample. Dice says how much of a lesion was drawn; this says how many lesions were found.
//
// Empty rule: with nothing to find and nothing found (no instance in either map), every score is 1; otherwise a
// score whose denominator is 0 is 0 (precision with no predicted instance, recall with no target instance).
#include <algorithm>
#include <map>
#include <tuple>

#include "common.h"
#include "connected_components.h"
#include "segmentation_scores.h"

namespace fuse::metrics {
namespace {

constexpr int kCounts = 4;  // per sample and class: tp, fp, fn, the sum of matched IoUs

class Detection {
 public:
  explicit Detection(const DictView& config)
      : pred_(config.get_string("pred")),
        target_(config.get_string("target")),
        iou_threshold_(config.get_double("iou_threshold")),
        min_size_(config.get_int("min_size")),
        full_(config.get_string("connectivity") == "full"),
        classes_(segmentation::reported_classes(config)) {}

  void reset() { counts_.clear(); }

  void update(const DictView& batch) {
    const segmentation::LabelMaps maps = segmentation::read_label_maps(batch, pred_, target_);
    const std::vector<double> pv = read_numbers(maps.pred), tv = read_numbers(maps.target);
    const size_t voxels = static_cast<size_t>(maps.voxels());
    for (int64_t s = 0; s < maps.samples; ++s)
      for (int64_t c : classes_) {
        std::vector<uint8_t> a(voxels), b(voxels);
        for (size_t i = 0; i < voxels; ++i) {
          a[i] = pv[static_cast<size_t>(s) * voxels + i] == static_cast<double>(c);
          b[i] = tv[static_cast<size_t>(s) * voxels + i] == static_cast<double>(c);
        }
        add(segmentation::connected_components(a, maps.spatial, full_), segmentation::connected_components(b, maps.spatial, full_));
      }
  }

  void merge(const Detection& o) { counts_.insert(counts_.end(), o.counts_.begin(), o.counts_.end()); }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, samples(), result); }

  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    if (n != samples()) fail(FM_ERR_INVALID_ARGUMENT, "counts are for " + std::to_string(n) + " samples but the metric has seen " + std::to_string(samples()));
    if (n == 0) fail(FM_ERR_NUMERIC, "no samples: update the metric first");
    const size_t k = classes_.size();
    const char* names[] = {"precision", "recall", "f1", "matched_iou", "pq", "fp_per_sample", "tp", "fp", "fn"};
    std::vector<std::vector<double>> out(std::size(names), std::vector<double>(k));
    double weight_sum = 0;
    for (size_t s = 0; s < n; ++s) weight_sum += weight(counts, s);
    for (size_t c = 0; c < k; ++c) {
      double tp = 0, fp = 0, fn = 0, iou = 0;
      for (size_t s = 0; s < n; ++s) {
        const double w = weight(counts, s);
        const double* v = &counts_[(s * k + c) * kCounts];
        tp += w * v[0], fp += w * v[1], fn += w * v[2], iou += w * v[3];
      }
      const bool nothing = tp + fp + fn == 0;  // nothing to find, nothing found
      auto score = [&](double num, double den) { return nothing ? 1.0 : den > 0 ? num / den : 0.0; };
      const double values[] = {score(tp, tp + fp), score(tp, tp + fn), score(2 * tp, 2 * tp + fp + fn), score(iou, tp),
                               score(iou, tp + fp / 2 + fn / 2), fp / weight_sum, tp, fp, fn};
      for (size_t m = 0; m < std::size(names); ++m) out[m][c] = values[m];
    }
    for (size_t m = 0; m < std::size(names); ++m) {
      Tensor per_class = Tensor::empty({static_cast<int64_t>(k)}, sdk::kFloat64);
      double sum = 0;
      for (size_t c = 0; c < k; ++c) per_class.data<double>()[c] = out[m][c], sum += out[m][c];
      result.set_tensor(names[m], std::move(per_class));
      result.set_double(std::string("mean_") + names[m], sum / static_cast<double>(k));
    }
    Tensor classes = Tensor::empty({static_cast<int64_t>(k)}, sdk::kInt64);
    std::copy(classes_.begin(), classes_.end(), classes.data<int64_t>());
    result.set_tensor("classes", std::move(classes));
  }

  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(counts_.size()));
    w.write(counts_.data(), counts_.size() * sizeof(double));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) { counts_ = r.read_array<double>(r.read_value<uint64_t>()); });
  }

 private:
  size_t samples() const { return counts_.size() / (classes_.size() * kCounts); }

  // Matches one sample's instances of one class and appends its counts.
  void add(const segmentation::Components& pred, const segmentation::Components& target) {
    // Predicted instances below min_size are dropped (specks a post-processing step would remove).
    std::vector<bool> kept(static_cast<size_t>(pred.count() + 1), false);
    int64_t predicted = 0;
    for (int64_t p = 1; p <= pred.count(); ++p)
      if (pred.sizes[static_cast<size_t>(p)] >= min_size_) kept[static_cast<size_t>(p)] = true, ++predicted;
    std::map<std::pair<int32_t, int32_t>, int64_t> overlap;  // (pred, target) -> shared voxels
    for (size_t i = 0; i < pred.labels.size(); ++i)
      if (pred.labels[i] && target.labels[i] && kept[static_cast<size_t>(pred.labels[i])]) ++overlap[{pred.labels[i], target.labels[i]}];
    std::vector<std::tuple<double, int32_t, int32_t>> pairs;  // (IoU, pred, target)
    for (const auto& [key, shared] : overlap) {
      const double iou = static_cast<double>(shared) /
                         static_cast<double>(pred.sizes[static_cast<size_t>(key.first)] + target.sizes[static_cast<size_t>(key.second)] - shared);
      if (iou >= iou_threshold_) pairs.emplace_back(iou, key.first, key.second);
    }
    // The highest IoU first; ties by instance number, so the matching does not depend on the map's order.
    std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) {
      return std::get<0>(x) != std::get<0>(y) ? std::get<0>(x) > std::get<0>(y) : std::make_pair(std::get<1>(x), std::get<2>(x)) < std::make_pair(std::get<1>(y), std::get<2>(y));
    });
    std::vector<bool> pred_used(kept.size(), false), target_used(static_cast<size_t>(target.count() + 1), false);
    double tp = 0, iou_sum = 0;
    for (const auto& [iou, p, t] : pairs) {
      if (pred_used[static_cast<size_t>(p)] || target_used[static_cast<size_t>(t)]) continue;
      pred_used[static_cast<size_t>(p)] = target_used[static_cast<size_t>(t)] = true;
      tp += 1, iou_sum += iou;
    }
    counts_.insert(counts_.end(), {tp, static_cast<double>(predicted) - tp, static_cast<double>(target.count()) - tp, iou_sum});
  }

  std::string pred_, target_;
  double iou_threshold_;
  int64_t min_size_;
  bool full_;
  std::vector<int64_t> classes_;
  std::vector<double> counts_;  // per sample, per class: kCounts values
};
FUSE_METRIC(Detection, "fuse.metrics.detection", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
