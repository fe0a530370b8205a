// EfficientNet's mobile inverted bottleneck (MBConv, Tan & Le 2019), in 2D and 3D: a 1x1 expansion, a
// depthwise 3x3 convolution (the stride, when there is one), squeeze-and-excitation over the channels and a
// 1x1 projection, with a residual connection when the shape is kept. Few parameters and operations per
// receptive field: FuseMedML's EfficientNet-UNet encoder is built of these.
#ifndef FUSE_PLUGINS_MODELS_TORCH_MBCONV_H_
#define FUSE_PLUGINS_MODELS_TORCH_MBCONV_H_

#include <algorithm>

#include "layers.h"

namespace fuse::models {

// A batch or instance norm of `c` channels.
template <int D>
torch::nn::AnyModule norm_layer(int64_t c, bool instance_norm) {
  if (instance_norm) return torch::nn::AnyModule(typename Layers<D>::InstanceNorm(torch::nn::InstanceNormOptions(c).affine(true)));
  return torch::nn::AnyModule(typename Layers<D>::BatchNorm(c));
}

template <int D>
struct MBConv : torch::nn::Module {
  MBConv(int64_t in, int64_t out, int64_t stride, int64_t expansion, bool instance_norm) : residual(stride == 1 && in == out) {
    const int64_t mid = in * expansion;
    if (expansion != 1) {
      expand->push_back(conv<D>(in, mid, 1));
      expand->push_back(norm_layer<D>(mid, instance_norm));
      expand->push_back(torch::nn::SiLU());
    }
    depthwise->push_back(typename Layers<D>::Conv(typename Layers<D>::ConvOptions(mid, mid, 3).stride(stride).padding(1).groups(mid).bias(false)));
    depthwise->push_back(norm_layer<D>(mid, instance_norm));
    depthwise->push_back(torch::nn::SiLU());
    // The excitation's bottleneck is a quarter of the block's input channels, as in EfficientNet.
    const int64_t squeezed = std::max<int64_t>(1, in / 4);
    excite->push_back(conv<D>(mid, squeezed, 1, 1, 0, true));
    excite->push_back(torch::nn::SiLU());
    excite->push_back(conv<D>(squeezed, mid, 1, 1, 0, true));
    excite->push_back(torch::nn::Sigmoid());
    project->push_back(conv<D>(mid, out, 1));
    project->push_back(norm_layer<D>(out, instance_norm));
    if (expansion != 1) register_module("expand", expand);
    register_module("depthwise", depthwise);
    register_module("excite", excite);
    register_module("project", project);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = expand->is_empty() ? x : expand->forward(x);
    h = depthwise->forward(h);
    std::vector<int64_t> spatial;
    for (int64_t d = 2; d < D + 2; ++d) spatial.push_back(d);
    h = h * excite->forward(h.mean(spatial, /*keepdim=*/true));
    h = project->forward(h);
    return residual ? h + x : h;
  }

  bool residual;
  torch::nn::Sequential expand, depthwise, excite, project;
};

}  // namespace fuse::models

#endif  // FUSE_PLUGINS_MODELS_TORCH_MBCONV_H_
