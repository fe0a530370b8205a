#include "fuse/train/mask_folders.h"

#include <algorithm>
#include <map>
#include <thread>

#include <boost/json/array.hpp>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/sample_source.h"
#include "fuse/train/reference_evaluation.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

// id -> path of the files of `folder` matching `pattern`, the id what its first '*' matched.
std::map<std::string, std::string> files_by_id(const fs::path& folder, const std::string& pattern, const std::string& what) {
  data::GlobSource g;
  g.folder = folder;
  g.pattern = pattern;
  if (pattern.find('*') != std::string::npos) g.id = "{*}";
  std::map<std::string, std::string> out;
  try {
    for (const data::Sample& s : data::read_glob_source(g)) out[s.id] = s.values.get<std::string>("data.path");
  } catch (const Error& e) {
    throw Error(e.code(), what + ": " + e.what());
  }
  return out;
}

// "3 predictions have no reference in 'refs' (a, b, c)": at most 5 named.
std::string unpaired(const std::vector<std::string>& ids, const std::string& what) {
  std::vector<std::string> shown(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(ids.size(), 5)));
  return std::to_string(ids.size()) + " " + what + " (" + join(shown, ", ") + (ids.size() > 5 ? ", ..." : "") + ")";
}

// Dice, IoU, HD95, HD, ASD and surface Dice averaged over the classes, then each class's Dice and HD95: one
// segmentation metric's outputs (one instance computes them all).
std::vector<MetricSpec> metrics_of(const MaskFolders& o) {
  bj::object config{{"tolerance", o.tolerance}, {"empty_distance", o.empty_distance}};
  if (o.ignore_label) config["ignore_label"] = *o.ignore_label;
  std::vector<int64_t> scored;  // class or region numbers
  if (o.regions.empty()) {
    config["num_classes"] = o.num_classes;
    config["include_background"] = o.include_background;
    for (int64_t c = o.include_background ? 0 : 1; c < o.num_classes; ++c) scored.push_back(c);
  } else {
    bj::array regions;
    for (const std::vector<int64_t>& r : o.regions) {
      bj::array labels;
      for (int64_t l : r) labels.emplace_back(l);
      regions.emplace_back(std::move(labels));
    }
    config["regions"] = std::move(regions);
    for (size_t r = 1; r <= o.regions.size(); ++r) scored.push_back(static_cast<int64_t>(r));
  }
  std::vector<MetricSpec> out;
  const auto add = [&](const std::string& name, const std::string& output) {
    MetricSpec m;
    m.name = name;
    m.component = "fuse.metrics.segmentation";
    m.config = config;
    m.output = output;
    m.where = "fuse eval-seg";
    out.push_back(m);
  };
  for (const char* score : {"dice", "iou", "hd95", "hd", "asd", "nsd"}) add(score, std::string("mean_") + score);
  for (int64_t c : scored) {
    const size_t r = static_cast<size_t>(c - 1);  // a region's index (regions count from 1)
    const std::string name = !o.regions.empty() && r < o.region_names.size() && !o.region_names[r].empty() ? o.region_names[r] : std::to_string(c);
    for (const char* score : {"dice", "hd95"}) add(std::string(score) + "." + name, std::string(score) + "." + std::to_string(c));
  }
  return out;
}

}  // namespace

MaskFoldersResult evaluate_mask_folders(const Registry& registry, const MaskFolders& o, const std::function<void(size_t, size_t)>& on_progress) {
  if (o.regions.empty() && o.num_classes < 2 && !o.include_background)
    throw Error(Errc::kInvalidArgument, "--num-classes " + std::to_string(o.num_classes) + ": at least 2 (the background and one class)");
  const std::map<std::string, std::string> predicted = files_by_id(o.predictions, o.pattern, "--pred");
  const std::map<std::string, std::string> references =
      files_by_id(o.references, o.reference_pattern.empty() ? o.pattern : o.reference_pattern, "--ref");
  std::vector<std::string> no_reference, no_prediction;
  for (const auto& [id, path] : predicted)
    if (!references.count(id)) no_reference.push_back(id);
  for (const auto& [id, path] : references)
    if (!predicted.count(id)) no_prediction.push_back(id);
  if (!no_reference.empty() || !no_prediction.empty()) {
    std::vector<std::string> parts;
    if (!no_reference.empty()) parts.push_back(unpaired(no_reference, "predictions have no reference in '" + o.references.string() + "'"));
    if (!no_prediction.empty()) parts.push_back(unpaired(no_prediction, "references have no prediction in '" + o.predictions.string() + "'"));
    throw Error(Errc::kInvalidArgument, join(parts, "; ") + ": a pair shares what the patterns' '*' matched");
  }
  ReferenceEvaluation scores(registry, metrics_of(o), "from --ref");
  MaskFoldersResult r;
  std::vector<ReferenceEvaluation::Case> cases;
  for (const auto& [id, path] : predicted) {
    const std::string name = id.empty() ? fs::path(path).filename().string() : id;  // a '*' that matched nothing
    cases.push_back({name, path, references.at(id)});
    r.ids.push_back(name);
    r.predictions.push_back(path);
    r.references.push_back(references.at(id));
  }
  const size_t threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  scores.add_all(cases, threads, [&](size_t done) {
    if (on_progress) on_progress(done, cases.size());
  });
  r.per_case = scores.per_case();
  r.names = scores.names();
  r.results["metrics"] = scores.results(o.ci);
  r.results["data"] = bj::object{{"rows", r.ids.size()}, {"predictions", o.predictions.string()}, {"references", o.references.string()}};
  r.results["cases"] = cases_json(r.ids, r.names, r.per_case);
  return r;
}

}  // namespace fuse::train
