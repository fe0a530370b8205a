// Multiscale Vision Transformer for 2D and 3D images (MViTv2: Fan et al. 2021, Li et al. 2022): a strided
// convolution embeds overlapping patches, then stages of transformer blocks where the tokens form a pyramid.
// Each stage's first block pools the queries (stride 'q_stride'), which halves the grid, and doubles the width
// and the heads; keys and values are pooled more (stride 'kv_stride' at the first stage, divided by the queries'
// strides after), so attention stays affordable on large grids. Pooling is a depthwise convolution and a layer
// norm per head; the pooled queries are added back to the attention's output (residual pooling). Positions are
// learned for the patch grid of 'image_size' (absolute, not MViTv2's relative ones: simpler, and enough for
// inputs of one size). A classifier when 'num_classes' > 0; else a backbone whose outputs are the mean of the
// last stage's tokens and, optionally, those tokens as a feature map.
#include "layers.h"

namespace fuse::models {
namespace {

// Drops a block's residual branch for whole samples while training (stochastic depth), scaling the kept ones.
torch::Tensor drop_path(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  return x * torch::bernoulli(torch::full(shape, 1 - p, x.options())) / (1 - p);
}

// Tokens [batch * heads, tokens, head_dim] on a grid, pooled by a depthwise convolution (kernel 3 on every axis,
// 'stride') and normalised per token; returns the pooled tokens and their grid.
template <int D>
struct Pool : torch::nn::Module {
  Pool(int64_t head_dim, const std::vector<int64_t>& stride) {
    conv = register_module("conv", typename Layers<D>::Conv(typename Layers<D>::ConvOptions(head_dim, head_dim, 3)
                                                                .stride(torch::ExpandingArray<D>(stride))
                                                                .padding(1)
                                                                .groups(head_dim)
                                                                .bias(false)));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({head_dim})));
  }
  torch::Tensor forward(const torch::Tensor& x, const std::vector<int64_t>& grid, std::vector<int64_t>& out_grid) {
    std::vector<int64_t> shape{x.size(0), x.size(2)};
    shape.insert(shape.end(), grid.begin(), grid.end());
    const torch::Tensor y = conv->forward(x.transpose(1, 2).reshape(shape));
    out_grid = y.sizes().slice(2).vec();
    return norm->forward(y.flatten(2).transpose(1, 2));
  }
  typename Layers<D>::Conv conv{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};

template <int D>
struct PoolingAttention : torch::nn::Module {
  PoolingAttention(int64_t dim_in, int64_t dim_out, int64_t heads_, const std::vector<int64_t>& q_stride, const std::vector<int64_t>& kv_stride,
                   double dropout)
      : heads(heads_), head_dim(dim_out / heads_) {
    qkv = register_module("qkv", torch::nn::Linear(dim_in, 3 * dim_out));
    pool_q = register_module("pool_q", std::make_shared<Pool<D>>(head_dim, q_stride));
    pool_k = register_module("pool_k", std::make_shared<Pool<D>>(head_dim, kv_stride));
    pool_v = register_module("pool_v", std::make_shared<Pool<D>>(head_dim, kv_stride));
    proj = register_module("proj", torch::nn::Linear(dim_out, dim_out));
    drop = register_module("dropout", torch::nn::Dropout(dropout));
  }
  // x: [batch, tokens, dim_in] on `grid`; returns [batch, pooled tokens, dim_out] and sets `out_grid`.
  torch::Tensor forward(const torch::Tensor& x, const std::vector<int64_t>& grid, std::vector<int64_t>& out_grid) {
    const int64_t batch = x.size(0), tokens = x.size(1);
    // [3, batch * heads, tokens, head_dim]
    const torch::Tensor t = qkv->forward(x).reshape({batch, tokens, 3, heads, head_dim}).permute({2, 0, 3, 1, 4}).reshape({3, batch * heads, tokens, head_dim});
    std::vector<int64_t> kv_grid;
    const torch::Tensor q = pool_q->forward(t[0], grid, out_grid);
    const torch::Tensor k = pool_k->forward(t[1], grid, kv_grid);
    const torch::Tensor v = pool_v->forward(t[2], grid, kv_grid);
    const torch::Tensor attention = torch::softmax(torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(head_dim)), -1);
    const torch::Tensor y = torch::matmul(attention, v) + q;  // residual pooling
    const int64_t out_tokens = q.size(1);
    return drop->forward(proj->forward(y.reshape({batch, heads, out_tokens, head_dim}).transpose(1, 2).reshape({batch, out_tokens, heads * head_dim})));
  }
  int64_t heads, head_dim;
  torch::nn::Linear qkv{nullptr}, proj{nullptr};
  std::shared_ptr<Pool<D>> pool_q, pool_k, pool_v;
  torch::nn::Dropout drop{nullptr};
};

// A pre-norm block. When it changes the width or pools the queries, the shortcut follows: a linear map of the
// normalised tokens to the new width, max-pooled as the queries are.
template <int D>
struct MultiscaleBlock : torch::nn::Module {
  MultiscaleBlock(int64_t dim_in, int64_t dim_out, int64_t heads, const std::vector<int64_t>& q_stride, const std::vector<int64_t>& kv_stride,
                  double mlp_ratio, double dropout, double drop_path_)
      : drop_path_p(drop_path_) {
    norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim_in})));
    attention = register_module("attention", std::make_shared<PoolingAttention<D>>(dim_in, dim_out, heads, q_stride, kv_stride, dropout));
    norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim_out})));
    const int64_t hidden = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(dim_out) * mlp_ratio));
    mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(dim_out, hidden), torch::nn::GELU(), torch::nn::Dropout(dropout),
                                                        torch::nn::Linear(hidden, dim_out), torch::nn::Dropout(dropout)));
    if (dim_in != dim_out) shortcut = register_module("shortcut", torch::nn::Linear(dim_in, dim_out));
    for (int64_t s : q_stride) pooled = pooled || s > 1;
    if (pooled) {  // the pooled queries' geometry (kernel 3, padding 1 along a strided axis), so the grids agree
      std::vector<int64_t> kernel, padding;
      for (int64_t s : q_stride) kernel.push_back(s > 1 ? 3 : 1), padding.push_back(s > 1 ? 1 : 0);
      skip_pool = register_module("skip_pool", typename Layers<D>::MaxPool(typename Layers<D>::MaxPoolOptions(torch::ExpandingArray<D>(kernel))
                                                                               .stride(torch::ExpandingArray<D>(q_stride))
                                                                               .padding(torch::ExpandingArray<D>(padding))));
    }
  }
  torch::Tensor forward(const torch::Tensor& x, std::vector<int64_t>& grid) {
    const torch::Tensor normed = norm1->forward(x);
    std::vector<int64_t> out_grid;
    const torch::Tensor attended = attention->forward(normed, grid, out_grid);
    torch::Tensor skip = shortcut ? shortcut->forward(normed) : x;
    if (pooled) {
      std::vector<int64_t> shape{skip.size(0), skip.size(2)};
      shape.insert(shape.end(), grid.begin(), grid.end());
      skip = skip_pool->forward(skip.transpose(1, 2).reshape(shape)).flatten(2).transpose(1, 2);
    }
    grid = out_grid;
    const torch::Tensor y = skip + drop_path(attended, drop_path_p, is_training());
    return y + drop_path(mlp->forward(norm2->forward(y)), drop_path_p, is_training());
  }
  double drop_path_p;
  bool pooled = false;
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  std::shared_ptr<PoolingAttention<D>> attention;
  torch::nn::Sequential mlp{nullptr};
  torch::nn::Linear shortcut{nullptr};
  typename Layers<D>::MaxPool skip_pool{nullptr};
};

struct MvitOptions {
  int64_t in_channels = 1, embed_dim = 96, heads = 1, classes = 0;
  std::vector<int64_t> image_size, patch_kernel, patch_stride, q_stride, kv_stride, depths;
  double mlp_ratio = 4, dropout = 0, drop_path = 0;
  size_t outputs = 1;
};

template <int D>
struct MvitImpl : torch::nn::Module {
  explicit MvitImpl(const MvitOptions& o) : image_size(o.image_size), num_classes(o.classes), outputs(o.outputs) {
    if (o.depths.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'depths' needs at least one stage (blocks per stage, e.g. [1, 2, 5, 2])");
    for (int64_t d : o.depths)
      if (d < 1) fail(FM_ERR_INVALID_ARGUMENT, "'depths' must be at least 1 block per stage, got " + std::to_string(d));
    if (o.embed_dim % o.heads != 0)
      fail(FM_ERR_INVALID_ARGUMENT, "'embed_dim' (" + std::to_string(o.embed_dim) + ") must be a multiple of 'heads' (" + std::to_string(o.heads) + ")");
    std::vector<int64_t> padding;
    for (int a = 0; a < D; ++a) {
      padding.push_back(o.patch_kernel[a] / 2);
      grid.push_back((image_size[a] + 2 * padding.back() - o.patch_kernel[a]) / o.patch_stride[a] + 1);
    }
    embed = register_module("embed", typename Layers<D>::Conv(typename Layers<D>::ConvOptions(o.in_channels, o.embed_dim, torch::ExpandingArray<D>(o.patch_kernel))
                                                                  .stride(torch::ExpandingArray<D>(o.patch_stride))
                                                                  .padding(torch::ExpandingArray<D>(padding))));
    int64_t tokens = 1;
    for (int64_t g : grid) tokens *= g;
    positions = register_parameter("positions", torch::randn({1, tokens, o.embed_dim}) * 0.02);
    int64_t blocks_total = 0;
    for (int64_t d : o.depths) blocks_total += d;
    int64_t dim = o.embed_dim, heads = o.heads, index = 0;
    std::vector<int64_t> kv_stride = o.kv_stride;
    const std::vector<int64_t> no_stride(D, 1);
    for (size_t stage = 0; stage < o.depths.size(); ++stage)
      for (int64_t b = 0; b < o.depths[stage]; ++b, ++index) {
        const bool transition = stage > 0 && b == 0;
        if (transition)
          for (int a = 0; a < D; ++a) kv_stride[a] = std::max<int64_t>(1, kv_stride[a] / o.q_stride[a]);
        const int64_t dim_out = transition ? 2 * dim : dim, heads_out = transition ? 2 * heads : heads;
        // Stochastic depth grows linearly to 'drop_path' at the last block.
        const double p = blocks_total > 1 ? o.drop_path * static_cast<double>(index) / static_cast<double>(blocks_total - 1) : o.drop_path;
        blocks.push_back(register_module("block" + std::to_string(index),
                                         std::make_shared<MultiscaleBlock<D>>(dim, dim_out, heads_out, transition ? o.q_stride : no_stride, kv_stride,
                                                                              o.mlp_ratio, o.dropout, p)));
        dim = dim_out, heads = heads_out;
      }
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
    drop = register_module("dropout", torch::nn::Dropout(o.dropout));
    if (o.classes > 0) head = register_module("head", torch::nn::Linear(dim, o.classes));
  }

  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) {
    const char* what = D == 2 ? "a 2D MViT" : "a 3D MViT";
    expect_rank(in[0], D + 2, what);
    if (!in[0].sizes().slice(2).equals(image_size))
      fail(FM_ERR_SHAPE, std::string(what) + " built for 'image_size' " + xyz_text(image_size) + " (x first) got an image of " +
                             xyz_text(in[0].sizes().slice(2).vec()) + "; crop or resize to that size, or use sliding windows of it");
    const int64_t batch = in[0].size(0);
    torch::Tensor x = embed->forward(in[0]).flatten(2).transpose(1, 2) + positions;  // [batch, tokens, embed_dim], z-major
    std::vector<int64_t> at = grid;
    for (auto& block : blocks) x = block->forward(x, at);
    x = norm->forward(x);
    const torch::Tensor pooled = x.mean(1);
    if (num_classes > 0) return with_probabilities(head->forward(drop->forward(pooled)), outputs);
    std::vector<torch::Tensor> out{pooled};
    if (outputs > 1) {  // the last stage's tokens as a feature map [batch, dim, grid...]
      std::vector<int64_t> shape{batch, x.size(2)};
      shape.insert(shape.end(), at.begin(), at.end());
      out.push_back(x.transpose(1, 2).reshape(shape));
    }
    return out;
  }

  std::vector<int64_t> image_size, grid;
  int64_t num_classes;
  size_t outputs;
  typename Layers<D>::Conv embed{nullptr};
  torch::Tensor positions;
  std::vector<std::shared_ptr<MultiscaleBlock<D>>> blocks;
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear head{nullptr};
};

struct Mvit : torch::nn::Module {
  explicit Mvit(const DictView& c) {
    const int dims = static_cast<int>(c.get_int("dims"));
    MvitOptions o;
    o.in_channels = data_size(c, "in_channels");
    o.image_size = tensor_order(data_sizes(c, "image_size"), dims, "image_size");
    o.patch_kernel = tensor_order(c.get_ints("patch_kernel"), dims, "patch_kernel");
    o.patch_stride = tensor_order(c.get_ints("patch_stride"), dims, "patch_stride");
    o.q_stride = tensor_order(c.get_ints("q_stride"), dims, "q_stride");
    o.kv_stride = tensor_order(c.get_ints("kv_stride"), dims, "kv_stride");
    o.embed_dim = c.get_int("embed_dim");
    o.depths = c.get_ints("depths");
    o.heads = c.get_int("heads");
    o.mlp_ratio = c.get_double("mlp_ratio");
    o.dropout = c.get_double("dropout");
    o.drop_path = c.get_double("drop_path");
    o.classes = c.get_int("num_classes");
    o.outputs = c.get_strings("outputs").size();
    body = make_body<MvitImpl>(dims, o);
    register_module("mvit", body.module);
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return body.run(in); }
  Body body;
};
FUSE_TORCH_MODEL(Mvit, "fuse.models.mvit", "1.2.0")

}  // namespace
}  // namespace fuse::models
