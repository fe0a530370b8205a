#include "plan.h"

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/manifest/config_schema.h"

namespace fuse::eval {
namespace {

namespace bj = boost::json;

std::vector<const ComponentManifest*> metric_components(const Registry& registry) {
  std::vector<const ComponentManifest*> out;
  for (const std::string& id : registry.component_ids()) {
    try {
      const ComponentManifest& c = registry.component(id);
      if (c.kind == ComponentKind::kMetric) out.push_back(&c);
    } catch (const Error&) {
      // an id offered by two plugins: reported when it is used
    }
  }
  return out;
}

std::string short_name(const std::string& id) { return id.substr(id.rfind('.') + 1); }

// A metric named by its id, its short name ("auc") or one of its outputs ("accuracy": then only that output).
const ComponentManifest& resolve_metric(const Registry& registry, const MetricSpec& spec, std::vector<std::string>& outputs) {
  const std::vector<const ComponentManifest*> all = metric_components(registry);
  for (const ComponentManifest* c : all)
    if (c->id == spec.component) return *c;
  std::vector<const ComponentManifest*> by_name, by_output;
  for (const ComponentManifest* c : all) {
    if (short_name(c->id) == spec.component) by_name.push_back(c);
    for (const KeySpec& w : c->writes)
      if (w.key == spec.component && w.type != "tensor") by_output.push_back(c);
  }
  const auto& found = by_name.empty() ? by_output : by_name;
  if (found.size() == 1) {
    if (by_name.empty()) outputs = {spec.component};
    return *found[0];
  }
  if (found.size() > 1) {
    std::vector<std::string> ids;
    for (const ComponentManifest* c : found) ids.push_back(c->id);
    throw Error(Errc::kConfig, spec.where + ": '" + spec.component + "' names several metrics (" + join(ids, ", ") +
                                   "); give the component id");
  }
  std::vector<std::string> names;
  for (const ComponentManifest* c : all) {
    names.push_back(short_name(c->id));
    for (const KeySpec& w : c->writes)
      if (w.type == "double") names.push_back(w.key);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  throw Error(Errc::kConfig, spec.where + ": unknown metric '" + spec.component + "'" + did_you_mean(spec.component, names) +
                                 " (known: " + join(names, ", ") + ")");
}

// Metrics ordered so that each comes after those whose results it reads; a cycle is an error.
std::vector<MetricPlan> ordered(const std::vector<MetricPlan>& plans) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < plans.size(); ++i) index[plans[i].spec.name] = i;
  std::vector<int> state(plans.size(), 0);  // 0 new, 1 on the current path, 2 placed
  std::vector<MetricPlan> out;
  std::vector<std::string> path;
  std::function<void(size_t)> visit = [&](size_t i) {
    if (state[i] == 2) return;
    path.push_back(plans[i].spec.name);
    if (state[i] == 1) {
      const auto first = std::find(path.begin(), path.end(), plans[i].spec.name);
      throw Error(Errc::kConfig, "metrics read each other's results in a cycle: " +
                                     join(std::vector<std::string>(first, path.end()), " -> "));
    }
    state[i] = 1;
    for (const std::string& d : plans[i].deps) visit(index.at(d));
    state[i] = 2;
    path.pop_back();
    out.push_back(plans[i]);
  };
  for (size_t i = 0; i < plans.size(); ++i) visit(i);
  return out;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

std::string output_name(const MetricPlan& plan, const std::string& unit, const std::string& key) {
  const bool chosen = plan.outputs.size() == 1 && plan.outputs[0] == key;
  return chosen || key == short_name(plan.manifest->id) ? unit : unit + "." + key;
}

EvalPlan make_plan(const Registry& registry, const EvalConfig& config, std::vector<std::string> scores) {
  EvalPlan plan;
  plan.scores = std::move(scores);
  plan.score_key = plan.scores.size() == 1 ? plan.scores[0] : kScores;
  if (config.metrics.empty()) throw Error(Errc::kConfig, "no metric to compute: give --metric NAME (e.g. --metric auc)");
  std::vector<std::string> names;
  for (const MetricSpec& m : config.metrics) {
    if (std::find(names.begin(), names.end(), m.name) != names.end())
      throw Error(Errc::kConfig, m.where + ": metric name '" + m.name + "' is used twice");
    names.push_back(m.name);
  }
  const bool multi_label = !config.label_columns.empty();
  if (multi_label) {
    if (!config.target_column.empty())
      throw Error(Errc::kConfig, "give a target column (--target-col '" + config.target_column + "') or label columns (--label-col: multi-label), not both");
    if (config.label_columns.size() != plan.scores.size())
      throw Error(Errc::kConfig, std::to_string(config.label_columns.size()) + " label columns (" + join(config.label_columns, ", ") + ") for " +
                                     std::to_string(plan.scores.size()) + " score columns (" + join(plan.scores, ", ") +
                                     "): multi-label pairs the i-th label column with the i-th score column");
  }
  std::vector<MetricPlan> plans;
  bool survival_taken[4] = {false, false, false, false};  // time, event, horizon, higher_is_longer
  for (const MetricSpec& spec : config.metrics) {
    MetricPlan p;
    p.spec = spec;
    p.manifest = &resolve_metric(registry, spec, p.outputs);
    p.config = spec.config;
    const std::string who = spec.where + ": metric '" + spec.name + "' (" + p.manifest->id + ")";
    if (p.manifest->field("pred") != nullptr && !p.config.contains("pred")) {
      if (plan.scores.empty()) throw Error(Errc::kConfig, who + " needs scores: give the score column (--score-col)");
      p.config["pred"] = plan.score_key;
    }
    if (p.manifest->field("target") != nullptr && !p.config.contains("target")) {
      if (multi_label) {
        // Per label, as one-vs-all per class: each unit binds its own label column and score column.
        p.spec.one_vs_all = true;
        p.config["target"] = config.label_columns[0];
      } else {
        if (config.target_column.empty()) throw Error(Errc::kConfig, who + " needs targets: give the target column (--target-col)");
        p.config["target"] = config.target_column;
      }
    }
    // Survival's columns and settings, bound as the score and target are.
    const auto bind = [&](const char* field, const bj::value& v, bool& taken) {
      if (p.manifest->field(field) == nullptr) return;
      taken = true;
      if (!p.config.contains(field)) p.config[field] = v;
    };
    if (!config.time_column.empty()) bind("time", bj::value(config.time_column), survival_taken[0]);
    if (!config.event_column.empty()) bind("event", bj::value(config.event_column), survival_taken[1]);
    // A metric scored at several 'times' (survival_auc) takes them instead of the horizon.
    if (config.horizon && !p.config.contains("times")) bind("horizon", bj::value(*config.horizon), survival_taken[2]);
    if (config.higher_is_longer) bind("higher_is_longer", bj::value(*config.higher_is_longer), survival_taken[3]);
    if (spec.skip_undefined && !p.spec.one_vs_all)
      throw Error(Errc::kConfig, who + ": 'undefined': 'skip' leaves classes out of a macro average, so it needs one_vs_all or multi-label 'labels'");
    if (spec.one_vs_all) {
      if (p.manifest->field("pred") == nullptr || p.manifest->field("target") == nullptr)
        throw Error(Errc::kConfig, who + ": one_vs_all needs a metric that reads 'pred' and 'target'");
      if (plan.scores.size() < 2) throw Error(Errc::kConfig, who + ": one_vs_all needs one score column per class");
    }
    bj::object resolved;
    try {
      resolved = resolve_config(*p.manifest, p.config);
    } catch (const ConfigError& e) {
      throw Error(Errc::kConfig, spec.where + ": metric '" + spec.name + "': " + e.what());
    }
    // Key fields name data columns, or results of other metrics ("results.<metric>.<key>").
    for (const ConfigField& f : p.manifest->config) {
      if (f.type != FieldType::kKey && f.type != FieldType::kKeyList) continue;
      const bj::value& v = resolved.at(f.name);
      std::vector<std::string> keys;
      if (v.is_string()) keys.emplace_back(v.as_string());
      if (v.is_array())
        for (const bj::value& k : v.as_array()) keys.emplace_back(k.as_string());
      for (const std::string& key : keys) {
        if (key.rfind("results.", 0) == 0) {
          const std::string dep = split(key, '.').size() > 1 ? std::string(split(key, '.')[1]) : "";
          if (std::find(names.begin(), names.end(), dep) == names.end())
            throw Error(Errc::kConfig, who + ": config '" + f.name + "' reads '" + key + "', but there is no metric '" + dep +
                                           "'" + did_you_mean(dep, names));
          add_unique(p.deps, dep);
        } else if (key != kScores) {
          add_unique(p.columns, key);
        }
      }
    }
    plans.push_back(std::move(p));
  }
  // A survival setting no metric takes would be ignored without a word; the message names the metrics that do.
  const std::tuple<bool, const char*, const char*> given[4] = {{!config.time_column.empty(), "the time column (--time-col)", "time"},
                                                               {!config.event_column.empty(), "the event column (--event-col)", "event"},
                                                               {config.horizon.has_value(), "the horizon (--horizon)", "horizon"},
                                                               {config.higher_is_longer.has_value(), "the scores' direction (--higher-is-longer)", "higher_is_longer"}};
  for (size_t i = 0; i < 4; ++i)
    if (std::get<0>(given[i]) && !survival_taken[i]) {
      std::vector<std::string> takers;
      for (const ComponentManifest* c : metric_components(registry))
        if (c->field(std::get<2>(given[i])) != nullptr) takers.push_back(short_name(c->id));
      std::sort(takers.begin(), takers.end());
      throw Error(Errc::kConfig, std::string(std::get<1>(given[i])) + " is given, but no metric asked takes it (" + join(names, ", ") + "); " +
                                     join(takers, ", ") + " do");
    }
  plan.metrics = ordered(plans);

  add_unique(plan.wanted.numbers, config.target_column);
  for (const std::string& l : config.label_columns) add_unique(plan.wanted.numbers, l);
  for (const std::string& s : plan.scores) add_unique(plan.wanted.numbers, s);
  for (const MetricPlan& p : plan.metrics)
    for (const std::string& c : p.columns)
      if (c != plan.score_key || plan.scores.size() == 1) add_unique(plan.wanted.numbers, c);
  for (const ComparisonSpec& c : config.comparisons) {
    const auto it = std::find_if(plan.metrics.begin(), plan.metrics.end(), [&](const MetricPlan& m) { return m.spec.name == c.metric; });
    if (it == plan.metrics.end())
      throw Error(Errc::kConfig, c.where + ": comparison '" + c.name + "' names metric '" + c.metric +
                                     "', which is not among the metrics" + did_you_mean(c.metric, names));
    if (it->manifest->field("pred") == nullptr || it->spec.one_vs_all)
      throw Error(Errc::kConfig, c.where + ": comparison '" + c.name + "': metric '" + c.metric +
                                     "' must read one 'pred' (and not be one_vs_all)");
    if (config.ci.rounds <= 0)
      throw Error(Errc::kConfig, c.where + ": comparison '" + c.name + "' is a paired bootstrap: set ci rounds (--ci 1000)");
    add_unique(plan.wanted.numbers, c.a);
    add_unique(plan.wanted.numbers, c.b);
  }
  plan.checked = plan.wanted.numbers;
  for (const std::string& g : config.group_columns) add_unique(plan.wanted.categories, g);
  add_unique(plan.wanted.categories, config.fold_column);
  return plan;
}

}  // namespace fuse::eval
