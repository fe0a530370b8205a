// Supervised contrastive loss (Khosla et al., 2020; FuseMedML's SupervisedContrastiveLoss): embeddings of
// samples that share a label are pulled together and pushed away from the others, through a softmax over
// each anchor's similarities to every other embedding.
#include <limits>
#include <string>
#include <vector>

#include "fuse_sdk/torch.hpp"

namespace fuse::losses {
namespace {

using sdk::fail;

struct SupervisedContrastive {
  explicit SupervisedContrastive(const sdk::DictView& c)
      : pred(c.get_string("pred")), target(c.get_string("target")), temperature(c.get_double("temperature")),
        base_temperature(c.get_double("base_temperature")), normalize(c.get_bool("normalize")) {}

  torch::Tensor compute(const std::vector<torch::Tensor>& p, const sdk::DictView& batch) {
    torch::Tensor z = p[0];
    // [N, D], or [N, views, D]: every view of a sample is an embedding with the sample's label.
    if (z.dim() != 2 && z.dim() != 3)
      fail(FM_ERR_SHAPE, "prediction '" + pred + "' must be embeddings [N, D] or [N, views, D], got " + sdk::shape_text(z));
    if (!z.is_floating_point()) fail(FM_ERR_TYPE, "prediction '" + pred + "' must be floating point, got " + std::string(torch::toString(z.scalar_type())));
    torch::Tensor labels = sdk::to_torch(batch, target).to(z.device());
    if (labels.dim() == 2 && labels.size(1) == 1) labels = labels.squeeze(1);
    if (labels.dim() != 1 || labels.size(0) != z.size(0))
      fail(FM_ERR_SHAPE, "target '" + target + "' must hold one label per sample, [" + std::to_string(z.size(0)) + "], got " + sdk::shape_text(labels));
    const int64_t views = z.dim() == 3 ? z.size(1) : 1;
    if (z.dim() == 3) z = z.reshape({z.size(0) * views, z.size(2)});  // sample-major: sample n's views are rows n*V..
    labels = labels.repeat_interleave(views);
    if (normalize) z = torch::nn::functional::normalize(z, torch::nn::functional::NormalizeFuncOptions().dim(1));
    const int64_t n = z.size(0);
    const torch::Tensor self = torch::eye(n, torch::TensorOptions().dtype(torch::kBool).device(z.device()));
    // Each anchor's log-softmax over every other embedding (itself left out of the denominator).
    const torch::Tensor logits = (torch::matmul(z, z.t()) / temperature).masked_fill(self, -std::numeric_limits<double>::infinity());
    const torch::Tensor log_prob = torch::log_softmax(logits, 1).masked_fill(self, 0);
    const torch::Tensor positives = (labels.unsqueeze(0) == labels.unsqueeze(1)).logical_and(self.logical_not()).to(z.scalar_type());
    const torch::Tensor counts = positives.sum(1);
    const torch::Tensor anchors = counts > 0;  // an anchor with no positive has nothing to be pulled towards
    if (!anchors.any().item<bool>()) return (z * 0).sum();
    const torch::Tensor mean_log_prob = (positives * log_prob).sum(1).masked_select(anchors) / counts.masked_select(anchors);
    return -(temperature / base_temperature) * mean_log_prob.mean();
  }

  std::string pred, target;
  double temperature, base_temperature;
  bool normalize;
};
FUSE_TORCH_LOSS(SupervisedContrastive, "fuse.losses.supervised_contrastive", "1.0.0")

}  // namespace
}  // namespace fuse::losses
