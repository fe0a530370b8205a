#include "fuse/train/ensemble_choice.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/eval/bootstrap.h"
#include "fuse/json/write.h"
#include "fuse/train/cross_validation.h"
#include "ensemble_mean.h"
#include "ensemble_postprocess.h"
#include "onto_grid.h"
#include "torch_view.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

bj::value json_number(double v) { return std::isnan(v) ? bj::value(nullptr) : bj::value(v); }

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
  std::vector<std::string> skipped;  // per candidate: why a pair is not averaged (empty: it is)
  std::vector<bool> resampled;       // per candidate: outputs laid onto the first configuration's grid
  std::vector<std::string> ids;      // the cases added
};

EnsembleTrials::EnsembleTrials(const Registry& registry, const bj::object& metric, std::vector<std::string> names) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.names = std::move(names);
  for (size_t i = 0; i < m.names.size(); ++i) m.members.push_back({i});
  for (size_t i = 0; i < m.names.size(); ++i)
    for (size_t j = i + 1; j < m.names.size(); ++j) m.members.push_back({i, j});
  for (size_t c = 0; c < m.members.size(); ++c) m.trials.push_back(std::make_unique<PostprocessTrials>(registry, metric));
  m.skipped.resize(m.members.size());
  m.resampled.resize(m.members.size());
}

EnsembleTrials::~EnsembleTrials() = default;

void EnsembleTrials::add(const std::string& id, const std::vector<NDict>& batches, const std::vector<NDict>& outputs,
                         const std::function<void(size_t, NDict&)>& postprocess, const OntoFirst& onto, const std::vector<size_t>& postprocess_of) {
  Impl& m = *impl_;
  if (batches.size() != m.names.size() || outputs.size() != m.names.size())
    throw Error(Errc::kInvalidArgument, "case '" + id + "': " + std::to_string(batches.size()) + " batches and " + std::to_string(outputs.size()) + " outputs for " +
                                            std::to_string(m.names.size()) + " configurations");
  // Each configuration's outputs on the first configuration's grid, so that every candidate is scored on one
  // grid against one set of labels: outputs of another shape (a model on another grid: another spacing) are
  // laid onto it by `onto`. Why a configuration's outputs cannot be (another key; no `onto`, or it fails) leaves
  // it scored alone on its own grid and its pairs out.
  const size_t n = m.names.size();
  std::vector<NDict> on_first(outputs.begin(), outputs.end());
  std::vector<bool> moved(n, false);
  std::vector<std::string> apart(n);
  for (size_t j = 1; j < n; ++j)
    for (const auto& [key, value] : outputs[0].flatten()) {
      if (!value->is<Tensor>()) continue;
      const Value* v = outputs[j].find(key);
      if (v == nullptr || !v->is<Tensor>()) {
        apart[j] = "validation case '" + id + "': the model of '" + m.names[j] + "' gives no '" + key + "', which the model of '" + m.names[0] +
                   "' gives: an ensemble averages outputs that every model gives";
        break;
      }
      if (v->as<Tensor>().shape() == value->as<Tensor>().shape()) continue;
      const std::string shapes = "validation case '" + id + "': the model of '" + m.names[j] + "' gives '" + key + "' " + v->as<Tensor>().description() +
                                 " and the model of '" + m.names[0] + "' " + value->as<Tensor>().description();
      if (!onto) {
        apart[j] = shapes + ": an ensemble averages outputs on one grid, so their validation steps must make the same grid (spacing, crop)";
        break;
      }
      try {
        const Value laid = onto(j, 0, key, *v);
        if (!laid.is<Tensor>() || laid.as<Tensor>().shape() != value->as<Tensor>().shape()) {
          apart[j] = shapes + ", which stays " + laid.summary() + " on the grid of '" + m.names[0] + "': an ensemble averages outputs on one grid (another crop?)";
          break;
        }
        on_first.at(j).set(key, laid);
        moved[j] = true;
      } catch (const Error& e) {
        apart[j] = shapes + ", and it cannot be laid onto the grid of '" + m.names[0] + "': " + e.what();
        break;
      }
    }
  // Every candidate's batch first, so that an error leaves no candidate with one case more than another: a
  // configuration alone as its run made it, unless its outputs moved onto the first grid; a pair's outputs
  // averaged on its first member's batch (the first configuration's where any moved), then postprocessed.
  std::vector<NDict> made(m.members.size());
  const auto located = [&](size_t first, const Error& e) { return Error(e.code(), "'" + m.names[first] + "', validation case '" + id + "': " + e.what()); };
  for (size_t c = 0; c < m.members.size(); ++c) {
    const std::vector<size_t>& members = m.members[c];
    const size_t first = members[0];
    if (!m.skipped[c].empty()) continue;
    bool any_moved = false;
    for (size_t j : members) {
      any_moved = any_moved || (moved[j] && apart[j].empty());
      if (members.size() > 1 && m.skipped[c].empty() && !apart[j].empty()) m.skipped[c] = apart[j];  // left out from then on
    }
    if (!m.skipped[c].empty()) continue;
    if (members.size() == 1 && !any_moved) {
      made[c] = batches[first];
      continue;
    }
    m.resampled[c] = m.resampled[c] || any_moved;
    NDict batch = batches[any_moved ? 0 : first];
    for (const auto& [key, value] : on_first[first].flatten()) {
      if (!value->is<Tensor>() || !outputs[0].has(key)) continue;
      std::vector<torch::Tensor> all;
      for (size_t j : members) all.push_back(view(on_first[j].get<Tensor>(key)));
      batch.set(key, Value(wrap(all.size() == 1 ? all[0] : ensemble_mean(all))));
    }
    const auto group = [&](size_t j) { return postprocess_of.empty() ? 0 : postprocess_of.at(j); };
    const bool one_postprocess = std::all_of(members.begin(), members.end(), [&](size_t j) { return group(j) == group(first); });
    try {
      if (one_postprocess) {
        postprocess(first, batch);
      } else {  // each member's own on its outputs (on its own batch unless moved onto the first grid), then combined
        std::vector<NDict> before, after;
        std::vector<std::string> member_names;
        for (size_t j : members) {
          NDict own = batches[moved[j] && apart[j].empty() ? 0 : j];
          for (const auto& [key, value] : on_first[j].flatten()) own.set(key, *value);
          before.push_back(own);
          postprocess(j, own);
          after.push_back(std::move(own));
          member_names.push_back(m.names[j]);
        }
        combine_postprocessed(batch, before, after, member_names, "configuration");
      }
    } catch (const Error& e) {
      throw located(first, e);
    }
    made[c] = std::move(batch);
  }
  for (size_t c = 0; c < m.members.size(); ++c) try {
      if (m.skipped[c].empty()) m.trials[c]->add(made[c]);
    } catch (const Error& e) {
      throw located(m.members[c][0], e);
    }
  m.ids.push_back(id);
}

namespace {

// The mean Dice of `metric`'s cases weighted by `counts` (NaN where undefined).
double weighted_dice(const Metric& metric, const std::vector<uint8_t>& counts) {
  try {
    return metric.compute_weighted(nullptr, counts.data(), counts.size()).get<double>("mean_dice");
  } catch (const Error& e) {
    if (e.code() != Errc::kNumeric) throw;
    return std::nan("");
  }
}

}  // namespace

EnsembleChoice EnsembleTrials::choose(size_t rounds, uint64_t seed) const {
  const Impl& m = *impl_;
  if (m.ids.empty()) throw Error(Errc::kInvalidArgument, "no validation case to compare the configurations on");
  EnsembleChoice out;
  out.names = m.names;
  out.cases = m.ids.size();
  out.ids = m.ids;
  size_t best = 0;
  for (size_t c = 0; c < m.members.size(); ++c) {
    EnsembleCandidate candidate;
    candidate.members = m.members[c];
    candidate.skipped = m.skipped[c];
    candidate.resampled = m.resampled[c] && candidate.skipped.empty();
    if (candidate.skipped.empty()) {
      candidate.scores = m.trials[c]->choose();
      const double dice = candidate.scores.trials[0].mean_dice;
      const double best_dice = c == 0 ? dice : out.candidates[best].scores.trials[0].mean_dice;
      if (c == 0 || (!std::isnan(dice) && (std::isnan(best_dice) || dice > best_dice))) best = c;
      std::vector<uint8_t> one(m.ids.size(), 0);
      for (size_t k = 0; k < m.ids.size(); ++k) {
        one[k] = 1;
        candidate.case_dice.push_back(weighted_dice(m.trials[c]->as_predicted(), one));
        one[k] = 0;
      }
    }
    out.candidates.push_back(std::move(candidate));
  }
  out.candidates[best].chosen = true;
  // Paired bootstrap over the cases: each replicate draws the same cases for the chosen and the other.
  const Metric& chosen = m.trials[best]->as_predicted();
  std::vector<std::vector<double>> differences(m.members.size());
  std::vector<uint8_t> counts(m.ids.size());
  for (size_t r = 0; r < rounds; ++r) {
    eval::draw_counts(seed, r, {eval::Stratum{0, m.ids.size(), nullptr}}, counts);
    const double base = weighted_dice(chosen, counts);
    for (size_t c = 0; c < m.members.size(); ++c)
      if (c != best && m.skipped[c].empty()) differences[c].push_back(weighted_dice(m.trials[c]->as_predicted(), counts) - base);
  }
  for (size_t c = 0; c < m.members.size(); ++c) {
    EnsembleCandidate& candidate = out.candidates[c];
    if (c == best || !candidate.skipped.empty()) continue;
    candidate.vs_chosen = candidate.scores.trials[0].mean_dice - out.candidates[best].scores.trials[0].mean_dice;
    const eval::Interval ci = rounds > 0 ? eval::percentile_interval(differences[c], 0.95) : eval::Interval{std::nan(""), std::nan("")};
    candidate.vs_chosen_lower = ci.lower;
    candidate.vs_chosen_upper = ci.upper;
  }
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
  std::vector<OntoGrid> grids;  // each configuration's outputs onto another's grid, from its model's inputs' geometry
  for (const Source& s : sources) grids.emplace_back(registry, s.runs[0]->model_inputs());
  const std::vector<std::string>& ids = sources[0].ids;
  for (size_t k = 0; k < ids.size(); ++k) {
    std::vector<NDict> batches(n), outputs(n), samples(n);
    std::vector<std::pair<size_t, size_t>> at(n);
    size_t made = 0;
    for (size_t c = 0; c < n; ++c) {
      at[c] = sources[c].where.at(ids[k]);
      sources[c].runs[at[c].first]->run({at[c].second}, [&](SampleResult&& r) {
        batches[c] = std::move(r.batch);
        outputs[c] = std::move(r.outputs);
        samples[c] = std::move(r.sample);
        ++made;
      });
    }
    const auto onto = [&](size_t member, size_t first, const std::string& key, const Value& output) {
      return Value(wrap(grids[member](key, view(output.as<Tensor>()), samples[member], samples[first])));
    };
    // Which configurations postprocess alike (the runs that hold this case: each fold fits its own).
    std::vector<std::vector<data::Step>> distinct;
    std::vector<size_t> postprocess_of;
    for (size_t c = 0; c < n; ++c) postprocess_of.push_back(index_of(distinct, sources[c].runs[at[c].first]->experiment().postprocess));
    if (made == n)  // else a sample the data's on_error policy skipped: left out for every configuration
      trials.add(
          ids[k], batches, outputs, [&](size_t c, NDict& batch) { sources[c].runs[at[c].first]->postprocess(batch, at[c].second); }, onto, postprocess_of);
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
    if (!c.skipped.empty()) {
      candidates.push_back(bj::object{{"runs", names(c)}, {"skipped", c.skipped}, {"chosen", false}});
      continue;
    }
    const PostprocessTrial& t = c.scores.trials[0];
    bj::array dice, hd95;
    for (double v : t.dice) dice.push_back(json_number(v));
    for (double v : t.hd95) hd95.push_back(json_number(v));
    bj::array cases;
    for (double v : c.case_dice) cases.push_back(json_number(v));
    bj::object entry{{"runs", names(c)},   {"mean_dice", json_number(t.mean_dice)}, {"dice", dice}, {"mean_hd95", json_number(t.mean_hd95)},
                     {"hd95", hd95},        {"chosen", c.chosen},                     {"case_dice", cases}};
    if (c.resampled) entry["on_grid_of"] = choice.names[0];  // outputs resampled onto the first configuration's grid
    if (!c.chosen)
      entry["vs_chosen"] = bj::object{{"difference", json_number(c.vs_chosen)},
                                      {"ci", bj::array{json_number(c.vs_chosen_lower), json_number(c.vs_chosen_upper)}}};
    candidates.push_back(std::move(entry));
  }
  const EnsembleCandidate& chosen = choice.chosen();
  bj::array classes, configurations, ids;
  for (const std::string& id : choice.ids) ids.push_back(bj::value(id));
  for (int64_t c : chosen.scores.classes) classes.push_back(c);
  for (const std::string& n : choice.names) configurations.push_back(bj::value(n));
  const bj::object doc{{"format", 1},
                       {"metric", choice.metric},
                       {"key", chosen.scores.key},
                       {"cases", choice.cases},
                       {"case_ids", ids},
                       {"classes", classes},
                       {"configurations", configurations},
                       {"candidates", candidates},
                       {"chosen", bj::object{{"runs", names(chosen)}, {"postprocess_trials", trials_json(chosen.scores)}}}};
  write_file_atomically(file, json::to_text(doc, {2}) + "\n");
}

}  // namespace fuse::train
