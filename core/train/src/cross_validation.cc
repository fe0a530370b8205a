#include "fuse/train/cross_validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
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

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

fs::path fold_dir(const fs::path& run_dir, int fold) { return run_dir / ("fold_" + std::to_string(fold)); }

// A fold finished by an earlier call, from its results.json.
RunResult read_finished(const fs::path& dir) {
  const fs::path file = dir / "results.json";
  try {
    const bj::object doc = json::parse_exact(json::read_file(file)).as_object();
    RunResult r;
    r.best_epoch = doc.at("best_epoch").as_int64() - 1;
    r.best_value = doc.at("best_value").is_number() ? doc.at("best_value").to_number<double>() : std::numeric_limits<double>::quiet_NaN();
    r.monitor = std::string(doc.at("monitor").as_string());
    r.validation = doc.at("validation").as_object();
    r.stopped_early = doc.at("stopped_early").as_bool();
    r.seconds = doc.at("seconds").to_number<double>();
    return r;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(Errc::kIo, file.string() + ": not the results of a run (" + e.what() + "); train the fold again (delete " + dir.string() + ")");
  }
}

// Each validation value's mean and standard deviation (n - 1) over the folds that have it as a number.
void summarize(const std::vector<FoldRun>& folds, bj::object& mean, bj::object& sd) {
  std::map<std::string, std::vector<double>> values;
  for (const FoldRun& f : folds)
    for (const auto& [name, v] : f.result.validation)
      if (v.is_number()) values[std::string(name)].push_back(v.to_number<double>());
  for (const auto& [name, v] : values) {
    double sum = 0, squares = 0;
    for (double x : v) sum += x;
    const double m = sum / static_cast<double>(v.size());
    for (double x : v) squares += (x - m) * (x - m);
    mean[name] = m;
    sd[name] = v.size() > 1 ? bj::value(std::sqrt(squares / static_cast<double>(v.size() - 1))) : bj::value(nullptr);
  }
}

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
  Communicator* comm = options.communicator;
  const bool lead = comm == nullptr || comm->rank() == 0;
  // What each fold is before this call, from rank 0's files: finished ('f'), with a checkpoint to resume ('c'),
  // or neither ('-'). The ranks train by rank 0's plan, so that they stay together.
  std::string plan(static_cast<size_t>(out.k), '-');
  std::vector<RunResult> earlier(static_cast<size_t>(out.k));
  const auto read_plan = [&] {
    for (int fold = 0; fold < out.k; ++fold) {
      const fs::path dir = fold_dir(run_dir, fold);
      if (fs::exists(dir / "results.json")) {
        plan[static_cast<size_t>(fold)] = 'f';
        earlier[static_cast<size_t>(fold)] = read_finished(dir);
      } else if (fs::exists(dir / "checkpoints" / "last.ckpt")) {
        plan[static_cast<size_t>(fold)] = 'c';
      }
    }
  };
  if (comm == nullptr) {
    read_plan();
  } else {
    comm->agree(read_plan, "reading the folds finished earlier");
    plan = comm->broadcast(plan, 0, "the folds to train");
  }
  if (lead) {  // the folder's own record, for the commands that read every fold (choose-postprocess RUN)
    fs::create_directories(run_dir);
    write_run_settings(run_dir, e.settings);
  }
  bool stopped = false;  // a fold stopped by stop_after: the next call resumes it
  for (int fold = 0; fold < out.k; ++fold) {
    const fs::path dir = fold_dir(run_dir, fold);
    const char state = plan[static_cast<size_t>(fold)];
    const bool train_now = !stopped && (chosen.empty() || chosen.count(fold)) && !(state == 'f' && options.resume);
    if (train_now) {
      if (options.on_fold_start) options.on_fold_start(fold, out.k);
      Trainer trainer(registry, fold_experiment(e, fold), dir, comm);
      RunResult r = trainer.fit(options.resume && state == 'c');
      if (r.interrupted) {
        stopped = true;
        out.missing.push_back(fold);
      } else {
        out.finished.push_back(FoldRun{fold, dir, std::move(r)});
      }
    } else if (state == 'f') {
      out.finished.push_back(FoldRun{fold, dir, std::move(earlier[static_cast<size_t>(fold)])});
    } else {
      out.missing.push_back(fold);
    }
  }
  if (!lead) {
    out.finished.clear();
    return out;
  }
  if (!out.missing.empty()) return out;
  summarize(out.finished, out.mean, out.std);
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
    std::vector<std::string> folds;
    for (const fs::directory_entry& f : fs::directory_iterator(dir))
      if (f.is_directory() && f.path().filename().string().rfind("fold_", 0) == 0 && fs::exists(f.path() / "config.json"))
        folds.push_back(f.path().filename().string());
    std::sort(folds.begin(), folds.end(), natural_less);
    if (!folds.empty())
      throw Error(Errc::kIo, "'" + dir.string() + "' is a cross-validation that has not finished (no cross_validation.json): finish it (`fuse run " +
                                 "EXPERIMENT --cross-validate --out " + dir.string() + "` resumes it), or use one fold's run ('" + (dir / folds[0]).string() + "')");
    throw Error(Errc::kIo, "'" + dir.string() + "' is not a run folder (no config.json) nor a cross-validation's (no cross_validation.json)");
  }
  std::vector<fs::path> runs;
  const bj::value doc = json::parse_exact(json::read_file(summary));
  for (const bj::value& fold : doc.at("folds").as_array()) runs.push_back(dir / std::string(fold.at("run").as_string()));
  return runs;
}

}  // namespace fuse::train
