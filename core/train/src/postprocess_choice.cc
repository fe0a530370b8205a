#include "fuse/train/postprocess_choice.h"

#include <cmath>
#include <future>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/strings.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"
#include "fuse/train/cross_validation.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

constexpr const char* kKeepComponents = "fuse.medical.keep_components";
constexpr const char* kChoiceFile = "postprocess.json";

// The metric's regions (nnU-Net's region-based labels), or null when it scores classes.
const bj::array* regions_of(const bj::object& metric) {
  const bj::value* regions = metric.if_contains("regions");
  return regions != nullptr && regions->is_array() && !regions->as_array().empty() ? &regions->as_array() : nullptr;
}

// The label values of each class or region the metric reports, as fuse.metrics.segmentation reads its config
// (which it has checked by then).
std::vector<std::vector<int64_t>> reported_labels(const bj::object& metric) {
  std::vector<std::vector<int64_t>> out;
  if (const bj::array* regions = regions_of(metric)) {
    for (const bj::value& r : *regions) {
      std::vector<int64_t> labels;
      if (r.is_array())
        for (const bj::value& l : r.as_array()) labels.push_back(l.to_number<int64_t>());
      else
        labels.push_back(r.to_number<int64_t>());
      out.push_back(labels);
    }
    return out;
  }
  const bj::value* background = metric.if_contains("include_background");
  const int64_t first = background != nullptr && background->is_bool() && background->as_bool() ? 0 : 1;
  for (int64_t c = first; c < metric.at("num_classes").to_number<int64_t>(); ++c) out.push_back({c});
  return out;
}

// The spatial axes of a batch's label maps [batch, (channel 1,) *spatial], as the metric counts them.
int spatial_dims(const Tensor& pred, const Tensor& target) {
  const std::vector<int64_t>& s = pred.shape();
  size_t n = s.size();
  if (n >= 3 && s[1] == 1 && (n == 5 || n == static_cast<size_t>(target.ndim()) + 1)) --n;
  return static_cast<int>(n) - 1;
}

std::vector<double> numbers(const NDict& result, const std::string& key) {
  const Tensor& t = result.get<Tensor>(key);
  return std::vector<double>(t.data<double>(), t.data<double>() + t.numel());
}

bj::value json_number(double v) { return std::isnan(v) ? bj::value(nullptr) : bj::value(v); }

std::string labels_text(const std::vector<int64_t>& labels) {
  std::string text;
  for (int64_t l : labels) text += (text.empty() ? "" : ", ") + std::to_string(l);
  return text;
}

}  // namespace

struct PostprocessTrials::Impl {
  Impl(const Registry& r, const bj::object& m) : registry(r), metric(m) {
    // Made first, so that a config the metric refuses is reported as the metric's.
    variants.push_back(registry.create_metric("fuse.metrics.segmentation", metric));
    pred = std::string(metric.at("pred").as_string());
    target = std::string(metric.at("target").as_string());
    if (const bj::value* s = metric.if_contains("spacing_key"); s != nullptr && s->is_string()) spacing_key = std::string(s->as_string());
    labels = reported_labels(metric);
    std::set<int64_t> all;
    for (const auto& l : labels) all.insert(l.begin(), l.end());
    all.erase(0);
    foreground.assign(all.begin(), all.end());
    // A class holding the whole foreground would repeat the foreground's trial; the background is no object.
    for (size_t k = 0; k < labels.size(); ++k)
      if (labels[k] != std::vector<int64_t>{0} && labels[k] != foreground) judged.push_back(k);
    variants.push_back(registry.create_metric("fuse.metrics.segmentation", metric));  // the foreground's
    for (size_t j = 0; j < 2 * judged.size(); ++j) variants.push_back(registry.create_metric("fuse.metrics.segmentation", metric));
  }

  // An op keeping the largest component of `classes` together, on label maps of `dims` spatial axes.
  Op keep(const std::vector<int64_t>& classes) const {
    bj::array c;
    for (int64_t l : classes) c.push_back(l);
    return registry.create_op(kKeepComponents, bj::object{{"keys", bj::array{bj::value(pred)}}, {"dims", dims}, {"classes", c}, {"independent", false}});
  }

  // The maps under `map` scored as pred by variant j.
  void score(size_t j, const NDict& batch, const Tensor& map) {
    NDict b;
    b.set(pred, map);
    b.set(target, batch.at(target));
    if (!spacing_key.empty()) b.set(spacing_key, batch.at(spacing_key));
    variants[j].update(b);
  }

  // `map` cleaned by `op` (a copy).
  Tensor cleaned(Op& op, const Tensor& map) const {
    NDict s;
    s.set(pred, map.clone());
    op.forward(s);
    return s.get<Tensor>(pred);
  }

  const Registry& registry;
  bj::object metric;
  std::string pred, target, spacing_key;
  std::vector<std::vector<int64_t>> labels;  // per reported class or region
  std::vector<int64_t> foreground;
  std::vector<size_t> judged;  // the classes tried on their own
  // Scores of: the maps as predicted, the foreground's largest component, then per judged class its largest
  // component on the maps as predicted and on the foreground's (which of the two counts is known at the end).
  mutable std::vector<Metric> variants;  // compute() is not const
  std::vector<Op> ops;  // the foreground's, then each judged class's (made with the first case's dims)
  int dims = 0;
  size_t cases = 0;
};

PostprocessTrials::PostprocessTrials(const Registry& registry, const bj::object& metric) : impl_(std::make_unique<Impl>(registry, metric)) {}
PostprocessTrials::~PostprocessTrials() = default;

void PostprocessTrials::add(const NDict& batch) {
  Impl& m = *impl_;
  const Tensor& pred = batch.get<Tensor>(m.pred);
  const Tensor& target = batch.get<Tensor>(m.target);
  if (!pred.is_cpu()) throw Error(Errc::kInvalidArgument, "the label maps under '" + m.pred + "' are not on the CPU");
  const int dims = spatial_dims(pred, target);
  if (dims != 2 && dims != 3)
    throw Error(Errc::kShape, "the label maps under '" + m.pred + "' are " + pred.description() +
                                  ": the largest connected components are kept on 2D or 3D maps ([batch, (1,) (z,) y, x])");
  if (m.ops.empty()) {
    m.dims = dims;
    m.ops.push_back(m.keep(m.foreground));
    for (size_t k : m.judged) m.ops.push_back(m.keep(m.labels[k]));
  } else if (dims != m.dims) {
    throw Error(Errc::kShape, "the label maps under '" + m.pred + "' have " + std::to_string(dims) + " spatial axes here, " + std::to_string(m.dims) + " before");
  }
  const Tensor whole = m.cleaned(m.ops[0], pred);
  // Each judged class on its own thread: its op and its two scores are its own, so the result is the same.
  std::vector<std::future<void>> tasks;
  tasks.push_back(std::async(std::launch::async, [&] { m.score(0, batch, pred); }));
  tasks.push_back(std::async(std::launch::async, [&] { m.score(1, batch, whole); }));
  for (size_t j = 0; j < m.judged.size(); ++j)
    tasks.push_back(std::async(std::launch::async, [&, j] {
      m.score(2 + 2 * j, batch, m.cleaned(m.ops[1 + j], pred));
      m.score(3 + 2 * j, batch, m.cleaned(m.ops[1 + j], whole));
    }));
  for (auto& t : tasks) t.get();  // rethrows the first error
  ++m.cases;
}

const Metric& PostprocessTrials::as_predicted() const { return impl_->variants[0]; }

PostprocessChoice PostprocessTrials::choose() const {
  const Impl& m = *impl_;
  if (m.cases == 0) throw Error(Errc::kInvalidArgument, "no validation case to choose the post-processing on");
  PostprocessChoice c;
  c.key = m.pred;
  c.dims = m.dims;
  c.cases = m.cases;
  const bool regions = regions_of(m.metric) != nullptr;
  const auto trial = [&](size_t j, std::string what, std::vector<int64_t> labels, int judged) {
    const NDict r = m.variants[j].compute();
    PostprocessTrial t;
    t.what = std::move(what);
    t.labels = std::move(labels);
    t.judged = judged;
    t.dice = numbers(r, "dice");
    t.hd95 = numbers(r, "hd95");
    t.mean_dice = r.get<double>("mean_dice");
    t.mean_hd95 = r.get<double>("mean_hd95");
    const Tensor& classes = r.get<Tensor>("classes");
    c.classes.assign(classes.data<int64_t>(), classes.data<int64_t>() + classes.numel());
    return t;
  };
  c.trials.push_back(trial(0, "as predicted", {}, -1));
  c.trials.push_back(trial(1, "largest component of the foreground", m.foreground, -1));
  // nnU-Net's rule: kept when it raises the mean Dice (a tie changes nothing, so it is left out).
  c.trials[1].chosen = c.trials[1].mean_dice > c.trials[0].mean_dice;
  const PostprocessTrial base = c.trials[c.trials[1].chosen ? 1 : 0];
  for (size_t j = 0; j < m.judged.size(); ++j) {
    const size_t k = m.judged[j];
    const std::string what = regions ? "largest component of region " + std::to_string(k + 1) + " (labels " + labels_text(m.labels[k]) + ")"
                                     : "largest component of class " + std::to_string(m.labels[k][0]);
    PostprocessTrial t = trial(2 + 2 * j + (c.trials[1].chosen ? 1 : 0), what, m.labels[k], static_cast<int>(k));
    t.chosen = t.dice[k] > base.dice[k];
    c.trials.push_back(std::move(t));
  }
  return c;
}

bool scores_label_maps(const MetricSpec& metric) {
  return metric.validation && (metric.component == "fuse.metrics.segmentation" || metric.component == "fuse.cuda.gpu_segmentation");
}

const MetricSpec& label_map_metric(const Experiment& e, const std::string& name, const fs::path& experiment, const std::string& judged) {
  const MetricSpec* judge = nullptr;
  std::vector<std::string> names;
  for (const MetricSpec& m : e.metrics) {
    if (!m.validation) continue;
    names.push_back(m.name);
    const bool segmentation = scores_label_maps(m);
    if (name.empty() ? segmentation && judge == nullptr : m.name == name) {
      if (!segmentation)
        throw Error(Errc::kInvalidArgument, "--metric: '" + m.name + "' (" + m.component + ") does not score label maps: name a fuse.metrics.segmentation metric");
      judge = &m;
    }
  }
  if (judge == nullptr)
    throw Error(Errc::kKeyNotFound, name.empty() ? experiment.string() + " has no validation metric on label maps (fuse.metrics.segmentation) whose Dice could judge " + judged
                                                 : "--metric: '" + name + "' is not a validation metric of " + experiment.string() + did_you_mean(name, names) +
                                                       " (those are: " + join(names, ", ") + ")");
  return *judge;
}

bj::array keep_component_steps(const PostprocessChoice& choice, const InferenceSpec& inference) {
  // What a write step makes its labels from, so that the written map is the cleaned one.
  std::string scores;
  bool region_scores = false;
  for (const data::Step& w : inference.write) {
    const bj::value* key = w.config.if_contains("key");
    const bj::value* s = w.config.if_contains("scores");
    if (key == nullptr || !key->is_string() || key->as_string() != choice.key || s == nullptr || !s->is_string()) continue;
    scores = std::string(s->as_string());
    region_scores = w.config.contains("region_labels") && !w.config.at("region_labels").is_null();
  }
  bj::array steps;
  for (const PostprocessTrial& t : choice.trials) {
    if (!t.chosen) continue;
    bj::array classes;
    for (int64_t l : t.labels) classes.push_back(l);
    bj::object step{{"op", kKeepComponents}, {"keys", bj::array{bj::value(choice.key)}}, {"dims", choice.dims}, {"classes", classes}, {"independent", false}};
    if (!scores.empty()) step["scores"] = scores;
    if (region_scores) step["scores_are"] = "regions";
    steps.push_back(std::move(step));
  }
  return steps;
}

PostprocessChoice choose_postprocess(const Registry& registry, const fs::path& experiment, const fs::path& run_dir, const ChoosePostprocessOptions& options) {
  const std::vector<fs::path> runs = trained_runs(run_dir);
  std::unique_ptr<PostprocessTrials> trials;
  std::string judge_name;
  for (const fs::path& run : runs) {
    RunResults results(registry, experiment, run, options.run);
    if (!trials) {
      const MetricSpec& judge = label_map_metric(results.experiment(), options.metric, experiment, "the post-processing");
      trials = std::make_unique<PostprocessTrials>(registry, judge.config);
      judge_name = judge.name;
    }
    std::vector<size_t> all(results.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    size_t cases = 0;
    results.run(all, [&](SampleResult&& r) {
      try {
        trials->add(r.batch);
      } catch (const Error& error) {
        throw Error(error.code(), run.string() + ": validation sample '" + r.id + "': " + error.what());
      }
      ++cases;
      if (options.on_case) options.on_case(run.string(), cases, all.size());
    });
    if (options.on_run) options.on_run(run.string(), cases);
  }
  PostprocessChoice choice = trials->choose();
  choice.metric = judge_name;
  return choice;
}

bj::array trials_json(const PostprocessChoice& choice) {
  bj::array trials;
  for (const PostprocessTrial& t : choice.trials) {
    bj::array labels, dice, hd95;
    for (int64_t l : t.labels) labels.push_back(l);
    for (double v : t.dice) dice.push_back(json_number(v));
    for (double v : t.hd95) hd95.push_back(json_number(v));
    trials.push_back(bj::object{{"trial", t.what},        {"labels", labels}, {"mean_dice", json_number(t.mean_dice)}, {"dice", dice},
                                {"mean_hd95", json_number(t.mean_hd95)}, {"hd95", hd95},     {"chosen", t.chosen}});
  }
  return trials;
}

void write_postprocess_choice(const fs::path& run_dir, const PostprocessChoice& choice, const bj::array& steps, const std::vector<std::string>& ensemble) {
  bj::array classes;
  for (int64_t c : choice.classes) classes.push_back(c);
  bj::object doc{{"format", 1}, {"key", choice.key}, {"cases", choice.cases}, {"classes", classes}, {"steps", steps}, {"trials", trials_json(choice)}};
  if (!ensemble.empty()) {
    bj::array runs;
    for (const std::string& r : ensemble) runs.push_back(bj::value(r));
    doc["ensemble"] = runs;
  }
  write_file_atomically(run_dir / kChoiceFile, json::to_text(doc, {2}) + "\n");
}

bj::array chosen_postprocess(const fs::path& run_dir) {
  const fs::path file = run_dir / kChoiceFile;
  if (!fs::exists(file)) return {};
  const bj::value doc = json::parse_exact(json::read_file(file));
  const bj::value* steps = doc.is_object() ? doc.as_object().if_contains("steps") : nullptr;
  if (steps == nullptr || !steps->is_array())
    throw Error(Errc::kConfig, file.string() + ": no \"steps\" list (fuse choose-postprocess writes this file; run it again, or remove the file)");
  return steps->as_array();
}

}  // namespace fuse::train
