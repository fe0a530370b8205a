#include "fuse/train/cross_validation.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/strings.h"
#include "fuse/eval/evaluator.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"
#include "fuse/report/html.h"
#include "fuse/train/run_settings.h"
#include "prediction_columns.h"
#include "run_series.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

// The folds' predictions.csv evaluated as one set of out-of-fold predictions and per fold (fuse eval's
// --folds-from-files). False when a fold has none (it was trained without the evaluation section).
bool evaluate_out_of_fold(const Registry& registry, const Experiment& e, const fs::path& run_dir, const std::vector<FoldRun>& folds) {
  eval::EvalConfig config = e.evaluation->config;
  config.predictions.clear();
  for (const FoldRun& f : folds) {
    if (!fs::exists(f.dir / "predictions.csv")) return false;
    config.predictions.push_back(eval::PredictionFile{f.dir / "predictions.csv", "fold_" + std::to_string(f.fold)});
  }
  config.folds_from_files = true;
  config.id_column = "id";
  const std::string text = json::read_file(folds.front().dir / "predictions.csv");
  const PredictionLayout layout = prediction_layout(split(std::string_view(text).substr(0, text.find('\n')), ','), e.evaluation->target_keys());
  if (e.evaluation->labels.empty()) config.target_column = e.evaluation->target;
  else config.label_columns = layout.targets;
  config.score_columns = layout.scores;
  const bj::object results = eval::Evaluator(registry, config).run();
  write_file_atomically(run_dir / "evaluation.json", json::to_text(results, {2}) + "\n");
  write_file_atomically(run_dir / "report.html", report::html_report(results, e.name + " — cross-validation: the out-of-fold predictions of " +
                                                                       std::to_string(folds.size()) + " folds"));
  return true;
}

// The folders in `dir` named `prefix`<n> that hold a run (a config.json, or a cross-validation's summary), in
// the order of their numbers.
std::vector<std::string> runs_named(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> names;
  for (const fs::directory_entry& f : fs::directory_iterator(dir))
    if (f.is_directory() && f.path().filename().string().rfind(prefix, 0) == 0 &&
        (fs::exists(f.path() / "config.json") || fs::exists(f.path() / "cross_validation.json")))
      names.push_back(f.path().filename().string());
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

}  // namespace

Experiment fold_experiment(const Experiment& experiment, int fold) {
  Experiment e = experiment;
  data::FoldsSpec& f = *e.data.folds;
  f.train.clear();
  for (int i = 0; i < static_cast<int>(f.k); ++i)
    if (i != fold) f.train.push_back(i);
  f.validation = {fold};
  if (bj::object* root = e.resolved.if_object())
    if (bj::value* data = root->if_contains("data"); data != nullptr && data->is_object())
      if (bj::value* folds = data->as_object().if_contains("folds"); folds != nullptr && folds->is_object()) {
        bj::array train;
        for (int i : f.train) train.push_back(i);
        folds->as_object()["train"] = std::move(train);
        folds->as_object()["validation"] = bj::array{fold};
      }
  return e;
}

CrossValidationResult cross_validate(const Registry& registry, const Experiment& e, const fs::path& run_dir, const CrossValidationOptions& options) {
  if (!e.data.folds)
    throw Error(Errc::kConfig, e.file.string() + ": cross-validation validates on each fold of data.folds in turn, and the data has none: add "
                                                 "\"folds\": {\"k\": 5, \"file\": \"folds.json\"} to the data section");
  if (e.validation.has_source)
    throw Error(Errc::kConfig, e.file.string() + ": cross-validation validates on each fold of data.folds in turn, and the validation section has a "
                                                 "source of its own: remove validation.source, or train once with fuse run");
  CrossValidationResult out;
  out.k = static_cast<int>(e.data.folds->k);
  for (int f : options.folds)
    if (f < 0 || f >= out.k)
      throw Error(Errc::kInvalidArgument, "fold " + std::to_string(f) + " is not one of the experiment's " + std::to_string(out.k) + " folds (0 to " +
                                              std::to_string(out.k - 1) + ")");
  const std::set<int> chosen(options.folds.begin(), options.folds.end());
  const bool lead = options.communicator == nullptr || options.communicator->rank() == 0;
  if (lead) {  // the folder's own record, for the commands that read every fold (choose-postprocess RUN)
    fs::create_directories(run_dir);
    write_run_settings(run_dir, e.settings);
  }
  std::vector<SeriesRun> runs;
  for (int fold = 0; fold < out.k; ++fold)
    runs.push_back({"fold_" + std::to_string(fold), [&e, fold] { return fold_experiment(e, fold); }, chosen.empty() || chosen.count(fold) > 0});
  const auto on_start = [&](size_t fold) {
    if (options.on_fold_start) options.on_fold_start(static_cast<int>(fold), out.k);
  };
  SeriesResult series = train_series(registry, runs, run_dir, options.resume, on_start, options.communicator);
  out.interrupted = series.interrupted;
  for (size_t fold : series.missing) out.missing.push_back(static_cast<int>(fold));
  for (SeriesResult::Finished& f : series.finished) out.finished.push_back(FoldRun{static_cast<int>(f.index), f.dir, std::move(f.result)});
  if (!lead || !out.missing.empty()) return out;
  std::vector<const bj::object*> values;
  for (const FoldRun& f : out.finished) values.push_back(&f.result.validation);
  mean_and_sd(values, out.mean, out.std);
  bj::array folds;
  for (const FoldRun& f : out.finished)
    folds.push_back(bj::object{{"fold", f.fold},
                               {"run", f.dir.filename().string()},
                               {"best_epoch", f.result.best_epoch + 1},
                               {"best_value", std::isfinite(f.result.best_value) ? bj::value(f.result.best_value) : bj::value(nullptr)},
                               {"validation", f.result.validation},
                               {"seconds", f.result.seconds}});
  const bj::object summary{{"experiment", e.name}, {"k", out.k}, {"monitor", e.trainer.monitor}, {"folds", std::move(folds)}, {"mean", out.mean}, {"std", out.std}};
  write_file_atomically(run_dir / "cross_validation.json", json::to_text(summary, {2}) + "\n");
  out.evaluated = e.evaluation && evaluate_out_of_fold(registry, e, run_dir, out.finished);
  return out;
}

std::vector<fs::path> trained_runs(const fs::path& dir) {
  if (fs::exists(dir / "config.json") || !fs::is_directory(dir)) return {dir};  // a run (or nothing: the reader says so)
  const fs::path summary = dir / "cross_validation.json";
  if (!fs::exists(summary)) {
    if (const std::vector<std::string> folds = runs_named(dir, "fold_"); !folds.empty())
      throw Error(Errc::kIo, "'" + dir.string() + "' is a cross-validation that has not finished (no cross_validation.json): finish it (`fuse run " +
                                 "EXPERIMENT --cross-validate --out " + dir.string() + "` resumes it), or use one fold's run ('" + (dir / folds[0]).string() + "')");
    if (const std::vector<std::string> seeds = runs_named(dir, "seed_"); !seeds.empty())
      throw Error(Errc::kIo, "'" + dir.string() + "' holds one run per seed (fuse run --seeds), trained on the same cases: use one seed's run ('" +
                                 (dir / seeds[0]).string() + "')");
    throw Error(Errc::kIo, "'" + dir.string() + "' is not a run folder (no config.json) nor a cross-validation's (no cross_validation.json)");
  }
  std::vector<fs::path> runs;
  const bj::value doc = json::parse_exact(json::read_file(summary));
  for (const bj::value& fold : doc.at("folds").as_array()) runs.push_back(dir / std::string(fold.at("run").as_string()));
  return runs;
}

}  // namespace fuse::train
