#include "fuse/train/trainer.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/log.h"
#include "fuse/base/strings.h"
#include "fuse/data/data_config.h"
#include "fuse/data/fit.h"
#include "fuse/data/pipeline.h"
#include "fuse/data/seeds.h"
#include "fuse/eval/evaluator.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"
#include "fuse/loader/loader.h"
#include "fuse/loader/rank_shard.h"
#include "fuse/report/charts.h"
#include "fuse/report/html.h"
#include "fuse/train/checkpoint.h"
#include "fuse/train/gradient_reducer.h"
#include "fuse/train/lr_suggestion.h"
#include "fuse/train/model_sizes.h"
#include "fuse/train/prediction_fit.h"
#include "fuse/train/run_settings.h"
#include "fuse/train/slice_forward.h"
#include "fuse/train/sliding_window.h"
#include "loss_terms.h"
#include "metric_set.h"
#include "prediction_columns.h"
#include "progress.h"
#include "recorded_difference.h"
#include "tensor_math.h"
#include "weight_average.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

// The seed position of model calls: far from the data pipeline's op positions.
constexpr int64_t kModelCall = 1 << 20;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); }

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// The ids of a batch's samples, for messages.
std::string sample_ids(const NDict& batch) {
  const Value* ids = batch.find("data.sample_id");
  if (ids == nullptr || !ids->is<List>()) return "?";
  std::vector<std::string> out;
  for (const Value& v : ids->as<List>())
    if (v.is<std::string>() && out.size() < 16) out.push_back(v.as<std::string>());
  return join(out, ", ") + (ids->as<List>().size() > 16 ? ", ..." : "");
}

// Rows of numbers per epoch, with a header fixed by the first row written (or found when resuming).
class CsvLog {
 public:
  explicit CsvLog(fs::path file) : file_(std::move(file)) {}

  // Keeps the rows of epochs 1 to `last_epoch` (a resumed run repeats the ones after it).
  void resume(int64_t last_epoch) {
    std::ifstream in(file_);
    std::string line;
    if (!std::getline(in, line)) return;
    columns_.clear();
    for (std::string_view c : split(line, ',')) columns_.emplace_back(c);
    kept_ = line + "\n";
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (std::stoll(line.substr(0, line.find(','))) > last_epoch) break;
      kept_ += line + "\n";
    }
    write_file_atomically(file_, kept_);
  }

  void add(const std::vector<std::pair<std::string, double>>& row) {
    if (columns_.empty()) {
      for (const auto& [name, value] : row) columns_.push_back(name);
      kept_ = join(columns_, ",") + "\n";
    }
    std::map<std::string, double> values(row.begin(), row.end());
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto it = values.find(columns_[i]);
      line += (i ? "," : "") + (it == values.end() ? std::string("") : columns_[i] == "epoch" ? std::to_string(static_cast<int64_t>(it->second)) : number(it->second));
    }
    kept_ += line + "\n";
    write_file_atomically(file_, kept_);
  }

 private:
  fs::path file_;
  std::vector<std::string> columns_;
  std::string kept_;
};

struct EpochValues {
  std::vector<std::pair<std::string, double>> values;  // "train.loss", "validation.auc", ...
  double find(const std::string& key) const {
    for (const auto& [k, v] : values)
      if (k == key) return v;
    return kNaN;
  }
  bool has(const std::string& key) const {
    for (const auto& [k, v] : values)
      if (k == key) return true;
    return false;
  }
};

// The cache audit before training (data.cache.audit): a stale cache stops the run before it trains on old data.
void audit(data::Dataset& dataset, size_t threads) {
  const data::Dataset::AuditReport report = dataset.audit_cache(threads, false);
  if (report.differences.empty()) return;
  std::string shown;
  for (size_t i = 0; i < report.differences.size() && i < 3; ++i) shown += "\n  " + report.differences[i];
  const std::string folder = dataset.cache()->folder().string();
  throw Error(Errc::kInvalidArgument, "the cache audit found " + std::to_string(report.differences.size()) + " of " + std::to_string(report.audited) +
                                          " recomputed samples different from their entries in " + folder + ":" + shown +
                                          "\nThe static pipeline's inputs changed since they were cached (a file rewritten in place?) or a static op is not "
                                          "deterministic. Clear the cache (fuse cache clear " + dataset.spec().cache_dir->string() + ") and run again, or turn the check off with "
                                          "\"cache\": {\"dir\": ..., \"audit\": false}.");
}

// Validation predictions for the final evaluation: one row per sample.
struct Predictions {
  std::vector<std::string> columns;  // id, target, the score columns, loss, then the extra columns
  std::vector<std::string> extra;    // keys the evaluation reads besides target and scores: its groups, and keys its
                                     // metrics' configs name (c_index's time and event)
  std::vector<std::vector<std::string>> rows;
};

}  // namespace

DLDevice parse_device(const std::string& text) {
  if (text == "cpu") return DLDevice{kDLCPU, 0};
  if (text == "cuda") return DLDevice{kDLCUDA, 0};
  if (text.rfind("cuda:", 0) == 0) return DLDevice{kDLCUDA, static_cast<int32_t>(std::stoi(text.substr(5)))};
  throw Error(Errc::kConfig, "unknown device '" + text + "' (cpu, cuda, cuda:N)");
}

namespace {

// A component's config with the experiment's seed for its initial weights where it takes one and sets none.
boost::json::object with_default_seed(const Registry& registry, const ComponentSpec& c) {
  boost::json::object config = c.config;
  if (config.contains("seed")) return config;
  for (const ConfigField& f : registry.component(c.component).config)
    if (f.name == "seed") config["seed"] = static_cast<int64_t>(c.default_seed);
  return config;
}

}  // namespace

ModelGraph build_model(const Registry& registry, const std::vector<ComponentSpec>& components) {
  ModelGraph graph;
  for (const ComponentSpec& c : components) {
    try {
      if (!c.shares.empty()) graph.add_shared(c.name, c.shares, c.keys);
      else graph.add(c.name, registry.create_model(c.component, with_default_seed(registry, c)));
    } catch (const Error& e) {
      throw Error(e.code(), c.where + ": model component '" + c.name + "': " + e.what());
    }
  }
  return graph;
}

struct Trainer::Impl {
  Impl(const Registry& r, Experiment experiment, fs::path run_dir, Communicator* c)
      : registry(r), e(std::move(experiment)), dir(std::move(run_dir)), comm(c), progress(e.trainer.progress && lead(), lead()), log(dir / "log.csv") {}

  const Registry& registry;
  Experiment e;
  fs::path dir;
  Communicator* comm;  // null: one process
  bool lead() const { return comm == nullptr || comm->rank() == 0; }
  int rank() const { return comm ? comm->rank() : 0; }
  ProgressBar progress;
  CsvLog log;

  std::unique_ptr<data::Dataset> train_data, validation_data;
  std::vector<std::string> validation_cases;  // the validation source's ids (before a static split), for results.json
  std::unique_ptr<loader::Sampler> train_sampler, validation_sampler;
  const loader::RankShardSampler* shard = nullptr;  // distributed: train_sampler, for the ranks' shares
  std::vector<double> shares;                      // this epoch's, per batch
  std::unique_ptr<GradientReducer> reducer;
  std::unique_ptr<loader::Loader> train_loader, validation_loader;
  ModelGraph graph;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<WeightAverage> average;  // trainer.ema: validated, checkpointed and exported in the weights' place
  std::unique_ptr<Schedule> schedule;
  std::unique_ptr<LossTerms> losses;
  std::unique_ptr<MetricSet> train_metrics, validation_metrics;
  std::unique_ptr<data::Pipeline> postprocess;
  DLDevice device{kDLCPU, 0};
  bool keys_checked = false;
  bool best_weights_loaded = false;  // once training is over
  bool sample_loss_warned = false;

  int64_t next_epoch = 0, optimizer_steps = 0, best_epoch = -1, bad_epochs = 0, skipped_batches = 0;
  double best_value = kNaN;
  bj::object best_row;

  enum class Mode { kFresh, kResume, kProbe };  // a probe (lr_find) writes no run files
  void prepare(Mode mode);
  EpochValues train_epoch(int64_t epoch);
  EpochValues validate(int64_t epoch, Predictions* predictions);
  // The losses of row `row` of a validation batch alone (NaN when a loss cannot take one sample).
  double sample_loss(const NDict& batch, size_t row, size_t rows);
  void step_optimizer(NDict& batch, int64_t epoch, int64_t b, const CallContext& context);
  void nan_batch(int64_t epoch, int64_t b, const NDict& batch, const std::string& what);
  Checkpoint checkpoint(int64_t epoch);
  void restore(const Checkpoint& c);
  void evaluate(RunResult& result);
  void load_best_weights();
  void fit_to_predictions(int64_t epoch);
  void backward(NDict grads, const CallContext& c, bool reduce, int64_t epoch, int64_t b);
  // Runs `check` on rank 0 only; its Error stops every rank alike.
  void on_lead(const std::function<void()>& check, const std::string& what) {
    if (comm) comm->agree(check, what);
    else check();
  }
  // An epoch's loss sums and batch count, summed over the ranks.
  void sum_losses(double& total, int64_t& counted, std::vector<double>& sums, const std::string& what) {
    std::vector<double> local{total, static_cast<double>(counted)};
    local.insert(local.end(), sums.begin(), sums.end());
    const std::vector<double> all = comm->all_sum(local, what);
    total = all[0], counted = static_cast<int64_t>(all[1]);
    std::copy(all.begin() + 2, all.end(), sums.begin());
  }
  void sync_model_from_lead(const std::string& what);
  CallContext context(bool training, int64_t epoch, int64_t b) const {
    // Each rank draws its own dropout masks; rank 0 draws those of a single process.
    CallContext c(training, data::call_seed(e.seed, epoch, b, kModelCall + rank()), epoch, -1);
    c.mixed_precision = e.trainer.mixed_precision && device.device_type == kDLCUDA;
    return c;
  }
};

void Trainer::Impl::prepare(Mode mode) {
  const bool resume = mode == Mode::kResume;
  if (e.trainer.threads > 0) at::set_num_threads(static_cast<int>(e.trainer.threads));
  else if (comm) at::set_num_threads(std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / comm->world().local_size));
  const fs::path last = dir / "checkpoints" / "last.ckpt";
  std::string checkpoint_bytes;  // resuming: rank 0's last checkpoint, for every rank
  on_lead(
      [&] {
        if (mode == Mode::kFresh && fs::exists(last))
          throw Error(Errc::kConfig, "run folder '" + dir.string() + "' already holds a run (checkpoints/last.ckpt); continue it with --resume, or choose "
                                         "another --out");
        if (resume && !fs::exists(last))
          throw Error(Errc::kIo, "nothing to resume in '" + dir.string() + "': no checkpoints/last.ckpt (the run stopped before its first epoch ended; "
                                     "start it again without --resume)");
        if (resume) checkpoint_bytes = read_checkpoint_bytes(last);  // checked below, alike on every rank
      },
      "checking the run folder");
  // Statistics fitted to the training split (a z-score's mean and std) enter the config before anything runs
  // or is written, so the cache, config.json and a bundle hold them.
  for (const std::string& line : fit_experiment(registry, e, std::max<size_t>(1, e.loader.options.workers), e.trainer.progress && lead()))
    if (lead()) progress.note(line);
  // So do the model's sizes that the experiment leaves to the data (an MLP's in_features).
  for (const std::string& line : size_model(registry, e))
    if (lead()) progress.note(line);
  // A resumed run continues with the experiment it started with: the same seed, steps, model, losses and
  // optimiser as its config.json records (more epochs, another thread count or progress may differ), else the
  // result would be neither run's.
  if (resume)
    on_lead(
        [&] {
          const fs::path recorded = dir / "config.json";
          if (!fs::exists(recorded)) return;
          const std::string d = recorded_difference(e.resolved, json::parse_exact(json::read_file(recorded)),
                                                    {{"seed"}, {"data", "static"}, {"data", "dynamic"}, {"validation", "static"}, {"model"}, {"losses"}, {"optimizer"}});
          if (!d.empty())
            throw Error(Errc::kConfig, "--resume: '" + dir.string() + "' was started with another experiment than '" + e.file.string() + "' gives: " + d +
                                           "; resume with the experiment file it was started from" +
                                           (fs::exists(dir / "settings.json") ? "" : ", with its --set values") + ", or start a new run (another --out)");
        },
        "comparing the experiment with the run's");
  if (mode != Mode::kProbe && lead()) {
    fs::create_directories(dir / "checkpoints");
    write_file_atomically(dir / "config.json", json::to_text(e.resolved, {2}) + "\n");
    write_run_settings(dir, e.settings);
  }

  // Data: the training split and the validation samples (a source of their own, or the folds' split).
  // A static pipeline that splits or drops samples runs over every source sample now, on the loader's workers.
  const size_t threads = std::max<size_t>(1, e.loader.options.workers);
  data::DatasetSpec train_spec = e.data.dataset;
  train_spec.samples = data::split_samples(e.data, e.data.folds ? "train" : "all");
  train_spec.index_threads = threads;
  train_spec.index_progress = e.trainer.progress && lead();
  train_data = std::make_unique<data::Dataset>(registry, train_spec);
  data::DatasetSpec validation_spec = data::validation_dataset(e.data, e.validation);
  validation_spec.index_threads = threads;
  validation_cases.clear();
  for (const data::Sample& s : validation_spec.samples) validation_cases.push_back(s.id);
  if (!validation_spec.samples.empty()) validation_data = std::make_unique<data::Dataset>(registry, std::move(validation_spec));
  if (e.trainer.monitor.rfind("validation.", 0) == 0 && !validation_data)
    throw Error(Errc::kConfig, e.file.string() + ": the trainer monitors '" + e.trainer.monitor +
                                   "' but there is no validation data (add 'validation' or 'folds'; or monitor 'train.loss')");
  // The cache: the ranks on a machine build a part each, then wait for each other (however long it takes).
  const size_t part = comm ? static_cast<size_t>(comm->world().local_rank) : 0, parts = comm ? static_cast<size_t>(comm->world().local_size) : 1;
  if (train_data->cache()) train_data->build_cache(threads, e.trainer.progress && lead(), part, parts);
  if (validation_data && validation_data->cache()) validation_data->build_cache(threads, false, part, parts);
  if (comm && (train_data->cache() || (validation_data && validation_data->cache())))
    comm->barrier("waiting for the other ranks to build their part of the cache", std::chrono::hours(24 * 7));
  if (lead()) {
    audit(*train_data, threads);
    if (validation_data) audit(*validation_data, threads);
  }
  train_sampler = loader::make_sampler(e.loader, *train_data, e.seed);
  if (comm) {
    auto sharded = std::make_unique<loader::RankShardSampler>(std::move(train_sampler), comm->rank(), comm->size());
    shard = sharded.get();
    train_sampler = std::move(sharded);
  }
  train_loader = std::make_unique<loader::Loader>(*train_data, *train_sampler, e.loader.options);
  if (validation_data) {
    // Distributed: a contiguous block of the validation samples per rank.
    const auto [begin, end] = comm ? loader::rank_block(validation_data->size(), comm->rank(), comm->size()) : std::pair<size_t, size_t>{0, validation_data->size()};
    validation_sampler = std::make_unique<loader::RangeSampler>(begin, end, e.validation.batch_size.value_or(e.loader.batch_size));
    loader::LoaderOptions options = e.loader.options;
    options.training = false;
    validation_loader = std::make_unique<loader::Loader>(*validation_data, *validation_sampler, options);
  }

  // The model, on its device; the optimiser and schedule over its parameters.
  graph = build_model(registry, e.model);
  device = parse_device(e.trainer.device);
  if (device.device_type != kDLCPU) graph.to_device(device);
  optimizer = std::make_unique<Optimizer>(graph.parameters(), e.optimizer, e.param_groups, e.freeze);
  if (optimizer->sharpness_aware() && e.trainer.accumulate > 1)
    throw Error(Errc::kConfig, e.file.string() + ": SAM ('sam_rho' > 0) cannot be combined with gradient accumulation");
  const int64_t batches = static_cast<int64_t>(train_sampler->batches(0).size());
  schedule = std::make_unique<Schedule>(e.schedule, (batches + e.trainer.accumulate - 1) / e.trainer.accumulate, e.trainer.epochs);
  losses = std::make_unique<LossTerms>(registry, e.losses, *train_data);
  for (const std::string& line : losses->notes())
    if (lead()) progress.note(line);
  train_metrics = std::make_unique<MetricSet>(registry, e.metrics, true);
  validation_metrics = std::make_unique<MetricSet>(registry, e.metrics, false);
  // Steps fitted to the trained model's outputs join once they are (fit_to_predictions).
  refuse_metrics_reading_awaiting(registry, e.postprocess, e.metrics);
  postprocess = std::make_unique<data::Pipeline>(registry, without_awaiting(registry, e.postprocess), "postprocess");
  if (!optimizer->frozen().empty() && lead()) log::info("frozen parameters: " + join(optimizer->frozen(), ", "));
  if (comm) {
    // The gradients the optimiser uses, reduced over the ranks; every rank starts from rank 0's weights.
    const std::vector<std::string> frozen = optimizer->frozen();
    std::vector<GradientReducer::ComponentParameters> reduced;
    for (auto& [name, params] : graph.parameters_by_component()) {
      std::vector<Parameter> kept;
      for (const Parameter& p : params)
        if (p.trainable && p.grad != nullptr && std::find(frozen.begin(), frozen.end(), name + "." + p.name) == frozen.end()) kept.push_back(p);
      reduced.emplace_back(name, std::move(kept));
    }
    reducer = std::make_unique<GradientReducer>(*comm, reduced, static_cast<size_t>(e.trainer.bucket_mb * (1 << 20)));
    if (!resume) sync_model_from_lead("sending rank 0's initial weights");
    if (lead())
      log::info("distributed: " + std::to_string(comm->size()) + " ranks (" + comm->backend() + "), " +
                number(static_cast<double>(reducer->bytes()) / (1 << 20)) + " MB of gradients per step in " + std::to_string(reducer->buckets()) + " buckets");
  }

  if (e.trainer.ema > 0) {
    average = std::make_unique<WeightAverage>(graph.parameters(), e.trainer.ema);
    if (lead() && mode != Mode::kProbe)
      progress.note("weight average: decay " + number(e.trainer.ema) + " (warmed up), validated and exported in the trained weights' place");
  }
  if (resume) {
    if (comm) checkpoint_bytes = comm->broadcast(checkpoint_bytes, 0, "sending the checkpoint to resume from");
    restore(parse_checkpoint(checkpoint_bytes, last.string()));
    if (lead()) log.resume(next_epoch);  // the rows of the epochs done (numbered from 1)
    progress.note("resuming after epoch " + std::to_string(next_epoch) + " of " + std::to_string(e.trainer.epochs));
  }
}

void Trainer::Impl::nan_batch(int64_t epoch, int64_t b, const NDict& batch, const std::string& what) {
  const std::string where = what + " at epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(b + 1) + " (samples: " + sample_ids(batch) + ")";
  if (e.trainer.on_nan == "stop")
    throw Error(Errc::kNumeric, where + "; training stopped. Lower the learning rate, clip gradients (trainer.grad_clip), check those samples, "
                                        "or set trainer.on_nan to \"skip\" to leave such batches out");
  ++skipped_batches;
  log::warn(where + "; batch skipped");
}

void Trainer::Impl::sync_model_from_lead(const std::string& what) {
  Checkpoint c;
  if (lead()) c.model = graph.save_state();
  const std::string bytes = comm->broadcast(lead() ? train::checkpoint_bytes(c) : std::string(), 0, what);
  if (!lead()) graph.load_state(parse_checkpoint(bytes, "rank 0's model").model);
}

// The backward of one batch; with `reduce` (a distributed run's step), each component's gradients are sent to
// the other ranks as soon as they are final.
void Trainer::Impl::backward(NDict grads, const CallContext& c, bool reduce, int64_t epoch, int64_t b) {
  if (!reduce || !reducer) {
    graph.backward(std::move(grads), c);
    return;
  }
  reducer->begin(shares.at(static_cast<size_t>(b)));
  graph.backward(std::move(grads), c, [&](const std::string& component) { reducer->ready(component); });
  reducer->finish("the gradients of epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(b + 1));
}

void Trainer::Impl::step_optimizer(NDict& batch, int64_t epoch, int64_t b, const CallContext& c) {
  if (optimizer->sharpness_aware()) {
    // SAM: the gradient at the worst nearby point decides the step from the current one.
    optimizer->sam_ascend();
    graph.zero_grad();
    graph.forward(batch, c);
    NDict grads;
    losses->compute(batch, &grads, optimizer_steps, 1.0);
    backward(std::move(grads), c, true, epoch, b);
    optimizer->sam_restore();
  }
  if (e.trainer.grad_clip > 0) optimizer->clip_grad_norm(e.trainer.grad_clip);
  if (!optimizer->gradients_finite()) {
    nan_batch(epoch, b, batch, "a gradient is NaN or infinite");
    graph.zero_grad();
    return;
  }
  optimizer->set_lr_factor(schedule->factor(optimizer_steps, epoch));
  if (const std::optional<double> momentum = schedule->momentum(optimizer_steps)) optimizer->set_momentum(*momentum);
  optimizer->step();
  if (average) average->update(optimizer_steps);
  graph.zero_grad();
  ++optimizer_steps;
}

EpochValues Trainer::Impl::train_epoch(int64_t epoch) {
  graph.set_training(true);
  graph.zero_grad();
  train_metrics->reset();
  train_loader->start(epoch);
  if (shard) shares = shard->shares(epoch);
  const int64_t batches = static_cast<int64_t>(train_loader->batches_in_epoch());
  progress.start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(e.trainer.epochs), batches);
  std::vector<double> sums(losses->names().size(), 0.0);
  double total = 0;
  int64_t counted = 0;
  NDict batch;
  for (int64_t b = 0; train_loader->next(batch); ++b) {
    const CallContext c = context(true, epoch, b);
    graph.forward(batch, c);
    if (!keys_checked) losses->check_keys(batch, graph.output_keys()), keys_checked = true;
    NDict grads;
    const LossTerms::Values v = losses->compute(batch, &grads, optimizer_steps, 1.0 / static_cast<double>(e.trainer.accumulate));
    const bool step = (b + 1) % e.trainer.accumulate == 0 || b + 1 == batches;
    if (!std::isfinite(v.total)) {
      std::string each;
      for (size_t i = 0; i < v.each.size(); ++i) each += (i ? ", " : "") + losses->names()[i] + " = " + number(v.each[i]);
      nan_batch(epoch, b, batch, "the loss is " + number(v.total) + " (" + each + ")");
      graph.set_training(false);  // drops the saved forward
      graph.set_training(true);
      if (!(comm && step)) continue;
      // Distributed: the other ranks step; this one takes part with the gradients it has (none of this batch).
      backward(NDict(), c, true, epoch, b);
      step_optimizer(batch, epoch, b, c);
      continue;
    }
    backward(std::move(grads), c, step, epoch, b);
    if (step) step_optimizer(batch, epoch, b, c);
    keys_to_host(batch, graph.output_keys());
    postprocess->run(batch, e.seed, epoch, b, false);
    train_metrics->update(batch);
    total += v.total;
    for (size_t i = 0; i < sums.size(); ++i) sums[i] += v.each[i];
    ++counted;
    progress.update(b + 1, total / static_cast<double>(counted), optimizer->lr());
  }
  if (comm) {
    // The epoch's numbers over all ranks: losses averaged over every rank's batches, metrics merged.
    sum_losses(total, counted, sums, "the training losses of epoch " + std::to_string(epoch + 1));
    train_metrics->merge_ranks(*comm, "the training metrics of epoch " + std::to_string(epoch + 1));
  }
  EpochValues out;
  out.values.emplace_back("train.loss", counted ? total / static_cast<double>(counted) : kNaN);
  if (sums.size() > 1)
    for (size_t i = 0; i < sums.size(); ++i) out.values.emplace_back("train." + losses->names()[i], counted ? sums[i] / static_cast<double>(counted) : kNaN);
  for (const auto& [name, value] : train_metrics->compute()) out.values.emplace_back("train." + name, value);
  return out;
}

EpochValues Trainer::Impl::validate(int64_t epoch, Predictions* predictions) {
  EpochValues out;
  if (!validation_loader) return out;
  graph.set_training(false);
  validation_metrics->reset();
  validation_loader->start(epoch);
  std::vector<double> sums(losses->names().size(), 0.0);
  double total = 0;
  int64_t counted = 0;
  NDict batch;
  const std::vector<std::string> inputs = graph.input_keys(), outputs = graph.output_keys();
  for (int64_t b = 0; validation_loader->next(batch); ++b) {
    const auto forward = [&](NDict& x) { graph.forward(x, context(false, epoch, b)); };
    if (e.validation.slices.enabled()) slice_forward(batch, inputs, outputs, e.validation.slices, forward);
    else sliding_window_forward(batch, inputs, outputs, e.validation.sliding_window, forward);
    if (!keys_checked) losses->check_keys(batch, graph.output_keys()), keys_checked = true;
    const LossTerms::Values v = losses->compute(batch, nullptr, std::numeric_limits<int64_t>::max(), 1.0);
    keys_to_host(batch, graph.output_keys());
    postprocess->run(batch, e.seed, epoch, b, false);
    validation_metrics->update(batch);
    total += v.total;
    for (size_t i = 0; i < sums.size(); ++i) sums[i] += v.each[i];
    ++counted;
    if (predictions == nullptr) continue;
    // One row per sample: id, target, scores (a [B, C] score gives C columns).
    const EvaluationSpec& ev = *e.evaluation;
    const List& ids = batch.get<List>("data.sample_id");
    auto cell = [&](const std::string& key, size_t row, std::vector<std::string>& cells, bool header) {
      const Value& value = batch.at(key);
      if (value.is<List>()) {
        const Value& x = value.as<List>().at(row);
        if (header) cells.push_back(key);
        else if (x.is_null()) cells.emplace_back();  // an empty table cell
        else cells.push_back(x.is<std::string>() ? x.as<std::string>() : x.is<int64_t>() ? std::to_string(x.as<int64_t>()) : number(x.as_number()));
        return;
      }
      const Tensor t = value.as<Tensor>().is_contiguous() ? value.as<Tensor>() : value.as<Tensor>().clone();
      const int64_t per_row = t.numel() / std::max<int64_t>(1, t.shape().empty() ? 1 : t.shape()[0]);
      for (int64_t c = 0; c < per_row; ++c) {
        if (header) {
          cells.push_back(per_row == 1 ? key : key + "_" + std::to_string(c));
          continue;
        }
        double x = 0;
        sdk::dispatch_dtype(t.dtype(), [&](auto tag) { x = static_cast<double>(t.data<decltype(tag)>()[static_cast<int64_t>(row) * per_row + c]); });
        cells.push_back(number(x));
      }
    };
    if (predictions->columns.empty()) {
      for (const std::string& g : ev.config.group_columns) {
        if (batch.find(g) == nullptr)
          throw Error(Errc::kConfig, "the evaluation's group '" + g + "' is not a key of the validation batch: " + batch.missing_key_message(g));
        predictions->extra.push_back(g);
      }
      // A metric config's value that is a key of the batch names a column (fuse eval's rule): write it too.
      for (const eval::MetricSpec& m : ev.config.metrics)
        for (const auto& field : m.config)
          if (field.value().is_string()) {
            const std::string key(field.value().as_string());
            const auto among = [&](const std::vector<std::string>& keys) { return std::count(keys.begin(), keys.end(), key) > 0; };
            const bool known = key == ev.target || among(ev.labels) || among(ev.scores) || among(predictions->extra);
            if (!known && batch.find(key) != nullptr) predictions->extra.push_back(key);
          }
      predictions->columns.push_back("id");
      for (const std::string& t : ev.target_keys()) cell(t, 0, predictions->columns, true);
      for (const std::string& s : ev.scores) cell(s, 0, predictions->columns, true);
      predictions->columns.push_back("loss");
      for (const std::string& x : predictions->extra) cell(x, 0, predictions->columns, true);
    }
    for (size_t row = 0; row < ids.size(); ++row) {
      std::vector<std::string> cells{ids[row].as<std::string>()};
      for (const std::string& t : ev.target_keys()) cell(t, row, cells, false);
      for (const std::string& s : ev.scores) cell(s, row, cells, false);
      cells.push_back(number(sample_loss(batch, row, ids.size())));
      for (const std::string& x : predictions->extra) cell(x, row, cells, false);
      predictions->rows.push_back(std::move(cells));
    }
  }
  if (comm) {
    sum_losses(total, counted, sums, "the validation losses of epoch " + std::to_string(epoch + 1));
    validation_metrics->merge_ranks(*comm, "the validation metrics of epoch " + std::to_string(epoch + 1));
    if (predictions != nullptr) {
      // Rank 0 gets every rank's rows, in rank order: the validation samples in order.
      bj::array rows;
      for (const auto& row : predictions->rows) rows.push_back(bj::array(row.begin(), row.end()));
      const bj::object mine{{"columns", bj::array(predictions->columns.begin(), predictions->columns.end())},
                            {"extra", bj::array(predictions->extra.begin(), predictions->extra.end())},
                            {"rows", rows}};
      const std::vector<std::string> all_rows = comm->all_gather(bj::serialize(mine), "the validation predictions");
      predictions->rows.clear();
      for (const std::string& text : all_rows) {
        const bj::object part = bj::parse(text).as_object();
        if (predictions->columns.empty()) {
          for (const bj::value& c : part.at("columns").as_array()) predictions->columns.emplace_back(c.as_string());
          for (const bj::value& c : part.at("extra").as_array()) predictions->extra.emplace_back(c.as_string());
        }
        for (const bj::value& row : part.at("rows").as_array()) {
          std::vector<std::string> cells;
          for (const bj::value& c : row.as_array()) cells.emplace_back(c.as_string());
          predictions->rows.push_back(std::move(cells));
        }
      }
    }
  }
  out.values.emplace_back("validation.loss", counted ? total / static_cast<double>(counted) : kNaN);
  if (sums.size() > 1)
    for (size_t i = 0; i < sums.size(); ++i)
      out.values.emplace_back("validation." + losses->names()[i], counted ? sums[i] / static_cast<double>(counted) : kNaN);
  for (const auto& [name, value] : validation_metrics->compute()) out.values.emplace_back("validation." + name, value);
  return out;
}

double Trainer::Impl::sample_loss(const NDict& batch, size_t row, size_t rows) {
  try {
    return losses->compute(batch_row(batch, row, rows), nullptr, std::numeric_limits<int64_t>::max(), 1.0).total;
  } catch (const Error& error) {  // a loss that needs several samples (e.g. a contrastive one)
    if (!sample_loss_warned) log::warn(std::string("the per-sample loss of the predictions is left empty: ") + error.what());
    sample_loss_warned = true;
    return kNaN;
  }
}

Checkpoint Trainer::Impl::checkpoint(int64_t epoch) {
  Checkpoint c;
  c.info = bj::object{{"epoch", epoch},
                      {"optimizer_steps", optimizer_steps},
                      {"best_epoch", best_epoch},
                      {"best_value", std::isnan(best_value) ? bj::value(nullptr) : bj::value(best_value)},
                      {"best_row", best_row},
                      {"bad_epochs", bad_epochs},
                      {"schedule", schedule->save_state()},
                      {"experiment", e.name},
                      {"threads", at::get_num_threads()}};
  c.model = graph.save_state();
  if (average) {  // the average is what validated and what export takes; the trained weights resume
    c.trained_model = std::move(c.model);
    average->swap();
    c.model = graph.save_state();
    average->swap();
  }
  c.optimizer = optimizer->save_state();
  return c;
}

void Trainer::Impl::restore(const Checkpoint& c) {
  graph.load_state(c.model);
  if (average) average->reset();
  if (!c.trained_model.empty()) graph.load_state(c.trained_model);
  optimizer->load_state(c.optimizer);
  next_epoch = c.info.at("epoch").as_int64() + 1;
  optimizer_steps = c.info.at("optimizer_steps").as_int64();
  best_epoch = c.info.at("best_epoch").as_int64();
  best_value = c.info.at("best_value").is_null() ? kNaN : c.info.at("best_value").to_number<double>();
  best_row = c.info.at("best_row").as_object();
  bad_epochs = c.info.at("bad_epochs").as_int64();
  schedule->load_state(std::string(c.info.at("schedule").as_string()));
  // LibTorch splits a backward's sums (convolution weight gradients, a whole tensor's sum) by its thread count,
  // so another count continues the run in other last digits than the interrupted one would have.
  if (const bj::value* threads = c.info.if_contains("threads"); threads && threads->is_int64() && threads->as_int64() != at::get_num_threads() && lead())
    log::warn("resuming with " + std::to_string(at::get_num_threads()) + " LibTorch threads where the run used " + std::to_string(threads->as_int64()) +
              ": the model's sums split by thread count, so the run continues in other last digits than it would have (losses ~1e-4 apart); --threads " +
              std::to_string(threads->as_int64()) + " continues it exactly");
}

void Trainer::Impl::load_best_weights() {
  if (best_weights_loaded) return;  // training is over: the fit and the evaluation read it once
  best_weights_loaded = true;
  const fs::path best = dir / "checkpoints" / "best.ckpt";
  std::string best_bytes;  // rank 0's file, for every rank
  on_lead([&] { best_bytes = fs::exists(best) ? read_checkpoint_bytes(best) : std::string(); }, "reading the best checkpoint");
  if (comm) best_bytes = comm->broadcast(best_bytes, 0, "sending the best checkpoint");
  if (!best_bytes.empty()) graph.load_state(parse_checkpoint(best_bytes, best.string()).model);
}

// Postprocess steps fitted to the trained model's outputs (a Cox model's baseline hazard): the best epoch's
// weights on the training samples, through validation's pipelines (no augmentation), as validation runs the
// model. Every rank makes the same pass, so each holds the same fitted config.
void Trainer::Impl::fit_to_predictions(int64_t epoch) {
  PredictionFits fits(registry, e.postprocess, "postprocess");
  if (fits.empty()) return;
  load_best_weights();
  graph.set_training(false);
  data::DatasetSpec spec = data::validation_dataset(e.data, e.validation);
  spec.samples = data::split_samples(e.data, e.data.folds ? "train" : "all");
  spec.index_threads = std::max<size_t>(1, e.loader.options.workers);
  data::Dataset dataset(registry, std::move(spec));
  loader::RangeSampler sampler(0, dataset.size(), e.validation.batch_size.value_or(e.loader.batch_size));
  loader::LoaderOptions options = e.loader.options;
  options.training = false;
  loader::Loader loader(dataset, sampler, options);
  loader.start(epoch);
  const std::vector<std::string> inputs = graph.input_keys(), outputs = graph.output_keys();
  NDict batch;
  for (int64_t b = 0; loader.next(batch); ++b) {
    const auto forward = [&](NDict& x) { graph.forward(x, context(false, epoch, b)); };
    if (e.validation.slices.enabled()) slice_forward(batch, inputs, outputs, e.validation.slices, forward);
    else sliding_window_forward(batch, inputs, outputs, e.validation.sliding_window, forward);
    keys_to_host(batch, outputs);
    postprocess->run(batch, e.seed, epoch, b, false);
    std::vector<std::string> ids;
    for (const Value& id : batch.get<List>("data.sample_id")) ids.push_back(id.as<std::string>());
    fits.add(batch, ids);
  }
  for (const std::string& line : fits.finish(e.postprocess))
    if (lead()) progress.note(line);
  data::copy_fits(e.postprocess, e.inference.postprocess, "inference's postprocess", "'postprocess'");
  data::write_fits(e.resolved, e.postprocess);
  data::write_fits(e.resolved, e.inference.postprocess);
  if (lead()) write_file_atomically(dir / "config.json", json::to_text(e.resolved, {2}) + "\n");
  postprocess = std::make_unique<data::Pipeline>(registry, e.postprocess, "postprocess");
}

void Trainer::Impl::evaluate(RunResult& result) {
  if (!e.evaluation || !validation_loader) return;
  load_best_weights();
  Predictions p;
  validate(std::max<int64_t>(0, result.best_epoch), &p);
  if (!lead()) return;
  // Quoted where needed: ids and sub-group values are the user's text.
  const auto line = [](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t c = 0; c < cells.size(); ++c) text += (c ? "," : "") + csv_cell(cells[c]);
    return text + "\n";
  };
  std::string csv = line(p.columns);
  for (const auto& row : p.rows) csv += line(row);
  write_file_atomically(dir / "predictions.csv", csv);
  eval::EvalConfig config = e.evaluation->config;
  config.predictions = {eval::PredictionFile{dir / "predictions.csv", "validation"}};
  config.id_column = "id";
  const PredictionLayout layout = prediction_layout(p.columns, e.evaluation->target_keys());
  if (e.evaluation->labels.empty()) config.target_column = e.evaluation->target;
  else config.label_columns = layout.targets;
  config.score_columns = layout.scores;
  bj::object results;
  try {
    results = eval::Evaluator(registry, config).run();
  } catch (const Error& error) {
    // A metric the validation data leaves undefined (an AUC of one class): the trained run stands, unevaluated,
    // as fuse infer leaves a test set.
    if (error.code() != Errc::kNumeric) throw;
    result.not_evaluated = error.what();
    fs::remove(dir / "evaluation.json"), fs::remove(dir / "report.html");  // none of an earlier run of this folder
    return;
  }
  write_file_atomically(dir / "evaluation.json", json::to_text(results, {2}) + "\n");
  write_file_atomically(dir / "report.html", report::html_report(results, e.name + " — validation, best epoch " + std::to_string(result.best_epoch + 1)));
}

Trainer::Trainer(const Registry& registry, Experiment experiment, fs::path run_dir, Communicator* communicator)
    : impl_(std::make_unique<Impl>(registry, std::move(experiment), std::move(run_dir), communicator)) {}

Trainer::~Trainer() = default;

RunResult Trainer::fit(bool resume) {
  Impl& m = *impl_;
  const auto start = std::chrono::steady_clock::now();
  m.prepare(resume ? Impl::Mode::kResume : Impl::Mode::kFresh);
  RunResult result;
  result.monitor = m.e.trainer.monitor;
  const TrainerSpec& t = m.e.trainer;
  std::vector<std::pair<std::string, double>> last_values;  // the last epoch's, should no epoch be better
  int64_t last_epoch = -1;
  for (int64_t epoch = m.next_epoch; epoch < t.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    EpochValues values = m.train_epoch(epoch);
    // Distributed: every rank validates (and later resumes) with rank 0's batch-norm statistics, as DDP's
    // broadcast buffers make them; the parameters are already equal.
    if (m.comm) m.sync_model_from_lead("sending rank 0's weights after epoch " + std::to_string(epoch + 1));
    if (m.average) m.average->swap();  // validated in the weights' place (equal on every rank, as the weights are)
    const EpochValues validation = m.validate(epoch, nullptr);
    if (m.average) m.average->swap();
    values.values.insert(values.values.end(), validation.values.begin(), validation.values.end());
    if (!values.has(t.monitor)) {
      std::vector<std::string> keys;
      for (const auto& [k, v] : values.values) keys.push_back(k);
      throw Error(Errc::kConfig, m.e.file.string() + ": the trainer monitors '" + t.monitor + "', which no loss or metric gives" +
                                     did_you_mean(t.monitor, keys) + " (there are: " + join(keys, ", ") + ")");
    }
    const double monitored = values.find(t.monitor);
    last_values = values.values, last_epoch = epoch;
    const bool better = std::isfinite(monitored) && (m.best_epoch < 0 || (t.maximize ? monitored > m.best_value + t.min_delta
                                                                                      : monitored < m.best_value - t.min_delta));
    if (better) {
      m.best_epoch = epoch, m.best_value = monitored, m.bad_epochs = 0;
      m.best_row = bj::object();
      for (const auto& [k, v] : values.values) m.best_row[k] = std::isfinite(v) ? bj::value(v) : bj::value(nullptr);
    } else {
      ++m.bad_epochs;
    }
    m.schedule->on_epoch_end(monitored, t.maximize);
    std::vector<std::pair<std::string, double>> row{{"epoch", static_cast<double>(epoch + 1)}, {"lr", m.optimizer->lr()}};
    row.insert(row.end(), values.values.begin(), values.values.end());
    row.emplace_back("seconds", seconds_since(epoch_start));
    if (m.lead()) {
      m.log.add(row);
      // The checkpoints: best first, so that a kill between the two never leaves a last newer than its best.
      const Checkpoint c = m.checkpoint(epoch);
      if (better) write_checkpoint(m.dir / "checkpoints" / "best.ckpt", c);
      write_checkpoint(m.dir / "checkpoints" / "last.ckpt", c);
    }
    std::string summary = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(t.epochs) + ":";
    for (const auto& [k, v] : values.values) summary += " " + k + " " + number(v);
    summary += "  lr " + number(m.optimizer->lr()) + "  " + format_seconds(seconds_since(epoch_start)) + (better ? "  (best)" : "");
    m.progress.line(summary);
    ++result.epochs_run;
    if (t.stop_after > 0 && result.epochs_run >= t.stop_after && epoch + 1 < t.epochs) {
      m.progress.note("stopping after " + std::to_string(result.epochs_run) + " epoch(s) as asked; continue with --resume");
      result.interrupted = true;
      break;
    }
    if (t.patience > 0 && m.bad_epochs >= t.patience) {
      result.stopped_early = true;
      m.progress.note("early stopping: '" + t.monitor + "' has not improved for " + std::to_string(t.patience) + " epochs");
      break;
    }
  }
  // A monitor undefined (NaN) in every epoch (an AUC on a validation set of one class) chooses no epoch: the last
  // one stands in for the best, said so, rather than a run without a best checkpoint.
  if (m.best_epoch < 0 && !result.interrupted && last_epoch >= 0) {
    m.best_epoch = last_epoch;
    m.best_row = bj::object();
    for (const auto& [k, v] : last_values) m.best_row[k] = std::isfinite(v) ? bj::value(v) : bj::value(nullptr);
    if (m.lead()) write_checkpoint(m.dir / "checkpoints" / "best.ckpt", m.checkpoint(m.best_epoch));
    log::warn("'" + t.monitor + "' was undefined (NaN) in every epoch, so no epoch was chosen: the last one's weights are the run's best.ckpt");
  }
  result.best_epoch = m.best_epoch;
  result.best_value = m.best_value;
  if (m.reducer && m.lead() && m.reducer->reductions() > 0)
    log::info("distributed: " + std::to_string(m.reducer->reductions()) + " gradient all-reduces of " + number(static_cast<double>(m.reducer->bytes()) / (1 << 20)) +
              " MB, " + number(1000 * m.reducer->waited_seconds() / static_cast<double>(m.reducer->reductions())) + " ms each waited for after the backward");
  if (result.interrupted) {
    result.seconds = seconds_since(start);
    return result;  // no results or evaluation until the run is complete
  }
  for (const auto& [k, v] : m.best_row)
    if (k.rfind("validation.", 0) == 0) result.validation[k.substr(11)] = v;
  m.fit_to_predictions(std::max<int64_t>(0, result.best_epoch));
  m.evaluate(result);
  result.seconds = seconds_since(start);
  if (!m.lead()) return result;
  bj::object train_values;
  for (const auto& [k, v] : m.best_row)
    if (k.rfind("train.", 0) == 0) train_values[k.substr(6)] = v;
  bj::array validation_cases;
  for (const std::string& id : m.validation_cases) validation_cases.push_back(bj::value(id));
  const bj::object results{{"experiment", m.e.name},
                           {"best_epoch", result.best_epoch + 1},
                           {"monitor", result.monitor},
                           {"best_value", std::isfinite(result.best_value) ? bj::value(result.best_value) : bj::value(nullptr)},
                           {"validation", result.validation},
                           {"train", train_values},
                           {"stopped_early", result.stopped_early},
                           {"skipped_batches", m.skipped_batches},
                           {"threads", at::get_num_threads()},
                           {"seconds", result.seconds},
                           // Which cases validated it: a bundle carries them, so `fuse infer --out-of-fold` predicts
                           // each case with the fold that did not train on it.
                           {"validation_cases", std::move(validation_cases)}};
  write_file_atomically(m.dir / "results.json", json::to_text(results, {2}) + "\n");
  return result;
}

LrFindResult Trainer::find_lr(const LrFindOptions& o) {
  Impl& m = *impl_;
  if (!(o.min_lr > 0 && o.max_lr > o.min_lr && o.steps > 1)) throw Error(Errc::kInvalidArgument, "lr-find: needs 0 < min_lr < max_lr and steps > 1");
  m.prepare(Impl::Mode::kProbe);
  fs::create_directories(m.dir);
  LrFindResult r;
  double average = 0, best = std::numeric_limits<double>::infinity();
  m.graph.set_training(true);
  m.progress.start("lr-find", o.steps);
  int64_t epoch = 0, b = 0;
  m.train_loader->start(epoch);
  NDict batch;
  for (int64_t i = 0; i < o.steps; ++i) {
    if (!m.train_loader->next(batch)) {  // the data ran out: the next epoch
      m.train_loader->start(++epoch);
      b = 0;
      if (!m.train_loader->next(batch)) throw Error(Errc::kInvalidArgument, "lr-find: the training loader gives no batch");
    }
    const double lr = o.min_lr * std::pow(o.max_lr / o.min_lr, static_cast<double>(i) / static_cast<double>(o.steps - 1));
    const CallContext c = m.context(true, epoch, b++);
    m.graph.forward(batch, c);
    if (!m.keys_checked) m.losses->check_keys(batch, m.graph.output_keys()), m.keys_checked = true;
    NDict grads;
    const double loss = m.losses->compute(batch, &grads, std::numeric_limits<int64_t>::max(), 1.0).total;
    if (!std::isfinite(loss)) break;
    m.graph.backward(std::move(grads), c);
    m.optimizer->set_lr_factor(lr / m.e.optimizer.lr);
    m.optimizer->step();
    m.graph.zero_grad();
    average = o.smoothing * average + (1 - o.smoothing) * loss;
    const double smoothed = average / (1 - std::pow(o.smoothing, static_cast<double>(i + 1)));
    r.learning_rates.push_back(lr);
    r.losses.push_back(loss);
    r.smoothed.push_back(smoothed);
    m.progress.update(i + 1, smoothed, lr);
    if (smoothed < best) best = smoothed, r.minimum = lr;
    if (i > 10 && smoothed > o.stop_factor * best) break;  // diverged
  }
  m.progress.finish();
  const size_t n = r.smoothed.size();
  if (const std::optional<size_t> i = steepest_index(r.smoothed)) r.steepest = r.learning_rates[*i];
  const std::optional<size_t> valley = valley_index(r.smoothed);
  r.suggestion = valley ? r.learning_rates[*valley] : r.minimum / 10;
  std::string csv = "lr,loss,smoothed\n";
  for (size_t i = 0; i < n; ++i) csv += number(r.learning_rates[i]) + "," + number(r.losses[i]) + "," + number(r.smoothed[i]) + "\n";
  write_file_atomically(m.dir / "lr_find.csv", csv);
  const report::Png png = report::lr_find_chart(r.learning_rates, r.smoothed, r.suggestion);
  std::ofstream(m.dir / "lr_find.png", std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  return r;
}

}  // namespace fuse::train
