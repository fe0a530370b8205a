// Internal to the evaluator: what an evaluation will compute, resolved against the registry before any data is
// read (metric names to components, pred and target bound, dependencies ordered, columns to load).
#ifndef FUSE_EVAL_SRC_PLAN_H_
#define FUSE_EVAL_SRC_PLAN_H_

#include <map>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/eval/eval_config.h"
#include "fuse/eval/eval_data.h"
#include "fuse/plugin/registry.h"

namespace fuse::eval {

// The batch key of several score columns, stacked into one [rows, classes] tensor.
inline const std::string kScores = "scores";

struct MetricPlan {
  MetricSpec spec;
  const ComponentManifest* manifest = nullptr;
  boost::json::object config;        // the user's, with pred and target bound
  std::vector<std::string> outputs;  // the outputs to report (empty: all)
  std::vector<std::string> deps;     // metrics whose results it reads
  std::vector<std::string> columns;  // data columns it reads
};

struct EvalPlan {
  std::vector<std::string> scores;  // score columns
  std::string score_key;            // a single score column, or kScores
  std::vector<MetricPlan> metrics;  // dependencies first
  Wanted wanted;
  // A key whose values were written as columns <key>_0, <key>_1, ...: read as one [rows, k] tensor.
  std::map<std::string, std::vector<std::string>> stacked;
  std::vector<std::string> checked;  // numeric columns the NaN policy looks at
};

// The name a scalar output is reported under: the bare unit name when the output is the metric's namesake
// ("auc" of fuse.metrics.auc) or was asked for by name ("accuracy"), else "<unit>.<output>".
std::string output_name(const MetricPlan& plan, const std::string& unit, const std::string& key);

// `scores` are the expanded score columns.
EvalPlan make_plan(const Registry& registry, const EvalConfig& config, std::vector<std::string> scores);

}  // namespace fuse::eval

#endif  // FUSE_EVAL_SRC_PLAN_H_
