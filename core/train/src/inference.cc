#include "fuse/train/inference.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/data/pipeline.h"
#include "fuse/json/write.h"
#include "fuse/train/checkpoint.h"
#include "fuse/train/prediction_fit.h"
#include "fuse/train/slice_forward.h"
#include "fuse/train/sliding_window.h"
#include "fuse/train/trainer.h"
#include "torch_view.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

constexpr int64_t kFormat = 1;

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(Errc::kIo, "cannot read '" + file.string() + "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every component an experiment's inference uses.
std::vector<std::string> components_used(const Experiment& e) {
  std::set<std::string> ids;
  for (const ComponentSpec& c : e.model)
    if (!c.component.empty()) ids.insert(c.component);
  for (const auto* steps : {&e.inference.steps, &e.inference.postprocess, &e.inference.write})
    for (const data::Step& s : *steps) ids.insert(s.op);
  return std::vector<std::string>(ids.begin(), ids.end());
}

}  // namespace

namespace {

// Inference makes one prediction per input, so its steps cannot split or drop samples (by default they are the
// static pipeline, which may).
void check_one_sample_per_input(const InferenceSpec& s, const std::string& where) {
  for (const data::Step& step : s.steps)
    if (step.changes_count())
      throw Error(Errc::kConfig, where + ": the inference steps (by default the data's static pipeline) hold a '" + step.kind() + "' step (" + step.where +
                                     "), but inference makes one prediction per input: write 'inference.steps' without it");
}

}  // namespace

void export_bundle(const Registry& registry, const fs::path& run_dir, const fs::path& bundle_dir, const std::string& checkpoint) {
  if (checkpoint != "best" && checkpoint != "last") throw Error(Errc::kInvalidArgument, "checkpoint must be 'best' or 'last', got '" + checkpoint + "'");
  const fs::path config = run_dir / "config.json";
  if (!fs::exists(config)) throw Error(Errc::kIo, "'" + run_dir.string() + "' is not a run folder (no config.json)");
  const fs::path ckpt = run_dir / "checkpoints" / (checkpoint + ".ckpt");
  const Checkpoint c = read_checkpoint(ckpt);
  const json::Document doc = json::Document::load(config);
  const Experiment e = read_experiment(doc, false);
  check_one_sample_per_input(e.inference, config.string());
  bj::array plugins;
  std::set<std::string> seen;
  for (const std::string& id : components_used(e)) {
    const PluginPackage& p = registry.package_of(id);
    if (!seen.insert(p.manifest->id).second) continue;
    const LibraryEntry* lib = p.manifest->host_library();
    plugins.push_back(bj::object{{"id", p.manifest->id}, {"version", p.manifest->version}, {"sha256", lib ? lib->sha256 : ""}});
  }
  fs::create_directories(bundle_dir / "model");
  bj::array states;
  for (const auto& [name, bytes] : c.model) {
    std::ofstream(bundle_dir / "model" / (name + ".state"), std::ios::binary) << bytes;
    states.push_back(bj::value(name));
  }
  const bj::object bundle{{"format", kFormat},
                          {"name", e.name},
                          {"checkpoint", checkpoint},
                          {"epoch", c.info.at("epoch").as_int64() + 1},
                          {"components", states},
                          {"plugins", plugins},
                          {"experiment", doc.root()}};
  std::ofstream(bundle_dir / "bundle.json") << json::to_text(bundle, {2}) << "\n";
}

struct Predictor::Impl {
  Experiment experiment;
  std::vector<ModelGraph> graphs;
  std::unique_ptr<data::Pipeline> steps, postprocess, write;
  // Copies of the inference steps for threads preparing inputs at once (a pipeline is not thread-safe): one
  // is taken for each input and given back after it.
  std::mutex idle_mutex;
  std::vector<std::unique_ptr<data::Pipeline>> idle;

  std::vector<std::pair<std::string, torch::Tensor>> run_models(const NDict& batch);
  std::vector<NDict> predict_together(std::vector<NDict> samples);
};

namespace {

// The first of `b`'s steps written otherwise than `a`'s (op, config, repeat), as "step N ('op')"; empty when
// they are the same.
std::string first_difference(const std::vector<data::Step>& a, const std::vector<data::Step>& b) {
  for (size_t k = 0; k < std::max(a.size(), b.size()); ++k) {
    const bool same = k < a.size() && k < b.size() && a[k].op == b[k].op && a[k].config == b[k].config && a[k].repeat == b[k].repeat;
    if (!same) return "step " + std::to_string(k + 1) + " ('" + (k < b.size() ? b[k].op : a[k].op) + "')";
  }
  return "";
}

// An ensemble runs the first bundle's inference steps and postprocess for every model. Bundles of the folds of
// one experiment fitted their statistics (a z-score's mean, a Cox baseline) on other training folds, so the
// other models get inputs scaled by the first's numbers: said, with where they differ.
void warn_if_fitted_otherwise(const InferenceSpec& first, const InferenceSpec& other, const fs::path& first_dir, const fs::path& dir) {
  for (const auto& [name, a, b] : {std::make_tuple("inference steps", &first.steps, &other.steps),
                                   std::make_tuple("postprocess", &first.postprocess, &other.postprocess)}) {
    const std::string where = first_difference(*a, *b);
    if (where.empty()) continue;
    logger().warn("'{}': its {} differ from the first bundle's ('{}') at {}, e.g. statistics fitted on other training folds; the ensemble runs "
                  "the first bundle's for every model",
                  dir.string(), name, first_dir.string(), where);
  }
}

}  // namespace

Predictor::Predictor(const Registry& registry, const std::vector<fs::path>& bundles, const std::string& device) : impl_(std::make_unique<Impl>()) {
  if (bundles.empty()) throw Error(Errc::kInvalidArgument, "no bundle to predict with");
  for (size_t i = 0; i < bundles.size(); ++i) {
    const fs::path& dir = bundles[i];
    const fs::path file = dir / "bundle.json";
    if (!fs::exists(file)) throw Error(Errc::kIo, "'" + dir.string() + "' is not a bundle (no bundle.json); make one with `fuse export RUN --out BUNDLE`");
    const json::Document whole = json::Document::load(file);
    if (!whole.root().is_object() || !whole.root().as_object().contains("format") || !whole.root().as_object().contains("experiment"))
      throw Error(Errc::kConfig, file.string() + ": not a bundle file (no 'format' and 'experiment'); make one with `fuse export RUN --out BUNDLE`");
    const bj::object& b = whole.root().as_object();
    if (b.at("format").as_int64() != kFormat)
      throw Error(Errc::kUnsupported, file.string() + ": bundle format " + json::to_text(b.at("format")) + ", this fuse reads " + std::to_string(kFormat));
    for (const bj::value& p : b.at("plugins").as_array()) {
      const std::string id(p.at("id").as_string()), version(p.at("version").as_string()), sha(p.at("sha256").as_string());
      const PluginPackage* have = registry.package(id);
      if (have == nullptr || !have->manifest)
        throw Error(Errc::kPlugin, file.string() + ": the bundle needs plugin '" + id + "' " + version + ", which is not installed");
      if (have->manifest->version != version)
        throw Error(Errc::kPlugin, file.string() + ": the bundle needs plugin '" + id + "' " + version + "; installed is " + have->manifest->version);
      const LibraryEntry* lib = have->manifest->host_library();
      if (lib && lib->sha256 != sha) logger().warn("{}: plugin '{}' {} is another build than the one the model was trained with", file.string(), id, version);
    }
    const json::Document doc = whole.part("/experiment");  // errors located at its lines in bundle.json
    Experiment e = read_experiment(doc, false);
    ModelGraph graph = build_model(registry, e.model);
    std::map<std::string, std::string> states;
    for (const bj::value& name : b.at("components").as_array())
      states[std::string(name.as_string())] = read_all(dir / "model" / (std::string(name.as_string()) + ".state"));
    graph.load_state(states);
    graph.set_training(false);
    const DLDevice d = parse_device(device);
    if (d.device_type != kDLCPU) graph.to_device(d);
    if (i > 0) warn_if_fitted_otherwise(impl_->experiment.inference, e.inference, bundles[0], dir);
    if (i == 0) impl_->experiment = std::move(e);
    else if (graph.output_keys() != impl_->graphs[0].output_keys())
      throw Error(Errc::kInvalidArgument, "an ensemble needs models with the same outputs; '" + dir.string() + "' differs from the first bundle");
    impl_->graphs.push_back(std::move(graph));
  }
  const Registry& r = registry;
  const InferenceSpec& s = impl_->experiment.inference;
  check_one_sample_per_input(s, (bundles.front() / "bundle.json").string());
  for (size_t k = 0; k < s.postprocess.size(); ++k)
    if (awaits_prediction_fit(s.postprocess[k]))
      throw Error(Errc::kConfig, (bundles.front() / "bundle.json").string() + ": postprocess step " + std::to_string(k + 1) + " ('" + s.postprocess[k].op +
                                     "') is fitted to the trained model's outputs once training ends, and this run's was not: export a run that finished");
  impl_->steps = std::make_unique<data::Pipeline>(r, s.steps, "inference steps");
  impl_->postprocess = std::make_unique<data::Pipeline>(r, s.postprocess, "inference postprocess");
  impl_->write = std::make_unique<data::Pipeline>(r, s.write, "inference write");
}

Predictor::~Predictor() = default;

const Experiment& Predictor::experiment() const { return impl_->experiment; }

NDict Predictor::predict_file(const std::string& input, const std::string& output) {
  const InferenceSpec& spec = impl_->experiment.inference;
  if (!output.empty() && fs::exists(input) && fs::weakly_canonical(output) == fs::weakly_canonical(input))
    throw Error(Errc::kInvalidArgument, "the output '" + output + "' is the input: writing it would overwrite the input; choose another file");
  NDict sample;
  sample.set(spec.input_key, input);
  if (!output.empty()) sample.set(spec.output_key, output);
  const std::string name = fs::path(input).filename().string();
  sample.set("data.sample_id", name.substr(0, name.find('.')));
  try {
    return predict(std::move(sample));
  } catch (const Error& e) {
    // A file alone carries only its path: an inference that also reads a table's columns (a model of an image
    // and clinical values) needs the row.
    if (e.code() != Errc::kKeyNotFound) throw;
    throw Error(e.code(), std::string(e.what()) + " (a file given alone holds only '" + spec.input_key +
                              "': an inference that reads other columns of the training table needs them, `fuse infer BUNDLE --table rows.csv`)");
  }
}

NDict Predictor::predict(NDict sample) { return predict_prepared(prepare(std::move(sample))); }

NDict Predictor::prepare(NDict sample) {
  Impl& m = *impl_;
  std::unique_ptr<data::Pipeline> steps;
  {
    std::lock_guard<std::mutex> lock(m.idle_mutex);
    if (m.idle.empty()) {
      steps = std::make_unique<data::Pipeline>(m.steps->clone());
    } else {
      steps = std::move(m.idle.back());
      m.idle.pop_back();
    }
  }
  struct GiveBack {
    Impl& m;
    std::unique_ptr<data::Pipeline>& steps;
    ~GiveBack() {
      std::lock_guard<std::mutex> lock(m.idle_mutex);
      m.idle.push_back(std::move(steps));
    }
  } give_back{m, steps};
  steps->run(sample, m.experiment.seed, -1, 0, false);
  return sample;
}

namespace {

// The model inputs of `sample` with a leading batch axis of one (what a batch of one gives the model).
void add_batch_axis(NDict& sample, const std::vector<std::string>& inputs) {
  for (const std::string& k : inputs) {
    Value* v = sample.find(k);
    if (v == nullptr) throw Error(Errc::kKeyNotFound, "the model reads '" + k + "', which the inference steps do not make; " + sample.missing_key_message(k));
    if (v->is<Tensor>()) {
      std::vector<int64_t> shape = v->as<Tensor>().shape();
      shape.insert(shape.begin(), 1);
      *v = Value(v->as<Tensor>().reshape(shape));
    }
  }
}

}  // namespace

// The model(s) on `batch`, whose model inputs carry a leading batch axis: test-time augmentation (the identity
// and each flip, spatial outputs flipped back, then averaged), then the ensemble's mean, each model's outputs
// and the class votes. Returned by key, batch axis first.
std::vector<std::pair<std::string, torch::Tensor>> Predictor::Impl::run_models(const NDict& batch) {
  Impl& m = *this;
  const uint64_t seed = m.experiment.seed;
  ModelGraph& first = m.graphs[0];
  const std::vector<std::string> inputs = first.input_keys(), outputs = first.output_keys();
  std::vector<std::vector<int>> flips{{}};
  for (const auto& f : m.experiment.inference.tta.flips) flips.push_back(f);
  const SlidingWindowSpec& window = m.experiment.inference.sliding_window;
  std::vector<std::map<std::string, torch::Tensor>> per_model;
  for (ModelGraph& graph : m.graphs) {
    std::map<std::string, torch::Tensor> sums;
    for (const std::vector<int>& flip : flips) {
      NDict b = batch;
      int64_t input_rank = 0;
      std::vector<int64_t> dims;
      for (const std::string& k : inputs) {
        torch::Tensor t = view(b.get<Tensor>(k));
        input_rank = t.dim();
        dims.clear();
        for (int a : flip) dims.push_back(t.dim() - 1 - a);
        if (!dims.empty()) b.set(k, Value(wrap(t.flip(dims))));
      }
      const auto forward = [&](NDict& x) { graph.forward(x, CallContext(false, seed, -1, 0)); };
      if (m.experiment.inference.slices.enabled()) slice_forward(b, inputs, outputs, m.experiment.inference.slices, forward);
      else sliding_window_forward(b, inputs, outputs, window, forward);
      for (const std::string& k : outputs) {
        torch::Tensor out = view(b.get<Tensor>(k)).to(torch::kCPU);
        if (!dims.empty() && out.dim() == input_rank) out = out.flip(dims);
        if (out.is_floating_point()) out = out.to(torch::kFloat32);
        sums[k] = sums.count(k) ? sums[k] + out : out.clone();
      }
    }
    for (auto& [k, t] : sums)
      if (t.is_floating_point()) t = t / static_cast<double>(flips.size());
    per_model.push_back(std::move(sums));
  }
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const std::string& k : outputs) {
    torch::Tensor mean = per_model[0].at(k);
    if (m.graphs.size() > 1) {
      std::vector<torch::Tensor> all;
      for (size_t i = 0; i < per_model.size(); ++i) {
        out.emplace_back(k + "_m" + std::to_string(i), per_model[i].at(k));
        all.push_back(per_model[i].at(k));
      }
      mean = torch::stack(all).mean(0);
      if (mean.dim() >= 2) {  // class scores: the most frequent argmax (ties: the lowest class)
        std::vector<torch::Tensor> votes;
        for (const torch::Tensor& t : all) votes.push_back(t.argmax(1));
        out.emplace_back(k + "_vote", std::get<0>(torch::stack(votes).mode(0)));
      }
    }
    out.emplace_back(k, mean);
  }
  return out;
}

NDict Predictor::predict_prepared(NDict sample) {
  Impl& m = *impl_;
  add_batch_axis(sample, m.graphs[0].input_keys());
  for (auto& [k, t] : m.run_models(sample)) sample.set(k, Value(wrap(t)));
  m.postprocess->run(sample, m.experiment.seed, -1, 0, false);
  m.write->run(sample, m.experiment.seed, -1, 0, false);
  return sample;
}

std::vector<NDict> Predictor::predict_prepared(std::vector<NDict> samples, std::vector<std::string>& errors) {
  Impl& m = *impl_;
  errors.assign(samples.size(), "");
  // Whole volumes cut into windows or slices, or inputs of different shapes or types: one at a time.
  bool together = samples.size() > 1 && m.experiment.inference.sliding_window.size.empty() && !m.experiment.inference.slices.enabled();
  for (const std::string& k : m.graphs[0].input_keys())
    for (const NDict& s : samples) {
      const Value* v = s.find(k);
      const Value* v0 = samples[0].find(k);
      together = together && v != nullptr && v0 != nullptr && v->is<Tensor>() && v0->is<Tensor>() && v->as<Tensor>().shape() == v0->as<Tensor>().shape() &&
                 v->as<Tensor>().dtype().code == v0->as<Tensor>().dtype().code && v->as<Tensor>().dtype().bits == v0->as<Tensor>().dtype().bits;
    }
  if (together) try {
      return m.predict_together(samples);
    } catch (const std::exception&) {
      // The batch refused: each sample alone, so that an error is its own.
    }
  std::vector<NDict> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) try {
      out[i] = predict_prepared(std::move(samples[i]));
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  return out;
}

// Samples whose model inputs share shape and type: stacked into one batch for the model(s), then each through
// the postprocess and write steps.
std::vector<NDict> Predictor::Impl::predict_together(std::vector<NDict> samples) {
  Impl& m = *this;
  const std::vector<std::string> inputs = m.graphs[0].input_keys();
  std::vector<NDict> out;
  NDict batch;
  for (const std::string& k : inputs) {
    std::vector<torch::Tensor> each;
    for (const NDict& s : samples) each.push_back(view(s.get<Tensor>(k)));
    batch.set(k, Value(wrap(torch::stack(each))));
  }
  const std::vector<std::pair<std::string, torch::Tensor>> outputs = m.run_models(batch);
  for (size_t i = 0; i < samples.size(); ++i) {
    NDict& s = samples[i];
    add_batch_axis(s, inputs);
    for (const auto& [k, t] : outputs) s.set(k, Value(wrap(t.narrow(0, static_cast<int64_t>(i), 1).clone())));
    m.postprocess->run(s, m.experiment.seed, -1, 0, false);
    m.write->run(s, m.experiment.seed, -1, 0, false);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace fuse::train
