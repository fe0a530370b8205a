#include "fuse/data/data_config.h"

#include <algorithm>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/folds.h"
#include "fuse/json/object_reader.h"
#include "fuse/json/write.h"

namespace fuse::data {

namespace fs = std::filesystem;
namespace bj = boost::json;
using json::ObjectReader;

namespace {

const bj::value& at_pointer(const json::Document& d, const std::string& pointer) {
  boost::system::error_code ec;
  const bj::value* v = d.root().find_pointer(pointer, ec);
  if (v == nullptr) throw ConfigError(pointer, d.source() + ": no '" + pointer + "' section");
  return *v;
}

fs::path resolve(const fs::path& base, const std::string& p) {
  const fs::path path(p);
  return path.is_absolute() || base.empty() ? path : (base / path).lexically_normal();
}

}  // namespace

std::vector<Sample> read_sample_source(const json::Document& d, const std::string& pointer) {
  ObjectReader s(d, at_pointer(d, pointer), pointer, "the sample source");
  const auto base = [&](const char* field) { return d.folder_of(s.pointer(field)); };  // a base file's, when inherited
  try {
    if (s.has("table")) {
      s.allow({"table", "id_column", "keys", "paths", "required", "with"});
      TableSource t;
      t.file = resolve(base("table"), s.string("table"));
      t.id_column = s.string("id_column", "");
      t.path_columns = s.strings("paths");
      t.required = s.strings("required");
      if (const bj::value* keys = s.find("keys")) {
        ObjectReader k(d, *keys, s.pointer("keys"), "'keys' (column -> key)");
        for (const auto& m : k.object()) t.keys[std::string(m.key())] = k.string(std::string(m.key()));
      }
      if (const bj::value* with = s.find("with")) {
        ObjectReader w(d, *with, s.pointer("with"), "'with' (key -> paired file)");
        for (const auto& m : w.object()) t.with.emplace_back(std::string(m.key()), w.string(std::string(m.key())));
      }
      return read_table_source(t);
    }
    if (s.has("folder")) {
      s.allow({"folder", "pattern", "match", "key", "id", "with"});
      GlobSource g{resolve(base("folder"), s.string("folder")), s.string("pattern", "*"), s.string("key", "data.path"), s.string("id", "{stem}"), {}};
      g.folders = s.choice("match", {"files", "folders"}, "files") == "folders";
      if (const bj::value* with = s.find("with")) {
        ObjectReader w(d, *with, s.pointer("with"), "'with' (key -> paired file)");
        for (const auto& m : w.object()) g.with.emplace_back(std::string(m.key()), w.string(std::string(m.key())));
      }
      return read_glob_source(g);
    }
    if (s.has("datalist")) {
      s.allow({"datalist", "section", "keys", "paths"});
      DatalistSource l;
      l.file = resolve(base("datalist"), s.string("datalist"));
      l.section = s.string("section", "training");
      if (s.has("paths")) l.path_fields = s.strings("paths");
      if (const bj::value* keys = s.find("keys")) {
        ObjectReader k(d, *keys, s.pointer("keys"), "'keys' (field -> key)");
        for (const auto& m : k.object()) l.keys[std::string(m.key())] = k.string(std::string(m.key()));
      }
      return read_datalist_source(l);
    }
    if (s.has("ids")) {
      s.allow({"ids", "key"});
      return ids_source(s.strings("ids"), s.string("key", "data.id"));
    }
    if (s.has("count")) {
      s.allow({"count", "key"});
      return range_source(static_cast<size_t>(s.integer("count", std::nullopt, 1)), s.string("key", "data.index"));
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    throw Error(e.code(), d.location(s.pointer()) + ": " + e.what());
  }
  s.fail("", "the sample source needs one of 'table', 'folder', 'datalist', 'ids' or 'count'");
}

namespace {

// A step that splits or drops samples: {"split": {"keys": [...], "axis": 0}}, {"keep_if": key} or
// {"drop_if": key}, alone in its object.
Step read_count_step(const json::Document& d, const ObjectReader& r, bool static_pipeline) {
  const std::string kind = r.has("split") ? "split" : r.has("keep_if") ? "keep_if" : "drop_if";
  if (!static_pipeline)
    r.fail(kind, "'" + kind + "' changes the number of samples, which only the static pipeline may do (its output is cached and indexed)");
  r.allow({kind});
  Step step;
  if (kind == "keep_if") step.keep_if = r.string("keep_if");
  if (kind == "drop_if") step.drop_if = r.string("drop_if");
  if (kind == "split") {
    ObjectReader s(d, *r.find("split"), r.pointer("split"), "'split'");
    s.allow({"keys", "axis", "source_key"});
    Split split;
    split.keys = s.strings("keys");
    if (split.keys.empty()) s.fail("", "'split' needs 'keys': the tensors or lists to split (e.g. [\"data.image\", \"data.label\"])");
    split.axis = s.integer("axis", 0);
    split.source_key = s.string("source_key", "data.source_id");
    step.split = std::move(split);
  }
  return step;
}

// "fit": true, false, {"mask": key, "set": {field: statistic}}, {"from": key} or {"time": key, "event": key};
// which a pipeline may have, read_steps and read_static_steps check.
std::optional<StepFit> read_fit(const json::Document& d, const ObjectReader& r, const Step& step) {
  const bj::value& v = *r.find("fit");
  StepFit fit;
  bj::object set;
  if (v.is_bool()) {
    if (!v.as_bool()) return std::nullopt;
  } else if (v.is_object()) {
    ObjectReader f(d, v, r.pointer("fit"), "'fit'");
    f.allow({"mask", "set", "from", "time", "event", "channels"});
    fit.mask = f.string("mask", "");
    if (f.has("channels")) {
      const std::string what = "'channels' lists the channels to measure (indices along the tensor's first axis), each once, e.g. [0]";
      const bj::value& list = *f.find("channels");
      if (!list.is_array() || list.as_array().empty()) f.fail("channels", what);
      std::set<int64_t> seen;
      for (const bj::value& c : list.as_array()) {
        if (!c.is_int64() || c.as_int64() < 0 || !seen.insert(c.as_int64()).second) f.fail("channels", what);
        fit.channels.push_back(c.as_int64());
      }
    }
    fit.from = f.string("from", "");
    fit.time = f.string("time", "");
    fit.event = f.string("event", "");
    if (!fit.from.empty() && (f.has("mask") || f.has("set") || f.has("channels")))
      f.fail("from", "'from' takes the values fitted for that key as they are: no 'mask', 'set' or 'channels' beside it");
    if (f.has("time") != f.has("event"))
      f.fail(f.has("time") ? "time" : "event", "a fit to the trained model's predictions needs both 'time' and 'event' (the training samples' survival "
                                               "time and event keys)");
    if (f.has("time") && (f.has("mask") || f.has("set") || f.has("from") || f.has("channels")))
      f.fail("time", "'time' and 'event' fit the step to the trained model's predictions: no 'mask', 'set', 'from' or 'channels' beside them");
    if (const bj::value* fields = f.find("set")) {
      ObjectReader s(d, *fields, f.pointer("set"), "'set' (config field -> statistic)");
      for (const auto& m : s.object()) {
        const std::string statistic = s.string(std::string(m.key()));
        if (!is_fit_statistic(statistic))
          s.fail(std::string(m.key()), "'" + std::string(m.key()) + "': unknown statistic '" + statistic + "'; one of " + kFitStatistics);
        fit.set.emplace_back(std::string(m.key()), statistic);
      }
      if (fit.set.empty()) f.fail("set", "'set' names no config field to fit");
      set = fields->as_object();
    }
  } else {
    r.fail("fit", "'fit' must be true, false or {\"mask\": key, \"set\": {field: statistic}} (statistics only where the mask is > 0; the fields to "
                  "fit and how), or in postprocessing {\"from\": key} (the values data.static fitted for that key) or {\"time\": key, \"event\": key} "
                  "(fitted after training to the model's outputs on the training samples)");
  }
  bj::array repeat, channels;
  for (const bj::object& entry : step.repeat) repeat.push_back(entry);
  for (int64_t c : fit.channels) channels.emplace_back(c);
  fit.signature = bj::object{{"op", step.op}, {"config", step.config}, {"repeat", std::move(repeat)}, {"mask", fit.mask}, {"set", std::move(set)},
                             {"time", fit.time}, {"event", fit.event}};
  if (!channels.empty()) fit.signature.as_object()["channels"] = std::move(channels);
  return fit;
}

std::vector<Step> read_any_steps(const json::Document& d, const std::string& pointer, bool static_pipeline) {
  std::vector<Step> steps;
  boost::system::error_code ec;
  const bj::value* list = d.root().find_pointer(pointer, ec);
  if (list == nullptr) return steps;
  if (!list->is_array())
    throw ConfigError(pointer, d.location(pointer) + ": expected an array of steps like {\"op\": \"fuse.ops.zscore\", ...}");
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    const std::string p = json::child_pointer(pointer, i);
    ObjectReader r(d, list->as_array()[i], p, "a pipeline step");
    if (!r.has("op") && (r.has("split") || r.has("keep_if") || r.has("drop_if"))) {
      Step step = read_count_step(d, r, static_pipeline);
      step.where = d.location(p);
      steps.push_back(std::move(step));
      continue;
    }
    Step step;
    step.op = r.string("op");
    step.where = d.location(p);
    step.base = d.folder_of(p);
    step.pointer = p;
    for (const auto& m : r.object()) {
      if (m.key() == "op" || m.key() == "fit") continue;
      if (m.key() == "apply_if") {
        step.apply_if = r.string("apply_if");
        continue;
      }
      if (m.key() == "apply_if_present") {
        step.apply_if_present = r.strings("apply_if_present");
        if (step.apply_if_present.empty()) r.fail("apply_if_present", "'apply_if_present' names no key: give the key (or keys) the step needs");
        continue;
      }
      if (m.key() == "apply_probability") {
        step.apply_probability = r.number("apply_probability", std::nullopt, 0.0, 1.0);
        continue;
      }
      if (m.key() == "repeat") {
        if (!m.value().is_array()) r.fail("repeat", "'repeat' must be an array of config objects, one per run of the op");
        for (size_t j = 0; j < m.value().as_array().size(); ++j) {
          const bj::value& extra = m.value().as_array()[j];
          if (!extra.is_object()) r.fail_at(json::child_pointer(r.pointer("repeat"), j), "each 'repeat' entry must be an object");
          step.repeat.push_back(extra.as_object());
        }
        continue;
      }
      step.config[m.key()] = m.value();
    }
    if (r.has("fit")) step.fit = read_fit(d, r, step);
    steps.push_back(std::move(step));
  }
  return steps;
}

// Refuses the steps' fits this pipeline cannot have: measured ones outside static pipelines, and taken ones
// ("from") outside postprocessing.
void check_fits(const json::Document& d, const std::string& pointer, const std::vector<Step>& steps, bool measured, bool from) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!steps[i].fit) continue;
    const bool taken = !steps[i].fit->from.empty() || steps[i].fit->on_predictions();
    if (taken ? from : measured) continue;
    const std::string p = json::child_pointer(json::child_pointer(pointer, i), "fit");
    if (steps[i].fit->on_predictions())
      throw ConfigError(p, d.location(p) + ": 'fit': 'time' and 'event' fit a postprocessing step to the trained model's outputs (a Cox model's "
                                           "baseline hazard); this pipeline runs before the model: put the step in 'postprocess'");
    if (taken)
      throw ConfigError(p, d.location(p) + ": 'fit': 'from' takes the values data.static fitted for a key into a postprocessing step (to undo the "
                                           "target's standardisation, say); a static step measures its own ('fit': true)");
    throw ConfigError(p, d.location(p) + ": 'fit': only static steps (data.static, validation.static, inference.steps) are fitted, once, to the "
                                         "training samples; this pipeline is not one of them" +
                             std::string(from ? " (a postprocessing step takes a data.static step's values with {\"from\": key}, or is fitted to the "
                                                "trained model's outputs with {\"time\": key, \"event\": key})"
                                              : ""));
  }
}

}  // namespace

std::vector<Step> read_steps(const json::Document& d, const std::string& pointer, bool allow_fit) {
  std::vector<Step> steps = read_any_steps(d, pointer, false);
  check_fits(d, pointer, steps, allow_fit, false);
  return steps;
}

std::vector<Step> read_postprocess_steps(const json::Document& d, const std::string& pointer) {
  std::vector<Step> steps = read_any_steps(d, pointer, false);
  check_fits(d, pointer, steps, false, true);
  return steps;
}

namespace {

// An error at the first of `steps` that sets `field`.
void refuse_step_field(const json::Document& d, const std::string& pointer, const std::vector<Step>& steps, const std::string& field,
                       const std::string& why) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const bool set = field == "apply_if"           ? !steps[i].apply_if.empty()
                     : field == "apply_if_present" ? !steps[i].apply_if_present.empty()
                                                   : steps[i].apply_probability.has_value();
    if (!set) continue;
    const std::string p = json::child_pointer(json::child_pointer(pointer, i), field);
    throw ConfigError(p, d.location(p) + ": '" + field + "': " + why);
  }
}

}  // namespace

std::vector<Step> read_static_steps(const json::Document& d, const std::string& pointer) {
  std::vector<Step> steps = read_any_steps(d, pointer, true);
  check_fits(d, pointer, steps, true, false);
  refuse_step_field(d, pointer, steps, "apply_probability", "static steps are cached, so they cannot be random: move the step to the dynamic pipeline");
  return steps;
}

DataConfig read_data_config(const json::Document& d, const std::string& pointer, bool read_samples) {
  ObjectReader data(d, at_pointer(d, pointer), pointer, "the data section");
  data.allow({"source", "static", "dynamic", "batch", "cache", "on_error", "seed", "folds", "loader"});
  DataConfig c;
  c.pointer = pointer;
  if (!data.has("source")) data.fail("", "missing field 'source' in the data section (a table, a folder, a datalist, ids or a count)");
  if (read_samples) c.dataset.samples = read_sample_source(d, data.pointer("source"));
  c.dataset.static_steps = read_static_steps(d, data.pointer("static"));
  c.dataset.dynamic_steps = read_steps(d, data.pointer("dynamic"));
  c.dataset.batch_steps = read_steps(d, data.pointer("batch"));
  // A batch step runs once for all its samples.
  refuse_step_field(d, data.pointer("batch"), c.dataset.batch_steps, "apply_probability",
                    "a batch step runs once for the whole batch: use the op's own 'p', which it draws per sample");
  refuse_step_field(d, data.pointer("batch"), c.dataset.batch_steps, "apply_if",
                    "a batch step runs once for the whole batch: put the step in the dynamic pipeline");
  refuse_step_field(d, data.pointer("batch"), c.dataset.batch_steps, "apply_if_present",
                    "a batch step runs once for the whole batch: put the step in the dynamic pipeline");
  const std::string on_error = data.choice("on_error", {"fail", "skip", "retry"}, "fail");
  c.dataset.on_error = on_error == "skip" ? OnError::kSkip : on_error == "retry" ? OnError::kRetry : OnError::kFail;
  c.dataset.seed = static_cast<uint64_t>(data.integer("seed", 0, 0));
  if (const bj::value* cache = data.find("cache")) {
    if (cache->is_string()) {
      c.dataset.cache_dir = resolve(d.folder_of(data.pointer("cache")), std::string(cache->as_string()));
    } else {
      ObjectReader r(d, *cache, data.pointer("cache"), "'cache'");
      r.allow({"dir", "memory_mb", "audit"});
      c.dataset.cache_dir = resolve(d.folder_of(r.pointer("dir")), r.string("dir"));
      c.dataset.cache_memory_bytes = static_cast<size_t>(r.number("memory_mb", 0, 0) * 1024 * 1024);
      // true (the default): the first sample; false: none; a number: the first and that share of the others.
      if (const bj::value* audit = r.find("audit")) {
        if (audit->is_bool()) c.dataset.cache_audit = CacheAudit{audit->as_bool(), 0};
        else if (audit->is_number() && audit->to_number<double>() >= 0 && audit->to_number<double>() <= 1) c.dataset.cache_audit = CacheAudit{true, audit->to_number<double>()};
        else r.fail("audit", "'audit' must be true (recompute the first cached sample), false, or a share of the samples in [0, 1]; got " + json::to_text(*audit));
      }
    }
  }
  if (const bj::value* folds = data.find("folds")) {
    ObjectReader r(d, *folds, data.pointer("folds"), "'folds'");
    r.allow({"k", "stratify", "separator", "group", "file", "seed", "train", "validation"});
    FoldsSpec f;
    f.k = static_cast<size_t>(r.integer("k", 5, 2));
    f.stratify = r.strings("stratify");
    f.separator = r.string("separator", "");
    if (r.has("separator") && (f.separator.empty() || f.stratify.size() != 1))
      r.fail("separator", f.separator.empty() ? "'separator' is empty: give the text between two labels, e.g. \"|\""
                                              : "'separator' splits the text of one 'stratify' key into labels, but 'stratify' names " +
                                                    std::to_string(f.stratify.size()) + " keys");
    f.group = r.string("group", "");
    if (!r.has("file"))
      r.fail("", "'folds' needs 'file': where the split is saved the first time and read afterwards, so that every run (and --cross-validate) "
                 "uses the same folds (e.g. \"file\": \"folds.json\", relative to this file)");
    f.file = resolve(d.folder_of(r.pointer("file")), r.string("file"));
    f.seed = static_cast<uint64_t>(r.integer("seed", static_cast<int64_t>(c.dataset.seed), 0));
    f.where = d.location(data.pointer("folds"));
    for (const char* split : {"train", "validation"}) {
      std::vector<int>& into = std::string(split) == "train" ? f.train : f.validation;
      const bj::value* v = r.find(split);
      if (v == nullptr) continue;
      if (!v->is_array()) r.fail(split, std::string("'") + split + "' must be an array of fold numbers");
      for (const bj::value& n : v->as_array()) {
        if (!n.is_int64() || n.as_int64() < 0 || n.as_int64() >= static_cast<int64_t>(f.k))
          r.fail(split, std::string("'") + split + "' holds " + json::to_text(n) + "; folds are numbered 0 to " + std::to_string(f.k - 1));
        into.push_back(static_cast<int>(n.as_int64()));
      }
    }
    for (int fold : f.validation)
      if (std::find(f.train.begin(), f.train.end(), fold) != f.train.end())
        r.fail("validation", "fold " + std::to_string(fold) + " is in 'train' and in 'validation': the model would be validated on samples it trained on");
    // Unnamed splits, as FuseMedML's examples: the last fold validates, the others train; one split named, the
    // other is the rest.
    const auto rest = [&](const std::vector<int>& taken) {
      std::vector<int> out;
      for (int i = 0; i < static_cast<int>(f.k); ++i)
        if (std::find(taken.begin(), taken.end(), i) == taken.end()) out.push_back(i);
      return out;
    };
    if (f.train.empty() && f.validation.empty()) f.validation = {static_cast<int>(f.k) - 1};
    if (f.train.empty()) f.train = rest(f.validation);
    else if (f.validation.empty()) f.validation = rest(f.train);
    c.folds = f;
  }
  return c;
}

namespace {

std::string label_of(const Sample& s, const std::string& key, const std::string& where) {
  const Value* v = s.values.find(key);
  if (v == nullptr)
    throw Error(Errc::kKeyNotFound, where + ": folds: sample '" + s.id + "' has no '" + key + "' in its source (" + s.origin + ")");
  if (v->is<std::string>()) return v->as<std::string>();
  if (v->is<int64_t>()) return std::to_string(v->as<int64_t>());
  if (v->is<bool>()) return v->as<bool>() ? "true" : "false";
  if (v->is<double>()) return json::format_number(v->as<double>());
  throw Error(Errc::kType, where + ": folds: '" + key + "' of sample '" + s.id + "' is a " + v->type_name() + ", not a class or group label");
}

// Each sample's class: the one stratify key's value, or with several labels (keys of 0/1, or one key's text
// split by the separator) the sample's rarest label.
std::vector<std::string> strata_of(const std::vector<Sample>& all, const FoldsSpec& f) {
  std::vector<std::string> strata;
  if (f.stratify.size() == 1 && f.separator.empty()) {
    for (const Sample& s : all) strata.push_back(label_of(s, f.stratify[0], f.where));
    return strata;
  }
  if (f.stratify.empty()) return strata;
  std::vector<std::vector<std::string>> labels(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    for (const std::string& key : f.stratify) {
      const Value* cell = all[i].values.find(key);
      if (cell != nullptr && cell->is_null() && f.separator.empty()) continue;  // an empty cell: without the label
      const std::string v = label_of(all[i], key, f.where);
      if (!f.separator.empty()) {
        for (std::string_view piece : split(v, f.separator)) {
          const std::string label(trim(piece));
          if (!label.empty()) labels[i].push_back(label);
        }
      } else if (v == "1" || v == "true") {
        labels[i].push_back(key);
      } else if (v != "0" && v != "false" && v != "-1") {  // -1: uncertain (CheXpert), counted as without
        throw Error(Errc::kInvalidArgument, f.where + ": folds: 'stratify' names several keys, each a 0/1 label (-1 or empty: uncertain or not mentioned), but "
                                                "sample '" + all[i].id + "' has '" + key + "' = " + v);
      }
    }
  }
  return rarest_label_strata(labels);
}

}  // namespace

std::vector<Sample> split_samples(const DataConfig& config, const std::string& split) {
  const std::vector<Sample>& all = config.dataset.samples;
  if (split == "all") return all;
  if (split != "train" && split != "validation") throw Error(Errc::kInvalidArgument, "unknown split '" + split + "' (all, train, validation)");
  if (!config.folds) throw Error(Errc::kConfig, "the data section has no 'folds', so there is no '" + split + "' split; use 'all'");
  const FoldsSpec& f = *config.folds;
  std::vector<std::string> ids;
  for (const Sample& s : all) ids.push_back(s.id);
  std::vector<int> folds;
  if (fs::exists(f.file)) {
    folds = load_folds(f.file, ids);
  } else {
    std::vector<std::string> strata = strata_of(all, f), groups;
    for (const Sample& s : all)
      if (!f.group.empty()) groups.push_back(label_of(s, f.group, f.where));
    if (strata.empty() && groups.empty()) strata.assign(all.size(), "");
    folds = split_folds(strata, groups, f.k, f.seed);
    if (f.file.has_parent_path()) fs::create_directories(f.file.parent_path());
    save_folds(f.file, ids, folds, f.k, f.seed);
  }
  const std::vector<int>& chosen = split == "train" ? f.train : f.validation;
  if (chosen.empty())
    throw Error(Errc::kConfig, f.where + ": folds: no fold is left for '" + split + "': '" + (split == "train" ? "validation" : "train") + "' takes all " +
                                   std::to_string(f.k) + " folds; name the '" + split + "' folds" +
                                   (split == "validation" ? ", or give the validation data its own 'source'" : ""));
  const std::set<int> pick(chosen.begin(), chosen.end());
  std::vector<Sample> out;
  for (size_t i = 0; i < all.size(); ++i)
    if (pick.count(folds[i])) out.push_back(all[i]);
  return out;
}

std::optional<ValidationData> read_validation_data(const json::Document& d, const DataConfig& data, bool read_samples) {
  boost::system::error_code ec;
  const bj::value* v = d.root().find_pointer("/validation", ec);
  if (v == nullptr) return std::nullopt;
  ValidationData out;
  const std::vector<std::string> fields{"source", "static", "dynamic", "batch_size", "sliding_window", "slices"};
  const bool section = v->is_object() && std::any_of(fields.begin(), fields.end(), [&](const std::string& f) { return v->as_object().contains(f); });
  if (!section) {  // a plain sample source
    out.has_source = true;
    if (read_samples) out.samples = read_sample_source(d, "/validation");
    return out;
  }
  ObjectReader r(d, *v, "/validation", "the validation data");
  r.allow(fields);
  out.has_source = r.has("source");
  if (!out.has_source && !data.folds)
    r.fail("", "the validation data has no samples: give it a 'source' ({\"table\": ...}), or split the data into folds (data.folds)");
  if (out.has_source && read_samples) out.samples = read_sample_source(d, "/validation/source");
  if (r.has("static")) out.static_steps = read_static_steps(d, "/validation/static");
  if (r.has("dynamic")) out.dynamic_steps = read_steps(d, "/validation/dynamic");
  return out;
}

DatasetSpec validation_dataset(const DataConfig& data, const ValidationData& validation) {
  DatasetSpec spec = data.dataset;
  spec.samples.clear();
  if (validation.has_source) spec.samples = validation.samples;
  else if (data.folds) spec.samples = split_samples(data, "validation");
  if (validation.static_steps) spec.static_steps = *validation.static_steps;
  if (validation.dynamic_steps) spec.dynamic_steps = *validation.dynamic_steps;
  return spec;
}

}  // namespace fuse::data
