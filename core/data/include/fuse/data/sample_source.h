// Where samples come from: a CSV/TSV table (each column becomes a key, e.g. data.path, data.label), the files
// matching a glob in a folder (with their paired files), a JSON data list (the Medical Segmentation Decathlon's
// dataset.json), or a list of ids. Every sample has an id (cache keys, messages).
#ifndef FUSE_DATA_SAMPLE_SOURCE_H_
#define FUSE_DATA_SAMPLE_SOURCE_H_

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fuse/ndict/ndict.h"

namespace fuse::data {

struct Sample {
  std::string id;
  std::string origin;  // "row 7 of train.csv", "file scans/a.nii.gz": where it came from, for messages
  NDict values;        // what the source provides (paths, labels, ...), before any op
};

struct TableSource {
  std::filesystem::path file;             // .csv, .tsv (or .jsonl)
  std::string id_column;                  // default: "id" when present, else the row number
  std::map<std::string, std::string> keys;  // column -> key; other columns become "data.<column>"
  std::vector<std::string> path_columns;    // columns of file paths: relative ones are made absolute against
                                            // the table's folder
  // Columns a row must have: a row with an empty (or NaN) cell in one is left out, and the count logged as a
  // warning (a clinical table's patients without the outcome). Empty: every row.
  std::vector<std::string> required{};
  // Paired files by row: key -> path template, "{id}" the row's id, relative to the table's folder (a cascade's
  // previous-stage segmentations: "data.lowres" -> "../oof/{id}.nii.gz"). A missing file is an error naming the
  // row and the path.
  std::vector<std::pair<std::string, std::string>> with{};
};

// Whether a table cell's value counts as empty for "required": an empty cell (null) or NaN. Inference leaves
// such a cell out by the same rule.
bool is_empty_cell(const Value& v);

// Path and id templates of a matched file: "{stem}" its name without extensions ("la_003_0000"), "{name}" its
// whole name, "{*}" what the pattern's first '*' matched ("la_003" for "*_0000.nii.gz").
struct GlobSource {
  std::filesystem::path folder;
  std::string pattern = "*";  // file names ('*' and '?'); "**/" in front searches sub-folders
  std::string key = "data.path";
  std::string id = "{stem}";  // the id template (with "**/", prefixed by the file's sub-folder)
  // key -> template of a file paired with each match, relative to the match's folder (nnU-Net's and the
  // Decathlon's "../labelsTr/{stem}.nii.gz", BraTS's "{*}_seg.nii.gz"); a missing one is an error.
  std::vector<std::pair<std::string, std::string>> with;
  // Keys of `with` whose file may be missing: the key is left out then (a test folder's labels, which it may lack).
  std::set<std::string> optional{};
  // Match folders instead of files: each matching folder is a sample (a DICOM series), its id its whole name;
  // with "**/", a matching folder is not searched further.
  bool folders = false;
};

// A JSON file listing samples (MONAI's load_decathlon_datalist): under `section`, an array of objects whose
// fields become keys, or of paths (the Decathlon's "test": ["./imagesTs/la_001.nii.gz"]) that go to
// "data.image".
struct DatalistSource {
  std::filesystem::path file;
  std::string section = "training";
  std::map<std::string, std::string> keys;  // field -> key; other fields become "data.<field>"
  // Fields holding paths (a string, or an array of strings that become "<key>.0", "<key>.1", ...): relative
  // ones are made absolute against the file's folder. Numbers and other fields are kept as they are.
  std::vector<std::string> path_fields = {"image", "label"};
};

// A file's name without its extensions, as ids are made from it: "scan.nii.gz" -> "scan" (medical images often
// carry two), "a.png" -> "a"; a folder's whole name (a DICOM series' "1.2.840.113619.2"; a name without a
// known extension is looked up on disk to tell).
std::string file_stem(const std::filesystem::path& file);

// Reads a table: integers become int values, other numbers doubles, the rest strings (empty cells are null).
std::vector<Sample> read_table_source(const TableSource& source);
// The matching files, sorted; ids from `source.id` (by default the file names without their extensions,
// ".nii.gz" included).
std::vector<Sample> read_glob_source(const GlobSource& source);
// One file as read_glob_source makes it a sample (its id and paired files; `source.folder` is taken as the
// file's own folder); nullopt when its name does not match `source.pattern`.
std::optional<Sample> glob_sample(const GlobSource& source, const std::filesystem::path& file);
// The entries in file order; ids from an "id" field, else the first path field's file name without its
// extensions, else the entry's number from 1.
std::vector<Sample> read_datalist_source(const DatalistSource& source);
// One sample per id, the id under `key`.
std::vector<Sample> ids_source(const std::vector<std::string>& ids, const std::string& key);
// Samples "0" to "count - 1", each number (an int) under `key`: items of one file, such as MNIST's.
std::vector<Sample> range_source(size_t count, const std::string& key);

// The keys whose value is, in every sample, text equal to the sample's id (a table's id column read as data.id,
// data.sample_id): a listing whose first column is the id leaves them out.
std::set<std::string> keys_repeating_id(const std::vector<Sample>& samples);

}  // namespace fuse::data

#endif  // FUSE_DATA_SAMPLE_SOURCE_H_
