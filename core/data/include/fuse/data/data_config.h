// The "data" section of an experiment file: where samples come from, the static and dynamic pipelines, the
// cache, the error policy and the folds. Every step remembers where it was written, for messages.
//
//   "data": {
//     "source": {"table": "train.csv", "paths": ["image", "mask"]},   // or {"folder", "pattern", "key"},
//                                                                     // {"ids": [...], "key"}, {"count", "key"}
//     "static":  [{"op": "fuse.io.read_medical", "path_key": "data.image"}, ...],
//     "dynamic": [{"op": "fuse.medical.random_flip", "keys": ["data.image"]}, ...],
//     "batch":   [{"op": "fuse.cuda.to_device", "keys": ["data.image"]}, ...],  // on collated batches
//     "cache": {"dir": "cache", "memory_mb": 0},
//     "on_error": "fail",                                             // or "skip"
//     "seed": 0,
//     "folds": {"k": 5, "stratify": "data.label", "group": "data.patient_id", "file": "folds.json",
//               "train": [0, 1, 2, 3], "validation": [4]},
//     "loader": {...}                                                 // read by fuse::loader
//   }
#ifndef FUSE_DATA_DATA_CONFIG_H_
#define FUSE_DATA_DATA_CONFIG_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fuse/data/dataset.h"
#include "fuse/json/document.h"

namespace fuse::data {

struct FoldsSpec {
  size_t k = 5;
  // Keys of the source's values (none: not stratified). One key: its value is the class. Several: each a 0/1
  // label, and a sample's stratum is its rarest label (rarest_label_strata); so too with `separator`, which
  // splits one key's text into labels ("Effusion|Edema").
  std::vector<std::string> stratify;
  std::string separator;
  std::string group;     // a key whose samples stay in one fold (empty: none)
  std::filesystem::path file;  // saved folds: reused when present, written when not
  uint64_t seed = 0;
  std::vector<int> train, validation;  // the folds of each split
  std::string where;
};

struct DataConfig {
  DatasetSpec dataset;  // every sample of the source
  std::optional<FoldsSpec> folds;
  std::string pointer;  // of the section, e.g. "/data"
};

// Reads the section at `pointer` of `document` (relative paths are relative to the document's folder); the
// source is read now. Errors are located (file:line:column).
// `read_samples` false leaves the source unread (inference from a bundle, where the data is not at hand).
DataConfig read_data_config(const json::Document& document, const std::string& pointer = "/data", bool read_samples = true);

// A sample source object ({"table": ...}, {"folder": ...}, {"ids": ...}, {"count": ...}) at `pointer`, read.
std::vector<Sample> read_sample_source(const json::Document& document, const std::string& pointer);
// An array of pipeline steps at `pointer` (none when absent): ops; 'split', 'keep_if' and 'drop_if' steps are
// refused where they are written (they belong to a static pipeline), and so is 'fit' unless `allow_fit` (an
// inference pipeline, which takes the values fitted for data.static).
std::vector<Step> read_steps(const json::Document& document, const std::string& pointer, bool allow_fit = false);
// read_steps for a postprocessing pipeline, whose steps may take a data.static step's fitted values
// ("fit": {"from": key}, fit.h's copy_fits_from).
std::vector<Step> read_postprocess_steps(const json::Document& document, const std::string& pointer);
// read_steps for a static (cached) pipeline, which may split and drop samples but cannot be random:
// 'apply_probability' is refused where it is written.
std::vector<Step> read_static_steps(const json::Document& document, const std::string& pointer);

// The samples of a split: "all", "train" or "validation" (with folds; the folds file is written the first
// time and read afterwards, so every later run splits the same way).
std::vector<Sample> split_samples(const DataConfig& config, const std::string& split);

// An experiment's validation data ("/validation"): a sample source, or a section whose 'source', 'static' and
// 'dynamic' replace the data's (without 'source', the folds' validation split). The section's other fields,
// 'batch_size' and 'sliding_window', are the trainer's: allowed here, read there.
struct ValidationData {
  bool has_source = false;
  std::vector<Sample> samples;                           // the source's (read_samples)
  std::optional<std::vector<Step>> static_steps;         // replaces data.static
  std::optional<std::vector<Step>> dynamic_steps;        // replaces data.dynamic
};
// nullopt when the document has no "/validation". A section without a source and a data section without
// folds is an error at the section (it has no samples).
std::optional<ValidationData> read_validation_data(const json::Document& document, const DataConfig& data, bool read_samples = true);
// What validation runs on: the validation source's samples, else the folds' validation split (none without
// folds), through the validation's pipelines where it has its own, else the data's. A default ValidationData
// (no "/validation") gives the folds' split through the data's pipelines.
DatasetSpec validation_dataset(const DataConfig& data, const ValidationData& validation);

}  // namespace fuse::data

#endif  // FUSE_DATA_DATA_CONFIG_H_
