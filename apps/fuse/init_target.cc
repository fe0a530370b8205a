// fuse init: what the target column makes of an experiment, for the table and the image templates alike.
#include <algorithm>
#include <charconv>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "init.h"

namespace fuse::cli {

namespace {

constexpr size_t kMaxClasses = 50;

bool is_integer(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  return !text.empty() && std::from_chars(text.data(), end, v).ptr == end;
}

}  // namespace

std::string key_list(const std::vector<std::string>& columns) {
  std::string list;
  for (const std::string& c : columns) list += (list.empty() ? "" : ", ") + json_string(data_key(c));
  return "[" + list + "]";
}

std::string Target::outputs() const {
  if (task == "regression") return "[\"model.pred\"]";
  if (task == "survival") return "[\"model.risk\"]";
  if (task == "multilabel") return "[\"model.logits\"]";  // a sigmoid per label in the postprocess, no softmax
  return "[\"model.logits\", \"model.probs\"]";
}

std::vector<std::string> target_columns(const InitOptions& o) {
  std::vector<std::string> columns;
  for (std::string_view c : split(o.target, ',')) columns.emplace_back(c);
  return columns;
}

Target read_targets(const InitOptions& o, const std::vector<table::ColumnSummary>& columns) {
  const auto summary = [&](const std::string& name) { return *std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.name == name; }); };
  const std::vector<std::string> names = target_columns(o);
  if (names.size() == 1) return read_target(o, summary(names[0]));
  if (o.task == "regression") throw Error(Errc::kInvalidArgument, "--target " + o.target + " names several columns: a multi-label classification, not a regression");
  Target t;
  t.task = "multilabel";
  t.classes = names.size();
  t.labels = names;
  size_t fewest = 0;  // positives of the rarest label, whose shares the folds keep
  std::vector<std::string> quoted, all;
  for (const std::string& name : names) {
    const table::ColumnSummary c = summary(name);
    const std::string where = o.table + ": the label '" + name + "'";
    if (c.missing) throw Error(Errc::kInvalidArgument, where + " is empty in " + std::to_string(c.missing) + " rows: drop or fill them first");
    bool binary = c.values.size() == 2;
    size_t positives = 0;
    std::vector<std::string> held;
    for (const auto& [value, count] : c.values) {
      binary = binary && (value == "0" || value == "1");
      if (value == "1") positives = count;
      held.push_back(value);
    }
    if (!binary)
      throw Error(Errc::kInvalidArgument, where + " holds " + (c.distinct > held.size() ? std::to_string(c.distinct) + " values" : join(held, ", ")) +
                                              "; multi-label targets are 0 (absent) and 1 (present), both");
    if (t.stratify.empty() || positives < fewest) fewest = positives, t.stratify = data_key(name);
    quoted.push_back("'" + name + "'");
  }
  for (const table::ColumnSummary& c : columns) all.push_back(c.name);
  t.label = volume_key(all, "targets");
  t.description = "multi-label classification of " + join(quoted, ", ");
  t.steps.push_back("      // the labels as one vector of 0/1 per row, the loss's target\n      {\"op\": \"fuse.ops.stack\", \"keys\": " + key_list(names) +
                    ", \"out\": " + json_string(t.label) + "}");
  return t;
}

Target read_target(const InitOptions& o, const table::ColumnSummary& target) {
  const std::string where = o.table + ": the target '" + o.target + "'";
  if (target.missing) throw Error(Errc::kInvalidArgument, where + " is empty in " + std::to_string(target.missing) + " rows: drop or fill them first");
  if (target.distinct < 2) throw Error(Errc::kInvalidArgument, where + " has one value only: there is nothing to learn");
  // Text, or a few whole numbers, are classes; other numbers a regression.
  bool whole = target.numeric && !target.values.empty();
  for (const auto& [value, count] : target.values) whole = whole && is_integer(value);
  Target t;
  t.task = o.task == "auto" ? (!target.numeric || whole ? "classification" : "regression") : o.task;
  if (t.task == "regression" && !target.numeric) throw Error(Errc::kInvalidArgument, where + " holds text: a regression needs numbers (--task classification)");
  if (t.task == "classification" && target.distinct > (target.numeric ? table::ColumnSummary::kMostValues : kMaxClasses))
    throw Error(Errc::kInvalidArgument, where + " has " + std::to_string(target.distinct) + " distinct values, too many for classes" +
                                            (target.numeric ? " (--task regression)" : ""));
  t.classes = target.distinct;
  const std::string column = json_string(data_key(o.target));
  if (t.task == "regression") {
    t.description = "regression of '" + o.target + "'";
    t.label = data_key(o.target) + "_z";
    t.steps.push_back("      // the target in standard deviations of the training folds (learnt faster; R² and correlations are unchanged,\n"
                      "      // MAE and RMSE are in these units)\n      {\"op\": \"fuse.ops.copy\", \"from\": [" + column + "], \"to\": [" + json_string(t.label) +
                      "]},\n      {\"op\": \"fuse.ops.zscore\", \"keys\": [" + json_string(t.label) + "], \"fit\": true}");
    return t;
  }
  t.description = (t.classes == 2 ? "binary" : std::to_string(t.classes) + "-class") + std::string(" classification of '") + o.target + "'";
  t.stratify = data_key(o.target);
  // Class indices as they are when the values are 0..k-1; else numbered by the training folds' sorted values.
  bool indices = whole;
  for (const auto& [value, count] : target.values) {
    int64_t v = -1;
    std::from_chars(value.data(), value.data() + value.size(), v);
    indices = indices && v >= 0 && static_cast<size_t>(v) < t.classes;
  }
  t.label = indices ? data_key(o.target) : data_key(o.target) + "_class";
  if (indices) return t;
  // Numbered as the fitted lookup numbers them: sorted (numbers by value).
  std::vector<std::string> sorted;
  for (const auto& [value, count] : target.values) sorted.push_back(value);
  std::sort(sorted.begin(), sorted.end(), [&](const std::string& a, const std::string& b) { return target.numeric ? std::stod(a) < std::stod(b) : a < b; });
  const std::string positive = t.classes == 2 && sorted.size() == 2 ? "; model.score is the probability of '" + sorted[1] + "'" : "";
  t.steps.push_back("      // the classes numbered 0, 1, ... in sorted order" + positive + "\n      {\"op\": \"fuse.ops.lookup\", \"key\": " + column +
                    ", \"out\": " + json_string(t.label) + ", \"fit\": true}");
  return t;
}

Target read_survival(const InitOptions& o, const table::ColumnSummary& time, const table::ColumnSummary& event) {
  for (const table::ColumnSummary* c : {&time, &event}) {
    const std::string where = o.table + ": the " + (c == &time ? "time" : "event") + " column '" + c->name + "'";
    if (!c->numeric) throw Error(Errc::kInvalidArgument, where + " holds text; it must hold numbers");
    if (c->missing) throw Error(Errc::kInvalidArgument, where + " is empty in " + std::to_string(c->missing) + " rows: drop or fill them first");
  }
  if (time.min < 0) throw Error(Errc::kInvalidArgument, o.table + ": the time column '" + time.name + "' holds a negative time (" + std::to_string(time.min) + ")");
  bool binary = event.values.size() == 2;
  for (const auto& [value, count] : event.values) binary = binary && (value == "0" || value == "1");
  if (!binary)
    throw Error(Errc::kInvalidArgument, o.table + ": the event column '" + event.name + "' must hold 0 (follow-up ended first) and 1 (the event happened), both");
  Target t;
  t.task = "survival";
  t.classes = 0;
  t.label = data_key(event.name);
  t.stratify = t.label;
  t.time = data_key(time.name);
  t.description = "survival ('" + time.name + "' to the event '" + event.name + "')";
  return t;
}

std::string target_sections(const InitOptions& o, const Target& t, int64_t epochs, int64_t threads) {
  std::string s, monitor, evaluation;
  const auto line = [&](const std::string& text) { s += text + "\n"; };
  const std::string label = json_string(t.label);
  if (t.task == "survival") {
    const std::string cox = "\"time\": " + json_string(t.time) + ", \"event\": " + label;
    line("  // The negative Cox partial likelihood within each batch (DeepSurv), so batches are large.");
    line("  \"losses\": {\"cox\": {\"loss\": \"fuse.losses.cox\", \"pred\": \"model.risk\", " + cox + "}},");
    line("  \"metrics\": {\"c_index\": {\"metric\": \"fuse.metrics.c_index\", \"pred\": \"model.risk\", " + cox + ", \"output\": \"c_index\"}},");
    monitor = "validation.c_index";
    evaluation = "{\"target\": " + label + ", \"score\": \"model.risk\", \"metrics\": {\"c_index\": {\"component\": \"c_index\", \"config\": {" + cox + "}}}";
  } else if (t.task == "regression") {
    line("  \"losses\": {\"mse\": {\"loss\": \"fuse.losses.mse\", \"pred\": \"model.pred\", \"target\": " + label + "}},");
    line("  \"metrics\": {\"r2\": {\"metric\": \"fuse.metrics.regression\", \"pred\": \"model.pred\", \"target\": " + label + ", \"output\": \"r2\"}},");
    monitor = "validation.r2";
    evaluation = "{\"target\": " + label + ", \"score\": \"model.pred\", \"metrics\": {\"regression\": \"regression\"}";
  } else if (t.task == "multilabel") {
    line("  // A probability per label (sigmoid), each label a binary problem of its own.");
    line("  \"postprocess\": [{\"op\": \"fuse.ops.sigmoid\", \"key\": \"model.logits\", \"out\": \"model.probs\"}],");
    line("  \"losses\": {\"bce\": {\"loss\": \"fuse.losses.bce_with_logits\", \"pred\": \"model.logits\", \"target\": " + label + "}},");
    // The labels' mean AUC picks the best epoch; the evaluation gives each label's AUC with an interval.
    line("  \"metrics\": {\"auc\": {\"metric\": \"fuse.metrics.auc\", \"pred\": \"model.probs\", \"target\": " + label +
         ", \"average\": \"macro\"}},");
    monitor = "validation.auc";
    evaluation = "{\"labels\": " + key_list(t.labels) + ", \"score\": \"model.probs\", \"metrics\": {\"auc\": \"auc\", \"brier\": \"brier\"}";
  } else if (t.classes == 2) {
    line("  \"postprocess\": [{\"op\": \"fuse.ops.select\", \"key\": \"model.probs\", \"out\": \"model.score\", \"axis\": 1, \"index\": 1}],");
    line("  \"losses\": {\"ce\": {\"loss\": \"fuse.losses.cross_entropy\", \"pred\": \"model.logits\", \"target\": " + label + "}},");
    line("  \"metrics\": {\"auc\": {\"metric\": \"fuse.metrics.auc\", \"pred\": \"model.score\", \"target\": " + label + "}},");
    monitor = "validation.auc";
    evaluation = "{\"target\": " + label +
                 ", \"score\": \"model.score\",\n                 \"metrics\": {\"auc\": \"auc\", \"brier\": \"brier\", \"accuracy\": {\"component\": \"confusion\", \"config\": "
                 "{\"threshold\": 0.5}}}";
  } else {
    const std::string classes = std::to_string(t.classes);
    line("  \"losses\": {\"ce\": {\"loss\": \"fuse.losses.cross_entropy\", \"pred\": \"model.logits\", \"target\": " + label + "}},");
    line("  \"metrics\": {\"accuracy\": {\"metric\": \"fuse.metrics.confusion\", \"pred\": \"model.probs\", \"target\": " + label + ", \"num_classes\": " + classes +
         ", \"output\": \"accuracy\"}},");
    monitor = "validation.accuracy";
    evaluation = "{\"target\": " + label + ", \"score\": \"model.probs\", \"metrics\": {\"accuracy\": {\"component\": \"confusion\", \"config\": {\"num_classes\": " +
                 classes + "}}}";
  }
  line("  \"optimizer\": {\"name\": \"adamw\", \"lr\": 0.01, \"weight_decay\": 0.0001},");
  line("  \"schedule\": {\"name\": \"one_cycle\"},");
  line("  \"trainer\": {\"epochs\": " + std::to_string(epochs) + ", \"monitor\": \"" + monitor + "\", \"mode\": \"" + (monitor == "validation.loss" ? "min" : "max") +
       "\", \"threads\": " + std::to_string(threads) + "},");
  if (!o.groups.empty()) evaluation += ",\n                 \"groups\": " + key_list(o.groups);
  s += "  \"evaluation\": " + evaluation + ",\n                 \"ci\": {\"rounds\": 1000, \"seed\": 1}}";
  return s;
}

}  // namespace fuse::cli
