#include "fuse/data/fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "fuse_sdk/dtype.hpp"

namespace fuse::data {

namespace bj = boost::json;

namespace {

// Count, mean, spread and range of a stream of numbers (Welford), mergeable (Chan et al.): per-sample parts
// merged in sample order give the same result on any number of threads.
// Percentiles come from kept values: every number, and of a large tensor every k-th element measured (about
// kKeptPerValue of each, as nnU-Net samples 10,000 foreground voxels per case), in sample order.
struct Moments {
  static constexpr size_t kKeptPerValue = 10000;
  uint64_t n = 0, missing = 0;
  double mean = 0, m2 = 0;
  double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
  bool keep = false;          // percentiles asked for
  std::vector<double> kept;   // sorted once merged

  void add(double x) {
    if (std::isnan(x)) {
      ++missing;
      return;
    }
    if (std::isinf(x)) throw Error(Errc::kInvalidArgument, "an infinite value: clip or replace it (fuse.ops.nan_to_num) before this step");
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
    min = std::min(min, x);
    max = std::max(max, x);
  }
  void merge(const Moments& o) {
    missing += o.missing;
    if (o.n == 0) return;
    if (n == 0) {  // the first values: taken as they are (kept values are merge_into()'s)
      n = o.n;
      mean = o.mean;
      m2 = o.m2;
      min = o.min;
      max = o.max;
      return;
    }
    const double na = static_cast<double>(n), nb = static_cast<double>(o.n), total = na + nb, d = o.mean - mean;
    mean += d * nb / total;
    m2 += o.m2 + d * d * na * nb / total;
    n += o.n;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
  // The statistics is_fit_statistic() allows; percentiles interpolate linearly between the kept values
  // (numpy's default), after sort_kept().
  double statistic(const std::string& name) const {
    if (name == "mean") return mean;
    if (name == "std") return std::sqrt(m2 / static_cast<double>(n));
    if (name == "min") return min;
    if (name == "max") return max;
    const double q = name == "median" ? 50 : std::stod(name.substr(1));
    if (kept.empty()) return mean;  // not reached: the first value measured is always kept, and n > 0
    const double position = q / 100 * static_cast<double>(kept.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(below + 1, kept.size() - 1);
    return kept[below] + (kept[above] - kept[below]) * (position - static_cast<double>(below));
  }
};

// The distinct values of a key (sklearn's OneHotEncoder with categories "auto"), each kind sorted; kinds are
// kept apart so that a key mixing them is named.
struct Categories {
  static constexpr size_t kMax = 1000;  // more distinct values than this is an id or a measurement, not a category
  std::set<std::string> strings;
  std::set<int64_t> ints;
  std::set<bool> bools;

  size_t size() const { return strings.size() + ints.size() + bools.size(); }
  void merge(const Categories& o) {
    strings.insert(o.strings.begin(), o.strings.end());
    ints.insert(o.ints.begin(), o.ints.end());
    bools.insert(o.bools.begin(), o.bools.end());
  }
  void check_size() const {
    if (size() > kMax)
      throw Error(Errc::kInvalidArgument, "more than " + std::to_string(kMax) +
                                              " distinct values, too many for categories (is it an id or a measurement?)");
  }
  // Sorted, as a list, or as a table (category -> index) when `table`; a key mixing kinds is an error.
  bj::value result(bool table) const {
    if (!strings.empty() + !ints.empty() + !bools.empty() > 1) {
      std::string kinds;
      if (!strings.empty()) kinds += "strings (e.g. \"" + *strings.begin() + "\")";
      if (!ints.empty()) kinds += std::string(kinds.empty() ? "" : " and ") + "ints (e.g. " + std::to_string(*ints.begin()) + ")";
      if (!bools.empty()) kinds += std::string(kinds.empty() ? "" : " and ") + "bools";
      throw Error(Errc::kType, "its values are " + kinds + ": categories must all be of one kind (fuse.ops.lookup can map them to one)");
    }
    bj::array list;
    for (const std::string& v : strings) list.emplace_back(v);
    for (int64_t v : ints) list.emplace_back(v);
    for (bool v : bools) list.emplace_back(v);
    if (!table) return list;
    bj::object indices;
    for (size_t i = 0; i < list.size(); ++i) {
      const bj::value& v = list[i];
      indices[v.is_string() ? std::string(v.as_string()) : json::to_text(v)] = static_cast<int64_t>(i);
    }
    return indices;
  }
};

// Count, moments and kept values (Moments), or the categories when those are what is fitted.
struct Measures : Moments {
  bool categorical = false;
  Categories categories;
};

void merge_into(Measures& total, Measures& part) {
  total.merge(part);
  total.kept.insert(total.kept.end(), part.kept.begin(), part.kept.end());
  std::vector<double>().swap(part.kept);
  total.categories.merge(part.categories);
  total.categories.check_size();
  part.categories = {};
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// The keys a config value names: a key, or a list of them.
std::vector<std::string> keys_in(const bj::value* v) {
  std::vector<std::string> keys;
  if (v == nullptr) return keys;
  if (v->is_string()) keys.emplace_back(v->as_string());
  if (v->is_array())
    for (const bj::value& k : v->as_array())
      if (k.is_string()) keys.emplace_back(k.as_string());
  return keys;
}

// Whether a number (a table's cell) is inside `mask`: a number or a bool (a table's event column), > 0; no
// mask keeps it.
bool inside(const Value* mask, const std::string& mask_key) {
  if (mask == nullptr) return true;
  if (mask->is<bool>()) return mask->as<bool>();
  if (mask->is<int64_t>() || mask->is<double>()) return mask->as_number() > 0;
  throw Error(Errc::kShape, "the mask '" + mask_key + "' of a number must be a number or a bool (a table's column, e.g. its event), found " + mask->summary());
}

// The mask as 0/1 per element of a tensor of `numel` elements; empty without a mask. A mask of `channel`
// elements (one channel of a [C, ...] tensor: a label map beside a multi-channel image) applies to each channel.
std::vector<char> mask_of(const Value* mask, const std::string& mask_key, int64_t numel, int64_t channel = 0) {
  std::vector<char> keep;
  if (mask == nullptr) return keep;
  const int64_t mask_numel = mask->is<Tensor>() ? mask->as<Tensor>().numel() : -1;
  if (mask_numel != numel && (mask_numel != channel || channel == 0))
    throw Error(Errc::kShape, "the mask '" + mask_key + "' must be a tensor of as many elements as the value (" + std::to_string(numel) + ")" +
                                  (channel > 0 && channel != numel ? " or as one of its channels (" + std::to_string(channel) + ")" : "") + ", found " +
                                  mask->summary());
  const Tensor mt = mask->as<Tensor>().is_contiguous() ? mask->as<Tensor>() : mask->as<Tensor>().clone();
  keep.resize(static_cast<size_t>(numel));
  if (!sdk::dispatch_dtype(mt.dtype(), [&](auto tag) {
        const auto* p = mt.data<decltype(tag)>();
        const size_t n = static_cast<size_t>(mask_numel);
        for (size_t i = 0; i < keep.size(); ++i) keep[i] = static_cast<double>(p[i % n]) > 0;
      }))
    throw Error(Errc::kType, "the mask '" + mask_key + "' has dtype " + sdk::dtype_name(mt.dtype()) + ", which cannot be read as numbers");
  return keep;
}

// " channels 0, 2" (or " channel 1"): which channels a fit measures; empty when all.
std::string channel_words(const std::vector<int64_t>& channels) {
  std::string words;
  for (int64_t c : channels) words += (words.empty() ? "" : ", ") + std::to_string(c);
  return channels.empty() ? "" : (channels.size() == 1 ? " channel " : " channels ") + words;
}

// The elements of `t` measured: those of `channels` (indices along its first axis; all when empty) where the
// mask is > 0 (mask_of()). Empty: every element.
std::vector<char> selected(const Tensor& t, const Value* mask, const std::string& mask_key, const std::vector<int64_t>& channels) {
  const int64_t first = t.ndim() > 0 ? t.shape()[0] : 1, channel = first > 0 ? t.numel() / first : 0;
  std::vector<char> keep = mask_of(mask, mask_key, t.numel(), t.ndim() > 1 ? channel : 0);
  if (channels.empty()) return keep;
  if (t.ndim() < 2)
    throw Error(Errc::kShape, "'channels' picks channels along a tensor's first axis, and its tensor is shaped " + shape_string(t.shape()));
  if (keep.empty()) keep.assign(static_cast<size_t>(t.numel()), 1);
  std::vector<char> in_channels(static_cast<size_t>(first), 0);
  for (int64_t c : channels) {
    if (c >= first)
      throw Error(Errc::kShape, "'channels' lists channel " + std::to_string(c) + ", and it has " + std::to_string(first) + " (shaped " + shape_string(t.shape()) + ", the first axis the channels)");
    in_channels[static_cast<size_t>(c)] = 1;
  }
  for (size_t i = 0; i < keep.size(); ++i) keep[i] = keep[i] && in_channels[i / static_cast<size_t>(channel)];
  return keep;
}

// The tensor `value` holds, on the CPU and contiguous.
Tensor host_tensor(const Value& value) {
  const Tensor& t = value.as<Tensor>();
  if (!t.is_cpu()) throw Error(Errc::kUnsupported, "its tensor is not on the CPU (static steps run on the host)");
  return t.is_contiguous() ? t : t.clone();
}

// Adds the categories `value` holds (a string, int or bool; of an integer tensor, each element where `mask`
// is > 0) to `m`.
void count_categories(const Value& value, const Value* mask, const std::string& mask_key, Measures& m) {
  switch (value.type()) {
    case ValueType::kString: ++m.n, m.categories.strings.insert(value.as<std::string>()); return;
    case ValueType::kInt: ++m.n, m.categories.ints.insert(value.as<int64_t>()); return;
    case ValueType::kBool: ++m.n, m.categories.bools.insert(value.as<bool>()); return;
    case ValueType::kNull: ++m.missing; return;  // an empty table cell
    case ValueType::kTensor: break;
    default:
      throw Error(Errc::kType, std::string("it holds a ") + value.type_name() + " (" + value.summary() +
                                   "); categories are strings, ints, bools or the elements of an integer tensor");
  }
  const Tensor t = host_tensor(value);
  if (sdk::is_floating(t.dtype()))
    throw Error(Errc::kType, "its tensor is " + sdk::dtype_name(t.dtype()) + "; categories are the elements of an integer tensor (fuse.ops.cast it first)");
  const std::vector<char> keep = mask_of(mask, mask_key, t.numel());
  if (!sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
        const auto* p = t.data<decltype(tag)>();
        for (size_t i = 0, count = static_cast<size_t>(t.numel()); i < count; ++i)
          if (keep.empty() || keep[i]) {
            ++m.n;
            if (m.categories.ints.insert(static_cast<int64_t>(p[i])).second) m.categories.check_size();
          }
      }))
    throw Error(Errc::kType, "its tensor has dtype " + sdk::dtype_name(t.dtype()) + ", which cannot be counted");
}

// Adds the numbers `value` holds (where `mask` is > 0, when given; of a tensor, of `channels` only) to `m`.
void measure(const Value& value, const Value* mask, const std::string& mask_key, const std::vector<int64_t>& channels, Measures& m) {
  if (!channels.empty() && value.type() != ValueType::kTensor)
    throw Error(Errc::kType, "'channels' picks channels of a tensor, and its value is " + value.summary());
  if (value.type() != ValueType::kTensor && !inside(mask, mask_key)) return;  // e.g. the times of events only
  if (m.categorical) return count_categories(value, mask, mask_key, m);
  switch (value.type()) {
    case ValueType::kInt:
    case ValueType::kDouble:
    case ValueType::kBool: {
      const double x = value.is<bool>() ? (value.as<bool>() ? 1.0 : 0.0) : value.as_number();
      m.add(x);
      if (m.keep && !std::isnan(x)) m.kept.push_back(x);
      return;
    }
    case ValueType::kNull:  // an empty table cell
      return m.add(std::numeric_limits<double>::quiet_NaN());
    case ValueType::kTensor:
      break;
    default:
      throw Error(Errc::kType, std::string("it holds a ") + value.type_name() + "; 'fit' measures numbers and tensors");
  }
  const Tensor values = host_tensor(value);
  const std::vector<char> keep = selected(values, mask, mask_key, channels);
  // Every stride-th of the elements measured (inside the mask) is kept for percentiles.
  const size_t count = static_cast<size_t>(values.numel());
  const size_t measured = keep.empty() ? count : static_cast<size_t>(std::count(keep.begin(), keep.end(), 1));
  const size_t stride = std::max<size_t>(1, measured / Moments::kKeptPerValue);
  if (!sdk::dispatch_dtype(values.dtype(), [&](auto tag) {
        const auto* p = values.data<decltype(tag)>();
        size_t seen = 0;
        for (size_t i = 0; i < count; ++i)
          if (keep.empty() || keep[i]) {
            const double x = static_cast<double>(p[i]);
            m.add(x);
            if (m.keep && !std::isnan(x) && seen++ % stride == 0) m.kept.push_back(x);
          }
      }))
    throw Error(Errc::kType, "its tensor has dtype " + sdk::dtype_name(values.dtype()) + ", which cannot be measured");
}

// One key of one run of a fitted step: what is measured, and where the numbers go.
struct Target {
  size_t step = 0;
  size_t entry = 0;  // of the step's new repeat entries
  std::string key;
};

bool needs_fit(const Step& s) { return s.fit && !s.fit->done; }

std::string label(const std::vector<Step>& steps, size_t s) {
  return "static pipeline step " + std::to_string(s + 1) + (steps[s].where.empty() ? "" : " (" + steps[s].where + ")") + ": ";
}

// What the step fits: its "set", each field one the op can fit, else the op's manifest's.
std::vector<std::pair<std::string, std::string>> fields_to_fit(const Registry& registry, const std::vector<Step>& steps, size_t s) {
  const Step& step = steps[s];
  const ComponentManifest& c = registry.component(step.op);
  const std::string where = label(steps, s) + "'fit': ";
  if (!c.fit) {
    std::string ops;  // those fitted to the data, not to a trained model's outputs
    for (const std::string& id : registry.component_ids())
      if (const auto& fit = registry.component(id).fit; fit && !fit->on_predictions()) ops += (ops.empty() ? "" : ", ") + id;
    throw Error(Errc::kConfig, where + "op '" + step.op + "' has nothing to fit (its manifest declares no 'fit'); ops that fit: " + ops);
  }
  if (c.fit->on_predictions() || sets_prediction_statistic(step.fit->set))
    throw Error(Errc::kConfig, where + "op '" + step.op + "' is fitted to a trained model's outputs, not to the data: put the step in 'postprocess', " +
                                   "marked \"fit\": {\"time\": TIME KEY, \"event\": EVENT KEY}");
  if (step.fit->set.empty()) return c.fit->set;
  std::string fittable;
  for (const auto& [field, statistic] : c.fit->set) fittable += (fittable.empty() ? "'" : ", '") + field + "'";
  for (const auto& [field, statistic] : step.fit->set) {
    if (std::none_of(c.fit->set.begin(), c.fit->set.end(), [&](const auto& f) { return f.first == field; }))
      throw Error(Errc::kConfig, where + "'set': op '" + step.op + "' cannot fit '" + field + "'; it fits " + fittable);
    const FieldType type = c.field(field)->type;
    if (!fit_statistic_fills(type, statistic))
      throw Error(Errc::kConfig, where + "'set': '" + field + "' is a " + field_type_name(type) + " field, which cannot receive the " + statistic +
                                     " (that needs " + fit_field_needs(statistic) + ")");
  }
  return step.fit->set;
}

// The step's runs made one per key, each with the key alone (entries not filled yet); `set`: what it fits.
std::vector<bj::object> runs_per_key(const Registry& registry, const std::vector<Step>& steps, size_t s,
                                     const std::vector<std::pair<std::string, std::string>>& set, std::vector<std::string>& keys) {
  const Step& step = steps[s];
  const ComponentManifest& c = registry.component(step.op);
  const std::string where = label(steps, s) + "'fit': ";
  const bool one_key = c.field(c.fit->of)->type == FieldType::kKey;
  std::vector<bj::object> entries = step.repeat.empty() ? std::vector<bj::object>{bj::object{}} : step.repeat;
  std::vector<bj::object> runs;
  for (const bj::object& entry : entries) {
    bj::object merged = step.config;
    for (const auto& m : entry) merged[m.key()] = m.value();
    const std::vector<std::string> run_keys = keys_in(merged.if_contains(c.fit->of));
    if (run_keys.empty()) throw Error(Errc::kConfig, where + "'" + c.fit->of + "' names no key to measure");
    for (const auto& [field, statistic] : set)
      if (const bj::value* given = merged.if_contains(field); given && !given->is_null())
        throw Error(Errc::kConfig, where + "'" + field + "' is given (" + json::to_text(*given) + ") and 'fit' would set it to the training samples' " + statistic +
                                       ": remove one of them");
    for (const std::string& key : run_keys) {
      if (key.find_first_of("*?") != std::string::npos)
        throw Error(Errc::kConfig, where + "'" + key + "' is a pattern; fitted statistics are per key, so name the keys");
      bj::object run = entry;
      run[c.fit->of] = one_key ? bj::value(key) : bj::value(bj::array{bj::value(key)});
      runs.push_back(std::move(run));
      keys.push_back(key);
    }
  }
  return runs;
}

}  // namespace

std::vector<std::string> fit_static_steps(const Registry& registry, DatasetSpec& spec) {
  std::vector<Step>& steps = spec.static_steps;
  std::vector<std::string> lines;
  for (size_t first = 0; first < steps.size(); ++first) {
    if (!needs_fit(steps[first])) continue;
    // Consecutive fitted steps on different keys are measured in one pass over the samples: none changes
    // what another measures.
    std::vector<Target> targets;
    std::vector<std::vector<bj::object>> runs;                             // per step of the group
    std::vector<std::vector<std::pair<std::string, std::string>>> sets;  // per step of the group: what it fits
    std::set<std::string> touched;
    size_t end = first;
    for (; end < steps.size() && needs_fit(steps[end]) && !steps[end].changes_count(); ++end) {
      std::vector<std::string> keys;
      std::vector<std::pair<std::string, std::string>> set = fields_to_fit(registry, steps, end);
      std::vector<bj::object> step_runs = runs_per_key(registry, steps, end, set, keys);
      const std::string& mask = steps[end].fit->mask;
      bool overlaps = !mask.empty() && touched.count(mask);
      for (const std::string& k : keys) overlaps = overlaps || touched.count(k);
      if (overlaps && end > first) break;
      for (size_t r = 0; r < keys.size(); ++r) targets.push_back({end, r, keys[r]});
      touched.insert(keys.begin(), keys.end());
      if (!mask.empty()) touched.insert(mask);
      runs.push_back(std::move(step_runs));
      sets.push_back(std::move(set));
    }

    DatasetSpec before;
    before.samples = spec.samples;
    before.static_steps.assign(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(first));
    before.on_error = spec.on_error;
    before.seed = spec.seed;
    before.id_key = spec.id_key;
    before.index_threads = spec.index_threads;
    Dataset dataset(registry, std::move(before));
    std::vector<Measures> empty(targets.size());
    for (size_t t = 0; t < targets.size(); ++t)
      for (const auto& [field, statistic] : sets[targets[t].step - first]) {
        empty[t].keep = empty[t].keep || statistic == "median" || statistic[0] == 'p';
        empty[t].categorical = statistic == "categories";  // a step fits categories or numbers (the manifest's check)
      }
    std::vector<std::vector<Measures>> parts(dataset.size(), empty);
    dataset.for_each_static(spec.index_threads, spec.index_progress, "fit", [&](size_t i, const NDict& sample) {
      for (size_t t = 0; t < targets.size(); ++t) {
        const Step& step = steps[targets[t].step];
        const std::string& key = targets[t].key;
        try {
          const Value* value = sample.find(key);
          if (value == nullptr) throw Error(Errc::kKeyNotFound, sample.missing_key_message(key));
          const Value* mask = nullptr;
          if (!step.fit->mask.empty() && (mask = sample.find(step.fit->mask)) == nullptr) throw Error(Errc::kKeyNotFound, sample.missing_key_message(step.fit->mask));
          measure(*value, mask, step.fit->mask, step.fit->channels, parts[i][t]);
        } catch (const Error& e) {
          throw Error(e.code(), label(steps, targets[t].step) + "fitting '" + step.op + "' to the training samples: sample '" + dataset.sample(i).id + "', key '" +
                                    key + "': " + e.what());
        }
      }
    });

    for (size_t t = 0; t < targets.size(); ++t) {
      Step& step = steps[targets[t].step];
      const std::string& key = targets[t].key;
      const std::string where = label(steps, targets[t].step) + "fitting '" + step.op + "' to the training samples: key '" + key + "': ";
      Measures total = empty[t];
      try {
        for (std::vector<Measures>& part : parts) merge_into(total, part[t]);
      } catch (const Error& e) {
        throw Error(e.code(), where + e.what());
      }
      std::sort(total.kept.begin(), total.kept.end());
      if (total.n == 0)
        throw Error(Errc::kInvalidArgument, label(steps, targets[t].step) + "fitting '" + step.op + "': no value of '" + key + "' to measure in the " +
                                                std::to_string(dataset.size()) + " training samples" +
                                                (step.fit->mask.empty() ? "" : " where '" + step.fit->mask + "' > 0") +
                                                (total.missing ? " (" + std::to_string(total.missing) + " missing or NaN)" : ""));
      bj::object& run = runs[targets[t].step - first][targets[t].entry];
      std::string line = "fitted " + label(steps, targets[t].step) + step.op + " on '" + key + "'" + channel_words(step.fit->channels) + ":";
      for (const auto& [field, statistic] : sets[targets[t].step - first]) {
        if (total.categorical) {
          try {
            run[field] = total.categories.result(registry.component(step.op).field(field)->type == FieldType::kObject);
          } catch (const Error& e) {
            throw Error(e.code(), where + e.what());
          }
          line += " " + field + " " + json::to_text(run[field]);
          continue;
        }
        const double v = total.statistic(statistic);
        run[field] = v;
        line += " " + field + " " + number(v) + (statistic == field ? "" : " (" + statistic + ")");
      }
      bj::object& fitted = step.fit->by_key[key];
      for (const auto& [field, statistic] : sets[targets[t].step - first]) fitted[field] = run[field];
      line += " (" + std::to_string(total.n) + " values from " + std::to_string(dataset.size()) + " training samples" +
              (total.missing ? ", " + std::to_string(total.missing) + (total.categorical ? " missing" : " missing or NaN") + " left out" : "") + ")";
      if (total.categorical && total.categories.size() == 1) line += "; one category only";
      if (!total.categorical && total.max == total.min) line += "; every value is " + number(total.min);
      lines.push_back(std::move(line));
    }
    for (size_t s = first; s < end; ++s) {
      Step& step = steps[s];
      std::vector<bj::object>& step_runs = runs[s - first];
      step.fit->fields.clear();
      if (step.repeat.empty() && step_runs.size() == 1) {
        for (const auto& m : step_runs[0]) step.config[m.key()] = m.value();
        for (const auto& [field, statistic] : sets[s - first]) step.fit->fields.push_back(field);
      } else {
        step.repeat = std::move(step_runs);
        step.fit->fields.push_back("repeat");
      }
      step.fit->done = true;
    }
    first = end - 1;
  }
  return lines;
}

void copy_fits(const std::vector<Step>& fitted, std::vector<Step>& steps, const std::string& name, const std::string& fitted_name) {
  for (size_t s = 0; s < steps.size(); ++s) {
    Step& step = steps[s];
    if (!needs_fit(step)) continue;
    const Step* source = nullptr;
    for (const Step& f : fitted)
      if (f.fit && f.fit->done && f.fit->signature == step.fit->signature) source = &f;
    if (source == nullptr)
      throw Error(Errc::kConfig, name + " step " + std::to_string(s + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": '" + step.op +
                                     "' is marked 'fit', but " + fitted_name + " has no step written the same way (op, config, repeat and mask) whose values it "
                                     "could take: " + (fitted_name == "data.static" ? "statistics come only from the training samples, through data.static"
                                                                                      : "write the step there too"));
    step.config = source->config;
    step.repeat = source->repeat;
    step.fit = source->fit;
  }
}

void copy_fits_from(const std::vector<Step>& fitted, std::vector<Step>& steps, const std::string& name) {
  for (size_t s = 0; s < steps.size(); ++s) {
    Step& step = steps[s];
    if (!step.fit || step.fit->from.empty() || step.fit->done) continue;
    const std::string& key = step.fit->from;
    const bj::object* values = nullptr;
    std::vector<std::string> candidates;
    for (const Step& f : fitted) {
      if (f.op != step.op || !f.fit || !f.fit->done) continue;
      for (const auto& [k, v] : f.fit->by_key) {
        if (k == key) values = &v;
        candidates.push_back("'" + k + "'");
      }
    }
    if (values == nullptr)
      throw Error(Errc::kConfig, name + " step " + std::to_string(s + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": 'fit': {\"from\": \"" + key +
                                     "\"}: data.static has no '" + step.op + "' step fitted on '" + key + "' whose values it could take" +
                                     (candidates.empty() ? " (it fits no '" + step.op + "' step)" : " (it fits '" + step.op + "' on " + join(candidates, ", ") + ")"));
    for (const auto& m : *values) {
      if (const bj::value* given = step.config.if_contains(m.key()); given && !given->is_null())
        throw Error(Errc::kConfig, name + " step " + std::to_string(s + 1) + (step.where.empty() ? "" : " (" + step.where + ")") + ": '" +
                                       std::string(m.key()) + "' is given (" + json::to_text(*given) + ") and 'fit' would take the value fitted for '" + key +
                                       "': remove one of them");
      step.config[m.key()] = m.value();
      step.fit->fields.push_back(std::string(m.key()));
    }
    step.fit->done = true;
  }
}

void write_fits(bj::value& root, const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    if (!step.fit || !step.fit->done || step.pointer.empty()) continue;
    boost::system::error_code ec;
    bj::value* at = root.find_pointer(step.pointer, ec);
    if (at == nullptr || !at->is_object()) continue;  // not written in this document (a default pipeline)
    bj::object& o = at->as_object();
    o.erase("fit");
    for (const std::string& field : step.fit->fields) {
      if (field != "repeat") {
        o[field] = step.config.at(field);
        continue;
      }
      bj::array repeat;
      for (const bj::object& entry : step.repeat) repeat.push_back(entry);
      o["repeat"] = std::move(repeat);
    }
  }
}

std::vector<std::string> fit_data(const Registry& registry, DataConfig& data, ValidationData* validation, size_t threads, bool progress) {
  std::vector<std::string> lines;
  bool any = false;
  for (const Step& s : data.dataset.static_steps) any = any || needs_fit(s);
  if (any) {
    DatasetSpec spec = data.dataset;
    spec.samples = split_samples(data, data.folds ? "train" : "all");
    spec.index_threads = std::max<size_t>(1, threads);
    spec.index_progress = progress;
    lines = fit_static_steps(registry, spec);
    data.dataset.static_steps = std::move(spec.static_steps);
  }
  if (validation && validation->static_steps) copy_fits(data.dataset.static_steps, *validation->static_steps, "validation's static pipeline");
  return lines;
}

}  // namespace fuse::data
