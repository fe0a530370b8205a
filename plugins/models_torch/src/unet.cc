// UNet for 2D and 3D segmentation (Ronneberger et al.): an encoder of double convolutions that halves the
// resolution per level, a decoder that upsamples and joins the encoder's features, and a 1x1 classifier.
// Odd sizes are handled: an upsampled map is resized to its skip connection. The encoder may instead be
// EfficientNet's (FuseMedML's EfficientNet-UNet): per level a strided MBConv block and a residual one; or
// residual (nnU-Net's ResEnc UNet): per level residual blocks, the first striding down. With deep supervision
// (nnU-Net's), decoder levels below the full resolution have a 1x1 classifier of their own, whose logits are
// extra outputs in training only (the losses' lower-resolution terms).
#include <algorithm>

#include "layers.h"
#include "mbconv.h"

namespace fuse::models {
namespace {

// A 3x3 convolution (striding by `stride`) and its norm; the activation is the caller's.
template <int D>
void add_conv_norm(torch::nn::Sequential& s, int64_t in, int64_t out, bool instance_norm, int64_t stride = 1) {
  s->push_back(conv<D>(in, out, 3, stride));
  s->push_back(norm_layer<D>(out, instance_norm));
}

// nnU-Net's activation.
torch::nn::LeakyReLU leaky_relu() { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.01)); }

template <int D>
torch::nn::Sequential double_conv(int64_t in, int64_t out, bool instance_norm, double dropout) {
  torch::nn::Sequential s;
  add_conv_norm<D>(s, in, out, instance_norm);
  s->push_back(leaky_relu());
  if (dropout > 0) s->push_back(typename Layers<D>::Dropout(dropout));
  add_conv_norm<D>(s, out, out, instance_norm);
  s->push_back(leaky_relu());
  return s;
}

// An EfficientNet encoder level: a 3x3 stem and a block without expansion at full resolution (level 0), else a
// block that halves the resolution and one that refines at the new one.
template <int D>
torch::nn::Sequential mbconv_level(size_t level, int64_t in, int64_t out, int64_t expansion, bool instance_norm, double dropout) {
  torch::nn::Sequential s;
  if (level == 0) {
    add_conv_norm<D>(s, in, out, instance_norm);
    s->push_back(torch::nn::SiLU());
    s->push_back(std::make_shared<MBConv<D>>(out, out, 1, 1, instance_norm));
  } else {
    s->push_back(std::make_shared<MBConv<D>>(in, out, 2, expansion, instance_norm));
    s->push_back(std::make_shared<MBConv<D>>(out, out, 1, expansion, instance_norm));
  }
  if (dropout > 0) s->push_back(typename Layers<D>::Dropout(dropout));
  return s;
}

// nnU-Net's residual block (BasicBlockD): two 3x3 convolutions, the first striding, and a shortcut that
// average-pools (rounding up, as the strided convolution does on odd sizes) and projects where the shape changes.
template <int D>
struct ResidualBlock : torch::nn::Module {
  ResidualBlock(int64_t in, int64_t out, int64_t stride_, bool instance_norm) : stride(stride_) {
    add_conv_norm<D>(body, in, out, instance_norm, stride);
    body->push_back(leaky_relu());
    add_conv_norm<D>(body, out, out, instance_norm);
    register_module("body", body);
    if (stride != 1 || in != out) {
      shortcut = torch::nn::Sequential();
      shortcut->push_back(conv<D>(in, out, 1, 1, 0));
      shortcut->push_back(norm_layer<D>(out, instance_norm));
      register_module("shortcut", shortcut);
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor skip = x;
    if (stride > 1) {
      const std::vector<int64_t> k(D, stride);
      skip = D == 2 ? torch::avg_pool2d(skip, k, k, 0, true, false) : torch::avg_pool3d(skip, k, k, 0, true, false);
    }
    if (shortcut) skip = shortcut->forward(skip);
    return torch::leaky_relu(body->forward(x) + skip, 0.01);
  }
  int64_t stride;
  torch::nn::Sequential body, shortcut{nullptr};
};

// A residual encoder level: a 3x3 stem at full resolution (level 0) or a block that halves the resolution,
// then blocks at that resolution, `blocks` in all.
template <int D>
torch::nn::Sequential residual_level(size_t level, int64_t in, int64_t out, int64_t blocks, bool instance_norm, double dropout) {
  torch::nn::Sequential s;
  if (level == 0) {
    add_conv_norm<D>(s, in, out, instance_norm);
    s->push_back(leaky_relu());
  }
  for (int64_t b = 0; b < blocks; ++b)
    s->push_back(std::make_shared<ResidualBlock<D>>(b == 0 && level > 0 ? in : out, out, b == 0 && level > 0 ? 2 : 1, instance_norm));
  if (dropout > 0) s->push_back(typename Layers<D>::Dropout(dropout));
  return s;
}

// nnU-Net's ResEnc blocks per level (1, 3, 4, 6, then 6), for `levels` levels.
std::vector<int64_t> residual_blocks(const std::vector<int64_t>& given, size_t levels) {
  if (given.empty()) {
    std::vector<int64_t> blocks{1, 3, 4, 6};
    blocks.resize(std::max<size_t>(levels, blocks.size()), 6);
    blocks.resize(levels);
    return blocks;
  }
  if (given.size() != levels)
    fail(FM_ERR_INVALID_ARGUMENT, "'blocks' gives " + std::to_string(given.size()) + " levels' residual blocks but 'channels' has " + std::to_string(levels) +
                                      " levels: give one count per level");
  return given;  // each at least 1: the manifest's "min"
}

enum class Encoder { kPlain, kEfficientNet, kResidual };

template <int D>
struct UNetImpl : torch::nn::Module {
  UNetImpl(int64_t in, int64_t classes, std::vector<int64_t> channels, bool instance_norm, double dropout, size_t outputs_, Encoder encoder,
           int64_t expansion, std::vector<int64_t> blocks, size_t supervised)
      : outputs(outputs_), strided(encoder != Encoder::kPlain) {
    if (channels.size() < 2) fail(FM_ERR_INVALID_ARGUMENT, "'channels' needs at least 2 levels, got " + std::to_string(channels.size()));
    // The decoder's levels 1 .. levels - 2 (1/2, 1/4, ... of the input's size); the deepest is the bottleneck.
    if (supervised + 2 > channels.size())
      fail(FM_ERR_INVALID_ARGUMENT, "'deep_supervision' names " + std::to_string(supervised) + (supervised == 1 ? " key" : " keys") + " but a UNet of " +
                                        std::to_string(channels.size()) +
                                        " levels has " + std::to_string(channels.size() - 2) + " decoder level" + (channels.size() == 3 ? "" : "s") +
                                        " below the full resolution (1/2, 1/4, ...; the deepest level has no decoder): name at most " +
                                        std::to_string(channels.size() - 2) + " or add levels to 'channels'");
    if (encoder != Encoder::kResidual && !blocks.empty())
      fail(FM_ERR_INVALID_ARGUMENT, "'blocks' counts the residual blocks of the \"residual\" encoder; this UNet's encoder is another");
    if (encoder == Encoder::kResidual) blocks = residual_blocks(blocks, channels.size());
    for (size_t l = 0; l < channels.size(); ++l) {
      const int64_t from = l == 0 ? in : channels[l - 1];
      const double level_dropout = l + 1 == channels.size() ? dropout : 0.0;
      torch::nn::Sequential level = encoder == Encoder::kEfficientNet ? mbconv_level<D>(l, from, channels[l], expansion, instance_norm, level_dropout)
                                    : encoder == Encoder::kResidual   ? residual_level<D>(l, from, channels[l], blocks[l], instance_norm, level_dropout)
                                                                      : double_conv<D>(from, channels[l], instance_norm, level_dropout);
      down.push_back(register_module("down" + std::to_string(l), level));
    }
    for (size_t l = channels.size() - 1; l > 0; --l) {
      up.push_back(register_module("up" + std::to_string(l), typename Layers<D>::ConvTranspose(typename Layers<D>::ConvTransposeOptions(channels[l], channels[l - 1], 2).stride(2))));
      merge.push_back(register_module("merge" + std::to_string(l), double_conv<D>(2 * channels[l - 1], channels[l - 1], instance_norm, 0.0)));
    }
    head = register_module("head", conv<D>(channels[0], classes, 1, 1, 0, true));
    for (size_t l = 1; l <= supervised; ++l)
      supervision.push_back(register_module("supervision" + std::to_string(l), conv<D>(channels[l], classes, 1, 1, 0, true)));
    pool = register_module("pool", typename Layers<D>::MaxPool(typename Layers<D>::MaxPoolOptions(2).stride(2)));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], D + 2, D == 2 ? "a 2D UNet" : "a 3D UNet");
    std::vector<torch::Tensor> skips;
    torch::Tensor x = in[0];
    for (size_t l = 0; l < down.size(); ++l) {
      if (l > 0 && !strided) x = pool->forward(x);  // an EfficientNet or residual level strides itself
      x = down[l]->forward(x);
      skips.push_back(x);
    }
    std::vector<torch::Tensor> lower(supervision.size());
    for (size_t i = 0; i < up.size(); ++i) {
      const torch::Tensor& skip = skips[skips.size() - 2 - i];
      x = up[i]->forward(x);
      if (!x.sizes().slice(2).equals(skip.sizes().slice(2)))
        x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>(skip.sizes().begin() + 2, skip.sizes().end()))
                                                      .mode(torch::kNearest));
      x = merge[i]->forward(torch::cat({x, skip}, 1));
      const size_t level = up.size() - 1 - i;
      if (is_training() && level >= 1 && level <= supervision.size()) lower[level - 1] = supervision[level - 1]->forward(x);
    }
    std::vector<torch::Tensor> out = with_probabilities(head->forward(x), outputs);
    if (is_training()) out.insert(out.end(), lower.begin(), lower.end());
    return out;
  }
  size_t outputs;
  bool strided;
  std::vector<torch::nn::Sequential> down, merge;
  std::vector<typename Layers<D>::ConvTranspose> up;
  typename Layers<D>::Conv head{nullptr};
  std::vector<typename Layers<D>::Conv> supervision;  // level 1, 2, ...: deep supervision's classifiers
  typename Layers<D>::MaxPool pool{nullptr};
};

struct UNet : torch::nn::Module {
  explicit UNet(const DictView& c) : training_outputs(c.get_strings("deep_supervision")) {
    const std::string encoder = c.get_string("encoder");
    body = make_body<UNetImpl>(static_cast<int>(c.get_int("dims")), data_size(c, "in_channels"), c.get_int("num_classes"), c.get_ints("channels"),
                               c.get_string("norm") == "instance", c.get_double("dropout"), c.get_strings("outputs").size(),
                               encoder == "efficientnet" ? Encoder::kEfficientNet : encoder == "residual" ? Encoder::kResidual : Encoder::kPlain,
                               c.get_int("expansion"), c.get_ints("blocks"), training_outputs.size());
    register_module("unet", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  std::vector<std::string> training_outputs;  // deep supervision's keys, 1/2 the size first (fuse_sdk/torch.hpp)
  Body body;
};
FUSE_TORCH_MODEL(UNet, "fuse.models.unet", "1.4.0")

}  // namespace
}  // namespace fuse::models
