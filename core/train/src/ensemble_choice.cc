#include "fuse/train/ensemble_choice.h"

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/json/write.h"
#include "fuse/train/cross_validation.h"
#include "torch_view.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

bj::value json_number(double v) { return std::isnan(v) ? bj::value(nullptr) : bj::value(v); }

// What `fuse infer A B` makes of the models' outputs under one key: floating ones averaged, others by each
// element's vote (ties: the lowest value).
torch::Tensor averaged(const std::vector<torch::Tensor>& all) {
  const torch::Tensor stacked = torch::stack(all);
  if (stacked.is_floating_point()) return stacked.to(torch::kFloat32).mean(0);
  return std::get<0>(stacked.to(torch::kLong).mode(0)).to(all[0].scalar_type());
}

}  // namespace

const EnsembleCandidate& EnsembleChoice::chosen() const {
  for (const EnsembleCandidate& c : candidates)
    if (c.chosen) return c;
  throw Error(Errc::kInvalidArgument, "no candidate was chosen");
}

std::string EnsembleChoice::name(const EnsembleCandidate& c) const {
  std::string out;
  for (size_t m : c.members) out += (out.empty() ? "" : " + ") + names[m];
  return out;
}

struct EnsembleTrials::Impl {
  std::vector<std::string> names;
  std::vector<std::vector<size_t>> members;  // per candidate
  std::vector<std::unique_ptr<PostprocessTrials>> trials;  // per candidate
  size_t cases = 0;
};

EnsembleTrials::EnsembleTrials(const Registry& registry, const bj::object& metric, std::vector<std::string> names) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.names = std::move(names);
  for (size_t i = 0; i < m.names.size(); ++i) m.members.push_back({i});
  for (size_t i = 0; i < m.names.size(); ++i)
    for (size_t j = i + 1; j < m.names.size(); ++j) m.members.push_back({i, j});
  for (size_t c = 0; c < m.members.size(); ++c) m.trials.push_back(std::make_unique<PostprocessTrials>(registry, metric));
}

EnsembleTrials::~EnsembleTrials() = default;

void EnsembleTrials::add(const std::string& id, const std::vector<NDict>& batches, const std::vector<NDict>& outputs,
                         const std::function<void(size_t, NDict&)>& postprocess) {
  Impl& m = *impl_;
  if (batches.size() != m.names.size() || outputs.size() != m.names.size())
    throw Error(Errc::kInvalidArgument, "case '" + id + "': " + std::to_string(batches.size()) + " batches and " + std::to_string(outputs.size()) + " outputs for " +
                                            std::to_string(m.names.size()) + " configurations");
  // Every pair's batch first, so that outputs refused leave no candidate with one case more than another.
  std::vector<NDict> made(m.members.size());
  const auto located = [&](size_t first, const Error& e) { return Error(e.code(), "'" + m.names[first] + "', validation case '" + id + "': " + e.what()); };
  for (size_t c = 0; c < m.members.size(); ++c) {
    const std::vector<size_t>& members = m.members[c];
    const size_t first = members[0];
    if (members.size() == 1) continue;
    NDict batch = batches[first];
    for (const auto& [key, value] : outputs[first].flatten()) {
      if (!value->is<Tensor>()) continue;
      std::vector<torch::Tensor> all{view(value->as<Tensor>())};
      for (size_t k = 1; k < members.size(); ++k) {
        const std::string& other = m.names[members[k]];
        const Value* v = outputs[members[k]].find(key);
        if (v == nullptr || !v->is<Tensor>())
          throw Error(Errc::kKeyNotFound, "validation case '" + id + "': the model of '" + other + "' gives no '" + key + "', which the model of '" + m.names[first] +
                                              "' gives: an ensemble averages outputs that every model gives");
        if (v->as<Tensor>().shape() != value->as<Tensor>().shape())
          throw Error(Errc::kShape, "validation case '" + id + "': the model of '" + other + "' gives '" + key + "' " + v->as<Tensor>().description() +
                                        " and the model of '" + m.names[first] + "' " + value->as<Tensor>().description() +
                                        ": an ensemble averages outputs on one grid, so their validation steps must make the same grid (spacing, crop)");
        all.push_back(view(v->as<Tensor>()));
      }
      batch.set(key, Value(wrap(averaged(all))));
    }
    try {
      postprocess(first, batch);
    } catch (const Error& e) {
      throw located(first, e);
    }
    made[c] = std::move(batch);
  }
  for (size_t c = 0; c < m.members.size(); ++c) try {
      m.trials[c]->add(m.members[c].size() == 1 ? batches[m.members[c][0]] : made[c]);
    } catch (const Error& e) {
      throw located(m.members[c][0], e);
    }
  ++m.cases;
}

EnsembleChoice EnsembleTrials::choose() const {
  const Impl& m = *impl_;
  if (m.cases == 0) throw Error(Errc::kInvalidArgument, "no validation case to compare the configurations on");
  EnsembleChoice out;
  out.names = m.names;
  out.cases = m.cases;
  size_t best = 0;
  for (size_t c = 0; c < m.members.size(); ++c) {
    EnsembleCandidate candidate;
    candidate.members = m.members[c];
    candidate.scores = m.trials[c]->choose();
    const double dice = candidate.scores.trials[0].mean_dice;
    const double best_dice = c == 0 ? dice : out.candidates[best].scores.trials[0].mean_dice;
    if (c == 0 || (!std::isnan(dice) && (std::isnan(best_dice) || dice > best_dice))) best = c;
    out.candidates.push_back(std::move(candidate));
  }
  out.candidates[best].chosen = true;
  return out;
}

EnsembleChoice choose_ensemble(const Registry& registry, const std::vector<Configuration>& configurations, const ChooseEnsembleOptions& options) {
  const size_t n = configurations.size();
  if (n < 2) throw Error(Errc::kInvalidArgument, "choose among two or more configurations (EXPERIMENT RUN pairs); got " + std::to_string(n));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      if (fs::weakly_canonical(configurations[i].run) == fs::weakly_canonical(configurations[j].run))
        throw Error(Errc::kInvalidArgument, "'" + configurations[j].run.string() + "' is given twice: an ensemble of a run with itself adds nothing");
  // Each configuration's validation cases, by id: which of its runs holds each (a cross-validation's folds).
  struct Source {
    std::vector<std::unique_ptr<RunResults>> runs;
    std::map<std::string, std::pair<size_t, size_t>> where;  // id -> (run, index)
    std::vector<std::string> ids;                            // in the runs' order
  };
  std::vector<Source> sources(n);
  std::vector<std::string> names;
  for (size_t c = 0; c < n; ++c) {
    names.push_back(configurations[c].run.string());
    for (const fs::path& run : trained_runs(configurations[c].run)) {
      Source& s = sources[c];
      s.runs.push_back(std::make_unique<RunResults>(registry, configurations[c].experiment, run, options.run));
      const RunResults& r = *s.runs.back();
      for (size_t i = 0; i < r.size(); ++i) {
        if (!s.where.emplace(r.id(i), std::make_pair(s.runs.size() - 1, i)).second)
          throw Error(Errc::kInvalidArgument, "'" + names[c] + "': validation case '" + r.id(i) + "' is validated twice (two folds, or two samples of that id)");
        s.ids.push_back(r.id(i));
      }
    }
  }
  const MetricSpec& judge = label_map_metric(sources[0].runs[0]->experiment(), options.metric, configurations[0].experiment, "the configurations");
  // One set of cases for all: a configuration scored on other cases would be compared on luck.
  for (size_t c = 1; c < n; ++c) {
    std::string only;
    for (const std::string& id : sources[0].ids)
      if (only.empty() && !sources[c].where.count(id)) only = "'" + id + "' only in '" + names[0] + "'";
    for (const std::string& id : sources[c].ids)
      if (only.empty() && !sources[0].where.count(id)) only = "'" + id + "' only in '" + names[c] + "'";
    if (!only.empty())
      throw Error(Errc::kInvalidArgument, "'" + names[c] + "' validates on " + std::to_string(sources[c].ids.size()) + " cases and '" + names[0] + "' on " +
                                              std::to_string(sources[0].ids.size()) + ", not the same (" + only +
                                              "): configurations are compared on the same validation cases; train them on the same folds (data.folds)");
  }
  EnsembleTrials trials(registry, judge.config, names);
  const std::vector<std::string>& ids = sources[0].ids;
  for (size_t k = 0; k < ids.size(); ++k) {
    std::vector<NDict> batches(n), outputs(n);
    std::vector<std::pair<size_t, size_t>> at(n);
    size_t made = 0;
    for (size_t c = 0; c < n; ++c) {
      at[c] = sources[c].where.at(ids[k]);
      sources[c].runs[at[c].first]->run({at[c].second}, [&](SampleResult&& r) {
        batches[c] = std::move(r.batch);
        outputs[c] = std::move(r.outputs);
        ++made;
      });
    }
    if (made == n)  // else a sample the data's on_error policy skipped: left out for every configuration
      trials.add(ids[k], batches, outputs, [&](size_t c, NDict& batch) { sources[c].runs[at[c].first]->postprocess(batch, at[c].second); });
    if (options.on_case) options.on_case(k + 1, ids.size());
  }
  EnsembleChoice choice = trials.choose();
  choice.metric = judge.name;
  return choice;
}

void write_ensemble_choice(const fs::path& file, const EnsembleChoice& choice) {
  const auto names = [&](const EnsembleCandidate& c) {
    bj::array out;
    for (size_t m : c.members) out.push_back(bj::value(choice.names[m]));
    return out;
  };
  bj::array candidates;
  for (const EnsembleCandidate& c : choice.candidates) {
    const PostprocessTrial& t = c.scores.trials[0];
    bj::array dice, hd95;
    for (double v : t.dice) dice.push_back(json_number(v));
    for (double v : t.hd95) hd95.push_back(json_number(v));
    candidates.push_back(bj::object{{"runs", names(c)},   {"mean_dice", json_number(t.mean_dice)}, {"dice", dice}, {"mean_hd95", json_number(t.mean_hd95)},
                                    {"hd95", hd95},        {"chosen", c.chosen}});
  }
  const EnsembleCandidate& chosen = choice.chosen();
  bj::array classes, configurations;
  for (int64_t c : chosen.scores.classes) classes.push_back(c);
  for (const std::string& n : choice.names) configurations.push_back(bj::value(n));
  const bj::object doc{{"format", 1},
                       {"metric", choice.metric},
                       {"key", chosen.scores.key},
                       {"cases", choice.cases},
                       {"classes", classes},
                       {"configurations", configurations},
                       {"candidates", candidates},
                       {"chosen", bj::object{{"runs", names(chosen)}, {"postprocess_trials", trials_json(chosen.scores)}}}};
  write_file_atomically(file, json::to_text(doc, {2}) + "\n");
}

}  // namespace fuse::train
