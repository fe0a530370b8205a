// Metrics computed on the GPU: AUC by a device sort with thousands of Poisson-bootstrap rounds in parallel, and
// confusion counts (accuracy, Dice and IoU per class) by device histograms. Rows accumulate in host memory
// (update takes host or CUDA tensors) and move to the device once, at compute.
#include <algorithm>
#include <cmath>

#include "cuda_support.h"
#include "fuse_sdk/plugin.hpp"
#include "kernels/poisson_auc.h"
#include "metric_kernels.h"

namespace fuse::cuda_metrics {
namespace {

using sdk::Dict;
using sdk::DictView;
using sdk::fail;

// All elements of `key` as T (host or CUDA tensor of any numeric dtype), with the key in errors.
template <class T>
std::vector<T> read_all(const DictView& batch, const std::string& key) {
  const sdk::TensorView t = batch.tensor(key);
  std::vector<char> host;
  const void* data = t.raw();
  const size_t bytes = static_cast<size_t>(t.numel() * sdk::dtype_size(t.dtype()));
  if (t.device().device_type == kDLCUDA) {  // predictions already on the GPU: one copy back
    cuda::require_cuda(t, key, "");
    cuda::use_device(t.device().device_id);
    host.resize(bytes);
    cuda::check(cudaMemcpy(host.data(), data, bytes, cudaMemcpyDeviceToHost), "reading key '" + key + "' from the GPU");
    data = host.data();
  } else {
    t.require_cpu_contiguous();
  }
  std::vector<T> out(static_cast<size_t>(t.numel()));
  const bool ok = sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    const auto* p = static_cast<const decltype(tag)*>(data);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  });
  if (!ok) fail(FM_ERR_TYPE, "key '" + key + "': dtype " + sdk::dtype_name(t.dtype()) + " is not supported");
  return out;
}

template <class T>
void save_vector(sdk::Writer& w, const std::vector<T>& v) {
  w.write_value(static_cast<uint64_t>(v.size()));
  w.write(v.data(), v.size() * sizeof(T));
}
template <class T>
void load_vector(sdk::Reader& r, std::vector<T>& v) {
  v = r.read_array<T>(r.read_value<uint64_t>());
}

// The q-quantile (0-1) of sorted values, linear between order statistics.
double quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(at)), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - static_cast<double>(lo));
}

class Auc {
 public:
  explicit Auc(const DictView& config)
      : pred_(config.get_string("pred")),
        target_(config.get_string("target")),
        rounds_(config.get_int("bootstrap_rounds")),
        confidence_(config.get_double("confidence")),
        seed_(static_cast<uint64_t>(config.get_int("seed"))) {}

  void reset() { scores_.clear(), labels_.clear(); }
  void update(const DictView& batch) {
    const std::vector<double> s = read_all<double>(batch, pred_);
    const std::vector<double> y = read_all<double>(batch, target_);
    if (s.size() != y.size())
      fail(FM_ERR_SHAPE, "'" + pred_ + "' has " + std::to_string(s.size()) + " rows but '" + target_ + "' has " + std::to_string(y.size()));
    for (size_t i = 0; i < s.size(); ++i) {
      if (!std::isfinite(s[i])) fail(FM_ERR_NUMERIC, "key '" + pred_ + "': row " + std::to_string(i) + " is " + std::to_string(s[i]));
      if (y[i] != 0 && y[i] != 1)
        fail(FM_ERR_INVALID_ARGUMENT, "key '" + target_ + "': row " + std::to_string(i) + " is " + std::to_string(y[i]) + "; AUC takes binary targets (0 or 1)");
    }
    scores_.insert(scores_.end(), s.begin(), s.end());
    for (double v : y) labels_.push_back(static_cast<uint8_t>(v));
  }
  void merge(const Auc& o) {
    scores_.insert(scores_.end(), o.scores_.begin(), o.scores_.end());
    labels_.insert(labels_.end(), o.labels_.begin(), o.labels_.end());
  }
  void save(sdk::Writer& w) const { save_vector(w, scores_), save_vector(w, labels_); }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) { load_vector(r, scores_), load_vector(r, labels_); });
  }

  void compute(Dict& result) const {
    if (scores_.empty()) fail(FM_ERR_NUMERIC, "AUC of no rows (no batch was given to update)");
    std::string why;
    if (cuda::device_count(&why) == 0) fail(FM_ERR_UNSUPPORTED, "no usable CUDA device (" + why + "); the CPU AUC is fuse.metrics.auc");
    cuda::use_device(0);
    const int64_t n = static_cast<int64_t>(scores_.size());
    const cuda::DeviceBuffer<double> d_scores(scores_, "the scores");
    const cuda::DeviceBuffer<uint8_t> d_labels(labels_, "the targets");
    cuda::DeviceBuffer<uint64_t> pos(scores_.size(), "the score groups"), neg(scores_.size(), "the score groups");
    int64_t groups = 0;
    cuda::check(score_groups(d_scores.get(), d_labels.get(), n, pos.get(), neg.get(), &groups), "sorting the scores");
    std::vector<uint64_t> p(static_cast<size_t>(groups)), q(static_cast<size_t>(groups));
    cuda::check(cudaMemcpy(p.data(), pos.get(), p.size() * sizeof(uint64_t), cudaMemcpyDeviceToHost), "reading the score groups");
    cuda::check(cudaMemcpy(q.data(), neg.get(), q.size() * sizeof(uint64_t), cudaMemcpyDeviceToHost), "reading the score groups");
    kernels::AucSums sums;
    for (size_t g = 0; g < p.size(); ++g) kernels::add_group(sums, p[g], q[g]);
    if (sums.pos == 0 || sums.neg == 0)
      fail(FM_ERR_NUMERIC, "AUC needs both classes, but the data has " + std::string(sums.pos == 0 ? "no positive (1)" : "no negative (0)") + " targets");
    result.set_double("auc", kernels::auc_of(sums));
    if (rounds_ <= 0) return;
    cuda::DeviceBuffer<double> rounds(static_cast<size_t>(rounds_), "the bootstrap rounds");
    cuda::check(bootstrap_auc(pos.get(), neg.get(), groups, seed_, rounds_, rounds.get()), "the bootstrap rounds");
    std::vector<double> values = rounds.to_host("the bootstrap rounds");
    const size_t all = values.size();
    values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
    result.set_int("bootstrap.rounds", static_cast<int64_t>(values.size()));
    result.set_int("bootstrap.skipped", static_cast<int64_t>(all - values.size()));
    if (values.empty()) fail(FM_ERR_NUMERIC, "every bootstrap round lacked a class; the data is too small for a confidence interval");
    std::sort(values.begin(), values.end());
    result.set_double("ci_low", quantile(values, (1 - confidence_) / 2));
    result.set_double("ci_high", quantile(values, 1 - (1 - confidence_) / 2));
  }

 private:
  std::string pred_, target_;
  int64_t rounds_;
  double confidence_;
  uint64_t seed_;
  std::vector<double> scores_;
  std::vector<uint8_t> labels_;
};
FUSE_METRIC(Auc, "fuse.cuda.gpu_auc", "1.0.0")

class Confusion {
 public:
  explicit Confusion(const DictView& config)
      : pred_(config.get_string("pred")), target_(config.get_string("target")), classes_(config.get_int("classes")) {}

  void reset() { pred_rows_.clear(), target_rows_.clear(); }
  void update(const DictView& batch) {
    std::vector<int64_t> p = read_all<int64_t>(batch, pred_), t = read_all<int64_t>(batch, target_);
    if (p.size() != t.size())
      fail(FM_ERR_SHAPE, "'" + pred_ + "' has " + std::to_string(p.size()) + " elements but '" + target_ + "' has " + std::to_string(t.size()));
    pred_rows_.insert(pred_rows_.end(), p.begin(), p.end());
    target_rows_.insert(target_rows_.end(), t.begin(), t.end());
  }
  void merge(const Confusion& o) {
    pred_rows_.insert(pred_rows_.end(), o.pred_rows_.begin(), o.pred_rows_.end());
    target_rows_.insert(target_rows_.end(), o.target_rows_.begin(), o.target_rows_.end());
  }
  void save(sdk::Writer& w) const { save_vector(w, pred_rows_), save_vector(w, target_rows_); }
  void load(const void* data, size_t size) {
    sdk::read_state(data, size, [&](sdk::Reader& r) { load_vector(r, pred_rows_), load_vector(r, target_rows_); });
  }

  void compute(Dict& result) const {
    if (pred_rows_.empty()) fail(FM_ERR_NUMERIC, "confusion counts of no rows (no batch was given to update)");
    std::string why;
    if (cuda::device_count(&why) == 0) fail(FM_ERR_UNSUPPORTED, "no usable CUDA device (" + why + "); the CPU twins are fuse.metrics.confusion and fuse.metrics.segmentation");
    cuda::use_device(0);
    const int64_t c = classes_;
    const cuda::DeviceBuffer<int64_t> d_pred(pred_rows_, "the predictions"), d_target(target_rows_, "the targets");
    cuda::DeviceBuffer<unsigned long long> counts(static_cast<size_t>(c * c + 1), "the counts");
    cuda::check(cudaMemset(counts.get(), 0, counts.size() * sizeof(unsigned long long)), "clearing the counts");
    cuda::check(confusion(d_pred.get(), d_target.get(), static_cast<int64_t>(pred_rows_.size()), c, counts.get(), counts.get() + c * c), "counting");
    const std::vector<unsigned long long> k = counts.to_host("the counts");
    if (k[static_cast<size_t>(c * c)] > 0)
      fail(FM_ERR_INVALID_ARGUMENT, std::to_string(k[static_cast<size_t>(c * c)]) + " elements of '" + pred_ + "' or '" + target_ + "' are outside the " +
                                        std::to_string(c) + " classes [0, " + std::to_string(c - 1) + "]");
    sdk::Tensor matrix = sdk::Tensor::empty({c, c}, sdk::kInt64), dice = sdk::Tensor::empty({c}, sdk::kFloat64), iou = sdk::Tensor::empty({c}, sdk::kFloat64);
    double correct = 0, total = 0;
    for (int64_t t = 0; t < c; ++t)
      for (int64_t p = 0; p < c; ++p) {
        const double v = static_cast<double>(k[static_cast<size_t>(t * c + p)]);
        matrix.data<int64_t>()[t * c + p] = static_cast<int64_t>(v);
        total += v;
        if (t == p) correct += v;
      }
    for (int64_t j = 0; j < c; ++j) {
      double tp = 0, fp = 0, fn = 0;
      for (int64_t o = 0; o < c; ++o) {
        if (o == j) continue;
        fp += static_cast<double>(k[static_cast<size_t>(o * c + j)]);
        fn += static_cast<double>(k[static_cast<size_t>(j * c + o)]);
      }
      tp = static_cast<double>(k[static_cast<size_t>(j * c + j)]);
      const double nan = std::nan("");
      dice.data<double>()[j] = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : nan;  // a class absent from both: undefined
      iou.data<double>()[j] = tp + fp + fn > 0 ? tp / (tp + fp + fn) : nan;
    }
    result.set_double("accuracy", correct / total);
    result.set_tensor("confusion", std::move(matrix));
    result.set_tensor("dice", std::move(dice));
    result.set_tensor("iou", std::move(iou));
  }

 private:
  std::string pred_, target_;
  int64_t classes_;
  std::vector<int64_t> pred_rows_, target_rows_;
};
FUSE_METRIC(Confusion, "fuse.cuda.gpu_confusion", "1.0.0")

}  // namespace
}  // namespace fuse::cuda_metrics
