// fuse init: starting experiments written from a look at the data (init_command.cc: a table's columns;
// init_segmentation.cc: images and their label maps).
#ifndef FUSE_APPS_FUSE_INIT_H_
#define FUSE_APPS_FUSE_INIT_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuse/table/table.h"

namespace fuse::cli {

struct InitOptions {
  std::string table, target, image = "image", mask, out = "experiment.json", task = "auto";
  std::vector<std::string> exclude, groups;
  bool force = false;
  int64_t threads = 0;
};

// The table as the experiment names it: relative to the experiment's folder, unless that climbs more than two
// folders up (then absolute).
std::string table_path(const std::filesystem::path& table, const std::filesystem::path& experiment);
// `text` JSON-quoted.
std::string quoted(const std::string& text);
// Opens the table o.table, after refusing a missing one or an existing o.out (unless o.force).
std::unique_ptr<table::Reader> open_table(const InitOptions& o);
// Refuses a `column` that the table's `columns` lack, naming the option that gave it.
void require_column(const InitOptions& o, const std::vector<std::string>& columns, const std::string& column, const std::string& option);
// Refuses an existing o.out unless o.force; write_experiment writes `text` there.
void check_out(const InitOptions& o);
void write_experiment(const InitOptions& o, const std::string& text);

// A 3D segmentation of the images in column o.image by the label maps in column o.mask.
int init_segmentation(const InitOptions& o);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_INIT_H_
