// The inputs of `fuse infer`: files named one by one, the files of a folder, or the rows of a table (a test
// set laid out as the training table: its path columns and keys are the bundle's) or of a data list's section.
#ifndef FUSE_TRAIN_INFERENCE_INPUTS_H_
#define FUSE_TRAIN_INFERENCE_INPUTS_H_

#include <filesystem>
#include <string>
#include <vector>

#include "fuse/data/sample_source.h"
#include "fuse/train/experiment.h"

namespace fuse::train {

// One of `files`, `folder` or `table`.
struct InferenceInputs {
  std::vector<std::string> files;  // each an input (a file, or a DICOM series' folder): its path under the
                                   // inference's input key, its id the file name without extensions
  // The files matching `pattern` ("**/" in front: sub-folders too; empty: the training source's pattern when it
  // was a folder with paired files, else "*").
  std::filesystem::path folder;
  std::string pattern;
  bool folders = false;            // match `folder`'s sub-folders instead (a DICOM series each)
  std::filesystem::path table;     // .csv, .tsv, .jsonl: a sample per row; .json: the data list's `section`
  std::string section = "test";
};

// The samples, in order. A table's columns become keys as in the bundle's training source when that is a
// table (its 'keys', 'paths' and 'id_column'), else data.<column>; a data list's path fields are 'image' and
// 'label' and an entry that is a path alone goes to the input key. Where the training source was a folder whose
// files came with paired files ('with': a case's other MRI sequences, its labels), a file or a folder's files
// get theirs the same way (ids too); a paired file that no inference step names (the labels) may be missing.
// nnU-Net's layout: inputs in a folder named imagesTs find the labels that training found in ../labelsTr in
// ../labelsTs instead. Errors name the option and what was found.
std::vector<data::Sample> read_inference_inputs(const InferenceInputs& inputs, const Experiment& experiment);

// One input file (or DICOM series' folder) as a sample: its path under the input key, its id the file name
// without extensions; where the training source paired files ('with'), its paired files found the same way (a
// name the training pattern does not match is refused when an inference step reads a paired file).
data::Sample input_file_sample(const std::string& file, const Experiment& experiment);

// The keys of the columns the training table required (its targets, "required" in data.source).
std::vector<std::string> required_keys(const Experiment& experiment);
// The keys some inputs may lack while others have them (a case not annotated yet): required_keys, and the
// paired files of a folder source that no inference step reads (its labels).
std::vector<std::string> keys_inputs_may_lack(const Experiment& experiment);
// Erases those of `keys` that hold an empty cell (null or NaN) from `sample`: a row of a table to predict whose
// target is empty has none, so the target's steps ("apply_if_present") skip it and the evaluation leaves it out.
void leave_out_empty(const std::vector<std::string>& keys, NDict& sample);

}  // namespace fuse::train

#endif  // FUSE_TRAIN_INFERENCE_INPUTS_H_
