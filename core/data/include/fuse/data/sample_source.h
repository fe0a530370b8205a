// Where samples come from: a CSV/TSV table (each column becomes a key, e.g. data.path, data.label), the files
// matching a glob in a folder, or a list of ids. Every sample has an id (cache keys, messages).
#ifndef FUSE_DATA_SAMPLE_SOURCE_H_
#define FUSE_DATA_SAMPLE_SOURCE_H_

#include <filesystem>
#include <map>
#include <string>
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
};

struct GlobSource {
  std::filesystem::path folder;
  std::string pattern = "*";  // file names ('*' and '?'); "**/" in front searches sub-folders
  std::string key = "data.path";
};

// Reads a table: integers become int values, other numbers doubles, the rest strings (empty cells are null).
std::vector<Sample> read_table_source(const TableSource& source);
// The matching files, sorted; ids are the file names without their extensions (".nii.gz" included).
std::vector<Sample> read_glob_source(const GlobSource& source);
// One sample per id, the id under `key`.
std::vector<Sample> ids_source(const std::vector<std::string>& ids, const std::string& key);
// Samples "0" to "count - 1", each number (an int) under `key`: items of one file, such as MNIST's.
std::vector<Sample> range_source(size_t count, const std::string& key);

}  // namespace fuse::data

#endif  // FUSE_DATA_SAMPLE_SOURCE_H_
