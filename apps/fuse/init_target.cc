// fuse init: what the target column makes of an experiment, for the table and the image templates alike.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "init.h"

namespace fuse::cli {

namespace {

constexpr size_t kMaxClasses = 50;

bool is_integer(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  return !text.empty() && std::from_chars(text.data(), end, v).ptr == end;
}

constexpr char kLabelSeparator[] = "|";

// A target step's condition: it runs where the sample has these keys (a JSON key or list), so that a table to
// predict, without the label columns, skips it.
std::string if_present(const std::string& keys) { return ", \"apply_if_present\": " + keys; }

// For an event column of two values that are not 0 and 1, how to name the event: "--event status=VALUE, one of
// 'Alive', 'Dead'"; "" for any other column.
std::string event_choice(const table::ColumnSummary& event) {
  if (event.values.size() != 2) return "";
  std::vector<std::string> values = {event.values[0].first, event.values[1].first};
  std::sort(values.begin(), values.end());
  return "--event " + event.name + "=VALUE, one of '" + values[0] + "', '" + values[1] + "'";
}

// `v` to three significant digits (2.6085 -> 2.61).
double three_digits(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", v);
  return std::strtod(text, nullptr);
}

// A discrete-time survival model's bins: pycox's examples use 10 to 20; 10 keeps each fed on small tables.
constexpr size_t kTimeBins = 10;

// ChestX-ray14's "Finding Labels" lists a row's labels as "Effusion|Edema": a text column some of whose cells
// hold the separator.
bool lists_labels(const table::Column& column) {
  if (column.kind != table::Kind::kText) return false;
  for (size_t r = 0; r < column.text.size(); ++r)
    if (column.text.at(r).find(kLabelSeparator) != std::string_view::npos) return true;
  return false;
}

// A cell that lists no label ("No Finding").
bool lists_none(std::string_view label) {
  const std::string l = lowercase(label);
  return l == "no finding" || l == "none";
}

}  // namespace

std::string key_list(const std::vector<std::string>& columns) {
  std::vector<std::string> keys;
  for (const std::string& c : columns) keys.push_back(data_key(c));
  return json_list(keys);
}

std::string Target::outputs() const {
  if (task == "regression") return "[\"model.pred_z\"]";  // in the standardised target's units; the postprocess undoes it
  if (task == "survival") return bins > 0 ? "[\"model.logits\", \"model.probs\"]" : "[\"model.risk\"]";
  if (task == "multilabel") return "[\"model.logits\"]";  // a sigmoid per label in the postprocess, no softmax
  return "[\"model.logits\", \"model.probs\"]";
}

std::vector<std::string> target_columns(const InitOptions& o) {
  std::vector<std::string> columns;
  for (std::string_view c : split(o.target, ',')) columns.emplace_back(c);
  return columns;
}

Target read_targets(const InitOptions& o, const std::vector<table::ColumnSummary>& columns, const table::Table& table) {
  const auto summary = [&](const std::string& name) { return *std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.name == name; }); };
  const std::vector<std::string> names = target_columns(o);
  std::vector<std::string> all;
  for (const table::ColumnSummary& c : columns) all.push_back(c.name);
  if (names.size() == 1) {
    if (!o.uncertain.empty())
      throw Error(Errc::kInvalidArgument, "--uncertain maps the -1 of several 0/1 label columns (--target a,b,c: a multi-label classification); --target " +
                                              o.target + " names one");
    const table::Column& column = table.column(names[0]);
    if (o.task != "regression" && lists_labels(column)) return read_label_list(o, column, all, std::min<size_t>(5, table.size()));
    return read_target(o, summary(names[0]));
  }
  if (o.task == "regression") throw Error(Errc::kInvalidArgument, "--target " + o.target + " names several columns: a multi-label classification, not a regression");
  Target t;
  t.task = "multilabel";
  t.classes = names.size();
  t.labels = names;
  const double uncertain_as = o.uncertain == "ones" ? 1 : 0;
  std::vector<std::string> quoted, keys, blank, uncertain;
  for (const std::string& name : names) {
    const table::ColumnSummary c = summary(name);
    const std::string where = o.table + ": the label '" + name + "'";
    if (c.missing && o.uncertain.empty())
      throw Error(Errc::kInvalidArgument, where + " is empty in " + std::to_string(c.missing) + " rows: drop or fill them first (or --uncertain ones|zeros: "
                                              "a blank is 0, not mentioned, as in CheXpert)");
    // 0 and 1 ("1.0" too), and with --uncertain -1; both classes once -1 is mapped.
    bool allowed = !c.values.empty(), known = allowed, negative = c.missing > 0, positive = false, has_uncertain = false;
    std::vector<std::string> held;
    for (const auto& [value, count] : c.values) {
      const double v = c.numeric ? std::stod(value) : -2;
      has_uncertain = has_uncertain || v == -1;
      allowed = allowed && (v == 0 || v == 1 || (v == -1 && !o.uncertain.empty()));
      known = known && (v == 0 || v == 1 || v == -1);
      negative = negative || v == 0 || (v == -1 && uncertain_as == 0);
      positive = positive || v == 1 || (v == -1 && uncertain_as == 1);
      held.push_back(value);
    }
    if (has_uncertain && o.uncertain.empty() && known)
      throw Error(Errc::kInvalidArgument, where + " holds -1 (uncertain, as CheXpert's): say what it becomes with --uncertain ones or --uncertain zeros");
    if (!allowed || !negative || !positive)
      throw Error(Errc::kInvalidArgument, where + " holds " + (c.distinct > held.size() ? std::to_string(c.distinct) + " values" : join(held, ", ")) +
                                              "; multi-label targets are 0 (absent) and 1 (present), both" +
                                              (o.uncertain.empty() ? "" : ", with -1 as " + std::string(uncertain_as == 1 ? "1" : "0")));
    quoted.push_back("'" + name + "'");
    keys.push_back(data_key(name));
    if (c.missing) blank.push_back(data_key(name));
    if (has_uncertain) uncertain.push_back(data_key(name));
  }
  const auto listed = [](const std::vector<std::string>& k) {
    std::string list;
    for (const std::string& key : k) list += (list.empty() ? "" : ", ") + json_string(key);
    return "[" + list + "]";
  };
  if (!blank.empty())
    t.steps.push_back("      // a blank label is 0 (not mentioned, as in CheXpert)\n      {\"op\": \"fuse.ops.nan_to_num\", \"keys\": " + listed(blank) + ", \"nan\": 0" + if_present(listed(blank)) + "}");
  if (!uncertain.empty())
    t.steps.push_back("      // an uncertain label (-1) is " + std::string(uncertain_as == 1 ? "1 (U-Ones)" : "0 (U-Zeros)") +
                      "\n      {\"op\": \"fuse.ops.replace_values\", \"keys\": " + listed(uncertain) + ", \"from\": [-1], \"to\": [" +
                      (uncertain_as == 1 ? "1" : "0") + "]" + if_present(listed(uncertain)) + "}");
  t.stratify = stratify_members(keys);  // each row by its rarest label
  t.label = volume_key(all, "targets");
  t.description = "multi-label classification of " + join(quoted, ", ");
  t.steps.push_back("      // the labels as one vector of 0/1 per row, the loss's target (a table to predict, without them, skips it)\n"
                    "      {\"op\": \"fuse.ops.stack\", \"keys\": " + key_list(names) + ", \"out\": " + json_string(t.label) + if_present(key_list(names)) + "}");
  return t;
}

Target read_label_list(const InitOptions& o, const table::Column& column, const std::vector<std::string>& columns, size_t folds) {
  const std::string where = o.table + ": the target '" + column.name + "'";
  std::map<std::string, size_t> rows;  // label -> rows listing it
  std::set<std::string> none;
  size_t empty = 0;
  for (size_t r = 0; r < column.text.size(); ++r) {
    const std::string_view cell = trim(column.text.at(r));
    if (cell.empty()) {
      ++empty;
      continue;
    }
    std::set<std::string> seen;
    for (std::string_view piece : split(cell, kLabelSeparator)) {
      const std::string label(trim(piece));
      if (label.empty()) continue;
      if (lists_none(label)) none.insert(label);
      else if (seen.insert(label).second) ++rows[label];
    }
  }
  if (empty) throw Error(Errc::kInvalidArgument, where + " is empty in " + std::to_string(empty) + " rows: drop or fill them first (\"No Finding\" lists no label)");
  std::vector<std::string> rare, quoted;
  Target t;
  t.task = "multilabel";
  for (const auto& [label, count] : rows) {
    if (count < folds || count == column.text.size())
      rare.push_back("'" + label + "' (" + (count == column.text.size() ? "every row" : std::to_string(count) + (count == 1 ? " row" : " rows")) + ")");
    const auto clash = std::find_if(columns.begin(), columns.end(), [&](const std::string& c) { return data_key(c) == data_key(label); });
    if (clash != columns.end())
      throw Error(Errc::kInvalidArgument, where + ": the label '" + label + "' would be key '" + data_key(label) + "', which column '" + *clash +
                                              "' already is; rename the column");
    t.labels.push_back(label);
  }
  if (!rare.empty())
    throw Error(Errc::kInvalidArgument, where + " lists labels a model cannot be validated on in " + std::to_string(folds) + " folds: " + join(rare, ", ") +
                                            "; each label needs at least " + std::to_string(folds) + " rows with it and some without (merge or drop it first)");
  if (t.labels.size() < 2) throw Error(Errc::kInvalidArgument, where + " lists one label only ('" + t.labels.front() + "'): make it a 0/1 column");
  t.classes = t.labels.size();
  t.label = volume_key(columns, "targets");
  t.stratify = stratify_members({data_key(column.name)}, kLabelSeparator);
  const std::string none_list = none.empty() ? "" : "'" + join(std::vector<std::string>(none.begin(), none.end()), "', '") + "'";
  t.description = "multi-label classification of the " + std::to_string(t.classes) + " labels in '" + column.name + "' (" + join(t.labels, ", ") +
                  (none.empty() ? "" : "; " + none_list + " lists none") + ")";
  std::string labels, keys;
  for (const std::string& l : t.labels) {
    labels += (labels.empty() ? "" : ", ") + json_string(l);
    keys += (keys.empty() ? "" : ", ") + json_string(data_key(l));
  }
  std::string none_json;
  for (const std::string& n : none) none_json += (none_json.empty() ? "" : ", ") + json_string(n);
  t.steps.push_back("      // the labels each row lists (\"" + std::string(kLabelSeparator) + "\" between two" + (none.empty() ? "" : "; " + none_list + " lists none") +
                    "), a 0/1 key each\n      {\"op\": \"fuse.ops.split_labels\", \"key\": " + json_string(data_key(column.name)) + ", \"labels\": [" + labels +
                    "],\n       \"out\": [" + keys + "], \"separator\": " + json_string(kLabelSeparator) + ", \"none\": [" + none_json + "]" +
                    if_present(json_string(data_key(column.name))) + "}");
  t.steps.push_back("      // the labels as one vector of 0/1 per row, the loss's target (a table to predict, without them, skips it)\n"
                    "      {\"op\": \"fuse.ops.stack\", \"keys\": " + key_list(t.labels) + ", \"out\": " + json_string(t.label) + if_present(key_list(t.labels)) + "}");
  return t;
}

Target read_target(const InitOptions& o, const table::ColumnSummary& target) {
  const std::string where = o.table + ": the target '" + o.target + "'";
  if (target.distinct == 0) throw Error(Errc::kInvalidArgument, where + " is empty in every row");
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
  if (target.missing) t.required.emplace_back(o.target, target.missing);
  const std::string column = json_string(data_key(o.target));
  if (t.task == "regression") {
    t.description = "regression of '" + o.target + "'";
    t.label = data_key(o.target) + "_z";
    t.value = data_key(o.target);
    t.steps.push_back("      // the target in standard deviations of the training folds, which the model learns faster (the postprocess\n"
                      "      // puts its predictions back in the target's units; a table to predict, without it, skips these)\n      {\"op\": \"fuse.ops.copy\", \"from\": [" + column +
                      "], \"to\": [" + json_string(t.label) + "]" + if_present(column) + "},\n      {\"op\": \"fuse.ops.zscore\", \"keys\": [" + json_string(t.label) +
                      "], \"fit\": true" + if_present(json_string(t.label)) + "}");
    return t;
  }
  t.description = (t.classes == 2 ? "binary" : std::to_string(t.classes) + "-class") + std::string(" classification of '") + o.target + "'";
  t.stratify = stratify_members({data_key(o.target)});
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
  t.steps.push_back("      // the classes numbered 0, 1, ... in sorted order" + positive + " (a table to predict, without the\n      // column, skips it)\n      {\"op\": \"fuse.ops.lookup\", \"key\": " + column + ", \"out\": " + json_string(t.label) +
                    ", \"fit\": true" + if_present(column) + "}");
  return t;
}

Target read_survival(const InitOptions& o, const table::ColumnSummary& time, const table::ColumnSummary& event) {
  const std::string choice = event_choice(event);  // how to name the event of a text or other coding
  for (const table::ColumnSummary* c : {&time, &event}) {
    const std::string where = o.table + ": the " + (c == &time ? "time" : "event") + " column '" + c->name + "'";
    if (c->distinct == 0) throw Error(Errc::kInvalidArgument, where + " is empty in every row");
    if (!c->numeric && (c == &time || o.event_value.empty()))
      throw Error(Errc::kInvalidArgument, where + " holds text; it must hold numbers" +
                                              (c == &event && !choice.empty() ? " (or say which value is the event: " + choice + ")" : ""));
  }
  if (time.min < 0) throw Error(Errc::kInvalidArgument, o.table + ": the time column '" + time.name + "' holds a negative time (" + std::to_string(time.min) + ")");
  Target t;
  t.task = "survival";
  t.classes = 0;
  t.label = data_key(event.name);
  if (o.event_value.empty()) {
    bool binary = event.values.size() == 2;
    for (const auto& [value, count] : event.values) binary = binary && (value == "0" || value == "1");
    if (!binary)
      throw Error(Errc::kInvalidArgument, o.table + ": the event column '" + event.name + "' must hold 0 (follow-up ended first) and 1 (the event happened), both" +
                                              (choice.empty() ? "" : "; or say which value is the event: " + choice));
  } else {
    // Another coding (Alive/Dead, SEER's 1/2): the event's value becomes 1, the other 0, in a key of its own.
    const auto is_event = [&](const auto& v) { return v.first == o.event_value; };
    if (event.values.size() != 2 || std::none_of(event.values.begin(), event.values.end(), is_event)) {
      std::string held;
      for (const auto& [value, count] : event.values) held += (held.empty() ? "'" : ", '") + value + "'";
      throw Error(Errc::kInvalidArgument, o.table + ": --event " + event.name + "=" + o.event_value + ": the column must hold two values, '" + o.event_value +
                                              "' (the event) and one for follow-up ended first; it holds " +
                                              (event.values.empty() ? "more than " + std::to_string(table::ColumnSummary::kMostValues) : held));
    }
    const std::string other = std::find_if_not(event.values.begin(), event.values.end(), is_event)->first;
    const std::string column = json_string(t.label);
    t.label = data_key(event.name + "_event");
    t.steps.push_back("      // the event: '" + o.event_value + "' is 1, '" + other + "' (follow-up ended first) 0\n      {\"op\": \"fuse.ops.lookup\", \"key\": " + column +
                      ", \"out\": " + json_string(t.label) + ", \"table\": {" + json_string(o.event_value) + ": 1, " + json_string(other) + ": 0}" +
                      if_present(column) + "}");
  }
  t.stratify = stratify_members({data_key(event.name)});  // the source's column, as it reads it (a text event too)
  t.time = data_key(time.name);
  if (o.horizon > 0 && o.horizon >= time.max)
    throw Error(Errc::kInvalidArgument, "--horizon " + json::format_number(o.horizon) + " is not before the longest time in '" + time.name + "' (" +
                                            json::format_number(time.max) + "): nobody is followed past it");
  // The median to three significant digits, as a clinician would name it: a median between two times prints
  // as 2.61, not 2.6085000000000003.
  t.horizon = o.horizon > 0 ? o.horizon : three_digits(time.median);
  if (!(time.max > 0))
    throw Error(Errc::kInvalidArgument, o.table + ": the time column '" + time.name + "' holds only 0; survival needs times after the start");
  // The survival curve at 8 round steps of about a tenth of the longest time (1, 2, ... 8 years of 10): later,
  // too few rows are still followed.
  const double raw = time.max / 10, scale = std::pow(10.0, std::floor(std::log10(raw))), m = raw / scale;
  const double step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * scale;
  for (int k = 1; k <= 8 && step * k < time.max; ++k) t.curve_times.push_back(three_digits(step * k));
  if (o.survival_model == "discrete") {
    t.bins = kTimeBins;
    t.steps.push_back("      // the time's bin, the discrete-time loss's target: " + std::to_string(kTimeBins) +
                      " bins of equal width up to the training folds'\n      // longest time (a table to predict, without the column, skips it)\n"
                      "      {\"op\": \"fuse.ops.time_bins\", \"key\": " + json_string(t.time) + ", \"out\": " + json_string(t.time + "_bin") +
                      ", \"bins\": " + std::to_string(kTimeBins) + ", \"fit\": true" + if_present(json_string(t.time)) + "}");
  }
  t.description = std::string(t.bins > 0 ? "discrete-time " : "") + "survival ('" + time.name + "' to the event '" + event.name +
                  (o.event_value.empty() ? "" : " = " + o.event_value) + "')";
  for (const table::ColumnSummary* c : {&time, &event})
    if (c->missing) t.required.emplace_back(c->name, c->missing);
  return t;
}

namespace {

// The evaluation's chart-only metrics (docs/evaluation.md), on a line of their own: report.html draws them.
// `per_class` draws the curves of each class against the rest (several classes).
std::string charts(std::initializer_list<std::string> components, bool per_class = false) {
  std::string list;
  for (const std::string& c : components) {
    const std::string name = c == "roc_curve" ? "roc" : c == "pr_curve" ? "pr" : c;
    const bool curve = c == "roc_curve" || c == "pr_curve";
    list += (list.empty() ? "" : ", ") + json_string(name) + ": {\"component\": \"" + c + "\"" + (per_class && curve ? ", \"one_vs_all\": true" : "") +
            ", \"chart\": true}";
  }
  return "\n                             // curves for report.html\n                             " + list;
}

}  // namespace

std::string target_sections(const InitOptions& o, const Target& t, int64_t epochs, int64_t threads) {
  std::string s, monitor, evaluation;
  const auto line = [&](const std::string& text) { s += text + "\n"; };
  const std::string label = json_string(t.label);
  if (t.task == "survival") {
    const std::string cox = "\"time\": " + json_string(t.time) + ", \"event\": " + label;
    const std::string horizon = json::format_number(t.horizon);
    const std::string when = o.horizon > 0 ? horizon : horizon + " (the median time)";
    const std::string longer = cox + ", \"higher_is_longer\": true", at = ", \"horizon\": " + horizon;
    std::vector<std::string> times;
    for (double c : t.curve_times) times.push_back(json::format_number(c));
    const std::string curve = "[" + join(times, ", ") + "]";
    monitor = "validation.c_index";
    // The score the C-index ranks, and what the Kaplan-Meier halves split by.
    std::string score, ranked;
    if (t.bins == 0) {
      // A risk score, and from it (with the baseline hazard fitted to the training folds' risks once training
      // ends) the probabilities of no event.
      const std::string fit = ", \"fit\": {" + cox + "}";
      line("  // The probability of no event by " + horizon + ", and the survival curve, from the risk and the baseline hazard fitted");
      line("  // to the training folds' risks once training ends (Breslow).");
      line("  \"postprocess\": [{\"op\": \"fuse.ops.cox_survival\", \"key\": \"model.risk\", \"out\": \"model.survival\", \"survival_at\": " + horizon + fit + "},");
      line("                  {\"op\": \"fuse.ops.cox_survival\", \"key\": \"model.risk\", \"out\": \"model.survival_curve\", \"survival_times\": " + curve + fit + "}],");
      line("  // The negative Cox partial likelihood within each batch (DeepSurv), so batches are large.");
      line("  \"losses\": {\"cox\": {\"loss\": \"fuse.losses.cox\", \"pred\": \"model.risk\", " + cox + "}},");
      line("  \"metrics\": {\"c_index\": {\"metric\": \"fuse.metrics.c_index\", \"pred\": \"model.risk\", " + cox + ", \"output\": \"c_index\"}},");
      score = "model.risk", ranked = cox;
    } else {
      // Per-bin probabilities: an expected time (higher = later event) and a probability of no event by the
      // horizon, each row scored alone by its own bin's likelihood.
      const std::string bins = "\"bins\": " + std::to_string(t.bins) + ", ", from = ", \"fit\": {\"from\": " + json_string(t.time) + "}";
      line("  // The softmax over the time bins; the expected time and the probability of no event by " + horizon + ", with the bins of");
      line("  // the training folds.");
      line("  \"postprocess\": [{\"op\": \"fuse.ops.time_bins\", \"key\": \"model.probs\", \"out\": \"model.expected_time\", " + bins + "\"expected\": true" + from + "},");
      line("                  {\"op\": \"fuse.ops.time_bins\", \"key\": \"model.probs\", \"out\": \"model.survival\", " + bins + "\"survival_at\": " + horizon + from + "},");
      line("                  {\"op\": \"fuse.ops.time_bins\", \"key\": \"model.probs\", \"out\": \"model.survival_curve\", " + bins + "\"survival_times\": " + curve +
           from + "}],");
      line("  // The likelihood of each row's time bin (pycox's PMF): an event in its bin, a censored row in its bin or later.");
      line("  \"losses\": {\"nll\": {\"loss\": \"fuse.losses.discrete_time\", \"pred\": \"model.logits\", \"bin\": " + json_string(t.time + "_bin") +
           ", \"event\": " + label + "}},");
      line("  \"metrics\": {\"c_index\": {\"metric\": \"fuse.metrics.c_index\", \"pred\": \"model.expected_time\", " + longer + ", \"output\": \"c_index\"}},");
      score = "model.expected_time", ranked = longer;
    }
    const std::string survival = "\"pred\": \"model.survival\", " + cox;
    evaluation = "{\"target\": " + label + ", \"score\": \"" + score + "\", \"metrics\": {\"c_index\": {\"component\": \"c_index\", \"config\": {" + ranked +
                 "}},\n                             // the AUC of an event by " + when + " against no event until then\n"
                 "                             \"survival_auc\": {\"component\": \"survival_auc\", \"config\": {" + survival + ", \"higher_is_longer\": true" + at + "}}," +
                 "\n                             // the same at the curve's times, and their mean weighted by when the events happen\n"
                 "                             \"auc_over_time\": {\"component\": \"survival_auc\", \"config\": {" + ranked + ", \"times\": " + curve + "}}," +
                 "\n                             // the predicted probabilities of no event by then against Kaplan-Meier per tenth of them\n"
                 "                             // (report.html draws them), and their censoring-weighted Brier score\n"
                 "                             \"calibration\": {\"component\": \"survival_calibration\", \"config\": {" + survival + at + "}},\n"
                 "                             \"survival_brier\": {\"component\": \"survival_brier\", \"config\": {" + survival + at + "}}," +
                 "\n                             // the Brier score of each row's curve, integrated over its times\n"
                 "                             \"integrated_brier\": {\"component\": \"integrated_brier\", \"config\": {\"pred\": \"model.survival_curve\", " + cox +
                 ", \"times\": " + curve + "}}," +
                 "\n                             // Kaplan-Meier curves of the " + (t.bins == 0 ? "lower and higher predicted risk" : "shorter and longer predicted") +
                 " halves, for report.html\n"
                 "                             \"km\": {\"component\": \"kaplan_meier\", \"config\": {" + ranked + "}, \"chart\": true}}";
  } else if (t.task == "regression") {
    // The model predicts the standardised target; model.pred is the prediction in the target's units (what
    // the evaluation, predictions.csv and a bundle report), with the training folds' mean and std.
    const std::string value = json_string(t.value);
    line("  // The prediction back in the target's units, by the training folds' mean and standard deviation.");
    line("  \"postprocess\": [{\"op\": \"fuse.ops.copy\", \"from\": [\"model.pred_z\"], \"to\": [\"model.pred\"]},");
    line("                  {\"op\": \"fuse.ops.zscore\", \"keys\": [\"model.pred\"], \"inverse\": true, \"fit\": {\"from\": " + label + "}}],");
    line("  \"losses\": {\"mse\": {\"loss\": \"fuse.losses.mse\", \"pred\": \"model.pred_z\", \"target\": " + label + "}},");
    line("  \"metrics\": {\"r2\": {\"metric\": \"fuse.metrics.regression\", \"pred\": \"model.pred\", \"target\": " + value + ", \"output\": \"r2\"}},");
    monitor = "validation.r2";
    evaluation = "{\"target\": " + value + ", \"score\": \"model.pred\", \"metrics\": {\"regression\": \"regression\"," +
                 "\n                             // observed against predicted for report.html\n                             \"observed\": {\"component\": \"regression\", "
                 "\"config\": {\"bins\": 10}, \"chart\": true}}";
  } else if (t.task == "multilabel") {
    line("  // A probability per label (sigmoid), each label a binary problem of its own.");
    line("  \"postprocess\": [{\"op\": \"fuse.ops.sigmoid\", \"key\": \"model.logits\", \"out\": \"model.probs\"}],");
    line("  \"losses\": {\"bce\": {\"loss\": \"fuse.losses.bce_with_logits\", \"pred\": \"model.logits\", \"target\": " + label + "}},");
    // The labels' mean AUC picks the best epoch (a rare label without positives in the validation fold left
    // out, not NaN every epoch); the evaluation gives each label's AUC with an interval.
    line("  \"metrics\": {\"auc\": {\"metric\": \"fuse.metrics.auc\", \"pred\": \"model.probs\", \"target\": " + label +
         ", \"average\": \"macro\", \"undefined\": \"skip\"}},");
    monitor = "validation.auc";
    evaluation = "{\"labels\": " + key_list(t.labels) + ", \"score\": \"model.probs\", \"metrics\": {\"auc\": {\"component\": \"auc\", \"undefined\": \"skip\"}, \"brier\": \"brier\"," +
                 charts({"roc_curve", "calibration"}) + "}";
  } else if (t.classes == 2) {
    line("  \"postprocess\": [{\"op\": \"fuse.ops.select\", \"key\": \"model.probs\", \"out\": \"model.score\", \"axis\": 1, \"index\": 1}],");
    line("  \"losses\": {\"ce\": {\"loss\": \"fuse.losses.cross_entropy\", \"pred\": \"model.logits\", \"target\": " + label + "}},");
    line("  \"metrics\": {\"auc\": {\"metric\": \"fuse.metrics.auc\", \"pred\": \"model.score\", \"target\": " + label + "}},");
    monitor = "validation.auc";
    evaluation = "{\"target\": " + label +
                 ", \"score\": \"model.score\",\n                 \"metrics\": {\"auc\": \"auc\", \"brier\": \"brier\", \"accuracy\": {\"component\": \"confusion\", \"config\": "
                 "{\"threshold\": 0.5}}," + charts({"roc_curve", "pr_curve", "calibration"}) + "}";
  } else {
    const std::string classes = std::to_string(t.classes);
    line("  \"losses\": {\"ce\": {\"loss\": \"fuse.losses.cross_entropy\", \"pred\": \"model.logits\", \"target\": " + label + "}},");
    line("  \"metrics\": {\"accuracy\": {\"metric\": \"fuse.metrics.confusion\", \"pred\": \"model.probs\", \"target\": " + label + ", \"num_classes\": " + classes +
         ", \"output\": \"accuracy\"}},");
    monitor = "validation.accuracy";
    // Each class's AUC against the rest, with their macro and micro averages, beside the accuracy.
    evaluation = "{\"target\": " + label + ", \"score\": \"model.probs\", \"metrics\": {\"accuracy\": {\"component\": \"confusion\", \"config\": {\"num_classes\": " +
                 classes + "}}, \"auc\": {\"component\": \"auc\", \"one_vs_all\": true}," + charts({"roc_curve", "calibration"}, true) + "}";
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
