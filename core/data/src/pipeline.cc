#include "fuse/data/pipeline.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/seeds.h"
#include "fuse/hash/sha256.h"
#include "fuse/json/write.h"
#include "fuse_sdk/dtype.hpp"
#include "fuse_sdk/random.hpp"

namespace fuse::data {

namespace bj = boost::json;

struct Pipeline::Instance {
  size_t step;
  std::optional<Op> op;  // none for a split, keep_if or drop_if step
  // FuseMedML's OpApplyPatterns: key-list fields holding patterns ("data.input.*") are expanded against each
  // sample's keys, and the op is made once per distinct expansion (`op` above checked the config as written).
  std::vector<std::string> pattern_fields{};
  bj::object config{};
  std::map<std::string, Op> expanded{};
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

// Whether `v` (the condition of `field`: apply_if, keep_if, drop_if) is true.
bool truth(const Value& v, const std::string& key, const std::string& field) {
  if (v.is<bool>()) return v.as<bool>();
  if (v.is<int64_t>() || v.is<double>()) return v.as_number() != 0;
  if (v.is<Tensor>() && v.as<Tensor>().numel() == 1 && v.as<Tensor>().is_cpu()) {
    double x = 0;
    const bool numeric = sdk::dispatch_dtype(v.as<Tensor>().dtype(), [&](auto tag) { x = static_cast<double>(*static_cast<const decltype(tag)*>(v.as<Tensor>().raw_data())); });
    if (numeric) return x != 0;
  }
  throw Error(Errc::kType, "'" + field + "' reads '" + key + "', which holds " + v.summary() + "; expected a bool, a number or a one-element tensor");
}

// The condition under `key` of a step's `field`.
bool condition(const NDict& sample, const std::string& key, const std::string& field) {
  const Value* v = sample.find(key);
  if (v == nullptr) throw Error(Errc::kKeyNotFound, "'" + field + "' reads '" + key + "', which is missing; " + sample.missing_key_message(key));
  return truth(*v, key, field);
}

bool is_pattern(std::string_view key) { return key.find_first_of("*?") != std::string_view::npos; }

// The key-list fields of `config` holding patterns; a pattern in a one-key field is refused, since it could
// stand for several keys.
std::vector<std::string> pattern_fields(const ComponentManifest& component, const bj::object& config) {
  std::vector<std::string> fields;
  for (const ConfigField& f : component.config) {
    const bj::value* v = config.if_contains(f.name);
    if (v == nullptr) continue;
    if (f.type == FieldType::kKey && v->is_string() && is_pattern(v->as_string()))
      throw Error(Errc::kInvalidArgument, "config '" + f.name + "' holds the pattern '" + std::string(v->as_string()) +
                                              "' but names one key; patterns ('*', '**', '?') go in key lists such as 'keys'");
    if (f.type == FieldType::kKeyList && v->is_array() &&
        std::any_of(v->as_array().begin(), v->as_array().end(), [](const bj::value& k) { return k.is_string() && is_pattern(k.as_string()); }))
      fields.push_back(f.name);
  }
  return fields;
}

// `config` with the patterns of `fields` replaced by the keys of `sample` they match (sorted, each key once); a
// pattern matching nothing is an error listing the keys present.
bj::object expand_patterns(bj::object config, const std::vector<std::string>& fields, const NDict& sample) {
  for (const std::string& field : fields) {
    bj::array keys;
    std::set<std::string> seen;
    auto add = [&](const std::string& k) {
      if (seen.insert(k).second) keys.emplace_back(k);
    };
    for (const bj::value& v : config.at(field).as_array()) {
      const std::string k(v.as_string());
      if (!is_pattern(k)) {
        add(k);
        continue;
      }
      std::vector<std::string> matches = sample.keys_matching(k);
      std::sort(matches.begin(), matches.end());  // not the order ops happened to write them in
      if (matches.empty()) {
        const std::string missing = sample.missing_key_message(k);
        throw Error(Errc::kKeyNotFound, "config '" + field + "': the pattern '" + k + "' matches no key; " + missing.substr(missing.find("missing; ") + 9));
      }
      for (const std::string& m : matches) add(m);
    }
    config[field] = std::move(keys);
  }
  return config;
}

// Whether step `step` runs on this call (its apply_if and apply_probability).
bool applies(const Step& step, const NDict& sample, const CallContext& c) {
  if (!step.apply_if.empty() && !condition(sample, step.apply_if, "apply_if")) return false;
  for (const std::string& key : step.apply_if_present)
    if (sample.find(key) == nullptr) return false;
  if (step.apply_probability) {
    if (!c.training) return false;
    // A generator of its own (the op's seed, salted), so the op's own draws do not depend on the decision.
    sdk::Random rng(c.seed ^ 0x6170706c79ull);
    return rng.chance(*step.apply_probability);
  }
  return true;
}

}  // namespace

std::vector<bj::object> Step::run_configs() const {
  if (repeat.empty()) return {config};
  std::vector<bj::object> configs;
  for (const bj::object& extra : repeat) {
    bj::object merged = config;
    for (const auto& m : extra) merged[m.key()] = m.value();
    configs.push_back(std::move(merged));
  }
  return configs;
}

Pipeline::Pipeline(const Registry& registry, std::vector<Step> steps, std::string name)
    : registry_(&registry), steps_(std::move(steps)), name_(std::move(name)) {
  std::string description;
  for (size_t s = 0; s < steps_.size(); ++s) {
    const Step& step = steps_[s];
    // The op's own messages name it and its plugin; this says where it sits.
    const std::string where = name_ + " step " + std::to_string(s + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": ";
    if (step.changes_count()) {
      // No op: what it does is its kind and fields.
      changes_count_ = true;
      description += step.kind() + " " + (step.split ? join(step.split->keys, ",") + " axis " + std::to_string(step.split->axis) + " source " + step.split->source_key
                                                     : step.keep_if + step.drop_if) + "\n";
      ops_.push_back(Instance{s, std::nullopt});
      continue;
    }
    if (step.fit && !step.fit->done)
      throw Error(Errc::kConfig, where + "'" + step.op + "' is marked 'fit', but its statistics were not fitted to training samples: only a "
                                         "command that reads the experiment's training split fits them (fuse run, data show, cache build)");
    for (bj::object config : step.run_configs()) {
      try {
        // Relative file paths in the config are taken from the config file's folder ("{key}" templates are
        // filled per sample by the op, so they stay as written).
        if (!step.base.empty())
          for (const ConfigField& f : registry.component(step.op).config)
            if (f.type == FieldType::kPath)
              if (bj::value* v = config.if_contains(f.name); v && v->is_string() && !v->as_string().starts_with("{") &&
                  std::filesystem::path(std::string(v->as_string())).is_relative())
                *v = (step.base / std::string(v->as_string())).lexically_normal().string();
        std::vector<std::string> patterns = pattern_fields(registry.component(step.op), config);
        Op op = registry.create_op(step.op, config);
        const PluginPackage& package = registry.package_of(step.op);
        const LibraryEntry* lib = package.manifest->host_library();
        description += step.op + " " + op.version() + " " + canonical(bj::value(op.config())) + " " + (lib ? lib->sha256 : "") +
                       (step.apply_if.empty() ? "" : " if " + step.apply_if) +
                       (step.apply_if_present.empty() ? "" : " if present " + join(step.apply_if_present, ",")) +
                       (step.apply_probability ? " p " + json::to_text(bj::value(*step.apply_probability)) : "") + "\n";
        ops_.push_back(Instance{s, std::move(op), std::move(patterns), std::move(config)});
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

std::string Pipeline::where(size_t step) const {
  const Step& s = steps_[step];
  return name_ + " step " + std::to_string(step + 1) + (s.where.empty() ? "" : " (" + s.where + ")") + ": ";
}

Op& Pipeline::op_for(Instance& instance, const NDict& sample) {
  if (instance.pattern_fields.empty()) return *instance.op;
  bj::object config = expand_patterns(instance.config, instance.pattern_fields, sample);
  const std::string text = canonical(bj::value(config));
  auto it = instance.expanded.find(text);
  if (it == instance.expanded.end()) {
    // Samples usually share a few key sets; a source with ever-new keys must not grow this without bound.
    constexpr size_t kMaxExpansions = 64;
    if (instance.expanded.size() >= kMaxExpansions) instance.expanded.clear();
    it = instance.expanded.emplace(text, registry_->create_op(steps_[instance.step].op, config)).first;
  }
  return it->second;
}

void Pipeline::refuse_count_steps() const {
  if (!changes_count_) return;
  for (const Instance& instance : ops_)
    if (!instance.op)
      throw Error(Errc::kInvalidArgument,
                  where(instance.step) + "'" + steps_[instance.step].kind() + "' changes the number of samples, which only the static pipeline may do");
}

void Pipeline::run(NDict& sample, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training) {
  refuse_count_steps();
  sample = std::move(run_all(std::move(sample), run_seed, epoch, sample_index, training, "").front());
}

namespace {

// Part `k` of `v` along `axis` (a tensor's slice, without that axis; a list's element).
Value part_of(const Value& v, int64_t axis, int64_t k) {
  if (v.is<List>()) return v.as<List>()[static_cast<size_t>(k)];
  const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
  const size_t a = static_cast<size_t>(axis < 0 ? axis + t.ndim() : axis);
  std::vector<int64_t> shape = t.shape();
  const int64_t n = shape[a];
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < a; ++d) outer *= shape[d];
  for (size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(a));
  Tensor out = Tensor::empty(shape, t.dtype());
  const size_t row = static_cast<size_t>(inner) * ((t.dtype().bits * t.dtype().lanes + 7) / 8);
  if (row == 0 || outer == 0) return out;
  auto* o = static_cast<uint8_t*>(out.mutable_raw_data());
  const auto* x = static_cast<const uint8_t*>(t.raw_data());
  for (int64_t i = 0; i < outer; ++i) std::memcpy(o + static_cast<size_t>(i) * row, x + static_cast<size_t>(i * n + k) * row, row);
  return out;
}

// The parts of `sample` under a split step.
std::vector<NDict> split_sample(const NDict& whole_sample, const Split& split, const std::string& id_key) {
  NDict sample = whole_sample;  // tensors are shared, not copied; the caller's sample stays whole for its messages
  int64_t count = -1;
  std::string first;
  for (const std::string& key : split.keys) {
    const Value* v = sample.find(key);
    if (v == nullptr) throw Error(Errc::kKeyNotFound, "'split' reads '" + key + "', which is missing; " + sample.missing_key_message(key));
    int64_t n = 0;
    if (v->is<List>()) {
      if (split.axis != 0) throw Error(Errc::kShape, "'split': '" + key + "' is a list, which splits along axis 0 only (the step's axis is " + std::to_string(split.axis) + ")");
      n = static_cast<int64_t>(v->as<List>().size());
    } else if (v->is<Tensor>()) {
      const Tensor& t = v->as<Tensor>();
      if (!t.is_cpu()) throw Error(Errc::kUnsupported, "'split': '" + key + "' is " + t.description() + "; samples split on the CPU (in the static pipeline)");
      if (split.axis >= t.ndim() || split.axis < -t.ndim())
        throw Error(Errc::kShape, "'split': '" + key + "' is " + t.description() + ", which has no axis " + std::to_string(split.axis));
      n = t.size(static_cast<int32_t>(split.axis < 0 ? split.axis + t.ndim() : split.axis));
    } else {
      throw Error(Errc::kType, "'split': '" + key + "' holds " + v->summary() + "; expected a tensor or a list");
    }
    if (count >= 0 && n != count)
      throw Error(Errc::kShape, "'split': '" + key + "' has " + std::to_string(n) + " parts along axis " + std::to_string(split.axis) + " but '" + first +
                                    "' has " + std::to_string(count) + "; the keys of one split must have as many");
    if (count < 0) count = n, first = key;
  }
  const Value* id = sample.find(id_key);
  const std::string source = id != nullptr && id->is<std::string>() ? id->as<std::string>() : "";
  if (!source.empty() && !sample.has(split.source_key)) sample.set(split.source_key, source);
  std::vector<Value> whole;
  for (const std::string& key : split.keys) whole.push_back(*sample.pop(key));
  std::vector<NDict> parts;
  for (int64_t k = 0; k < count; ++k) {
    NDict part = sample;
    for (size_t j = 0; j < split.keys.size(); ++j) part.set(split.keys[j], part_of(whole[j], split.axis, k));
    if (!source.empty()) part.set(id_key, source + "#" + std::to_string(k));
    parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace

std::vector<NDict> Pipeline::run_all(NDict sample, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training, const std::string& id_key) {
  return run_range(std::move(sample), 0, steps_.size(), run_seed, epoch, sample_index, training, id_key);
}

void Pipeline::run_steps(NDict& sample, size_t begin, size_t end, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training) {
  refuse_count_steps();
  if (begin > end || end > steps_.size())
    throw Error(Errc::kInvalidArgument, name_ + ": asked to run steps " + std::to_string(begin + 1) + " to " + std::to_string(end) + ", but it has " +
                                            std::to_string(steps_.size()));
  sample = std::move(run_range(std::move(sample), begin, end, run_seed, epoch, sample_index, training, "").front());
}

std::vector<NDict> Pipeline::run_range(NDict sample, size_t begin, size_t end, uint64_t run_seed, int64_t epoch, int64_t sample_index, bool training,
                                       const std::string& id_key) {
  const Value* id = id_key.empty() ? nullptr : sample.find(id_key);
  const std::string source = id != nullptr && id->is<std::string>() ? id->as<std::string>() : "";
  std::vector<NDict> samples;
  samples.push_back(std::move(sample));
  for (size_t i = 0; i < ops_.size() && !samples.empty(); ++i) {
    Instance& instance = ops_[i];
    if (instance.step < begin || instance.step >= end) continue;  // op i keeps its seed whatever the range
    const Step& step = steps_[instance.step];
    CallContext context{training, call_seed(run_seed, epoch, sample_index, static_cast<int64_t>(i)), epoch, sample_index};
    std::vector<NDict> next;
    for (NDict& s : samples) {
      try {
        if (step.split) {
          for (NDict& part : split_sample(s, *step.split, id_key)) next.push_back(std::move(part));
          continue;
        }
        if (!step.keep_if.empty() && !condition(s, step.keep_if, "keep_if")) continue;
        if (!step.drop_if.empty() && condition(s, step.drop_if, "drop_if")) continue;
        if (instance.op && applies(step, s, context)) op_for(instance, s).forward(s, context);
        next.push_back(std::move(s));
      } catch (...) {
        // After a split, which part failed.
        const Value* part = id_key.empty() ? nullptr : s.find(id_key);
        const std::string part_id = part != nullptr && part->is<std::string>() ? part->as<std::string>() : "";
        rethrow_with_context(where(instance.step) + (part_id != source && !part_id.empty() ? "part '" + part_id + "': " : ""));
      }
    }
    samples = std::move(next);
  }
  return samples;
}

void Pipeline::run_batch(NDict& batch, uint64_t run_seed, int64_t epoch, int64_t batch_index, const std::vector<int64_t>& sample_indices,
                         int64_t first_position, bool training, const std::vector<uint32_t>& repeats) {
  refuse_count_steps();
  if (!repeats.empty() && repeats.size() != sample_indices.size())
    throw Error(Errc::kInvalidArgument, "run_batch: " + std::to_string(repeats.size()) + " repeat numbers for " + std::to_string(sample_indices.size()) + " samples");
  std::vector<uint64_t> seeds(sample_indices.size());
  for (size_t i = 0; i < ops_.size(); ++i) {
    Instance& instance = ops_[i];
    const int64_t position = first_position + static_cast<int64_t>(i);
    for (size_t k = 0; k < seeds.size(); ++k)
      seeds[k] = call_seed(repeat_seed(run_seed, repeats.empty() ? 0 : repeats[k]), epoch, sample_indices[k], position);
    CallContext context{training, call_seed(run_seed, epoch, -2 - batch_index, position), epoch, -1};
    context.sample_seeds = &seeds;
    try {
      const Step& step = steps_[instance.step];
      if (!step.apply_if.empty() || !step.apply_if_present.empty() || step.apply_probability)
        throw Error(Errc::kInvalidArgument, "'apply_if', 'apply_if_present' and 'apply_probability' act per sample, and a batch step runs once for the whole "
                                            "batch");
      op_for(instance, batch).forward(batch, context);
    } catch (...) {
      rethrow_with_context(where(instance.step));
    }
  }
}

Pipeline Pipeline::clone() const { return Pipeline(*registry_, steps_, name_); }

}  // namespace fuse::data
