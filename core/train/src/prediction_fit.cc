#include "fuse/train/prediction_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "fuse/manifest/config_schema.h"
#include "fuse_sdk/dtype.hpp"
#include "tensor_math.h"

namespace fuse::train {

namespace bj = boost::json;

BreslowBaseline breslow_baseline(const std::vector<double>& risk, const std::vector<double>& time, const std::vector<double>& event) {
  const size_t n = risk.size();
  if (time.size() != n || event.size() != n)
    throw Error(Errc::kInvalidArgument, "Breslow baseline: " + std::to_string(n) + " risks, " + std::to_string(time.size()) + " times and " +
                                            std::to_string(event.size()) + " events; one of each per row");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(risk[i])) throw Error(Errc::kNumeric, "row " + std::to_string(i) + " has the risk " + json::format_number(risk[i]));
    if (!(std::isfinite(time[i]) && time[i] >= 0)) throw Error(Errc::kInvalidArgument, "row " + std::to_string(i) + " has the time " + json::format_number(time[i]) + ", not a time >= 0");
    if (event[i] != 0 && event[i] != 1) throw Error(Errc::kInvalidArgument, "row " + std::to_string(i) + " has the event " + json::format_number(event[i]) + "; events are 0 or 1");
  }
  if (std::find(event.begin(), event.end(), 1.0) == event.end())
    throw Error(Errc::kInvalidArgument, "none of the " + std::to_string(n) + " rows has an event, so there is no baseline hazard to estimate");
  // exp(risk - top) keeps the sums finite whatever the risks' scale; the hazard is scaled back by exp(-top).
  const double top = *std::max_element(risk.begin(), risk.end());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return time[a] < time[b]; });
  double at_risk = 0;  // sum of exp(risk - top) over the rows with time >= the current one
  for (size_t i : order) at_risk += std::exp(risk[i] - top);
  BreslowBaseline b;
  double cumulative = 0;
  for (size_t k = 0; k < n;) {
    size_t end = k;
    double events = 0, leaving = 0;
    for (; end < n && time[order[end]] == time[order[k]]; ++end) {
      events += event[order[end]];
      leaving += std::exp(risk[order[end]] - top);
    }
    if (events > 0) {
      cumulative += events / at_risk * std::exp(-top);
      b.times.push_back(time[order[k]]);
      b.hazard.push_back(cumulative);
    }
    at_risk -= leaving;
    k = end;
  }
  return b;
}

bool awaits_prediction_fit(const data::Step& step) { return step.fit && step.fit->on_predictions() && !step.fit->done; }

namespace {

// The keys `step` reads or writes, from its op's manifest and its config (each repeat entry's).
std::set<std::string> step_keys(const Registry& registry, const data::Step& step, bool writes) {
  std::set<std::string> keys;
  if (step.op.empty()) return keys;
  const ComponentManifest& component = registry.component(step.op);
  for (const bj::object& config : step.run_configs()) {
    bj::object resolved;
    try {
      resolved = resolve_config(component, config);
    } catch (const std::exception&) {
      continue;  // the pipeline says what is wrong with it
    }
    for (const auto& [key, spec] : resolve_keys(writes ? component.writes : component.reads, resolved)) keys.insert(key);
  }
  return keys;
}

}  // namespace

std::vector<std::string> waiting_for_prediction_fit(const Registry& registry, const std::vector<data::Step>& steps) {
  std::vector<std::string> waits(steps.size());
  std::map<std::string, std::string> later;  // a key a waiting step writes -> the step's description
  for (size_t k = 0; k < steps.size(); ++k) {
    const data::Step& s = steps[k];
    const std::string self = "'" + s.op + "'" + (s.where.empty() ? "" : " (" + s.where + ")");
    if (awaits_prediction_fit(s)) waits[k] = self;
    for (const std::string& key : step_keys(registry, s, false))
      if (waits[k].empty() && later.count(key)) waits[k] = self + ", which reads '" + key + "' from " + later.at(key);
    if (waits[k].empty()) continue;
    for (const std::string& key : step_keys(registry, s, true)) later.emplace(key, waits[k]);
  }
  return waits;
}

std::vector<data::Step> without_awaiting(const Registry& registry, const std::vector<data::Step>& steps) {
  const std::vector<std::string> waits = waiting_for_prediction_fit(registry, steps);
  std::vector<data::Step> kept;
  for (size_t k = 0; k < steps.size(); ++k)
    if (waits[k].empty()) kept.push_back(steps[k]);
  return kept;
}

void refuse_metrics_reading_awaiting(const Registry& registry, const std::vector<data::Step>& postprocess, const std::vector<MetricSpec>& metrics) {
  const std::vector<std::string> waits = waiting_for_prediction_fit(registry, postprocess);
  for (size_t k = 0; k < postprocess.size(); ++k) {
    if (waits[k].empty()) continue;
    const std::set<std::string> written = step_keys(registry, postprocess[k], true);
    for (const MetricSpec& m : metrics)
      for (const auto& field : m.config)
        if (field.value().is_string() && written.count(std::string(field.value().as_string())))
          throw Error(Errc::kConfig, (m.where.empty() ? "" : m.where + ": ") + "metric '" + m.name + "' reads '" + std::string(field.value().as_string()) +
                                         "', which the postprocess writes only once training ends (fitted to the trained model's outputs): step " + waits[k] +
                                         "; score it in 'evaluation' instead");
  }
}

namespace {

// One number per row of a batch of `rows`: a tensor [rows] or [rows, 1] (on any device), or a list of
// numbers or bools (a table's column). An empty cell is NaN.
std::vector<double> row_numbers(const Value& value, size_t rows) {
  std::vector<double> out;
  if (value.is<List>()) {
    for (const Value& x : value.as<List>()) {
      if (x.is_null()) out.push_back(std::nan(""));
      else if (x.is<bool>()) out.push_back(x.as<bool>() ? 1 : 0);
      else if (x.is<int64_t>() || x.is<double>()) out.push_back(x.as_number());
      else throw Error(Errc::kType, "it holds a list with " + x.summary() + "; one number per row is needed");
    }
  } else if (value.is<Tensor>()) {
    Tensor t = to_host(value.as<Tensor>());
    if (!t.is_contiguous()) t = t.clone();
    const std::vector<int64_t>& shape = t.shape();
    if (shape.empty() || shape.size() > 2 || (shape.size() == 2 && shape[1] != 1))
      throw Error(Errc::kShape, "one number per row is needed ([B] or [B, 1]), found " + value.summary());
    out.resize(static_cast<size_t>(t.numel()));
    if (!sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
          const auto* p = t.data<decltype(tag)>();
          for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
        }))
      throw Error(Errc::kType, "its tensor has dtype " + sdk::dtype_name(t.dtype()) + ", which cannot be read as numbers");
  } else if (rows == 1 && (value.is<int64_t>() || value.is<double>() || value.is<bool>())) {
    out.push_back(value.is<bool>() ? (value.as<bool>() ? 1 : 0) : value.as_number());
  } else {
    throw Error(Errc::kType, "it holds " + value.summary() + "; one number per row is needed");
  }
  if (out.size() != rows) throw Error(Errc::kShape, "it has " + std::to_string(out.size()) + " values for a batch of " + std::to_string(rows));
  return out;
}

}  // namespace

PredictionFits::PredictionFits(const Registry& registry, const std::vector<data::Step>& steps, std::string name) : steps_(steps), name_(std::move(name)) {
  for (size_t s = 0; s < steps.size(); ++s) {
    if (!awaits_prediction_fit(steps[s])) continue;
    const data::Step& step = steps[s];
    const ComponentManifest& c = registry.component(step.op);
    if (!c.fit || !c.fit->on_predictions())
      throw Error(Errc::kConfig, where(s) + "'fit': {\"time\", \"event\"} fits a step to the trained model's outputs, but op '" + step.op +
                                     "' fits nothing of them (its manifest's 'fit' names no breslow_* statistic); fuse.ops.cox_survival does");
    if (!step.repeat.empty()) throw Error(Errc::kConfig, where(s) + "'fit': a step fitted to the model's outputs runs once: no 'repeat'");
    const bj::value* key = step.config.if_contains(c.fit->of);
    if (key == nullptr || !key->is_string()) throw Error(Errc::kConfig, where(s) + "'fit': '" + c.fit->of + "' must name the key of the model's output to fit to");
    for (const auto& [field, statistic] : c.fit->set)
      if (const bj::value* given = step.config.if_contains(field); given && !given->is_null())
        throw Error(Errc::kConfig, where(s) + "'" + field + "' is given and 'fit' would set it to the " + statistic + " of the trained model's outputs: remove one of them");
    Fit f;
    f.step = s;
    f.key = std::string(key->as_string());
    f.set = c.fit->set;
    fits_.push_back(std::move(f));
  }
}

std::string PredictionFits::where(size_t step) const {
  return name_ + " step " + std::to_string(step + 1) + (steps_[step].where.empty() ? "" : " (" + steps_[step].where + ")") + ": ";
}

void PredictionFits::add(const NDict& batch, const std::vector<std::string>& ids) {
  for (Fit& f : fits_) {
    const data::StepFit& fit = *steps_[f.step].fit;
    std::vector<double>* columns[] = {&f.value, &f.time, &f.event};
    const std::string* keys[] = {&f.key, &fit.time, &fit.event};
    for (size_t c = 0; c < 3; ++c) {
      const Value* value = batch.find(*keys[c]);
      try {
        if (value == nullptr) throw Error(Errc::kKeyNotFound, batch.missing_key_message(*keys[c]));
        const std::vector<double> numbers = row_numbers(*value, ids.size());
        for (size_t r = 0; r < numbers.size(); ++r) {
          const double x = numbers[r];
          const std::string has = "sample '" + ids[r] + "' has the " + (c == 0 ? "output " : c == 1 ? "time " : "event ") + json::format_number(x);
          if (c == 0 && !std::isfinite(x)) throw Error(Errc::kNumeric, has);
          if (c == 1 && !(std::isfinite(x) && x >= 0))
            throw Error(Errc::kInvalidArgument, has + "; times are >= 0 (a source's \"required\" leaves rows with empty cells out)");
          if (c == 2 && x != 0 && x != 1) throw Error(Errc::kInvalidArgument, has + "; events are 0 or 1");
        }
        columns[c]->insert(columns[c]->end(), numbers.begin(), numbers.end());
      } catch (const Error& e) {
        throw Error(e.code(), where(f.step) + "fitting '" + steps_[f.step].op + "' to the trained model's outputs on the training samples: key '" + *keys[c] +
                                  "': " + e.what());
      }
    }
  }
}

std::vector<std::string> PredictionFits::finish(std::vector<data::Step>& steps) const {
  std::vector<std::string> lines;
  for (const Fit& f : fits_) {
    data::Step& step = steps.at(f.step);
    const std::string context = where(f.step) + "fitting '" + step.op + "' to the trained model's '" + f.key + "' on the " + std::to_string(f.value.size()) +
                                " training samples: ";
    BreslowBaseline b;
    try {
      b = breslow_baseline(f.value, f.time, f.event);
    } catch (const Error& e) {
      throw Error(e.code(), context + e.what());
    }
    step.fit->fields.clear();
    for (const auto& [field, statistic] : f.set) {
      const std::vector<double>& values = statistic == "breslow_times" ? b.times : b.hazard;
      step.config[field] = bj::array(values.begin(), values.end());
      step.fit->fields.push_back(field);
    }
    step.fit->done = true;
    char last[64];
    std::snprintf(last, sizeof last, "cumulative hazard %.4g by %.4g", b.hazard.back(), b.times.back());
    lines.push_back("fitted " + where(f.step) + step.op + " on '" + f.key + "': Breslow baseline hazard at " + std::to_string(b.times.size()) +
                    " event times from " + std::to_string(f.value.size()) + " training samples (" + last + ")");
  }
  return lines;
}

void take_prediction_fits(const Registry& registry, const bj::value& run_config, std::vector<data::Step>& steps) {
  for (data::Step& step : steps) {
    if (!awaits_prediction_fit(step) || step.pointer.empty()) continue;
    boost::system::error_code ec;
    const bj::value* written = run_config.find_pointer(step.pointer, ec);
    if (written == nullptr || !written->is_object() || written->as_object().contains("fit")) continue;
    const ComponentManifest& c = registry.component(step.op);
    if (!c.fit) continue;
    std::vector<std::string> fields;
    for (const auto& [field, statistic] : c.fit->set)
      if (const bj::value* v = written->as_object().if_contains(field)) step.config[field] = *v, fields.push_back(field);
    if (fields.size() != c.fit->set.size()) continue;
    step.fit->fields = std::move(fields);
    step.fit->done = true;
  }
}

}  // namespace fuse::train
