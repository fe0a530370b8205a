// Shared by the metrics: reading predictions and targets from a batch, replicate weights, results.
// Every metric computes from optional per-row counts: nullptr means each row once (compute), otherwise the
// host's replicate (compute_weighted: bootstrap, sub-group, fold, jackknife).
#ifndef FUSE_PLUGINS_METRICS_CORE_COMMON_H_
#define FUSE_PLUGINS_METRICS_CORE_COMMON_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "fuse_sdk/plugin.hpp"

namespace fuse::metrics {

using sdk::Call;
using sdk::Dict;
using sdk::DictView;
using sdk::fail;
using sdk::Tensor;
using sdk::TensorView;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// How many times row i counts.
inline uint32_t weight(const uint8_t* counts, size_t i) { return counts ? counts[i] : 1u; }

// A ratio that is NaN (undefined) when the denominator is 0, rather than an error: one undefined output must
// not hide the others.
inline double ratio(double num, double den) { return den != 0 ? num / den : kNaN; }

// All elements of a numeric tensor as doubles (any dtype), with the key in errors.
inline std::vector<double> read_numbers(const TensorView& t) { return t.to_doubles(); }

// One score per row: a [n] or [n, 1] tensor. NaN or infinite scores are errors naming the row.
inline std::vector<double> read_scores(const DictView& batch, const std::string& key) {
  TensorView t = batch.tensor(key);
  if (!(t.ndim() == 1 || (t.ndim() == 2 && t.size(1) == 1)))
    fail(FM_ERR_SHAPE, "key '" + key + "': expected one score per row ([n] or [n, 1]), got shape " +
                           sdk::shape_string(t.dl()) + " (for several classes use one_vs_all)");
  std::vector<double> v = read_numbers(t);
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) fail(FM_ERR_NUMERIC, "key '" + key + "': row " + std::to_string(i) + " is " + std::to_string(v[i]));
  return v;
}

// Integer class labels of a [n] (or [n, 1]) tensor, in [0, classes) when classes > 0. `binary` words the
// error for binary metrics.
inline std::vector<int64_t> read_labels(const DictView& batch, const std::string& key, int64_t classes, bool binary = false) {
  std::vector<double> v = read_numbers(batch.tensor(key));
  std::vector<int64_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const double x = v[i];
    if (!(x == std::floor(x)) || (classes > 0 && (x < 0 || x >= static_cast<double>(classes))))
      fail(FM_ERR_INVALID_ARGUMENT,
           "key '" + key + "': row " + std::to_string(i) + " has " + std::to_string(x) + "; " +
               (binary ? std::string("a binary metric needs targets 0 or 1 (use one_vs_all for several classes)")
                       : "targets must be integers in [0, " + std::to_string(classes) + ")"));
    out[i] = static_cast<int64_t>(x);
  }
  return out;
}

inline std::vector<int64_t> read_binary_labels(const DictView& batch, const std::string& key) {
  return read_labels(batch, key, 2, true);
}

// Appends the elements of a tensor to `out` converted by `convert(value, index)`, without an intermediate copy.
template <class Out, class Convert>
void append_converted(const TensorView& t, std::vector<Out>& out, Convert&& convert) {
  t.require_cpu_contiguous();
  const size_t n = static_cast<size_t>(t.numel()), base = out.size();
  out.resize(base + n);
  const bool ok = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (size_t i = 0; i < n; ++i) out[base + i] = convert(static_cast<double>(p[i]), i);
  });
  if (!ok) {
    out.resize(base);
    fail(FM_ERR_TYPE, "key '" + t.name() + "': dtype " + sdk::dtype_name(t.dtype()) + " is not supported");
  }
}

// One finite score per row ([n] or [n, 1]) appended to `out`.
inline void append_scores(const DictView& batch, const std::string& key, std::vector<double>& out) {
  TensorView t = batch.tensor(key);
  if (!(t.ndim() == 1 || (t.ndim() == 2 && t.size(1) == 1)))
    fail(FM_ERR_SHAPE, "key '" + key + "': expected one score per row ([n] or [n, 1]), got shape " +
                           sdk::shape_string(t.dl()) + " (for several classes use one_vs_all)");
  append_converted(t, out, [&](double v, size_t i) {
    if (!std::isfinite(v)) fail(FM_ERR_NUMERIC, "key '" + key + "': row " + std::to_string(i) + " is " + std::to_string(v));
    return v;
  });
}

// Binary targets (0 or 1) appended to `out`.
inline void append_binary_labels(const DictView& batch, const std::string& key, std::vector<uint8_t>& out) {
  append_converted(batch.tensor(key), out, [&](double v, size_t i) {
    if (v != 0 && v != 1)
      fail(FM_ERR_INVALID_ARGUMENT, "key '" + key + "': row " + std::to_string(i) + " has " + std::to_string(v) +
                                        "; a binary metric needs targets 0 or 1 (use one_vs_all for several classes)");
    return static_cast<uint8_t>(v);
  });
}

// A binary problem: scores and 0/1 labels appended by update, merged by concatenation, and an order by
// descending score with its tie groups, built once (thread-safe) for the weighted passes.
class BinaryRows {
 public:
  // Appends straight from the tensors (no intermediate copies: evaluations hold millions of rows).
  void add(const DictView& batch, const std::string& pred, const std::string& target) {
    const size_t before = scores_.size();
    append_scores(batch, pred, scores_);
    append_binary_labels(batch, target, labels_);
    if (scores_.size() - before != labels_.size() - before) {
      const size_t s = scores_.size() - before, y = labels_.size() - before;
      scores_.resize(before), labels_.resize(before);
      fail(FM_ERR_SHAPE, "'" + pred + "' has " + std::to_string(s) + " rows but '" + target + "' has " + std::to_string(y));
    }
    invalidate();
  }
  // Appends rows read elsewhere (finite scores, 0/1 labels): a column of a multi-label batch.
  void append(const std::vector<double>& scores, const std::vector<uint8_t>& labels) {
    scores_.insert(scores_.end(), scores.begin(), scores.end());
    labels_.insert(labels_.end(), labels.begin(), labels.end());
    invalidate();
  }
  void merge(const BinaryRows& other) {
    scores_.insert(scores_.end(), other.scores_.begin(), other.scores_.end());
    labels_.insert(labels_.end(), other.labels_.begin(), other.labels_.end());
    invalidate();
  }
  void clear() {
    scores_.clear();
    labels_.clear();
    invalidate();
  }
  void save(sdk::Writer& w) const {
    w.write_value(static_cast<uint64_t>(scores_.size()));
    w.write(scores_.data(), scores_.size() * sizeof(double));
    w.write(labels_.data(), labels_.size());
  }
  void load(sdk::Reader& r) {
    const uint64_t n = r.read_value<uint64_t>();
    scores_ = r.read_array<double>(n);
    labels_ = r.read_array<uint8_t>(n);
    invalidate();
  }

  size_t size() const { return scores_.size(); }
  const std::vector<double>& scores() const { return scores_; }
  const std::vector<uint8_t>& labels() const { return labels_; }

  // Rows by descending score; group_end[i] is 1 where a run of equal scores ends.
  struct Sorted {
    std::vector<uint32_t> order;
    std::vector<uint8_t> label;  // labels in that order
    std::vector<uint8_t> group_end;
  };
  const Sorted& sorted() const;

  // Weighted class totals (positives, negatives).
  std::pair<uint64_t, uint64_t> totals(const uint8_t* counts) const {
    uint64_t pos = 0, neg = 0;
    for (size_t i = 0; i < labels_.size(); ++i) (labels_[i] ? pos : neg) += weight(counts, i);
    return {pos, neg};
  }

  void require_both_classes(const uint8_t* counts, const char* metric) const;

 private:
  void invalidate() {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_ = false;
  }
  std::vector<double> scores_;
  std::vector<uint8_t> labels_;
  mutable std::mutex mutex_;
  mutable bool ready_ = false;
  mutable Sorted sorted_;
};

// Reads a number the metric may take from another metric's result (e.g. "results.op.threshold"): from
// `inputs` for a replicate, else from what update saw.
inline double input_or(const DictView* inputs, const std::string& key, double seen) {
  if (inputs != nullptr && !key.empty() && inputs->has(key)) return inputs->get_double(key);
  return seen;
}

inline Tensor vector_tensor(const std::vector<double>& v) {
  Tensor t = Tensor::empty({static_cast<int64_t>(v.size())}, sdk::kFloat64);
  std::copy(v.begin(), v.end(), t.data<double>());
  return t;
}

}  // namespace fuse::metrics

#endif  // FUSE_PLUGINS_METRICS_CORE_COMMON_H_
