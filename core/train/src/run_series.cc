#include "run_series.h"

#include <cmath>
#include <limits>
#include <map>

#include "fuse/base/error.h"
#include "fuse/json/document.h"
#include "fuse/json/parse.h"

namespace fuse::train {

namespace fs = std::filesystem;
namespace bj = boost::json;

RunResult read_run_result(const fs::path& dir) {
  const fs::path file = dir / "results.json";
  try {
    const bj::object doc = json::parse_exact(json::read_file(file)).as_object();
    RunResult r;
    r.best_epoch = doc.at("best_epoch").as_int64() - 1;
    r.best_value = doc.at("best_value").is_number() ? doc.at("best_value").to_number<double>() : std::numeric_limits<double>::quiet_NaN();
    r.monitor = std::string(doc.at("monitor").as_string());
    r.validation = doc.at("validation").as_object();
    r.stopped_early = doc.at("stopped_early").as_bool();
    r.seconds = doc.at("seconds").to_number<double>();
    return r;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(Errc::kIo, file.string() + ": not the results of a run (" + e.what() + "); train it again (delete " + dir.string() + ")");
  }
}

void mean_and_sd(const std::vector<const bj::object*>& objects, bj::object& mean, bj::object& sd) {
  std::map<std::string, std::vector<double>> values;
  for (const bj::object* o : objects)
    for (const auto& [name, v] : *o)
      if (v.is_number()) values[std::string(name)].push_back(v.to_number<double>());
  for (const auto& [name, v] : values) {
    double sum = 0, squares = 0;
    for (double x : v) sum += x;
    const double m = sum / static_cast<double>(v.size());
    for (double x : v) squares += (x - m) * (x - m);
    mean[name] = m;
    sd[name] = v.size() > 1 ? bj::value(std::sqrt(squares / static_cast<double>(v.size() - 1))) : bj::value(nullptr);
  }
}

SeriesResult train_series(const Registry& registry, const std::vector<SeriesRun>& runs, const fs::path& parent, bool resume,
                          const std::function<void(size_t)>& on_start, Communicator* comm) {
  // What each run is before this call, from rank 0's files: finished ('f'), with a checkpoint to resume ('c'),
  // or neither ('-').
  std::string plan(runs.size(), '-');
  std::vector<RunResult> earlier(runs.size());
  const auto read_plan = [&] {
    for (size_t i = 0; i < runs.size(); ++i) {
      const fs::path dir = parent / runs[i].folder;
      if (fs::exists(dir / "results.json")) {
        plan[i] = 'f';
        earlier[i] = read_run_result(dir);
      } else if (fs::exists(dir / "checkpoints" / "last.ckpt")) {
        plan[i] = 'c';
      }
    }
  };
  if (comm == nullptr) {
    read_plan();
  } else {
    comm->agree(read_plan, "reading the runs finished earlier");
    plan = comm->broadcast(plan, 0, "the runs to train");
  }
  SeriesResult out;
  for (size_t i = 0; i < runs.size(); ++i) {
    const fs::path dir = parent / runs[i].folder;
    const bool train_now = !out.interrupted && runs[i].chosen && !(plan[i] == 'f' && resume);
    if (train_now) {
      if (on_start) on_start(i);
      Trainer trainer(registry, runs[i].experiment(), dir, comm);
      RunResult r = trainer.fit(resume && plan[i] == 'c');
      if (r.interrupted) {
        out.interrupted = true;
        out.missing.push_back(i);
      } else {
        out.finished.push_back({i, dir, std::move(r)});
      }
    } else if (plan[i] == 'f') {
      out.finished.push_back({i, dir, std::move(earlier[i])});
    } else {
      out.missing.push_back(i);
    }
  }
  if (comm != nullptr && comm->rank() != 0) out.finished.clear();
  return out;
}

}  // namespace fuse::train
