// Prediction over many inputs (`fuse infer BUNDLE --folder|--table|--input ... --out DIR`): a test set, a
// folder of scans. Inputs are read and prepared on worker threads while the model runs on the one before;
// each input's small outputs (class scores, a score) become a row of predictions.csv beside the values its
// source gave (a table's label column), large ones are written by the bundle's write steps into the folder, and
// where the inputs carry the evaluation's target the predictions are evaluated as a run's validation is.
#ifndef FUSE_TRAIN_BATCH_INFERENCE_H_
#define FUSE_TRAIN_BATCH_INFERENCE_H_

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fuse/data/sample_source.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/inference.h"

namespace fuse::train {

struct BatchInferenceOptions {
  std::filesystem::path out;  // predictions.csv, the written outputs, evaluation.json and report.html
  // The name of each input's written output in `out` (the bundle's write steps find it under the inference's
  // output key): "{id}" the input's id, "{ext}" its file's extensions (".nii.gz"; ".nii.gz" for a folder such
  // as a DICOM series).
  std::string output_name = "{id}{ext}";
  size_t workers = 2;       // threads reading and preparing inputs ahead of the model
  // Inputs per model call (those whose model inputs share a shape; sliding windows and slices take one at a
  // time); 0: the experiment's validation batch size.
  size_t batch = 0;
  bool keep_going = false;  // an input that fails is listed in errors.csv and the others go on
  // The input key of each input's reference label map (`--reference data.mask`); empty: the bundle's
  // inference.reference. Each written label map is then scored against its reference (ReferenceEvaluation):
  // per input in predictions.csv, over the inputs in evaluation.json.
  std::string reference;
  // Called after each input, with how many are done and how many there are (a progress display).
  std::function<void(size_t done, size_t total)> on_progress;
};

struct BatchInferenceResult {
  size_t predicted = 0;
  std::vector<std::pair<std::string, std::string>> failed;  // id, error (with keep_going)
  std::vector<std::string> columns;                          // of predictions.csv
  bool evaluated = false;
  std::string not_evaluated;  // why not, when the bundle has an evaluation section
  std::vector<std::string> reference_columns;  // each input's scores against its reference
  std::string not_compared;  // why not, when the bundle names a reference the inputs do not carry
  double seconds = 0;
};

// Predicts every sample in order. Each row of predictions.csv is the sample's id, its source values that are
// numbers or text (columns named by key: data.label), the path its outputs were written to (column "output",
// when the bundle writes), then every tensor of up to 64 values per input that the model and postprocess made
// (model.score; model.probs_0, model.probs_1 for a [1, 2] output, as in a run's predictions.csv). Ids must be
// unique. An input that fails stops the whole (its id and origin in the message) unless `keep_going`. With a
// reference, each input's scores against it follow (the metrics' names as columns), and their means with
// intervals go to evaluation.json beside the evaluation section's.
BatchInferenceResult predict_all(const Registry& registry, Predictor& predictor, const std::vector<data::Sample>& samples,
                                 const BatchInferenceOptions& options);

// Which model predicts each input: predictors[which[i]] (a cross-validation's folds, each predicting the cases it
// validated: `fuse infer --out-of-fold`). With a name per predictor, predictions.csv says which in a column
// "model" after the id. The first predictor's experiment gives the columns, the evaluation and the reference.
struct PredictorChoice {
  std::vector<Predictor*> predictors;
  std::vector<std::string> names;
  std::vector<size_t> which;  // one per input
};
// predict_all with each input's own predictor; a batch holds consecutive inputs of one predictor (put each
// predictor's inputs together).
BatchInferenceResult predict_all(const Registry& registry, const PredictorChoice& choice, const std::vector<data::Sample>& samples,
                                 const BatchInferenceOptions& options);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_BATCH_INFERENCE_H_
