// fuse init: the command, the helpers its templates share, and the template for a table's columns (fastMONAI's
// low-code start; sklearn's ColumnTransformer made from the column types). Numbers get the training mean in empty
// cells, then a z-score; a text column with few values becomes one-hot features; ids and free text are left out.
// Every statistic, category and size is fitted when `fuse run` reads the training folds, so the file holds no
// number computed here.
#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <system_error>
#include <thread>

#include <boost/json/value.hpp>

#include "commands.h"
#include "init.h"
#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "fuse/table/describe.h"

namespace fuse::cli {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxCategories = 50;  // more distinct texts than this is an id or free text

std::string key(const std::string& column) { return json_string(data_key(column)); }

// "1 number", "4 numbers".
std::string counted(size_t n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

// "patient_id", "Subject ID", "id_scan", "PatientID", "caseId": an identifier, whatever it holds (numbers would
// pass for a feature).
bool named_as_id(const std::string& column) {
  const std::string name = lowercase(column);
  const auto ends = [&](const std::string& text, const std::string& tail) {
    return text.size() > tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
  };
  // camelCase: "PatientID", "caseId" (not "COVID")
  const bool camel = column.size() > 2 && std::islower(static_cast<unsigned char>(column[column.size() - 3])) && (ends(column, "ID") || ends(column, "Id"));
  return name == "id" || ends(name, "_id") || ends(name, " id") || ends(name, "-id") || name.rfind("id_", 0) == 0 || camel;
}

}  // namespace

Plan plan_columns(const std::vector<table::ColumnSummary>& columns, const InitOptions& o, size_t rows, const FoldGroups& groups,
                  const std::vector<std::string>& images) {
  Plan p;
  const std::vector<std::string> targets = target_columns(o);
  for (const table::ColumnSummary& c : columns) {
    if (std::count(targets.begin(), targets.end(), c.name) || c.name == o.time || c.name == o.event || std::count(images.begin(), images.end(), c.name)) continue;
    const size_t present = rows - c.missing;
    if (c.name == groups.column) p.skipped.emplace_back(c.name, "the folds' groups");
    else if (std::find(o.exclude.begin(), o.exclude.end(), c.name) != o.exclude.end()) p.skipped.emplace_back(c.name, "--exclude");
    else if (c.name == "id") p.skipped.emplace_back(c.name, "the ids");
    else if (named_as_id(c.name)) p.skipped.emplace_back(c.name, "an id, by its name");
    else if (present == 0) p.skipped.emplace_back(c.name, "empty");
    else if (c.distinct < 2) p.skipped.emplace_back(c.name, "one value");
    else if (c.numeric) {
      p.numbers.push_back(c.name);
      if (c.missing) p.with_missing.push_back(c.name);
    } else if (c.distinct <= kMaxCategories && 2 * c.distinct <= present) {
      p.categories.push_back(c.name);
    } else {
      p.skipped.emplace_back(c.name, std::to_string(c.distinct) + " distinct texts in " + std::to_string(present) + " rows: an id or free text");
    }
  }
  return p;
}

std::vector<std::string> feature_steps(const Plan& p) {
  std::vector<std::string> steps;
  if (!p.with_missing.empty()) steps.push_back("      // empty cells: the training mean\n      {\"op\": \"fuse.ops.nan_to_num\", \"keys\": " + key_list(p.with_missing) + ", \"fit\": true}");
  if (!p.numbers.empty()) steps.push_back("      // each number standardised by the training mean and standard deviation\n      {\"op\": \"fuse.ops.zscore\", \"keys\": " + key_list(p.numbers) + ", \"fit\": true}");
  std::vector<std::string> parts;
  for (const std::string& c : p.categories) {
    steps.push_back((parts.empty() ? "      // one channel per value of the training folds, sorted; a value they never held (or an empty cell) is all zeros\n" : std::string()) +
                    "      {\"op\": \"fuse.ops.one_hot\", \"key\": " + key(c) + ", \"out\": " + key(c + "_onehot") + ", \"unknown\": \"zeros\", \"fit\": true}");
    parts.push_back(c + "_onehot");
  }
  if (!p.numbers.empty()) {
    const bool alone = parts.empty();
    steps.push_back("      {\"op\": \"fuse.ops.stack\", \"keys\": " + key_list(p.numbers) + ", \"out\": \"data." + (alone ? "features" : "numbers") + "\"}");
    if (!alone) parts.insert(parts.begin(), "numbers");
  }
  if (!parts.empty()) steps.push_back("      {\"op\": \"fuse.ops.concat\", \"keys\": " + key_list(parts) + ", \"out\": \"data.features\"}");
  return steps;
}

std::string features_description(const Plan& p) {
  if (p.categories.empty()) return counted(p.numbers.size(), "number");  // not "and 0 categorical columns"
  if (p.numbers.empty()) return counted(p.categories.size(), "categorical column");
  return counted(p.numbers.size(), "number") + " and " + counted(p.categories.size(), "categorical column");
}

void print_plan(const Plan& p) {
  if (!p.numbers.empty()) std::cout << "  numbers: " << join(p.numbers, ", ") << "\n";
  if (!p.categories.empty()) std::cout << "  categories: " << join(p.categories, ", ") << "\n";
  for (const auto& [column, why] : p.skipped) std::cout << "  left out " << column << ": " << why << "\n";
}

namespace {

int init_table(const InitOptions& o) {
  const fs::path table_file(o.table), out(o.out);
  std::unique_ptr<table::Reader> reader = open_table(o);
  const std::vector<std::string> names = reader->columns();
  for (const std::string& c : o.exclude) require_column(o, names, c, "--exclude");
  for (const std::string& c : o.groups) require_column(o, names, c, "--groups");
  const bool survival = !o.event.empty();
  require_target_columns(o, names);
  std::vector<table::Request> all;
  for (const std::string& c : names) all.push_back({c, table::Kind::kText});
  const table::Table t = table::read_table(table_file, all);
  const std::vector<table::ColumnSummary> columns = table::describe(t);
  const auto summary = [&](const std::string& name) { return *std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.name == name; }); };
  const Target target = survival ? read_survival(o, summary(o.time), summary(o.event)) : read_targets(o, columns, t);
  const FoldGroups groups = fold_groups(o, columns, t.size());
  const Plan p = plan_columns(columns, o, t.size(), groups);
  if (p.numbers.empty() && p.categories.empty()) {
    std::string skipped;
    for (const auto& [column, why] : p.skipped) skipped += (skipped.empty() ? "" : ", ") + column + ": " + why;
    throw Error(Errc::kInvalidArgument, o.table + ": no column is left to learn from (" + skipped +
                                            "); features are numbers, or texts of at most " + std::to_string(kMaxCategories) + " values that repeat");
  }

  std::string s;
  const auto line = [&](const std::string& text) { s += text + "\n"; };
  const std::string description = target.description + " from " + features_description(p);
  std::string command = "fuse init " + o.table + target_option(o);
  command += common_options(o);
  line("{");
  line("  // Made by `" + command + "`:");
  line("  // " + description + ", with an MLP and " + std::to_string(fold_count(groups, t.size())) + "-fold cross-validation.");
  s += fold_groups_comment(groups, t.size());
  line("  // Every statistic below (means, standard deviations, categories, the MLP's input size) is fitted to the training");
  line("  // folds when `fuse run` starts, and printed. Edit freely: docs/data.md, docs/training.md.");
  if (!p.skipped.empty()) {
    std::string skipped;
    for (const auto& [column, why] : p.skipped) skipped += (skipped.empty() ? "" : ", ") + column + " (" + why + ")";
    line("  // Left out: " + skipped + ".");
  }
  line("  \"name\": " + json_string(out.stem().string()) + ",");
  line("  \"seed\": 1,");
  line("  \"data\": {");
  if (!target.required.empty()) line("    // rows with an empty target cell are left out: nothing to learn from");
  line("    \"source\": {\"table\": " + json_string(table_path(table_file, out)) + renamed_keys(names) + required_member(target) + "},");
  line("    \"static\": [");
  std::vector<std::string> steps = feature_steps(p);
  steps.insert(steps.end(), target.steps.begin(), target.steps.end());
  for (size_t i = 0; i < steps.size(); ++i) line(steps[i] + (i + 1 < steps.size() ? "," : ""));
  line("    ],");
  line("    " + folds_member(out.stem().string(), groups, t.size(), target.stratify) + ",");
  line(std::string("    \"loader\": {\"batch_size\": ") + (survival ? "64" : "32") + ", \"workers\": 1}");
  line("  },");
  line("  \"model\": {\"model\": \"fuse.models.mlp\", \"hidden\": [32], \"out_features\": " + std::to_string(target.output_size()) +
       ", \"dropout\": 0.1, \"inputs\": [\"data.features\"], \"outputs\": " + target.outputs() + "},");
  line(target_sections(o, target, 30, 1));
  line("}");

  write_experiment(o, s);
  std::cout << "wrote " << o.out << ": " << description << "\n";
  print_plan(p);
  print_required(target);
  print_fold_groups(groups, t.size());
  std::cout << "next: fuse run " << o.out << " --cross-validate\n";
  return 0;
}

int init(const InitOptions& o) {
  if (o.time.empty() != o.event.empty()) throw Error(Errc::kInvalidArgument, "a survival target needs both --time COLUMN and --event COLUMN");
  if (o.event.empty() && (o.survival_model != "cox" || o.horizon != 0))
    throw Error(Errc::kInvalidArgument, std::string(o.horizon != 0 ? "--horizon" : "--survival-model") + " is for a survival target: give --time and --event");
  if (o.horizon < 0 || !std::isfinite(o.horizon))
    throw Error(Errc::kInvalidArgument, "--horizon " + json::format_number(o.horizon) + ": a time after 0, in the times' unit (e.g. 5 for five years)");
  if (o.lowres && o.slices)
    throw Error(Errc::kInvalidArgument, "--lowres and --slices make two configurations (a coarser 3D UNet, a 2D one): give one, and run fuse init again for "
                                        "the other");
  if (!o.cascade.empty() && (o.lowres || o.slices))
    throw Error(Errc::kInvalidArgument, std::string("--cascade and ") + (o.lowres ? "--lowres" : "--slices") + ": the cascade's second stage is a " +
                                            "full-resolution 3D UNet; its first stage is the --lowres template's runs (give --cascade alone)");
  if (is_nnunet_dataset(o.table)) {
    // nnU-Net's folder names its channels and labels itself.
    if (!o.target.empty() || !o.mask.empty() || !o.event.empty() || o.image != "image" || !o.regions.empty() || !o.region_labels.empty())
      throw Error(Errc::kInvalidArgument, o.table + " is an nnU-Net data set (dataset.json with 'channel_names'): its channels and labelsTr make the "
                                          "segmentation, its 'labels' the regions; leave out --target, --mask, --image, --time, --event and --regions");
    if (!o.fold_group.empty() && o.fold_group != "none")
      throw Error(Errc::kInvalidArgument, "--fold-group names a table's column; " + o.table + " is an nnU-Net folder: set \"folds\": {\"group\": ...} in the "
                                          "experiment, or give the cases as a table");
    check_out(o);
    const NnunetDataset n = read_nnunet_dataset(o.table);
    InitOptions with = o;
    with.image = join(n.channels, ",");
    with.mask = "mask";
    with.made_by = "fuse init " + o.table + encoder_option(o) + configuration_option(o) + max_size_option(o);
    return init_segmentation(with, &n);
  }
  if (o.target.empty() + o.mask.empty() + o.event.empty() != 2)
    throw Error(Errc::kInvalidArgument, "give --target COLUMN (a table's other columns, or its images, predict it), --mask COLUMN (label maps of the images "
                                        "in --image COLUMN: a segmentation) or --time and --event COLUMNs (survival)");
  if (!o.region_labels.empty() && o.regions.empty())
    throw Error(Errc::kInvalidArgument, "--region-labels gives the label of each region of --regions: give --regions too");
  if (!o.regions.empty() && o.mask.empty())
    throw Error(Errc::kInvalidArgument, "--regions segments regions of the label maps in --mask: give --mask COLUMN");
  if (o.encoder != "plain" && o.mask.empty())
    throw Error(Errc::kInvalidArgument, "--encoder chooses a segmentation UNet's encoder: give --mask COLUMN (or an nnU-Net folder)");
  if (o.slices && o.mask.empty())
    throw Error(Errc::kInvalidArgument, "--slices trains a 2D UNet on the axial slices of segmented volumes: give --mask COLUMN (or an nnU-Net folder)");
  if (o.lowres && o.mask.empty())
    throw Error(Errc::kInvalidArgument, "--lowres trains a 3D UNet on segmented volumes at a coarser spacing: give --mask COLUMN (or an nnU-Net folder)");
  if (!o.cascade.empty() && o.mask.empty())
    throw Error(Errc::kInvalidArgument, "--cascade trains a 3D UNet on segmented volumes with the first stage's segmentations: give --mask COLUMN (or an "
                                        "nnU-Net folder)");
  if (o.max_size != 0 && o.max_size < 4)
    throw Error(Errc::kInvalidArgument, "--max-size " + std::to_string(o.max_size) + ": an image side needs at least 4 pixels or voxels (the UNets halve it twice)");
  if (!fs::exists(o.table)) throw Error(Errc::kIo, "no table '" + o.table + "'");
  if (!o.mask.empty()) return init_segmentation(o);
  // A table with an image column (--image, "image" by default) holds images to classify; else its columns are the features.
  const std::vector<std::string> columns = table::Reader::open(o.table)->columns();
  const std::vector<std::string> images = image_columns(o);
  if (images.size() > 1)  // named on purpose: each must be there
    for (const std::string& c : images) require_column(o, columns, c, "--image");
  if (std::all_of(images.begin(), images.end(), [&](const std::string& c) { return std::count(columns.begin(), columns.end(), c) > 0; }))
    return init_images(o);  // a survival target too
  if (o.max_size != 0)
    throw Error(Errc::kInvalidArgument, "--max-size sizes images; " + o.table + " has no column '" + o.image + "' (--image), so its columns are the features");
  return init_table(o);
}

}  // namespace

std::string json_string(const std::string& text) { return json::to_text(boost::json::value(text)); }

std::string json_list(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) out += (out.empty() ? "" : ", ") + json_string(t);
  return "[" + out + "]";
}

std::string data_key(const std::string& column) {
  std::string name = column;
  for (char& ch : name)
    if (ch == '.' || std::isspace(static_cast<unsigned char>(ch))) ch = '_';
  return "data." + name;
}

std::string renamed_keys(const std::vector<std::string>& columns) {
  std::string keys;
  for (const std::string& c : columns)
    if (data_key(c) != "data." + c) keys += (keys.empty() ? "" : ", ") + json_string(c) + ": " + json_string(data_key(c));
  return keys.empty() ? "" : ", \"keys\": {" + keys + "}";
}

std::string required_member(const Target& t) {
  std::string columns;
  for (const auto& [column, rows] : t.required) columns += (columns.empty() ? "" : ", ") + json_string(column);
  return columns.empty() ? "" : ", \"required\": [" + columns + "]";
}

void print_required(const Target& t) {
  std::string counts;
  for (const auto& [column, rows] : t.required) counts += (counts.empty() ? "" : ", ") + std::to_string(rows) + " without '" + column + "'";
  if (!counts.empty()) std::cout << "  rows left out: " << counts << " (the source's \"required\": nothing to learn from)\n";
}

std::string table_path(const fs::path& table, const fs::path& experiment) {
  const fs::path absolute = fs::absolute(table).lexically_normal();
  const fs::path relative = absolute.lexically_relative(fs::absolute(experiment).parent_path().lexically_normal());
  size_t up = 0;
  for (const fs::path& part : relative) up += part == "..";
  return (relative.empty() || up > 2 ? absolute : relative).generic_string();
}

std::unique_ptr<table::Reader> open_table(const InitOptions& o) {
  if (!fs::exists(o.table)) throw Error(Errc::kIo, "no table '" + o.table + "'");
  check_out(o);
  return table::Reader::open(o.table);
}

void require_column(const InitOptions& o, const std::vector<std::string>& columns, const std::string& column, const std::string& option) {
  if (std::find(columns.begin(), columns.end(), column) == columns.end())
    throw Error(Errc::kKeyNotFound, o.table + ": no column '" + column + "'" + did_you_mean(column, columns) + " (" + option + "; columns: " + join(columns, ", ") + ")");
}

void require_images(const InitOptions& o, size_t count) {
  constexpr size_t kMinImages = 4;
  if (count < kMinImages)
    throw Error(Errc::kInvalidArgument, o.table + ": " + std::to_string(count) + " images; folds need at least " + std::to_string(kMinImages));
}

void require_target_columns(const InitOptions& o, const std::vector<std::string>& columns) {
  if (o.event.empty()) {
    for (const std::string& c : target_columns(o)) require_column(o, columns, c, "--target");
    return;
  }
  require_column(o, columns, o.time, "--time");
  require_column(o, columns, o.event, "--event");
}

std::vector<std::string> image_paths(const InitOptions& o, const table::Table& t, const std::string& column, const std::vector<size_t>* rows) {
  std::vector<size_t> all(t.size());
  for (size_t r = 0; r < all.size(); ++r) all[r] = r;
  if (rows == nullptr) rows = &all;
  require_images(o, rows->size());
  const fs::path base = fs::absolute(o.table).parent_path();
  std::vector<std::string> paths;
  for (const size_t r : *rows) {
    const std::string path(t.column(column).text.at(r));
    if (path.empty()) throw Error(Errc::kInvalidArgument, t.where(r) + ": no path in column '" + column + "'");
    paths.push_back(fs::path(path).is_absolute() ? path : (base / path).string());
  }
  return paths;
}

std::vector<std::string> image_columns(const InitOptions& o) {
  std::vector<std::string> columns;
  for (std::string_view c : split(o.image, ',')) columns.emplace_back(c);
  return columns;
}

std::vector<GridMismatch> grid_mismatches(const std::vector<std::vector<std::string>>& paths, size_t threads) {
  std::vector<GridMismatch> out;
  if (paths.size() < 2 || paths[0].empty() || data::is_photograph(paths[0][0])) return out;  // a photograph's channels are in its one file
  for (size_t c = 1; c < paths.size(); ++c) {
    const std::vector<std::string> differences = data::grid_differences(Registry(), paths[0], paths[c], threads);
    for (size_t i = 0; i < differences.size(); ++i)
      if (!differences[i].empty()) out.push_back({i, c, differences[i]});
  }
  return out;
}

void check_channel_grids(const InitOptions& o, const std::vector<std::vector<std::string>>& paths, const std::vector<std::string>& columns,
                         const std::function<std::string(size_t)>& where) {
  const std::vector<GridMismatch> off = grid_mismatches(paths, reading_threads(o));
  if (off.empty()) return;
  const GridMismatch& m = off.front();
  throw Error(Errc::kInvalidArgument, where(m.item) + ": its '" + columns[0] + "' and '" + columns[m.channel] + "' lie on different grids (" + m.difference +
                                          "); the images of a case are its channels and must share one grid: register them first (or give --image one column)");
}

std::vector<std::vector<std::string>> channel_paths(const InitOptions& o, const table::Table& t, const std::vector<size_t>* rows) {
  std::vector<std::vector<std::string>> paths;
  const std::vector<std::string> columns = image_columns(o);
  for (const std::string& c : columns) paths.push_back(image_paths(o, t, c, rows));
  check_channel_grids(o, paths, columns, [&](size_t i) { return t.where(rows ? rows->at(i) : i); });
  return paths;
}

size_t reading_threads(const InitOptions& o) { return o.threads > 0 ? static_cast<size_t>(o.threads) : std::max(1u, std::thread::hardware_concurrency()); }

std::string number_list(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ", ") + json::format_number(v);
  return "[" + text + "]";
}

std::string integer_list(const std::vector<int64_t>& values) {
  std::string text;
  for (int64_t v : values) text += (text.empty() ? "" : ", ") + std::to_string(v);
  return "[" + text + "]";
}

std::string volume_key(const std::vector<std::string>& columns, std::string name) {
  while (std::find(columns.begin(), columns.end(), name) != columns.end()) name += "_volume";
  return "data." + name;
}

std::vector<std::string> image_steps(const std::vector<std::string>& path_keys, const std::string& key, const std::vector<double>& spacing) {
  const std::string k = json_string(key);
  const std::string read = path_keys.size() > 1  // a case's sequences as the channels of one tensor
                               ? "{\"op\": \"fuse.io.read_medical_channels\", \"path_keys\": " + json_list(path_keys)
                               : "{\"op\": \"fuse.io.read_medical\", \"path_key\": " + json_string(path_keys.at(0));
  return {read + ", \"key\": " + k + ", \"dtype\": \"float32\"}",
          "{\"op\": \"fuse.medical.reorient\", \"keys\": [" + k + "], \"orientation\": \"RAS\"}",
          "{\"op\": \"fuse.medical.resample\", \"keys\": [" + k + "], \"spacing\": " + number_list(spacing) + "}",
          "{\"op\": \"fuse.medical.znorm\", \"keys\": [" + k + "]}"};
}

FoldGroups fold_groups(const InitOptions& o, const std::vector<table::ColumnSummary>& columns, size_t rows) {
  if (o.fold_group == "none") return {};
  if (!o.fold_group.empty()) {
    std::vector<std::string> names;
    for (const table::ColumnSummary& c : columns) names.push_back(c.name);
    require_column(o, names, o.fold_group, "--fold-group");
    const table::ColumnSummary& c = *std::find_if(columns.begin(), columns.end(), [&](const auto& s) { return s.name == o.fold_group; });
    if (c.missing > 0)
      throw Error(Errc::kInvalidArgument, o.table + ": the fold group '" + c.name + "' is empty in " + std::to_string(c.missing) +
                                              " rows: give each row its patient (--fold-group), or --fold-group none");
    if (c.distinct < 2) throw Error(Errc::kInvalidArgument, o.table + ": the fold group '" + c.name + "' holds one value: folds need at least 2 groups");
    return {c.name, c.distinct};
  }
  // "patient", "PatientID", "subject_id", "Patient No.", "participant_id", "MRN" name a patient; "patient_age"
  // does not.
  const auto names_a_patient = [](const std::string& column) {
    std::string name;
    for (char ch : lowercase(column))
      if (std::isalnum(static_cast<unsigned char>(ch))) name += ch;
    if (name == "mrn" || name == "medicalrecordnumber") return true;
    for (const std::string who : {"patient", "subject", "participant"})
      if (name.rfind(who, 0) == 0)
        for (const char* rest : {"", "s", "id", "ids", "no", "nr", "number", "key", "code"})
          if (name == who + rest) return true;
    return false;
  };
  for (const table::ColumnSummary& c : columns)
    if (names_a_patient(c.name) && c.missing == 0 && c.distinct >= 2 && c.distinct < rows) return {c.name, c.distinct};
  return {};
}

size_t fold_count(const FoldGroups& g, size_t rows) { return std::min<size_t>(5, g.column.empty() ? rows : g.values); }

std::string stratify_members(const std::vector<std::string>& keys, const std::string& separator) {
  if (keys.empty()) return "";
  std::string list;
  for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + json_string(k);
  return "\"stratify\": " + (keys.size() == 1 ? list : "[" + list + "]") + (separator.empty() ? "" : ", \"separator\": " + json_string(separator));
}

std::string folds_member(const std::string& stem, const FoldGroups& g, size_t rows, const std::string& stratify) {
  return "\"folds\": {\"k\": " + std::to_string(fold_count(g, rows)) + (stratify.empty() ? "" : ", " + stratify) +
         (g.column.empty() ? "" : ", \"group\": " + json_string(data_key(g.column))) + ", \"file\": " + json_string(stem + "_folds.json") + "}";
}

namespace {

std::string fold_groups_note(const FoldGroups& g, size_t rows) {
  return "folds keep each '" + g.column + "' whole (" + std::to_string(g.values) + " values over " + std::to_string(rows) +
         " rows): no patient is both trained on and validated";
}

}  // namespace

std::string fold_groups_comment(const FoldGroups& g, size_t rows) { return g.column.empty() ? "" : "  // The " + fold_groups_note(g, rows) + ".\n"; }

void print_fold_groups(const FoldGroups& g, size_t rows) {
  if (!g.column.empty()) std::cout << "  " << fold_groups_note(g, rows) << " (--fold-group none: each row alone)\n";
}

int64_t max_size(const InitOptions& o, int64_t fallback) { return o.max_size > 0 ? o.max_size : fallback; }

std::string fold_group_option(const InitOptions& o) { return o.fold_group.empty() ? "" : " --fold-group " + o.fold_group; }

std::string target_option(const InitOptions& o) {
  if (o.event.empty()) return " --target " + o.target;
  return " --time " + o.time + " --event " + o.event + (o.event_value.empty() ? "" : "=" + o.event_value);
}

std::string common_options(const InitOptions& o) {
  std::string options;
  if (o.task != "auto") options += " --task " + o.task;
  if (!o.exclude.empty()) options += " --exclude " + join(o.exclude, ",");
  if (!o.groups.empty()) options += " --groups " + join(o.groups, ",");
  if (!o.uncertain.empty()) options += " --uncertain " + o.uncertain;
  if (o.survival_model != "cox") options += " --survival-model " + o.survival_model;
  if (o.horizon > 0) options += " --horizon " + json::format_number(o.horizon);
  return options + fold_group_option(o);
}

std::string segmentation_command(const InitOptions& o) {
  if (!o.made_by.empty()) return o.made_by;
  return "fuse init " + o.table + " --image " + o.image + " --mask " + o.mask + (o.regions.empty() ? "" : " --regions '" + o.regions + "'") +
         (o.region_labels.empty() ? "" : " --region-labels " + o.region_labels) + fold_group_option(o) + encoder_option(o) + configuration_option(o) +
         max_size_option(o);
}

std::string configuration_option(const InitOptions& o) {
  return o.slices ? " --slices" : o.lowres ? " --lowres" : !o.cascade.empty() ? " --cascade " + o.cascade : "";
}

std::string encoder_option(const InitOptions& o) { return o.encoder == "plain" ? "" : " --encoder " + o.encoder; }

std::string encoder_member(const InitOptions& o) { return o.encoder == "plain" ? "" : ", \"encoder\": " + json_string(o.encoder); }

std::string max_size_option(const InitOptions& o) { return o.max_size > 0 ? " --max-size " + std::to_string(o.max_size) : ""; }

int64_t photograph_side(const InitOptions& o, const data::DatasetSummary& s) {
  constexpr int64_t kStep = 4;  // the UNet halves it twice
  const int64_t max_side = max_size(o, 128);  // a CPU-sized picture by default
  std::vector<int64_t> sides;
  for (const data::ImageInfo& i : s.images) sides.push_back(std::max(i.size[0], i.size[1]));
  std::nth_element(sides.begin(), sides.begin() + static_cast<std::ptrdiff_t>(sides.size() / 2), sides.end());
  return std::max(kStep, std::min(max_side, sides[sides.size() / 2]) / kStep * kStep);
}

std::string photograph_mode(const data::DatasetSummary& s) {
  return std::all_of(s.images.begin(), s.images.end(), [](const data::ImageInfo& i) { return i.channels == 1; }) ? "gray" : "color";
}

std::string photograph_read(const std::string& path_key, const std::string& key, const std::string& mode) {
  return "{\"op\": \"fuse.io.read_image\", \"path_key\": " + json_string(path_key) + ", \"key\": " + json_string(key) + ", \"mode\": " + json_string(mode) +
         ", \"to_float\": true}";
}

std::string photograph_resize(const std::string& key, int64_t side, const std::vector<std::string>& labels) {
  std::string label_list;
  for (const std::string& l : labels) label_list += (label_list.empty() ? "" : ", ") + json_string(l);
  return "{\"op\": \"fuse.image2d.resize_and_pad\", \"keys\": [" + json_string(key) + "]" + (labels.empty() ? "" : ", \"labels\": [" + label_list + "]") +
         ", \"size\": [" + std::to_string(side) + ", " + std::to_string(side) + "], \"interpolation\": \"area\"}";
}

std::vector<std::string> photograph_steps(const std::string& path_key, const std::string& key, const std::string& mode, int64_t side) {
  return {photograph_read(path_key, key, mode), photograph_resize(key, side)};
}

std::vector<std::string> photograph_augmentation(const std::string& key, const std::string& mode, const std::string& labels) {
  const std::string image = "[" + json_string(key) + "]", moved = image + (labels.empty() ? "" : ", \"labels\": [" + json_string(labels) + "]");
  return {"{\"op\": \"fuse.image2d.random_affine\", \"keys\": " + moved + ", \"rotation\": [-15, 15], \"scale\": [0.9, 1.1], \"translation\": [-0.05, 0.05], \"p\": 0.7}",
          "{\"op\": \"fuse.medical.random_flip\", \"keys\": " + moved + ", \"dims\": 2, \"axes\": [0]}",
          "{\"op\": \"fuse.image2d.color_jitter\", \"keys\": " + image + ", \"brightness\": 0.1, \"contrast\": 0.1, \"saturation\": " +
              (mode == "color" ? "0.1" : "0") + ", \"p\": 0.5}"};
}

std::string RegionLabels::lists() const {
  std::string out;
  for (const LabelRegion& r : regions) out += (out.empty() ? "" : ", ") + integer_list(r.labels);
  return "[" + out + "]";
}

std::string label_postprocess(const RegionLabels& regions, size_t indent) {
  if (regions.empty()) return "[{\"op\": \"fuse.ops.argmax\", \"key\": \"model.probs\", \"out\": \"model.seg\", \"axis\": 1}]";
  return "[{\"op\": \"fuse.ops.sigmoid\", \"key\": \"model.logits\", \"out\": \"model.probs\"},\n" + std::string(indent, ' ') +
         "{\"op\": \"fuse.ops.regions_to_labels\", \"key\": \"model.probs\", \"out\": \"model.seg\", \"labels\": " + integer_list(regions.order) + "}]";
}

namespace {

// A region's name as part of a metric's name: lower case, '_' for anything but letters and digits.
std::string metric_word(const std::string& name) {
  std::string out;
  for (char c : lowercase(name)) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

}  // namespace

std::string segmentation_sections(const std::string& seg_key, const std::string& metric, const std::string& distances, int64_t epochs,
                                  const RegionLabels& regions, std::optional<int64_t> ignore) {
  const std::string seg = json_string(seg_key);
  const std::string ignored = ignore ? ", \"ignore_label\": " + std::to_string(*ignore) : "";
  std::string per_region;  // each region's Dice
  for (size_t r = 0; r < regions.regions.size(); ++r)
    per_region += ",\n              " + json_string("dice_" + metric_word(regions.regions[r].name)) + ": " + metric + ", \"output\": \"dice." +
                  std::to_string(r + 1) + "\", \"on\": [\"validation\"]}";
  const std::string losses =
      regions.empty()
          ? "  // Class weights fitted to the training label maps: a small structure counts up to 3 times the largest (docs/training.md).\n"
            "  \"losses\": {\"dice_ce\": {\"loss\": \"fuse.losses.dice_ce\", \"pred\": \"model.logits\", \"target\": " + seg + ", \"include_background\": false,\n"
            "                         \"class_weights\": \"auto\", \"dice_class_weights\": \"auto\"" + ignored + "}},\n"
          : "  // Dice and binary cross-entropy per region, against the label map's unions of labels, unweighted as nnU-Net's (region\n"
            "  // weights fitted to the training label maps, \"dice_class_weights\": \"auto\", did not help on examples/seg3d).\n"
            "  \"losses\": {\"dice_ce\": {\"loss\": \"fuse.losses.dice_ce\", \"pred\": \"model.logits\", \"target\": " + seg + ", \"regions\": " +
                regions.lists() + ignored + "}},\n";
  return std::string(regions.empty() ? "" : "  // Region probabilities to labels, each region in turn (nnU-Net's regions_class_order): inner regions overwrite outer ones.\n") +
         "  \"postprocess\": " + label_postprocess(regions, 18) + ",\n" + losses +
         "  // " + std::string(regions.empty() ? "" : "Each region scored on the label maps (dice.1 is the first region's). ") + distances + "\n"
         "  \"metrics\": {\"dice\": " + metric + ", \"output\": \"mean_dice\", \"on\": [\"validation\"]}" + per_region + ",\n"
         "              \"hd95\": " + metric + ", \"output\": \"mean_hd95\", \"on\": [\"validation\"]}},\n"
         "  \"optimizer\": {\"name\": \"adamw\", \"lr\": 0.01, \"weight_decay\": 0.0001},\n"
         "  \"schedule\": {\"name\": \"one_cycle\"},\n"
         "  \"trainer\": {\"epochs\": " + std::to_string(epochs) + ", \"monitor\": \"validation.dice\", \"mode\": \"max\", \"threads\": 2},";
}

void check_out(const InitOptions& o) {
  if (fs::exists(o.out) && !o.force) throw Error(Errc::kIo, "'" + o.out + "' exists; choose another --out, or --force to replace it");
}

void write_experiment(const InitOptions& o, const std::string& text) {
  const fs::path out(o.out);
  check_out(o);
  std::error_code failed;
  if (!out.parent_path().empty()) fs::create_directories(out.parent_path(), failed);
  if (failed) throw Error(Errc::kIo, "cannot write '" + o.out + "': cannot make its folder '" + out.parent_path().string() + "' (" + failed.message() + ")");
  std::ofstream file(out);
  file << text;
  if (!file) throw Error(Errc::kIo, "cannot write '" + o.out + "' (" + std::strerror(errno) + ")");
}

void add_init_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("init", "Write a starting experiment from a look at the data: a table's columns into an MLP (--target), or a 3D "
                                              "segmentation of images (--mask)");
  static InitOptions options;
  cmd->add_option("TABLE", options.table, "the table (.csv, .tsv, .jsonl), one row per sample")->required();
  cmd->add_option("--target", options.target, "the column to predict from the others; several 0/1 columns (a,b,c): a multi-label classification");
  cmd->add_option("--mask", options.mask, "the column of label maps: a 3D segmentation of the images in --image");
  cmd->add_option("--regions", options.regions, "with --mask: segment regions of labels, ';' between regions, a sigmoid each (nnU-Net's region-based "
                                                "training; BraTS 2021's labels: 1,2,4;1,4;4 for whole tumour, tumour core, enhancing tumour; named: "
                                                "WT=1,2,4;TC=1,4;ET=4)");
  cmd->add_option("--region-labels", options.region_labels, "with --regions: the label each region's voxels get, in order (default: each region's one "
                                                            "label that no later region holds; BraTS 2021: 2,1,4)");
  cmd->add_option("--image", options.image, "the column of images (default: image); several (t1,t2,flair): each row's MRI sequences, read as the channels of one image");
  cmd->add_option("--time", options.time, "with --event: the column of times to the event or to the end of follow-up (a Cox model)");
  cmd->add_option("--survival-model", options.survival_model, "survival: cox (a risk score; default) or discrete (per-bin event probabilities: an "
                                                               "expected time and a probability of no event by --horizon, with their calibration)")
      ->check(CLI::IsMember({"cox", "discrete"}));
  cmd->add_option("--horizon", options.horizon, "survival: the time the AUC (and a discrete model's probabilities) is at, in the times' unit "
                                                 "(default: the median time)");
  cmd->add_option("--event", options.event, "with --time: the column that is 1 when the event happened, 0 when follow-up ended first; "
                                             "COLUMN=VALUE for another coding (vital_status=Dead)");
  cmd->add_option("--encoder", options.encoder,
                  "segmentations: the UNet's encoder, plain (default) or residual (nnU-Net's ResEnc M: 1, 3, 4, ... residual blocks per level; for "
                  "large data sets)")
      ->check(CLI::IsMember({"plain", "residual"}));
  cmd->add_flag("--slices", options.slices,
                "segmentations of volumes: a 2D UNet on their axial slices, predicting whole volumes slice by slice (nnU-Net's 2d configuration; "
                "`fuse infer` with its bundle and a 3D one's averages the two)");
  cmd->add_flag("--lowres", options.lowres,
                "segmentations of volumes: a 3D UNet at a coarser spacing, at which the largest volume fits one patch, so the model sees whole volumes "
                "(nnU-Net's 3d_lowres; `fuse infer` with its bundle and a full-resolution one's averages the two on the first's grid)");
  cmd->add_option("--cascade", options.cascade,
                  "segmentations of volumes: the full-resolution 3D UNet reading, beside each image, the first stage's segmentation of it from this "
                  "folder (nnU-Net's 3d_cascade_fullres: the --lowres template cross-validated, then `fuse infer BUNDLES --out-of-fold --table "
                  "TABLE --out DIR`)");
  cmd->add_option("--threads", options.threads, "threads reading the images' headers and masks (default: all cores)");
  cmd->add_option("--out", options.out, "the experiment file to write (default: experiment.json)");
  cmd->add_option("--task", options.task, "auto (text or a few whole numbers: classes; other numbers: a regression), classification or regression")
      ->check(CLI::IsMember({"auto", "classification", "regression"}));
  cmd->add_option("--exclude", options.exclude, "columns to leave out (e.g. ones known only after the outcome)")->delimiter(',');
  cmd->add_option("--groups", options.groups, "columns whose values the evaluation reports apart (sites, sexes)")->delimiter(',');
  cmd->add_option("--fold-group", options.fold_group, "the column whose rows stay in one fold, e.g. a patient id (default: a column named for patients or "
                                                       "subjects whose values repeat; none: each row alone)");
  cmd->add_option("--max-size", options.max_size, "the images' largest side: photographs' in pixels (default 128), volumes' and segmentation patches' "
                                                   "in voxels per axis (default 64), --slices' crops in pixels (default 128); smaller data keep their own size");
  cmd->add_option("--uncertain", options.uncertain, "multi-label: what a label's -1 (uncertain, as CheXpert's) becomes, ones or zeros; blank cells "
                                                     "are then 0 (not mentioned)")
      ->check(CLI::IsMember({"ones", "zeros"}));
  cmd->add_flag("--force", options.force, "replace --out when it exists");
  cmd->callback([&] {
    // --event status=Dead: the column, and its value that is the event.
    if (const size_t at = options.event.find('='); at != std::string::npos) {
      options.event_value = options.event.substr(at + 1);
      options.event.resize(at);
    }
    exit_code = init(options);
  });
}

}  // namespace fuse::cli
