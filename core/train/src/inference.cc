#include "fuse/train/inference.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/base/strings.h"
#include "fuse/data/pipeline.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"
#include "fuse/train/checkpoint.h"
#include "fuse/train/cross_validation.h"
#include "fuse/train/flip_forward.h"
#include "fuse/train/inference_inputs.h"
#include "fuse/train/postprocess_choice.h"
#include "fuse/train/prediction_fit.h"
#include "fuse/train/slice_forward.h"
#include "fuse/train/sliding_window.h"
#include "fuse/train/trainer.h"
#include "ensemble_mean.h"
#include "ensemble_postprocess.h"
#include "onto_grid.h"
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

void export_bundle(const Registry& registry, const fs::path& run_dir, const fs::path& bundle_dir, const std::string& checkpoint,
                   const bj::array& postprocess) {
  if (checkpoint != "best" && checkpoint != "last") throw Error(Errc::kInvalidArgument, "checkpoint must be 'best' or 'last', got '" + checkpoint + "'");
  const fs::path config = run_dir / "config.json";
  if (!fs::exists(config)) throw Error(Errc::kIo, "'" + run_dir.string() + "' is not a run folder (no config.json)");
  const fs::path ckpt = run_dir / "checkpoints" / (checkpoint + ".ckpt");
  const Checkpoint c = read_checkpoint(ckpt);
  const json::Document doc = json::Document::load(config);
  const Experiment e = read_experiment(doc, false);
  check_one_sample_per_input(e.inference, config.string());
  bj::value experiment = doc.root();
  if (!postprocess.empty()) {  // after the inference's own postprocess (by default the experiment's)
    bj::object& inference = experiment.as_object()["inference"].emplace_object();
    if (const bj::value* own = doc.root().as_object().if_contains("inference"); own != nullptr && own->is_object()) inference = own->as_object();
    if (!inference.contains("postprocess")) inference["postprocess"] = doc.root().as_object().contains("postprocess") ? doc.root().at("postprocess") : bj::array();
    for (const bj::value& step : postprocess) inference["postprocess"].as_array().push_back(step);
  }
  bj::array plugins;
  std::set<std::string> seen;
  std::vector<std::string> ids = components_used(e);
  for (const bj::value& step : postprocess) ids.push_back(std::string(step.at("op").as_string()));  // the appended steps' plugins too
  for (const std::string& id : ids) {
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
  bj::object bundle{{"format", kFormat},
                    {"name", e.name},
                    {"checkpoint", checkpoint},
                    {"epoch", c.info.at("epoch").as_int64() + 1},
                    {"components", states},
                    {"plugins", plugins},
                    {"experiment", experiment}};
  // The cases that validated the run (a finished run's results.json): `fuse infer --out-of-fold` predicts each
  // with the fold that did not train on it.
  if (const fs::path results = run_dir / "results.json"; fs::exists(results))
    if (const bj::value r = json::parse_exact(json::read_file(results)); r.is_object())
      if (const bj::value* cases = r.as_object().if_contains("validation_cases"); cases != nullptr && cases->is_array())
        bundle["validation_cases"] = *cases;
  std::ofstream(bundle_dir / "bundle.json") << json::to_text(bundle, {2}) << "\n";
}

// A deep ensemble: a bundle per seed of `fuse run --seeds` (seeds.json lists them), each with the
// post-processing chosen on its own run.
std::vector<fs::path> export_seed_bundles(const Registry& registry, const fs::path& summary, const fs::path& out, const std::string& checkpoint) {
  const fs::path dir = summary.parent_path();
  const bj::value doc = json::parse_exact(json::read_file(summary));
  const bj::array& seeds = doc.at("seeds").as_array();
  if (doc.at("cross_validation").as_bool())
    throw Error(Errc::kIo, "'" + dir.string() + "' holds a cross-validation per seed: export one seed's ('" +
                               (dir / std::string(seeds.at(0).at("run").as_string())).string() + "', a bundle per fold)");
  std::vector<fs::path> written;
  for (const bj::value& seed : seeds) {
    const std::string name(seed.at("run").as_string());
    export_bundle(registry, dir / name, out / name, checkpoint, chosen_postprocess(dir / name));
    written.push_back(out / name);
  }
  return written;
}

std::vector<fs::path> export_bundles(const Registry& registry, const fs::path& run_dir, const fs::path& out, const std::string& checkpoint) {
  if (const fs::path seeds = run_dir / "seeds.json"; fs::exists(seeds)) return export_seed_bundles(registry, seeds, out, checkpoint);
  const std::vector<fs::path> runs = trained_runs(run_dir);
  // The post-processing `fuse choose-postprocess` chose on the validation cases of every run here.
  const bj::array chosen = chosen_postprocess(run_dir);
  if (runs.size() == 1 && runs[0] == run_dir) {
    export_bundle(registry, run_dir, out, checkpoint, chosen);
    return {out};
  }
  std::vector<fs::path> written;
  for (const fs::path& run : runs) {
    export_bundle(registry, run, out / run.filename(), checkpoint, chosen);
    written.push_back(out / run.filename());
  }
  return written;
}

std::vector<std::string> bundle_validation_cases(const fs::path& bundle_dir) {
  const fs::path file = bundle_dir / "bundle.json";
  if (!fs::exists(file)) throw Error(Errc::kIo, "'" + bundle_dir.string() + "' is not a bundle (no bundle.json); make one with `fuse export RUN --out BUNDLE`");
  const bj::value b = json::parse_exact(json::read_file(file));
  std::vector<std::string> out;
  const bj::value* cases = b.is_object() ? b.as_object().if_contains("validation_cases") : nullptr;
  if (cases != nullptr && cases->is_array())
    for (const bj::value& id : cases->as_array())
      if (id.is_string()) out.emplace_back(id.as_string());
  return out;
}

std::vector<fs::path> expand_bundle_folders(const std::vector<fs::path>& paths) {
  std::vector<fs::path> out;
  for (const fs::path& p : paths) {
    if (fs::exists(p / "bundle.json") || !fs::is_directory(p)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> names;
    for (const fs::directory_entry& e : fs::directory_iterator(p))
      if (e.is_directory() && fs::exists(e.path() / "bundle.json")) names.push_back(e.path().filename().string());
    if (names.empty()) {
      out.push_back(p);  // not a bundle: the Predictor says so
      continue;
    }
    std::sort(names.begin(), names.end(), natural_less);
    for (const std::string& n : names) out.push_back(p / n);
  }
  return out;
}

struct Predictor::Impl {
  Experiment experiment;  // the first bundle's
  std::vector<fs::path> dirs;
  std::vector<ModelGraph> graphs;
  // The ensemble's distinct inference steps and postprocesses (the folds of one experiment fit their statistics
  // on other training rows: a z-score's mean, a Cox baseline), and which of them each model runs.
  std::vector<data::Pipeline> steps, postprocess;
  std::vector<size_t> steps_of, postprocess_of;
  size_t shared_steps = 0;  // the first steps that every distinct inference steps has: run once per input
  // How each model sees an input: its own bundle's windows, slices and test-time flips (nnU-Net's ensemble of a
  // 2D model on slices and a 3D one on windows).
  struct Setup {
    SlidingWindowSpec window;
    SliceSpec slices;
    std::vector<std::vector<int>> flips;
    bool whole() const { return window.size.empty() && !slices.enabled(); }  // the model sees the input as it is
  };
  std::vector<Setup> setups;
  std::unique_ptr<data::Pipeline> write;
  // Copies of the inference steps for threads preparing inputs at once (a pipeline is not thread-safe): one set
  // is taken for each input and given back after it.
  std::mutex idle_mutex;
  std::vector<std::vector<data::Pipeline>> idle;

  using Outputs = std::map<std::string, torch::Tensor>;
  std::vector<Outputs> run_models(const std::vector<NDict>& batches);
  std::unique_ptr<OntoGrid> onto_grid;
  bool said_onto_grid = false;

  std::vector<bool> onto_first_grid(const PreparedInput& input, std::vector<Outputs>& per_model);
  std::vector<std::pair<std::string, torch::Tensor>> combine(const std::vector<Outputs>& per_model) const;
  NDict finish(PreparedInput input, std::vector<Outputs> per_model);
  std::vector<NDict> predict_together(std::vector<PreparedInput> inputs);
};

namespace {

// What of a bundle's inference an ensemble takes from its first bundle, in words: the input and output keys,
// the reference and the write steps (each model runs its own steps, windows or slices, flips and postprocess).
std::vector<std::pair<std::string, std::string>> shared_inference(const InferenceSpec& s) {
  std::string write;
  for (const data::Step& w : s.write) write += (write.empty() ? "" : ", ") + w.op + " " + json::to_text(w.config);
  return {{"input key", s.input_key}, {"output key", s.output_key}, {"reference", s.reference.empty() ? "none" : s.reference},
          {"write", write.empty() ? "none" : write}};
}

}  // namespace

Predictor::Predictor(const Registry& registry, const std::vector<fs::path>& given, const std::string& device) : impl_(std::make_unique<Impl>()) {
  if (given.empty()) throw Error(Errc::kInvalidArgument, "no bundle to predict with");
  const std::vector<fs::path> bundles = expand_bundle_folders(given);
  Impl& m = *impl_;
  std::vector<std::vector<data::Step>> step_lists, post_lists;
  for (size_t i = 0; i < bundles.size(); ++i) {
    const fs::path& dir = bundles[i];
    const fs::path file = dir / "bundle.json";
    if (!fs::exists(file) && fs::exists(dir / "config.json"))
      throw Error(Errc::kIo, "'" + dir.string() + "' is a run folder, not a bundle: make one with `fuse export " + dir.string() + " --out BUNDLE`");
    if (!fs::exists(file) && fs::exists(dir / "cross_validation.json"))
      throw Error(Errc::kIo, "'" + dir.string() + "' is a cross-validation folder, not bundles: make one bundle per fold with `fuse export " + dir.string() +
                                 " --out BUNDLES`, then predict with BUNDLES");
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
      if (lib && lib->sha256 != sha) log::warn(file.string() + ": plugin '" + id + "' " + version + " is another build than the one the model was trained with");
    }
    const json::Document doc = whole.part("/experiment");  // errors located at its lines in bundle.json
    Experiment e = read_experiment(doc, false);
    const InferenceSpec& s = e.inference;
    check_one_sample_per_input(s, file.string());
    for (size_t k = 0; k < s.postprocess.size(); ++k)
      if (awaits_prediction_fit(s.postprocess[k]))
        throw Error(Errc::kConfig, file.string() + ": postprocess step " + std::to_string(k + 1) + " ('" + s.postprocess[k].op +
                                       "') is fitted to the trained model's outputs once training ends, and this run's was not: export a run that finished");
    ModelGraph graph = build_model(registry, e.model);
    std::map<std::string, std::string> states;
    for (const bj::value& name : b.at("components").as_array())
      states[std::string(name.as_string())] = read_all(dir / "model" / (std::string(name.as_string()) + ".state"));
    graph.load_state(states);
    graph.set_training(false);
    const DLDevice d = parse_device(device);
    if (d.device_type != kDLCPU) graph.to_device(d);
    if (i > 0 && (graph.input_keys() != m.graphs[0].input_keys() || graph.output_keys() != m.graphs[0].output_keys()))
      throw Error(Errc::kInvalidArgument, "an ensemble needs models with the same inputs and outputs; '" + dir.string() + "' differs from the first bundle");
    if (i > 0) {  // one set of keys and writes serves every model: a bundle set up otherwise would be run as the first
      const auto first = shared_inference(m.experiment.inference), here = shared_inference(e.inference);
      for (size_t k = 0; k < first.size(); ++k)
        if (first[k].second != here[k].second)
          throw Error(Errc::kInvalidArgument, "an ensemble predicts with one inference setup, but '" + dir.string() + "' has " + first[k].first + " " +
                                                  here[k].second + " where the first bundle ('" + m.dirs[0].string() + "') has " + first[k].second +
                                                  ": export bundles made alike, or predict with each on its own");
    }
    m.setups.push_back(Impl::Setup{s.sliding_window, s.slices, s.tta.flips});
    m.steps_of.push_back(index_of(step_lists, s.steps));
    m.postprocess_of.push_back(index_of(post_lists, s.postprocess));
    if (i == 0) m.experiment = std::move(e);
    m.dirs.push_back(dir);
    m.graphs.push_back(std::move(graph));
  }
  // Named by the first bundle that has them where there are several, so that a message says whose step failed.
  const auto name = [&](const std::string& what, const std::vector<size_t>& of, size_t g, size_t lists) {
    return lists == 1 ? what : what + " of '" + m.dirs[static_cast<size_t>(std::find(of.begin(), of.end(), g) - of.begin())].string() + "'";
  };
  m.shared_steps = step_lists[0].size();
  for (size_t g = 0; g < step_lists.size(); ++g) {
    m.shared_steps = std::min(m.shared_steps, shared_prefix(step_lists[0], step_lists[g]));
    m.steps.emplace_back(registry, step_lists[g], name("inference steps", m.steps_of, g, step_lists.size()));
  }
  for (size_t g = 0; g < post_lists.size(); ++g)
    m.postprocess.emplace_back(registry, post_lists[g], name("inference postprocess", m.postprocess_of, g, post_lists.size()));
  if (step_lists.size() > 1 || post_lists.size() > 1) {
    const std::string differ = step_lists.size() > 1 && post_lists.size() > 1 ? "inference steps and postprocesses"
                               : step_lists.size() > 1                        ? "inference steps"
                                                                              : "postprocesses";
    log::info("ensemble of " + std::to_string(bundles.size()) + " models whose bundles' " + differ +
              " differ (e.g. statistics fitted on other training folds): each model runs its own bundle's" +
              (step_lists.size() > 1 && m.shared_steps > 0 ? "; the first " + std::to_string(m.shared_steps) + " inference steps, which they share, run once per input" : ""));
  }
  // Models that see an input otherwise (a 2D one slice by slice beside a 3D one in windows): said once.
  const auto setup_words = [](const Impl::Setup& u) {
    std::string words = u.slices.enabled() ? "slice by slice along " + u.slices.axis : u.window.size.empty() ? std::string("whole") : "in windows of";
    for (size_t a = 0; a < u.window.size.size(); ++a) words += (a ? " x " : " ") + std::to_string(u.window.size[a]);
    return words + (u.flips.empty() ? "" : ", with " + std::to_string(u.flips.size()) + " test-time flip" + (u.flips.size() == 1 ? "" : "s"));
  };
  std::vector<std::string> words, named;
  for (size_t i = 0; i < m.setups.size(); ++i) {
    words.push_back(setup_words(m.setups[i]));
    named.push_back("'" + m.dirs[i].string() + "' " + words.back());
  }
  if (std::any_of(words.begin(), words.end(), [&](const std::string& w) { return w != words[0]; }))
    log::info("ensemble of " + std::to_string(bundles.size()) + " models, each predicting as its bundle says: " + join(named, "; "));
  m.write = std::make_unique<data::Pipeline>(registry, m.experiment.inference.write, "inference write");
  m.onto_grid = std::make_unique<OntoGrid>(registry, m.graphs[0].input_keys());
}

Predictor::~Predictor() = default;

const Experiment& Predictor::experiment() const { return impl_->experiment; }

void Predictor::set_flips(std::vector<std::vector<int>> flips) {
  for (Impl::Setup& s : impl_->setups) s.flips = flips;
  impl_->experiment.inference.tta.flips = std::move(flips);
}

NDict Predictor::predict_file(const std::string& input, const std::string& output) {
  const InferenceSpec& spec = impl_->experiment.inference;
  if (!output.empty() && fs::exists(input) && fs::weakly_canonical(output) == fs::weakly_canonical(input))
    throw Error(Errc::kInvalidArgument, "the output '" + output + "' is the input: writing it would overwrite the input; choose another file");
  NDict sample;
  if (fs::exists(input)) sample = input_file_sample(input, impl_->experiment).values;  // its paired files too
  else sample.set(spec.input_key, input);  // the reading step says it is missing, where
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

PreparedInput Predictor::prepare(NDict sample) {
  Impl& m = *impl_;
  std::vector<data::Pipeline> set;
  {
    std::lock_guard<std::mutex> lock(m.idle_mutex);
    if (!m.idle.empty()) {
      set = std::move(m.idle.back());
      m.idle.pop_back();
    }
  }
  if (set.empty())
    for (const data::Pipeline& p : m.steps) set.push_back(p.clone());
  struct GiveBack {
    Impl& m;
    std::vector<data::Pipeline>& set;
    ~GiveBack() {
      std::lock_guard<std::mutex> lock(m.idle_mutex);
      m.idle.push_back(std::move(set));
    }
  } give_back{m, set};
  const uint64_t seed = m.experiment.seed;
  set[0].run_steps(sample, 0, m.shared_steps, seed, -1, 0, false);
  PreparedInput out;
  for (size_t g = 0; g < set.size(); ++g) {
    NDict s = g + 1 < set.size() ? sample : std::move(sample);  // tensors shared, copied on write
    set[g].run_steps(s, m.shared_steps, set[g].size(), seed, -1, 0, false);
    out.by_steps.push_back(std::move(s));
  }
  return out;
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

std::vector<int64_t> shape_of(const torch::Tensor& t) { return std::vector<int64_t>(t.sizes().begin(), t.sizes().end()); }

}  // namespace

// Each model on its batch (batches[g] for the models of inference steps g; model inputs with a leading batch
// axis), with test-time augmentation: the identity and each flip, spatial outputs flipped back, then averaged.
// Returned per model, by key, batch axis first, on the CPU.
std::vector<Predictor::Impl::Outputs> Predictor::Impl::run_models(const std::vector<NDict>& batches) {
  const uint64_t seed = experiment.seed;
  const std::vector<std::string> inputs = graphs[0].input_keys(), outputs = graphs[0].output_keys();
  std::vector<Outputs> per_model;
  for (size_t i = 0; i < graphs.size(); ++i) {
    ModelGraph& graph = graphs[i];
    const Setup& setup = setups[i];
    NDict b = batches[steps_of[i]];
    const auto forward = [&](NDict& x) { graph.forward(x, CallContext(false, seed, -1, 0)); };
    flip_forward(b, inputs, outputs, setup.flips, [&](NDict& x) {
      if (setup.slices.enabled()) slice_forward(x, inputs, outputs, setup.slices, forward);
      else sliding_window_forward(x, inputs, outputs, setup.window, forward);
    });
    Outputs mine;
    for (const std::string& k : outputs) mine[k] = view(b.get<Tensor>(k));
    per_model.push_back(std::move(mine));
  }
  return per_model;
}

// Models whose inference steps make another grid than the first model's (another spacing: nnU-Net's 3d_lowres
// beside its 3d_fullres) give outputs of other shapes: those are laid onto the first model's grid from their
// inputs' geometry, as nnU-Net brings each configuration's probabilities to one grid before averaging. Which
// models' outputs moved.
std::vector<bool> Predictor::Impl::onto_first_grid(const PreparedInput& input, std::vector<Outputs>& per_model) {
  std::vector<bool> moved(per_model.size(), false);
  for (size_t i = 1; i < per_model.size(); ++i)
    for (auto& [k, t] : per_model[i]) {
      const torch::Tensor& first = per_model[0].at(k);
      if (t.sizes().equals(first.sizes())) continue;
      try {
        t = (*onto_grid)(k, t, input.by_steps[steps_of[i]], input.by_steps[0]);
      } catch (const Error& e) {
        throw Error(e.code(), "an ensemble averages its models' outputs on one grid, but '" + dirs[i].string() + "' gives '" + k + "' of shape " +
                                  shape_string(shape_of(t)) + " and the first bundle ('" + dirs[0].string() + "') " + shape_string(shape_of(first)) +
                                  ", and it cannot be laid onto the first bundle's grid: " + e.what());
      }
      moved[i] = true;
    }
  for (size_t i = 1; i < moved.size(); ++i)
    if (moved[i] && !said_onto_grid) {
      said_onto_grid = true;
      log::info("ensemble: the outputs of '" + dirs[i].string() + "' are laid onto the grid of the first bundle's ('" + dirs[0].string() +
                "') before they are averaged (its inference steps make another grid: another spacing or crop)");
    }
  return moved;
}

// The ensemble's outputs: each model's under "<key>_m<i>", their mean under the key, and for class scores the
// majority vote of their argmax under "<key>_vote". One model: its outputs.
std::vector<std::pair<std::string, torch::Tensor>> Predictor::Impl::combine(const std::vector<Outputs>& per_model) const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const std::string& k : graphs[0].output_keys()) {
    torch::Tensor mean = per_model[0].at(k);
    if (per_model.size() > 1) {
      std::vector<torch::Tensor> all;
      for (size_t i = 0; i < per_model.size(); ++i) {
        const torch::Tensor& t = per_model[i].at(k);
        if (!t.sizes().equals(mean.sizes()))
          throw Error(Errc::kShape, "an ensemble averages its models' outputs, but '" + dirs[i].string() + "' gives '" + k + "' of shape " +
                                        shape_string(shape_of(t)) + " and the first bundle ('" + dirs[0].string() + "') " + shape_string(shape_of(mean)) +
                                        ": their inference steps make inputs of other shapes");
        out.emplace_back(k + "_m" + std::to_string(i), t);
        all.push_back(t);
      }
      mean = ensemble_mean(all);
      if (mean.dim() >= 2 && mean.is_floating_point()) {  // class scores: the most frequent argmax (ties: the lowest class)
        std::vector<torch::Tensor> votes;
        for (const torch::Tensor& t : all) votes.push_back(t.argmax(1));
        out.emplace_back(k + "_vote", std::get<0>(torch::stack(votes).mode(0)));
      }
    }
    out.emplace_back(k, mean);
  }
  return out;
}

// One input's predictions from its models' outputs (batch axis of one): outputs on other grids laid onto the
// first model's, the combined outputs on the first bundle's prepared sample, the postprocess (each model's own where they differ, what they write combined),
// then the write steps.
NDict Predictor::Impl::finish(PreparedInput input, std::vector<Outputs> per_model) {
  const uint64_t seed = experiment.seed;
  const std::vector<bool> moved = onto_first_grid(input, per_model);
  // The first bundle's sample carries the outputs; each model's postprocess below needs its own sample still.
  NDict out = postprocess.size() == 1 ? std::move(input.by_steps[0]) : input.by_steps[0];
  for (auto& [k, t] : combine(per_model)) out.set(k, Value(wrap(t)));
  if (postprocess.size() == 1) {
    postprocess[0].run(out, seed, -1, 0, false);
  } else {
    std::vector<NDict> before, after;
    for (size_t i = 0; i < graphs.size(); ++i) {
      NDict sample = input.by_steps[moved[i] ? 0 : steps_of[i]];  // outputs moved onto the first grid go with its sample
      for (const auto& [k, t] : per_model[i]) sample.set(k, Value(wrap(t)));
      before.push_back(sample);
      postprocess[postprocess_of[i]].run(sample, seed, -1, 0, false);
      after.push_back(std::move(sample));
    }
    std::vector<std::string> names;
    for (const fs::path& d : dirs) names.push_back(d.string());
    combine_postprocessed(out, before, after, names, "bundle");
  }
  write->run(out, seed, -1, 0, false);
  return out;
}

NDict Predictor::predict_prepared(PreparedInput input) {
  Impl& m = *impl_;
  for (NDict& s : input.by_steps) add_batch_axis(s, m.graphs[0].input_keys());
  std::vector<Impl::Outputs> per_model = m.run_models(input.by_steps);
  return m.finish(std::move(input), std::move(per_model));
}

std::vector<NDict> Predictor::predict_prepared(std::vector<PreparedInput> inputs, std::vector<std::string>& errors) {
  Impl& m = *impl_;
  errors.assign(inputs.size(), "");
  // Whole volumes cut into windows or slices, or inputs of different shapes or types: one at a time.
  bool together = inputs.size() > 1 && std::all_of(m.setups.begin(), m.setups.end(), [](const Impl::Setup& s) { return s.whole(); });
  for (const std::string& k : m.graphs[0].input_keys())
    for (const PreparedInput& input : inputs)
      for (size_t g = 0; g < m.steps.size(); ++g) {
        const Value* v = input.by_steps[g].find(k);
        const Value* v0 = inputs[0].by_steps[g].find(k);
        together = together && v != nullptr && v0 != nullptr && v->is<Tensor>() && v0->is<Tensor>() && v->as<Tensor>().shape() == v0->as<Tensor>().shape() &&
                   v->as<Tensor>().dtype().code == v0->as<Tensor>().dtype().code && v->as<Tensor>().dtype().bits == v0->as<Tensor>().dtype().bits;
      }
  if (together) try {
      return m.predict_together(inputs);
    } catch (const std::exception&) {
      // The batch refused: each input alone, so that an error is its own.
    }
  std::vector<NDict> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) try {
      out[i] = predict_prepared(std::move(inputs[i]));
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  return out;
}

// Inputs whose model inputs share shape and type: stacked into one batch per inference steps for the model(s),
// then each through the postprocess and write steps.
std::vector<NDict> Predictor::Impl::predict_together(std::vector<PreparedInput> inputs) {
  const std::vector<std::string> keys = graphs[0].input_keys();
  std::vector<NDict> batches(steps.size());
  for (size_t g = 0; g < steps.size(); ++g)
    for (const std::string& k : keys) {
      std::vector<torch::Tensor> each;
      for (const PreparedInput& input : inputs) each.push_back(view(input.by_steps[g].get<Tensor>(k)));
      batches[g].set(k, Value(wrap(torch::stack(each))));
    }
  const std::vector<Outputs> per_model = run_models(batches);
  std::vector<NDict> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<Outputs> mine(per_model.size());
    for (size_t j = 0; j < per_model.size(); ++j)
      for (const auto& [k, t] : per_model[j]) mine[j][k] = t.narrow(0, static_cast<int64_t>(i), 1).clone();
    for (NDict& s : inputs[i].by_steps) add_batch_axis(s, keys);
    out.push_back(finish(std::move(inputs[i]), std::move(mine)));
  }
  return out;
}

}  // namespace fuse::train
