// Several runs trained one after another into folders of one parent (cross-validation's folds, repeated seeds):
// which have finished, which to resume and which to train, decided from rank 0's files so that the ranks of a
// data-parallel run train the same ones together.
#ifndef FUSE_TRAIN_SRC_RUN_SERIES_H_
#define FUSE_TRAIN_SRC_RUN_SERIES_H_

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fuse/plugin/registry.h"
#include "fuse/train/communicator.h"
#include "fuse/train/experiment.h"
#include "fuse/train/trainer.h"

namespace fuse::train {

struct SeriesRun {
  std::string folder;                     // under the parent: fold_2, seed_3
  std::function<Experiment()> experiment;  // built only when the run trains
  bool chosen = true;                     // false: left to another call (kept when finished, else missing)
};

struct SeriesResult {
  struct Finished {
    size_t index = 0;  // into the runs given
    std::filesystem::path dir;
    RunResult result;  // from results.json for a run finished earlier
  };
  std::vector<Finished> finished;  // in the order given
  std::vector<size_t> missing;     // runs without a finished result
  bool interrupted = false;        // a run stopped by stop_after: the ones after it were not started
};

// Trains each chosen run into parent/<folder>: with `resume`, a finished run is kept and one with a checkpoint
// continued; without, each chosen run starts afresh (the trainer refuses a folder that holds a run). On ranks
// other than 0 `finished` holds no results.
SeriesResult train_series(const Registry& registry, const std::vector<SeriesRun>& runs, const std::filesystem::path& parent, bool resume,
                          const std::function<void(size_t index)>& on_start, Communicator* communicator);

// A finished run's results.json; a file that is not one is an error saying to train that run again.
RunResult read_run_result(const std::filesystem::path& dir);

// Each value's mean and standard deviation (n - 1; null for one) over the objects that have it as a number.
void mean_and_sd(const std::vector<const boost::json::object*>& values, boost::json::object& mean, boost::json::object& sd);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_SRC_RUN_SERIES_H_
