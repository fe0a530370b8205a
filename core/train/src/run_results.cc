#include "fuse/train/run_results.h"

#include <cmath>
#include <future>
#include <limits>
#include <optional>


#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/data/dataset.h"
#include "fuse/data/pipeline.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/loader/collate.h"
#include "fuse/train/checkpoint.h"
#include "fuse/train/cross_validation.h"
#include "fuse/train/flip_forward.h"
#include "fuse/train/model_sizes.h"
#include "fuse/train/prediction_fit.h"
#include "fuse/train/run_settings.h"
#include "fuse/train/slice_forward.h"
#include "fuse/train/sliding_window.h"
#include "fuse/train/trainer.h"
#include "loss_terms.h"
#include "metric_set.h"
#include "recorded_difference.h"
#include "tensor_math.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

// The run's config.json (null when it has none): what training resolved and fitted.
// A folder of several runs (a cross-validation's, the seeds') is refused naming one of them to show.
bj::value read_run_config(const fs::path& run_dir) {
  const fs::path config = run_dir / "config.json";
  if (!fs::exists(config) && !fs::exists(run_dir / "checkpoints") && fs::is_directory(run_dir)) {
    const std::vector<fs::path> runs = trained_runs(run_dir);  // refuses what is not a cross-validation
    if (runs.size() != 1 || runs[0] != run_dir)
      throw Error(Errc::kInvalidArgument, "'" + run_dir.string() + "' is a cross-validation: show one fold's run ('" + runs.front().string() + "')");
  }
  return fs::exists(config) ? json::parse_exact(json::read_file(config)) : bj::value();
}

// A run of one fold (fuse run --cross-validate) is validated on its fold: the folds its config.json chose.
Experiment with_run_folds(Experiment e, const bj::value& doc) {
  if (!e.data.folds) return e;
  const bj::value* data = doc.is_object() ? doc.as_object().if_contains("data") : nullptr;
  const bj::value* folds = data != nullptr && data->is_object() ? data->as_object().if_contains("folds") : nullptr;
  if (folds == nullptr || !folds->is_object()) return e;
  const auto read = [&](const char* name, std::vector<int>& out) {
    const bj::value* v = folds->as_object().if_contains(name);
    if (v == nullptr || !v->is_array()) return;
    out.clear();
    for (const bj::value& fold : v->as_array()) out.push_back(static_cast<int>(fold.to_number<int64_t>()));
  };
  read("train", e.data.folds->train);
  read("validation", e.data.folds->validation);
  return e;
}

}  // namespace

struct RunResults::Impl {
  Impl(const Registry& r, const fs::path& experiment_file, const fs::path& run_dir, const RunResultsOptions& o)
      : registry(r), run_config(read_run_config(run_dir)), e(with_run_folds(read_experiment(experiment_file, run_settings(run_dir, o.settings)), run_config)), options(o) {
    if (o.checkpoint != "best" && o.checkpoint != "last") throw Error(Errc::kInvalidArgument, "checkpoint must be 'best' or 'last', got '" + o.checkpoint + "'");
    fit_experiment(registry, e, std::max<size_t>(1, e.loader.options.workers), false);  // the numbers training had
    size_model(registry, e);                                                               // and its sizes
    const fs::path file = run_dir / "checkpoints" / (o.checkpoint + ".ckpt");
    if (!fs::exists(file))
      throw Error(Errc::kIo, "'" + run_dir.string() + "' holds no checkpoints/" + o.checkpoint + ".ckpt: train it first (fuse run " + experiment_file.string() +
                                 " --out " + run_dir.string() + ")");
    data::DatasetSpec validation_spec = data::validation_dataset(e.data, e.validation);
    if (validation_spec.samples.empty())
      throw Error(Errc::kConfig, experiment_file.string() + " has no validation data ('validation' or 'folds'): there are no validation results to show");
    // The run validated with the experiment it was trained with: its static steps (the data's and validation's
    // own) and model as its config.json records them. A file edited since, or given for another run (another
    // spacing), would score the model on inputs it never saw. Which cases are validated and how (windows,
    // batches, a test table as validation.source) may differ: that is what --set is for here.
    if (const std::string d = recorded_difference(e.resolved, run_config, {{"data", "static"}, {"validation", "static"}, {"model"}}); !d.empty())
      throw Error(Errc::kConfig, "'" + run_dir.string() + "' was trained with another experiment than '" + experiment_file.string() + "' gives: " + d +
                                     "; give the experiment file the run was trained from" +
                                     // A run of an older fuse records no settings: they must be given again.
                                     (fs::exists(run_dir / "settings.json") ? "" : ", with the --set values it was trained with"));
    validation = std::make_unique<data::Dataset>(registry, std::move(validation_spec));
    if (validation->worker().has_batch_pipeline()) batch_worker.emplace(validation->worker());
    // The losses' "class_weights": "auto" counts the training labels, as the trainer did.
    data::DatasetSpec train_spec = e.data.dataset;
    train_spec.samples = data::split_samples(e.data, e.data.folds ? "train" : "all");
    train = std::make_unique<data::Dataset>(registry, std::move(train_spec));
    losses = std::make_unique<LossTerms>(registry, e.losses, *train);
    metrics = std::make_unique<MetricSet>(registry, e.metrics, false);
    // Steps fitted to the model's outputs take the values the run wrote once training ended; without them
    // (an unfinished run) they are left out.
    take_prediction_fits(registry, run_config, e.postprocess);
    postprocess = std::make_unique<data::Pipeline>(registry, without_awaiting(registry, e.postprocess), "postprocess");
    graph = build_model(registry, e.model);
    const Checkpoint c = read_checkpoint(file);
    try {
      graph.load_state(c.model);
    } catch (const Error& error) {
      throw Error(error.code(), file.string() + ": " + error.what() + " (a run of another experiment?)");
    }
    epoch = c.info.at("epoch").as_int64() + 1;
    graph.set_training(false);
    device = parse_device(o.device);
    if (device.device_type != kDLCPU) graph.to_device(device);
  }

  const Registry& registry;
  bj::value run_config;  // before `e`, which reads it
  Experiment e;
  RunResultsOptions options;
  std::unique_ptr<data::Dataset> validation, train;
  std::optional<data::Dataset::Worker> batch_worker;  // when the data has a batch pipeline
  std::unique_ptr<LossTerms> losses;
  std::unique_ptr<MetricSet> metrics;
  std::unique_ptr<data::Pipeline> postprocess;
  ModelGraph graph;
  DLDevice device{kDLCPU, 0};
  int64_t epoch = 0;
  bool loss_warned = false;

  SampleResult predict(size_t index, NDict sample) {
    SampleResult r;
    r.index = index;
    r.id = validation->sample(index).id;
    if (const Value* id = sample.find(validation->spec().id_key); id && id->is<std::string>()) r.id = id->as<std::string>();
    // As the validation loader makes it: a batch (of one), the batch pipeline, the model, the losses, the postprocess.
    r.batch = loader::collate({sample}, e.loader.options.collate);
    r.sample = std::move(sample);
    const int64_t at = epoch - 1;
    if (batch_worker) batch_worker->run_batch(r.batch, at, static_cast<int64_t>(index), {static_cast<int64_t>(index)}, false);
    const std::vector<std::string> inputs = graph.input_keys(), outputs = graph.output_keys();
    const auto forward = [&](NDict& x) { graph.forward(x, CallContext(false, e.seed, at, static_cast<int64_t>(index))); };
    const auto whole = [&](NDict& x) {
      if (e.validation.slices.enabled()) slice_forward(x, inputs, outputs, e.validation.slices, forward);
      else sliding_window_forward(x, inputs, outputs, e.validation.sliding_window, forward);
    };
    if (options.tta && !e.inference.tta.flips.empty()) flip_forward(r.batch, inputs, outputs, e.inference.tta.flips, whole);
    else whole(r.batch);
    try {
      r.loss = losses->compute(r.batch, nullptr, std::numeric_limits<int64_t>::max(), 1.0).total;
    } catch (const Error& error) {  // a loss that needs several samples (e.g. a contrastive one)
      r.loss = std::numeric_limits<double>::quiet_NaN();
      if (!loss_warned) log::warn(std::string("the per-sample loss is left empty: ") + error.what());
      loss_warned = true;
    }
    keys_to_host(r.batch, outputs);
    for (const std::string& k : outputs) r.outputs.set(k, r.batch.at(k));  // tensors shared, copied on write
    postprocess->run(r.batch, e.seed, at, static_cast<int64_t>(index), false);
    metrics->reset();
    metrics->update(r.batch);
    r.metrics = metrics->compute();
    return r;
  }
};

RunResults::RunResults(const Registry& registry, const fs::path& experiment, const fs::path& run_dir, RunResultsOptions options)
    : impl_(std::make_unique<Impl>(registry, experiment, run_dir, options)) {}
RunResults::~RunResults() = default;

const Experiment& RunResults::experiment() const { return impl_->e; }
size_t RunResults::size() const { return impl_->validation->size(); }
const std::string& RunResults::id(size_t index) const { return impl_->validation->sample(index).id; }
int64_t RunResults::epoch() const { return impl_->epoch; }
std::vector<std::string> RunResults::model_inputs() const { return impl_->graph.input_keys(); }

void RunResults::run(const std::vector<size_t>& indices, const std::function<void(SampleResult&&)>& consume) {
  Impl& m = *impl_;
  for (size_t i : indices)
    if (i >= m.validation->size())
      throw Error(Errc::kInvalidArgument, "validation sample " + std::to_string(i) + " of " + std::to_string(m.validation->size()));
  // The next sample is made (read, cached steps, validation's dynamic steps) while the model runs on this one.
  data::Dataset::Worker worker = m.validation->worker();
  const auto make = [&](size_t i) { return worker.get(i, m.epoch - 1, false); };
  std::future<std::optional<NDict>> next;
  if (!indices.empty()) next = std::async(std::launch::async, make, indices[0]);
  for (size_t k = 0; k < indices.size(); ++k) {
    std::optional<NDict> sample = next.get();
    if (k + 1 < indices.size()) next = std::async(std::launch::async, make, indices[k + 1]);
    if (sample) consume(m.predict(indices[k], std::move(*sample)));
  }
}

void RunResults::postprocess(NDict& batch, size_t index) { impl_->postprocess->run(batch, impl_->e.seed, impl_->epoch - 1, static_cast<int64_t>(index), false); }

}  // namespace fuse::train
