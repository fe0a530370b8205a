// Intensity ops: zscore, minmax, clip, nan_to_num, log. Integer tensors become float32; float tensors keep their
// dtype and are written in place (the host copies a shared buffer first).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

class ZScore {
 public:
  explicit ZScore(const DictView& config)
      : keys_(config.get_strings("keys")),
        mean_(config.find_double("mean")),
        std_(config.find_double("std")),
        eps_(config.get_double("eps")),
        inverse_(config.get_bool("inverse")) {
    if (std_ && *std_ <= 0) fail(FM_ERR_INVALID_ARGUMENT, "'std' must be > 0, got " + number(*std_));
    if (inverse_ && (!mean_ || !std_))
      fail(FM_ERR_INVALID_ARGUMENT, "'inverse' undoes a standardisation, so it needs its 'mean' and 'std' (in postprocessing, \"fit\": {\"from\": "
                                    "KEY} takes those data.static fitted for KEY)");
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      // A number (a table's column) by the given statistics, as a tabular feature is normalised.
      const fm_value_type t = sample.type(key);
      if (t == FM_VALUE_NULL) refuse_empty_cell(key);
      if (t == FM_VALUE_INT || t == FM_VALUE_DOUBLE) {
        if (!mean_ || !std_) refuse_number_without(key, "statistics", "'mean' and 'std'");
        const double v = sample.get_double(key);  // reads ints too
        sample.set_double(key, inverse_ ? v * (*std_ + eps_) + *mean_ : (v - *mean_) / (*std_ + eps_));
        continue;
      }
      with_floating(sample, key, [&](auto* x, int64_t n) {
        using T = std::remove_pointer_t<decltype(x)>;
        if (inverse_) {
          const double scale = *std_ + eps_;
          for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(x[i] * scale + *mean_);
          return;
        }
        double mean = 0, var = 0;
        if (!mean_ || !std_) {
          // Welford: one pass, stable for large volumes.
          for (int64_t i = 0; i < n; ++i) {
            const double d = x[i] - mean;
            mean += d / static_cast<double>(i + 1);
            var += d * (x[i] - mean);
          }
          var = n > 0 ? var / static_cast<double>(n) : 0;
        }
        const double m = mean_ ? *mean_ : mean;
        const double s = std_ ? *std_ : std::sqrt(var);
        if (s + eps_ <= 0)
          fail(FM_ERR_NUMERIC, "key '" + key + "': the standard deviation is 0 (all " + std::to_string(n) +
                                   " values equal " + number(m) + "); set 'std', or 'eps' > 0");
        const double scale = 1.0 / (s + eps_);
        for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>((x[i] - m) * scale);
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::optional<double> mean_, std_;
  double eps_;
  bool inverse_;  // x * (std + eps) + mean: a prediction of a standardised target back in its units
};
FUSE_OP(ZScore, "fuse.ops.zscore", "1.2.0")

class MinMax {
 public:
  explicit MinMax(const DictView& config)
      : keys_(config.get_strings("keys")),
        in_min_(config.find_double("in_min")),
        in_max_(config.find_double("in_max")),
        low_(config.get_double("low")),
        high_(config.get_double("high")),
        clip_(config.get_bool("clip")) {
    if (!(low_ < high_)) fail(FM_ERR_INVALID_ARGUMENT, "'low' must be below 'high'");
    if (in_min_ && in_max_ && !(*in_min_ < *in_max_)) fail(FM_ERR_INVALID_ARGUMENT, "'in_min' must be below 'in_max'");
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      // A number (a table's column) by the given range, as sklearn's MinMaxScaler.
      const fm_value_type t = sample.type(key);
      if (t == FM_VALUE_NULL) refuse_empty_cell(key);
      if (t == FM_VALUE_INT || t == FM_VALUE_DOUBLE) {
        if (!in_min_ || !in_max_) refuse_number_without(key, "range", "'in_min' and 'in_max'");
        double y = low_ + (sample.get_double(key) - *in_min_) * (high_ - low_) / (*in_max_ - *in_min_);
        if (clip_) y = std::clamp(y, low_, high_);
        sample.set_double(key, y);
        continue;
      }
      with_floating(sample, key, [&](auto* x, int64_t n) {
        using T = std::remove_pointer_t<decltype(x)>;
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        if (!in_min_ || !in_max_)
          for (int64_t i = 0; i < n; ++i) lo = std::min(lo, double(x[i])), hi = std::max(hi, double(x[i]));
        if (in_min_) lo = *in_min_;
        if (in_max_) hi = *in_max_;
        // A constant tensor has no range: it maps to 'low' (documented in the manifest).
        const double scale = hi > lo ? (high_ - low_) / (hi - lo) : 0.0;
        for (int64_t i = 0; i < n; ++i) {
          double y = low_ + (x[i] - lo) * scale;
          if (clip_) y = std::clamp(y, low_, high_);
          x[i] = static_cast<T>(y);
        }
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::optional<double> in_min_, in_max_;
  double low_, high_;
  bool clip_;
};
FUSE_OP(MinMax, "fuse.ops.minmax", "1.1.0")

class Clip {
 public:
  explicit Clip(const DictView& config)
      : keys_(config.get_strings("keys")), min_(config.find_double("min")), max_(config.find_double("max")) {
    if (!min_ && !max_) fail(FM_ERR_INVALID_ARGUMENT, "set 'min', 'max' or both");
    if (min_ && max_ && *min_ > *max_) fail(FM_ERR_INVALID_ARGUMENT, "'min' must not exceed 'max'");
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      TensorView in = sample.tensor(key);
      dispatch(in, [&](auto tag) {
        using T = decltype(tag);
        // Bounds outside the dtype's range clip nothing on that side.
        const T lo = min_ ? static_cast<T>(std::max(*min_, double(std::numeric_limits<T>::lowest()))) : std::numeric_limits<T>::lowest();
        const T hi = max_ ? static_cast<T>(std::min(*max_, double(std::numeric_limits<T>::max()))) : std::numeric_limits<T>::max();
        sdk::MutTensorView t = sample.tensor_mut(key);
        T* x = t.data<T>();
        for (int64_t i = 0, n = t.numel(); i < n; ++i) x[i] = std::clamp(x[i], lo, hi);
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::optional<double> min_, max_;
};
FUSE_OP(Clip, "fuse.ops.clip", "1.0.0")

class NanToNum {
 public:
  explicit NanToNum(const DictView& config)
      : keys_(config.get_strings("keys")),
        nan_(config.get_double("nan")),
        posinf_(config.find_double("posinf")),
        neginf_(config.find_double("neginf")) {}

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      // A table's column: an empty cell (null) or a NaN becomes 'nan' (an imputed value), as a tensor's NaN does.
      const fm_value_type t = sample.type(key);
      if (t == FM_VALUE_NULL) {
        sample.set_double(key, nan_);
        continue;
      }
      if (t == FM_VALUE_INT) continue;
      if (t == FM_VALUE_DOUBLE) {
        const double x = sample.get_double(key);
        if (std::isnan(x)) sample.set_double(key, nan_);
        else if (std::isinf(x)) sample.set_double(key, x > 0 ? posinf_.value_or(std::numeric_limits<double>::max()) : neginf_.value_or(std::numeric_limits<double>::lowest()));
        continue;
      }
      TensorView in = sample.tensor(key);
      if (!sdk::is_floating(in.dtype())) continue;  // integers hold no NaN
      with_floating(sample, key, [&](auto* x, int64_t n) {
        using T = std::remove_pointer_t<decltype(x)>;
        const T pos = posinf_ ? static_cast<T>(*posinf_) : std::numeric_limits<T>::max();
        const T neg = neginf_ ? static_cast<T>(*neginf_) : std::numeric_limits<T>::lowest();
        for (int64_t i = 0; i < n; ++i) {
          if (std::isnan(x[i])) x[i] = static_cast<T>(nan_);
          else if (std::isinf(x[i])) x[i] = x[i] > 0 ? pos : neg;
        }
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  double nan_;
  std::optional<double> posinf_, neginf_;
};
FUSE_OP(NanToNum, "fuse.ops.nan_to_num", "1.1.0")

// log(x + offset): a skewed lab value (PSA, CRP) or intensity on a scale where its effect is closer to linear.
class Log {
 public:
  explicit Log(const DictView& config) : keys_(config.get_strings("keys")), offset_(config.get_double("offset")) {}

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      // A number (a table's column); an empty cell stays empty, for nan_to_num to fill after.
      const fm_value_type t = sample.type(key);
      if (t == FM_VALUE_NULL) continue;
      if (t == FM_VALUE_INT || t == FM_VALUE_DOUBLE) {
        sample.set_double(key, log_of(key, sample.get_double(key)));
        continue;
      }
      with_floating(sample, key, [&](auto* x, int64_t n) {
        using T = std::remove_pointer_t<decltype(x)>;
        for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(log_of(key, static_cast<double>(x[i])));
      });
    }
  }

 private:
  double log_of(const std::string& key, double x) const {
    if (std::isnan(x)) return x;
    if (!(x + offset_ > 0))
      fail(FM_ERR_INVALID_ARGUMENT, "key '" + key + "' holds " + number(x) + ": log(x + offset) needs x + offset > 0 (offset " + number(offset_) +
                                        "); set 'offset' (1 gives log1p, for counts with zeros)");
    return std::log(x + offset_);
  }
  std::vector<std::string> keys_;
  double offset_;
};
FUSE_OP(Log, "fuse.ops.log", "1.0.0")

}  // namespace
}  // namespace fuse::ops
