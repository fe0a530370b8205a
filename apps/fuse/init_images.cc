// fuse init --target with an image column: a starting 3D classification (or regression) of the images, as
// examples/nodule3d is written by hand: the images laid out in RAS, resampled to the most common spacing,
// z-normalised and cropped or padded to one size; a random affine, flip and noise; a small 3D CNN whose input
// channels come from the data; the target's sections as for a table.
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

constexpr int64_t kMaxSize = 64;  // voxels per axis: a CPU-sized input

}  // namespace

int init_images(const InitOptions& o) {
  const fs::path table_file(o.table), out(o.out);
  std::unique_ptr<table::Reader> reader = open_table(o);
  const std::vector<std::string> columns = reader->columns();
  require_column(o, columns, o.target, "--target");
  for (const std::string& c : o.groups) require_column(o, columns, c, "--groups");
  std::vector<table::Request> all;
  for (const std::string& c : columns) all.push_back({c, table::Kind::kText});
  const table::Table t = table::read_table(table_file, all);
  const std::vector<std::string> images = image_paths(o, t, o.image);
  const std::vector<table::ColumnSummary> summaries = table::describe(t);
  const Target target = read_target(o, *std::find_if(summaries.begin(), summaries.end(), [&](const auto& c) { return c.name == o.target; }));
  const data::DatasetSummary s = data::summarize(data::read_image_infos(Registry(), images, std::vector<std::string>(images.size()), reading_threads(o)));

  std::vector<int64_t> size;  // the largest resampled size per axis, at most kMaxSize
  for (int64_t n : s.largest_size) size.push_back(std::min(n, kMaxSize));
  const std::string scan_key = volume_key(columns, "scan"), scan = json_string(scan_key), image_path = json_string(data_key(o.image));
  std::vector<std::string> steps_of_image = image_steps(data_key(o.image), scan_key, {s.spacing.begin(), s.spacing.end()});
  steps_of_image.push_back("{\"op\": \"fuse.medical.pad_or_crop\", \"keys\": [" + scan + "], \"size\": " + integer_list(size) + "}");
  const std::string stem = out.stem().string();
  const std::string description = "3D " + target.description + " from " + std::to_string(t.size()) + " images";
  const bool regression = target.task == "regression";

  std::string x;
  const auto line = [&](const std::string& text) { x += text + "\n"; };
  std::string command = "fuse init " + o.table + " --target " + o.target + " --image " + o.image;
  if (o.task != "auto") command += " --task " + o.task;
  if (!o.groups.empty()) command += " --groups " + join(o.groups, ",");
  line("{");
  line("  // Made by `" + command + "`:");
  line("  // " + description + ", with a small 3D CNN and 5-fold cross-validation.");
  line("  // Every image is laid out in RAS, resampled to " + json::format_number(s.spacing[0]) + " x " + json::format_number(s.spacing[1]) + " x " + json::format_number(s.spacing[2]) +
       " mm (the most common spacing per axis),\n  // z-normalised and centred in " + std::to_string(size[0]) + "x" + std::to_string(size[1]) + "x" +
       std::to_string(size[2]) + " voxels.");
  line("  // The CNN's input channels come from the data when it runs. Edit freely: docs/data.md, docs/training.md.");
  line("  \"name\": " + json_string(stem) + ",");
  line("  \"seed\": 1,");
  line("  \"data\": {");
  line("    \"source\": {\"table\": " + json_string(table_path(table_file, out)) + ", \"paths\": [" + json_string(o.image) + "]" + renamed_keys(columns) + "},");
  line("    \"static\": [");
  std::vector<std::string> steps;
  for (const std::string& step : steps_of_image) steps.push_back("      " + step);
  steps.insert(steps.end(), target.steps.begin(), target.steps.end());
  for (size_t i = 0; i < steps.size(); ++i) line(steps[i] + (i + 1 < steps.size() ? "," : ""));
  line("    ],");
  line("    \"dynamic\": [");
  line("      {\"op\": \"fuse.medical.random_affine\", \"keys\": [" + scan + "], \"rotation\": [-10, 10], \"scale\": [0.9, 1.1], \"p\": 0.5},");
  line("      {\"op\": \"fuse.medical.random_flip\", \"keys\": [" + scan + "], \"axes\": [0]},");
  line("      {\"op\": \"fuse.medical.random_noise\", \"keys\": [" + scan + "], \"std\": [0, 0.05], \"p\": 0.3}");
  line("    ],");
  line("    \"cache\": {\"dir\": " + json_string(stem + "_cache") + "},");
  line(std::string("    \"folds\": {\"k\": 5") + (regression ? "" : ", \"stratify\": " + json_string(data_key(o.target))) + ", \"file\": " + json_string(stem + "_folds.json") +
       "},");
  line("    \"loader\": {\"batch_size\": 8, \"workers\": 2, \"collate\": {\"skip\": [" + json_string(scan_key + "_meta") + "]}}");
  line("  },");
  line(regression ? "  \"model\": {\"model\": \"fuse.models.cnn_regressor\", \"dims\": 3, \"channels\": [16, 32, 64], \"strides\": [2, 2, 2], \"inputs\": [" + scan +
                        "], \"outputs\": [\"model.pred\"]},"
                  : "  \"model\": {\"model\": \"fuse.models.cnn_classifier\", \"dims\": 3, \"num_classes\": " + std::to_string(target.classes) +
                        ", \"channels\": [16, 32, 64], \"strides\": [2, 2, 2], \"dropout\": 0.1,\n            \"inputs\": [" + scan +
                        "], \"outputs\": [\"model.logits\", \"model.probs\"]},");
  line(target_sections(o, target, 30, 2) + ",");
  line("  // A new image: the image steps alone (no target).");
  std::string inference;
  for (const std::string& step : steps_of_image) inference += (inference.empty() ? "" : ",\n") + std::string("    ") + step;
  line("  \"inference\": {\"input_key\": " + image_path + ", \"steps\": [\n" + inference + "\n  ]}");
  line("}");
  write_experiment(o, x);
  std::cout << "wrote " << o.out << ": " << description << "\n";
  std::cout << "  resampled to " << json::format_number(s.spacing[0]) << " x " << json::format_number(s.spacing[1]) << " x " << json::format_number(s.spacing[2])
            << " mm (largest size " << s.largest_size[0] << "x" << s.largest_size[1] << "x" << s.largest_size[2] << "), centred in " << size[0] << "x" << size[1]
            << "x" << size[2] << " voxels\n";
  std::cout << "next: fuse run " << o.out << " --cross-validate\n";
  return 0;
}

}  // namespace fuse::cli
