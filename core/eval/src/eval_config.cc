#include "fuse/eval/eval_config.h"

#include <algorithm>

#include "fuse/base/error.h"
#include "fuse/json/object_reader.h"

namespace fuse::eval {

namespace fs = std::filesystem;
using json::ObjectReader;

EvalConfig read_eval_config(const json::Document& document) { return read_eval_config(document, ""); }

EvalConfig read_eval_config(const json::Document& document, const std::string& pointer) {
  boost::system::error_code ec;
  const boost::json::value* at = document.root().find_pointer(pointer, ec);
  if (at == nullptr) throw ConfigError(pointer, document.source() + ": no '" + pointer + "' section");
  ObjectReader root(document, *at, pointer, "the evaluation");
  root.allow({"predictions", "folds_from_files", "id", "target", "labels", "score", "time", "event", "horizon", "higher_is_longer", "metrics", "ci",
              "groups", "fold", "comparisons", "nan", "temperature", "threads", "streaming"});
  EvalConfig c;
  const boost::json::value* files = root.find("predictions");
  if (files != nullptr) {
    if (!files->is_array() && !files->is_string() && !files->is_object())
      root.fail("predictions", "'predictions' must be a file, an array of files or of {\"path\", \"name\"}");
    const boost::json::array list = files->is_array() ? files->as_array() : boost::json::array{*files};
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string p = files->is_array() ? json::child_pointer(root.pointer("predictions"), i) : root.pointer("predictions");
      PredictionFile f;
      if (list[i].is_string()) {
        f.path = std::string(list[i].as_string());
      } else {
        ObjectReader file(document, list[i], p, "a prediction file");
        file.allow({"path", "name"});
        f.path = file.string("path");
        f.name = file.string("name", "");
      }
      const fs::path base = document.folder_of(p);  // a base file's, when inherited
      if (f.path.is_relative() && !base.empty()) f.path = base / f.path;
      c.predictions.push_back(f);
    }
    name_prediction_files(c.predictions);
  }
  c.folds_from_files = root.boolean("folds_from_files", false);
  c.id_column = root.string("id", "");
  c.target_column = root.string("target", "");
  c.score_columns = root.strings("score");
  c.label_columns = root.strings("labels");
  c.time_column = root.string("time", "");
  c.event_column = root.string("event", "");
  if (root.has("horizon")) c.horizon = root.number("horizon", std::nullopt, 1e-12);
  if (root.has("higher_is_longer")) c.higher_is_longer = root.boolean("higher_is_longer", false);
  c.group_columns = root.strings("groups");
  c.fold_column = root.string("fold", "");
  c.nan_policy = root.choice("nan", {"error", "drop"}, "error");
  if (root.has("temperature")) c.temperature = root.number("temperature", std::nullopt, 1e-6);
  c.threads = root.integer("threads", 0, 0);
  c.streaming = root.boolean("streaming", false);

  if (const boost::json::value* m = root.find("metrics")) {
    ObjectReader metrics(document, *m, root.pointer("metrics"), "'metrics'");
    for (const auto& member : metrics.object()) {
      MetricSpec spec;
      spec.name = std::string(member.key());
      const std::string p = metrics.pointer(spec.name);
      spec.where = document.location(p);
      if (member.value().is_string()) {
        spec.component = std::string(member.value().as_string());
      } else {
        ObjectReader one(document, member.value(), p, "metric '" + spec.name + "'");
        one.allow({"component", "config", "one_vs_all", "chart", "undefined"});
        spec.component = one.string("component");
        if (const boost::json::value* cfg = one.find("config")) {
          if (!cfg->is_object()) one.fail("config", "'config' must be a JSON object");
          spec.config = cfg->as_object();
        }
        spec.one_vs_all = one.boolean("one_vs_all", false);
        spec.chart = one.boolean("chart", false);
        spec.skip_undefined = one.choice("undefined", {"error", "skip"}, "error") == "skip";
      }
      c.metrics.push_back(std::move(spec));
    }
  }
  if (const boost::json::value* ci = root.find("ci")) {
    ObjectReader r(document, *ci, root.pointer("ci"), "'ci'");
    r.allow({"rounds", "level", "method", "seed", "stratified"});
    c.ci.rounds = r.integer("rounds", 1000, 1);
    c.ci.level = r.number("level", 0.95, 0.5, 0.999);
    c.ci.method = r.choice("method", {"percentile", "bca"}, "percentile");
    c.ci.seed = static_cast<uint64_t>(r.integer("seed", 0, 0));
    c.ci.stratified = r.boolean("stratified", true);
  }
  if (const boost::json::value* cmp = root.find("comparisons")) {
    ObjectReader comparisons(document, *cmp, root.pointer("comparisons"), "'comparisons'");
    for (const auto& member : comparisons.object()) {
      const std::string name(member.key());
      ObjectReader one(document, member.value(), comparisons.pointer(name), "comparison '" + name + "'");
      one.allow({"metric", "a", "b"});
      c.comparisons.push_back(ComparisonSpec{name, one.string("metric"), one.string("a"), one.string("b"),
                                             document.location(comparisons.pointer(name))});
    }
  }
  return c;
}

void name_prediction_files(std::vector<PredictionFile>& files) {
  // The names files would get from their file names, before any is named.
  std::vector<std::string> plain;
  for (const PredictionFile& f : files) plain.push_back(f.name.empty() ? f.path.stem().string() : f.name);
  for (size_t i = 0; i < files.size(); ++i) {
    if (!files[i].name.empty()) continue;
    // Two runs' predictions.csv: each is named after its folder (runs/a/predictions.csv -> a).
    const bool shared = std::count(plain.begin(), plain.end(), plain[i]) > 1;
    const std::string folder = files[i].path.parent_path().filename().string();
    files[i].name = shared && !folder.empty() ? folder : plain[i];
  }
  for (size_t i = 0; i < files.size(); ++i)
    for (size_t j = i + 1; j < files.size(); ++j)
      if (files[i].name == files[j].name)
        throw Error(Errc::kConfig, "prediction files '" + files[i].path.string() + "' and '" + files[j].path.string() + "' would both be named '" +
                                       files[i].name + "' (the prefix of their columns): give them names in an evaluation file, "
                                       "\"predictions\": [{\"path\": ..., \"name\": \"a\"}, ...]");
}

}  // namespace fuse::eval
