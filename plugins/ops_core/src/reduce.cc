// reduce: a tensor to one number (its sum, mean, extremes, how many voxels are set), optionally compared with a
// threshold, optionally leaving some values out (a sparse annotation's ignore label). What a static pipeline's keep_if / drop_if reads ("keep the slices with foreground").
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "tensor_math.h"

namespace fuse::ops {
namespace {

class Reduce {
 public:
  explicit Reduce(const DictView& config)
      : key_(config.get_string("key")),
        out_(config.find_string("out").value_or(key_)),
        how_(config.get_string("reduce")),
        greater_than_(config.find_double("greater_than")),
        ignore_(config.get_doubles("ignore")) {}

  void forward(Dict& sample, const sdk::Call&) {
    TensorView t = sample.tensor(key_);
    double sum = 0, low = std::numeric_limits<double>::infinity(), high = -low;
    int64_t nonzero = 0, n = 0;  // n: the elements counted (not ignored)
    dispatch(t, [&](auto tag) {
      const auto* x = t.data<decltype(tag)>();
      for (int64_t i = 0; i < t.numel(); ++i) {
        const double v = static_cast<double>(x[i]);
        if (std::find(ignore_.begin(), ignore_.end(), v) != ignore_.end()) continue;
        ++n;
        sum += v;
        low = std::min(low, v);
        high = std::max(high, v);
        nonzero += v != 0;
      }
    });
    if (n == 0 && (how_ == "mean" || how_ == "min" || how_ == "max"))
      fail(FM_ERR_SHAPE, "key '" + key_ + "': the " + how_ + " of " +
                             (t.numel() == 0 ? std::string("an empty tensor") : "a tensor whose every element is ignored ('ignore')") + " is undefined" +
                             (t.numel() == 0 ? "" : ": drop such samples first, e.g. keep_if on a 'count' greater than 0"));
    double value = 0;
    if (how_ == "sum") value = sum;
    else if (how_ == "mean") value = sum / static_cast<double>(n);
    else if (how_ == "min") value = low;
    else if (how_ == "max") value = high;
    else if (how_ == "count_nonzero") value = static_cast<double>(nonzero);
    else if (how_ == "count") value = static_cast<double>(n);
    else if (how_ == "any") value = nonzero > 0;
    else value = nonzero == n;  // all
    // An integer tensor's sum, min and max are integers (a label map's largest class can be a sampler's class).
    const bool integral = !sdk::is_floating(t.dtype()) && (how_ == "sum" || how_ == "min" || how_ == "max");
    if (greater_than_) sample.set_bool(out_, value > *greater_than_);
    else if (how_ == "any" || how_ == "all") sample.set_bool(out_, value != 0);
    else if (how_ == "count_nonzero" || how_ == "count") sample.set_int(out_, static_cast<int64_t>(value));
    else if (integral) sample.set_int(out_, static_cast<int64_t>(value));
    else sample.set_double(out_, value);
  }

 private:
  std::string key_, out_, how_;
  std::optional<double> greater_than_;
  std::vector<double> ignore_;  // values left out (a label map's label of voxels not annotated)
};
FUSE_OP(Reduce, "fuse.ops.reduce", "1.1.0")

}  // namespace
}  // namespace fuse::ops
