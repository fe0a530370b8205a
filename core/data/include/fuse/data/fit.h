// Config values fitted to the training samples (sklearn's fit on the training split; fastMONAI's stored
// preprocessing variables). A static step marked "fit" runs an op whose manifest says what it can fit
// (fuse.ops.zscore: its mean and std from the values of its keys); before anything else runs, the host measures
// those values over the training samples, as the steps before the op leave them, and writes the statistics
// into the step's config. Each key gets its own numbers: a step on several keys becomes one run per key
// (FuseMedML's OpRepeat). From then on they are ordinary config: they key the cache, go into the run's
// config.json and a bundle, and inference uses them, so no statistic of validation or test data leaks in.
#ifndef FUSE_DATA_FIT_H_
#define FUSE_DATA_FIT_H_

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "fuse/data/data_config.h"
#include "fuse/data/dataset.h"

namespace fuse::data {

// Fits every step of spec.static_steps marked "fit" (and not fitted yet) to spec.samples, the training split:
// values of a key are pooled over the samples (a number counts once, a tensor with each element, only where
// the step's mask is > 0), empty cells and NaNs are left out and counted; the standard deviation is the population one (as
// sklearn's StandardScaler). The steps before a fitted one run on spec.index_threads threads; the statistics
// do not depend on the number. Returns one line per fitted key for the log. Errors name the step, the sample
// and the key.
std::vector<std::string> fit_static_steps(const Registry& registry, DatasetSpec& spec);

// Gives each step of `steps` marked "fit" (validation.static, inference.steps) the values fitted for the step
// of `fitted` written the same way (op, config, repeat and mask); `name` ("validation's static pipeline")
// starts the error when there is none, which names `fitted_name` (inference's own postprocess takes the fits
// of the experiment's "postprocess").
void copy_fits(const std::vector<Step>& fitted, std::vector<Step>& steps, const std::string& name, const std::string& fitted_name = "data.static");

// Gives each step of `steps` marked {"fit": {"from": key}} (postprocessing) the values fitted for `key` by the
// `fitted` (data.static) step of the same op: fuse.ops.zscore with "inverse" puts a prediction of the
// standardised target back in the target's units with the training mean and std. `name` ("postprocess")
// starts the error when there is none.
void copy_fits_from(const std::vector<Step>& fitted, std::vector<Step>& steps, const std::string& name);

// Writes the fitted values of `steps` into `root` (the experiment's JSON) at each step's pointer, in place of
// its "fit": the run's config.json then holds the numbers.
void write_fits(boost::json::value& root, const std::vector<Step>& steps);

// Fits data.static to the training split (the folds' "train", else every sample) and copies the values into
// `validation`'s own static steps (when given). Returns fit_static_steps' lines.
std::vector<std::string> fit_data(const Registry& registry, DataConfig& data, ValidationData* validation, size_t threads, bool progress);

}  // namespace fuse::data

#endif  // FUSE_DATA_FIT_H_
