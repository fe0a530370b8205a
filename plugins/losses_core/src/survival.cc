// Cox proportional hazards loss (the negative partial log-likelihood, Breslow's handling of ties), the loss of
// deep survival models (DeepSurv): a risk score per patient, right-censored times and event flags. Each event
// compares its patient's risk with that of everyone still at risk at its time, within the batch.
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

}  // namespace
}  // namespace fuse::losses
