// Losses over LibTorch tensors: cross-entropy, binary cross-entropy with logits, Dice, focal, Tversky, their
// combinations, and regression losses. Each reads its prediction under 'pred' and its target under 'target';
// the host differentiates through fuse::sdk::TorchLoss.
#include <optional>
#include <string>
#include <vector>

#include "fuse_sdk/torch.hpp"
#include "label_regions.h"

namespace fuse::losses {
namespace {

using sdk::DictView;
using sdk::fail;
namespace F = torch::nn::functional;

std::string mismatch(const std::string& pred_key, const torch::Tensor& pred, const std::string& target_key, const torch::Tensor& target,
                     const std::string& expected) {
  return "prediction '" + pred_key + "' has shape " + sdk::shape_text(pred) + " but target '" + target_key + "' has shape " +
         sdk::shape_text(target) + " (" + expected + ")";
}

// 'dice_class_weights' with regions: one per region.
void check_region_weights(const std::vector<double>& weights, const segmentation::Regions& regions) {
  if (!weights.empty() && weights.size() != regions.size())
    fail(FM_ERR_INVALID_ARGUMENT, "'dice_class_weights' has " + std::to_string(weights.size()) + " values for " + std::to_string(regions.size()) +
                                      " regions (one per region)");
}

// Class indices [N, ...] for logits [N, C, ...]: a [N, 1, ...] target loses its channel axis; with `resize`, a
// label map of another size is resized to the logits' (nearest), as for deep supervision.
// A target voxel of label `ignore` (nnU-Net's ignore label: not annotated) becomes -100, which no loss counts.
torch::Tensor class_targets(const torch::Tensor& logits, torch::Tensor target, const std::string& pred_key, const std::string& target_key, bool resize,
                            std::optional<int64_t> ignore = std::nullopt) {
  if (target.dim() == logits.dim() && target.size(1) == 1) target = target.squeeze(1);
  if (target.dim() != logits.dim() - 1 || target.size(0) != logits.size(0))
    fail(FM_ERR_SHAPE, mismatch(pred_key, logits, target_key, target, "expected class indices of shape [N, ...] for logits [N, classes, ...]"));
  if (!target.sizes().slice(1).equals(logits.sizes().slice(2))) {
    if (!resize || target.dim() < 2)
      fail(FM_ERR_SHAPE, mismatch(pred_key, logits, target_key, target, "the spatial sizes differ; set 'resize_target' to resize the target"));
    std::vector<int64_t> size(logits.sizes().begin() + 2, logits.sizes().end());
    target = F::interpolate(target.unsqueeze(1).to(torch::kFloat32), F::InterpolateFuncOptions().size(size).mode(torch::kNearest))
                 .squeeze(1);
  }
  if (target.is_floating_point()) {
    if (!torch::equal(target, target.round())) fail(FM_ERR_INVALID_ARGUMENT, "target '" + target_key + "' holds non-integer class labels");
  }
  const int64_t classes = logits.size(1);
  torch::Tensor t = target.to(torch::kLong);
  if (ignore) t = t.masked_fill(t == *ignore, -100);
  if (t.numel() > 0 && (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= classes)) {
    const int64_t bad = t.min().item<int64_t>() < 0 ? t.min().item<int64_t>() : t.max().item<int64_t>();
    if (bad != -100)
      fail(FM_ERR_INVALID_ARGUMENT, "target '" + target_key + "' holds class " + std::to_string(bad) + " but '" + pred_key + "' has " +
                                        std::to_string(classes) + " classes");
  }
  return t;
}

// Same shape, as float: regression and binary targets.
torch::Tensor same_shape_target(const torch::Tensor& pred, torch::Tensor target, const std::string& pred_key, const std::string& target_key) {
  if (!target.sizes().equals(pred.sizes())) {
    if (target.numel() == pred.numel() && (target.dim() == 1 || pred.dim() == 1)) target = target.reshape(pred.sizes());  // [N] vs [N, 1]
    else fail(FM_ERR_SHAPE, mismatch(pred_key, pred, target_key, target, "they must match"));
  }
  return target.to(pred.scalar_type());
}

struct Base {
  explicit Base(const DictView& c) : pred(c.get_string("pred")), target(c.get_string("target")) {}
  // 'ignore_label', for the losses that have one.
  static std::optional<int64_t> ignore_of(const DictView& c) {
    if (c.is_unset("ignore_label")) return std::nullopt;
    const int64_t v = c.get_int("ignore_label");
    if (v == 0) fail(FM_ERR_INVALID_ARGUMENT, "'ignore_label' 0 is the background; the ignore label marks voxels not annotated, e.g. the largest label");
    return v;
  }
  // The target on the prediction's device (a GPU model's outputs meet targets from the host's memory).
  torch::Tensor target_of(const DictView& batch, const torch::Tensor& like) const { return sdk::to_torch(batch, target).to(like.device()); }
  std::string pred, target;
  segmentation::Regions regions;  // the overlap losses' 'regions' (empty: classes)
  std::optional<int64_t> ignore;  // target voxels of this label count nowhere
};

// The mean of `loss` (per element) where `valid` ([N, 1, ...], broadcast) is 1; 0 (still in the graph) where
// nothing is valid. Undefined `valid`: the plain mean.
torch::Tensor masked_mean(const torch::Tensor& loss, const torch::Tensor& valid) {
  if (!valid.defined()) return loss.mean();
  const torch::Tensor weight = valid.expand_as(loss);
  return (loss * weight).sum() / weight.sum().clamp_min(1);
}

// The overlap losses' base: 'regions' read, their weights checked.
struct OverlapBase : Base {
  explicit OverlapBase(const DictView& c) : Base(c) {
    regions = segmentation::read_regions(c);
    ignore = ignore_of(c);
    if (!regions.empty()) check_region_weights(c.get_doubles("dice_class_weights"), regions);
  }
};

// Cross-entropy over the targets that are not -100 (ignored); 0 (still in the graph) where all are, rather than
// LibTorch's NaN.
torch::Tensor ignored_cross_entropy(const torch::Tensor& logits, const torch::Tensor& t, const F::CrossEntropyFuncOptions& o) {
  if (t.numel() > 0 && !(t != -100).any().item<bool>()) return (logits * 0).sum();
  return F::cross_entropy(logits, t, o);
}

// Cross-entropy options weighing the classes of `logits` (none when `weights` is empty).
F::CrossEntropyFuncOptions class_weighted(const std::vector<double>& weights, const torch::Tensor& logits) {
  auto o = F::CrossEntropyFuncOptions().ignore_index(-100);
  if (weights.empty()) return o;
  if (static_cast<int64_t>(weights.size()) != logits.size(1))
    fail(FM_ERR_INVALID_ARGUMENT, "'class_weights' has " + std::to_string(weights.size()) + " values for " + std::to_string(logits.size(1)) + " classes");
  return o.weight(torch::tensor(weights, torch::kFloat32).to(logits.device()));
}

struct CrossEntropy : Base {
  explicit CrossEntropy(const DictView& c)
      : Base(c), weights(c.get_doubles("class_weights")), smoothing(c.get_double("label_smoothing")), resize(c.get_bool("resize_target")) {
    ignore = ignore_of(c);
  }
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const torch::Tensor t = class_targets(p[0], target_of(batch, p[0]), pred, target, resize, ignore);
    return ignored_cross_entropy(p[0], t, class_weighted(weights, p[0]).label_smoothing(smoothing));
  }
  std::vector<double> weights;
  double smoothing;
  bool resize;
};
FUSE_TORCH_LOSS(CrossEntropy, "fuse.losses.cross_entropy", "1.1.0")

struct BceWithLogits : Base {
  explicit BceWithLogits(const DictView& c) : Base(c), pos_weight(c.find_double("pos_weight")), pos_weights(c.get_doubles("pos_weights")) {
    if (pos_weight && !pos_weights.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'pos_weight' (all labels) and 'pos_weights' (one per label) are both set: give one");
  }
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const torch::Tensor t = same_shape_target(p[0], target_of(batch, p[0]), pred, target);
    auto o = F::BinaryCrossEntropyWithLogitsFuncOptions();
    if (pos_weight) o = o.pos_weight(torch::full({1}, *pos_weight, p[0].options()));
    if (!pos_weights.empty()) {
      // One per label, the prediction's last axis.
      if (p[0].dim() < 1 || p[0].size(-1) != static_cast<int64_t>(pos_weights.size()))
        fail(FM_ERR_SHAPE, "'pos_weights' has " + std::to_string(pos_weights.size()) + " values, but '" + pred + "' has " +
                               (p[0].dim() < 1 ? std::string("no label axis") : std::to_string(p[0].size(-1)) + " labels (its last axis)"));
      o = o.pos_weight(torch::tensor(pos_weights, p[0].options()));
    }
    return F::binary_cross_entropy_with_logits(p[0], t, o);
  }
  std::optional<double> pos_weight;
  std::vector<double> pos_weights;
};
FUSE_TORCH_LOSS(BceWithLogits, "fuse.losses.bce_with_logits", "1.1.0")

// The label map [N, ...] (long) of a target [N, ...] or [N, 1, ...] for region logits [N, R, ...], checked and,
// with `resize`, resized to the logits' spatial size.
torch::Tensor region_label_map(const torch::Tensor& logits, torch::Tensor target, const segmentation::Regions& regions, const Base& b, bool resize) {
  if (logits.dim() < 2 || logits.size(1) != static_cast<int64_t>(regions.size()))
    fail(FM_ERR_SHAPE, "prediction '" + b.pred + "' has shape " + sdk::shape_text(logits) + " but 'regions' lists " + std::to_string(regions.size()) +
                           " regions (one sigmoid channel each: [N, " + std::to_string(regions.size()) + ", ...])");
  if (target.dim() == logits.dim() && target.size(1) == 1) target = target.squeeze(1);
  if (target.dim() != logits.dim() - 1 || target.size(0) != logits.size(0))
    fail(FM_ERR_SHAPE, mismatch(b.pred, logits, b.target, target, "expected a label map [N, ...] for region logits [N, regions, ...]"));
  if (!target.sizes().slice(1).equals(logits.sizes().slice(2))) {
    if (!resize)
      fail(FM_ERR_SHAPE, mismatch(b.pred, logits, b.target, target, "the spatial sizes differ; set 'resize_target' to resize the target"));
    std::vector<int64_t> size(logits.sizes().begin() + 2, logits.sizes().end());
    target = F::interpolate(target.unsqueeze(1).to(torch::kFloat32), F::InterpolateFuncOptions().size(size).mode(torch::kNearest)).squeeze(1);
  }
  if (target.is_floating_point() && !torch::equal(target, target.round()))
    fail(FM_ERR_INVALID_ARGUMENT, "target '" + b.target + "' holds non-integer labels; 'regions' are made of a label map's labels");
  return target.to(torch::kLong);
}

// Region targets [N, R, ...] of a label map [N, ...] for logits [N, R, ...]: channel r is 1 where the label is
// one of region r's (nnU-Net's region-based training, label_regions.h).
torch::Tensor region_targets(const torch::Tensor& logits, const torch::Tensor& labels, const segmentation::Regions& regions) {
  std::vector<torch::Tensor> channels;
  for (const std::vector<int64_t>& region : regions)
    channels.push_back(torch::isin(labels, torch::tensor(region, torch::kLong).to(labels.device())));
  return torch::stack(channels, 1).to(logits.scalar_type());
}

// The overlap losses' probabilities and one-hot targets [N, C, ...], and where the target counts ([N, 1, ...],
// 1 or 0; undefined when everywhere).
struct Overlap {
  torch::Tensor prob, one_hot, valid;
  torch::Tensor classes;  // multi-class logits: the class targets [N, ...] (-100 where ignored), for a cross-entropy
};

// 1 where `labels` ([N, ...]) is not `ignore` (nor -100), as [N, 1, ...] of `like`'s type; undefined when every
// voxel counts.
torch::Tensor valid_of(const torch::Tensor& labels, std::optional<int64_t> ignore, const torch::Tensor& like) {
  torch::Tensor keep = labels != -100;
  if (ignore) keep = keep & (labels != *ignore);
  if (keep.all().item<bool>()) return {};
  return keep.unsqueeze(1).to(like.scalar_type());
}

// Class probabilities and one-hot targets of the same shape [N, C, ...], for the overlap losses: softmax over
// classes, or a sigmoid for a single channel (binary) or for each of 'regions'.
// With an ignore label (or -100 in a class target) the voxels marked so are left out of both.
Overlap probabilities_and_one_hot(const torch::Tensor& logits, const torch::Tensor& target_in, const Base& b, bool resize) {
  if (!b.regions.empty()) {
    const torch::Tensor labels = region_label_map(logits, target_in, b.regions, b, resize);
    Overlap o{torch::sigmoid(logits), region_targets(logits, labels, b.regions), {}, {}};
    if (b.ignore) o.valid = valid_of(labels, b.ignore, logits);
    if (o.valid.defined()) o.one_hot = o.one_hot * o.valid;
    return o;
  }
  if (logits.dim() < 2) fail(FM_ERR_SHAPE, "prediction '" + b.pred + "' must be [N, classes, ...], got " + sdk::shape_text(logits));
  if (logits.size(1) == 1) {
    torch::Tensor t = target_in.dim() == logits.dim() - 1 ? target_in.unsqueeze(1) : target_in;
    t = same_shape_target(logits, t, b.pred, b.target);
    Overlap o{torch::sigmoid(logits), t, {}, {}};
    if (b.ignore) {
      o.valid = valid_of(t.squeeze(1).to(torch::kLong), b.ignore, logits);
      if (o.valid.defined()) o.one_hot = t * o.valid;
    }
    return o;
  }
  const torch::Tensor t = class_targets(logits, target_in, b.pred, b.target, resize, b.ignore);
  Overlap o{torch::softmax(logits, 1), F::one_hot(t.clamp_min(0), logits.size(1)).movedim(-1, 1).to(logits.scalar_type()), valid_of(t, std::nullopt, logits), t};
  if (o.valid.defined()) o.one_hot = o.one_hot * o.valid;
  return o;
}

// Per-class overlap over the batch and space, then the mean over classes (background optional), or the mean
// weighted by `weights` (one per class, background included; MONAI's DiceLoss weight: a rare structure may
// count more than a large one).
torch::Tensor tversky_loss(const torch::Tensor& prob, const torch::Tensor& one_hot, double alpha, double beta, double smooth, bool background,
                           const std::vector<double>& weights = {}) {
  std::vector<int64_t> axes{0};
  for (int64_t a = 2; a < prob.dim(); ++a) axes.push_back(a);
  const torch::Tensor tp = (prob * one_hot).sum(axes);
  const torch::Tensor fp = (prob * (1 - one_hot)).sum(axes);
  const torch::Tensor fn = ((1 - prob) * one_hot).sum(axes);
  torch::Tensor score = (tp + smooth) / (tp + alpha * fp + beta * fn + smooth);
  torch::Tensor w;
  if (!weights.empty()) {
    if (static_cast<int64_t>(weights.size()) != score.size(0))
      fail(FM_ERR_INVALID_ARGUMENT, "'dice_class_weights' has " + std::to_string(weights.size()) + " values for " + std::to_string(score.size(0)) +
                                        " classes (one per class, the background's included)");
    w = torch::tensor(weights, torch::kFloat64).to(score.device(), score.scalar_type());
  }
  if (!background && score.size(0) > 1) {
    score = score.slice(0, 1);
    if (w.defined()) w = w.slice(0, 1);
  }
  if (!w.defined()) return 1 - score.mean();
  if (!(w.sum().item<double>() > 0)) fail(FM_ERR_INVALID_ARGUMENT, "'dice_class_weights' of the classes counted add up to 0");
  return 1 - (score * w).sum() / w.sum();
}

// The overlap of an Overlap's probabilities and targets, the ignored voxels left out of both.
torch::Tensor overlap_loss(const Overlap& o, double alpha, double beta, double smooth, bool background, const std::vector<double>& weights) {
  return tversky_loss(o.valid.defined() ? o.prob * o.valid : o.prob, o.one_hot, alpha, beta, smooth, background, weights);
}

struct Dice : OverlapBase {
  explicit Dice(const DictView& c)
      : OverlapBase(c), smooth(c.get_double("smooth")), background(c.get_bool("include_background")), resize(c.get_bool("resize_target")),
        weights(c.get_doubles("dice_class_weights")) {}
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const Overlap o = probabilities_and_one_hot(p[0], target_of(batch, p[0]), *this, resize);
    return overlap_loss(o, 0.5, 0.5, smooth, background || !regions.empty(), weights);  // Tversky with alpha = beta = 1/2 is Dice
  }
  double smooth;
  bool background, resize;
  std::vector<double> weights;
};
FUSE_TORCH_LOSS(Dice, "fuse.losses.dice", "1.3.0")

struct Tversky : OverlapBase {
  explicit Tversky(const DictView& c)
      : OverlapBase(c), alpha(c.get_double("alpha")), beta(c.get_double("beta")), smooth(c.get_double("smooth")),
        background(c.get_bool("include_background")), resize(c.get_bool("resize_target")), weights(c.get_doubles("dice_class_weights")) {}
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const Overlap o = probabilities_and_one_hot(p[0], target_of(batch, p[0]), *this, resize);
    return overlap_loss(o, alpha, beta, smooth, background || !regions.empty(), weights);
  }
  double alpha, beta, smooth;
  bool background, resize;
  std::vector<double> weights;
};
FUSE_TORCH_LOSS(Tversky, "fuse.losses.tversky", "1.3.0")

// The binary focal loss of logits against 0/1 targets of their shape (where `valid` is 1, when defined).
torch::Tensor binary_focal_loss(const torch::Tensor& logits, const torch::Tensor& t, double gamma, std::optional<double> alpha,
                                const torch::Tensor& valid = {}) {
  const torch::Tensor ce = F::binary_cross_entropy_with_logits(logits, t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  const torch::Tensor p = torch::sigmoid(logits);
  const torch::Tensor p_t = p * t + (1 - p) * (1 - t);
  torch::Tensor loss = ce * torch::pow(1 - p_t, gamma);
  if (alpha) loss = loss * (*alpha * t + (1 - *alpha) * (1 - t));
  return masked_mean(loss, valid);
}

// Focal loss (Lin et al.): cross-entropy down-weighted by (1 - p_t)^gamma; binary (one channel) or per class.
torch::Tensor focal_loss(const torch::Tensor& logits, const torch::Tensor& target_in, const Base& b, double gamma, std::optional<double> alpha,
                         bool resize) {
  if (logits.dim() >= 2 && logits.size(1) > 1) {
    const torch::Tensor t = class_targets(logits, target_in, b.pred, b.target, resize, b.ignore);
    const torch::Tensor logp = torch::log_softmax(logits, 1).gather(1, t.clamp_min(0).unsqueeze(1)).squeeze(1);
    torch::Tensor loss = -torch::pow(1 - logp.exp(), gamma) * logp;
    if (alpha) loss = loss * *alpha;
    const torch::Tensor valid = valid_of(t, std::nullopt, logits);
    return masked_mean(loss, valid.defined() ? valid.squeeze(1) : valid);
  }
  torch::Tensor t = same_shape_target(logits, target_in.dim() + 1 == logits.dim() ? target_in.unsqueeze(1) : target_in, b.pred, b.target);
  const torch::Tensor valid = b.ignore ? valid_of(t.squeeze(1).to(torch::kLong), b.ignore, logits) : torch::Tensor();
  if (valid.defined()) t = t * valid;
  return binary_focal_loss(logits, t, gamma, alpha, valid);
}

struct Focal : Base {
  explicit Focal(const DictView& c) : Base(c), gamma(c.get_double("gamma")), alpha(c.find_double("alpha")), resize(c.get_bool("resize_target")) {
    ignore = ignore_of(c);
  }
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) { return focal_loss(p[0], target_of(batch, p[0]), *this, gamma, alpha, resize); }
  double gamma;
  std::optional<double> alpha;
  bool resize;
};
FUSE_TORCH_LOSS(Focal, "fuse.losses.focal", "1.1.0")

struct DiceCe : OverlapBase {
  explicit DiceCe(const DictView& c)
      : OverlapBase(c), dice_weight(c.get_double("dice_weight")), ce_weight(c.get_double("ce_weight")), smooth(c.get_double("smooth")),
        background(c.get_bool("include_background")), resize(c.get_bool("resize_target")), weights(c.get_doubles("class_weights")),
        dice_weights(c.get_doubles("dice_class_weights")) {
    if (!regions.empty() && !weights.empty())
      fail(FM_ERR_INVALID_ARGUMENT, "'class_weights' weighs the classes of the cross-entropy; with 'regions' it is a binary cross-entropy per region: "
                                    "weigh the regions with 'dice_class_weights'");
  }
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const torch::Tensor target_in = target_of(batch, p[0]);
    const Overlap o = probabilities_and_one_hot(p[0], target_in, *this, resize);
    if (p[0].size(1) == 1 && !weights.empty())
      fail(FM_ERR_INVALID_ARGUMENT, "'class_weights' weighs the classes of multi-class logits; '" + pred + "' has one channel (binary): there are none to weigh");
    // Regions: a binary cross-entropy per region, as the sigmoid channels are trained.
    const torch::Tensor ce =
        p[0].size(1) == 1 || !regions.empty()
            ? masked_mean(F::binary_cross_entropy_with_logits(p[0], o.one_hot, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone)), o.valid)
            : ignored_cross_entropy(p[0], o.classes, class_weighted(weights, p[0]));
    return dice_weight * overlap_loss(o, 0.5, 0.5, smooth, background || !regions.empty(), dice_weights) + ce_weight * ce;
  }
  double dice_weight, ce_weight, smooth;
  bool background, resize;
  std::vector<double> weights, dice_weights;
};
FUSE_TORCH_LOSS(DiceCe, "fuse.losses.dice_ce", "1.3.0")

struct DiceFocal : OverlapBase {
  explicit DiceFocal(const DictView& c)
      : OverlapBase(c), dice_weight(c.get_double("dice_weight")), focal_weight(c.get_double("focal_weight")), gamma(c.get_double("gamma")),
        smooth(c.get_double("smooth")), background(c.get_bool("include_background")), resize(c.get_bool("resize_target")),
        dice_weights(c.get_doubles("dice_class_weights")) {}
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const torch::Tensor target_in = target_of(batch, p[0]);
    const Overlap o = probabilities_and_one_hot(p[0], target_in, *this, resize);
    return dice_weight * overlap_loss(o, 0.5, 0.5, smooth, background || !regions.empty(), dice_weights) +
           focal_weight * (regions.empty() ? focal_loss(p[0], target_in, *this, gamma, std::nullopt, resize)
                                           : binary_focal_loss(p[0], o.one_hot, gamma, std::nullopt, o.valid));
  }
  double dice_weight, focal_weight, gamma, smooth;
  bool background, resize;
  std::vector<double> dice_weights;
};
FUSE_TORCH_LOSS(DiceFocal, "fuse.losses.dice_focal", "1.3.0")

struct Regression : Base {
  explicit Regression(const DictView& c, std::string kind_) : Base(c), kind(std::move(kind_)), delta(c.has("delta") ? c.get_double("delta") : 1.0) {}
  torch::Tensor compute(const std::vector<torch::Tensor>& p, const DictView& batch) {
    const torch::Tensor t = same_shape_target(p[0], target_of(batch, p[0]), pred, target);
    if (kind == "mse") return F::mse_loss(p[0], t);
    if (kind == "l1") return F::l1_loss(p[0], t);
    return F::huber_loss(p[0], t, F::HuberLossFuncOptions().delta(delta));
  }
  std::string kind;
  double delta;
};
struct Mse : Regression {
  explicit Mse(const DictView& c) : Regression(c, "mse") {}
};
struct L1 : Regression {
  explicit L1(const DictView& c) : Regression(c, "l1") {}
};
struct Huber : Regression {
  explicit Huber(const DictView& c) : Regression(c, "huber") {}
};
FUSE_TORCH_LOSS(Mse, "fuse.losses.mse", "1.0.0")
FUSE_TORCH_LOSS(L1, "fuse.losses.l1", "1.0.0")
FUSE_TORCH_LOSS(Huber, "fuse.losses.huber", "1.0.0")

}  // namespace
}  // namespace fuse::losses

FUSE_PLUGIN("fuse.losses_core", "0.1.0")
