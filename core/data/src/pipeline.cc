#include "fuse/data/pipeline.h"

#include <algorithm>

#include "fuse/base/error.h"
#include "fuse/data/seeds.h"
#include "fuse/hash/sha256.h"
#include "fuse/json/write.h"
#include "fuse_sdk/dtype.hpp"
#include "fuse_sdk/random.hpp"

namespace fuse::data {

namespace bj = boost::json;

struct Pipeline::Instance {
  size_t step;
  Op op;
};

namespace {

// JSON with object keys sorted: the same config always hashes the same.
std::string canonical(const bj::value& v) {
  if (v.is_object()) {
    std::vector<std::pair<std::string, const bj::value*>> members;
    for (const auto& m : v.as_object()) members.emplace_back(std::string(m.key()), &m.value());
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out = "{";
    for (size_t i = 0; i < members.size(); ++i)
      out += (i ? "," : "") + json::to_text(bj::value(members[i].first)) + ":" + canonical(*members[i].second);
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.as_array().size(); ++i) out += (i ? "," : "") + canonical(v.as_array()[i]);
    return out + "]";
  }
  return json::to_text(v);
}

// Whether `v` (an apply_if condition) is true.
bool truth(const Value& v, const std::string& key) {
  if (v.is<bool>()) return v.as<bool>();
  if (v.is<int64_t>() || v.is<double>()) return v.as_number() != 0;
  if (v.is<Tensor>() && v.as<Tensor>().numel() == 1 && v.as<Tensor>().is_cpu()) {
    double x = 0;
    const bool numeric = sdk::dispatch_dtype(v.as<Tensor>().dtype(), [&](auto tag) { x = static_cast<double>(*static_cast<const decltype(tag)*>(v.as<Tensor>().raw_data())); });
    if (numeric) return x != 0;
  }
  throw Error(Errc::kType, "'apply_if' reads '" + key + "', which holds " + v.summary() + "; expected a bool, a number or a one-element tensor");
}

// Whether step `step` runs on this call (its apply_if and apply_probability).
bool applies(const Step& step, const NDict& sample, const CallContext& c) {
  if (!step.apply_if.empty()) {
    const Value* v = sample.find(step.apply_if);
    if (v == nullptr) throw Error(Errc::kKeyNotFound, "'apply_if' reads '" + step.apply_if + "', which is missing; " + sample.missing_key_message(step.apply_if));
    if (!truth(*v, step.apply_if)) return false;
  }
  if (step.apply_probability) {
    if (!c.training) return false;
    // A generator of its own (the op's seed, salted), so the op's own draws do not depend on the decision.
    sdk::Random rng(c.seed ^ 0x6170706c79ull);
    return rng.chance(*step.apply_probability);
  }
  return true;
}

}  // namespace

Pipeline::Pipeline(const Registry& registry, std::vector<Step> steps, std::string name)
    : registry_(&registry), steps_(std::move(steps)), name_(std::move(name)) {
  std::string description;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    // The op's own messages name it and its plugin; this says where it sits.
    const std::string where = name_ + " step " + std::to_string(s + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": ";
    std::vector<bj::object> configs;
    if (step.repeat.empty()) configs.push_back(step.config);
    for (const bj::object& extra : step.repeat) {
      bj::object merged = step.config;
      for (const auto& m : extra) merged[m.key()] = m.value();
      configs.push_back(std::move(merged));
    }
    for (bj::object config : configs) {
      try {
        // Relative file paths in the config are taken from the config file's folder ("{key}" templates are
        // filled per sample by the op, so they stay as written).
        if (!step.base.empty())
          for (const ConfigField& f : registry.component(step.op).config)
            if (f.type == FieldType::kPath)
              if (bj::value* v = config.if_contains(f.name); v && v->is_string() && !v->as_string().starts_with("{") &&
                  std::filesystem::path(std::string(v->as_string())).is_relative())
                *v = (step.base / std::string(v->as_string())).lexically_normal().string();
        Op op = registry.create_op(step.op, config);
        const PluginPackage& package = registry.package_of(step.op);
        const LibraryEntry* lib = package.manifest->host_library();
        description += step.op + " " + op.version() + " " + canonical(bj::value(op.config())) + " " + (lib ? lib->sha256 : "") +
                       (step.apply_if.empty() ? "" : " if " + step.apply_if) +
                       (step.apply_probability ? " p " + json::to_text(bj::value(*step.apply_probability)) : "") + "\n";
        ops_.push_back(Instance{s, std::move(op)});
      } catch (...) {
        rethrow_with_context(where);
      }
    }
  }
  hash_ = sha256_hex(description);
}

Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

void Pipeline::run(NDict& sample, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training) {
  for (size_t i = 0; i < ops_.size(); ++i) {
    Instance& instance = ops_[i];
    CallContext context{training, call_seed(run_seed, epoch, sample_index, static_cast<int64_t>(i)), epoch, sample_index};
    try {
      if (applies(steps_[instance.step], sample, context)) instance.op.forward(sample, context);
    } catch (...) {
      const Step& step = steps_[instance.step];
      rethrow_with_context(name_ + " step " + std::to_string(instance.step + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": ");
    }
  }
}

void Pipeline::run_batch(NDict& batch, uint64_t run_seed, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& sample_indices,
                         int64_t first_position, bool training) {
  std::vector<uint64_t> seeds(sample_indices.size());
  for (size_t i = 0; i < ops_.size(); ++i) {
    Instance& instance = ops_[i];
    const int64_t position = first_position + static_cast<int64_t>(i);
    for (size_t k = 0; k < seeds.size(); ++k) seeds[k] = call_seed(run_seed, epoch, sample_indices[k], position);
    CallContext context{training, call_seed(run_seed, epoch, -2 - batch_index, position), epoch, -1};
    context.sample_seeds = &seeds;
    try {
      const Step& step = steps_[instance.step];
      if (!step.apply_if.empty() || step.apply_probability)
        throw Error(Errc::kInvalidArgument, "'apply_if' and 'apply_probability' act per sample, and a batch step runs once for the whole batch");
      instance.op.forward(batch, context);
    } catch (...) {
      const Step& step = steps_[instance.step];
      rethrow_with_context(name_ + " step " + std::to_string(instance.step + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": ");
    }
  }
}

Pipeline Pipeline::clone() const { return Pipeline(*registry_, steps_, name_); }

}  // namespace fuse::data
