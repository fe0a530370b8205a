// Deterministic intensity ops for medical volumes: z-normalisation (optionally within a mask), rescaling to
// a range (from fixed bounds or percentiles) and clipping. Channel by channel; the results are floating.
#include <cmath>
#include <limits>

#include "channels.h"

namespace fuse::ops_medical {
namespace {

using sdk::Dict;
using sdk::DictView;

class ZNorm {
 public:
  explicit ZNorm(const DictView& config)
      : keys_(config.get_strings("keys")),
        mask_key_(config.find_string("mask_key").value_or("")),
        nonzero_(config.get_bool("nonzero")),
        dims_(static_cast<int>(config.get_int("dims"))),
        channels_(channels_option(config)) {}

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      const std::vector<uint8_t> mask = mask_of(sample, mask_key_, key, dims_);
      for_channels(sample, key, dims_, channels_, [&](auto* v, int64_t n, int64_t channel) {
        // Welford over the selected voxels: one pass, stable for large volumes.
        double mean = 0, m2 = 0;
        int64_t count = 0;
        for (int64_t i = 0; i < n; ++i) {
          if (!mask.empty() && !mask[static_cast<size_t>(i)]) continue;
          if (nonzero_ && v[i] == 0) continue;
          ++count;
          const double d = v[i] - mean;
          mean += d / static_cast<double>(count);
          m2 += d * (v[i] - mean);
        }
        const std::string where = "key '" + key + "' channel " + std::to_string(channel);
        if (count == 0)
          sdk::fail(FM_ERR_NUMERIC, where + ": no voxel to compute the mean from (" +
                                        (mask_key_.empty() ? std::string("every voxel is 0") : "the mask '" + mask_key_ + "' is empty") + ")");
        const double sd = std::sqrt(m2 / static_cast<double>(count));
        if (!(sd > 0))
          sdk::fail(FM_ERR_NUMERIC, where + ": the standard deviation is 0 (all " + std::to_string(count) + " voxels" +
                                        (mask_key_.empty() ? "" : " in mask '" + mask_key_ + "'") + " equal " + number(mean) +
                                        "), so z-normalisation would divide by zero; check the image" + (mask_key_.empty() ? "" : " and the mask"));
        using T = std::remove_pointer_t<decltype(v)>;
        for (int64_t i = 0; i < n; ++i)
          if (!nonzero_ || v[i] != 0) v[i] = static_cast<T>((v[i] - mean) / sd);
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::string mask_key_;
  bool nonzero_;
  int dims_;
  std::vector<int64_t> channels_;
};
FUSE_OP(ZNorm, "fuse.medical.znorm", "1.1.0")

// The input bounds of a channel: fixed, or percentiles of its values (within the mask).
struct Bounds {
  std::optional<double> low, high;
  std::vector<double> percentiles;

  template <class T>
  std::pair<double, double> of(const T* v, int64_t n, const std::vector<uint8_t>& mask) const {
    std::vector<T> scratch;
    return {low ? *low : percentile(v, n, mask, percentiles[0], scratch), high ? *high : percentile(v, n, mask, percentiles[1], scratch)};
  }
};

Bounds bounds_option(const DictView& config, const char* low, const char* high) {
  Bounds b{config.find_double(low), config.find_double(high), config.get_doubles("percentiles")};
  if (b.percentiles.size() != 2 || !(0 <= b.percentiles[0] && b.percentiles[0] <= b.percentiles[1] && b.percentiles[1] <= 100))
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'percentiles' must be [low, high] with 0 <= low <= high <= 100");
  if (b.low && b.high && !(*b.low < *b.high))
    sdk::fail(FM_ERR_INVALID_ARGUMENT, "'" + std::string(low) + "' must be below '" + high + "'");
  return b;
}

class Rescale {
 public:
  explicit Rescale(const DictView& config)
      : keys_(config.get_strings("keys")),
        mask_key_(config.find_string("mask_key").value_or("")),
        bounds_(bounds_option(config, "in_min", "in_max")),
        out_min_(config.get_double("out_min")),
        out_max_(config.get_double("out_max")),
        clip_(config.get_bool("clip")),
        dims_(static_cast<int>(config.get_int("dims"))),
        channels_(channels_option(config)) {
    if (!(out_min_ < out_max_)) sdk::fail(FM_ERR_INVALID_ARGUMENT, "'out_min' must be below 'out_max'");
  }

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      const std::vector<uint8_t> mask = mask_of(sample, mask_key_, key, dims_);
      for_channels(sample, key, dims_, channels_, [&](auto* v, int64_t n, int64_t) {
        using T = std::remove_pointer_t<decltype(v)>;
        const auto [lo, hi] = bounds_.of(v, n, mask);
        // A constant channel maps to out_min rather than dividing by zero.
        const double scale = hi > lo ? (out_max_ - out_min_) / (hi - lo) : 0.0;
        for (int64_t i = 0; i < n; ++i) {
          double y = out_min_ + (v[i] - lo) * scale;
          if (clip_) y = std::min(out_max_, std::max(out_min_, y));
          v[i] = static_cast<T>(y);
        }
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::string mask_key_;
  Bounds bounds_;
  double out_min_, out_max_;
  bool clip_;
  int dims_;
  std::vector<int64_t> channels_;
};
FUSE_OP(Rescale, "fuse.medical.rescale", "1.1.0")

class Clip {
 public:
  explicit Clip(const DictView& config)
      : keys_(config.get_strings("keys")),
        mask_key_(config.find_string("mask_key").value_or("")),
        bounds_(bounds_option(config, "min", "max")),
        dims_(static_cast<int>(config.get_int("dims"))),
        channels_(channels_option(config)) {}

  void forward(Dict& sample, const sdk::Call&) {
    for (const std::string& key : keys_) {
      const std::vector<uint8_t> mask = mask_of(sample, mask_key_, key, dims_);
      for_channels(sample, key, dims_, channels_, [&](auto* v, int64_t n, int64_t) {
        using T = std::remove_pointer_t<decltype(v)>;
        const auto [lo, hi] = bounds_.of(v, n, mask);
        for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(std::min(hi, std::max(lo, static_cast<double>(v[i]))));
      });
    }
  }

 private:
  std::vector<std::string> keys_;
  std::string mask_key_;
  Bounds bounds_;
  int dims_;
  std::vector<int64_t> channels_;
};
FUSE_OP(Clip, "fuse.medical.clip", "1.1.0")

}  // namespace
}  // namespace fuse::ops_medical
