#include "run_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/json/object.hpp>

#include "../common/shell_word.h"
#include "../common/table.h"
#include "fuse/base/error.h"
#include "fuse/base/log.h"
#include "fuse/base/strings.h"
#include "fuse/launch/local_launcher.h"
#include "fuse/launch/world.h"
#include "fuse/train/cross_validation.h"
#include "fuse/train/postprocess_choice.h"
#include "fuse/train/run_settings.h"
#include "fuse/train/seed_runs.h"
#include "fuse/train/trainer.h"
#include "print_evaluation.h"

namespace fuse::cli {

namespace {

namespace fs = std::filesystem;
using fuse::train::Experiment;


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

// Seeds the experiment file fixes stay the same across --seeds' runs: said once, so that a narrow spread is
// not taken for a stable model.
void warn_fixed_seeds(const Experiment& e) {
  const boost::json::value* data = e.resolved.is_object() ? e.resolved.as_object().if_contains("data") : nullptr;
  if (data != nullptr && data->is_object() && data->as_object().contains("seed"))
    fuse::log::warn(e.file.string() + ": data.seed fixes the augmentations and the sampling order, so the seeds' runs differ in their initial "
                    "weights only (remove data.seed to vary them too)");
  for (const fuse::train::ComponentSpec& c : e.model)
    if (c.config.contains("seed"))
      fuse::log::warn(e.file.string() + ": model component '" + c.name +
                      "' sets its own seed, so every seed's run starts from the same initial weights (remove it to draw them from each run's seed)");
}

// `fuse run --seeds 1,2,3`: the experiment once per seed (each a cross-validation with --cross-validate), each
// read again with --set seed=N so that its folder records it; then their table with the mean and sd.
int repeat_seeds(const RunOptions& o, const fuse::launch::World& world) {
  Experiment e = load(o);
  if (world.lead()) warn_fixed_seeds(e);
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
  std::cout << "next: fuse runs " << shell_word(dir.string()) << " OTHER --versus " << shell_word(dir.string())
            << " (another configuration's seeds against these: the difference with a t-test's interval)\n";
  return 0;
}

}  // namespace

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

}  // namespace fuse::cli
