// Postprocess steps fitted after training to the trained model's outputs on the training samples (a step
// marked "fit": {"time": KEY, "event": KEY}): a Cox model's Breslow baseline cumulative hazard, which turns
// its risk scores into survival probabilities (fuse.ops.cox_survival). As with the data's fitted statistics,
// the values then become ordinary config: config.json and a bundle hold them, so inference reproduces them.
#ifndef FUSE_TRAIN_PREDICTION_FIT_H_
#define FUSE_TRAIN_PREDICTION_FIT_H_

#include <string>
#include <vector>

#include "fuse/data/pipeline.h"
#include "fuse/ndict/ndict.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

// Breslow's estimate of the baseline cumulative hazard of a Cox model: at each distinct event time t (the
// `times`), H0(t) = the sum over the event times s <= t of d(s) / sum of exp(risk_j) over the rows j with
// time_j >= s (d(s): the events at s; a row censored at s is still at risk there). Errors name the row.
struct BreslowBaseline {
  std::vector<double> times;   // increasing
  std::vector<double> hazard;  // cumulative, not decreasing
};
BreslowBaseline breslow_baseline(const std::vector<double>& risk, const std::vector<double>& time, const std::vector<double>& event);

// Whether a step waits for a fit to the model's outputs (marked so and not fitted yet).
bool awaits_prediction_fit(const data::Step& step);
// Which of `steps` wait for such a fit: those awaiting one, and those that read (as their manifests and configs
// say) what a waiting step writes. Each waiting step's entry describes it ("'op' (where)", with the key it reads
// from which step); the others' are empty.
std::vector<std::string> waiting_for_prediction_fit(const Registry& registry, const std::vector<data::Step>& steps);
// `steps` without those waiting: the postprocessing that can run before the fit (during training).
std::vector<data::Step> without_awaiting(const Registry& registry, const std::vector<data::Step>& steps);

// A metric of the epochs that reads a key a waiting step of `postprocess` writes is refused, naming both: the
// step runs only once training ends (the evaluation can read it).
void refuse_metrics_reading_awaiting(const Registry& registry, const std::vector<data::Step>& postprocess, const std::vector<MetricSpec>& metrics);

// The rows for the fits of the awaiting steps of `steps`, gathered batch by batch.
class PredictionFits {
 public:
  // `name` ("postprocess") starts the errors.
  PredictionFits(const Registry& registry, const std::vector<data::Step>& steps, std::string name);
  bool empty() const { return fits_.empty(); }
  // Reads each awaiting step's key (one value per row: [B] or [B, 1]) and its time and event keys from a
  // batch that has been through the model and the other postprocess steps; `ids` name its rows for errors.
  void add(const NDict& batch, const std::vector<std::string>& ids);
  // Sets the fitted config fields of the awaiting steps of `steps` (the same list as the constructor's) and
  // marks them fitted. Returns one line per step for the log.
  std::vector<std::string> finish(std::vector<data::Step>& steps) const;

 private:
  struct Fit {
    size_t step = 0;
    std::string key;
    std::vector<std::pair<std::string, std::string>> set;  // config field -> statistic
    std::vector<double> value, time, event;
  };
  std::string where(size_t step) const;
  std::vector<data::Step> steps_;
  std::string name_;
  std::vector<Fit> fits_;
};

// Gives each awaiting step of `steps` the values a finished run wrote for it into its config.json (`run_config`,
// at the step's pointer); a step the run did not fit stays awaiting.
void take_prediction_fits(const Registry& registry, const boost::json::value& run_config, std::vector<data::Step>& steps);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_PREDICTION_FIT_H_
