// Internal to the evaluator: evaluating a predictions file block by block, in memory bounded by the metrics'
// own state (for files larger than memory). No confidence intervals, sub-groups, folds or comparisons there:
// those need the rows in memory.
#ifndef FUSE_EVAL_SRC_STREAMING_H_
#define FUSE_EVAL_SRC_STREAMING_H_

#include <boost/json/object.hpp>

#include "plan.h"

namespace fuse::eval {

boost::json::object run_streaming(const Registry& registry, const EvalConfig& config, const EvalPlan& plan);

}  // namespace fuse::eval

#endif  // FUSE_EVAL_SRC_STREAMING_H_
