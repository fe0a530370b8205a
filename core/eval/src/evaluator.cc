#include "fuse/eval/evaluator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <set>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/eval/bootstrap.h"
#include "fuse/json/write.h"
#include "plan.h"
#include "result_json.h"
#include "streaming.h"

namespace fuse::eval {

namespace bj = boost::json;

// ------------------------------------------------------------------------------------------------ running

namespace {

// One metric instance over one set of rows: a metric of the evaluation, one class of a one-vs-all metric, its
// micro average, or one side of a comparison.
struct Unit {
  std::string name;
  const MetricPlan* plan = nullptr;
  bj::object config;
  NDict batch;
  size_t rows = 0;
  size_t expand = 1;  // rows per data row (k for a one-vs-all micro average)
  bool report = true;
  std::unique_ptr<Metric> metric;
  std::vector<std::string> dep_units;  // the units whose results it reads
};

// A unit's result for one replicate, or why it has none (undefined replicates are skipped and counted).
struct Outcome {
  NDict result;
  std::string error;
};

// The rows of every per-row tensor of `batch` repeated counts[i] times.
NDict gather(const NDict& batch, size_t rows, const uint8_t* counts) {
  NDict out;
  size_t total = 0;
  for (size_t i = 0; i < rows; ++i) total += counts[i];
  for (const auto& [key, value] : batch.flatten()) {
    if (!value->is<Tensor>() || value->as<Tensor>().ndim() == 0 || static_cast<size_t>(value->as<Tensor>().size(0)) != rows) {
      out.set(key, *value);
      continue;
    }
    const Tensor& t = value->as<Tensor>();
    std::vector<int64_t> shape = t.shape();
    shape[0] = static_cast<int64_t>(total);
    Tensor r = Tensor::empty(shape, t.dtype());
    const size_t item = t.nbytes() / rows;
    const char* src = static_cast<const char*>(t.raw_data());
    char* dst = static_cast<char*>(r.mutable_raw_data());
    for (size_t i = 0; i < rows; ++i)
      for (uint8_t c = 0; c < counts[i]; ++c, dst += item) std::memcpy(dst, src + i * item, item);
    out.set(key, Value(std::move(r)));
  }
  return out;
}

// A read-only tensor over a column of the evaluation (no copy): the data outlives every unit of the run.
Tensor column_tensor(const std::vector<double>& v) {
  return Tensor::from_buffer(const_cast<double*>(v.data()), {static_cast<int64_t>(v.size())}, sdk::kFloat64, nullptr, false);
}

// A tensor that owns its values (for columns built on the spot).
Tensor owned_tensor(const std::vector<double>& v) { return Tensor::from_vector<double>(v, {static_cast<int64_t>(v.size())}); }

// The reported scalar outputs of a unit's result, with their names in the results.
std::vector<std::pair<std::string, double>> scalars(const Unit& u, const NDict& result) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [key, value] : result.flatten()) {
    if (!(value->is<double>() || value->is<int64_t>())) continue;
    const std::vector<std::string>& only = u.plan->outputs;
    if (!only.empty() && std::find(only.begin(), only.end(), key) == only.end()) continue;
    out.emplace_back(output_name(*u.plan, u.name, key), value->as_number());
  }
  return out;
}

std::vector<std::pair<std::string, const Tensor*>> tensors(const NDict& result) {
  std::vector<std::pair<std::string, const Tensor*>> out;
  for (const auto& [key, value] : result.flatten())
    if (value->is<Tensor>()) out.emplace_back(key, &value->as<Tensor>());
  return out;
}

// The units and the replicate machinery over one data set.
class Run {
 public:
  Run(const Registry& registry, const EvalConfig& config, const EvalPlan& plan, EvalData& data)
      : registry_(registry), config_(config), plan_(plan), data_(data) {}

  void prepare();
  // Every unit's result for a replicate (counts per data row), or for all rows once (nullptr); chart units
  // only `with_charts` (the whole data's, not a sub-group's).
  std::vector<Outcome> evaluate(const uint8_t* counts, bool with_charts = true) const;
  bj::object report();

 private:
  void build_batch();
  void add_units(const MetricPlan& p);
  Outcome evaluate_unit(const Unit& u, const uint8_t* counts, const std::vector<Outcome>& done) const;
  NDict inputs_for(const Unit& u, const std::vector<Outcome>& done) const;
  // Replicates over the given strata: per round, the outcome of every unit.
  std::vector<std::vector<Outcome>> replicates(const std::vector<Stratum>& strata, bool with_charts = true) const;
  std::vector<Stratum> class_strata(const std::vector<uint32_t>* rows) const;
  bj::object metrics_json(const std::vector<Outcome>& main, const std::vector<std::vector<Outcome>>* reps,
                          const uint8_t* counts, bj::object* arrays, bj::object* errors) const;
  std::vector<double> jackknife(const Unit& u, size_t unit_index, const std::string& output, const uint8_t* base) const;
  double output_value(const Unit& u, const Outcome& o, const std::string& name) const;

  const Registry& registry_;
  const EvalConfig& config_;
  const EvalPlan& plan_;
  EvalData& data_;
  NDict batch_;  // every numeric column as a view, plus the class scores stacked when there are several
  std::vector<Unit> units_;
  std::vector<Outcome> main_;
  std::vector<int64_t> target_class_;  // per row, when the target is a class
  size_t classes_ = 0;
};

void Run::build_batch() {
  for (const auto& [key, col] : data_.numbers) batch_.set(key, Value(column_tensor(col)));
  for (const auto& [key, parts] : plan_.stacked) {
    const size_t k = parts.size();
    Tensor s = Tensor::empty({static_cast<int64_t>(data_.rows), static_cast<int64_t>(k)}, sdk::kFloat64);
    double* out = s.mutable_data<double>();
    for (size_t c = 0; c < k; ++c)
      for (size_t r = 0; r < data_.rows; ++r) out[r * k + c] = data_.numbers.at(parts[c])[r];
    batch_.set(key, Value(std::move(s)));
  }
  if (plan_.scores.size() > 1) {
    const size_t k = plan_.scores.size();
    Tensor s = Tensor::empty({static_cast<int64_t>(data_.rows), static_cast<int64_t>(k)}, sdk::kFloat64);
    double* out = s.mutable_data<double>();
    for (size_t c = 0; c < k; ++c)
      for (size_t r = 0; r < data_.rows; ++r) out[r * k + c] = data_.numbers.at(plan_.scores[c])[r];
    batch_.set(kScores, Value(std::move(s)));
  }
}

void Run::add_units(const MetricPlan& p) {
  if (!p.spec.one_vs_all) {
    units_.push_back(Unit{p.spec.name, &p, p.config, batch_, data_.rows, 1, true, nullptr, p.deps});
    return;
  }
  // One binary problem per class (score column c against target == c) or, multi-label, per label (score column
  // c against label column c), and the pooled micro average.
  const size_t k = plan_.scores.size();
  const bool multi_label = !config_.label_columns.empty();
  std::vector<const std::vector<double>*> labels;  // multi-label: column c's targets
  for (const std::string& l : config_.label_columns) labels.push_back(&data_.numbers.at(l));
  const std::vector<double>* y = multi_label ? nullptr : &data_.numbers.at(config_.target_column);
  const auto positive = [&](size_t r, size_t c) { return multi_label ? (*labels[c])[r] : ((*y)[r] == static_cast<double>(c) ? 1.0 : 0.0); };
  bj::object cfg = p.config;
  cfg["pred"] = "ova.pred";
  cfg["target"] = "ova.target";
  std::vector<double> pooled_pred, pooled_target;
  for (size_t c = 0; c < k; ++c) {
    std::vector<double> target(data_.rows);
    for (size_t r = 0; r < data_.rows; ++r) target[r] = positive(r, c);
    NDict b;
    b.set("ova.pred", Value(column_tensor(data_.numbers.at(plan_.scores[c]))));
    b.set("ova.target", Value(owned_tensor(target)));
    const std::string unit = multi_label ? p.spec.name + "." + config_.label_columns[c] : p.spec.name + ".class_" + std::to_string(c);
    units_.push_back(Unit{unit, &p, cfg, b, data_.rows, 1, true, nullptr, {}});
  }
  std::vector<const std::vector<double>*> scores;
  for (const std::string& column : plan_.scores) scores.push_back(&data_.numbers.at(column));
  pooled_pred.reserve(data_.rows * k), pooled_target.reserve(data_.rows * k);
  for (size_t r = 0; r < data_.rows; ++r)
    for (size_t c = 0; c < k; ++c) {
      pooled_pred.push_back((*scores[c])[r]);
      pooled_target.push_back(positive(r, c));
    }
  NDict micro;
  micro.set("ova.pred", Value(owned_tensor(pooled_pred)));
  micro.set("ova.target", Value(owned_tensor(pooled_target)));
  units_.push_back(Unit{p.spec.name + ".micro", &p, cfg, micro, data_.rows * k, k, true, nullptr, {}});
}

NDict Run::inputs_for(const Unit& u, const std::vector<Outcome>& done) const {
  NDict inputs;
  for (const std::string& d : u.dep_units)
    for (size_t i = 0; i < units_.size(); ++i)
      if (units_[i].name == d && !done[i].result.empty()) inputs.set("results." + d, Value(done[i].result));
  return inputs;
}

void Run::prepare() {
  // Targets that metrics restrict (binary metrics: 0 or 1) are checked here, where rows still have their file
  // positions and ids, so the message can name them. Multi-label targets are 0 or 1 per label.
  for (const std::string& label : config_.label_columns) {
    const std::vector<double>& y = data_.numbers.at(label);
    for (size_t r = 0; r < data_.rows; ++r)
      if (y[r] != 0 && y[r] != 1)
        throw Error(Errc::kInvalidArgument, data_.describe(r) + ": label column '" + label + "' is " + json::format_number(y[r]) +
                                                "; a multi-label target is 0 (absent) or 1 (present) per label");
  }
  if (!config_.target_column.empty() && data_.numbers.count(config_.target_column)) {
    const std::vector<double>& y = data_.numbers.at(config_.target_column);
    bool integral = true;
    for (double v : y) integral = integral && v == std::floor(v) && v >= 0 && v < 1e6;
    for (const MetricPlan& p : plan_.metrics) {
      if (p.spec.chart) continue;  // a chart of targets it cannot draw is left out, not an error
      const KeySpec* target_spec = nullptr;
      for (const KeySpec& r : p.manifest->reads)
        if (r.key == "$target" && !r.values.empty()) target_spec = &r;
      if (p.spec.one_vs_all) {
        for (size_t r = 0; r < data_.rows; ++r)
          if (!(y[r] == std::floor(y[r]) && y[r] >= 0 && y[r] < static_cast<double>(plan_.scores.size())))
            throw Error(Errc::kInvalidArgument, data_.describe(r) + ": target '" + config_.target_column + "' is " +
                                                    json::format_number(y[r]) + ", but one_vs_all metric '" + p.spec.name +
                                                    "' has " + std::to_string(plan_.scores.size()) +
                                                    " score columns: targets must be 0 to " +
                                                    std::to_string(plan_.scores.size() - 1));
        continue;
      }
      if (target_spec == nullptr || p.config.if_contains("target") == nullptr ||
          p.config.at("target") != bj::value(config_.target_column))
        continue;
      for (size_t r = 0; r < data_.rows; ++r)
        if (std::find(target_spec->values.begin(), target_spec->values.end(), static_cast<int64_t>(y[r])) ==
                target_spec->values.end() || y[r] != std::floor(y[r])) {
          std::vector<std::string> allowed;
          for (int64_t a : target_spec->values) allowed.push_back(std::to_string(a));
          throw Error(Errc::kInvalidArgument,
                      data_.describe(r) + ": target '" + config_.target_column + "' is " + json::format_number(y[r]) + ", but metric '" +
                          p.spec.name + "' (" + p.manifest->id + ") accepts " + join(allowed, ", ") +
                          (plan_.scores.size() > 1 ? "; use one_vs_all for several classes" : ""));
        }
    }
    // Stratified resampling: order the rows by class, so each class is a contiguous range.
    if (integral && config_.ci.stratified && config_.ci.rounds > 0) {
      std::vector<uint32_t> by_class(data_.rows);
      std::iota(by_class.begin(), by_class.end(), 0u);
      std::stable_sort(by_class.begin(), by_class.end(), [&](uint32_t a, uint32_t b) { return y[a] < y[b]; });
      data_.select(by_class);
    }
    if (integral) {
      for (double v : data_.numbers.at(config_.target_column)) {
        target_class_.push_back(static_cast<int64_t>(v));
        classes_ = std::max(classes_, static_cast<size_t>(v) + 1);
      }
    }
  }
  build_batch();
  for (const MetricPlan& p : plan_.metrics) add_units(p);
  // Each comparison runs its metric twice, on its two prediction keys, under the same replicates.
  for (const ComparisonSpec& c : config_.comparisons)
    for (const MetricPlan& p : plan_.metrics)
      if (p.spec.name == c.metric)
        for (const std::string* side : {&c.a, &c.b}) {
          Unit u;
          u.name = "compare." + c.name + (side == &c.a ? ".a" : ".b");
          u.plan = &p;
          u.config = p.config;
          u.config["pred"] = *side;
          u.batch = batch_;
          u.rows = data_.rows;
          u.report = false;
          u.dep_units = p.deps;
          units_.push_back(std::move(u));
        }
  // Set up every unit: update with its rows (and the results it depends on), compute once.
  main_.resize(units_.size());
  for (size_t i = 0; i < units_.size(); ++i) {
    Unit& u = units_[i];
    try {
      u.metric = std::make_unique<Metric>(registry_.create_metric(u.plan->manifest->id, u.config));
      NDict batch = u.batch;
      batch.merge(inputs_for(u, main_));
      u.metric->update(batch);
      main_[i].result = u.metric->compute();
    } catch (const Error& e) {
      if (u.plan->spec.chart) {
        main_[i].error = e.what();  // no chart: the data is not what it draws
        continue;
      }
      throw Error(e.code(), "metric '" + u.name + "' (" + u.plan->spec.where + "): " + e.what());
    }
  }
}

Outcome Run::evaluate_unit(const Unit& u, const uint8_t* counts, const std::vector<Outcome>& done) const {
  Outcome o;
  for (const std::string& d : u.dep_units)
    for (size_t i = 0; i < units_.size(); ++i)
      if (units_[i].name == d && !done[i].error.empty()) {
        o.error = "it reads the results of '" + d + "', which failed: " + done[i].error;
        return o;
      }
  std::vector<uint8_t> expanded;
  const uint8_t* c = counts;
  if (u.expand > 1) {  // a pooled row counts as often as its data row
    expanded.resize(u.rows);
    for (size_t r = 0; r < data_.rows; ++r) std::fill_n(expanded.begin() + static_cast<std::ptrdiff_t>(r * u.expand), u.expand, counts[r]);
    c = expanded.data();
  }
  const NDict inputs = inputs_for(u, done);
  try {
    if (u.metric->supports_weighted()) {
      o.result = u.metric->compute_weighted(&inputs, c, u.rows);
    } else {
      // No replicate weights: build the replicate's rows and run a fresh instance over them.
      Metric fresh = registry_.create_metric(u.plan->manifest->id, u.config);
      NDict batch = gather(u.batch, u.rows, c);
      batch.merge(inputs);
      fresh.update(batch);
      o.result = fresh.compute();
    }
  } catch (const Error& e) {
    o.error = e.what();
  }
  return o;
}

std::vector<Outcome> Run::evaluate(const uint8_t* counts, bool with_charts) const {
  if (counts == nullptr) return main_;
  std::vector<Outcome> out(units_.size());
  for (size_t i = 0; i < units_.size(); ++i) {
    if (units_[i].plan->spec.chart && (!with_charts || !main_[i].error.empty())) {
      out[i].error = "a chart, not computed here";
      continue;
    }
    out[i] = evaluate_unit(units_[i], counts, out);
  }
  return out;
}

std::vector<Stratum> Run::class_strata(const std::vector<uint32_t>* rows) const {
  // Rows of each class (of `rows`, or of all rows): contiguous ranges when the rows are ordered by class.
  std::vector<Stratum> strata;
  if (rows == nullptr) {
    if (target_class_.empty() || !config_.ci.stratified) return {Stratum{0, data_.rows, nullptr}};
    size_t start = 0;
    for (size_t r = 1; r <= data_.rows; ++r)
      if (r == data_.rows || target_class_[r] != target_class_[start]) {
        strata.push_back(Stratum{start, r, nullptr});
        start = r;
      }
    return strata;
  }
  if (target_class_.empty() || !config_.ci.stratified) return {Stratum{0, rows->size(), rows->data()}};
  // `rows` is in row order, so its classes are contiguous too.
  size_t start = 0;
  for (size_t i = 1; i <= rows->size(); ++i)
    if (i == rows->size() || target_class_[(*rows)[i]] != target_class_[(*rows)[start]]) {
      strata.push_back(Stratum{start, i, rows->data()});
      start = i;
    }
  return strata;
}

std::vector<std::vector<Outcome>> Run::replicates(const std::vector<Stratum>& strata, bool with_charts) const {
  const size_t rounds = static_cast<size_t>(config_.ci.rounds);
  std::vector<std::vector<Outcome>> out(rounds);
  tbb::task_arena arena(config_.threads > 0 ? static_cast<int>(config_.threads) : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, rounds), [&](const tbb::blocked_range<size_t>& range) {
      std::vector<uint8_t> counts(data_.rows);
      for (size_t r = range.begin(); r != range.end(); ++r) {
        draw_counts(config_.ci.seed, r, strata, counts);
        out[r] = evaluate(counts.data(), with_charts);
      }
    });
  });
  return out;
}

double Run::output_value(const Unit& u, const Outcome& o, const std::string& name) const {
  if (!o.error.empty()) return NAN;
  for (const auto& [n, v] : scalars(u, o.result))
    if (n == name) return v;
  return NAN;
}

std::vector<double> Run::jackknife(const Unit& u, size_t unit_index, const std::string& output, const uint8_t* base) const {
  // Leave one row out (or, past 1000 rows, one of 1000 interleaved groups: the grouped jackknife).
  const size_t n = data_.rows, groups = std::min<size_t>(n, 1000);
  std::vector<double> out(groups);
  tbb::task_arena arena(config_.threads > 0 ? static_cast<int>(config_.threads) : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<size_t>(0, groups), [&](const tbb::blocked_range<size_t>& range) {
      std::vector<uint8_t> counts(n);
      for (size_t g = range.begin(); g != range.end(); ++g) {
        for (size_t r = 0; r < n; ++r) counts[r] = r % groups == g ? 0 : (base ? base[r] : 1);
        std::vector<Outcome> done(units_.size());
        for (size_t i = 0; i <= unit_index; ++i) done[i] = evaluate_unit(units_[i], counts.data(), done);
        out[g] = output_value(u, done[unit_index], output);
      }
    });
  });
  return out;
}

bj::object Run::metrics_json(const std::vector<Outcome>& main, const std::vector<std::vector<Outcome>>* reps,
                             const uint8_t* counts, bj::object* arrays, bj::object* errors) const {
  bj::object metrics;
  // One-vs-all and multi-label: per metric output, the class values, and per bootstrap round their sum (NaN when
  // one is undefined in that round), for the macro average's interval.
  std::map<std::string, std::vector<double>> macro, macro_rounds;
  std::set<std::string> macro_skips;  // macro averages of the defined classes only ("undefined": "skip")
  // Each macro average right after its metric's class (or label) values; those of a metric whose units ended
  // in an error at the end.
  const auto flush_macro = [&](const std::string& prefix) {
    for (auto it = macro.begin(); it != macro.end();) {
      if (it->first.rfind(prefix, 0) != 0) {
        ++it;
        continue;
      }
      const std::string& name = it->first;
      const std::vector<double>& values = it->second;
      const bool partial = values.size() < plan_.scores.size();
      if (partial && !macro_skips.count(name)) {  // a class's value undefined: no mean of the others passed for all
        if (errors != nullptr)
          (*errors)[name] = "undefined for " + std::to_string(plan_.scores.size() - values.size()) + " of the " + std::to_string(plan_.scores.size()) + " classes";
        it = macro.erase(it);
        continue;
      }
      double sum = 0;
      for (double v : values) sum += v;
      const double classes = static_cast<double>(values.size());
      bj::object entry{{"value", number(sum / classes)}};
      if (macro_skips.count(name)) entry["classes"] = bj::object{{"scored", static_cast<int64_t>(values.size())}, {"of", static_cast<int64_t>(plan_.scores.size())}};
      if (reps != nullptr) {
        // The mean over classes per round; a round where a class's value is undefined is skipped. Percentile
        // intervals only: BCa's jackknife is per unit.
        std::vector<double> means;
        size_t skipped = 0;
        for (double s : macro_rounds.at(name)) {
          if (std::isnan(s)) ++skipped;
          means.push_back(s / classes);
        }
        const Interval ci = percentile_interval(means, config_.ci.level);
        entry["ci"] = bj::object{{"lower", number(ci.lower)},
                                 {"upper", number(ci.upper)},
                                 {"level", config_.ci.level},
                                 {"rounds", static_cast<int64_t>(means.size() - skipped)},
                                 {"skipped", static_cast<int64_t>(skipped)},
                                 {"method", "percentile"}};
      }
      metrics[name] = std::move(entry);
      it = macro.erase(it);
    }
  };
  for (size_t i = 0; i < units_.size(); ++i) {
    const Unit& u = units_[i];
    if (i > 0 && units_[i - 1].plan != u.plan) flush_macro(units_[i - 1].plan->spec.name + ".macro");
    if (!u.report) continue;
    const bool chart = u.plan->spec.chart;
    if (chart && (arrays == nullptr || !main[i].error.empty())) continue;
    if (!main[i].error.empty()) {
      if (errors == nullptr) throw Error(Errc::kNumeric, "metric '" + u.name + "': " + main[i].error);
      (*errors)[u.name] = main[i].error;
      continue;
    }
    for (const auto& [name, value] : chart ? std::vector<std::pair<std::string, double>>() : scalars(u, main[i].result)) {
      bj::object entry{{"value", number(value)}};
      if (reps != nullptr) {
        std::vector<double> values;
        size_t skipped = 0;
        for (const auto& round : *reps) {
          const double v = output_value(u, round[i], name);
          if (std::isnan(v)) ++skipped;
          values.push_back(v);
        }
        Interval ci = config_.ci.method == "bca" ? bca_interval(values, value, jackknife(u, i, name, counts), config_.ci.level)
                                                 : percentile_interval(values, config_.ci.level);
        entry["ci"] = bj::object{{"lower", number(ci.lower)},
                                 {"upper", number(ci.upper)},
                                 {"level", config_.ci.level},
                                 {"rounds", static_cast<int64_t>(reps->size() - skipped)},
                                 {"skipped", static_cast<int64_t>(skipped)},
                                 {"method", config_.ci.method}};
      }
      metrics[name] = std::move(entry);
      if (u.plan->spec.one_vs_all && u.name != u.plan->spec.name + ".micro") {
        const std::string macro_name = u.plan->spec.name + ".macro" + name.substr(u.name.size());
        macro[macro_name].push_back(value);
        if (u.plan->spec.skip_undefined) macro_skips.insert(macro_name);
        if (reps != nullptr) {
          std::vector<double>& sums = macro_rounds[macro_name];
          sums.resize(reps->size(), 0.0);
          for (size_t round = 0; round < reps->size(); ++round) sums[round] += output_value(u, (*reps)[round][i], name);
        }
      }
    }
    if (arrays != nullptr && chart)  // a chart's numbers (its AUC, ECE) stay beside its curves, for the titles
      for (const auto& [name, value] : scalars(u, main[i].result)) {
        unit_arrays(*arrays, u.name)[name_within_unit(name, u.name)] = number(value);
      }
    if (arrays != nullptr)
      for (const auto& [key, t] : tensors(main[i].result)) {
        bj::object& curve = unit_arrays(*arrays, u.name);
        curve[key] = tensor_json(*t);
        if (reps != nullptr && !reps->empty() && t->ndim() == 1 && sdk::is_floating(t->dtype())) {
          // A band: per element, the percentile interval over the replicates. An array that no replicate
          // changes is an axis the config fixed (a time-dependent AUC's times), not an estimate: no band.
          const size_t n = static_cast<size_t>(t->numel());
          const std::vector<double> point = tensor_values(*t);
          std::vector<std::vector<double>> rounds;
          for (const auto& round : *reps)
            if (round[i].error.empty() && round[i].result.has(key)) rounds.push_back(tensor_values(round[i].result.get<Tensor>(key)));
          std::vector<double> lower(n), upper(n);
          bool varies = false;
          for (size_t e = 0; e < n; ++e) {
            std::vector<double> v;
            for (const std::vector<double>& r : rounds) v.push_back(r[e]);
            for (double x : v) varies = varies || !(x == point[e] || (std::isnan(x) && std::isnan(point[e])));
            Interval ci = percentile_interval(v, config_.ci.level);
            lower[e] = ci.lower, upper[e] = ci.upper;
          }
          if (varies) {
            curve[key + "_lower"] = numbers(lower);
            curve[key + "_upper"] = numbers(upper);
          }
        }
      }
  }
  flush_macro("");
  return metrics;
}

bj::object Run::report() {
  bj::object out;
  const bool ci = config_.ci.rounds > 0;
  std::vector<std::vector<Outcome>> reps;
  if (ci) reps = replicates(class_strata(nullptr));
  bj::object arrays;
  out["metrics"] = metrics_json(main_, ci ? &reps : nullptr, nullptr, &arrays, nullptr);
  if (!arrays.empty()) out["arrays"] = std::move(arrays);

  // Sub-groups and folds: the same metrics on the rows of each level (0/1 counts), with their own intervals.
  auto by_level = [&](const std::string& column) {
    const Categorical& cat = data_.categories.at(column);
    bj::object levels;
    for (uint32_t level = 0; level < cat.levels.size(); ++level) {
      std::vector<uint8_t> counts(data_.rows, 0);
      std::vector<uint32_t> rows;
      for (uint32_t r = 0; r < data_.rows; ++r)
        if (cat.codes[r] == level) counts[r] = 1, rows.push_back(r);
      const std::vector<Outcome> result = evaluate(counts.data(), false);
      std::vector<std::vector<Outcome>> level_reps;
      if (ci) level_reps = replicates(class_strata(&rows), false);
      bj::object errors;
      bj::object entry{{"rows", static_cast<int64_t>(rows.size())},
                       {"metrics", metrics_json(result, ci ? &level_reps : nullptr, counts.data(), nullptr, &errors)}};
      if (!errors.empty()) entry["errors"] = std::move(errors);
      levels[cat.levels[level]] = std::move(entry);
    }
    return levels;
  };
  if (!config_.group_columns.empty()) {
    bj::object groups;
    for (const std::string& g : config_.group_columns) groups[g] = by_level(g);
    out["groups"] = std::move(groups);
  }
  const std::string fold = config_.folds_from_files ? "fold" : config_.fold_column;
  if (!fold.empty()) {
    bj::object folds = by_level(fold);
    // Across folds: the mean and standard deviation of each metric's per-fold value.
    std::map<std::string, std::vector<double>> per_metric;
    for (const auto& level : folds)
      for (const auto& m : level.value().at("metrics").as_object())
        if (m.value().at("value").is_number()) per_metric[std::string(m.key())].push_back(m.value().at("value").to_number<double>());
    bj::object mean, sd;
    for (const auto& [name, v] : per_metric) {
      double sum = 0, sq = 0;
      for (double x : v) sum += x;
      const double m = sum / static_cast<double>(v.size());
      for (double x : v) sq += (x - m) * (x - m);
      mean[name] = number(m);
      sd[name] = v.size() > 1 ? number(std::sqrt(sq / static_cast<double>(v.size() - 1))) : bj::value(nullptr);
    }
    folds["aggregated"] = bj::object{{"folds", static_cast<int64_t>(folds.size())}, {"mean", std::move(mean)}, {"std", std::move(sd)}};
    out["folds"] = std::move(folds);
  }

  if (!config_.comparisons.empty()) {
    bj::object comparisons;
    for (const ComparisonSpec& c : config_.comparisons) {
      size_t ia = 0, ib = 0;
      for (size_t i = 0; i < units_.size(); ++i) {
        if (units_[i].name == "compare." + c.name + ".a") ia = i;
        if (units_[i].name == "compare." + c.name + ".b") ib = i;
      }
      if (!main_[ia].error.empty() || !main_[ib].error.empty())
        throw Error(Errc::kNumeric, c.where + ": comparison '" + c.name + "': " + (main_[ia].error.empty() ? main_[ib].error : main_[ia].error));
      bj::object outputs;
      for (const auto& [name_a, a] : scalars(units_[ia], main_[ia].result)) {
        const std::string output = name_a.size() > units_[ia].name.size() ? name_a.substr(units_[ia].name.size() + 1) : c.metric;
        const std::string name_b = name_a.size() > units_[ia].name.size() ? units_[ib].name + "." + output : units_[ib].name;
        const double b = output_value(units_[ib], main_[ib], name_b);
        std::vector<double> diffs;
        size_t below = 0, above = 0;
        for (const auto& round : reps) {
          const double d = output_value(units_[ia], round[ia], name_a) - output_value(units_[ib], round[ib], name_b);
          if (std::isnan(d)) continue;
          diffs.push_back(d);
          below += d <= 0;
          above += d >= 0;
        }
        // Two-sided paired bootstrap p: twice the smaller tail of the replicate differences around 0.
        const double n = static_cast<double>(diffs.size());
        const double p = n > 0 ? std::min(1.0, 2.0 * std::min(below, above) / n) : NAN;
        const Interval ci_diff = percentile_interval(diffs, config_.ci.level);
        outputs[output] = bj::object{{"a", number(a)},
                                     {"b", number(b)},
                                     {"difference", number(a - b)},
                                     {"ci", bj::object{{"lower", number(ci_diff.lower)},
                                                       {"upper", number(ci_diff.upper)},
                                                       {"level", config_.ci.level},
                                                       {"rounds", static_cast<int64_t>(diffs.size())}}},
                                     {"p", number(p)}};
      }
      comparisons[c.name] = bj::object{{"metric", c.metric}, {"a", c.a}, {"b", c.b}, {"outputs", std::move(outputs)}};
    }
    out["comparisons"] = std::move(comparisons);
  }

  bj::object data{{"rows", static_cast<int64_t>(data_.rows)}, {"dropped", static_cast<int64_t>(data_.dropped)}};
  if (config_.skip_rows_without_target) data["without_target"] = static_cast<int64_t>(data_.without_target);
  bj::array files;
  for (const std::string& f : data_.files) files.push_back(bj::value(f));
  data["files"] = std::move(files);
  if (!config_.target_column.empty()) data["target"] = config_.target_column;
  if (!config_.label_columns.empty()) {
    bj::object labels;  // each label's positive rows
    for (const std::string& l : config_.label_columns) {
      int64_t positives = 0;
      for (double v : data_.numbers.at(l)) positives += v == 1;
      labels[l] = positives;
    }
    data["labels"] = std::move(labels);
  }
  bj::array scores;
  for (const std::string& s : plan_.scores) scores.push_back(bj::value(s));
  data["scores"] = std::move(scores);
  if (!target_class_.empty()) {
    std::vector<int64_t> count(classes_, 0);
    for (int64_t c : target_class_) ++count[static_cast<size_t>(c)];
    bj::object classes;
    for (size_t c = 0; c < classes_; ++c) classes[std::to_string(c)] = count[c];
    data["classes"] = std::move(classes);
  }
  out["data"] = std::move(data);
  return out;
}

// A metric's key naming a tensor written in several columns (<key>_0, <key>_1, ...: a survival curve) reads
// them as one [rows, k] tensor under the key.
void stack_numbered(const EvalConfig& config, EvalPlan& plan) {
  std::vector<std::string> keys;
  for (const MetricPlan& m : plan.metrics) keys.insert(keys.end(), m.columns.begin(), m.columns.end());
  plan.stacked = numbered_columns(config, keys);
  for (const auto& [key, parts] : plan.stacked)
    for (std::vector<std::string>* list : {&plan.wanted.numbers, &plan.checked}) {
      list->erase(std::remove(list->begin(), list->end(), key), list->end());
      for (const std::string& p : parts)
        if (std::find(list->begin(), list->end(), p) == list->end()) list->push_back(p);
    }
}

}  // namespace

Evaluator::Evaluator(const Registry& registry, EvalConfig config) : registry_(registry), config_(std::move(config)) {}
Evaluator::~Evaluator() = default;

bj::object Evaluator::run() {
  std::vector<std::string> scores = expand_columns(config_, config_.score_columns);
  config_.label_columns = expand_columns(config_, config_.label_columns);
  EvalPlan plan = make_plan(registry_, config_, scores);
  stack_numbered(config_, plan);
  if (config_.streaming) return run_streaming(registry_, config_, plan);
  EvalData data = load_predictions(config_, plan.wanted);
  clean(data, config_, plan.checked, plan.scores);
  Run run(registry_, config_, plan, data);
  run.prepare();
  return run.report();
}

bj::object Evaluator::run(EvalData data) {
  EvalPlan plan = make_plan(registry_, config_, config_.score_columns);
  clean(data, config_, plan.checked, plan.scores);
  Run run(registry_, config_, plan, data);
  run.prepare();
  return run.report();
}

}  // namespace fuse::eval
