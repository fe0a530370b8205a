// Model and loss components written with LibTorch: autograd inside the plugin, DLPack at the edge.
//
//   struct Net : torch::nn::Module {
//     explicit Net(const fuse::sdk::DictView& config) { fc = register_module("fc", torch::nn::Linear(4, 2)); }
//     std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& in) { return {fc->forward(in[0])}; }
//     torch::nn::Linear fc{nullptr};
//   };
//   FUSE_TORCH_MODEL(Net, "my.net", "1.0.0")
//
// The model's config has "inputs" and "outputs" (key[]): forward receives the tensors under "inputs" in that
// order (integer tensors as float32) and its results are written under "outputs" (FuseMedML's
// ModelWrapSeqToDict); an int "seed" sets the initial weights. Dropout draws from the call's seed. A network
// with a member `std::vector<std::string> training_outputs` returns, in training only, one more tensor per key
// there, after the "outputs" (e.g. deep supervision's lower-resolution logits); its manifest lists them as
// optional writes. Include this header only in plugins that link LibTorch.
#ifndef FUSE_SDK_TORCH_HPP_
#define FUSE_SDK_TORCH_HPP_

#include <ATen/DLConvertor.h>
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fuse_sdk/plugin.hpp"

namespace fuse::sdk {

// A host tensor as an ATen tensor sharing its memory (the host buffer stays alive while ATen holds it).
inline torch::Tensor to_torch(const DictView& d, const std::string& key) {
  Tensor t = d.ref_tensor(key);
  return at::fromDLPack(t.release());
}

// An ATen tensor handed to the host without a copy (made contiguous first when it is not).
inline Tensor from_torch(const torch::Tensor& t) { return Tensor(at::toDLPack(t.detach().contiguous())); }

// CUDA autocast on or off. LibTorch 2.4 names the device (and deprecates the call without one).
inline void set_cuda_autocast(bool enabled) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  at::autocast::set_autocast_enabled(at::kCUDA, enabled);
#else
  at::autocast::set_enabled(enabled);
#endif
}

// The first line of a LibTorch message (the rest is often its C++ source location).
inline std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

inline DLDataType dl_dtype(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return kFloat32;
    case torch::kFloat64: return kFloat64;
    case torch::kFloat16: return kFloat16;
    case torch::kBFloat16: return kBFloat16;
    case torch::kUInt8: return kUInt8;
    case torch::kInt8: return kInt8;
    case torch::kInt16: return kInt16;
    case torch::kInt32: return kInt32;
    case torch::kInt64: return kInt64;
    default: fail(FM_ERR_TYPE, std::string("unsupported tensor type ") + c10::toString(t));
  }
}

inline DLDevice dl_device(const torch::Device& d) {
  return DLDevice{d.is_cuda() ? kDLCUDA : kDLCPU, d.is_cuda() ? static_cast<int32_t>(d.index() < 0 ? 0 : d.index()) : 0};
}

inline std::string shape_text(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

namespace detail {

// Net::training_outputs, when the network has one (see the top of this file).
template <class Net, class = void>
struct HasTrainingOutputs : std::false_type {};
template <class Net>
struct HasTrainingOutputs<Net, std::void_t<decltype(std::declval<Net&>().training_outputs)>> : std::true_type {};
template <class Net>
std::vector<std::string> training_outputs_of(const Net& net) {
  if constexpr (HasTrainingOutputs<Net>::value) return net.training_outputs;
  else return {};
}

// The state format: "FTM1", the entry count, then per entry its name, dtype, shape and bytes.
inline void put_u64(Writer& w, uint64_t v) { w.write(&v, sizeof v); }
inline void put_str(Writer& w, const std::string& s) {
  put_u64(w, s.size());
  w.write(s.data(), s.size());
}

struct Reader {
  const char* p;
  const char* end;
  uint64_t u64() {
    if (end - p < 8) fail(FM_ERR_INVALID_ARGUMENT, "the model state is cut short");
    uint64_t v;
    std::memcpy(&v, p, 8);
    p += 8;
    return v;
  }
  std::string str() {
    const uint64_t n = u64();
    if (static_cast<uint64_t>(end - p) < n) fail(FM_ERR_INVALID_ARGUMENT, "the model state is cut short");
    std::string s(p, n);
    p += n;
    return s;
  }
};

}  // namespace detail

// The model protocol over a torch::nn::Module `Net` (see the top of this file).
template <class Net>
class TorchModel {
 public:
  explicit TorchModel(const DictView& config)
      : inputs_(config.get_strings("inputs")), outputs_(config.get_strings("outputs")), net_(make_net(config)) {
    if (inputs_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'inputs' names no key");
    if (outputs_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'outputs' names no key");
    training_keys_ = outputs_;
    for (const std::string& k : detail::training_outputs_of(*net_)) training_keys_.push_back(k);
    net_->eval();
    allocate_grads();
  }

  void forward(Dict& batch, const Call& call) {
    // Randomness inside the model (dropout) is a function of the call's seed: results do not depend on what
    // ran before, and a resumed run repeats an uninterrupted one.
    torch::manual_seed(call.seed());
    const bool training = call.training();
    net_->train(training);
    torch::AutoGradMode grad_mode(training);
    Saved saved;
    for (const std::string& key : inputs_) {
      torch::Tensor t = to_torch(batch, key);
      if (!t.is_floating_point()) t = t.to(torch::kFloat32);
      if (t.device() != device_) t = t.to(device_);
      if (training && call.input_grads()) t = t.detach().requires_grad_(true);
      saved.inputs.push_back(t);
    }
    {
      const bool autocast = call.mixed_precision() && device_.is_cuda();
      set_cuda_autocast(autocast);
      try {
        saved.outputs = net_->forward(saved.inputs);
      } catch (const c10::Error& e) {
        set_cuda_autocast(false);
        fail(FM_ERR_SHAPE, "the network cannot take its inputs (" + describe_inputs(saved.inputs) + "): " + first_line(e.what_without_backtrace()));
      }
      set_cuda_autocast(false);
      if (autocast)
        for (torch::Tensor& o : saved.outputs)
          if (o.is_floating_point() && o.scalar_type() != torch::kFloat32) o = o.to(torch::kFloat32);
    }
    const std::vector<std::string>& keys = training ? training_keys_ : outputs_;
    if (saved.outputs.size() != keys.size())
      fail(FM_ERR_INTERNAL, "the network returned " + std::to_string(saved.outputs.size()) + " tensors for " + std::to_string(keys.size()) +
                                " output keys" + (training ? " in training" : ""));
    for (size_t i = 0; i < keys.size(); ++i) batch.set_tensor(keys[i], from_torch(saved.outputs[i]));
    if (training && torch::GradMode::is_enabled()) stack_.push_back(std::move(saved));
  }

  void backward(const DictView& output_grads, Dict& input_grads, const Call&) {
    if (stack_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "backward without a forward in training mode to go back through");
    Saved saved = std::move(stack_.back());
    stack_.pop_back();
    std::vector<torch::Tensor> outs, grads;
    for (size_t i = 0; i < saved.outputs.size(); ++i) {
      const std::string& key = training_keys_[i];
      if (!output_grads.has(key)) continue;
      torch::Tensor g = to_torch(output_grads, key);
      if (!g.sizes().equals(saved.outputs[i].sizes()))
        fail(FM_ERR_SHAPE, "the gradient of '" + key + "' has shape " + shape_text(g) + " but the output has shape " + shape_text(saved.outputs[i]));
      if (!saved.outputs[i].requires_grad()) continue;  // an output no parameter led to (e.g. argmax)
      outs.push_back(saved.outputs[i]);
      grads.push_back(g.to(saved.outputs[i].device(), saved.outputs[i].scalar_type()));
    }
    if (outs.empty()) {
      std::string keys;
      for (const std::string& k : training_keys_) keys += (keys.empty() ? "" : ", ") + k;
      fail(FM_ERR_KEY_NOT_FOUND, "backward got no gradient for any output (" + keys + ")");
    }
    try {
      torch::autograd::backward(outs, grads);
    } catch (const c10::Error& e) {
      fail(FM_ERR_INTERNAL, std::string("backward failed: ") + first_line(e.what_without_backtrace()));
    }
    keep_grads_in_place();
    for (size_t i = 0; i < inputs_.size(); ++i)
      if (saved.inputs[i].requires_grad() && saved.inputs[i].grad().defined())
        input_grads.set_tensor(inputs_[i], from_torch(saved.inputs[i].grad()));
  }

  std::vector<fm_param_v1> parameters() {
    refresh_views();
    return table_;
  }

  void zero_grad() {
    torch::NoGradGuard no_grad;
    for (torch::Tensor& g : grads_) g.zero_();
  }

  void set_training(bool training) {
    net_->train(training);
    if (!training) stack_.clear();
  }

  void to_device(DLDevice device) {
    if (device.device_type == kDLCPU) {
      device_ = torch::Device(torch::kCPU);
    } else if (device.device_type == kDLCUDA) {
      if (!torch::cuda::is_available()) fail(FM_ERR_UNSUPPORTED, "CUDA is not available to this plugin's LibTorch");
      device_ = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device.device_id));
    } else {
      fail(FM_ERR_UNSUPPORTED, "device type " + std::to_string(device.device_type) + " is not supported (CPU or CUDA)");
    }
    net_->to(device_);
    stack_.clear();
    allocate_grads();
  }

  void save(Writer& w) const {
    w.write("FTM1", 4);
    const auto entries = state_entries();
    detail::put_u64(w, entries.size());
    for (const auto& [name, t] : entries) {
      const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
      detail::put_str(w, name);
      detail::put_str(w, c10::toString(c.scalar_type()));
      detail::put_u64(w, static_cast<uint64_t>(c.dim()));
      for (int64_t d = 0; d < c.dim(); ++d) detail::put_u64(w, static_cast<uint64_t>(c.size(d)));
      detail::put_u64(w, c.nbytes());
      w.write(c.data_ptr(), c.nbytes());
    }
  }

  // Refuses a state of another architecture, naming the parameters that differ.
  void load(const void* data, size_t size) {
    detail::Reader r{static_cast<const char*>(data), static_cast<const char*>(data) + size};
    if (size < 4 || std::memcmp(data, "FTM1", 4) != 0) fail(FM_ERR_INVALID_ARGUMENT, "not a LibTorch model state (no FTM1 header)");
    r.p += 4;
    struct Entry {
      std::string dtype;
      std::vector<int64_t> shape;
      const char* bytes;
      uint64_t size;
    };
    std::map<std::string, Entry> stored;
    for (uint64_t n = r.u64(), i = 0; i < n; ++i) {
      Entry e;
      const std::string name = r.str();
      e.dtype = r.str();
      for (uint64_t dims = r.u64(), d = 0; d < dims; ++d) e.shape.push_back(static_cast<int64_t>(r.u64()));
      e.size = r.u64();
      if (static_cast<uint64_t>(r.end - r.p) < e.size) fail(FM_ERR_INVALID_ARGUMENT, "the model state is cut short");
      e.bytes = r.p;
      r.p += e.size;
      stored.emplace(name, std::move(e));
    }
    const auto entries = state_entries();
    std::vector<std::string> missing, unexpected, different;
    std::set<std::string> mine;
    for (const auto& [name, t] : entries) {
      mine.insert(name);
      auto it = stored.find(name);
      if (it == stored.end()) missing.push_back(name);
      else if (!t.sizes().equals(it->second.shape) || it->second.dtype != c10::toString(t.scalar_type()))
        different.push_back(name + " " + shape_text(t) + " vs " + shape_of(it->second.shape));
    }
    for (const auto& [name, e] : stored)
      if (!mine.count(name)) unexpected.push_back(name);
    if (!missing.empty() || !unexpected.empty() || !different.empty())
      fail(FM_ERR_INVALID_ARGUMENT, "the state is of another model:" + list(" missing", missing) + list(" unexpected", unexpected) +
                                        list(" different shape or type", different));
    torch::NoGradGuard no_grad;
    for (const auto& [name, t] : entries) {
      const Entry& e = stored.at(name);
      torch::Tensor source = torch::from_blob(const_cast<char*>(e.bytes), e.shape, torch::TensorOptions().dtype(t.scalar_type()));
      torch::Tensor target = t;
      target.copy_(source);
    }
    stack_.clear();
  }

  Net& net() { return *net_; }

 private:
  // The initial weights are a function of the config's "seed" (0 when it has none).
  static std::shared_ptr<Net> make_net(const DictView& config) {
    torch::manual_seed(config.has("seed") ? static_cast<uint64_t>(config.get_int("seed")) : 0);
    return std::make_shared<Net>(config);
  }

  struct Saved {
    std::vector<torch::Tensor> inputs, outputs;
  };

  std::string describe_inputs(const std::vector<torch::Tensor>& in) const {
    std::string out;
    for (size_t i = 0; i < in.size(); ++i) out += (i ? ", " : "") + inputs_[i] + " " + shape_text(in[i]);
    return out;
  }

  static std::string shape_of(const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  }
  static std::string list(const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return "";
    std::string out = std::string(what) + ": ";
    for (size_t i = 0; i < names.size() && i < 8; ++i) out += (i ? ", " : "") + names[i];
    if (names.size() > 8) out += " and " + std::to_string(names.size() - 8) + " more";
    return out + ";";
  }

  // Parameters and buffers by name (what a state holds).
  std::vector<std::pair<std::string, torch::Tensor>> state_entries() const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : net_->named_parameters()) out.emplace_back(p.key(), p.value());
    for (const auto& b : net_->named_buffers()) out.emplace_back(b.key(), b.value());
    return out;
  }

  // Gradients live in buffers of their own whose memory never moves: the host holds views of them.
  void allocate_grads() {
    torch::NoGradGuard no_grad;
    grads_.clear();
    for (torch::Tensor& p : net_->parameters()) {
      if (!p.requires_grad()) continue;
      torch::Tensor g = torch::zeros_like(p);
      p.mutable_grad() = g;
      grads_.push_back(g);
    }
    refresh_views();
  }

  // Autograd may swap a gradient for a new tensor (out-of-place accumulation): copy it back into ours.
  void keep_grads_in_place() {
    torch::NoGradGuard no_grad;
    size_t i = 0;
    for (torch::Tensor& p : net_->parameters()) {
      if (!p.requires_grad()) continue;
      torch::Tensor& mine = grads_[i++];
      if (p.grad().defined() && p.grad().data_ptr() != mine.data_ptr()) {
        mine.copy_(p.grad());
        p.mutable_grad() = mine;
      }
    }
  }

  // A view of a dense tensor; strides are given when it is not row-major (e.g. channels-last weights).
  static DLTensor view_of(const torch::Tensor& t, std::vector<int64_t>& shape, std::vector<int64_t>& strides) {
    shape.assign(t.sizes().begin(), t.sizes().end());
    strides.assign(t.strides().begin(), t.strides().end());
    DLTensor d{};
    d.data = t.data_ptr();
    d.device = dl_device(t.device());
    d.ndim = static_cast<int32_t>(shape.size());
    d.dtype = dl_dtype(t.scalar_type());
    d.shape = shape.empty() ? nullptr : shape.data();
    d.strides = t.is_contiguous() || strides.empty() ? nullptr : strides.data();
    d.byte_offset = 0;
    return d;
  }

  void refresh_views() {
    const auto named_params = net_->named_parameters();
    const auto named_buffers = net_->named_buffers();
    const size_t n = named_params.size() + named_buffers.size();
    names_.assign(n, std::string());
    value_shapes_.assign(n, {});
    grad_shapes_.assign(n, {});
    value_strides_.assign(n, {});
    grad_strides_.assign(n, {});
    values_.assign(n, DLTensor{});
    grad_views_.assign(n, DLTensor{});
    table_.clear();
    size_t i = 0, g = 0;
    for (const auto& p : named_params) {
      names_[i] = p.key();
      values_[i] = view_of(p.value(), value_shapes_[i], value_strides_[i]);
      const bool trainable = p.value().requires_grad();
      if (trainable) grad_views_[i] = view_of(grads_[g++], grad_shapes_[i], grad_strides_[i]);
      ++i;
    }
    for (const auto& b : named_buffers) {
      names_[i] = b.key();
      values_[i] = view_of(b.value(), value_shapes_[i], value_strides_[i]);
      ++i;
    }
    for (size_t k = 0; k < n; ++k) {
      const bool trainable = k < named_params.size() && named_params[k].value().requires_grad();
      table_.push_back(fm_param_v1{sizeof(fm_param_v1), trainable ? 1u : 0u, names_[k].c_str(), &values_[k], trainable ? &grad_views_[k] : nullptr});
    }
  }

  std::vector<std::string> inputs_, outputs_;
  std::vector<std::string> training_keys_;  // the outputs, then the network's training outputs
  std::shared_ptr<Net> net_;
  torch::Device device_{torch::kCPU};
  std::vector<Saved> stack_;
  std::vector<torch::Tensor> grads_;
  std::vector<std::string> names_;
  std::vector<std::vector<int64_t>> value_shapes_, grad_shapes_, value_strides_, grad_strides_;
  std::vector<DLTensor> values_, grad_views_;
  std::vector<fm_param_v1> table_;
};

// A loss over LibTorch tensors. `Criterion` has a constructor from the config and
//   torch::Tensor compute(const std::vector<torch::Tensor>& predictions, const DictView& batch);
// returning a scalar; the adapter reads the config's "pred" key(s) (key or key[]), differentiates, and writes
// d(loss)/d(prediction) for the host.
template <class Criterion>
class TorchLoss {
 public:
  explicit TorchLoss(const DictView& config) : criterion_(config) {
    if (config.type("pred") == FM_VALUE_STRING) preds_.push_back(config.get_string("pred"));
    else preds_ = config.get_strings("pred");
    if (preds_.empty()) fail(FM_ERR_INVALID_ARGUMENT, "'pred' names no key");
  }

  double forward(const DictView& batch, Dict* grads, const Call&) {
    std::vector<torch::Tensor> preds;
    for (const std::string& key : preds_) {
      torch::Tensor t = to_torch(batch, key);
      if (!t.is_floating_point()) fail(FM_ERR_TYPE, "prediction '" + key + "' must be floating (logits or scores), got " + c10::toString(t.scalar_type()));
      preds.push_back(grads ? t.detach().to(torch::kFloat32).requires_grad_(true) : t.to(torch::kFloat32));
    }
    torch::AutoGradMode grad_mode(grads != nullptr);
    torch::Tensor value;
    try {
      value = criterion_.compute(preds, batch);
    } catch (const c10::Error& e) {
      fail(FM_ERR_SHAPE, first_line(e.what_without_backtrace()));
    }
    if (value.numel() != 1) fail(FM_ERR_INTERNAL, "the loss is not a single number (shape " + shape_text(value) + ")");
    const double v = value.item<double>();
    if (grads != nullptr) {
      value.backward();
      for (size_t i = 0; i < preds_.size(); ++i) {
        torch::Tensor g = preds[i].grad().defined() ? preds[i].grad() : torch::zeros_like(preds[i]);
        grads->set_tensor(preds_[i], from_torch(g));
      }
    }
    return v;
  }

 private:
  Criterion criterion_;
  std::vector<std::string> preds_;
};

}  // namespace fuse::sdk

#define FUSE_TORCH_MODEL(Net, id, version) FUSE_MODEL(::fuse::sdk::TorchModel<Net>, id, version)
#define FUSE_TORCH_LOSS(Criterion, id, version) FUSE_LOSS(::fuse::sdk::TorchLoss<Criterion>, id, version)

#endif  // FUSE_SDK_TORCH_HPP_
