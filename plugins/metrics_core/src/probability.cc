// Metrics of predicted probabilities: brier (and Brier skill), log_loss, calibration (ECE, MCE and the
// reliability diagram's bins) and temperature (fits the temperature that minimises the log loss).
// Binary predictions are one probability per row ([n]); several classes are [n, k] rows of probabilities.
#include <algorithm>

#include "common.h"

namespace fuse::metrics {
namespace {

constexpr double kEps = 1e-15;  // probabilities are clipped to [eps, 1 - eps] inside logarithms

// Probabilities (n x k, k = 1 for binary) and integer labels.
class ProbRows {
 public:
  // `logits`: the values are logits, not probabilities (no range check).
  void add(const DictView& batch, const std::string& pred, const std::string& target, bool logits) {
    TensorView p = batch.tensor(pred);
    const int64_t k = p.ndim() == 2 ? p.size(1) : 1;
    if (p.ndim() > 2 || p.ndim() == 0)
      fail(FM_ERR_SHAPE, "key '" + pred + "': expected [n] or [n, classes], got " + sdk::shape_string(p.dl()));
    if (!labels_.empty() && k != k_)
      fail(FM_ERR_SHAPE, "key '" + pred + "' has " + std::to_string(k) + " columns after batches of " + std::to_string(k_));
    k_ = k;
    std::vector<double> v = read_numbers(p);
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i]) || (!logits && (v[i] < 0 || v[i] > 1)))
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + pred + "': row " + std::to_string(i / static_cast<size_t>(k)) +
                                          " has " + std::to_string(v[i]) +
                                          (logits ? "" : ", not a probability in [0, 1]"));
    }
    std::vector<int64_t> y = read_labels(batch, target, k == 1 ? 2 : k);
    if (y.size() * static_cast<size_t>(k) != v.size())
      fail(FM_ERR_SHAPE, "'" + pred + "' and '" + target + "' have different numbers of rows");
    probs_.insert(probs_.end(), v.begin(), v.end());
    labels_.insert(labels_.end(), y.begin(), y.end());
  }
  void merge(const ProbRows& o) {
    probs_.insert(probs_.end(), o.probs_.begin(), o.probs_.end());
    labels_.insert(labels_.end(), o.labels_.begin(), o.labels_.end());
    if (k_ == 0) k_ = o.k_;
  }
  void clear() {
    probs_.clear();
    labels_.clear();
  }
  void save(sdk::Writer& w) const {
    w.write_value(k_);
    w.write_value(static_cast<uint64_t>(labels_.size()));
    w.write(labels_.data(), labels_.size() * sizeof(int64_t));
    w.write(probs_.data(), probs_.size() * sizeof(double));
  }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) {
      k_ = r.read_value<decltype(k_)>();
      const uint64_t n = r.read_value<uint64_t>();
      labels_ = r.read_array<int64_t>(n);
      if (k_ < 0 || (k_ > 0 && n > UINT64_MAX / static_cast<uint64_t>(k_))) fail(FM_ERR_INVALID_ARGUMENT, "the state holds an impossible class count");
      probs_ = r.read_array<double>(n * static_cast<uint64_t>(k_));
    });
  }
  size_t size() const { return labels_.size(); }
  int64_t k() const { return k_; }
  const double* row(size_t i) const { return probs_.data() + i * static_cast<size_t>(k_); }
  int64_t label(size_t i) const { return labels_[i]; }
  void check(size_t n) const {
    if (n != labels_.size()) fail(FM_ERR_INVALID_ARGUMENT, "counts do not match the rows seen");
    if (labels_.empty()) fail(FM_ERR_NUMERIC, "no rows: update the metric first");
  }

 private:
  int64_t k_ = 0;
  std::vector<double> probs_;
  std::vector<int64_t> labels_;
};

// The common shape: rows in, results from optional counts.
template <class Derived>
class ProbMetric {
 public:
  explicit ProbMetric(const DictView& config, bool logits = false)
      : pred_(config.get_string("pred")), target_(config.get_string("target")), logits_(logits) {}
  void reset() { rows_.clear(); }
  void update(const DictView& batch) { rows_.add(batch, pred_, target_, logits_); }
  void merge(const Derived& other) { rows_.merge(other.rows_); }
  void compute(Dict& result) const { compute_weighted(nullptr, nullptr, rows_.size(), result); }
  void compute_weighted(const DictView*, const uint8_t* counts, size_t n, Dict& result) const {
    rows_.check(n);
    static_cast<const Derived*>(this)->compute_from(counts, result);
  }
  void save(sdk::Writer& w) const { rows_.save(w); }
  void load(const void* data, size_t size) { rows_.load(data, size); }

 protected:
  std::string pred_, target_;
  bool logits_;
  ProbRows rows_;
};

class Brier : public ProbMetric<Brier> {
 public:
  using ProbMetric::ProbMetric;
  void compute_from(const uint8_t* counts, Dict& result) const {
    const int64_t k = rows_.k();
    const size_t classes = static_cast<size_t>(k == 1 ? 2 : k);
    double total = 0, score = 0;
    std::vector<double> freq(classes, 0.0);
    for (size_t i = 0; i < rows_.size(); ++i) {
      const double w = weight(counts, i);
      const double* p = rows_.row(i);
      const int64_t y = rows_.label(i);
      double s = 0;
      if (k == 1) s = (p[0] - static_cast<double>(y)) * (p[0] - static_cast<double>(y));
      else
        for (int64_t c = 0; c < k; ++c) s += (p[c] - (c == y ? 1.0 : 0.0)) * (p[c] - (c == y ? 1.0 : 0.0));
      score += w * s;
      total += w;
      freq[static_cast<size_t>(y)] += w;
    }
    const double brier = ratio(score, total);
    // The reference forecast predicts the class frequencies: its Brier score is sum f (1 - f) (binary: p(1-p)).
    double reference = 0;
    for (double f : freq) reference += (f / total) * (1 - f / total);
    if (k == 1) reference = (freq[1] / total) * (1 - freq[1] / total);
    result.set_double("brier", brier);
    result.set_double("brier_skill", reference > 0 ? 1 - brier / reference : kNaN);
  }
};
FUSE_METRIC(Brier, "fuse.metrics.brier", "1.0.0")

// -log p(true class) of one row under temperature 1/beta applied to logits z (from probabilities or given).
double nll(const double* p, int64_t k, int64_t y, double beta, bool logits) {
  if (k == 1) {
    const double z = logits ? p[0] : std::log(std::clamp(p[0], kEps, 1 - kEps) / (1 - std::clamp(p[0], kEps, 1 - kEps)));
    const double s = y == 1 ? beta * z : -beta * z;  // log(1 + e^-s), computed stably
    return s > 0 ? std::log1p(std::exp(-s)) : -s + std::log1p(std::exp(s));
  }
  double max = -std::numeric_limits<double>::infinity();
  std::vector<double> z(static_cast<size_t>(k));
  for (int64_t c = 0; c < k; ++c) {
    z[static_cast<size_t>(c)] = beta * (logits ? p[c] : std::log(std::max(p[c], kEps)));
    max = std::max(max, z[static_cast<size_t>(c)]);
  }
  double sum = 0;
  for (double v : z) sum += std::exp(v - max);
  return max + std::log(sum) - z[static_cast<size_t>(y)];
}

class LogLoss : public ProbMetric<LogLoss> {
 public:
  using ProbMetric::ProbMetric;
  void compute_from(const uint8_t* counts, Dict& result) const {
    double total = 0, loss = 0;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const double w = weight(counts, i);
      const double* p = rows_.row(i);
      const int64_t y = rows_.label(i);
      // Plain clipped log loss on probabilities (not via logits, which would change the clipping).
      const double q = rows_.k() == 1 ? (y == 1 ? p[0] : 1 - p[0]) : p[y];
      loss += w * -std::log(std::clamp(q, kEps, 1.0));
      total += w;
    }
    result.set_double("log_loss", ratio(loss, total));
  }
};
FUSE_METRIC(LogLoss, "fuse.metrics.log_loss", "1.0.0")

// Expected and maximum calibration error over equal-width confidence bins, comparing each bin's accuracy with
// the mean confidence of its rows (not the bin's edge). Binary: the probability of class 1 against the label;
// several classes: the top probability against whether the top class is right.
class Calibration : public ProbMetric<Calibration> {
 public:
  explicit Calibration(const DictView& config) : ProbMetric(config), bins_(config.get_int("bins")) {}
  void compute_from(const uint8_t* counts, Dict& result) const {
    const size_t b = static_cast<size_t>(bins_);
    std::vector<double> weight_sum(b, 0), conf_sum(b, 0), correct_sum(b, 0);
    double total = 0;
    for (size_t i = 0; i < rows_.size(); ++i) {
      const double w = weight(counts, i);
      if (w == 0) continue;
      const double* p = rows_.row(i);
      double conf = 0, correct = 0;
      if (rows_.k() == 1) {
        conf = p[0];
        correct = static_cast<double>(rows_.label(i));
      } else {
        const int64_t top = std::max_element(p, p + rows_.k()) - p;
        conf = p[top];
        correct = top == rows_.label(i) ? 1.0 : 0.0;
      }
      const size_t bin = std::min(b - 1, static_cast<size_t>(conf * static_cast<double>(b)));
      weight_sum[bin] += w;
      conf_sum[bin] += w * conf;
      correct_sum[bin] += w * correct;
      total += w;
    }
    std::vector<double> confidence(b), accuracy(b);
    double ece = 0, mce = 0;
    for (size_t i = 0; i < b; ++i) {
      confidence[i] = ratio(conf_sum[i], weight_sum[i]);
      accuracy[i] = ratio(correct_sum[i], weight_sum[i]);
      if (weight_sum[i] == 0) continue;
      const double gap = std::abs(accuracy[i] - confidence[i]);
      ece += weight_sum[i] / total * gap;
      mce = std::max(mce, gap);
    }
    result.set_double("ece", ece);
    result.set_double("mce", mce);
    result.set_tensor("bin_confidence", vector_tensor(confidence));
    result.set_tensor("bin_accuracy", vector_tensor(accuracy));
    result.set_tensor("bin_count", vector_tensor(weight_sum));
  }

 private:
  int64_t bins_;
};
FUSE_METRIC(Calibration, "fuse.metrics.calibration", "1.0.0")

// Temperature scaling: the T > 0 that minimises the log loss of softmax(z / T) (sigmoid for one column), with
// z the logits (or the log-probabilities). Fit on one set, then apply with `fuse eval --temperature T`.
class Temperature : public ProbMetric<Temperature> {
 public:
  explicit Temperature(const DictView& config) : ProbMetric(config, config.get_string("input") == "logit") {}
  void compute_from(const uint8_t* counts, Dict& result) const {
    auto loss = [&](double beta) {
      double total = 0, sum = 0;
      for (size_t i = 0; i < rows_.size(); ++i) {
        const double w = weight(counts, i);
        if (w == 0) continue;
        sum += w * nll(rows_.row(i), rows_.k(), rows_.label(i), beta, logits_);
        total += w;
      }
      return sum / total;
    };
    // The loss is convex in beta = 1/T: golden-section search over log(beta) in [1e-3, 1e3].
    double lo = std::log(1e-3), hi = std::log(1e3);
    const double g = (std::sqrt(5.0) - 1) / 2;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = loss(std::exp(a)), fb = loss(std::exp(b));
    for (int it = 0; it < 80; ++it) {
      if (fa < fb) {
        hi = b, b = a, fb = fa;
        a = hi - g * (hi - lo), fa = loss(std::exp(a));
      } else {
        lo = a, a = b, fa = fb;
        b = lo + g * (hi - lo), fb = loss(std::exp(b));
      }
    }
    const double beta = std::exp((lo + hi) / 2);
    result.set_double("temperature", 1 / beta);
    result.set_double("nll_before", loss(1.0));
    result.set_double("nll_after", loss(beta));
  }
};
FUSE_METRIC(Temperature, "fuse.metrics.temperature", "1.0.0")

}  // namespace
}  // namespace fuse::metrics
