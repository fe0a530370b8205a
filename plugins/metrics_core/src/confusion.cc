// The confusion family: binary (scores against a threshold, which may come from another metric) and
// multi-class (arg-max of class scores, or class indices). Undefined ratios (0/0) are NaN, not errors.
#include <algorithm>

#include "common.h"

namespace fuse::metrics {
namespace {

class Confusion {
 public:
  explicit Confusion(const DictView& config)
      : pred_(config.get_string("pred")),
        target_(config.get_string("target")),
        threshold_(config.get_double("threshold")),
        threshold_key_(config.find_string("threshold_key").value_or("")),
        classes_(config.find_int("num_classes").value_or(0)) {}

  void reset() {
    scores_.clear();
    predicted_.clear();
    labels_.clear();
    multi_ = false;
  }

  void update(const DictView& batch) {
    TensorView p = batch.tensor(pred_);
    const bool multi = p.ndim() == 2 && p.size(1) > 1;
    if (!labels_.empty() && multi != multi_)
      fail(FM_ERR_SHAPE, "key '" + pred_ + "': a batch of " + (multi ? "class scores" : "single scores") +
                             " after batches of " + (multi_ ? "class scores" : "single scores"));
    multi_ = multi;
    if (multi) {
      const int64_t k = p.size(1);
      if (classes_ == 0) classes_ = k;
      if (classes_ != k)
        fail(FM_ERR_SHAPE, "key '" + pred_ + "' has " + std::to_string(k) + " classes but 'num_classes' is " + std::to_string(classes_));
      std::vector<double> s = read_numbers(p);
      const size_t n = s.size() / static_cast<size_t>(k);
      for (size_t i = 0; i < n; ++i) {
        const double* row = s.data() + i * static_cast<size_t>(k);
        predicted_.push_back(static_cast<int32_t>(std::max_element(row, row + k) - row));
      }
      std::vector<int64_t> y = read_labels(batch, target_, classes_);
      check_sizes(n, y.size());
      labels_.insert(labels_.end(), y.begin(), y.end());
    } else {
      std::vector<double> s = read_scores(batch, pred_);
      std::vector<int64_t> y = read_binary_labels(batch, target_);
      check_sizes(s.size(), y.size());
      scores_.insert(scores_.end(), s.begin(), s.end());
      labels_.insert(labels_.end(), y.begin(), y.end());
      if (!threshold_key_.empty() && batch.has(threshold_key_)) threshold_ = batch.get_double(threshold_key_);
    }
  }

  void merge(const Confusion& other) {
    scores_.insert(scores_.end(), other.scores_.begin(), other.scores_.end());
    predicted_.insert(predicted_.end(), other.predicted_.begin(), other.predicted_.end());
    labels_.insert(labels_.end(), other.labels_.begin(), other.labels_.end());
    multi_ = multi_ || other.multi_;
    classes_ = std::max(classes_, other.classes_);
  }

  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, labels_.size(), result); }

  void compute_weighted(const DictView* inputs, const uint8_t* counts, size_t n, Dict& result) const {
    if (n != labels_.size()) fail(FM_ERR_INVALID_ARGUMENT, "counts do not match the rows seen");
    if (labels_.empty()) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
    const int64_t k = multi_ ? classes_ : 2;
    std::vector<double> m(static_cast<size_t>(k * k), 0.0);  // rows: true class, columns: predicted class
    const double threshold = input_or(inputs, threshold_key_, threshold_);
    for (size_t i = 0; i < labels_.size(); ++i) {
      const int64_t predicted = multi_ ? predicted_[i] : (scores_[i] >= threshold ? 1 : 0);
      m[static_cast<size_t>(labels_[i] * k + predicted)] += weight(counts, i);
    }
    write(m, k, result);
    if (!multi_) result.set_double("threshold", threshold);
  }

  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint8_t>(multi_));
    w.write_value(classes_);
    w.write_value(threshold_);
    w.write_value(static_cast<uint64_t>(labels_.size()));
    w.write(labels_.data(), labels_.size() * sizeof(int64_t));
    if (multi_) w.write(predicted_.data(), predicted_.size() * sizeof(int32_t));
    else w.write(scores_.data(), scores_.size() * sizeof(double));
  }

  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      multi_ = r.read_value<uint8_t>() != 0;
      classes_ = r.read_value<decltype(classes_)>();
      threshold_ = r.read_value<decltype(threshold_)>();
      const uint64_t n = r.read_value<uint64_t>();
      labels_ = r.read_array<int64_t>(n);
      if (multi_) predicted_ = r.read_array<int32_t>(n);
      else scores_ = r.read_array<double>(n);
    });
  }

 private:
  void check_sizes(size_t a, size_t b) const {
    if (a != b)
      fail(FM_ERR_SHAPE, "'" + pred_ + "' has " + std::to_string(a) + " rows but '" + target_ + "' has " + std::to_string(b));
  }

  // The summaries of a confusion matrix m (k x k, true by predicted).
  void write(const std::vector<double>& m, int64_t k, Dict& result) const {
    const size_t kk = static_cast<size_t>(k);
    std::vector<double> true_total(kk, 0), pred_total(kk, 0);
    double total = 0, correct = 0;
    for (size_t t = 0; t < kk; ++t)
      for (size_t p = 0; p < kk; ++p) {
        true_total[t] += m[t * kk + p];
        pred_total[p] += m[t * kk + p];
        total += m[t * kk + p];
        if (t == p) correct += m[t * kk + p];
      }
    double recall_sum = 0, present = 0, chance = 0, sum_pp = 0, sum_tt = 0;
    for (size_t c = 0; c < kk; ++c) {
      if (true_total[c] > 0) recall_sum += m[c * kk + c] / true_total[c], present += 1;
      chance += true_total[c] * pred_total[c];
      sum_pp += pred_total[c] * pred_total[c];
      sum_tt += true_total[c] * true_total[c];
    }
    const double po = ratio(correct, total), pe = ratio(chance, total * total);
    Tensor matrix = Tensor::empty({k, k}, sdk::kInt64);
    for (size_t i = 0; i < kk * kk; ++i) matrix.data<int64_t>()[i] = static_cast<int64_t>(m[i]);
    result.set_tensor("matrix", std::move(matrix));
    result.set_double("accuracy", po);
    result.set_double("balanced_accuracy", ratio(recall_sum, present));
    result.set_double("kappa", ratio(po - pe, 1 - pe));
    // Matthews' correlation in Gorodkin's multi-class form (the usual MCC for two classes).
    result.set_double("mcc", ratio(correct * total - chance, std::sqrt((total * total - sum_pp) * (total * total - sum_tt))));
    if (k != 2 || multi_) return;
    const double tn = m[0], fp = m[1], fn = m[2], tp = m[3];
    result.set_double("sensitivity", ratio(tp, tp + fn));
    result.set_double("specificity", ratio(tn, tn + fp));
    result.set_double("ppv", ratio(tp, tp + fp));
    result.set_double("npv", ratio(tn, tn + fn));
    result.set_double("f1", ratio(2 * tp, 2 * tp + fp + fn));
    result.set_int("tp", static_cast<int64_t>(tp));
    result.set_int("fp", static_cast<int64_t>(fp));
    result.set_int("tn", static_cast<int64_t>(tn));
    result.set_int("fn", static_cast<int64_t>(fn));
  }

  std::string pred_, target_;
  double threshold_;
  std::string threshold_key_;
  int64_t classes_;
  bool multi_ = false;
  std::vector<double> scores_;
  std::vector<int32_t> predicted_;
  std::vector<int64_t> labels_;
};
FUSE_METRIC(Confusion, "fuse.metrics.confusion", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
