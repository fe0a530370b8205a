#include "fuse/report/html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <limits>

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>
#include <boost/json/parse.hpp>

#include "fuse/report/charts.h"

namespace fuse::report {

namespace bj = boost::json;

std::string base64(const std::vector<uint8_t>& bytes) {
  using It = boost::archive::iterators::base64_from_binary<
      boost::archive::iterators::transform_width<std::vector<uint8_t>::const_iterator, 6, 8>>;
  std::string out(It(bytes.begin()), It(bytes.end()));
  out.append((3 - bytes.size() % 3) % 3, '=');
  return out;
}

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(const bj::value* v) {
  if (v == nullptr || !v->is_number()) return "&ndash;";
  char buf[32];
  const double x = v->to_number<double>();
  std::snprintf(buf, sizeof(buf), std::abs(x) >= 1000 || x == std::floor(x) ? "%.0f" : "%.4f", x);
  return buf;
}

std::string ci_text(const bj::object& entry) {
  const bj::value* ci = entry.if_contains("ci");
  if (ci == nullptr) return "";
  const bj::object& c = ci->as_object();
  std::string s = "[" + num(c.if_contains("lower")) + ", " + num(c.if_contains("upper")) + "]";
  if (const bj::value* skipped = c.if_contains("skipped"); skipped && skipped->as_int64() > 0)
    s += " <span class=note>" + std::to_string(skipped->as_int64()) + " rounds skipped</span>";
  return s;
}

std::vector<double> doubles(const bj::value* v) {
  std::vector<double> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const bj::value& x : v->as_array()) out.push_back(x.is_number() ? x.to_number<double>() : NAN);
  return out;
}

std::string image(const Png& png, const std::string& alt) {
  return "<figure><img alt=\"" + escape(alt) + "\" src=\"data:image/png;base64," + base64(png) + "\"></figure>\n";
}

// A metric's value with its interval, for a chart's title: "AUC 0.8484 [0.8292, 0.8663]".
// "AUC 0.91 [0.88, 0.94]" for a chart of unit `unit` ("roc", "roc.data.edema"): its own output, else the
// evaluation's metric of that output for the same unit ("auc", "auc.data.edema"; a chart-only metric reports no
// numbers), else the number beside its curve (without an interval).
std::string headline(const bj::object& metrics, const bj::object& curve, const std::string& unit, const std::string& output, const std::string& label) {
  const size_t dot = unit.find('.');
  const bj::value* e = metrics.if_contains(unit + "." + output);
  if (e == nullptr) e = metrics.if_contains(output + (dot == std::string::npos ? "" : unit.substr(dot)));
  if (e == nullptr || !e->is_object()) {
    const bj::value* v = curve.if_contains(output);
    return v != nullptr && v->is_number() ? label + " " + num(v) : "";
  }
  std::string s = label + " " + num(e->as_object().if_contains("value"));
  if (const bj::value* ci = e->as_object().if_contains("ci"))
    s += " [" + num(ci->as_object().if_contains("lower")) + ", " + num(ci->as_object().if_contains("upper")) + "]";
  return s;
}

std::string metrics_table(const bj::object& metrics) {
  std::string h = "<table><tr><th>metric</th><th>value</th><th>confidence interval</th></tr>\n";
  for (const auto& m : metrics)
    h += "<tr><td>" + escape(std::string(m.key())) + "</td><td class=num>" + num(m.value().as_object().if_contains("value")) +
         "</td><td class=num>" + ci_text(m.value().as_object()) + "</td></tr>\n";
  return h + "</table>\n";
}

// Levels (groups or folds) as rows, metrics as columns.
std::string levels_table(const bj::object& levels) {
  std::vector<std::string> names;
  for (const auto& level : levels)
    if (const bj::value* m = level.value().as_object().if_contains("metrics"))
      for (const auto& metric : m->as_object())
        if (std::find(names.begin(), names.end(), std::string(metric.key())) == names.end()) names.emplace_back(metric.key());
  std::string h = "<table><tr><th>value</th><th>rows</th>";
  for (const std::string& n : names) h += "<th>" + escape(n) + "</th>";
  h += "</tr>\n";
  for (const auto& level : levels) {
    const bj::object& l = level.value().as_object();
    if (!l.contains("metrics")) continue;
    h += "<tr><td>" + escape(std::string(level.key())) + "</td><td class=num>" + num(l.if_contains("rows")) + "</td>";
    const bj::object& m = l.at("metrics").as_object();
    for (const std::string& n : names) {
      const bj::value* e = m.if_contains(n);
      h += "<td class=num>" + (e ? num(e->as_object().if_contains("value")) + "<br><small>" + ci_text(e->as_object()) + "</small>" : "&ndash;") + "</td>";
    }
    h += "</tr>\n";
    if (const bj::value* errors = l.if_contains("errors"))
      for (const auto& e : errors->as_object())
        h += "<tr><td colspan=" + std::to_string(names.size() + 2) + " class=note>" + escape(std::string(e.key())) + ": " +
             escape(std::string(e.value().as_string())) + "</td></tr>\n";
  }
  return h + "</table>\n";
}

std::string charts(const bj::object& results) {
  const bj::value* arrays = results.if_contains("arrays");
  if (arrays == nullptr) return "";
  const bj::object& metrics = results.at("metrics").as_object();
  double prevalence = -1;
  if (const bj::value* classes = results.at("data").as_object().if_contains("classes"); classes && classes->as_object().size() == 2) {
    const double neg = classes->at("0").to_number<double>(), pos = classes->at("1").to_number<double>();
    prevalence = pos / (pos + neg);
  }
  std::string h;
  for (const auto& unit : arrays->as_object()) {
    const std::string name(unit.key());
    const bj::object& a = unit.value().as_object();
    if (a.contains("fpr") && a.contains("tpr")) {
      Curve c{doubles(a.if_contains("fpr")), doubles(a.if_contains("tpr")), doubles(a.if_contains("tpr_lower")), doubles(a.if_contains("tpr_upper"))};
      h += image(roc_chart("ROC: " + name + "   " + headline(metrics, a, name, "auc", "AUC"), c), "ROC curve of " + name);
    }
    if (a.contains("recall") && a.contains("precision")) {
      Curve c{doubles(a.if_contains("recall")), doubles(a.if_contains("precision")), doubles(a.if_contains("precision_lower")),
              doubles(a.if_contains("precision_upper"))};
      h += image(pr_chart("Precision-recall: " + name + "   " + headline(metrics, a, name, "average_precision", "AP"), c, prevalence),
                 "precision-recall curve of " + name);
    }
    if (a.contains("bin_confidence") && a.contains("bin_accuracy")) {
      Curve c{doubles(a.if_contains("bin_confidence")), doubles(a.if_contains("bin_accuracy")), {}, {}};
      h += image(reliability_chart("Reliability: " + name + "   " + headline(metrics, a, name, "ece", "ECE"), c, doubles(a.if_contains("bin_count"))),
                 "reliability diagram of " + name);
    }
    if (a.contains("bin_predicted") && a.contains("bin_observed")) {
      Curve c{doubles(a.if_contains("bin_predicted")), doubles(a.if_contains("bin_observed")), doubles(a.if_contains("bin_observed_lower")),
              doubles(a.if_contains("bin_observed_upper"))};
      if (a.contains("calibration_error") || metrics.contains(name + ".calibration_error"))  // a survival model's, at a horizon
        h += image(observed_chart("Calibration: " + name + "   " + headline(metrics, a, name, "calibration_error", "error"), c, true),
                   "survival calibration, " + name);
      else
        h += image(observed_chart("Observed against predicted: " + name + "   " + headline(metrics, a, name, "r2", "R2"), c),
                   "observed against predicted, " + name);
    }
    if (a.contains("auc_time") && a.contains("auc_at")) {
      Curve c{doubles(a.if_contains("auc_time")), doubles(a.if_contains("auc_at")), doubles(a.if_contains("auc_at_lower")), doubles(a.if_contains("auc_at_upper"))};
      // Its one number is the metric itself (the mean over the times), named as the unit.
      h += image(auc_over_time_chart("Time-dependent AUC: " + name + "   " + headline(metrics, a, name, name, "mean"), c),
                 "time-dependent AUC, " + name);
    }
    if (a.contains("km_time") && a.contains("survival_1")) {
      std::vector<std::vector<double>> curves;
      for (size_t g = 1; a.contains("survival_" + std::to_string(g)); ++g) curves.push_back(doubles(a.if_contains("survival_" + std::to_string(g))));
      std::vector<std::string> labels;
      for (size_t g = 0; g < curves.size(); ++g)
        labels.push_back(g == 0 ? "lowest predicted risk" : g + 1 == curves.size() ? "highest predicted risk" : "risk group " + std::to_string(g + 1));
      const bj::value* p = a.if_contains("logrank_p");
      const std::string test = p == nullptr || !p->is_number() ? "" : p->to_number<double>() < 1e-4 ? "log-rank p < 0.0001" : "log-rank p " + num(p);
      h += image(survival_chart("Kaplan-Meier by predicted risk: " + name + "   " + test,
                                doubles(a.if_contains("km_time")), curves, labels),
                 "Kaplan-Meier curves by predicted risk, " + name);
    }
    if (const bj::value* m = a.if_contains("matrix"); m && m->is_array() && !m->as_array().empty() && m->as_array()[0].is_array()) {
      std::vector<std::vector<double>> matrix;
      std::vector<std::string> labels;
      for (const bj::value& row : m->as_array()) matrix.push_back(doubles(&row));
      for (size_t i = 0; i < matrix.size(); ++i) labels.push_back(std::to_string(i));
      h += image(confusion_chart("Confusion matrix: " + name, matrix, labels), "confusion matrix of " + name);
    }
  }
  return h;
}

// Each case's scores ("cases": [{"id": ..., "<metric>": value, ...}], from a test set scored against its
// references), sorted by the first metric, lowest first: the cases to look at come first.
std::string cases_table(const bj::array& cases) {
  if (cases.empty() || !cases[0].is_object()) return "";
  std::vector<std::string> columns;
  for (const auto& m : cases[0].as_object())
    if (m.key() != "id") columns.emplace_back(m.key());
  if (columns.empty()) return "";
  std::vector<const bj::object*> rows;
  for (const bj::value& c : cases)
    if (c.is_object()) rows.push_back(&c.as_object());
  const auto first = [&](const bj::object* r) {
    const bj::value* v = r->if_contains(columns[0]);
    return v != nullptr && v->is_number() ? v->to_number<double>() : std::numeric_limits<double>::infinity();  // undefined last
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const bj::object* a, const bj::object* b) { return first(a) < first(b); });
  constexpr size_t kMostRows = 500;
  std::string h = "<h2>Cases</h2>\n<p>" + std::to_string(rows.size()) + " cases, by " + escape(columns[0]) + ", lowest first" +
                  (rows.size() > kMostRows ? " (the lowest " + std::to_string(kMostRows) + " shown)" : std::string()) +
                  ".</p>\n<table><tr><th>id</th>";
  for (const std::string& c : columns) h += "<th>" + escape(c) + "</th>";
  h += "</tr>\n";
  for (size_t i = 0; i < rows.size() && i < kMostRows; ++i) {
    const bj::value* id = rows[i]->if_contains("id");
    h += "<tr><td>" + escape(id != nullptr && id->is_string() ? std::string(id->as_string()) : "") + "</td>";
    for (const std::string& c : columns) h += "<td class=num>" + num(rows[i]->if_contains(c)) + "</td>";
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

}  // namespace

std::string html_report(const bj::object& results, const std::string& title) {
  std::string h = "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>" + escape(title) + "</title>\n<style>\n"
                  "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;"
                  "color:#222;padding:0 1em}\n"
                  "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
                  "th{background:#f3f3f3}.num{text-align:right;font-variant-numeric:tabular-nums}.note{color:#a33;font-size:90%}"
                  "figure{display:inline-block;margin:0.5em}img{max-width:520px;border:1px solid #ddd}\n"
                  "</style></head><body>\n<h1>" + escape(title) + "</h1>\n";
  const bj::object& data = results.at("data").as_object();
  h += "<p>" + num(data.if_contains("rows")) + " rows";
  if (const bj::value* d = data.if_contains("dropped"); d && d->as_int64() > 0) h += " (" + num(d) + " dropped for NaN)";
  if (const bj::value* files = data.if_contains("files")) {
    h += " from ";
    for (size_t i = 0; i < files->as_array().size(); ++i) h += (i ? ", " : "") + escape(std::string(files->as_array()[i].as_string()));
  }
  if (const bj::value* classes = data.if_contains("classes")) {
    h += "; classes:";
    for (const auto& c : classes->as_object()) h += " " + escape(std::string(c.key())) + " (" + num(&c.value()) + ")";
  }
  h += ".</p>\n<h2>Metrics</h2>\n" + metrics_table(results.at("metrics").as_object());
  const std::string figures = charts(results);
  if (!figures.empty()) h += "<h2>Charts</h2>\n" + figures;
  if (const bj::value* cmp = results.if_contains("comparisons")) {
    h += "<h2>Comparisons</h2>\n<table><tr><th>comparison</th><th>output</th><th>a</th><th>b</th><th>difference</th><th>interval</th>"
         "<th>p (paired bootstrap)</th></tr>\n";
    for (const auto& c : cmp->as_object())
      for (const auto& o : c.value().at("outputs").as_object()) {
        const bj::object& e = o.value().as_object();
        h += "<tr><td>" + escape(std::string(c.key())) + "</td><td>" + escape(std::string(o.key())) + "</td><td class=num>" +
             num(e.if_contains("a")) + "</td><td class=num>" + num(e.if_contains("b")) + "</td><td class=num>" +
             num(e.if_contains("difference")) + "</td><td class=num>" + ci_text(e) + "</td><td class=num>" + num(e.if_contains("p")) +
             "</td></tr>\n";
      }
    h += "</table>\n";
  }
  if (const bj::value* cases = results.if_contains("cases"); cases != nullptr && cases->is_array()) h += cases_table(cases->as_array());
  if (const bj::value* groups = results.if_contains("groups"))
    for (const auto& g : groups->as_object()) h += "<h2>By " + escape(std::string(g.key())) + "</h2>\n" + levels_table(g.value().as_object());
  if (const bj::value* folds = results.if_contains("folds")) {
    bj::object levels = folds->as_object();
    const bj::object aggregated = levels.contains("aggregated") ? levels.at("aggregated").as_object() : bj::object();
    levels.erase("aggregated");
    h += "<h2>Folds</h2>\n" + levels_table(levels);
    if (!aggregated.empty()) {
      h += "<table><tr><th>metric</th><th>mean over folds</th><th>sd</th></tr>\n";
      for (const auto& m : aggregated.at("mean").as_object())
        h += "<tr><td>" + escape(std::string(m.key())) + "</td><td class=num>" + num(&m.value()) + "</td><td class=num>" +
             num(aggregated.at("std").as_object().if_contains(m.key())) + "</td></tr>\n";
      h += "</table>\n";
    }
  }
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M", std::localtime(&now));
  h += "<p class=note style=\"color:#777\">Written by FuseMedML++ on " + std::string(when) + ".</p>\n</body></html>\n";
  return h;
}

}  // namespace fuse::report

extern "C" int fuse_write_html_report(const char* results_json, const char* path,
                                                                             const char* title, char* error,
                                                                             unsigned long error_size) {
  try {
    const boost::json::value results = boost::json::parse(results_json);
    std::ofstream out(path);
    out << fuse::report::html_report(results.as_object(), title);
    if (!out) throw std::runtime_error(std::string("cannot write '") + path + "'");
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(error, error_size, "%s", e.what());
    return 1;
  }
}
