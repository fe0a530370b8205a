#include "fuse/train/experiment.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"
#include "fuse/data/fit.h"
#include "fuse/json/object_reader.h"
#include "fuse/json/setting.h"
#include "fuse/json/write.h"

namespace fuse::train {

namespace bj = boost::json;
namespace fs = std::filesystem;
using json::ObjectReader;

namespace {

const bj::value* at(const json::Document& d, const std::string& pointer) {
  boost::system::error_code ec;
  return d.root().find_pointer(pointer, ec);
}

// A component entry: `id_field` names the component, the listed fields are ours, everything else its config.
boost::json::object config_of(const ObjectReader& r, const std::vector<std::string>& ours) {
  bj::object config;
  for (const auto& m : r.object()) {
    const std::string k(m.key());
    if (std::find(ours.begin(), ours.end(), k) == ours.end()) config[k] = m.value();
  }
  return config;
}

void read_model(const json::Document& d, Experiment& e) {
  const bj::value* v = at(d, "/model");
  if (v == nullptr) throw ConfigError("/model", d.location("") + ": missing field 'model' (the model components)");
  ObjectReader model(d, *v, "/model", "the model");
  auto read_component = [&](const bj::value& c, const std::string& pointer, const std::string& fallback_name) {
    ObjectReader r(d, c, pointer, "a model component");
    ComponentSpec s;
    s.name = r.string("name", fallback_name);
    s.where = d.location(pointer);
    s.pointer = pointer;
    if (r.has("shares")) {
      r.allow({"name", "shares", "keys"});
      s.shares = r.string("shares");
      if (const bj::value* keys = r.find("keys")) {
        ObjectReader k(d, *keys, r.pointer("keys"), "'keys' (the component's key -> this application's key)");
        for (const auto& m : k.object()) s.keys[std::string(m.key())] = k.string(std::string(m.key()));
      }
    } else {
      s.component = r.string("model");
      s.config = config_of(r, {"name", "model"});
    }
    s.default_seed = e.seed + e.model.size();
    e.model.push_back(std::move(s));
  };
  if (model.has("components")) {
    model.allow({"components", "freeze", "param_groups"});
    const bj::value* list = model.find("components");
    if (!list->is_array() || list->as_array().empty()) model.fail("components", "'components' must be a non-empty array of model components");
    for (size_t i = 0; i < list->as_array().size(); ++i)
      read_component(list->as_array()[i], json::child_pointer("/model/components", i), "net" + std::to_string(i));
  } else {
    // One component: {"model": "<id>", ...its config..., "freeze": [...], "param_groups": [...]}.
    ObjectReader r(d, *v, "/model", "the model");
    ComponentSpec s;
    s.name = "net";
    s.component = r.string("model");
    s.config = config_of(r, {"model", "freeze", "param_groups"});
    s.where = d.location("/model");
    s.pointer = "/model";
    s.default_seed = e.seed;
    e.model.push_back(std::move(s));
  }
  e.freeze = model.strings("freeze");
  if (const bj::value* groups = model.find("param_groups")) {
    if (!groups->is_array()) model.fail("param_groups", "'param_groups' must be an array of {\"params\": [globs], \"lr\": ...}");
    for (size_t i = 0; i < groups->as_array().size(); ++i) {
      ObjectReader g(d, groups->as_array()[i], json::child_pointer("/model/param_groups", i), "a parameter group");
      g.allow({"params", "lr", "weight_decay"});
      ParamGroupSpec p;
      p.patterns = g.strings("params");
      if (p.patterns.empty()) g.fail("params", "a parameter group needs 'params' (globs over parameter names)");
      if (g.has("lr")) p.lr = g.number("lr", std::nullopt, 0);
      if (g.has("weight_decay")) p.weight_decay = g.number("weight_decay", std::nullopt, 0);
      e.param_groups.push_back(std::move(p));
    }
  }
}

void read_losses(const json::Document& d, Experiment& e) {
  const bj::value* v = at(d, "/losses");
  if (v == nullptr) throw ConfigError("/losses", d.location("") + ": missing field 'losses' (at least one loss component)");
  ObjectReader losses(d, *v, "/losses", "'losses'");
  if (losses.object().empty()) losses.fail("", "'losses' names no loss");
  for (const auto& m : losses.object()) {
    const std::string name(m.key());
    ObjectReader r(d, m.value(), losses.pointer(name), "loss '" + name + "'");
    LossSpec s;
    s.name = name;
    s.component = r.string("loss");
    s.weight = r.number("weight", 1.0, 0);
    s.warmup_steps = r.integer("warmup_steps", 0, 0);
    if (r.has("deep_supervision")) {
      s.deep_supervision = r.strings("deep_supervision");
      if (s.deep_supervision.empty())
        r.fail("deep_supervision", "'deep_supervision' names no key: list the model's lower-resolution outputs, 1/2 the size first (fuse.models.unet's "
                                   "'deep_supervision' keys)");
    }
    s.config = config_of(r, {"loss", "weight", "warmup_steps", "pre", "deep_supervision"});
    if (r.has("pre")) s.pre = data::read_steps(d, r.pointer("pre"));
    for (const char* field : {"class_weights", "dice_class_weights", "pos_weights"})
      if (const bj::value* w = s.config.if_contains(field); w && w->is_string()) {
        if (w->as_string() != "auto")
          r.fail(field, "'" + std::string(field) + "' must be a list of numbers (one per " + (std::string(field) == "pos_weights" ? "label" : "class") +
                            ") or \"auto\"");
        if (const bj::value* regions = s.config.if_contains("regions"); regions && !regions->is_null() && std::string(field) == "class_weights")
          r.fail(field, "'class_weights' weighs the classes of a cross-entropy; with 'regions' the loss has none: \"dice_class_weights\": \"auto\" "
                        "weighs the regions");
        s.auto_weights.push_back(field);
        s.config.erase(field);
      }
    s.where = d.location(losses.pointer(name));
    e.losses.push_back(std::move(s));
  }
}

void read_metrics(const json::Document& d, Experiment& e) {
  const bj::value* v = at(d, "/metrics");
  if (v == nullptr) return;
  ObjectReader metrics(d, *v, "/metrics", "'metrics'");
  for (const auto& m : metrics.object()) {
    const std::string name(m.key());
    ObjectReader r(d, m.value(), metrics.pointer(name), "metric '" + name + "'");
    MetricSpec s;
    s.name = name;
    s.component = r.string("metric");
    s.output = r.string("output", "");
    if (r.has("on")) {
      const std::vector<std::string> on = r.strings("on");
      s.train = std::find(on.begin(), on.end(), "train") != on.end();
      s.validation = std::find(on.begin(), on.end(), "validation") != on.end();
      for (const std::string& o : on)
        if (o != "train" && o != "validation") r.fail("on", "'on' lists \"train\" and/or \"validation\", got \"" + o + "\"");
    }
    s.config = config_of(r, {"metric", "output", "on"});
    s.where = d.location(metrics.pointer(name));
    e.metrics.push_back(std::move(s));
  }
}

void read_optimizer(const json::Document& d, Experiment& e) {
  const bj::value* v = at(d, "/optimizer");
  if (v == nullptr) return;
  ObjectReader r(d, *v, "/optimizer", "the optimizer");
  r.allow({"name", "lr", "weight_decay", "momentum", "nesterov", "betas", "sam_rho"});
  OptimizerSpec& o = e.optimizer;
  o.name = r.choice("name", {"sgd", "adam", "adamw"}, "adamw");
  o.lr = r.number("lr", 1e-3, 0);
  o.weight_decay = r.number("weight_decay", 0.0, 0);
  o.momentum = r.number("momentum", 0.9, 0, 1);
  o.nesterov = r.boolean("nesterov", false);
  o.sam_rho = r.number("sam_rho", 0.0, 0);
  if (const bj::value* b = r.find("betas")) {
    if (!b->is_array() || b->as_array().size() != 2 || !b->as_array()[0].is_number() || !b->as_array()[1].is_number())
      r.fail("betas", "'betas' must be two numbers, e.g. [0.9, 0.999]");
    o.betas = {b->as_array()[0].to_number<double>(), b->as_array()[1].to_number<double>()};
  }
}

void read_schedule(const json::Document& d, Experiment& e) {
  const bj::value* v = at(d, "/schedule");
  if (v == nullptr) return;
  ObjectReader r(d, *v, "/schedule", "the schedule");
  r.allow({"name", "warmup_steps", "warmup_epochs", "step_size", "gamma", "min_factor", "pct_start", "div_factor", "final_div_factor", "factor",
           "patience", "min_lr_factor", "cycle_momentum", "momentum"});
  ScheduleSpec& s = e.schedule;
  s.name = r.choice("name", {"constant", "step", "cosine", "one_cycle", "plateau"}, "constant");
  s.warmup_steps = r.integer("warmup_steps", 0, 0);
  s.warmup_epochs = r.number("warmup_epochs", 0.0, 0);
  s.step_size = r.integer("step_size", 10, 1);
  s.gamma = r.number("gamma", 0.1, 0, 1);
  s.min_factor = r.number("min_factor", 0.0, 0, 1);
  s.pct_start = r.number("pct_start", 0.25, 0.01, 0.99);
  s.div_factor = r.number("div_factor", 25.0, 1);
  s.final_div_factor = r.number("final_div_factor", 1e4, 1);
  s.factor = r.number("factor", 0.1, 0, 1);
  s.patience = r.integer("patience", 5, 0);
  s.min_lr_factor = r.number("min_lr_factor", 0.0, 0, 1);
  for (const char* key : {"cycle_momentum", "momentum"})
    if (r.has(key) && s.name != "one_cycle")
      r.fail(key, std::string("'") + key + "' belongs to the one_cycle schedule (this one is '" + s.name + "'); the optimiser's 'momentum' or 'betas' set a fixed one");
  s.cycle_momentum = r.boolean("cycle_momentum", true);
  if (const bj::value* m = r.find("momentum")) {
    const bool pair = m->is_array() && m->as_array().size() == 2 && m->as_array()[0].is_number() && m->as_array()[1].is_number();
    const double outer = pair ? m->as_array()[0].to_number<double>() : 0, inner = pair ? m->as_array()[1].to_number<double>() : 0;
    if (!pair || !(outer >= 0 && outer < 1 && inner >= 0 && inner < 1))
      r.fail("momentum", "'momentum' must be two numbers in [0, 1): the momentum at the cycle's ends and at its peak rate, e.g. [0.95, 0.85]; got " +
                             json::to_text(*m));
    s.momentum = {outer, inner};
  }
}

void read_trainer(const json::Document& d, Experiment& e) {
  TrainerSpec& t = e.trainer;
  const bj::value* v = at(d, "/trainer");
  if (v == nullptr) return;
  ObjectReader r(d, *v, "/trainer", "the trainer");
  r.allow({"epochs", "monitor", "mode", "early_stopping", "min_delta", "grad_clip", "ema", "accumulate", "device", "mixed_precision", "threads",
           "on_nan", "progress", "stop_after", "distributed"});
  t.epochs = r.integer("epochs", 10, 1);
  t.monitor = r.string("monitor", "");
  t.maximize = r.choice("mode", {"min", "max"}, "min") == "max";
  t.patience = r.integer("early_stopping", 0, 0);
  t.min_delta = r.number("min_delta", 0.0, 0);
  t.grad_clip = r.number("grad_clip", 0.0, 0);
  t.ema = r.number("ema", 0.0, 0);
  if (t.ema >= 1)
    r.fail("ema", "'ema' must be below 1 (the share of the average kept at each step: 0.999 is usual, 0 turns the average off), got " +
                      json::to_text(*r.find("ema")));
  t.accumulate = r.integer("accumulate", 1, 1);
  t.device = r.string("device", "cpu");
  if (t.device != "cpu" && t.device.rfind("cuda", 0) != 0) r.fail("device", "'device' must be \"cpu\", \"cuda\" or \"cuda:N\", got \"" + t.device + "\"");
  t.mixed_precision = r.boolean("mixed_precision", false);
  t.threads = r.integer("threads", 0, 0);
  t.on_nan = r.choice("on_nan", {"stop", "skip"}, "stop");
  t.progress = r.boolean("progress", true);
  t.stop_after = r.integer("stop_after", 0, 0);
  if (const bj::value* dv = r.find("distributed")) {
    ObjectReader dr(d, *dv, r.pointer("distributed"), "the trainer's distributed section");
    dr.allow({"bucket_mb", "timeout_s"});
    t.bucket_mb = dr.number("bucket_mb", 25.0, 0.001);
    t.timeout_s = dr.integer("timeout_s", 300, 1);
  }
}

// `what`: "the inference's sliding window" or "the validation's sliding window".
void read_sliding_window(const json::Document& d, const bj::value& v, const std::string& pointer, const std::string& what, SlidingWindowSpec& w) {
  ObjectReader r(d, v, pointer, what);
  r.allow({"size", "overlap", "blend", "sigma_scale", "batch", "pad_value"});
  const bj::value* size = r.find("size");
  if (size == nullptr) r.fail("", "missing field 'size' in " + what + ": the window in voxels, [x, y] or [x, y, z]");
  if (size->is_array())
    for (const bj::value& n : size->as_array())
      if (n.is_int64() && n.as_int64() > 0) w.size.push_back(n.as_int64());
  if (!size->is_array() || w.size.size() != size->as_array().size() || w.size.size() < 2 || w.size.size() > 3)
    r.fail("size", "'size' must be the window in voxels, [x, y] or [x, y, z] (positive integers), got " + json::to_text(*size));
  w.overlap = r.number("overlap", w.overlap, 0.0);
  if (w.overlap >= 1) r.fail("overlap", "'overlap' must be below 1 (the fraction of a window the next one shares; 0.5: half), got " + json::to_text(*r.find("overlap")));
  w.blend = r.choice("blend", {"gaussian", "constant"}, w.blend);
  w.sigma_scale = r.number("sigma_scale", w.sigma_scale, 0.01);
  w.batch = r.integer("batch", w.batch, 1);
  w.pad_value = r.number("pad_value", w.pad_value);
}

// {"axis": "z"|"y"|"x", "batch"?}: a 2D model on volumes, slice by slice.
void read_slices(const json::Document& d, const bj::value& v, const std::string& pointer, const std::string& what, SliceSpec& s) {
  ObjectReader r(d, v, pointer, what);
  r.allow({"axis", "batch"});
  if (!r.has("axis")) r.fail("", "missing field 'axis' in " + what + ": the axis the slices cross, \"z\" (axial), \"y\" or \"x\"");
  s.axis = r.choice("axis", {"z", "y", "x"}, "z");
  s.batch = r.integer("batch", s.batch, 1);
}

// "validation": a sample source ({"table": ...}), or {"source"?, "static"?, "dynamic"?, "batch_size"?,
// "sliding_window"? | "slices"?}; core/data reads (and checks the fields of) the data part.
void read_validation(const json::Document& d, Experiment& e, bool read_samples) {
  std::optional<data::ValidationData> v = data::read_validation_data(d, e.data, read_samples);
  if (!v) return;
  ValidationSpec& s = e.validation;
  static_cast<data::ValidationData&>(s) = std::move(*v);
  const bj::value& section = *at(d, "/validation");
  if (!section.is_object()) return;
  ObjectReader r(d, section, "/validation", "the validation data");
  if (r.has("batch_size")) s.batch_size = r.integer("batch_size", std::nullopt, 1);
  if (r.has("sliding_window") && r.has("slices"))
    r.fail("slices", "'sliding_window' and 'slices' are two ways to predict a whole volume; choose one");
  if (const bj::value* sw = r.find("sliding_window")) {
    read_sliding_window(d, *sw, r.pointer("sliding_window"), "the validation's sliding window", s.sliding_window);
    // Whole volumes differ in size, so they cannot be stacked; the windows of one are batched instead.
    if (s.batch_size.value_or(1) != 1)
      r.fail("batch_size", "'batch_size' must be 1 with a sliding window (each volume is cut into windows; 'sliding_window.batch' sets how many "
                           "run at once), got " + std::to_string(*s.batch_size));
    s.batch_size = 1;
  }
  if (const bj::value* sl = r.find("slices")) {
    read_slices(d, *sl, r.pointer("slices"), "the validation's slices", s.slices);
    if (s.batch_size.value_or(1) != 1)
      r.fail("batch_size", "'batch_size' must be 1 with 'slices' (each volume is cut into its slices; 'slices.batch' sets how many run at once), got " +
                               std::to_string(*s.batch_size));
    s.batch_size = 1;
  }
}

void read_inference(const json::Document& d, Experiment& e) {
  InferenceSpec& i = e.inference;
  i.steps = e.data.dataset.static_steps;
  i.postprocess = e.postprocess;
  const bj::value* v = at(d, "/inference");
  if (v == nullptr) return;
  ObjectReader r(d, *v, "/inference", "the inference section");
  r.allow({"steps", "postprocess", "write", "input_key", "output_key", "reference", "previous_stage", "tta", "sliding_window", "slices"});
  if (r.has("steps")) i.steps = data::read_steps(d, "/inference/steps", true);
  if (r.has("postprocess")) i.postprocess = data::read_postprocess_steps(d, "/inference/postprocess");
  i.write = data::read_steps(d, "/inference/write");
  i.input_key = r.string("input_key", i.input_key);
  i.output_key = r.string("output_key", i.output_key);
  i.reference = r.string("reference", "");
  i.previous_stage = r.string("previous_stage", "");
  if (const bj::value* tta = r.find("tta")) {
    if (!tta->is_array()) r.fail("tta", "'tta' must be an array of axis lists, e.g. [[0], [1], [0, 1]] (0 = x)");
    for (size_t k = 0; k < tta->as_array().size(); ++k) {
      const bj::value& axes = tta->as_array()[k];
      std::vector<int> flip;
      if (axes.is_array())
        for (const bj::value& a : axes.as_array())
          if (a.is_int64() && a.as_int64() >= 0 && a.as_int64() < 3) flip.push_back(static_cast<int>(a.as_int64()));
      if (!axes.is_array() || flip.size() != axes.as_array().size() || flip.empty())
        r.fail_at(json::child_pointer("/inference/tta", k), "each 'tta' entry is a list of spatial axes to flip (0 = x, 1 = y, 2 = z)");
      i.tta.flips.push_back(flip);
    }
  }
  if (r.has("sliding_window") && r.has("slices")) r.fail("slices", "'sliding_window' and 'slices' are two ways to predict a whole volume; choose one");
  if (const bj::value* sw = r.find("sliding_window")) read_sliding_window(d, *sw, r.pointer("sliding_window"), "the inference's sliding window", i.sliding_window);
  if (const bj::value* sl = r.find("slices")) read_slices(d, *sl, r.pointer("slices"), "the inference's slices", i.slices);
}

}  // namespace

Experiment read_experiment(const fs::path& file, bool read_samples) { return read_experiment(json::Document::load(file, json::Extends::kFollow), read_samples); }

Experiment read_experiment(const fs::path& file, const std::vector<std::string>& settings, bool read_samples) {
  json::Document d = json::Document::load(file, json::Extends::kFollow);
  json::apply_settings(d, settings);
  Experiment e = read_experiment(d, read_samples);
  e.settings = settings;
  return e;
}

Experiment read_experiment(const json::Document& d, bool read_samples) {
  ObjectReader root(d, d.root(), "", "the experiment");
  // A section's field written at the top level: say where it goes rather than only that it is unknown.
  for (const auto& [field, section] : std::vector<std::pair<std::string, std::string>>{
           {"source", "data"}, {"static", "data"}, {"dynamic", "data"}, {"cache", "data"}, {"folds", "data"}, {"loader", "data"},
           {"on_error", "data"}, {"epochs", "trainer"}, {"device", "trainer"}, {"monitor", "trainer"}, {"lr", "optimizer"}})
    if (root.has(field))
      root.fail(field, "'" + field + "' belongs in the experiment's '" + section + "' section: \"" + section + "\": {..., \"" + field + "\": ...}");
  root.allow({"name", "seed", "data", "validation", "model", "postprocess", "losses", "metrics", "optimizer", "schedule", "trainer", "evaluation",
              "inference"});
  Experiment e;
  e.file = d.source();
  e.name = root.string("name", fs::path(d.source()).parent_path().filename().string());
  // A file that builds on another and names no run of its own is a variant: named after its file, so its runs
  // do not land in the base's folder.
  if (d.inherited("/name")) e.name = fs::path(d.source()).stem().string();
  e.seed = static_cast<uint64_t>(root.integer("seed", 0, 0));
  e.data = data::read_data_config(d, "/data", read_samples);
  if (!root.find("data")->as_object().contains("seed")) e.data.dataset.seed = e.seed;
  e.loader = loader::read_loader_config(d, "/data/loader");
  read_validation(d, e, read_samples);
  read_model(d, e);
  e.postprocess = data::read_postprocess_steps(d, "/postprocess");
  read_losses(d, e);
  read_metrics(d, e);
  read_optimizer(d, e);
  read_schedule(d, e);
  read_trainer(d, e);
  if (e.trainer.monitor.empty()) e.trainer.monitor = e.validation.has_source || e.data.folds ? "validation.loss" : "train.loss";
  if (e.trainer.monitor.rfind("train.", 0) != 0 && e.trainer.monitor.rfind("validation.", 0) != 0)
    throw ConfigError("/trainer/monitor", d.location("/trainer/monitor") + ": 'monitor' must start with \"train.\" or \"validation.\", got \"" +
                                              e.trainer.monitor + "\"");
  if (root.has("evaluation")) {
    ObjectReader ev(d, *root.find("evaluation"), "/evaluation", "the evaluation");
    EvaluationSpec s;
    s.config = eval::read_eval_config(d, "/evaluation");
    if (s.config.target_column.empty() && s.config.label_columns.empty())
      ev.fail("", "the evaluation needs 'target' (the key of the target), or 'labels' (multi-label: the keys of 0/1 targets)");
    if (!s.config.target_column.empty() && !s.config.label_columns.empty())
      ev.fail("labels", "the evaluation has a 'target' and 'labels': one target, or 0/1 labels (multi-label), not both");
    if (s.config.score_columns.empty()) ev.fail("", "the evaluation needs 'score' (the key(s) of the scores)");
    s.target = s.config.target_column;
    s.labels = s.config.label_columns;
    s.scores = s.config.score_columns;
    e.evaluation = std::move(s);
  }
  read_inference(d, e);
  e.resolved = d.root();
  return e;
}

std::vector<std::string> fit_experiment(const Registry& registry, Experiment& e, size_t threads, bool progress) {
  std::vector<std::string> lines = data::fit_data(registry, e.data, &e.validation, threads, progress);
  data::copy_fits(e.data.dataset.static_steps, e.inference.steps, "inference's steps");
  data::copy_fits_from(e.data.dataset.static_steps, e.postprocess, "postprocess");
  data::copy_fits_from(e.data.dataset.static_steps, e.inference.postprocess, "inference's postprocess");
  data::write_fits(e.resolved, e.data.dataset.static_steps);
  if (e.validation.static_steps) data::write_fits(e.resolved, *e.validation.static_steps);
  data::write_fits(e.resolved, e.inference.steps);
  data::write_fits(e.resolved, e.postprocess);
  data::write_fits(e.resolved, e.inference.postprocess);
  return lines;
}

}  // namespace fuse::train
