// Survival losses for right-censored times and event flags.
// - Cox proportional hazards (the negative partial log-likelihood, Breslow's handling of ties), the loss of
//   DeepSurv: a risk score per patient; each event compares its patient's risk with that of everyone still at
//   risk at its time, within the batch.
// - Discrete time (pycox's PMF, DeepHit's likelihood term): a softmax over time bins per patient; each patient
//   is scored alone, so batches of any size learn the same thing.
#include <limits>
#include <string>
#include <vector>

#include "fuse_sdk/torch.hpp"

namespace fuse::losses {
namespace {

using sdk::fail;

struct Cox {
  explicit Cox(const sdk::DictView& c) : pred(c.get_string("pred")), time(c.get_string("time")), event(c.get_string("event")) {}

  torch::Tensor compute(const std::vector<torch::Tensor>& p, const sdk::DictView& batch) {
    torch::Tensor risk = p[0];
    if (risk.dim() == 2 && risk.size(1) == 1) risk = risk.squeeze(1);
    if (risk.dim() != 1) fail(FM_ERR_SHAPE, "prediction '" + pred + "' must be one risk score per sample, [N] or [N, 1], got " + sdk::shape_text(p[0]));
    if (!risk.is_floating_point()) fail(FM_ERR_TYPE, "prediction '" + pred + "' must be floating point, got " + std::string(torch::toString(risk.scalar_type())));
    const int64_t n = risk.size(0);
    const auto per_sample = [&](const std::string& key) {
      torch::Tensor t = sdk::to_torch(batch, key).to(risk.device()).to(torch::kDouble).reshape({-1});
      if (t.size(0) != n) fail(FM_ERR_SHAPE, "'" + key + "' must hold one value per sample, " + std::to_string(n) + ", got " + std::to_string(t.size(0)));
      return t;
    };
    const torch::Tensor times = per_sample(time), events = per_sample(event);
    if (!torch::logical_or(events == 0, events == 1).all().item<bool>())
      fail(FM_ERR_INVALID_ARGUMENT, "event '" + event + "' must be 1 (the event happened at its time) or 0 (censored then)");
    if (!torch::isfinite(times).all().item<bool>()) fail(FM_ERR_INVALID_ARGUMENT, "time '" + time + "' holds a NaN or infinite time");
    const torch::Tensor happened = events > 0.5;
    const int64_t count = happened.sum().item<int64_t>();
    if (count == 0) return (risk * 0).sum();  // nothing to compare in this batch: no gradient
    // at_risk[i][j]: patient j is still followed at patient i's time (ties included: Breslow).
    const torch::Tensor at_risk = times.unsqueeze(0) >= times.unsqueeze(1);
    const torch::Tensor r = risk.unsqueeze(0).expand({n, n}).masked_fill(at_risk.logical_not(), -std::numeric_limits<double>::infinity());
    const torch::Tensor log_risk_set = torch::logsumexp(r, 1);
    return -(risk - log_risk_set).masked_select(happened).sum() / static_cast<double>(count);
  }

  std::string pred, time, event;
};
FUSE_TORCH_LOSS(Cox, "fuse.losses.cox", "1.0.0")

// Minus the log-likelihood of each patient's time bin (fuse.ops.time_bins), averaged: an event in bin b scores
// -log p_b; a patient censored in bin b, -log(p_b + ... + p_last): the event is in that bin or a later one (the
// censoring counted at the bin's start, so the open last bin is well defined).
struct DiscreteTime {
  explicit DiscreteTime(const sdk::DictView& c) : pred(c.get_string("pred")), bin(c.get_string("bin")), event(c.get_string("event")) {}

  torch::Tensor compute(const std::vector<torch::Tensor>& p, const sdk::DictView& batch) {
    const torch::Tensor& logits = p[0];
    if (logits.dim() != 2 || logits.size(1) < 2)
      fail(FM_ERR_SHAPE, "prediction '" + pred + "' must be one score per time bin per sample, [N, bins >= 2], got " + sdk::shape_text(logits));
    if (!logits.is_floating_point()) fail(FM_ERR_TYPE, "prediction '" + pred + "' must be floating point, got " + std::string(torch::toString(logits.scalar_type())));
    const int64_t n = logits.size(0), bins = logits.size(1);
    const auto per_sample = [&](const std::string& key) {
      torch::Tensor t = sdk::to_torch(batch, key).to(logits.device()).reshape({-1});
      if (t.size(0) != n) fail(FM_ERR_SHAPE, "'" + key + "' must hold one value per sample, " + std::to_string(n) + ", got " + std::to_string(t.size(0)));
      return t;
    };
    const torch::Tensor events = per_sample(event).to(torch::kDouble);
    torch::Tensor b = per_sample(bin);
    if (b.is_floating_point() || b.scalar_type() == torch::kBool)
      fail(FM_ERR_TYPE, "bin '" + bin + "' must hold integer bin indices (fuse.ops.time_bins), got " + std::string(torch::toString(b.scalar_type())));
    b = b.to(torch::kLong);
    const int64_t lowest = b.min().item<int64_t>(), highest = b.max().item<int64_t>();
    if (lowest < 0 || highest >= bins)
      fail(FM_ERR_INVALID_ARGUMENT, "bin '" + bin + "' holds " + std::to_string(lowest < 0 ? lowest : highest) + ", outside the " + std::to_string(bins) +
                                        " bins of '" + pred + "' (0 to " + std::to_string(bins - 1) +
                                        "): give the model as many outputs as fuse.ops.time_bins makes bins");
    if (!torch::logical_or(events == 0, events == 1).all().item<bool>())
      fail(FM_ERR_INVALID_ARGUMENT, "event '" + event + "' must be 1 (the event happened at its time) or 0 (censored then)");
    const torch::Tensor log_p = torch::log_softmax(logits, 1);
    const torch::Tensor at = log_p.gather(1, b.unsqueeze(1)).squeeze(1);
    // log(p_b + ... + p_last): the bins before b masked out of a log-sum-exp.
    const torch::Tensor before = torch::arange(bins, b.options()).unsqueeze(0) < b.unsqueeze(1);
    const torch::Tensor from = torch::logsumexp(log_p.masked_fill(before, -std::numeric_limits<double>::infinity()), 1);
    const torch::Tensor happened = events > 0.5;
    return -torch::where(happened, at, from).mean();
  }

  std::string pred, bin, event;
};
FUSE_TORCH_LOSS(DiscreteTime, "fuse.losses.discrete_time", "1.0.0")

}  // namespace
}  // namespace fuse::losses
