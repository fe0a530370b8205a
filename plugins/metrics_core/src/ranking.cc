// Metrics on the ranking of scores (binary targets): auc, roc_curve, average_precision, pr_curve,
// operating_point. Each pass walks the rows in descending score order once, in tie groups, so a replicate
// costs O(n) after one sort.
#include <algorithm>
#include <optional>

#include "common.h"
#include "label_columns.h"

namespace fuse::metrics {
namespace {

// Weighted true-positive and false-positive totals at the end of each tie group (thresholds from high to
// low), with the score of the group.
struct Steps {
  std::vector<double> tp, fp, threshold;
  double pos = 0, neg = 0;
};

Steps steps(const BinaryRows& rows, const uint8_t* counts) {
  const BinaryRows::Sorted& s = rows.sorted();
  Steps out;
  uint64_t tp = 0, fp = 0, in_group = 0;
  for (size_t i = 0; i < s.order.size(); ++i) {
    const uint32_t w = weight(counts, s.order[i]);
    (s.label[i] ? tp : fp) += w;
    in_group += w;
    if (s.group_end[i]) {
      if (in_group == 0) continue;  // a tie group the replicate left out: no new threshold
      in_group = 0;
      out.tp.push_back(static_cast<double>(tp));
      out.fp.push_back(static_cast<double>(fp));
      out.threshold.push_back(rows.scores()[s.order[i]]);
    }
  }
  out.pos = static_cast<double>(tp);
  out.neg = static_cast<double>(fp);
  return out;
}

// P(score of a positive > score of a negative) + P(equal) / 2, from one pass in tie groups.
double auc_of(const BinaryRows& rows, const uint8_t* counts) {
  const BinaryRows::Sorted& s = rows.sorted();
  const size_t n = s.order.size();
  uint64_t pos_above = 0, pg = 0, ng = 0, twice_num = 0, neg = 0;
  const uint8_t* label = s.label.data();
  const uint8_t* end = s.group_end.data();
  const uint32_t* order = s.order.data();
  for (size_t i = 0; i < n; ++i) {
    const uint64_t w = counts ? counts[order[i]] : 1u;
    if (label[i]) pg += w;
    else ng += w;
    if (end[i]) {
      twice_num += ng * (2 * pos_above + pg);  // a negative ranks below every positive above it, ties count half
      pos_above += pg;
      neg += ng;
      pg = ng = 0;
    }
  }
  return static_cast<double>(twice_num) / (2.0 * static_cast<double>(pos_above) * static_cast<double>(neg));
}

void check_rows(size_t expected, size_t given) {
  if (expected != given)
    fail(FM_ERR_INVALID_ARGUMENT, "counts are for " + std::to_string(given) + " rows but the metric has seen " +
                                      std::to_string(expected));
}

// Common shape of the binary ranking metrics: rows in, a result computed from optional counts. Those whose
// manifest has 'average' take several labels at once (LabelColumns); the others one score per row.
template <class Derived>
class BinaryMetric {
 public:
  explicit BinaryMetric(const DictView& config)
      : pred_(config.get_string("pred")),
        target_(config.get_string("target")),
        columns_(config.has("average") ? config.get_string("average") : "none",
                 config.has("undefined") ? config.get_string("undefined") : "error") {}
  void reset() { columns_.clear(); }
  void update(const DictView& batch) { columns_.add(batch, pred_, target_); }
  void merge(const Derived& other) { columns_.merge(other.columns_); }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, columns_.rows(), result); }
  void compute_weighted(const DictView* inputs, const uint8_t* counts, size_t n, Dict& result) const {
    check_rows(columns_.rows(), n);
    static_cast<const Derived*>(this)->compute_from(inputs, counts, result);
  }
  void save(sdk::Writer& w) const { columns_.save(w); }
  void load(sdk::Reader& r) { columns_.load(r); }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) { columns_.load(r); });
  }

 protected:
  // The rows of a metric of one score per row.
  const BinaryRows& rows() const { return columns_.single(); }

  std::string pred_, target_;
  LabelColumns columns_;
};

// AUC of the rows, or with 'bins' > 0 of a histogram of the scores over 'range': bounded memory for files
// larger than memory (streamed), exact up to ties within a bin (which count half, at most half the share of
// positive-negative pairs that fall in one bin).
class Auc : public BinaryMetric<Auc> {
 public:
  explicit Auc(const DictView& config) : BinaryMetric(config), bins_(static_cast<size_t>(config.get_int("bins"))) {
    const std::vector<double> range = config.get_doubles("range");
    if (range.size() != 2 || !(range[0] < range[1])) fail(FM_ERR_INVALID_ARGUMENT, "'range' must be [low, high] with low < high");
    if (bins_ > 0 && columns_.average() != LabelColumns::Average::kNone)
      fail(FM_ERR_INVALID_ARGUMENT, "'bins' keeps one histogram of one score per row, so it needs 'average': 'none'");
    low_ = range[0], high_ = range[1];
    positives_.assign(bins_, 0), negatives_.assign(bins_, 0);
  }
  void reset() {
    BinaryMetric::reset();
    std::fill(positives_.begin(), positives_.end(), 0), std::fill(negatives_.begin(), negatives_.end(), 0);
  }
  void update(const DictView& batch) {
    if (bins_ == 0) return BinaryMetric::update(batch);
    std::vector<double> s;
    std::vector<uint8_t> y;
    append_scores(batch, pred_, s);
    append_binary_labels(batch, target_, y);
    if (s.size() != y.size()) fail(FM_ERR_SHAPE, "'" + pred_ + "' and '" + target_ + "' have different numbers of rows");
    for (size_t i = 0; i < s.size(); ++i) {
      const double x = std::clamp((s[i] - low_) / (high_ - low_), 0.0, 1.0);
      const size_t b = std::min(bins_ - 1, static_cast<size_t>(x * static_cast<double>(bins_)));
      ++(y[i] ? positives_ : negatives_)[b];
    }
  }
  void merge(const Auc& other) {
    BinaryMetric::merge(other);
    for (size_t b = 0; b < bins_; ++b) positives_[b] += other.positives_[b], negatives_[b] += other.negatives_[b];
  }
  void save(sdk::Writer& w) const {
    BinaryMetric::save(w);
    w.write(positives_.data(), bins_ * sizeof(uint64_t));
    w.write(negatives_.data(), bins_ * sizeof(uint64_t));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      BinaryMetric::load(r);
      positives_ = r.read_array<uint64_t>(bins_);
      negatives_ = r.read_array<uint64_t>(bins_);
    });
  }
  void compute(Dict& result) const {
    if (bins_ == 0) return BinaryMetric::compute(result);
    double pos_above = 0, twice = 0, neg = 0;
    for (size_t b = bins_; b-- > 0;) {  // from the highest scores down
      const double pb = static_cast<double>(positives_[b]), nb = static_cast<double>(negatives_[b]);
      twice += nb * (2 * pos_above + pb);
      pos_above += pb;
      neg += nb;
    }
    if (pos_above == 0 || neg == 0) fail(FM_ERR_NUMERIC, "AUC needs both classes, but the data has " +
                                                             std::string(pos_above == 0 ? "no positive (1)" : "no negative (0)") + " targets");
    result.set_double("auc", twice / (2 * pos_above * neg));
  }
  void compute_weighted(const DictView* inputs, const uint8_t* counts, size_t n, Dict& result) const {
    if (bins_ > 0) fail(FM_ERR_UNSUPPORTED, "a binned AUC keeps no rows to reweight");
    BinaryMetric::compute_weighted(inputs, counts, n, result);
  }
  void compute_from(const DictView*, const uint8_t* counts, Dict& result) const {
    columns_.compute(counts, "auc", [](const BinaryRows& rows, const uint8_t* c) {
      rows.require_both_classes(c, "AUC");
      return auc_of(rows, c);
    }, result);
  }

 private:
  size_t bins_;
  double low_ = 0, high_ = 1;
  std::vector<uint64_t> positives_, negatives_;
};
FUSE_METRIC(Auc, "fuse.metrics.auc", "1.2.0")

// The ROC curve on a fixed grid of false-positive rates (so replicates can be averaged into a band), and AUC.
class RocCurve : public BinaryMetric<RocCurve> {
 public:
  explicit RocCurve(const DictView& config) : BinaryMetric(config), points_(config.get_int("points")) {}
  void compute_from(const DictView*, const uint8_t* counts, Dict& result) const {
    rows().require_both_classes(counts, "a ROC curve");
    const Steps st = steps(rows(), counts);
    // The ROC polyline: (0, 0), then one vertex per tie group.
    std::vector<double> fpr{0.0}, tpr{0.0};
    for (size_t g = 0; g < st.tp.size(); ++g) {
      fpr.push_back(st.fp[g] / st.neg);
      tpr.push_back(st.tp[g] / st.pos);
    }
    std::vector<double> grid(static_cast<size_t>(points_)), at(grid.size());
    for (size_t i = 0; i < grid.size(); ++i) {
      const double x = static_cast<double>(i) / static_cast<double>(points_ - 1);
      grid[i] = x;
      // The last vertex at or left of x, interpolated towards the next one (vertical steps take their top).
      size_t k = static_cast<size_t>(std::upper_bound(fpr.begin(), fpr.end(), x) - fpr.begin()) - 1;
      if (k + 1 < fpr.size() && fpr[k + 1] > fpr[k])
        at[i] = tpr[k] + (tpr[k + 1] - tpr[k]) * (x - fpr[k]) / (fpr[k + 1] - fpr[k]);
      else
        at[i] = tpr[k];
    }
    result.set_tensor("fpr", vector_tensor(grid));
    result.set_tensor("tpr", vector_tensor(at));
    result.set_double("auc", auc_of(rows(), counts));
  }

 private:
  int64_t points_;
};
FUSE_METRIC(RocCurve, "fuse.metrics.roc_curve", "1.0.0")

// Average precision as the step-wise sum of precision times recall increments (no interpolation), as
// scikit-learn's average_precision_score.
double average_precision(const Steps& st) {
  double ap = 0, prev_recall = 0;
  for (size_t g = 0; g < st.tp.size(); ++g) {
    const double recall = st.tp[g] / st.pos;
    ap += (recall - prev_recall) * (st.tp[g] / (st.tp[g] + st.fp[g]));
    prev_recall = recall;
  }
  return ap;
}

class AveragePrecision : public BinaryMetric<AveragePrecision> {
 public:
  using BinaryMetric::BinaryMetric;
  void compute_from(const DictView*, const uint8_t* counts, Dict& result) const {
    columns_.compute(counts, "average_precision", [](const BinaryRows& rows, const uint8_t* c) {
      if (rows.totals(c).first == 0)
        fail(FM_ERR_NUMERIC, "average precision needs positive (1) targets; the " + std::string(c ? "replicate" : "data") + " has none");
      return average_precision(steps(rows, c));
    }, result);
  }
};
FUSE_METRIC(AveragePrecision, "fuse.metrics.average_precision", "1.2.0")

// The precision-recall curve on a fixed recall grid (interpolated precision: the best precision at that recall
// or above), and average precision.
class PrCurve : public BinaryMetric<PrCurve> {
 public:
  explicit PrCurve(const DictView& config) : BinaryMetric(config), points_(config.get_int("points")) {}
  void compute_from(const DictView*, const uint8_t* counts, Dict& result) const {
    auto [pos, neg] = rows().totals(counts);
    if (pos == 0) fail(FM_ERR_NUMERIC, "a precision-recall curve needs positive (1) targets");
    const Steps st = steps(rows(), counts);
    std::vector<double> recall, precision;
    for (size_t g = 0; g < st.tp.size(); ++g) {
      recall.push_back(st.tp[g] / st.pos);
      precision.push_back(st.tp[g] / (st.tp[g] + st.fp[g]));
    }
    // Best precision at each recall or above: a running maximum from the end.
    for (size_t g = precision.size(); g-- > 1;) precision[g - 1] = std::max(precision[g - 1], precision[g]);
    std::vector<double> grid(static_cast<size_t>(points_)), at(grid.size());
    for (size_t i = 0; i < grid.size(); ++i) {
      grid[i] = static_cast<double>(i) / static_cast<double>(points_ - 1);
      const size_t k = static_cast<size_t>(std::lower_bound(recall.begin(), recall.end(), grid[i]) - recall.begin());
      at[i] = k < precision.size() ? precision[k] : 0.0;
    }
    result.set_tensor("recall", vector_tensor(grid));
    result.set_tensor("precision", vector_tensor(at));
    result.set_double("average_precision", average_precision(st));
  }

 private:
  int64_t points_;
};
FUSE_METRIC(PrCurve, "fuse.metrics.pr_curve", "1.0.0")

// The threshold of an operating point: the highest threshold reaching a sensitivity (or the lowest keeping a
// specificity), with the rates there. Rows with score >= threshold are predicted positive.
class OperatingPoint : public BinaryMetric<OperatingPoint> {
 public:
  explicit OperatingPoint(const DictView& config)
      : BinaryMetric(config), min_sens_(config.find_double("min_sensitivity")), min_spec_(config.find_double("min_specificity")) {
    if (min_sens_.has_value() == min_spec_.has_value())
      fail(FM_ERR_INVALID_ARGUMENT, "set exactly one of 'min_sensitivity' and 'min_specificity'");
  }
  void compute_from(const DictView*, const uint8_t* counts, Dict& result) const {
    rows().require_both_classes(counts, "an operating point");
    const Steps st = steps(rows(), counts);
    std::optional<size_t> chosen;
    for (size_t g = 0; g < st.tp.size(); ++g) {
      const double sens = st.tp[g] / st.pos, spec = 1.0 - st.fp[g] / st.neg;
      if (min_sens_ && sens >= *min_sens_ - 1e-12) {
        chosen = g;  // the first (highest) threshold that reaches it
        break;
      }
      if (min_spec_ && spec >= *min_spec_ - 1e-12) chosen = g;  // the last (lowest) that keeps it
    }
    if (!chosen) {
      // No threshold keeps the specificity: predict nothing positive.
      result.set_double("threshold", std::numeric_limits<double>::infinity());
      result.set_double("sensitivity", 0.0);
      result.set_double("specificity", 1.0);
      return;
    }
    const size_t g = *chosen;
    result.set_double("threshold", st.threshold[g]);
    result.set_double("sensitivity", st.tp[g] / st.pos);
    result.set_double("specificity", 1.0 - st.fp[g] / st.neg);
  }

 private:
  std::optional<double> min_sens_, min_spec_;
};
FUSE_METRIC(OperatingPoint, "fuse.metrics.operating_point", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
