// fuse-train: the commands that train or predict (`fuse run`, `fuse lr-find`, `fuse export`, `fuse infer`,
// `fuse show-results`), and `fuse eval-seg`, which shares inference's scoring of segmentations.
// A program of its own because it loads LibTorch, which the other `fuse` commands must not pay for; `fuse`
// hands these commands over to it. Exit codes: 0 success, 1 failure, 2 usage.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include "../common/label_regions.h"
#include "../common/run_app.h"
#include "../common/shell_word.h"
#include "../common/table.h"
#include "choose_ensemble.h"
#include "choose_postprocess.h"
#include "show_results.h"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/strings.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/launch/local_launcher.h"
#include "fuse/launch/world.h"
#include "fuse/report/html.h"
#include "fuse/json/write.h"
#include "fuse/train/cross_validation.h"
#include "fuse/train/batch_inference.h"
#include "fuse/train/inference.h"
#include "fuse/train/inference_inputs.h"
#include "fuse/train/out_of_fold.h"
#include "fuse/train/previous_stage.h"
#include "fuse/train/postprocess_choice.h"
#include "fuse/train/mask_folders.h"
#include "fuse/train/run_settings.h"
#include "fuse/train/seed_runs.h"
#include "fuse/train/trainer.h"

namespace {

namespace fs = std::filesystem;
using fuse::cli::shell_word;
using fuse::train::Experiment;

struct RunOptions {
  std::string experiment, out, device;
  bool resume = false, no_progress = false, cross_validate = false;
  std::vector<int> folds;  // with cross_validate: the folds to train in this call
  std::vector<uint64_t> seeds;  // repeated runs: one per seed
  std::vector<std::string> settings;  // --set path=value, applied to the experiment file
  int64_t epochs = 0, threads = -1, stop_after = 0;
  int nproc = 0;  // > 1: that many local processes (data-parallel)
};

// Command-line overrides of the experiment's trainer section.
void apply(Experiment& e, const RunOptions& o) {
  if (o.epochs > 0) e.trainer.epochs = o.epochs;
  if (!o.device.empty()) e.trainer.device = o.device;
  if (o.threads >= 0) e.trainer.threads = o.threads;
  if (o.no_progress) e.trainer.progress = false;
  if (o.stop_after > 0) e.trainer.stop_after = o.stop_after;
}

// The command that continues this run: the same settings, the overrides that change what it computes and the
// process count.
std::string run_command(const RunOptions& o, const std::string& flags) {
  std::string command = "fuse run " + shell_word(o.experiment);
  for (const std::string& s : o.settings) command += " --set " + shell_word(s);
  if (o.epochs > 0) command += " --epochs " + std::to_string(o.epochs);
  if (!o.device.empty()) command += " --device " + shell_word(o.device);
  if (o.threads >= 0) command += " --threads " + std::to_string(o.threads);
  if (o.nproc > 1) command += " --nproc " + std::to_string(o.nproc);
  return command + flags;
}

fs::path run_folder(const RunOptions& o, const Experiment& e) { return o.out.empty() ? fs::path("runs") / e.name : fs::path(o.out); }

// The experiment file with the --set values, then the other overrides. A resumed run continues with the values
// it was started with (its folder's settings.json), then those given now.
Experiment load(const RunOptions& o) {
  Experiment e = fuse::train::read_experiment(o.experiment, o.settings);
  if (o.resume) {
    const std::vector<std::string> settings = fuse::train::run_settings(run_folder(o, e), o.settings);
    if (settings != o.settings) e = fuse::train::read_experiment(o.experiment, settings);
  }
  apply(e, o);
  return e;
}

// What comes after training a segmentation (a validation metric on label maps): nnU-Net's post-processing
// choice on the validation cases, then the bundle that applies it.
void print_next_for_segmentation(const RunOptions& o, const Experiment& e, const fs::path& dir) {
  if (std::none_of(e.metrics.begin(), e.metrics.end(), fuse::train::scores_label_maps)) return;
  std::string command = "fuse choose-postprocess " + shell_word(o.experiment) + " " + shell_word(dir.string());
  for (const std::string& s : o.settings) command += " --set " + shell_word(s);
  std::cout << "next: " << command << " (keeps the largest components where that raises the validation Dice), then fuse export " << shell_word(dir.string())
            << " --out BUNDLE\n";
}

// The evaluation's headline metrics (those named as in the experiment, e.g. "auc" or "accuracy.accuracy"; of a
// metric none of whose outputs bears its name, such as "regression", every output) with their intervals; the
// rest is in evaluation.json and report.html.
void print_evaluation(const boost::json::object& results) {
  const boost::json::object* metrics = results.if_contains("metrics") ? &results.at("metrics").as_object() : nullptr;
  if (metrics == nullptr) return;
  if (const boost::json::value* data = results.if_contains("data"); data && data->is_object())
    if (const boost::json::value* without = data->as_object().if_contains("without_target"); without && without->is_int64() && without->as_int64() > 0)
      std::cout << "evaluation of the " << data->at("rows").as_int64() << " rows with a target (" << without->as_int64()
                << " without one: predicted, not scored)\n";
  for (const auto& [name, v] : *metrics) {
    const std::string key(name);
    const size_t dot = key.find('.');
    const std::string metric = key.substr(0, dot);
    if (dot != std::string::npos && key.substr(dot + 1) != metric && (metrics->contains(metric) || metrics->contains(metric + "." + metric))) continue;
    if (!v.is_object() || !v.as_object().contains("value") || !v.at("value").is_number()) continue;
    // Four decimals, as `fuse eval` prints them; evaluation.json holds every digit.
    using fuse::cli::four_decimals;
    std::cout << "evaluation: " << (dot != std::string::npos && key.substr(dot + 1) == metric ? metric : key) << " = " << four_decimals(v.at("value"));
    if (const boost::json::value* ci = v.as_object().if_contains("ci"); ci != nullptr && ci->is_object())
      std::cout << " [" << four_decimals(ci->at("lower")) << ", " << four_decimals(ci->at("upper")) << "] "
                << fuse::json::format_number(100 * ci->at("level").to_number<double>()) << "%";
    std::cout << "\n";
  }
}

void print_evaluation(const fs::path& file) {
  if (fs::exists(file)) print_evaluation(fuse::json::parse_exact(fuse::json::read_file(file)).as_object());
}

// `fuse run --nproc N`: this program again as ranks 0..N-1, with the same arguments; they see RANK set.
int launch(const RunOptions& o, int argc, char** argv) {
  fuse::launch::LaunchOptions options;
  options.nproc = o.nproc;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const fuse::launch::LaunchResult r = fuse::launch::launch_local(boost::dll::program_location().string(), args, options, std::cerr);
  if (r.exit_code == 0) return 0;
  std::string again = "fuse";
  for (const std::string& a : args)
    if (a != "--resume") again += " " + shell_word(a);
  throw fuse::Error(fuse::Errc::kIo, r.message + "; continue from the last checkpoint with: " + again + " --resume");
}

// A distributed run's ranks train on one GPU each: "cuda" is the local rank's.
void rank_device(Experiment& e, const fuse::launch::World& world) {
  if (world.distributed() && e.trainer.device == "cuda") e.trainer.device = "cuda:" + std::to_string(world.local_rank);
}

// The other ranks of a distributed run (none otherwise), on the experiment's device.
std::unique_ptr<fuse::train::Communicator> connect(Experiment& e, const fuse::launch::World& world) {
  if (!world.distributed()) return nullptr;
  rank_device(e, world);
  return fuse::train::Communicator::connect(world, fuse::train::parse_device(e.trainer.device), std::chrono::seconds(e.trainer.timeout_s));
}

int train(const RunOptions& o, const fuse::launch::World& world) {
  Experiment e = load(o);
  const fs::path dir = run_folder(o, e);
  fuse::Registry registry;
  const std::unique_ptr<fuse::train::Communicator> communicator = connect(e, world);
  fuse::train::Trainer trainer(registry, e, dir, communicator.get());
  const fuse::train::RunResult r = trainer.fit(o.resume);
  if (!world.lead()) return 0;  // rank 0 reports
  if (r.interrupted) {
    std::cout << "stopped after " << r.epochs_run << " epoch(s); continue with: " << run_command(o, " --out " + dir.string() + " --resume") << "\n";
    return 0;
  }
  std::cout << "best epoch " << r.best_epoch + 1 << ": " << r.monitor << " = " << fuse::cli::four_decimals(r.best_value) << "\n";
  if (!r.not_evaluated.empty()) std::cout << "not evaluated: " << r.not_evaluated << "\n";
  print_evaluation(dir / "evaluation.json");
  std::cout << "run folder: " << dir.string() << " (results.json, log.csv, checkpoints/";
  if (fs::exists(dir / "report.html")) std::cout << ", report.html";
  std::cout << ")\n";
  print_next_for_segmentation(o, e, dir);
  return 0;
}

void print_fold_start(int fold, int k) { std::cout << "== fold " << fold << " (" << fold + 1 << " of " << k << "): validated on fold " << fold << ", trained on the others\n"; }

struct SummaryRow {
  std::string label;                   // the fold, the seed
  std::optional<int64_t> best_epoch;   // 0-based
  const boost::json::object* validation;
};

// Runs side by side: each one's best epoch and validation values, then their mean and standard deviation.
void print_summary(const std::string& first, const std::vector<SummaryRow>& rows, const boost::json::object& mean, const boost::json::object& sd) {
  std::vector<std::string> names;  // the validation values, as the runs give them
  for (const auto& [name, value] : mean) names.push_back(std::string(name));
  const bool epochs = std::any_of(rows.begin(), rows.end(), [](const SummaryRow& r) { return r.best_epoch.has_value(); });
  std::vector<std::string> header{first};
  if (epochs) header.push_back("BEST_EPOCH");
  for (const std::string& n : names) header.push_back(fuse::cli::heading(n));
  fuse::cli::Table table(header);
  const auto value = [](const boost::json::value* v) { return v != nullptr && v->is_number() ? fuse::cli::short_number(v->to_number<double>()) : "-"; };
  for (const SummaryRow& r : rows) {
    std::vector<std::string> row{r.label};
    if (epochs) row.push_back(r.best_epoch ? std::to_string(*r.best_epoch + 1) : "-");
    for (const std::string& n : names) row.push_back(value(r.validation->if_contains(n)));
    table.add(row);
  }
  for (const auto& [label, values] : {std::pair<const char*, const boost::json::object*>{"mean", &mean}, {"sd", &sd}}) {
    std::vector<std::string> row{label};
    if (epochs) row.push_back("");
    for (const std::string& n : names) row.push_back(value(values->if_contains(n)));
    table.add(row);
  }
  table.print(std::cout);
}

// `fuse run --cross-validate`: the folds one after another (each by every rank together with --nproc), then
// their table with the mean and sd.
int cross_validate(const RunOptions& o, const fuse::launch::World& world) {
  Experiment e = load(o);
  const fs::path dir = run_folder(o, e);
  fuse::Registry registry;
  const std::unique_ptr<fuse::train::Communicator> communicator = connect(e, world);
  fuse::train::CrossValidationOptions options;
  options.folds = o.folds;
  options.resume = o.resume;
  options.communicator = communicator.get();
  if (world.lead())
    options.on_fold_start = print_fold_start;
  const fuse::train::CrossValidationResult r = fuse::train::cross_validate(registry, e, dir, options);
  if (!world.lead()) return 0;  // rank 0 reports
  if (!r.missing.empty()) {
    std::vector<std::string> missing;
    for (int f : r.missing) missing.push_back(std::to_string(f));
    std::cout << r.finished.size() << " of " << r.k << " folds finished; fold(s) " << fuse::join(missing, ", ")
              << " still to train: the summary comes once every fold has run (" << run_command(o, " --cross-validate --out " + dir.string() + " --resume")
              << ")\n";
    return 0;
  }
  std::vector<SummaryRow> rows;
  for (const fuse::train::FoldRun& f : r.finished) rows.push_back({std::to_string(f.fold), f.result.best_epoch, &f.result.validation});
  print_summary("FOLD", rows, r.mean, r.std);
  if (r.evaluated) {
    std::cout << "out-of-fold predictions of " << r.k << " folds:\n";
    print_evaluation(dir / "evaluation.json");
  }
  std::cout << "cross-validation folder: " << dir.string() << " (cross_validation.json, fold_0 ... fold_" << r.k - 1 << (r.evaluated ? ", evaluation.json, report.html" : "") << ")\n";
  print_next_for_segmentation(o, e, dir);
  return 0;
}

std::string seed_list(const std::vector<uint64_t>& seeds) {
  std::vector<std::string> words;
  for (uint64_t s : seeds) words.push_back(std::to_string(s));
  return fuse::join(words, ",");
}

// `fuse run --seeds 1,2,3`: the experiment once per seed (each a cross-validation with --cross-validate), each
// read again with --set seed=N so that its folder records it; then their table with the mean and sd.
int repeat_seeds(const RunOptions& o, const fuse::launch::World& world) {
  Experiment e = load(o);
  const fs::path dir = run_folder(o, e);
  fuse::Registry registry;
  const std::unique_ptr<fuse::train::Communicator> communicator = connect(e, world);
  const auto experiment = [&](uint64_t seed) {
    RunOptions one = o;
    one.settings.push_back("seed=" + std::to_string(seed));
    one.out = (dir / ("seed_" + std::to_string(seed))).string();
    Experiment seeded = load(one);
    rank_device(seeded, world);
    return seeded;
  };
  fuse::train::SeedRunsOptions options;
  options.cross_validate = o.cross_validate;
  options.folds = o.folds;
  options.resume = o.resume;
  options.communicator = communicator.get();
  if (world.lead()) {
    options.on_seed_start = [](uint64_t seed, size_t i, size_t n) { std::cout << "== seed " << seed << " (" << i + 1 << " of " << n << ")\n"; };
    options.on_fold_start = print_fold_start;
  }
  const fuse::train::SeedRunsResult r = fuse::train::run_seeds(registry, o.seeds, experiment, dir, options);
  if (!world.lead()) return 0;  // rank 0 reports
  const std::string again = run_command(o, " --seeds " + seed_list(o.seeds) + (o.cross_validate ? " --cross-validate" : "") + " --out " + dir.string() + " --resume");
  if (!r.missing.empty()) {
    std::cout << r.finished.size() << " of " << o.seeds.size() << " seeds finished; seed(s) " << seed_list(r.missing)
              << " still to train: the summary comes once every seed has run (" << again << ")\n";
    return 0;
  }
  std::vector<SummaryRow> rows;
  for (const fuse::train::SeedRun& run : r.finished) rows.push_back({std::to_string(run.seed), run.best_epoch, &run.validation});
  if (o.cross_validate) std::cout << "each seed's mean over its folds:\n";
  print_summary("SEED", rows, r.mean, r.std);
  std::cout << "seeds folder: " << dir.string() << " (seeds.json, " << r.finished.front().dir.filename().string()
            << (r.finished.size() > 1 ? " ... " + r.finished.back().dir.filename().string() : "") << ")\n";
  return 0;
}

int run(const RunOptions& o, int argc, char** argv) {
  for (const std::string& s : o.settings)
    if (!o.seeds.empty() && s.rfind("seed=", 0) == 0)
      throw fuse::Error(fuse::Errc::kInvalidArgument, "--seeds sets the experiment's seed of each run: drop --set " + s);
  if (!o.folds.empty() && !o.cross_validate) throw fuse::Error(fuse::Errc::kInvalidArgument, "--folds chooses folds to cross-validate: add --cross-validate");
  const fuse::launch::World world = fuse::launch::world_from_environment();
  const bool started_as_rank = std::getenv("RANK") != nullptr || std::getenv("WORLD_SIZE") != nullptr;  // by us or another launcher
  if (o.nproc > 1 && !started_as_rank) return launch(o, argc, argv);
  if (o.nproc > 0 && started_as_rank && o.nproc != world.size)
    throw fuse::Error(fuse::Errc::kConfig, "--nproc " + std::to_string(o.nproc) + " disagrees with WORLD_SIZE=" + std::to_string(world.size) +
                                               " (drop --nproc when a launcher such as torchrun starts the ranks)");
  const auto work = [&] { return !o.seeds.empty() ? repeat_seeds(o, world) : o.cross_validate ? cross_validate(o, world) : train(o, world); };
  if (!world.distributed()) return work();
  try {
    return work();
  } catch (const fuse::Error& e) {
    const std::string m = e.what();
    if (m.rfind("rank ", 0) == 0) throw;
    throw fuse::Error(e.code(), "rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) + ": " + m);
  }
}

struct LrFindOptions {
  RunOptions run;
  double min_lr = 1e-7, max_lr = 10;
  int64_t steps = 100;
};

int lr_find(const LrFindOptions& o) {
  Experiment e = load(o.run);
  const fs::path dir = o.run.out.empty() ? fs::path("runs") / e.name / "lr_find" : fs::path(o.run.out);
  fuse::Registry registry;
  fuse::train::Trainer trainer(registry, e, dir);
  fuse::train::LrFindOptions options;
  options.min_lr = o.min_lr;
  options.max_lr = o.max_lr;
  options.steps = o.steps;
  const fuse::train::LrFindResult r = trainer.find_lr(options);
  char text[256];
  std::snprintf(text, sizeof text, "suggested learning rate: %.2e (valley: halfway along the longest fall of the loss); steepest fall at %.2e, lowest loss at %.2e\n",
                r.suggestion, r.steepest, r.minimum);
  std::cout << text << "wrote " << (dir / "lr_find.png").string() << " and " << (dir / "lr_find.csv").string() << "\n";
  return 0;
}

struct InferOptions {
  std::vector<std::string> bundles;
  fuse::train::InferenceInputs inputs;
  std::string output, device = "cpu", out, output_name = "{id}{ext}", reference;
  std::string mirror;  // "xyz": test-time flips along every combination of these axes
  size_t workers = 2, batch = 0;
  bool keep_going = false, no_progress = false;
  bool out_of_fold = false;  // each input by the bundle whose validation cases hold it
  std::string previous_stage;  // a cascade's first stage: its bundles, or a folder of its segmentations
};

// --mirror's axes ("xyz") as test-time flips: every non-empty combination of them (nnU-Net's mirroring: 7 flips
// and the identity for three axes), in order of size.
std::vector<std::vector<int>> mirror_flips(const std::string& axes) {
  std::vector<int> picked;
  for (char c : axes) {
    const size_t a = std::string("xyz").find(c);
    if (a == std::string::npos || std::count(picked.begin(), picked.end(), static_cast<int>(a)))
      throw CLI::ValidationError("--mirror", "'" + axes + "': the axes to mirror, each of x, y and z at most once (e.g. xyz for a volume, xy for a slice)");
    picked.push_back(static_cast<int>(a));
  }
  std::sort(picked.begin(), picked.end());
  std::vector<std::vector<int>> flips;
  for (unsigned mask = 1; mask < (1u << picked.size()); ++mask) {
    std::vector<int> flip;
    for (size_t k = 0; k < picked.size(); ++k)
      if (mask & (1u << k)) flip.push_back(picked[k]);
    flips.push_back(flip);
  }
  std::stable_sort(flips.begin(), flips.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  return flips;
}

// One input, no --out: small outputs (class probabilities, scores) are printed; large ones (segmentations) were
// written to --output.
int infer_one(const InferOptions& o, fuse::train::Predictor& predictor) {
  const fuse::NDict out = predictor.predict_file(o.inputs.files.front(), o.output);
  boost::json::object printed;
  for (const auto& [key, value] : out.flatten()) {
    if (key.rfind("model.", 0) != 0 || !value->is<fuse::Tensor>() || value->as<fuse::Tensor>().numel() > 64) continue;
    const fuse::Tensor t = value->as<fuse::Tensor>().is_contiguous() ? value->as<fuse::Tensor>() : value->as<fuse::Tensor>().clone();
    boost::json::array a;
    fuse::sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
      for (int64_t i = 0; i < t.numel(); ++i) a.push_back(static_cast<double>(t.data<decltype(tag)>()[i]));
    });
    printed[key] = std::move(a);
  }
  if (!printed.empty()) std::cout << fuse::json::to_text(printed, {2}) << "\n";
  if (!o.output.empty() && fs::exists(o.output)) std::cout << "wrote " << o.output << "\n";
  return 0;
}

// Many inputs (a folder, a table, several --input) into --out: predictions.csv, the written outputs, and the
// evaluation where the inputs carry its target.
// With --out-of-fold, `choice` holds a predictor per bundle and `samples` are ordered by it.
int infer_many(const InferOptions& o, const fuse::Registry& registry, const fuse::train::PredictorChoice& choice,
               const std::vector<fuse::data::Sample>& samples) {
  const fuse::train::Predictor& predictor = *choice.predictors.front();
  fuse::train::BatchInferenceOptions options;
  options.out = o.out;
  options.output_name = o.output_name;
  options.workers = o.workers;
  options.batch = o.batch;
  options.keep_going = o.keep_going;
  options.reference = o.reference;
  const bool bar = !o.no_progress && isatty(fileno(stderr));
  if (bar)
    options.on_progress = [](size_t done, size_t total) {
      std::fprintf(stderr, "\rpredicting %zu/%zu%s", done, total, done == total ? "\n" : "");
      std::fflush(stderr);
    };
  const fuse::train::BatchInferenceResult r = fuse::train::predict_all(registry, choice, samples, options);
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.1f s (%.3f s an input)", r.seconds, r.seconds / static_cast<double>(samples.size()));
  std::cout << "predicted " << r.predicted << " of " << samples.size() << " inputs in " << seconds << "\n";
  if (o.out_of_fold) {
    std::vector<std::string> counts;
    for (size_t b = 0; b < choice.predictors.size(); ++b)
      counts.push_back(choice.names[b] + ": " + std::to_string(std::count(choice.which.begin(), choice.which.end(), b)));
    std::cout << "out of fold: each input by the bundle it validated (" << fuse::join(counts, ", ") << "; column 'model' of predictions.csv)\n";
  }
  print_evaluation(fs::path(o.out) / "evaluation.json");
  if (!r.not_evaluated.empty()) std::cout << "not evaluated: " << r.not_evaluated << "\n";
  if (!r.reference_columns.empty())
    std::cout << "each input's " << fuse::join(r.reference_columns, ", ") << " against its "
              << (o.reference.empty() ? predictor.experiment().inference.reference : o.reference) << ": columns of predictions.csv\n";
  if (!r.not_compared.empty()) std::cout << "not compared: " << r.not_compared << "\n";
  std::cout << "wrote " << (fs::path(o.out) / "predictions.csv").string();
  if (!predictor.experiment().inference.write.empty()) std::cout << " and each input's output";
  if (r.evaluated) std::cout << ", evaluation.json, report.html";
  std::cout << "\n";
  if (r.failed.empty()) return 0;
  std::cerr << "fuse: error: " << r.failed.size() << " of " << samples.size() << " inputs failed (" << (fs::path(o.out) / "errors.csv").string()
            << "); the first, '" << r.failed.front().first << "': " << r.failed.front().second << "\n";
  return 1;
}

struct EvalSegOptions {
  fuse::train::MaskFolders folders;
  std::string regions;  // "1,2,3;2,3;3"
  bool num_classes_given = false;
  std::string out;
  bool no_progress = false;
};

// `fuse eval-seg`: another tool's segmentations against references, folder against folder.
int eval_seg(EvalSegOptions& o) {
  if (!o.regions.empty()) {
    if (o.num_classes_given)
      throw CLI::ValidationError("--regions", "and --num-classes are both given: --regions scores regions of labels, --num-classes classes; give one");
    if (o.folders.include_background) throw CLI::ValidationError("--include-background", "does not apply to --regions: no region holds the background");
    try {
      o.folders.regions = fuse::apps::parse_regions(o.regions, &o.folders.region_names);
    } catch (const fuse::Error& e) {
      throw CLI::ValidationError("--regions", e.what());
    }
  } else if (!o.num_classes_given) {
    throw CLI::ValidationError("--num-classes", "is needed (labels 0 .. N - 1), or --regions");
  }
  fuse::Registry registry;
  const bool bar = !o.no_progress && isatty(fileno(stderr));
  const fuse::train::MaskFoldersResult r =
      fuse::train::evaluate_mask_folders(registry, o.folders, [&](size_t done, size_t total) {
        if (!bar) return;
        std::fprintf(stderr, "\rscoring %zu/%zu%s", done, total, done == total ? "\n" : "");
        std::fflush(stderr);
      });
  std::cout << "scored " << r.ids.size() << " cases\n";
  print_evaluation(r.results);
  if (o.out.empty()) return 0;
  const fs::path out = o.out;
  fs::create_directories(out);
  std::string csv = "id,prediction,reference";
  for (const std::string& n : r.names) csv += "," + fuse::csv_cell(n);
  csv += "\n";
  for (size_t k = 0; k < r.ids.size(); ++k) {
    csv += fuse::csv_cell(r.ids[k]) + "," + fuse::csv_cell(r.predictions[k]) + "," + fuse::csv_cell(r.references[k]);
    for (double v : r.per_case[k]) csv += "," + (std::isnan(v) ? std::string("nan") : fuse::json::format_number(v));
    csv += "\n";
  }
  fuse::write_file_atomically(out / "cases.csv", csv);
  fuse::write_file_atomically(out / "evaluation.json", fuse::json::to_text(r.results, {2}) + "\n");
  fuse::write_file_atomically(out / "report.html",
                              fuse::report::html_report(r.results, "Segmentations " + o.folders.predictions.string() + " against " + o.folders.references.string()));
  std::cout << "wrote " << (out / "cases.csv").string() << ", evaluation.json, report.html\n";
  return 0;
}

// The predictors of one stage's bundles and the inputs in the order they take them: one predictor (a bundle,
// or an ensemble), or with --out-of-fold one per bundle, each input by the one it validated, each bundle's inputs
// together.
struct Stage {
  std::vector<std::unique_ptr<fuse::train::Predictor>> owned;
  fuse::train::PredictorChoice choice;
  std::vector<fuse::data::Sample> samples;
};

Stage make_stage(const fuse::Registry& registry, const std::vector<fs::path>& given, const InferOptions& o, const std::vector<std::vector<int>>& flips) {
  Stage stage;
  const auto add = [&](const std::vector<fs::path>& bundles, const std::string& name) {
    stage.owned.push_back(std::make_unique<fuse::train::Predictor>(registry, bundles, o.device));
    if (!o.mirror.empty()) stage.owned.back()->set_flips(flips);
    stage.choice.predictors.push_back(stage.owned.back().get());
    stage.choice.names.push_back(name);
  };
  if (!o.out_of_fold) {
    add(given, "");
    stage.samples = fuse::train::read_inference_inputs(o.inputs, stage.owned.front()->experiment());
    stage.choice.which.assign(stage.samples.size(), 0);
    return stage;
  }
  const std::vector<fs::path> bundles = fuse::train::expand_bundle_folders(given);
  for (const fs::path& b : bundles) add({b}, b.filename().string());
  std::vector<fuse::data::Sample> samples = fuse::train::read_inference_inputs(o.inputs, stage.owned.front()->experiment());
  const std::vector<size_t> which = fuse::train::out_of_fold_bundles(bundles, samples);
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return which[a] < which[b]; });
  for (size_t i : order) stage.samples.push_back(std::move(samples[i])), stage.choice.which.push_back(which[i]);
  return stage;
}

int infer(const InferOptions& o) {
  const bool many = !o.out.empty() || o.inputs.files.size() != 1;
  if (many && !o.output.empty())
    throw CLI::ValidationError("--output", "names the file of one --input; with several inputs, a --folder or a --table give --out DIR");
  if (many && o.out.empty())
    throw CLI::ValidationError("--out", "needed with several inputs, a --folder or a --table: the folder for predictions.csv and the outputs");
  if (!many && !o.reference.empty())
    throw CLI::ValidationError("--reference", "scores what --out DIR writes against each input's reference: give a --table whose rows carry it and --out");
  if (o.out_of_fold && o.out.empty())
    throw CLI::ValidationError("--out-of-fold", "predicts a cross-validation's cases into a folder: give them with --table (or --folder) and --out DIR");
  if (!o.previous_stage.empty() && o.out.empty())
    throw CLI::ValidationError("--previous-stage", "gives each input's first-stage segmentation to a cascade's bundles: give the inputs with --table, "
                                                   "--folder or --input and --out DIR");
  const std::vector<std::vector<int>> flips = o.mirror.empty() ? std::vector<std::vector<int>>() : mirror_flips(o.mirror);
  fuse::Registry registry;
  const std::vector<fs::path> given(o.bundles.begin(), o.bundles.end());
  if (!many) {
    fuse::train::Predictor predictor(registry, given, o.device);
    if (!o.mirror.empty()) predictor.set_flips(flips);
    return infer_one(o, predictor);
  }
  Stage stage = make_stage(registry, given, o, flips);
  const std::string& key = stage.choice.predictors.front()->experiment().inference.previous_stage;
  std::vector<fuse::data::Sample>& samples = stage.samples;
  if (key.empty() && !o.previous_stage.empty())
    throw fuse::Error(fuse::Errc::kInvalidArgument, "--previous-stage: bundle '" + o.bundles.front() + "' is not a cascade's second stage (its inference "
                                                    "names no previous_stage): predict without --previous-stage");
  if (!key.empty() && o.previous_stage.empty()) {
    for (const fuse::data::Sample& s : samples)
      if (!s.values.has(key))
        throw fuse::Error(fuse::Errc::kInvalidArgument, "bundle '" + o.bundles.front() + "' is a cascade's second stage: it reads each input's "
                                                        "segmentation by the first stage under " + key + ", which input '" + s.id + "' lacks; give "
                                                        "--previous-stage with the first stage's bundles (or a folder of their segmentations)");
  }
  if (!key.empty() && !o.previous_stage.empty()) {
    fs::path folder = o.previous_stage;
    const std::vector<fs::path> first_bundles = fuse::train::expand_bundle_folders({folder});
    if (fs::exists(first_bundles.front() / "bundle.json")) {
      // The first stage predicts the same inputs (out of fold too, with --out-of-fold) into OUT/previous_stage.
      const Stage first = make_stage(registry, {folder}, o, flips);
      fuse::train::BatchInferenceOptions options;
      options.out = fs::path(o.out) / "previous_stage";
      options.workers = o.workers;
      options.batch = o.batch;
      options.reference = o.reference;
      const fuse::train::BatchInferenceResult r = fuse::train::predict_all(registry, first.choice, first.samples, options);
      std::cout << "previous stage: " << folder.string() << " predicted " << r.predicted << " inputs into " << options.out.string()
                << (r.evaluated ? " (evaluation.json: their scores alone)" : "") << "\n";
      folder = options.out;
    }
    fuse::train::attach_previous_stage(samples, key, folder);
  }
  return infer_many(o, registry, stage.choice, samples);
}

}  // namespace

// Training allocates and frees the same large activation buffers every step. glibc's defaults map each one
// afresh (and return the heap's top to the system), so every step pays page faults and zeroing; keeping them
// in the heap makes a whole nodule3d run ~10% faster. Memory is still returned when the process ends.
void keep_large_allocations_in_heap() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

int main(int argc, char** argv) {
  keep_large_allocations_in_heap();
  CLI::App app{"fuse-train: train, probe, export and run models (called by `fuse run`, `fuse lr-find`, `fuse export`, `fuse infer`, `fuse show-results`, "
               "`fuse eval-seg`)",
               "fuse"};
  app.require_subcommand(1);
  int exit_code = 0;

  static RunOptions run_options;
  CLI::App* run_cmd = app.add_subcommand("run", "Train an experiment end to end: data, model, losses, metrics, checkpoints, evaluation report");
  run_cmd->add_option("EXPERIMENT", run_options.experiment, "the experiment file")->required();
  run_cmd->add_option("--out", run_options.out, "the run folder (default: runs/<name>)");
  run_cmd->add_flag("--resume", run_options.resume, "continue the run in --out from its last checkpoint");
  run_cmd->add_option("--epochs", run_options.epochs, "override trainer.epochs");
  run_cmd->add_option("--set", run_options.settings, "replace or add a value of the experiment: a dotted path and JSON or plain text (trainer.epochs=3, model.channels=[8,16], schedule.name=cosine); repeat for more");
  run_cmd->add_option("--device", run_options.device, "override trainer.device (cpu, cuda, cuda:N)");
  run_cmd->add_option("--threads", run_options.threads, "override trainer.threads (LibTorch's threads)");
  run_cmd->add_flag("--no-progress", run_options.no_progress, "no progress bar or per-epoch lines (what the run fits and sizes, and why it stops, is still said)");
  run_cmd->add_option("--stop-after", run_options.stop_after, "train this many epochs, then stop (continue later with --resume)");
  run_cmd->add_flag("--cross-validate", run_options.cross_validate, "train once per fold of data.folds, validated on that fold, into --out/fold_N; then the folds' table and the out-of-fold evaluation");
  run_cmd->add_option("--folds", run_options.folds, "with --cross-validate: only these folds in this call (comma-separated), e.g. one per job")->delimiter(',');
  run_cmd->add_option("--seeds", run_options.seeds,
                      "train once per seed (comma-separated, e.g. 1,2,3) into --out/seed_N, each with that experiment seed (its weights, sampling, "
                      "augmentations); then the seeds' table with the mean and sd (with --cross-validate: each seed a cross-validation)")
      ->delimiter(',');
  run_cmd->add_option("--nproc", run_options.nproc, "data-parallel training on this many local processes (each takes its share of every batch)")
      ->check(CLI::Range(1, 1024));
  run_cmd->callback([&] { exit_code = run(run_options, argc, argv); });

  static LrFindOptions lr_options;
  CLI::App* lr_cmd = app.add_subcommand("lr-find", "Learning-rate range test: loss against a rising learning rate, a suggestion and a plot");
  lr_cmd->add_option("EXPERIMENT", lr_options.run.experiment, "the experiment file")->required();
  lr_cmd->add_option("--out", lr_options.run.out, "where lr_find.csv and lr_find.png go (default: runs/<name>/lr_find)");
  lr_cmd->add_option("--min-lr", lr_options.min_lr, "the first learning rate");
  lr_cmd->add_option("--max-lr", lr_options.max_lr, "the last learning rate");
  lr_cmd->add_option("--steps", lr_options.steps, "optimisation steps");
  lr_cmd->add_option("--set", lr_options.run.settings, "replace or add a value of the experiment: a dotted path and JSON or plain text (trainer.epochs=3, model.channels=[8,16], schedule.name=cosine); repeat for more");
  lr_cmd->add_option("--threads", lr_options.run.threads, "LibTorch's threads");
  lr_cmd->add_flag("--no-progress", lr_options.run.no_progress, "no progress bar");
  lr_cmd->callback([&] { exit_code = lr_find(lr_options); });

  static std::string run_dir, bundle_out, checkpoint = "best";
  CLI::App* export_cmd = app.add_subcommand("export", "Write a self-contained bundle of a run: weights, pipelines, plugin ids and versions");
  export_cmd->add_option("RUN", run_dir, "the run folder, or a cross-validation's (one bundle per fold: an ensemble)")->required();
  export_cmd->add_option("--out", bundle_out, "the bundle folder")->required();
  export_cmd->add_option("--checkpoint", checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  export_cmd->callback([&] {
    fuse::Registry registry;
    const std::vector<fs::path> written = fuse::train::export_bundles(registry, run_dir, bundle_out, checkpoint);
    if (const size_t chosen = fuse::train::chosen_postprocess(run_dir).size(); chosen > 0)
      std::cout << "inference postprocess: + " << chosen << (chosen == 1 ? " step" : " steps") << " from " << (fs::path(run_dir) / "postprocess.json").string()
                << " (chosen on the validation cases)\n";
    if (written.size() == 1 && written[0] == fs::path(bundle_out)) {
      std::cout << "wrote bundle " << bundle_out << "\n";
    } else {
      const bool seeds = written.front().filename().string().rfind("seed_", 0) == 0;
      std::cout << "wrote " << written.size() << " bundles, one per " << (seeds ? "seed" : "fold") << ":";
      for (const fs::path& b : written) std::cout << " " << b.filename().string();
      std::cout << " in " << bundle_out << " (an ensemble: fuse infer " << bundle_out << " ...)\n";
    }
    exit_code = 0;
  });

  static InferOptions infer_options;
  InferOptions& io = infer_options;
  CLI::App* infer_cmd = app.add_subcommand("infer", "Predict with a bundle (or several: an ensemble) and write the result in the input's geometry");
  infer_cmd->add_option("BUNDLE", io.bundles, "bundle folder(s); a folder of bundles (fuse export of a cross-validation) gives each")->required();
  CLI::Option* input_opt = infer_cmd->add_option("--input", io.inputs.files, "an input file (e.g. an image; a DICOM series' folder); repeat for more");
  CLI::Option* folder_opt = infer_cmd->add_option("--folder", io.inputs.folder, "predict every file of this folder that matches --pattern");
  infer_cmd->add_option("--pattern", io.inputs.pattern, "with --folder: the files' names ('*' and '?'; '**/' in front: sub-folders too; default: the training folder's pattern "
                        "when its files came with paired files (nnU-Net's *_0000.nii.gz), else *)")->needs(folder_opt);
  infer_cmd->add_option_function<std::string>(
               "--match", [&](const std::string& m) { io.inputs.folders = m == "folders"; },
               "with --folder: what --pattern matches, files (default) or folders (a DICOM series each)")
      ->check(CLI::IsMember({"files", "folders"}))
      ->needs(folder_opt);
  CLI::Option* table_opt = infer_cmd->add_option("--table", io.inputs.table,
                                                 "predict every row of this table (.csv, .tsv, .jsonl; columns as in the training table) or entry of a data list (.json)");
  infer_cmd->add_option("--section", io.inputs.section, "with a data list: its section (default: test)")->needs(table_opt);
  input_opt->excludes(folder_opt)->excludes(table_opt);
  folder_opt->excludes(table_opt);
  infer_cmd->add_option("--output", io.output, "with one --input: the file to write (e.g. a segmentation)");
  infer_cmd->add_option("--out", io.out, "the folder for predictions.csv, each input's output, and the evaluation when the inputs carry its target");
  infer_cmd->add_option("--output-name", io.output_name, "with --out: each output's file name, '{id}' and '{ext}' filled (default {id}{ext})");
  infer_cmd->add_option("--workers", io.workers, "with --out: threads reading inputs ahead of the model (default 2)")->check(CLI::Range(1, 256));
  infer_cmd->add_option("--batch", io.batch, "with --out: inputs of one shape per model call (default: the run's validation batch size)")
      ->check(CLI::Range(1, 65536));
  infer_cmd->add_option("--reference", io.reference,
                        "with --out: the input key of each input's reference label map (e.g. data.mask); each written segmentation is scored "
                        "against it on the input's grid (default: the bundle's inference.reference)");
  infer_cmd->add_option("--mirror", io.mirror,
                        "test-time augmentation by mirroring along these axes, every combination (xyz: 8 passes, nnU-Net's default), averaged; in "
                        "place of the bundle's inference.tta");
  infer_cmd->add_flag("--out-of-fold", io.out_of_fold,
                     "with a cross-validation's bundles: each input by the fold that validated it (never trained on it), as nnU-Net's validation; "
                     "with the inputs' references, scored on their own grids");
  infer_cmd->add_option("--previous-stage", io.previous_stage,
                        "for a cascade's second stage (nnU-Net's 3d_cascade_fullres): the first stage's bundles, which predict the inputs into "
                        "--out/previous_stage first, or a folder of their segmentations named by the inputs' ids");
  infer_cmd->add_flag("--keep-going", io.keep_going, "with --out: an input that fails is listed in errors.csv and the others go on (exit code 1)");
  infer_cmd->add_flag("--no-progress", io.no_progress, "no progress line");
  infer_cmd->add_option("--device", io.device, "cpu, cuda, cuda:N");
  infer_cmd->callback([&] {
    if (io.inputs.files.empty() && io.inputs.folder.empty() && io.inputs.table.empty())
      throw CLI::RequiredError("--input FILE (repeatable), --folder DIR or --table FILE");
    exit_code = infer(io);
  });

  static fuse::cli::ShowResultsOptions show;
  CLI::App* show_cmd = app.add_subcommand("show-results", "Draw a run's validation samples with their target and predicted masks, loss and metrics");
  show_cmd->add_option("EXPERIMENT", show.experiment, "the experiment file the run was trained from")->required();
  show_cmd->add_option("RUN", show.run, "the run folder (fuse run EXPERIMENT --out RUN)")->required();
  show_cmd->add_option("--n", show.n, "how many samples")->check(CLI::PositiveNumber);
  show_cmd->add_option("--ids", show.ids, "these validation samples (ids, comma-separated) in this order, instead of the first --n")->delimiter(',');
  show_cmd->add_flag("--top-losses", show.top_losses, "run every validation sample and show the --n with the largest loss");
  show_cmd->add_option("--highest", show.highest, "run every validation sample and show the --n with the largest value of this metric (or loss)");
  show_cmd->add_option("--lowest", show.lowest, "run every validation sample and show the --n with the smallest value of this metric (e.g. a Dice)");
  show_cmd->add_option("--checkpoint", show.checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  show_cmd->add_option("--set", show.settings, "the --set values the run was trained with");
  show_cmd->add_option("--device", show.device, "cpu, cuda, cuda:N");
  show_cmd->add_flag("--tta", show.tta, "predict each validation case with the test-time flips of the experiment's inference (inference.tta) too, as fuse infer does");
  show_cmd->add_option("--plane", show.plane, "axial, coronal or sagittal")->check(CLI::IsMember({"axial", "coronal", "sagittal"}));
  show_cmd->add_option("--slice", show.slice, "slice index (default: the largest mask area, else the largest predicted area)");
  show_cmd->add_option("--columns", show.columns, "tiles per row")->check(CLI::PositiveNumber);
  show_cmd->add_option("--image", show.image_key, "the image key (default: the first tensor of 3 or more axes)");
  show_cmd->add_option("--channel", show.channel, "the image's channel to draw, e.g. a case's second MRI sequence (default: the first)")
      ->check(CLI::NonNegativeNumber);
  show_cmd->add_option("--mask", show.mask_key, "the target mask key (default: data.mask, data.seg or data.label when a tensor)");
  show_cmd->add_option("--pred", show.pred_key, "the predicted mask key (default: what a metric compares with the mask, e.g. model.seg)");
  show_cmd->add_option("--out", show.out, "the PNG to write");
  show_cmd->add_option("--csv", show.csv, "also write every sample run (when ranked: all) with its loss and metrics to this CSV");
  show_cmd->callback([&] { exit_code = fuse::cli::show_results(show); });

  static fuse::cli::ChoosePostprocessCommand choose;
  CLI::App* choose_cmd = app.add_subcommand("choose-postprocess", "Measure on the validation cases whether keeping the largest connected components helps; fuse export applies what does");
  choose_cmd->add_option("EXPERIMENT", choose.experiment, "the experiment file the run was trained from")->required();
  choose_cmd->add_option("RUN", choose.run, "the run folder, or a cross-validation's (every fold's validation cases together)")->required();
  choose_cmd->add_option("--metric", choose.metric, "the validation metric on label maps whose Dice judges (default: the first, e.g. dice)");
  choose_cmd->add_option("--checkpoint", choose.checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  choose_cmd->add_option("--set", choose.settings, "the --set values the run was trained with");
  choose_cmd->add_option("--device", choose.device, "cpu, cuda, cuda:N");
  choose_cmd->add_flag("--tta", choose.tta, "predict each validation case with the test-time flips of the experiment's inference (inference.tta) too, as fuse infer does");
  choose_cmd->add_flag("--no-progress", choose.no_progress, "no progress line");
  choose_cmd->callback([&] { exit_code = fuse::cli::choose_postprocess(choose); });

  static fuse::cli::ChooseEnsembleCommand ensemble;
  CLI::App* ensemble_cmd = app.add_subcommand(
      "choose-ensemble", "Compare trained configurations (e.g. 3D and 2D UNets) and each pair's ensemble on their validation cases; choose the best");
  ensemble_cmd->add_option("PAIRS", ensemble.pairs, "EXPERIMENT RUN EXPERIMENT RUN ...: each configuration's experiment file and run folder (or cross-validation's)")
      ->required();
  ensemble_cmd->add_option("--metric", ensemble.metric, "the first experiment's validation metric on label maps whose Dice judges (default: the first, e.g. dice)");
  ensemble_cmd->add_option("--checkpoint", ensemble.checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  ensemble_cmd->add_option("--device", ensemble.device, "cpu, cuda, cuda:N");
  ensemble_cmd->add_flag("--tta", ensemble.tta, "predict each validation case with the test-time flips of each experiment's inference (inference.tta) too, as fuse infer does");
  ensemble_cmd->add_option("--out", ensemble.out, "also write every candidate's scores to this JSON file");
  ensemble_cmd->add_option("--csv", ensemble.csv, "also write each validation case's mean Dice per candidate to this CSV file");
  ensemble_cmd->add_flag("--no-progress", ensemble.no_progress, "no progress line");
  ensemble_cmd->callback([&] { exit_code = fuse::cli::choose_ensemble(ensemble); });

  static EvalSegOptions seg;
  CLI::App* seg_cmd = app.add_subcommand("eval-seg", "Score a folder of segmentations from any tool against a folder of references, per case and on average");
  seg_cmd->add_option("--pred", seg.folders.predictions, "the folder of predicted label maps")->required();
  seg_cmd->add_option("--ref", seg.folders.references, "the folder of reference label maps")->required();
  seg_cmd->add_option("--num-classes", seg.folders.num_classes, "labels 0 .. N - 1 (0 the background)");
  seg_cmd->add_option("--regions", seg.regions,
                      "score regions of labels instead of classes, ';' between regions (BraTS: 1,2,3;2,3;3 for whole tumour, tumour core, enhancing "
                      "tumour), reported as dice.1, dice.2, ... or by name (WT=1,2,3;TC=2,3;ET=3: dice.WT, ...)");
  seg_cmd->add_option("--pattern", seg.folders.pattern, "the predictions' file names (default *.nii.gz; '**/' in front: sub-folders too)");
  seg_cmd->add_option("--ref-pattern", seg.folders.reference_pattern,
                      "the references' file names (default: --pattern); a pair shares what the patterns' first '*' matched, e.g. *_mask.nii.gz");
  seg_cmd->add_flag("--include-background", seg.folders.include_background, "score class 0 too");
  seg_cmd->add_option("--ignore-label", seg.folders.ignore_label,
                      "the references' label of voxels not annotated (nnU-Net's ignore label): counted in neither map")
      ->check(CLI::PositiveNumber);
  seg_cmd->add_option("--tolerance", seg.folders.tolerance, "surface Dice's tolerance in millimetres (default 1)")->check(CLI::NonNegativeNumber);
  seg_cmd->add_option("--empty-distance", seg.folders.empty_distance, "distances when one mask is empty: max (the diagonal) or nan (left out)")
      ->check(CLI::IsMember({"max", "nan"}));
  seg.folders.ci.rounds = 1000;
  seg_cmd->add_option("--ci", seg.folders.ci.rounds, "bootstrap rounds over cases for the intervals (default 1000; 0: none)")->check(CLI::NonNegativeNumber);
  seg_cmd->add_option("--seed", seg.folders.ci.seed, "the bootstrap's seed (default 0)");
  seg_cmd->add_option("--threads", seg.folders.threads, "threads reading and scoring cases (default: every core; results do not depend on it)");
  seg_cmd->add_option("--out", seg.out, "write cases.csv (each case's scores), evaluation.json and report.html here");
  seg_cmd->add_flag("--no-progress", seg.no_progress, "no progress line");
  seg_cmd->callback([&] {
    seg.num_classes_given = seg_cmd->count("--num-classes") > 0;
    exit_code = eval_seg(seg);
  });

  return fuse::apps::run_app(app, argc, argv, exit_code);
}
