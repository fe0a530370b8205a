// The evaluator: runs metric components over predictions, with confidence intervals, sub-groups, folds,
// one-vs-all and paired model comparisons. The results are JSON of the shape documented in
// docs/evaluation.md: {"metrics": {...}, "curves": {...}, "groups": {...}, "folds": {...},
// "comparisons": {...}, "data": {...}}.
#ifndef FUSE_EVAL_EVALUATOR_H_
#define FUSE_EVAL_EVALUATOR_H_

#include <boost/json/object.hpp>

#include "fuse/eval/eval_config.h"
#include "fuse/eval/eval_data.h"
#include "fuse/plugin/registry.h"

namespace fuse::eval {

class Evaluator {
 public:
  Evaluator(const Registry& registry, EvalConfig config);
  ~Evaluator();

  // Loads the prediction files and evaluates them (streamed block by block when config.streaming).
  boost::json::object run();
  // Evaluates rows already in memory (e.g. a trainer's predictions); keys as in the config.
  boost::json::object run(EvalData data);

 private:
  const Registry& registry_;
  EvalConfig config_;
};

}  // namespace fuse::eval

#endif  // FUSE_EVAL_EVALUATOR_H_
