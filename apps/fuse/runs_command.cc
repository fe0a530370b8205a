// fuse runs: trained runs side by side — a sweep's `--set` variants, cross-validations, repeated seeds — each
// with its best validation values, training time and settings, the best first. It reads the files `fuse run`
// writes (results.json, cross_validation.json, seeds.json, config.json, settings.json) and loads nothing else.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "../common/report_loader.h"
#include "../common/table.h"
#include "commands.h"
#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/base/strings.h"
#include "fuse/eval/t_test.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"
#include "fuse/json/write.h"

namespace fuse::cli {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Options {
  std::vector<std::string> paths{"runs"};
  std::string sort, csv, versus, curves;
  bool ascending = false;
};

// One line of the table: a run, or a cross-validation's or repeated seeds' summary (their mean and sd).
struct Row {
  std::string path, experiment, kind, monitor, settings;
  int64_t best_epoch = 0, epochs = 0;  // of a run: its best epoch (from 1) of the epochs it logged; 0 for a summary
  std::optional<bool> maximize;  // the monitor's mode, where a config.json says it
  bj::object values, sd;
  double seconds = kNaN;
  char summary = 0;                 // 'f': a cross-validation's folds, 's': repeated seeds; 0: one run
  std::vector<bj::object> parts;    // each fold's or seed's validation values
  bj::value split;                  // a cross-validation's data source and folds (without the fold chosen)
  std::vector<fs::path> logs;       // the log.csv of the run, or of each fold or seed (their curves' mean)
};

bj::object read_object(const fs::path& file) {
  bj::error_code ec;
  const bj::value v = json::parse_exact(json::read_file(file), ec);
  if (ec || !v.is_object()) throw Error(Errc::kIo, file.string() + ": not a JSON object as fuse run writes it" + (ec ? " (" + ec.message() + ")" : ""));
  return v.as_object();
}

// A member of a file fuse run wrote, or an error naming the file and the member.
const bj::value& member(const bj::object& doc, const char* name, const fs::path& file) {
  const bj::value* v = doc.if_contains(name);
  if (v == nullptr) throw Error(Errc::kIo, file.string() + ": no '" + name + "' (not written by fuse run, or by another version)");
  return *v;
}

Error wrong_type(const char* name, const fs::path& file, const char* expected) {
  return Error(Errc::kIo, file.string() + ": '" + name + "' is not " + expected + " (not written by fuse run, or by another version)");
}

std::string text_member(const bj::object& doc, const char* name, const fs::path& file) {
  const bj::value& v = member(doc, name, file);
  if (!v.is_string()) throw wrong_type(name, file, "a string");
  return std::string(v.as_string());
}

const bj::object& object_member(const bj::object& doc, const char* name, const fs::path& file) {
  const bj::value& v = member(doc, name, file);
  if (!v.is_object()) throw wrong_type(name, file, "an object");
  return v.as_object();
}

const bj::array& array_member(const bj::object& doc, const char* name, const fs::path& file) {
  const bj::value& v = member(doc, name, file);
  if (!v.is_array()) throw wrong_type(name, file, "a list");
  return v.as_array();
}

double number_or_nan(const bj::value* v) { return v != nullptr && v->is_number() ? v->to_number<double>() : kNaN; }

// The experiment's name and the trainer's mode from a run's config.json.
void read_config(const fs::path& dir, Row& row) {
  const fs::path file = dir / "config.json";
  if (!fs::exists(file)) return;
  const bj::object config = read_object(file);
  if (row.experiment.empty())
    if (const bj::value* name = config.if_contains("name"); name != nullptr && name->is_string()) row.experiment = std::string(name->as_string());
  const bj::value* trainer = config.if_contains("trainer");
  const bj::value* mode = trainer != nullptr && trainer->is_object() ? trainer->as_object().if_contains("mode") : nullptr;
  row.maximize = mode != nullptr && mode->is_string() && mode->as_string() == "max";
}

// What decides a fold's cases: the data source and the folds section of a fold's config.json, less the fold
// it chose; two cross-validations pair by fold only where these agree.
bj::value data_split(const fs::path& fold_dir) {
  const fs::path file = fold_dir / "config.json";
  if (!fs::exists(file)) return nullptr;
  const bj::object config = read_object(file);
  const bj::value* data = config.if_contains("data");
  if (data == nullptr || !data->is_object()) return nullptr;
  bj::object split;
  for (const char* part : {"source", "folds"})
    if (const bj::value* v = data->as_object().if_contains(part)) split[part] = *v;
  if (bj::value* folds = split.if_contains("folds"); folds != nullptr && folds->is_object()) {
    folds->as_object().erase("train");
    folds->as_object().erase("validation");
  }
  return split;
}

// The --set values a run (or cross-validation) recorded, as typed; those in `leave_out` omitted.
std::string read_settings(const fs::path& dir, const std::string& leave_out = "") {
  const fs::path file = dir / "settings.json";
  if (!fs::exists(file)) return "";
  std::vector<std::string> out;
  const bj::object doc = read_object(file);
  for (const bj::value& s : array_member(doc, "settings", file))
    if (s.is_string() && (leave_out.empty() || s.as_string().subview().rfind(leave_out, 0) != 0)) out.emplace_back(s.as_string());
  return join(out, " ");
}

// Epochs logged so far (log.csv's rows).
int64_t logged_epochs(const fs::path& dir) {
  std::ifstream in(dir / "log.csv");
  int64_t lines = 0;
  for (std::string line; std::getline(in, line);) lines += !line.empty();
  return std::max<int64_t>(0, lines - 1);
}

Row read_run(const fs::path& dir, const std::string& path) {
  Row row;
  row.path = path;
  read_config(dir, row);
  row.settings = read_settings(dir);
  row.epochs = logged_epochs(dir);  // what was trained: an --epochs given, early stopping
  if (fs::exists(dir / "log.csv")) row.logs.push_back(dir / "log.csv");
  const fs::path file = dir / "results.json";
  if (!fs::exists(file)) {
    row.kind = "unfinished (" + std::to_string(row.epochs) + " epochs logged)";
    return row;
  }
  const bj::object results = read_object(file);
  row.kind = "run";
  row.monitor = text_member(results, "monitor", file);
  const bj::value& best = member(results, "best_epoch", file);
  if (!best.is_int64()) throw wrong_type("best_epoch", file, "a whole number");
  row.best_epoch = best.as_int64();
  row.values = object_member(results, "validation", file);
  row.seconds = number_or_nan(results.if_contains("seconds"));
  return row;
}

// A cross-validation's or repeated seeds' summary: their mean and sd, their time together.
Row read_summary(const fs::path& dir, const std::string& path, const fs::path& file, const char* list, const std::string& kind) {
  Row row;
  row.path = path;
  const bj::object summary = read_object(file);
  row.experiment = text_member(summary, "experiment", file);
  row.monitor = text_member(summary, "monitor", file);
  row.values = object_member(summary, "mean", file);
  row.sd = object_member(summary, "std", file);
  const bj::array& runs = array_member(summary, list, file);
  row.kind = std::to_string(runs.size()) + " " + kind + (runs.size() == 1 ? "" : "s");
  row.summary = list[0];
  row.seconds = 0;
  for (const bj::value& r : runs) {
    if (!r.is_object()) throw Error(Errc::kIo, file.string() + ": an entry of '" + list + "' is not an object (not written by fuse run, or by another version)");
    row.seconds += number_or_nan(r.as_object().if_contains("seconds"));
    if (const bj::value* name = r.as_object().if_contains("run"); name != nullptr && name->is_string()) {
      const fs::path run = dir / std::string(name->as_string());
      if (fs::exists(run / "log.csv")) row.logs.push_back(run / "log.csv");
      else if (fs::is_directory(run))  // a seed's cross-validation: its folds'
        for (const fs::directory_entry& e : fs::directory_iterator(run))
          if (e.path().filename().string().rfind("fold_", 0) == 0 && fs::exists(e.path() / "log.csv")) row.logs.push_back(e.path() / "log.csv");
    }
    const bj::value* validation = r.as_object().if_contains("validation");
    row.parts.push_back(validation != nullptr && validation->is_object() ? validation->as_object() : bj::object());
  }
  if (!runs.empty()) {  // the mode and the settings of the first run (a seed's own seed left out)
    const fs::path first = dir / text_member(runs[0].as_object(), "run", file);
    const fs::path run = fs::exists(first / "config.json") ? first : first / "fold_0";
    read_config(run, row);
    if (list[0] == 'f') row.split = data_split(run);
    row.settings = std::string(list) == "seeds" ? read_settings(first, "seed=") : read_settings(dir);
    const bj::value* cross_validated = summary.if_contains("cross_validation");
    if (std::string(list) == "seeds" && cross_validated != nullptr && cross_validated->is_bool() && cross_validated->as_bool())
      row.kind += " (each cross-validated)";
  }
  return row;
}

// What `dir` holds: a run, a cross-validation, repeated seeds, or (unfinished) the folds or seeds so far.
std::optional<Row> read_folder(const fs::path& dir, const std::string& path) {
  if (fs::exists(dir / "seeds.json")) return read_summary(dir, path, dir / "seeds.json", "seeds", "seed");
  if (fs::exists(dir / "cross_validation.json")) return read_summary(dir, path, dir / "cross_validation.json", "folds", "fold");
  if (fs::exists(dir / "config.json")) return read_run(dir, path);
  for (const char* prefix : {"fold_", "seed_"}) {
    size_t started = 0, finished = 0;
    Row row;
    for (const fs::directory_entry& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().rfind(prefix, 0) == 0 &&
          (fs::exists(e.path() / "config.json") || fs::exists(e.path() / "settings.json"))) {
        ++started;
        finished += fs::exists(e.path() / "results.json") || fs::exists(e.path() / "cross_validation.json");
        read_config(e.path(), row);  // the experiment's name
      }
    if (started == 0) continue;
    row.maximize.reset();
    row.path = path;
    row.kind = std::string("unfinished (") + std::to_string(finished) + " of the " + std::to_string(started) + (prefix[0] == 'f' ? " folds" : " seeds") +
               " started)";
    row.settings = read_settings(dir);
    return row;
  }
  return std::nullopt;
}

// The rows of each path: the folder itself when it is a run (or a summary of runs), else each such folder in it.
std::vector<Row> find_runs(const std::vector<std::string>& paths) {
  std::vector<Row> rows;
  for (const std::string& p : paths) {
    const fs::path dir(p);
    if (!fs::is_directory(dir)) throw Error(Errc::kIo, "'" + p + "': no such folder (give run folders, or a folder of them such as runs)");
    if (std::optional<Row> row = read_folder(dir, p)) {
      rows.push_back(std::move(*row));
      continue;
    }
    std::vector<std::string> names;
    for (const fs::directory_entry& e : fs::directory_iterator(dir))
      if (e.is_directory()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end(), natural_less);
    const size_t before = rows.size();
    for (const std::string& name : names)
      if (std::optional<Row> row = read_folder(dir / name, (dir / name).string())) rows.push_back(std::move(*row));
    if (rows.size() == before)
      throw Error(Errc::kIo, "'" + p + "' holds no runs: a run folder has the config.json fuse run writes (a cross-validation's, cross_validation.json; "
                                 "repeated seeds', seeds.json)");
  }
  return rows;
}

// The validation value the rows are ordered by and whether higher is better: --sort's, else the monitor they
// share (its mode from their config.json). None: the order found.
std::optional<std::pair<std::string, bool>> ordering(const Options& o, const std::vector<Row>& rows) {
  if (!o.sort.empty()) {
    const bool known = std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return r.values.contains(o.sort); });
    if (!known) {
      std::vector<std::string> names;
      for (const Row& r : rows)
        for (const auto& [name, v] : r.values)
          if (std::find(names.begin(), names.end(), std::string(name)) == names.end()) names.emplace_back(name);
      throw Error(Errc::kInvalidArgument, "--sort " + o.sort + ": no run has that validation value (they have: " + join(names, ", ") + ")");
    }
    return std::make_pair(o.sort, !o.ascending);
  }
  std::string monitor;
  std::optional<bool> maximize;
  for (const Row& r : rows) {
    if (r.monitor.empty()) continue;
    if (!monitor.empty() && r.monitor != monitor) return std::nullopt;  // runs of other monitors: no common order
    monitor = r.monitor;
    if (r.maximize) maximize = *r.maximize;
  }
  if (monitor.empty()) return std::nullopt;
  const std::string name = monitor.rfind("validation.", 0) == 0 ? monitor.substr(11) : monitor;
  return std::make_pair(name, o.ascending ? false : maximize.value_or(false));
}

// A value with its sign, as a difference is printed.
std::string signed_number(double v) { return (v > 0 ? "+" : "") + short_number(v); }

// Row `r` against the baseline in validation value `name`: the difference of their means, and where both are
// spreads of the same kind a t-test (eval/t_test.h): repeated seeds by Welch's, cross-validations of as many
// folds paired by fold with Nadeau and Bengio's correction. Otherwise the difference alone, saying why.
struct Versus {
  std::string text = "-";
  std::optional<eval::TTest> test;
  double difference = kNaN;
};

Versus versus(const Row& base, const Row& r, const std::string& name) {
  Versus out;
  const double x = number_or_nan(base.values.if_contains(name)), y = number_or_nan(r.values.if_contains(name));
  if (std::isnan(x) || std::isnan(y)) return out;
  out.difference = y - x;
  out.text = signed_number(out.difference);
  const auto values = [&](const Row& row) {
    std::vector<double> v;
    for (const bj::object& part : row.parts) v.push_back(number_or_nan(part.if_contains(name)));
    return v;
  };
  const std::vector<double> a = values(base), b = values(r);
  const bool finite = std::none_of(a.begin(), a.end(), [](double v) { return std::isnan(v); }) &&
                      std::none_of(b.begin(), b.end(), [](double v) { return std::isnan(v); });
  try {
    if (finite && base.summary == 's' && r.summary == 's') {
      out.test = eval::welch_t_test(a, b);
    } else if (base.summary == 'f' && r.summary == 'f' && base.split != r.split) {
      out.text += " (folds of other cases: no paired test)";
      return out;
    } else if (finite && base.summary == 'f' && r.summary == 'f' && a.size() == b.size() && a.size() > 1) {
      const double k = static_cast<double>(a.size());
      out.test = eval::paired_t_test(a, b, 1 / k + 1 / (k - 1));
    } else {
      out.text += base.summary == 0 || r.summary == 0 ? " (one run: no interval)" : " (other kinds of runs: no test)";
      return out;
    }
  } catch (const Error& e) {
    out.text += " (no test: " + std::string(e.what()) + ")";
    return out;
  }
  out.text += " [" + signed_number(out.test->lower) + ", " + signed_number(out.test->upper) + "] p=" + short_number(out.test->p);
  return out;
}

// A column of a log.csv by epoch (NaN where a cell is empty or not a number); empty without that column.
std::vector<double> logged(const fs::path& file, const std::string& column) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string_view> header = split(line, ',');
  const auto at = std::find(header.begin(), header.end(), column);
  if (at == header.end()) return {};
  const size_t c = static_cast<size_t>(at - header.begin());
  std::vector<double> values;
  while (std::getline(in, line)) {
    const std::vector<std::string_view> cells = split(line, ',');
    const std::string cell = c < cells.size() ? std::string(cells[c]) : "";
    char* end = nullptr;
    const double v = !cell.empty() ? std::strtod(cell.c_str(), &end) : kNaN;
    values.push_back(end != nullptr && *end == '\0' ? v : kNaN);
  }
  return values;
}

// `fuse runs --curves`: each row's validation `name` by epoch, a summary's as its folds' or seeds' mean at the
// epochs all of them logged.
void draw_curves(const std::vector<Row>& rows, const std::string& name, const std::string& path) {
  std::vector<CurveSeries> curves;
  for (const Row& r : rows) {
    std::vector<std::vector<double>> each;
    for (const fs::path& log : r.logs)
      if (std::vector<double> v = logged(log, "validation." + name); !v.empty()) each.push_back(std::move(v));
    if (each.empty() || each.size() < r.logs.size()) continue;  // no such column: nothing to draw
    size_t epochs = each[0].size();
    for (const auto& v : each) epochs = std::min(epochs, v.size());
    CurveSeries c;
    c.label = r.path + (each.size() > 1 ? " (mean of " + std::to_string(each.size()) + ")" : "");
    for (size_t e = 0; e < epochs; ++e) {
      double sum = 0;
      for (const auto& v : each) sum += v[e];
      c.x.push_back(static_cast<double>(e + 1));
      c.y.push_back(sum / static_cast<double>(each.size()));
    }
    if (std::any_of(c.y.begin(), c.y.end(), [](double y) { return std::isfinite(y); })) curves.push_back(std::move(c));
  }
  if (curves.empty()) throw Error(Errc::kInvalidArgument, "--curves: no run logged validation." + name + " by epoch (log.csv)");
  write_curves(curves, "validation " + name, "epoch", name, path);
  std::cout << "wrote " << path << " (validation " << name << " by epoch: " << curves.size() << (curves.size() == 1 ? " curve" : " curves") << ")\n";
}

int list_runs(const Options& o) {
  std::vector<Row> rows = find_runs(o.paths);
  const auto order = ordering(o, rows);
  if (!o.curves.empty() && !order)  // before anything is printed or written
    throw Error(Errc::kInvalidArgument, "--curves draws one validation value and these runs share no monitor: choose it with --sort NAME");
  if (order) {
    const auto& [name, higher] = *order;
    std::stable_sort(rows.begin(), rows.end(), [&, higher = higher, name = name](const Row& a, const Row& b) {
      const double x = number_or_nan(a.values.if_contains(name)), y = number_or_nan(b.values.if_contains(name));
      if (std::isnan(y)) return !std::isnan(x);  // runs without the value last
      if (std::isnan(x)) return false;
      return higher ? x > y : x < y;
    });
  }
  std::vector<std::string> names;  // the validation values: the one ordered by, then the others in the order first met
  if (order) names.push_back(order->first);
  for (const Row& r : rows)
    for (const auto& [name, v] : r.values)
      if (std::find(names.begin(), names.end(), std::string(name)) == names.end()) names.emplace_back(name);
  std::vector<std::string> header{"RUN", "EXPERIMENT", "KIND", "BEST_EPOCH"};
  for (const std::string& n : names) header.push_back(heading(n));
  // The baseline --versus names, among the rows.
  const Row* base = nullptr;
  if (!o.versus.empty()) {
    std::vector<std::string> paths;
    for (const Row& r : rows) {
      paths.push_back(r.path);
      if (r.path == o.versus || fs::path(r.path).lexically_normal() == fs::path(o.versus).lexically_normal()) base = &r;
    }
    if (base == nullptr) throw Error(Errc::kInvalidArgument, "--versus " + o.versus + ": not one of the runs listed (" + join(paths, ", ") + ")");
    if (!order) throw Error(Errc::kInvalidArgument, "--versus compares one validation value and these runs share no monitor: choose it with --sort NAME");
    header.push_back("VS " + base->path + " (" + heading(order->first) + ")");
  }
  std::vector<Versus> comparisons(rows.size());  // each row against the baseline, for the table and the CSV
  for (size_t i = 0; i < rows.size(); ++i)
    if (base != nullptr && &rows[i] != base) comparisons[i] = versus(*base, rows[i], order->first);
  header.insert(header.end(), {"SECONDS", "SETTINGS"});
  Table table(header);
  bool spread = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::vector<std::string> cells{r.path, r.experiment.empty() ? "-" : r.experiment, r.kind,
                                   r.best_epoch > 0 ? std::to_string(r.best_epoch) + " of " + std::to_string(r.epochs) : "-"};
    for (const std::string& n : names) {
      std::string cell = short_number(number_or_nan(r.values.if_contains(n)));
      if (const double sd = number_or_nan(r.sd.if_contains(n)); !std::isnan(sd)) {
        cell += " (" + short_number(sd) + ")";
        spread = true;
      }
      cells.push_back(cell);
    }
    if (base != nullptr) cells.push_back(&r == base ? "baseline" : comparisons[i].text);
    cells.push_back(std::isnan(r.seconds) ? "-" : short_number(r.seconds));
    cells.push_back(r.settings.empty() ? "-" : r.settings);
    table.add(cells);
  }
  if (order) std::cout << "by validation " << order->first << ", " << (order->second ? "highest" : "lowest") << " first\n";
  table.print(std::cout);
  if (spread) std::cout << "folds and seeds: their mean (sd)\n";
  if (base != nullptr)
    std::cout << "VS: the difference from the baseline's mean, its 95% interval and p-value: seeds by Welch's t-test, folds paired by fold "
                 "(the same data.folds) with Nadeau and Bengio's correction\n";
  if (!o.csv.empty()) {
    std::string csv = "run,experiment,kind,best_epoch,epochs";
    for (const std::string& n : names) csv += "," + csv_cell(n) + "," + csv_cell(n + "_sd");
    if (base != nullptr) csv += ",versus,versus_lower,versus_upper,versus_p";
    csv += ",seconds,settings\n";
    const auto number = [](double v) { return std::isnan(v) ? std::string() : json::format_number(v); };
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      csv += csv_cell(r.path) + "," + csv_cell(r.experiment) + "," + csv_cell(r.kind) + "," + (r.best_epoch > 0 ? std::to_string(r.best_epoch) : "") + "," +
             (r.best_epoch > 0 ? std::to_string(r.epochs) : "");
      for (const std::string& n : names) csv += "," + number(number_or_nan(r.values.if_contains(n))) + "," + number(number_or_nan(r.sd.if_contains(n)));
      if (base != nullptr) {
        const Versus& v = comparisons[i];
        csv += "," + number(&r == base ? 0.0 : v.difference);
        for (const double x : {v.test ? v.test->lower : kNaN, v.test ? v.test->upper : kNaN, v.test ? v.test->p : kNaN}) csv += "," + number(x);
      }
      csv += "," + number(r.seconds) + "," + csv_cell(r.settings) + "\n";
    }
    write_file_atomically(o.csv, csv);
    std::cout << "wrote " << o.csv << "\n";
  }
  if (!o.curves.empty()) draw_curves(rows, order->first, o.curves);
  return 0;
}

}  // namespace

void add_runs_command(CLI::App& app, int& exit_code) {
  static Options o;
  CLI::App* cmd = app.add_subcommand("runs", "Trained runs side by side (a sweep's --set variants, cross-validations, seeds): best validation values, time, settings");
  cmd->add_option("PATH", o.paths, "run folders, cross-validations' or seeds' folders, or folders holding them (default: runs)");
  cmd->add_option("--sort", o.sort, "order by this validation value, highest first (default: the runs' shared monitor, best first by its mode)");
  cmd->add_flag("--ascending", o.ascending, "lowest first");
  cmd->add_option("--csv", o.csv, "also write the table with every digit to this CSV file");
  cmd->add_option("--curves", o.curves, "also draw each run's validation value (the one ordered by) per epoch into this PNG (folds and seeds: their mean)");
  cmd->add_option("--versus", o.versus,
                  "compare every run with this one (a PATH as listed) in the value ordered by: the difference, and for seeds or folds a 95% "
                  "interval and p-value (t-tests)");
  cmd->callback([&] { exit_code = list_runs(o); });
}

}  // namespace fuse::cli
