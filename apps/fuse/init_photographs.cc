// fuse init --mask on photographs (PNG, JPEG, ...: dermoscopy, X-ray exports, pathology tiles) and their label
// maps: a starting 2D segmentation. Each photograph resized to fit one square with its mask (nearest neighbour),
// mask values that are not 0, 1, 2, ... (ISIC's 0 and 255) renumbered; a 2D affine, flip and colour jitter; a
// 2D UNet; Dice + cross-entropy with class weights fitted to the masks.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "init.h"

namespace fuse::cli {

int init_photograph_segmentation(const InitOptions& o, const data::DatasetSummary& s, const std::vector<std::string>& columns, const std::string& source,
                                 const FoldGroups& groups, size_t unlabelled) {
  // JPEG's compression changes the values at a mask's edges: a few stray classes, or hundreds.
  for (const data::ImageInfo& i : s.images) {
    const std::string ext = lowercase(std::filesystem::path(i.mask_path).extension().string());
    if (ext == ".jpg" || ext == ".jpeg")
      throw Error(Errc::kInvalidArgument, o.table + ": mask '" + i.mask_path + "' is a JPEG, whose compression changes the values at its edges (" +
                                              std::to_string(s.label_voxels.size()) + " distinct values over the masks): save the masks as PNG");
  }
  std::vector<int64_t> labels;  // the mask values, in order: class i is labels[i]
  for (const auto& [label, pixels] : s.label_voxels) labels.push_back(label);
  if (labels.empty() || labels.back() <= 0)
    throw Error(Errc::kInvalidArgument, o.table + ": the masks hold only value 0 (background): there is nothing to segment");
  constexpr size_t kMaxClasses = 20;
  if (labels.size() > kMaxClasses)
    throw Error(Errc::kInvalidArgument, o.table + ": the masks hold " + std::to_string(labels.size()) + " distinct values (" + std::to_string(labels.front()) +
                                            " to " + std::to_string(labels.back()) + "); a label map holds a few classes (is the mask column an image?)");
  std::vector<int64_t> from, to;  // the values that are not their class's number
  for (size_t c = 0; c < labels.size(); ++c)
    if (labels[c] != static_cast<int64_t>(c)) from.push_back(labels[c]), to.push_back(static_cast<int64_t>(c));
  const size_t classes = labels.size();
  const int64_t side = photograph_side(o, s);
  const std::string mode = photograph_mode(s), stem = std::filesystem::path(o.out).stem().string();
  const std::string photo_key = volume_key(columns, "photo"), seg_key = volume_key(columns, "seg");
  const std::string photo = json_string(photo_key), seg = json_string(seg_key);
  const std::string shape = std::to_string(side) + "x" + std::to_string(side);
  std::string label_list;
  for (int64_t l : labels)
    if (l != 0) label_list += (label_list.empty() ? "" : ", ") + std::to_string(l) + " (" + std::to_string(s.label_voxels.at(l)) + " pixels)";
  const std::string description = "2D segmentation of mask value" + std::string(classes == 2 ? " " : "s ") + label_list + " in " + std::to_string(s.images.size()) +
                                  " photographs";
  const std::string metric = "{\"metric\": \"fuse.metrics.segmentation\", \"pred\": \"model.seg\", \"target\": " + seg + ", \"num_classes\": " + std::to_string(classes);
  const size_t folds = fold_count(groups, s.images.size());

  std::string x;
  const auto line = [&](const std::string& text) { x += text + "\n"; };
  line("{");
  line("  // Made by `" + segmentation_command(o) + "`:");
  line("  // " + description + ", with a 2D UNet on " + shape + " pictures and " + std::to_string(folds) + "-fold cross-validation.");
  x += fold_groups_comment(groups, s.images.size());
  line("  // Every photograph is read as " + std::string(mode == "color" ? "RGB" : "grey") + " in [0, 1] and resized to fit " + shape +
       " pixels (its aspect kept, padded with 0; the largest is " + std::to_string(s.largest_size[0]) + "x" + std::to_string(s.largest_size[1]) + "),");
  line("  // its mask with it by nearest neighbour. A flip of axis 1 (up-down) suits pictures without an up (dermoscopy, pathology).");
  line("  // The UNet's input channels come from the data when it runs. Edit freely: docs/data.md, docs/training.md.");
  line("  \"name\": " + json_string(stem) + ",");
  line("  \"seed\": 1,");
  line("  \"data\": {");
  line("    \"source\": " + source + ",");
  line("    \"static\": [");
  line("      " + photograph_read(data_key(o.image), photo_key, mode) + ",");
  line("      {\"op\": \"fuse.io.read_image\", \"path_key\": " + json_string(data_key(o.mask)) + ", \"key\": " + seg + ", \"mode\": \"gray\"},");
  if (!from.empty()) {
    std::string mapped;
    for (size_t i = 0; i < from.size(); ++i) mapped += (mapped.empty() ? "" : ", ") + std::to_string(from[i]) + " as " + std::to_string(to[i]);
    line("      // The masks' values as class numbers: " + mapped + ".");
    line("      {\"op\": \"fuse.ops.replace_values\", \"keys\": [" + seg + "], \"from\": " + integer_list(from) + ", \"to\": " + integer_list(to) + "},");
  }
  line("      " + photograph_resize(photo_key, side, {seg_key}));
  line("    ],");
  line("    // Random, every epoch: one draw moves the photograph and its mask alike.");
  line("    \"dynamic\": [");
  const std::vector<std::string> dynamic = photograph_augmentation(photo_key, mode, seg_key);
  for (size_t i = 0; i < dynamic.size(); ++i) line("      " + dynamic[i] + (i + 1 < dynamic.size() ? "," : ""));
  line("    ],");
  line("    \"cache\": {\"dir\": " + json_string(stem + "_cache") + "},");
  line("    " + folds_member(stem, groups, s.images.size(), "") + ",");
  line("    \"loader\": {\"batch_size\": 8, \"workers\": 2}");
  line("  },");
  line("  \"model\": {\"model\": \"fuse.models.unet\", \"dims\": 2, \"num_classes\": " + std::to_string(classes) + ", \"channels\": [16, 32, 64]" +
       encoder_member(o) + ",");
  line("            \"inputs\": [" + photo + "], \"outputs\": [\"model.logits\", \"model.probs\"]},");
  line(segmentation_sections(seg_key, metric, "HD95 in pixels of the resized picture.", 30));
  line("  // A new photograph: its steps without the mask; the mask written back at the photograph's own size, in the");
  line("  // masks' values (`fuse infer BUNDLE --input photo.png --output mask.png`).");
  line("  \"inference\": {");
  line("    \"input_key\": " + json_string(data_key(o.image)) + ",");
  line("    \"steps\": [");
  const std::vector<std::string> inference_steps = photograph_steps(data_key(o.image), photo_key, mode, side);
  line("      " + inference_steps[0] + ",");
  line("      " + inference_steps[1]);
  line("    ],");
  line("    \"postprocess\": [{\"op\": \"fuse.ops.argmax\", \"key\": \"model.probs\", \"out\": \"model.seg\", \"axis\": 1}],");
  line("    \"write\": [{\"op\": \"fuse.io.write_image\", \"key\": \"model.seg\", \"path\": \"{data.output_path}\"" +
       (from.empty() ? "" : ", \"values\": " + integer_list(labels)) + ", \"undo_resize_and_pad\": [" + std::to_string(side) + ", " + std::to_string(side) +
       "],\n               \"size_from\": " + json_string(data_key(o.image)) + "}],");
  line("    // `fuse infer BUNDLE --table test.csv --out DIR` scores each written mask against the table's '" + o.mask + "' column.");
  line("    \"reference\": " + json_string(data_key(o.mask)));
  line("  }");
  line("}");
  write_experiment(o, x);
  std::cout << "wrote " << o.out << ": " << description << "\n";
  std::cout << "  resized to fit " << shape << " pixels (largest size " << s.largest_size[0] << "x" << s.largest_size[1] << ")\n";
  print_unlabelled(o, unlabelled);
  print_fold_groups(groups, s.images.size());
  std::cout << "next: fuse run " << o.out << "\n";
  return 0;
}

}  // namespace fuse::cli
