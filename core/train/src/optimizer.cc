#include "fuse/train/optimizer.h"

#include <fnmatch.h>

#include <sstream>

#include <ATen/DLConvertor.h>
#include <torch/torch.h>

#include "fuse/base/error.h"
#include "torch_view.h"

namespace fuse::train {

namespace {

bool matches(const std::string& name, const std::vector<std::string>& patterns) {
  for (const std::string& p : patterns)
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

struct Optimizer::Impl {
  std::vector<torch::Tensor> params;  // every trainable, unfrozen parameter
  std::vector<std::string> frozen;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<double> base_lr;
  double rho = 0;
  std::vector<torch::Tensor> sam_steps;  // the SAM perturbation, to undo
};

Optimizer::Optimizer(std::vector<NamedParameter> parameters, const OptimizerSpec& spec, const std::vector<ParamGroupSpec>& groups,
                     const std::vector<std::string>& freeze)
    : impl_(std::make_unique<Impl>()) {
  if (!(spec.lr > 0)) throw Error(Errc::kConfig, "optimizer: 'lr' must be > 0");
  impl_->rho = spec.sam_rho;
  // Group 0 is the default; group i + 1 takes the parameters of groups[i] (the first matching group wins).
  std::vector<std::vector<torch::Tensor>> members(groups.size() + 1);
  std::vector<size_t> matched(groups.size(), 0);
  for (NamedParameter& p : parameters) {
    if (!p.parameter.trainable || p.parameter.grad == nullptr) continue;
    if (matches(p.name, freeze)) {
      impl_->frozen.push_back(p.name);
      continue;
    }
    torch::Tensor value = parameter_view(*p.parameter.value);
    value.mutable_grad() = parameter_view(*p.parameter.grad);
    size_t g = 0;
    for (size_t i = 0; i < groups.size() && g == 0; ++i)
      if (matches(p.name, groups[i].patterns)) g = i + 1, ++matched[i];
    members[g].push_back(value);
    impl_->params.push_back(value);
  }
  for (size_t i = 0; i < groups.size(); ++i)
    if (matched[i] == 0 && !groups[i].patterns.empty())
      throw Error(Errc::kConfig, "optimizer: parameter group " + std::to_string(i + 1) + " (" + groups[i].patterns[0] + ") matches no trainable parameter");
  if (impl_->params.empty()) throw Error(Errc::kConfig, "optimizer: nothing to train (every parameter is frozen or not trainable)");
  auto group_lr = [&](size_t g) { return g == 0 || !groups[g - 1].lr ? spec.lr : *groups[g - 1].lr; };
  auto group_wd = [&](size_t g) { return g == 0 || !groups[g - 1].weight_decay ? spec.weight_decay : *groups[g - 1].weight_decay; };
  std::vector<torch::optim::OptimizerParamGroup> torch_groups;
  for (size_t g = 0; g < members.size(); ++g) {
    if (members[g].empty()) continue;
    std::unique_ptr<torch::optim::OptimizerOptions> o;
    if (spec.name == "sgd")
      o = std::make_unique<torch::optim::SGDOptions>(
          torch::optim::SGDOptions(group_lr(g)).momentum(spec.momentum).nesterov(spec.nesterov).weight_decay(group_wd(g)));
    else if (spec.name == "adam")
      o = std::make_unique<torch::optim::AdamOptions>(
          torch::optim::AdamOptions(group_lr(g)).betas({spec.betas[0], spec.betas[1]}).weight_decay(group_wd(g)));
    else if (spec.name == "adamw")
      o = std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(group_lr(g)).betas({spec.betas[0], spec.betas[1]}).weight_decay(group_wd(g)));
    else
      throw Error(Errc::kConfig, "optimizer: unknown name '" + spec.name + "' (sgd, adam, adamw; SAM is 'sam_rho' > 0 on any of them)");
    torch_groups.emplace_back(members[g], std::move(o));
    impl_->base_lr.push_back(group_lr(g));
  }
  if (spec.name == "sgd") impl_->optimizer = std::make_unique<torch::optim::SGD>(torch_groups, torch::optim::SGDOptions(spec.lr));
  else if (spec.name == "adam") impl_->optimizer = std::make_unique<torch::optim::Adam>(torch_groups, torch::optim::AdamOptions(spec.lr));
  else impl_->optimizer = std::make_unique<torch::optim::AdamW>(torch_groups, torch::optim::AdamWOptions(spec.lr));
}

Optimizer::~Optimizer() = default;

void Optimizer::step() {
  torch::NoGradGuard no_grad;
  impl_->optimizer->step();
}

double Optimizer::set_lr_factor(double factor) {
  auto& groups = impl_->optimizer->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(impl_->base_lr[g] * factor);
  return impl_->base_lr[0] * factor;
}

double Optimizer::lr() const { return impl_->optimizer->param_groups()[0].options().get_lr(); }

void Optimizer::set_momentum(double momentum) {
  for (torch::optim::OptimizerParamGroup& g : impl_->optimizer->param_groups()) {
    torch::optim::OptimizerOptions& o = g.options();
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&o)) sgd->momentum(momentum);
    else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&o)) adam->betas({momentum, std::get<1>(adam->betas())});
    else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&o)) adamw->betas({momentum, std::get<1>(adamw->betas())});
  }
}

double Optimizer::momentum() const {
  torch::optim::OptimizerOptions& o = impl_->optimizer->param_groups()[0].options();
  if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&o)) return sgd->momentum();
  if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&o)) return std::get<0>(adam->betas());
  return std::get<0>(dynamic_cast<torch::optim::AdamWOptions&>(o).betas());
}

double Optimizer::clip_grad_norm(double max_norm) {
  std::vector<torch::Tensor> params = impl_->params;
  return torch::nn::utils::clip_grad_norm_(params, max_norm);
}

bool Optimizer::sharpness_aware() const { return impl_->rho > 0; }

void Optimizer::sam_ascend() {
  torch::NoGradGuard no_grad;
  double norm = 0;
  for (const torch::Tensor& p : impl_->params) norm += p.grad().pow(2).sum().item<double>();
  norm = std::sqrt(norm) + 1e-12;
  impl_->sam_steps.clear();
  for (torch::Tensor& p : impl_->params) {
    torch::Tensor e = p.grad() * (impl_->rho / norm);
    p.add_(e);
    impl_->sam_steps.push_back(e);
  }
}

void Optimizer::sam_restore() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < impl_->sam_steps.size(); ++i) impl_->params[i].sub_(impl_->sam_steps[i]);
  impl_->sam_steps.clear();
}

bool Optimizer::gradients_finite() const {
  for (const torch::Tensor& p : impl_->params)
    if (!torch::isfinite(p.grad()).all().item<bool>()) return false;
  return true;
}

size_t Optimizer::trainable() const { return impl_->params.size(); }
std::vector<std::string> Optimizer::frozen() const { return impl_->frozen; }

std::string Optimizer::save_state() const {
  std::ostringstream out;
  torch::serialize::OutputArchive archive;
  impl_->optimizer->save(archive);
  archive.save_to(out);
  return out.str();
}

void Optimizer::load_state(const std::string& bytes) {
  std::istringstream in(bytes);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(in);
    impl_->optimizer->load(archive);
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    throw Error(Errc::kInvalidArgument, "the optimiser state does not fit this model's parameters: " + what.substr(0, what.find('\n')));
  }
}

}  // namespace fuse::train
