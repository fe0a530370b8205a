// The headline metrics of an evaluation (fuse run's, fuse infer's, fuse eval-seg's) printed with their intervals.
#ifndef FUSE_APPS_FUSE_TRAIN_PRINT_EVALUATION_H_
#define FUSE_APPS_FUSE_TRAIN_PRINT_EVALUATION_H_

#include <filesystem>

#include <boost/json/object.hpp>

namespace fuse::cli {

// Those named as in the experiment (e.g. "auc" or "accuracy.accuracy"; of a metric none of whose outputs bears
// its name, such as "regression", every output), one line each; the rest is in evaluation.json and report.html.
void print_evaluation(const boost::json::object& results);
// The same from an evaluation.json; nothing when there is none.
void print_evaluation(const std::filesystem::path& file);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_TRAIN_PRINT_EVALUATION_H_
