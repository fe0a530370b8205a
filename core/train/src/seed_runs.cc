#include "fuse/train/seed_runs.h"

#include <set>
#include <string>

#include <boost/json/array.hpp>

#include "fuse/base/error.h"
#include "fuse/base/file.h"
#include "fuse/json/write.h"
#include "fuse/train/cross_validation.h"
#include "run_series.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

std::string folder(uint64_t seed) { return "seed_" + std::to_string(seed); }

// Each seed a cross-validation: its folds' mean is the seed's value. Stops at a fold interrupted by stop_after.
void cross_validate_seeds(const Registry& registry, const std::vector<uint64_t>& seeds, const std::function<Experiment(uint64_t)>& experiment,
                          const fs::path& run_dir, const SeedRunsOptions& options, SeedRunsResult& out) {
  CrossValidationOptions cv;
  cv.folds = options.folds;
  cv.resume = options.resume;
  cv.on_fold_start = options.on_fold_start;
  cv.communicator = options.communicator;
  bool interrupted = false;
  for (size_t i = 0; i < seeds.size(); ++i) {
    if (interrupted) {
      out.missing.push_back(seeds[i]);
      continue;
    }
    if (options.on_seed_start) options.on_seed_start(seeds[i], i, seeds.size());
    const fs::path dir = run_dir / folder(seeds[i]);
    const CrossValidationResult r = cross_validate(registry, experiment(seeds[i]), dir, cv);
    interrupted = r.interrupted;
    if (!r.missing.empty()) {
      out.missing.push_back(seeds[i]);
      continue;
    }
    SeedRun run{seeds[i], dir, std::nullopt, r.mean, 0};
    for (const FoldRun& f : r.finished) run.seconds += f.result.seconds;
    out.finished.push_back(std::move(run));
  }
}

}  // namespace

SeedRunsResult run_seeds(const Registry& registry, const std::vector<uint64_t>& seeds, const std::function<Experiment(uint64_t)>& experiment,
                         const fs::path& run_dir, const SeedRunsOptions& options) {
  if (seeds.empty()) throw Error(Errc::kInvalidArgument, "repeated runs need at least one seed (e.g. 1,2,3)");
  std::set<uint64_t> distinct;
  for (uint64_t s : seeds)
    if (!distinct.insert(s).second) throw Error(Errc::kInvalidArgument, "seed " + std::to_string(s) + " is given twice: each seed trains one run");
  if (!options.folds.empty() && !options.cross_validate)
    throw Error(Errc::kInvalidArgument, "folds chosen without cross-validation: each seed trains one run");
  const bool lead = options.communicator == nullptr || options.communicator->rank() == 0;
  SeedRunsResult out;
  // The name and monitor the summary gives, from the first experiment built (or, when none trained now, read).
  std::string name, monitor;
  const auto built = [&](uint64_t seed) {
    Experiment e = experiment(seed);
    name = e.name;
    monitor = e.trainer.monitor;
    return e;
  };
  if (options.cross_validate) {
    cross_validate_seeds(registry, seeds, built, run_dir, options, out);
  } else {
    std::vector<SeriesRun> runs;
    for (uint64_t s : seeds) runs.push_back({folder(s), [&built, s] { return built(s); }});
    const auto on_start = [&](size_t i) {
      if (options.on_seed_start) options.on_seed_start(seeds[i], i, seeds.size());
    };
    const SeriesResult series = train_series(registry, runs, run_dir, options.resume, on_start, options.communicator);
    for (size_t i : series.missing) out.missing.push_back(seeds[i]);
    for (const SeriesResult::Finished& f : series.finished)
      out.finished.push_back(SeedRun{seeds[f.index], f.dir, f.result.best_epoch, f.result.validation, f.result.seconds});
  }
  if (!lead) {
    out.finished.clear();
    return out;
  }
  if (!out.missing.empty()) return out;
  if (name.empty()) built(seeds.front());
  std::vector<const bj::object*> values;
  for (const SeedRun& r : out.finished) values.push_back(&r.validation);
  mean_and_sd(values, out.mean, out.std);
  bj::array runs;
  for (const SeedRun& r : out.finished) {
    bj::object run{{"seed", r.seed}, {"run", r.dir.filename().string()}};
    if (r.best_epoch) run["best_epoch"] = *r.best_epoch + 1;
    run["validation"] = r.validation;
    run["seconds"] = r.seconds;
    runs.push_back(std::move(run));
  }
  const bj::object summary{{"experiment", name},          {"monitor", monitor},  {"cross_validation", options.cross_validate},
                           {"seeds", std::move(runs)},   {"mean", out.mean},    {"std", out.std}};
  fs::create_directories(run_dir);
  write_file_atomically(run_dir / "seeds.json", json::to_text(summary, {2}) + "\n");
  return out;
}

}  // namespace fuse::train
