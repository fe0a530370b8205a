// fuse eval: metrics with confidence intervals, sub-groups, folds and model comparison on prediction files.
#include <algorithm>
#include <fstream>
#include <iostream>

#include <boost/json/object.hpp>

#include "commands.h"
#include "fuse/base/error.h"
#include "fuse/eval/evaluator.h"
#include "fuse/json/document.h"
#include "fuse/json/write.h"
#include "fuse/plugin/registry.h"
#include "../common/report_loader.h"
#include "../common/table.h"

namespace fuse::cli {
namespace {

namespace bj = boost::json;

struct Options {
  std::vector<std::string> predictions, scores, labels, metrics, groups, compare;
  std::string config, target, id, fold, json_out, html_out, ci_method = "percentile", nan = "error", time, event;
  double horizon = 0;
  bool higher_is_longer = false;
  int64_t ci = 0, threads = 0;
  uint64_t seed = 0;
  double level = 0.95;
  double temperature = 0;
  bool one_vs_all = false, no_stratify = false, folds_from_files = false, stream = false;
};

eval::EvalConfig build_config(const Options& o) {
  eval::EvalConfig c;
  if (!o.config.empty()) c = eval::read_eval_config(json::Document::load(o.config));
  for (const std::string& p : o.predictions) c.predictions.push_back(eval::PredictionFile{p, ""});
  eval::name_prediction_files(c.predictions);
  if (!o.target.empty()) c.target_column = o.target;
  if (!o.id.empty()) c.id_column = o.id;
  if (!o.scores.empty()) c.score_columns = o.scores;
  if (!o.labels.empty()) c.label_columns = o.labels;
  if (!o.time.empty()) c.time_column = o.time;
  if (!o.event.empty()) c.event_column = o.event;
  if (o.horizon > 0) c.horizon = o.horizon;
  if (o.higher_is_longer) c.higher_is_longer = true;
  // The bootstrap resamples within each target class: for survival, the events and the censored rows.
  if (c.target_column.empty() && c.label_columns.empty()) c.target_column = c.event_column;
  for (const std::string& m : o.metrics) c.metrics.push_back(eval::MetricSpec{m, m, {}, o.one_vs_all, "--metric " + m});
  if (o.ci > 0) {
    c.ci.rounds = o.ci;
    c.ci.level = o.level;
    c.ci.method = o.ci_method;
    c.ci.seed = o.seed;
    c.ci.stratified = !o.no_stratify;
  }
  if (!o.groups.empty()) c.group_columns = o.groups;
  if (!o.fold.empty()) c.fold_column = o.fold;
  if (o.folds_from_files) c.folds_from_files = true;
  if (o.nan != "error") c.nan_policy = o.nan;
  if (o.temperature > 0) c.temperature = o.temperature;
  if (o.threads > 0) c.threads = o.threads;
  if (o.stream) c.streaming = true;
  // --compare METRIC: the first two prediction files' score column, under the same replicates.
  for (const std::string& metric : o.compare) {
    if (c.predictions.size() < 2 || c.score_columns.size() != 1)
      throw Error(Errc::kConfig, "--compare " + metric + " needs two prediction files (merged by --id-col) and one --score-col");
    const std::string column = c.score_columns[0].substr(c.score_columns[0].find('.') + 1);
    c.comparisons.push_back(eval::ComparisonSpec{metric + "_" + c.predictions[0].name + "_vs_" + c.predictions[1].name, metric,
                                                 c.predictions[0].name + "." + column, c.predictions[1].name + "." + column,
                                                 "--compare " + metric});
  }
  return c;
}

// "0.8512 [0.8011, 0.9002]": a value with its interval when it has one.
std::string value_text(const bj::object& entry) {
  std::string text = four_decimals(entry.at("value"));
  if (const bj::value* c = entry.if_contains("ci"))
    text += " [" + four_decimals(c->as_object().at("lower")) + ", " + four_decimals(c->as_object().at("upper")) + "]";
  return text;
}

// One table per group column (or the folds): a row per level with its rows and the headline metrics (those
// named as asked, without an output suffix; all when none is).
void print_levels(const std::string& title, const bj::object& levels, std::ostream& out) {
  std::vector<std::string> names;
  for (const auto& level : levels) {
    const bj::value* m = level.value().is_object() ? level.value().as_object().if_contains("metrics") : nullptr;
    if (m == nullptr) continue;
    for (const auto& entry : m->as_object())
      if (std::find(names.begin(), names.end(), std::string(entry.key())) == names.end()) names.emplace_back(entry.key());
  }
  std::vector<std::string> headline;
  for (const std::string& n : names)
    if (n.find('.') == std::string::npos) headline.push_back(n);
  if (headline.empty()) headline = names;
  std::vector<std::string> header = {title, "ROWS"};
  for (const std::string& n : headline) header.push_back(heading(n));
  Table table(header);
  for (const auto& level : levels) {
    const bj::value* m = level.value().is_object() ? level.value().as_object().if_contains("metrics") : nullptr;
    if (m == nullptr) continue;
    const bj::value* rows = level.value().as_object().if_contains("rows");
    std::vector<std::string> row = {std::string(level.key()), rows != nullptr && rows->is_number() ? json::format_number(rows->to_number<double>()) : "-"};
    for (const std::string& n : headline) {
      const bj::value* e = m->as_object().if_contains(n);
      row.push_back(e != nullptr ? value_text(e->as_object()) : "-");
    }
    table.add(row);
  }
  table.print(out);
}

void print_summary(const bj::object& result, std::ostream& out) {
  Table table({"METRIC", "VALUE", "CI"});
  for (const auto& m : result.at("metrics").as_object()) {
    const bj::object& e = m.value().as_object();
    std::string ci = "-";
    if (const bj::value* c = e.if_contains("ci")) {
      const bj::object& o = c->as_object();
      ci = "[" + four_decimals(o.at("lower")) + ", " + four_decimals(o.at("upper")) + "] " +
           json::format_number(o.at("level").to_number<double>() * 100) + "%";
      if (o.at("skipped").as_int64() > 0) ci += " (" + std::to_string(o.at("skipped").as_int64()) + " rounds skipped)";
    }
    table.add({std::string(m.key()), four_decimals(e.at("value")), ci});
  }
  table.print(out);
  const bj::object& data = result.at("data").as_object();
  out << data.at("rows").as_int64() << " rows";
  if (data.at("dropped").as_int64() > 0) out << " (" << data.at("dropped").as_int64() << " dropped for NaN)";
  out << "\n";
  if (const bj::value* groups = result.if_contains("groups"))
    for (const auto& column : groups->as_object()) {
      out << "\n";
      print_levels(std::string(column.key()), column.value().as_object(), out);
    }
  if (const bj::value* folds = result.if_contains("folds")) {
    out << "\n";
    print_levels("FOLD", folds->as_object(), out);
    if (const bj::value* a = folds->as_object().if_contains("aggregated")) {
      out << "over " << json::format_number(a->at("folds").to_number<double>()) << " folds (mean ± sd):";
      for (const auto& m : a->at("mean").as_object())
        if (m.key().find('.') == bj::string_view::npos)
          out << " " << m.key() << " " << four_decimals(m.value()) << " ± " << four_decimals(a->at("std").as_object().contains(m.key()) ? a->at("std").at(m.key()) : bj::value());
      out << "\n";
    }
  }
  if (const bj::value* cmp = result.if_contains("comparisons"))
    for (const auto& c : cmp->as_object())
      for (const auto& o : c.value().at("outputs").as_object())
      {
        // A bootstrap p of 0 only says p < 2 / rounds.
        const bj::object& e = o.value().as_object();
        const double rounds = e.at("ci").at("rounds").to_number<double>();
        const std::string p = e.at("p").is_number() && e.at("p").to_number<double>() == 0 && rounds > 0
                                  ? "< " + json::format_number(2 / rounds)
                                  : "= " + four_decimals(e.at("p"));
        out << "comparison " << c.key() << " (" << o.key() << "): difference " << four_decimals(e.at("difference"))
            << ", paired bootstrap p " << p << "\n";
      }
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw Error(Errc::kIo, "cannot write '" + path + "'");
}

// The metrics behind the report's charts, unless the evaluation already has them: ROC and precision-recall
// curves, a reliability diagram and a confusion matrix (per class, one-vs-all, for several score columns), for
// a regression observed against predicted, for a C-index Kaplan-Meier curves by risk. Charts only: the printed and JSON numbers stay those asked for.
void add_chart_metrics(eval::EvalConfig& c) {
  auto has = [&](const std::string& component) {
    for (const eval::MetricSpec& m : c.metrics)
      if (m.component == component || m.component == "fuse.metrics." + component) return true;
    return false;
  };
  // A survival evaluation gets no classification charts: its scores are risks or times, and the event alone
  // ignores when it happened.
  bool survival = !c.time_column.empty();
  for (const char* component : {"c_index", "survival_auc", "kaplan_meier", "survival_calibration", "survival_brier", "integrated_brier"})
    survival = survival || has(component);
  const bool multi = c.score_columns.size() > 1 || (c.score_columns.size() == 1 && c.score_columns[0].find_first_of("*?") != std::string::npos) ||
                     !c.label_columns.empty();
  auto add = [&](const std::string& name, const std::string& component, bool one_vs_all) {
    if (!has(component)) c.metrics.push_back(eval::MetricSpec{name, component, {}, one_vs_all, "--html (" + name + " chart)", true});
  };
  if (!survival) {
    add("roc", "roc_curve", multi);
    if (!multi) add("pr", "pr_curve", false);
    add("calibration", "calibration", false);
    add("confusion", "confusion", false);
  }
  bool binned = false;
  for (const eval::MetricSpec& m : c.metrics)
    binned = binned || ((m.component == "regression" || m.component == "fuse.metrics.regression") && m.config.contains("bins"));
  if (has("regression") && !binned)
    c.metrics.push_back(eval::MetricSpec{"observed", "regression", {{"bins", 10}}, false, "--html (observed chart)", true});
  // A C-index of one risk per row: Kaplan-Meier curves of its risk halves, on the same times and events.
  const auto c_index = std::find_if(c.metrics.begin(), c.metrics.end(), [](const eval::MetricSpec& m) {
    return (m.component == "c_index" || m.component == "fuse.metrics.c_index") && !m.config.contains("column") && !m.config.contains("distribution");
  });
  if (c_index != c.metrics.end() && !has("kaplan_meier")) {
    boost::json::object km;
    for (const char* field : {"time", "event", "higher_is_longer"})
      if (const boost::json::value* v = c_index->config.if_contains(field)) km[field] = *v;
    c.metrics.push_back(eval::MetricSpec{"km", "kaplan_meier", std::move(km), false, "--html (Kaplan-Meier chart)", true});
  }
}

int run(const Options& o) {
  Registry registry;
  eval::EvalConfig config = build_config(o);
  if (!o.html_out.empty()) add_chart_metrics(config);
  eval::Evaluator evaluator(registry, config);
  const bj::object result = evaluator.run();
  const std::string text = json::to_text(result, {2}) + "\n";
  if (o.json_out == "-") {
    std::cout << text;
  } else {
    print_summary(result, std::cout);
    if (!o.json_out.empty()) write_text(o.json_out, text);
  }
  if (!o.html_out.empty()) {
    std::string title = "Evaluation of";
    for (const eval::PredictionFile& f : config.predictions) title += " " + f.path.filename().string();
    write_html_report(result, o.html_out, title);
    if (o.json_out != "-") std::cout << "report: " << o.html_out << "\n";
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate predictions: metrics, confidence intervals, groups, folds, comparisons");
  static Options o;
  cmd->add_option("--predictions", o.predictions, "a CSV, TSV or JSON-lines file of predictions (repeat: merged by --id-col)");
  cmd->add_option("--config", o.config, "an evaluation file (eval.json); flags given here add to it");
  cmd->add_option("--target-col", o.target, "the column of targets");
  cmd->add_option("--label-col", o.labels, "multi-label: one 0/1 column per label (repeat, or a glob: \"finding_*\"), paired in order with the --score-col columns; instead of --target-col");
  cmd->add_option("--score-col", o.scores, "the score column; repeat, or a glob (\"prob_*\"), for one column per class");
  cmd->add_option("--time-col", o.time, "survival: the column of times to the event or to censoring (bound to each metric's 'time')");
  cmd->add_option("--event-col", o.event, "survival: the column that is 1 for an event, 0 for censoring (each metric's 'event'; the bootstrap's strata)");
  cmd->add_option("--horizon", o.horizon, "survival: the time survival_auc, survival_calibration and survival_brier are at")->check(CLI::PositiveNumber);
  cmd->add_flag("--higher-is-longer", o.higher_is_longer, "survival: the scores predict time or survival (not risk)");
  cmd->add_option("--id-col", o.id, "the sample id column (merges several files; names rows in messages)");
  cmd->add_option("--metric", o.metrics, "a metric: component id, short name (auc) or output (accuracy); repeat");
  cmd->add_flag("--one-vs-all", o.one_vs_all, "compute each --metric per class against the rest (with macro and micro averages)");
  cmd->add_option("--ci", o.ci, "bootstrap rounds for confidence intervals (e.g. 1000)");
  cmd->add_option("--ci-level", o.level, "confidence level")->check(CLI::Range(0.5, 0.999));
  cmd->add_option("--ci-method", o.ci_method, "percentile or bca")->check(CLI::IsMember({"percentile", "bca"}));
  cmd->add_option("--seed", o.seed, "seed of the bootstrap");
  cmd->add_flag("--no-stratify", o.no_stratify, "resample all rows together rather than within each target class");
  cmd->add_option("--group-col", o.groups, "report every metric per value of this column; repeat");
  cmd->add_option("--fold-col", o.fold, "report every metric per fold, with mean and sd across folds");
  cmd->add_flag("--folds-from-files", o.folds_from_files, "each --predictions file is one fold");
  cmd->add_option("--compare", o.compare, "compare the first two files' scores with this metric (paired bootstrap)");
  cmd->add_option("--nan", o.nan, "NaN or infinite values: error (naming the rows) or drop (counted)")
      ->check(CLI::IsMember({"error", "drop"}));
  cmd->add_option("--temperature", o.temperature, "apply temperature scaling (fitted with --metric temperature) to the scores");
  cmd->add_option("--threads", o.threads, "threads for the bootstrap (default: all cores)");
  cmd->add_flag("--stream", o.stream, "read the file block by block (files larger than memory; no CI, groups or folds)");
  cmd->add_option("--json", o.json_out, "write the results as JSON to this file ('-': standard output)");
  cmd->add_option("--html", o.html_out, "write an HTML report with plots to this file");
  cmd->callback([&] { exit_code = run(o); });
}

}  // namespace fuse::cli
