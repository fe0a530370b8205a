// Layers by number of spatial dimensions, so each network is written once for 2D and 3D.
#ifndef FUSE_PLUGINS_MODELS_TORCH_LAYERS_H_
#define FUSE_PLUGINS_MODELS_TORCH_LAYERS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fuse_sdk/torch.hpp"

namespace fuse::models {

using sdk::DictView;
using sdk::fail;

// A size the host takes from the data when the experiment leaves it out (the manifest's "sizes"); a config
// that reaches the model without it (built without data) is refused with the remedy.
inline void require_data_size(const DictView& c, const std::string& field) {
  if (c.is_unset(field))
    fail(FM_ERR_INVALID_ARGUMENT, "'" + field + "' is not set: `fuse run` takes it from a training batch when the experiment leaves it out; give it to build "
                                  "the model without data");
}
inline int64_t data_size(const DictView& c, const std::string& field) {
  require_data_size(c, field);
  return c.get_int(field);
}
// The same for a list of sizes (a ViT's image_size: the input's spatial sizes, x first).
inline std::vector<int64_t> data_sizes(const DictView& c, const std::string& field) {
  require_data_size(c, field);
  return c.get_ints(field);
}

template <int D>
struct Layers;

template <>
struct Layers<1> {
  using Conv = torch::nn::Conv1d;
  using ConvOptions = torch::nn::Conv1dOptions;
  using ConvTranspose = torch::nn::ConvTranspose1d;
  using ConvTransposeOptions = torch::nn::ConvTranspose1dOptions;
  using BatchNorm = torch::nn::BatchNorm1d;
  using InstanceNorm = torch::nn::InstanceNorm1d;
  using MaxPool = torch::nn::MaxPool1d;
  using MaxPoolOptions = torch::nn::MaxPool1dOptions;
  using AvgPool = torch::nn::AdaptiveAvgPool1d;
  using MaxPoolGlobal = torch::nn::AdaptiveMaxPool1d;
  using Dropout = torch::nn::Dropout;
};

template <>
struct Layers<2> {
  using Conv = torch::nn::Conv2d;
  using ConvOptions = torch::nn::Conv2dOptions;
  using ConvTranspose = torch::nn::ConvTranspose2d;
  using ConvTransposeOptions = torch::nn::ConvTranspose2dOptions;
  using BatchNorm = torch::nn::BatchNorm2d;
  using InstanceNorm = torch::nn::InstanceNorm2d;
  using MaxPool = torch::nn::MaxPool2d;
  using MaxPoolOptions = torch::nn::MaxPool2dOptions;
  using AvgPool = torch::nn::AdaptiveAvgPool2d;
  using MaxPoolGlobal = torch::nn::AdaptiveMaxPool2d;
  using Dropout = torch::nn::Dropout2d;
};

template <>
struct Layers<3> {
  using Conv = torch::nn::Conv3d;
  using ConvOptions = torch::nn::Conv3dOptions;
  using ConvTranspose = torch::nn::ConvTranspose3d;
  using ConvTransposeOptions = torch::nn::ConvTranspose3dOptions;
  using BatchNorm = torch::nn::BatchNorm3d;
  using InstanceNorm = torch::nn::InstanceNorm3d;
  using MaxPool = torch::nn::MaxPool3d;
  using MaxPoolOptions = torch::nn::MaxPool3dOptions;
  using AvgPool = torch::nn::AdaptiveAvgPool3d;
  using MaxPoolGlobal = torch::nn::AdaptiveMaxPool3d;
  using Dropout = torch::nn::Dropout3d;
};

// A convolution without bias (a norm follows).
template <int D>
typename Layers<D>::Conv conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = -1, bool bias = false) {
  return typename Layers<D>::Conv(
      typename Layers<D>::ConvOptions(in, out, kernel).stride(stride).padding(padding < 0 ? kernel / 2 : padding).bias(bias));
}

// A strided 1x1 convolution (a residual shortcut that downsamples) computed as a subsampling, then a stride-1
// 1x1 convolution: the same arithmetic. LibTorch 1.13's oneDNN crashes (writes out of bounds) in the backward of
// a 2D strided 1x1 convolution of a channels-last input with 2 to 15 channels, e.g. a CNN's first shortcut on
// RGB photographs; this form avoids that kernel, and skips the outputs a stride drops. The parameter is named
// as a convolution's ("weight") and drawn alike, so checkpoints and initial weights are unchanged. 3D keeps the
// plain convolution (not affected).
template <int D>
struct SubsampledPointwiseImpl : torch::nn::Module {
  SubsampledPointwiseImpl(int64_t in, int64_t out, int64_t stride_) : stride(stride_) {
    typename Layers<D>::Conv drawn(typename Layers<D>::ConvOptions(in, out, 1).bias(false));
    weight = register_parameter("weight", drawn->weight.detach().clone());
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor s = x;
    for (int64_t axis = 2; axis < x.dim(); ++axis) s = s.slice(axis, 0, c10::nullopt, stride);
    return torch::conv2d(s, weight);
  }
  int64_t stride;
  torch::Tensor weight;
};

// A 1x1 convolution without bias (a shortcut; a norm follows), with a stride.
template <int D>
torch::nn::AnyModule pointwise(int64_t in, int64_t out, int64_t stride) {
  if constexpr (D == 2) {
    if (stride > 1) return torch::nn::AnyModule(std::make_shared<SubsampledPointwiseImpl<D>>(in, out, stride));
  }
  return torch::nn::AnyModule(conv<D>(in, out, 1, stride, 0));
}

// A shortcut that changes channels or resolution: a strided 1x1 convolution and a batch norm.
template <int D>
torch::nn::Sequential projection(int64_t in, int64_t out, int64_t stride) {
  torch::nn::Sequential s;
  s->push_back(pointwise<D>(in, out, stride));
  s->push_back(typename Layers<D>::BatchNorm(out));
  return s;
}

// A network whose body is chosen at run time by the config's "dims": the body is a Dims-templated module,
// called through `run`.
struct Body {
  std::shared_ptr<torch::nn::Module> module;
  std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>&)> run;
};

template <template <int> class Impl, class... Args>
Body make_body(int dims, Args&&... args) {
  Body b;
  auto make = [&](auto tag) {
    constexpr int D = decltype(tag)::value;
    auto m = std::make_shared<Impl<D>>(args...);
    // Channels-last: oneDNN's convolutions, batch norms and pools are ~20% faster on CPU in this layout than on
    // row-major tensors. Weights are stored so (the host's views carry their strides); image inputs are
    // converted on the way in and image outputs back to row-major on the way out.
    constexpr auto format = D == 2 ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::ChannelsLast3d;
    {
      torch::NoGradGuard no_grad;
      for (torch::Tensor& p : m->parameters())
        if (p.dim() == D + 2) p.set_data(p.contiguous(format));
    }
    b.module = m;
    b.run = [m, format](const std::vector<torch::Tensor>& in) {
      std::vector<torch::Tensor> x;
      for (const torch::Tensor& t : in) x.push_back(t.dim() == D + 2 ? t.contiguous(format) : t);
      std::vector<torch::Tensor> out = m->forward(x);
      for (torch::Tensor& t : out) t = t.contiguous();
      return out;
    };
  };
  if (dims == 2) make(std::integral_constant<int, 2>{});
  else if (dims == 3) make(std::integral_constant<int, 3>{});
  else fail(FM_ERR_INVALID_ARGUMENT, "'dims' must be 2 or 3, got " + std::to_string(dims));
  return b;
}

// Sizes in a config are x first (as the crops' sizes); one number means every axis. Returned in tensor order
// (z, y, x); `name` is the config key, for the error.
inline std::vector<int64_t> tensor_order(std::vector<int64_t> xyz, int dims, const char* name) {
  if (xyz.size() == 1) xyz.assign(static_cast<size_t>(dims), xyz[0]);
  if (xyz.size() != static_cast<size_t>(dims))
    fail(FM_ERR_INVALID_ARGUMENT, std::string("'") + name + "' needs 1 or " + std::to_string(dims) + " sizes (x, y" + (dims == 3 ? ", z" : "") +
                                      "), got " + std::to_string(xyz.size()));
  return std::vector<int64_t>(xyz.rbegin(), xyz.rend());
}

// Sizes in tensor order written x first, as the config gives them: "[16, 12, 8]".
inline std::string xyz_text(const std::vector<int64_t>& zyx) {
  std::string s = "[";
  for (size_t i = zyx.size(); i-- > 0;) s += std::to_string(zyx[i]) + (i ? ", " : "]");
  return s;
}

// Checks that an input has the batch, channel and spatial axes a network expects.
inline void expect_rank(const torch::Tensor& t, int64_t rank, const char* what) {
  if (t.dim() != rank)
    fail(FM_ERR_SHAPE, std::string(what) + " expects a tensor of " + std::to_string(rank) + " axes [batch, channels, ...], got " +
                           sdk::shape_text(t));
}

// The outputs of a classifier: logits, and class probabilities (softmax) when a second output key is given.
inline std::vector<torch::Tensor> with_probabilities(torch::Tensor logits, size_t outputs) {
  std::vector<torch::Tensor> out{logits};
  if (outputs > 1) out.push_back(torch::softmax(logits, 1));
  return out;
}

}  // namespace fuse::models

#endif  // FUSE_PLUGINS_MODELS_TORCH_LAYERS_H_
