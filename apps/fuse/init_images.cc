// fuse init --target with an image column: a starting 3D classification (or regression) of the images, as
// examples/nodule3d is written by hand: the images laid out in RAS, resampled to the most common spacing,
// z-normalised and cropped or padded to one size; a random affine, flip and noise; a small 3D CNN whose input
// channels come from the data; the target's sections as for a table. Photographs (PNG, JPEG, ...) get the 2D
// equivalent: resized to fit one square, a 2D affine, flip and colour jitter, a 2D CNN.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/summary.h"
#include "fuse/json/write.h"
#include "init.h"

namespace fuse::cli {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxSize = 64;  // voxels per axis: a CPU-sized input (--max-size changes it)

}  // namespace

int init_images(const InitOptions& o) {
  const fs::path table_file(o.table), out(o.out);
  std::unique_ptr<table::Reader> reader = open_table(o);
  const std::vector<std::string> columns = reader->columns();
  const bool survival = !o.event.empty();
  require_target_columns(o, columns);
  for (const std::string& c : o.exclude) require_column(o, columns, c, "--exclude");
  for (const std::string& c : o.groups) require_column(o, columns, c, "--groups");
  std::vector<table::Request> all;
  for (const std::string& c : columns) all.push_back({c, table::Kind::kText});
  const table::Table t = table::read_table(table_file, all);
  const std::vector<std::string> image_cols = image_columns(o);
  const std::vector<std::vector<std::string>> channels = channel_paths(o, t);
  const std::vector<std::string>& images = channels[0];
  const std::vector<table::ColumnSummary> summaries = table::describe(t);
  const auto summary = [&](const std::string& name) { return *std::find_if(summaries.begin(), summaries.end(), [&](const auto& c) { return c.name == name; }); };
  const Target target = survival ? read_survival(o, summary(o.time), summary(o.event)) : read_targets(o, summaries, t);
  const FoldGroups groups = fold_groups(o, summaries, t.size());
  // The table's other columns (age, sex, a lab value) join the image in the classifier's head (FuseMedML's Head3D).
  const Plan p = plan_columns(summaries, o, t.size(), groups, image_cols);
  const bool tabular = !p.numbers.empty() || !p.categories.empty();
  const std::vector<std::string> features = tabular ? feature_steps(p) : std::vector<std::string>();
  const data::DatasetSummary s = data::summarize(data::read_image_infos(Registry(), images, std::vector<std::string>(images.size()), reading_threads(o)));

  // A regression or a risk (Cox survival): one number per image.
  const bool photographs = s.photographs, regression = target.one_number();
  const std::string image_path = json_string(data_key(image_cols[0]));
  std::vector<std::string> path_keys;
  for (const std::string& c : image_cols) path_keys.push_back(data_key(c));
  std::string key, dims, about, shape;  // the image's key, the spatial dimensions, the comment on its steps, its size
  std::vector<std::string> steps_of_image, dynamic, skip;
  if (photographs && image_cols.size() > 1)
    throw Error(Errc::kInvalidArgument, "--image " + o.image + ": several columns are read as the channels of volumes; photographs bring their colours as "
                                        "channels: give one column");
  if (photographs) {
    // Photographs (dermoscopy, X-ray exports, pathology tiles): resized to fit one square, kept in [0, 1].
    const int64_t side = photograph_side(o, s);
    const std::string mode = photograph_mode(s);
    key = volume_key(columns, "photo");
    const std::string k = json_string(key);
    steps_of_image = photograph_steps(data_key(o.image), key, mode, side);
    dynamic = photograph_augmentation(key, mode);
    dims = "2";
    shape = std::to_string(side) + "x" + std::to_string(side) + " pixels";
    about = "Every photograph is read as " + std::string(mode == "color" ? "RGB" : "grey") + " in [0, 1] and resized to fit " + shape +
            " (its aspect kept, padded with 0;\n  // the largest is " + std::to_string(s.largest_size[0]) + "x" + std::to_string(s.largest_size[1]) +
            "). A flip of axis 1 (up-down) suits pictures without an up (dermoscopy, pathology).";
  } else {
    std::vector<int64_t> size;  // the largest resampled size per axis, at most kMaxSize
    for (int64_t n : s.largest_size) size.push_back(std::min(n, max_size(o, kMaxSize)));
    key = volume_key(columns, "scan");
    const std::string k = json_string(key);
    steps_of_image = image_steps(path_keys, key, {s.spacing.begin(), s.spacing.end()});
    steps_of_image.push_back("{\"op\": \"fuse.medical.pad_or_crop\", \"keys\": [" + k + "], \"size\": " + integer_list(size) + "}");
    dynamic = {"{\"op\": \"fuse.medical.random_affine\", \"keys\": [" + k + "], \"rotation\": [-10, 10], \"scale\": [0.9, 1.1], \"p\": 0.5}",
               "{\"op\": \"fuse.medical.random_flip\", \"keys\": [" + k + "], \"axes\": [0]}",
               "{\"op\": \"fuse.medical.random_noise\", \"keys\": [" + k + "], \"std\": [0, 0.05], \"p\": 0.3}"};
    skip = {key + "_meta"};
    dims = "3";
    shape = std::to_string(size[0]) + "x" + std::to_string(size[1]) + "x" + std::to_string(size[2]) + " voxels";
    about = "Every image is laid out in RAS, resampled to " + json::format_number(s.spacing[0]) + " x " + json::format_number(s.spacing[1]) + " x " +
            json::format_number(s.spacing[2]) + " mm (the most common spacing per axis),\n  // z-normalised and centred in " + shape + "." +
            (image_cols.size() > 1 ? "\n  // Each row's " + join(image_cols, ", ") + " are the channels of one image (they share its grid)." : "");
  }
  const std::string image = json_string(key);
  const std::string stem = out.stem().string();
  const std::string description = dims + "D " + target.description + " from " + std::to_string(t.size()) + (photographs ? " photographs" : " images") +
                                  (image_cols.size() > 1 ? " of " + std::to_string(image_cols.size()) + " channels (" + join(image_cols, ", ") + ")" : "") +
                                  (tabular ? " and " + features_description(p) : "");

  std::string x;
  const auto line = [&](const std::string& text) { x += text + "\n"; };
  std::string command = "fuse init " + o.table + target_option(o) + " --image " + o.image;
  command += common_options(o);
  command += max_size_option(o);
  line("{");
  line("  // Made by `" + command + "`:");
  line("  // " + description + ", with a small " + dims + "D CNN and " + std::to_string(fold_count(groups, t.size())) + "-fold cross-validation.");
  if (tabular) line("  // The columns join the CNN's pooled features in its head (FuseMedML's Head3D).");
  x += fold_groups_comment(groups, t.size());
  line("  // " + about);
  line(tabular ? "  // The CNN's input channels, the head's sizes and the columns' statistics come from the training folds when it runs.\n"
                "  // Edit freely: docs/data.md, docs/training.md."
               : "  // The CNN's input channels come from the data when it runs. Edit freely: docs/data.md, docs/training.md.");
  line("  \"name\": " + json_string(stem) + ",");
  line("  \"seed\": 1,");
  line("  \"data\": {");
  if (!target.required.empty()) line("    // rows with an empty target cell are left out: nothing to learn from");
  line("    \"source\": {\"table\": " + json_string(table_path(table_file, out)) + ", \"paths\": " + json_list(image_cols) + renamed_keys(columns) +
       required_member(target) + "},");
  line("    \"static\": [");
  // The columns' and the target's steps first: fitting their statistics then runs only the steps before them,
  // without reading every image an extra time.
  std::vector<std::string> steps = features;
  steps.insert(steps.end(), target.steps.begin(), target.steps.end());
  for (const std::string& step : steps_of_image) steps.push_back("      " + step);
  for (size_t i = 0; i < steps.size(); ++i) line(steps[i] + (i + 1 < steps.size() ? "," : ""));
  line("    ],");
  line("    \"dynamic\": [");
  for (size_t i = 0; i < dynamic.size(); ++i) line("      " + dynamic[i] + (i + 1 < dynamic.size() ? "," : ""));
  line("    ],");
  line("    \"cache\": {\"dir\": " + json_string(stem + "_cache") + "},");
  line("    " + folds_member(stem, groups, t.size(), target.stratify) + ",");
  std::string collate;
  for (const std::string& k : skip) collate += (collate.empty() ? "" : ", ") + json_string(k);
  line("    \"loader\": {\"batch_size\": " + std::string(survival ? "32" : photographs ? "16" : "8") + ", \"workers\": 2" +
       (collate.empty() ? "" : ", \"collate\": {\"skip\": [" + collate + "]}") + "}");
  line("  },");
  // Photographs are larger than the volumes' crops: one more stride-2 level.
  const std::string layers = photographs ? "\"channels\": [16, 32, 64, 128], \"strides\": [2, 2, 2, 2]" : "\"channels\": [16, 32, 64], \"strides\": [2, 2, 2]";
  const std::string outputs = target.outputs();
  if (tabular) {
    // The CNN as a backbone (0 classes: its last feature map), then a head pooling it and appending data.features.
    line("  \"model\": {\"components\": [");
    line("    {\"name\": \"net\", \"model\": \"fuse.models.cnn_classifier\", \"dims\": " + dims + ", \"num_classes\": 0, " + layers + ", \"inputs\": [" + image +
         "],\n     \"outputs\": [\"model.features\"]},");
    line("    {\"name\": \"head\", \"model\": \"fuse.models.classifier_head\", \"dims\": " + dims + ", \"num_classes\": " +
         std::to_string(target.output_size()) + ", \"hidden\": [32], \"dropout\": 0.1,");
    line("     \"inputs\": [\"model.features\", \"data.features\"], \"outputs\": " + outputs + "}");
    line("  ]},");
  } else {
    line(regression ? "  \"model\": {\"model\": \"fuse.models.cnn_regressor\", \"dims\": " + dims + ", " + layers + ", \"inputs\": [" + image +
                          "], \"outputs\": " + outputs + "},"
                    : "  \"model\": {\"model\": \"fuse.models.cnn_classifier\", \"dims\": " + dims + ", \"num_classes\": " + std::to_string(target.output_size()) + ", " +
                          layers + ", \"dropout\": 0.1,\n            \"inputs\": [" + image + "], \"outputs\": " + outputs + "},");
  }
  line(target_sections(o, target, 30, 2) + ",");
  line(tabular ? "  // A new row of a table (`fuse infer BUNDLE --table new.csv`): the image and column steps (the columns' statistics\n"
                "  // those of training), and the target's, which a row without the target skips (one with it is scored)."
               : "  // A new image: the image steps, and the target's, which an input without the target skips (a table with it is\n"
                 "  // scored).");
  std::string inference;
  for (const std::string& step : steps_of_image) inference += (inference.empty() ? "" : ",\n") + std::string("    ") + step;
  // The target's steps too: a table to predict with the target column is scored (they skip a row without it).
  std::vector<std::string> table_steps = features;
  table_steps.insert(table_steps.end(), target.steps.begin(), target.steps.end());
  for (std::string step : table_steps) {  // two spaces less deep
    for (size_t at = step.find("      "); at != std::string::npos; at = step.find("\n      ", at + 1)) step.erase(at + (step[at] == '\n'), 2);
    inference += ",\n" + step;
  }
  line("  \"inference\": {\"input_key\": " + image_path + ", \"steps\": [\n" + inference + "\n  ]}");
  line("}");
  write_experiment(o, x);
  std::cout << "wrote " << o.out << ": " << description << "\n";
  if (photographs)
    std::cout << "  resized to fit " << shape << " (largest size " << s.largest_size[0] << "x" << s.largest_size[1] << ")\n";
  else
    std::cout << "  resampled to " << json::format_number(s.spacing[0]) << " x " << json::format_number(s.spacing[1]) << " x " << json::format_number(s.spacing[2])
              << " mm (largest size " << s.largest_size[0] << "x" << s.largest_size[1] << "x" << s.largest_size[2] << "), centred in " << shape << "\n";
  print_plan(p);
  print_required(target);
  print_fold_groups(groups, t.size());
  std::cout << "next: fuse run " << o.out << " --cross-validate\n";
  return 0;
}

}  // namespace fuse::cli
