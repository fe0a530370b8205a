// UNet for 2D and 3D segmentation (Ronneberger et al.): an encoder of double convolutions that halves the
// resolution per level, a decoder that upsamples and joins the encoder's features, and a 1x1 classifier.
// Odd sizes are handled: an upsampled map is resized to its skip connection. The encoder may instead be
// EfficientNet's (FuseMedML's EfficientNet-UNet): per level a strided MBConv block and a residual one.
#include "layers.h"
#include "mbconv.h"

namespace fuse::models {
namespace {

template <int D>
torch::nn::Sequential double_conv(int64_t in, int64_t out, bool instance_norm, double dropout) {
  auto norm = [&](int64_t c) { return norm_layer<D>(c, instance_norm); };
  torch::nn::Sequential s;
  s->push_back(conv<D>(in, out, 3));
  s->push_back(norm(out));
  s->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.01)));
  if (dropout > 0) s->push_back(typename Layers<D>::Dropout(dropout));
  s->push_back(conv<D>(out, out, 3));
  s->push_back(norm(out));
  s->push_back(torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.01)));
  return s;
}

// An EfficientNet encoder level: a 3x3 stem and a block without expansion at full resolution (level 0), else a
// block that halves the resolution and one that refines at the new one.
template <int D>
torch::nn::Sequential mbconv_level(size_t level, int64_t in, int64_t out, int64_t expansion, bool instance_norm, double dropout) {
  torch::nn::Sequential s;
  if (level == 0) {
    s->push_back(conv<D>(in, out, 3));
    s->push_back(norm_layer<D>(out, instance_norm));
    s->push_back(torch::nn::SiLU());
    s->push_back(std::make_shared<MBConv<D>>(out, out, 1, 1, instance_norm));
  } else {
    s->push_back(std::make_shared<MBConv<D>>(in, out, 2, expansion, instance_norm));
    s->push_back(std::make_shared<MBConv<D>>(out, out, 1, expansion, instance_norm));
  }
  if (dropout > 0) s->push_back(typename Layers<D>::Dropout(dropout));
  return s;
}

template <int D>
struct UNetImpl : torch::nn::Module {
  UNetImpl(int64_t in, int64_t classes, std::vector<int64_t> channels, bool instance_norm, double dropout, size_t outputs_, bool efficientnet,
           int64_t expansion)
      : outputs(outputs_), strided(efficientnet) {
    if (channels.size() < 2) fail(FM_ERR_INVALID_ARGUMENT, "'channels' needs at least 2 levels, got " + std::to_string(channels.size()));
    for (size_t l = 0; l < channels.size(); ++l) {
      const int64_t from = l == 0 ? in : channels[l - 1];
      const double level_dropout = l + 1 == channels.size() ? dropout : 0.0;
      down.push_back(register_module("down" + std::to_string(l), efficientnet ? mbconv_level<D>(l, from, channels[l], expansion, instance_norm, level_dropout)
                                                                              : double_conv<D>(from, channels[l], instance_norm, level_dropout)));
    }
    for (size_t l = channels.size() - 1; l > 0; --l) {
      up.push_back(register_module("up" + std::to_string(l), typename Layers<D>::ConvTranspose(typename Layers<D>::ConvTransposeOptions(channels[l], channels[l - 1], 2).stride(2))));
      merge.push_back(register_module("merge" + std::to_string(l), double_conv<D>(2 * channels[l - 1], channels[l - 1], instance_norm, 0.0)));
    }
    head = register_module("head", conv<D>(channels[0], classes, 1, 1, 0, true));
    pool = register_module("pool", typename Layers<D>::MaxPool(typename Layers<D>::MaxPoolOptions(2).stride(2)));
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    expect_rank(in[0], D + 2, D == 2 ? "a 2D UNet" : "a 3D UNet");
    std::vector<torch::Tensor> skips;
    torch::Tensor x = in[0];
    for (size_t l = 0; l < down.size(); ++l) {
      if (l > 0 && !strided) x = pool->forward(x);  // an EfficientNet level strides itself
      x = down[l]->forward(x);
      skips.push_back(x);
    }
    for (size_t i = 0; i < up.size(); ++i) {
      const torch::Tensor& skip = skips[skips.size() - 2 - i];
      x = up[i]->forward(x);
      if (!x.sizes().slice(2).equals(skip.sizes().slice(2)))
        x = torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>(skip.sizes().begin() + 2, skip.sizes().end()))
                                                      .mode(torch::kNearest));
      x = merge[i]->forward(torch::cat({x, skip}, 1));
    }
    return with_probabilities(head->forward(x), outputs);
  }
  size_t outputs;
  bool strided;
  std::vector<torch::nn::Sequential> down, merge;
  std::vector<typename Layers<D>::ConvTranspose> up;
  typename Layers<D>::Conv head{nullptr};
  typename Layers<D>::MaxPool pool{nullptr};
};

struct UNet : torch::nn::Module {
  explicit UNet(const DictView& c) {
    body = make_body<UNetImpl>(static_cast<int>(c.get_int("dims")), data_size(c, "in_channels"), c.get_int("num_classes"), c.get_ints("channels"),
                               c.get_string("norm") == "instance", c.get_double("dropout"), c.get_strings("outputs").size(),
                               c.get_string("encoder") == "efficientnet", c.get_int("expansion"));
    register_module("unet", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(UNet, "fuse.models.unet", "1.2.0")

}  // namespace
}  // namespace fuse::models
