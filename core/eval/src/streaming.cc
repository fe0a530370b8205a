#include "streaming.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "fuse/base/error.h"
#include "fuse/json/write.h"
#include "fuse/table/table.h"
#include "result_json.h"

namespace fuse::eval {

namespace bj = boost::json;

namespace {

void refuse(bool asked, const std::string& what) {
  if (asked) throw Error(Errc::kConfig, "streaming evaluation cannot compute " + what + ": those need the rows in memory; drop --stream");
}

// Depth of each metric in the dependency order: a metric runs in the pass after those it reads.
std::map<std::string, size_t> passes(const EvalPlan& plan) {
  std::map<std::string, size_t> depth;
  for (const MetricPlan& p : plan.metrics) {
    size_t d = 0;
    for (const std::string& dep : p.deps) d = std::max(d, depth.at(dep) + 1);
    depth[p.spec.name] = d;
  }
  return depth;
}

}  // namespace

bj::object run_streaming(const Registry& registry, const EvalConfig& config, const EvalPlan& plan) {
  refuse(config.ci.rounds > 0, "confidence intervals");
  refuse(!config.group_columns.empty(), "sub-groups");
  refuse(!config.fold_column.empty() || config.folds_from_files, "folds");
  refuse(!config.comparisons.empty(), "comparisons");
  refuse(config.predictions.size() != 1, "several prediction files");
  for (const MetricPlan& p : plan.metrics) refuse(p.spec.one_vs_all, "one-vs-all metrics");

  const std::map<std::string, size_t> depth = passes(plan);
  size_t last = 0;
  for (const auto& [name, d] : depth) last = std::max(last, d);
  std::map<std::string, NDict> results;
  size_t rows = 0, dropped = 0;
  for (size_t pass = 0; pass <= last; ++pass) {
    std::vector<std::pair<const MetricPlan*, Metric>> metrics;
    for (const MetricPlan& p : plan.metrics)
      if (depth.at(p.spec.name) == pass) metrics.emplace_back(&p, registry.create_metric(p.manifest->id, p.config));
    std::unique_ptr<table::Reader> reader = table::Reader::open(config.predictions[0].path);
    std::vector<table::Request> requests;
    for (const std::string& k : plan.wanted.numbers) requests.push_back(table::Request{k, table::Kind::kNumber});
    reader->select(requests);
    size_t pass_rows = 0, pass_dropped = 0;
    while (true) {
      table::Table block;
      if (!reader->read(block)) break;
      // The rows of this block that pass the NaN policy.
      std::vector<size_t> keep;
      for (size_t r = 0; r < block.size(); ++r) {
        bool ok = true;
        for (const table::Column& c : block.columns) ok = ok && std::isfinite(c.numbers[r]);
        if (ok) {
          keep.push_back(r);
        } else if (config.nan_policy == "error") {
          for (const table::Column& c : block.columns)
            if (!std::isfinite(c.numbers[r]))
              throw Error(Errc::kNumeric, block.where(r) + ": '" + c.name + "' is " + std::to_string(c.numbers[r]) +
                                              ". Fix it, or drop such rows with --nan drop");
        }
      }
      pass_rows += keep.size();
      pass_dropped += block.size() - keep.size();
      NDict batch;
      for (const table::Column& c : block.columns) {
        std::vector<double> v;
        v.reserve(keep.size());
        for (size_t r : keep) v.push_back(c.numbers[r]);
        if (config.temperature && std::find(plan.scores.begin(), plan.scores.end(), c.name) != plan.scores.end() && plan.scores.size() == 1)
          for (double& p : v) {
            const double q = std::clamp(p, 1e-15, 1 - 1e-15);
            p = 1 / (1 + std::exp(-std::log(q / (1 - q)) / *config.temperature));
          }
        batch.set(c.name, Value(Tensor::from_vector<double>(v, {static_cast<int64_t>(v.size())})));
      }
      if (plan.scores.size() > 1) {
        const size_t k = plan.scores.size();
        Tensor s = Tensor::empty({static_cast<int64_t>(keep.size()), static_cast<int64_t>(k)}, sdk::kFloat64);
        double* out = s.mutable_data<double>();
        for (size_t c = 0; c < k; ++c) {
          const Tensor& col = batch.get<Tensor>(plan.scores[c]);
          for (size_t r = 0; r < keep.size(); ++r) out[r * k + c] = col.data<double>()[r];
        }
        batch.set(kScores, Value(std::move(s)));
      }
      for (auto& [p, metric] : metrics) {
        NDict b = batch;
        for (const std::string& dep : p->deps) b.set("results." + dep, Value(results.at(dep)));
        try {
          metric.update(b);
        } catch (const Error& e) {
          throw Error(e.code(), "metric '" + p->spec.name + "' (" + p->spec.where + "), " + block.source + " block ending at row " +
                                    std::to_string(block.rows.empty() ? 0 : block.rows.back()) + ": " + e.what());
        }
      }
    }
    for (auto& [p, metric] : metrics) {
      try {
        results[p->spec.name] = metric.compute();
      } catch (const Error& e) {
        throw Error(e.code(), "metric '" + p->spec.name + "' (" + p->spec.where + "): " + e.what());
      }
    }
    rows = pass_rows;
    dropped = pass_dropped;
  }

  // As the in-memory evaluation reports them: scalars among the metrics (a chart's beside its curves, for the
  // titles), tensors (curves, bins, matrices) in "arrays" for report.html.
  bj::object metrics, arrays;
  for (const MetricPlan& p : plan.metrics) {
    for (const auto& [key, value] : results.at(p.spec.name).flatten()) {
      if (value->is<Tensor>()) {
        unit_arrays(arrays, p.spec.name)[key] = tensor_json(value->as<Tensor>());
        continue;
      }
      if (!(value->is<double>() || value->is<int64_t>())) continue;
      if (!p.outputs.empty() && std::find(p.outputs.begin(), p.outputs.end(), key) == p.outputs.end()) continue;
      const std::string name = output_name(p, p.spec.name, key);
      if (p.spec.chart) unit_arrays(arrays, p.spec.name)[name_within_unit(name, p.spec.name)] = number(value->as_number());
      else metrics[name] = bj::object{{"value", number(value->as_number())}};
    }
  }
  bj::object data{{"rows", static_cast<int64_t>(rows)}, {"dropped", static_cast<int64_t>(dropped)}, {"streamed", true}};
  data["files"] = bj::array{bj::value(config.predictions[0].path.string())};
  bj::object out{{"metrics", std::move(metrics)}, {"data", std::move(data)}};
  if (!arrays.empty()) out["arrays"] = std::move(arrays);
  return out;
}

}  // namespace fuse::eval
