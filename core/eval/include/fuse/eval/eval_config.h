// What an evaluation computes, read from an evaluation file (eval.json) or built from `fuse eval` flags.
// The file format is documented in docs/evaluation.md.
#ifndef FUSE_EVAL_EVAL_CONFIG_H_
#define FUSE_EVAL_EVAL_CONFIG_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/json/document.h"

namespace fuse::eval {

struct PredictionFile {
  std::filesystem::path path;
  std::string name;  // prefix of its columns when several files are merged (see name_prediction_files)
};

struct MetricSpec {
  std::string name;       // the results' name, e.g. "auc"
  std::string component;  // a component id, a short name ("auc") or an output name ("accuracy")
  boost::json::object config;
  bool one_vs_all = false;
  std::string where;      // where it was given, for messages ("eval.json:12:5" or "--metric auc")
  // For the report's charts only (a ROC or precision-recall curve, a reliability diagram): its curves go to the
  // results' "arrays", its numbers nowhere; where it is undefined (a regression's target, one class) there is
  // no chart and no error. Sub-groups and folds do not compute it.
  bool chart = false;
  // One-vs-all and multi-label ("undefined": "skip"): the macro average of the classes (labels) whose value is
  // defined, where a class without positives leaves the others undefined otherwise.
  bool skip_undefined = false;
};

struct ComparisonSpec {
  std::string name;
  std::string metric;  // the name of a metric of the evaluation
  std::string a, b;    // the two prediction keys (columns) it compares
  std::string where;
};

struct CiSpec {
  int64_t rounds = 0;  // 0: no intervals
  double level = 0.95;
  std::string method = "percentile";  // or "bca"
  uint64_t seed = 0;
  bool stratified = true;  // resample within each target class
};

struct EvalConfig {
  std::vector<PredictionFile> predictions;
  bool folds_from_files = false;  // each file is one fold rather than a part to merge by id
  std::string id_column;          // merges several files; also names rows in messages
  std::string target_column;
  std::vector<std::string> score_columns;  // one, or one per class (globs allowed: "prob_*")
  // Multi-label (findings of a chest X-ray): one 0/1 target column per score column, in the same order (globs
  // allowed), instead of target_column; every metric of a score and a target is then computed per label.
  std::vector<std::string> label_columns;
  std::vector<MetricSpec> metrics;
  // Survival: the time and event columns, the horizon and the scores' direction, given to each metric that
  // takes them (its "time", "event", "horizon", "higher_is_longer") unless its config sets them, as the score
  // and target are; each given one must be taken by some metric.
  std::string time_column, event_column;
  std::optional<double> horizon;
  std::optional<bool> higher_is_longer;
  CiSpec ci;
  std::vector<std::string> group_columns;
  std::string fold_column;
  std::vector<ComparisonSpec> comparisons;
  std::string nan_policy = "error";  // or "drop"
  // Rows without a target (an empty target, label, time or other value besides the scores) are left out and
  // counted as "without_target", whatever the NaN policy: `fuse infer`'s tables, where some rows may have no
  // outcome. The scores stay under the policy.
  bool skip_rows_without_target = false;
  std::optional<double> temperature;
  int64_t threads = 0;  // 0: all cores
  bool streaming = false;
};

// Names the files that have none after their file (model_a.csv -> model_a), or, where two share a file name
// (two runs' predictions.csv), after their folder (runs/a/predictions.csv -> a); two files with one name are an
// error naming both, as their columns would mix.
void name_prediction_files(std::vector<PredictionFile>& files);

// Reads an evaluation file; relative paths are taken from the file's folder. Errors are located.
EvalConfig read_eval_config(const json::Document& document);
// The same for the object at `pointer` (e.g. an experiment's "/evaluation").
EvalConfig read_eval_config(const json::Document& document, const std::string& pointer);

}  // namespace fuse::eval

#endif  // FUSE_EVAL_EVAL_CONFIG_H_
