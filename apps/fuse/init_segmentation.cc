// fuse init --mask: a starting 3D segmentation experiment from a table of images and label maps (fastMONAI's
// low-code start, with its MedDataset suggestion): the images laid out in RAS and resampled to the most common
// spacing, normalised (each image's z-score; an nnU-Net data set's channels as their names say); training on
// patches centred on each label with equal chances, augmented; a 3D UNet whose input channels come from the data;
// validation and inference on whole volumes in sliding windows, written back onto each input's own grid.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <set>

#include "../common/label_regions.h"
#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/sample_source.h"
#include "fuse/data/summary.h"
#include "fuse/json/write.h"
#include "fuse/table/table.h"
#include "init.h"

namespace fuse::cli {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxPatch = 64;   // voxels per axis: a CPU-sized patch (--max-size changes it)
constexpr int64_t kPatchStep = 4;   // the 3-level UNet halves a patch twice
constexpr int64_t kMaxSlice = 128;  // pixels per side of a 2D UNet's crops of slices (--max-size changes it)
// nnU-Net's use_mask_for_norm: images whose nonzero voxels' box fills a median below this share have a zero
// background to crop away and leave out of the z-score.
constexpr double kNonzeroShare = 0.75;
constexpr size_t kNonzeroSamples = 64;  // images read in full to measure it

// "1, 2, 3".
std::string number_words(const std::vector<int64_t>& values) {
  std::string out;
  for (int64_t v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

// --regions and --region-labels of a table's segmentation: regions named as given ("whole tumour=1,2,4"), else
// "region 1", ..., and their labels.
RegionLabels table_regions(const InitOptions& o) {
  RegionLabels out;
  apps::LabelRegions parsed;
  std::vector<std::string> names;  // "" where a region is not named
  try {
    parsed = apps::parse_regions(o.regions, &names);
    if (o.region_labels.empty()) out.order = apps::region_class_order(parsed, "--region-labels");
  } catch (const Error& e) {
    throw Error(e.code(), "--regions " + o.regions + ": " + e.what());
  }
  if (!o.region_labels.empty()) {
    try {
      for (const std::vector<int64_t>& one : apps::parse_regions(o.region_labels)) out.order.insert(out.order.end(), one.begin(), one.end());
    } catch (const Error&) {
      throw Error(Errc::kInvalidArgument, "--region-labels " + o.region_labels + ": the label each region's voxels get, 1 or more, e.g. 2,1,4");
    }
    if (out.order.size() != parsed.size())
      throw Error(Errc::kInvalidArgument, "--region-labels " + o.region_labels + " gives " + std::to_string(out.order.size()) + " labels for " +
                                              std::to_string(parsed.size()) + " regions (--regions " + o.regions + "): one per region, in their order");
  }
  for (size_t r = 0; r < parsed.size(); ++r) out.regions.push_back({names[r].empty() ? "region " + std::to_string(r + 1) : names[r], parsed[r]});
  return out;
}

// The intensity steps after resampling and their words: each channel as nnU-Net would normalise it (`norms`,
// from dataset.json's channel names; a table's channels are z-scored). A CT channel is clipped and scaled to the
// training foreground's 0.5th and 99.5th percentiles, fitted once for every case (Hounsfield units mean the same
// in every scan; a z-score per image throws that away). With `nonzero` (a zero background: the nonzero voxels' box
// fills a median `nonzero_share` of the images) a z-score is over the nonzero voxels.
struct Normalisation {
  std::vector<std::string> steps;
  std::string words;
};
Normalisation normalisation(const std::vector<ChannelNorm>& norms, const std::vector<std::string>& channels, const std::string& image,
                            const std::string& seg, bool nonzero, double nonzero_share) {
  const std::string key = "\"keys\": [" + json_string(image) + "]";
  const bool one = channels.size() == 1;
  const auto of = [&](ChannelNorm n) {  // the channels normalised so
    std::vector<int64_t> listed;
    for (size_t c = 0; c < channels.size(); ++c)
      if (norms[c] == n) listed.push_back(static_cast<int64_t>(c));
    return listed;
  };
  const auto channels_field = [&](const std::vector<int64_t>& listed) {  // ", \"channels\": [0, 2]"; "" when they are all
    return listed.size() == channels.size() ? std::string() : ", \"channels\": " + integer_list(listed);
  };
  Normalisation out;
  if (const std::vector<int64_t> z = of(ChannelNorm::kZscore); !z.empty())
    out.steps.push_back("{\"op\": \"fuse.medical.znorm\", " + key + channels_field(z) + (nonzero ? ", \"nonzero\": true" : "") + "}");
  for (int64_t c : of(ChannelNorm::kCt)) {
    const std::string picked = one ? "" : ", \"channels\": [" + std::to_string(c) + "]";
    out.steps.push_back("{\"op\": \"fuse.medical.rescale\", " + key + picked + ", \"fit\": {\"mask\": " + json_string(seg) + picked +
                        ", \"set\": {\"in_min\": \"p0.5\", \"in_max\": \"p99.5\"}}}");
  }
  if (const std::vector<int64_t> m = of(ChannelNorm::kMinMax); !m.empty())
    out.steps.push_back("{\"op\": \"fuse.medical.rescale\", " + key + channels_field(m) + "}");
  if (const std::vector<int64_t> rgb = of(ChannelNorm::kRgb); !rgb.empty())
    out.steps.push_back("{\"op\": \"fuse.medical.rescale\", " + key + channels_field(rgb) + ", \"in_min\": 0, \"in_max\": 255}");
  const std::string over_nonzero = !nonzero ? "" : " over its nonzero voxels, the zero background kept at 0 (they fill a median " +
                                                         json::format_number(std::round(nonzero_share * 100)) + "% of each image in their box: nnU-Net's use_mask_for_norm)";
  const auto phrase = [&](ChannelNorm n) -> std::string {
    switch (n) {
      case ChannelNorm::kCt: return "clip and scale to the training foreground's 0.5th-99.5th percentiles (nnU-Net's CT scheme)";
      case ChannelNorm::kNone: return "leave as it is";
      case ChannelNorm::kMinMax: return "scale each image's range to [0, 1]";
      case ChannelNorm::kRgb: return "divide by 255";
      case ChannelNorm::kZscore: break;
    }
    return "z-normalise each image" + over_nonzero;
  };
  if (of(ChannelNorm::kZscore).size() == channels.size()) {
    out.words = "z-normalise each image" + std::string(one ? "" : "'s channels") + over_nonzero;
  } else if (one) {
    out.words = phrase(norms[0]);
  } else {
    for (size_t c = 0; c < channels.size(); ++c) out.words += (c ? "; " : "") + channels[c] + ": " + phrase(norms[c]);
    out.words = "then per channel as its name in dataset.json says (nnU-Net's schemes): " + out.words;
  }
  return out;
}

}  // namespace

int init_segmentation(const InitOptions& o, const NnunetDataset* nnunet) {
  const fs::path table_file(o.table), out(o.out);
  const std::vector<std::string> image_cols = image_columns(o);
  if (std::count(image_cols.begin(), image_cols.end(), o.mask))
    throw Error(Errc::kInvalidArgument, "--image and --mask both name '" + o.mask + "': the label maps are another column");
  std::vector<std::string> columns, images, masks;
  std::string source;  // the experiment's data source
  FoldGroups groups;
  size_t unlabelled = 0;  // rows without a label map: left out ("required")
  if (nnunet != nullptr) {
    columns = image_cols;
    columns.push_back(o.mask);
    images = nnunet->images.front();
    masks = nnunet->masks;
    require_images(o, images.size());
    check_channel_grids(o, nnunet->images, image_cols, [&](size_t i) { return "case '" + nnunet->ids[i] + "'"; });
    source = nnunet_source(*nnunet, out);
  } else if (table_file.extension() == ".json") {
    // A data list (the Medical Segmentation Decathlon's dataset.json): its "training" entries.
    check_out(o);
    if (!o.fold_group.empty() && o.fold_group != "none")
      throw Error(Errc::kInvalidArgument, "--fold-group names a table's column; " + o.table + " is a data list: set \"folds\": {\"group\": \"data.<field>\"} in the experiment");
    columns = image_cols;
    columns.push_back(o.mask);
    std::vector<std::vector<std::string>> paths(columns.size());  // per field: the images' (channels), the masks'
    std::vector<std::string> origins;
    for (const data::Sample& sample : data::read_datalist_source({table_file, "training", {}, columns})) {
      for (size_t f = 0; f < columns.size(); ++f) {
        const Value* path = sample.values.find("data." + columns[f]);
        if (path == nullptr || !path->is<std::string>())
          throw Error(Errc::kKeyNotFound, sample.origin + ": no path in field '" + columns[f] + "' (" + (f + 1 < columns.size() ? "--image" : "--mask") + ")");
        paths[f].push_back(path->as<std::string>());
      }
      origins.push_back(sample.origin);
    }
    images = paths.front();
    masks = paths.back();
    require_images(o, images.size());
    check_channel_grids(o, {paths.begin(), paths.end() - 1}, image_cols, [&](size_t i) { return origins[i]; });
    source = "{\"datalist\": " + json_string(table_path(table_file, out)) + ", \"paths\": " + json_list(columns) + renamed_keys(columns) + "}";
  } else {
    std::unique_ptr<table::Reader> reader = open_table(o);
    columns = reader->columns();
    for (const std::string& c : image_cols) require_column(o, columns, c, "--image");
    require_column(o, columns, o.mask, "--mask");
    std::vector<table::Request> all;
    for (const std::string& c : columns) all.push_back({c, table::Kind::kText});
    const table::Table t = table::read_table(table_file, all);
    groups = fold_groups(o, table::describe(t), t.size());
    // Cases without a label map (not annotated yet) have nothing to learn from: the source leaves them out.
    std::vector<size_t> labelled;
    for (size_t r = 0; r < t.size(); ++r)
      if (!t.column(o.mask).text.at(r).empty()) labelled.push_back(r);
    unlabelled = t.size() - labelled.size();
    images = channel_paths(o, t, &labelled)[0];
    std::vector<std::string> sources = image_cols;  // the path columns
    sources.push_back(o.mask);
    masks = image_paths(o, t, o.mask, &labelled);
    source = "{\"table\": " + json_string(table_path(table_file, out)) + ", \"paths\": " + json_list(sources) + renamed_keys(columns) +
             (unlabelled > 0 ? ", \"required\": [" + json_string(o.mask) + "]" : "") + "}";
  }
  const data::DatasetSummary s = data::summarize(data::read_image_infos(Registry(), images, masks, reading_threads(o)));
  if (s.photographs && image_cols.size() > 1)
    throw Error(Errc::kInvalidArgument, (nnunet != nullptr ? o.table + ": " + std::to_string(image_cols.size()) + " channels of photographs (" +
                                                                 join(image_cols, ", ") + "); photographs bring their colours in one file: give dataset.json one channel"
                                                           : "--image " + o.image + ": several columns are read as the channels of volumes; photographs bring their "
                                                                                    "colours as channels: give one column"));
  if (s.photographs && !o.regions.empty())
    throw Error(Errc::kInvalidArgument, "--regions: " + o.table + " holds photographs, whose template segments classes; region-based labels are for volumes");
  if (s.photographs && nnunet != nullptr && !nnunet->regions.empty())
    throw Error(Errc::kInvalidArgument, o.table + ": dataset.json's 'labels' are regions, but its cases are photographs, whose template segments "
                                                  "classes; region-based labels are for volumes");
  if (s.photographs && nnunet != nullptr && nnunet->ignore)
    throw Error(Errc::kInvalidArgument, o.table + ": dataset.json's 'ignore' label (" + std::to_string(*nnunet->ignore) +
                                            "), but its cases are photographs, whose template does not leave a label out yet; the ignore label is for volumes");
  if (s.photographs && nnunet != nullptr && !nnunet->labels.empty() && s.label_voxels.size() > nnunet->labels.size()) {
    // A photograph's mask values are renumbered in order (ISIC's 0 and 255), so only their count can be checked.
    std::string values, declared;
    for (const auto& [value, pixels] : s.label_voxels) values += (values.empty() ? "" : ", ") + std::to_string(value);
    for (const auto& [value, name] : nnunet->labels) declared += (declared.empty() ? "" : ", ") + name;
    throw Error(Errc::kInvalidArgument, o.table + ": the masks hold " + std::to_string(s.label_voxels.size()) + " values (" + values + ") but dataset.json's 'labels' names " +
                                            std::to_string(nnunet->labels.size()) + " (" + declared + "): one mask value per label");
  }
  if (s.photographs && o.slices)
    throw Error(Errc::kInvalidArgument, "--slices: " + o.table + " holds photographs, which are 2D already; --slices trains on the slices of volumes");
  if (s.photographs && o.lowres)
    throw Error(Errc::kInvalidArgument, "--lowres: " + o.table + " holds photographs; --lowres trains a 3D UNet on volumes at a coarser spacing");
  if (s.photographs && !o.cascade.empty())
    throw Error(Errc::kInvalidArgument, "--cascade: " + o.table + " holds photographs; a cascade refines a 3D UNet's segmentations of volumes");
  if (s.photographs) return init_photograph_segmentation(o, s, columns, source, groups, unlabelled);
  // --cascade (nnU-Net's 3d_cascade_fullres): each case's first-stage segmentation, a paired file of the source
  // named by its id, as `fuse infer --out-of-fold` writes them.
  const std::string previous = o.cascade.empty() ? "" : volume_key(columns, "previous");  // its path's key
  const std::string previous_seg = previous.empty() ? "" : previous + "_seg";          // its label map's
  if (!o.cascade.empty()) {
    if (nnunet == nullptr && table_file.extension() == ".json")
      throw Error(Errc::kInvalidArgument, "--cascade: a data list's entries take no paired files; give the cases as a table (image and mask columns) or "
                                          "an nnU-Net folder");
    const fs::path folder = fs::absolute(o.cascade).lexically_normal();
    const std::string first = fs::path(images.front()).filename().string();
    const std::string ext = first.substr(data::file_stem(first).size());
    size_t files = 0;  // the case files there: named <id><ext>
    if (fs::is_directory(folder))
      for (const fs::directory_entry& e : fs::directory_iterator(folder)) {
        const std::string name = e.path().filename().string();
        files += e.is_regular_file() && name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
      }
    if (files < images.size())
      throw Error(Errc::kInvalidArgument, "--cascade " + o.cascade + ": " + (fs::is_directory(folder) ? "holds " + std::to_string(files) + " segmentations (*" +
                                                                                                          ext + ") for " + std::to_string(images.size()) + " training cases"
                                                                                                    : std::string("no such folder")) +
                                              "; the first stage's out-of-fold segmentations of every case: cross-validate the --lowres template, "
                                              "`fuse export` it, then `fuse infer BUNDLES --out-of-fold --table " + o.table + " --out " + o.cascade + "`");
    // Relative to where the source's paths are taken from: the table's folder, nnU-Net's imagesTr.
    const fs::path base = fs::absolute(nnunet != nullptr ? nnunet->folder / "imagesTr" : table_file.parent_path()).lexically_normal();
    const fs::path relative = folder.lexically_relative(base);
    const std::string file = ((relative.empty() ? folder : relative) / ((nnunet != nullptr ? "{*}" : "{id}") + ext)).generic_string();
    const std::string entry = json_string(previous) + ": " + json_string(file);
    if (nnunet != nullptr) source.insert(source.size() - 2, ", " + entry);  // into its "with"
    else source.insert(source.size() - 1, ", \"with\": {" + entry + "}");
  }
  // The labels the masks hold, dataset.json's "ignore" label (voxels not annotated) aside.
  const std::optional<int64_t> ignore = nnunet != nullptr ? nnunet->ignore : std::nullopt;
  std::vector<int64_t> labels;
  for (const auto& [label, voxels] : s.label_voxels) {
    if (label < 0) throw Error(Errc::kInvalidArgument, o.table + ": the masks hold label " + std::to_string(label) + "; labels are 0 (background), 1, 2, ...");
    if (label > 0 && label != ignore) labels.push_back(label);
  }
  if (labels.empty())
    throw Error(Errc::kInvalidArgument, o.table + ": the masks hold only label 0 (background)" + (ignore ? " and the ignore label" : std::string()) +
                                            ": there is nothing to segment");
  int64_t classes = labels.back() + 1;
  // Region-based labels (a sigmoid channel per region): dataset.json's, or --regions'.
  const RegionLabels region_labels = !o.regions.empty() ? table_regions(o) : nnunet != nullptr ? nnunet->regions : RegionLabels{};
  const bool regions = !region_labels.empty();
  if (regions) {
    std::set<int64_t> in_regions;
    std::string declared;
    for (const LabelRegion& r : region_labels.regions) {
      in_regions.insert(r.labels.begin(), r.labels.end());
      declared += (declared.empty() ? "" : ", ") + r.name + " " + integer_list(r.labels);
    }
    for (int64_t l : labels)
      if (!in_regions.count(l))
        throw Error(Errc::kInvalidArgument, o.table + ": the label maps hold label " + std::to_string(l) + ", which no region of " +
                                                (nnunet != nullptr ? "dataset.json's 'labels'" : "--regions") + " holds (" + declared + ")");
  }
  if (nnunet != nullptr && !nnunet->labels.empty()) {  // the labels dataset.json declares: every one a class, none other
    std::string declared;
    for (const auto& [value, name] : nnunet->labels) declared += (declared.empty() ? "" : ", ") + name + " " + std::to_string(value);
    for (int64_t l : labels)
      if (!nnunet->labels.count(l))
        throw Error(Errc::kInvalidArgument, o.table + ": the label maps hold label " + std::to_string(l) + ", which dataset.json's 'labels' does not name (" +
                                                declared + ")");
    classes = std::max(classes, nnunet->labels.rbegin()->first + 1);
  }
  const auto label_name = [&](int64_t l) -> std::string {  // " organ": dataset.json's name for it
    if (nnunet == nullptr) return "";
    const auto named = nnunet->labels.find(l);
    return named == nnunet->labels.end() ? "" : " " + named->second;
  };

  std::vector<double> spacing(s.spacing.begin(), s.spacing.end());
  std::array<int64_t, 3> largest = s.largest_size;
  const int64_t patch_limit = max_size(o, kMaxPatch);
  // --lowres (nnU-Net's 3d_lowres): the spacing made coarser as nnU-Net does, 1% at a time — the axes more than
  // twice finer than the coarsest first (anisotropic scans keep their slices), then all — until the largest
  // volume fits one patch; rounded up to 0.01 mm.
  if (o.lowres) {
    const auto fits = [&](const std::vector<double>& at) {
      for (size_t a = 0; a < 3; ++a)
        if (static_cast<double>(largest[a]) * spacing[a] / at[a] > static_cast<double>(patch_limit) + 1e-9) return false;
      return true;
    };
    if (fits(spacing))
      throw Error(Errc::kInvalidArgument, "--lowres: the volumes fit one patch of " + std::to_string(patch_limit) + " voxels per axis at " +
                                              json::format_number(spacing[0]) + " x " + json::format_number(spacing[1]) + " x " + json::format_number(spacing[2]) +
                                              " mm already (largest " + std::to_string(largest[0]) + "x" + std::to_string(largest[1]) + "x" +
                                              std::to_string(largest[2]) + "): the 3D template sees them whole, and nnU-Net makes no 3d_lowres then");
    std::vector<double> coarse = spacing;
    while (!fits(coarse)) {
      const double coarsest = *std::max_element(coarse.begin(), coarse.end());
      const bool anisotropic = std::any_of(coarse.begin(), coarse.end(), [&](double v) { return coarsest / v > 2; });
      for (double& v : coarse)
        if (!anisotropic || coarsest / v > 2) v *= 1.01;
    }
    for (size_t a = 0; a < 3; ++a) {
      coarse[a] = std::ceil(coarse[a] * 100 - 1e-9) / 100;
      largest[a] = static_cast<int64_t>(std::ceil(static_cast<double>(largest[a]) * spacing[a] / coarse[a] - 1e-9));
    }
    spacing = coarse;
  }
  // Patches: the largest resampled size per axis, at most kMaxPatch, a multiple of kPatchStep (smaller volumes
  // are padded); --lowres rounds up, so that a patch holds the whole volume.
  std::vector<int64_t> patch;
  for (int64_t size : largest)
    patch.push_back(o.lowres ? (size + kPatchStep - 1) / kPatchStep * kPatchStep : std::max(kPatchStep, std::min(size, patch_limit) / kPatchStep * kPatchStep));
  // --slices: crops of the axial slices (x, y), the largest in-plane size up to kMaxSlice.
  std::vector<int64_t> plane;
  for (size_t a = 0; a < 2; ++a) plane.push_back(std::max(kPatchStep, std::min(largest[a], max_size(o, kMaxSlice)) / kPatchStep * kPatchStep));
  const std::vector<double> zyx(spacing.rbegin(), spacing.rend());  // the metrics' spacing, per tensor axis
  const std::string stem = out.stem().string();
  const std::string image = volume_key(columns, "scan"), seg = volume_key(columns, "seg");
  const std::string image_path = json_string(data_key(image_cols[0])), mask_path = json_string(data_key(o.mask));
  std::vector<std::string> path_keys;
  for (const std::string& c : image_cols) path_keys.push_back(data_key(c));
  // The label maps that move with the image: the target, and a cascade's first-stage segmentation.
  const std::string label_keys = json_string(seg) + (previous.empty() ? "" : ", " + json_string(previous_seg));
  const std::string both = "[" + json_string(image) + "], \"labels\": [" + label_keys + "]";
  std::string label_list;
  for (int64_t l : labels) label_list += (label_list.empty() ? "" : ", ") + std::to_string(l) + label_name(l) + " (" + std::to_string(s.label_voxels.at(l)) + " voxels)";
  std::string what = "label" + std::string(labels.size() == 1 ? " " : "s ") + label_list;
  if (regions) {  // "2 regions (tumour: labels 1, 2; core: label 2) of labels 1 (...), 2 (...)"
    std::string regions_text;
    for (const LabelRegion& r : region_labels.regions)
      regions_text += (regions_text.empty() ? "" : "; ") + r.name + ": label" + (r.labels.size() == 1 ? " " : "s ") + number_words(r.labels);
    what = std::to_string(region_labels.regions.size()) + " region" + (region_labels.regions.size() == 1 ? "" : "s") + " (" + regions_text + ") of " + what;
  }
  if (ignore) {  // "..., label 3 not annotated (120 voxels): left out of the loss and the scores"
    const auto counted = s.label_voxels.find(*ignore);
    what += ", label " + std::to_string(*ignore) + " not annotated (" + std::to_string(counted == s.label_voxels.end() ? 0 : counted->second) +
            " voxels, dataset.json's 'ignore': left out of the loss and the scores)";
  }
  const std::string description = "3D segmentation of " + what + " in " + std::to_string(images.size()) + " images" +
                                  (image_cols.size() > 1 ? " of " + std::to_string(image_cols.size()) + " channels (" + join(image_cols, ", ") + ")" : "");
  const std::string window = "{\"size\": " + integer_list(patch) + ", \"overlap\": 0.5, \"batch\": 2}";
  // The image's steps; in training the labels go through the reorientation and resampling with it.
  std::vector<std::string> steps_of_image = image_steps(path_keys, image, spacing);
  const std::vector<ChannelNorm> norms = nnunet != nullptr ? nnunet->norms : std::vector<ChannelNorm>(image_cols.size(), ChannelNorm::kZscore);
  // nnU-Net's use_mask_for_norm: where the nonzero voxels' box fills a median of less than 3/4 of the images
  // (skull-stripped MR: a zero background), the z-score leaves the background out and keeps it at 0. Measured on
  // the first channel's images.
  double nonzero_share = 1;
  if (std::count(norms.begin(), norms.end(), ChannelNorm::kZscore) > 0) {
    // At most kNonzeroSamples images, evenly spread: their median is the data set's, and reading every volume of a
    // large data set (BraTS's 1,251) in full would take minutes.
    std::vector<std::string> sampled;
    for (size_t k = 0, n = std::min(images.size(), kNonzeroSamples); k < n; ++k) sampled.push_back(images[k * images.size() / n]);
    std::vector<double> shares = data::nonzero_box_shares(Registry(), sampled, reading_threads(o));
    std::sort(shares.begin(), shares.end());
    const size_t n = shares.size();
    nonzero_share = n == 0 ? 1 : (shares[(n - 1) / 2] + shares[n / 2]) / 2;
  }
  // With a zero background, also nnU-Net's crop to the nonzero voxels' box before resampling: fewer voxels to
  // cache, draw patches from and slide windows over; the written labels cover the whole input again.
  const bool crop = nonzero_share < kNonzeroShare;
  const Normalisation norm = normalisation(norms, image_cols, image, seg, crop, nonzero_share);
  steps_of_image.resize(3);  // read, reorient, resample; then the normalisation
  steps_of_image.insert(steps_of_image.end(), norm.steps.begin(), norm.steps.end());
  const std::string crop_step = "{\"op\": \"fuse.medical.crop_nonzero\", \"keys\": [" + json_string(image) + "]";
  const std::string read_previous =
      "{\"op\": \"fuse.io.read_medical\", \"path_key\": " + json_string(previous) + ", \"key\": " + json_string(previous_seg) + ", \"dtype\": \"uint8\"}";
  // A cascade's first-stage label map, one channel per label but the background (nnU-Net's one-hot of the previous
  // stage's segmentation), joins the image's channels after the random steps moved both.
  std::vector<int64_t> foreground;
  for (int64_t c = 1; c < classes; ++c) foreground.push_back(c);
  const std::vector<std::string> encode_previous =
      previous.empty() ? std::vector<std::string>()
                       : std::vector<std::string>{"{\"op\": \"fuse.ops.squeeze\", \"keys\": [" + json_string(previous_seg) + "], \"axis\": 0}",
                                                  "{\"op\": \"fuse.ops.one_hot\", \"key\": " + json_string(previous_seg) + ", \"categories\": " +
                                                      integer_list(foreground) + ", \"axis\": \"first\", \"unknown\": \"zeros\"}",
                                                  "{\"op\": \"fuse.ops.concat\", \"keys\": [" + json_string(image) + ", " + json_string(previous_seg) +
                                                      "], \"out\": " + json_string(image) + "}",
                                                  "{\"op\": \"fuse.ops.delete\", \"keys\": [" + json_string(previous_seg) + "]}"};
  if (!previous.empty()) {
    steps_of_image[1] = "{\"op\": \"fuse.medical.reorient\", \"keys\": [" + json_string(image) + ", " + json_string(previous_seg) + "], \"orientation\": \"RAS\"}";
    steps_of_image[2] = "{\"op\": \"fuse.medical.resample\", \"keys\": [" + json_string(image) + "], \"labels\": [" + json_string(previous_seg) +
                        "], \"spacing\": " + number_list(spacing) + "}";
    steps_of_image.insert(steps_of_image.begin() + 1, read_previous);
    steps_of_image.insert(steps_of_image.end(), encode_previous.begin(), encode_previous.end());
  }
  if (crop) steps_of_image.insert(steps_of_image.begin() + (previous.empty() ? 2 : 3), crop_step + (previous.empty() ? "}" : ", \"labels\": [" + json_string(previous_seg) + "]}"));
  const std::string metric = "{\"metric\": \"fuse.metrics.segmentation\", \"pred\": \"model.seg\", \"target\": " + json_string(seg) +
                             (regions ? ", \"regions\": " + region_labels.lists() : ", \"num_classes\": " + std::to_string(classes)) +
                             (ignore ? ", \"ignore_label\": " + std::to_string(*ignore) : std::string()) + ", \"spacing\": " + number_list(zyx);
  // Patches centred on each label value alike; never on a voxel not annotated.
  std::vector<int64_t> ratios(static_cast<size_t>(ignore ? *ignore + 1 : classes), 0);
  std::fill(ratios.begin(), ratios.begin() + classes, 1);
  // The model's channels: one per class, or one per region.
  const int64_t outputs = regions ? static_cast<int64_t>(region_labels.regions.size()) : classes;

  std::string x;
  const auto line = [&](const std::string& text) { x += text + "\n"; };
  line("{");
  line("  // Made by `" + segmentation_command(o) + "`:");
  const std::string folds_text = std::to_string(fold_count(groups, images.size())) + "-fold cross-validation.";
  if (o.slices)
    line("  // " + description + ", with a 2D UNet on " + std::to_string(plane[0]) + "x" + std::to_string(plane[1]) +
         " crops of their axial slices (whole volumes predicted slice by slice) and " + folds_text);
  else
    line("  // " + description + ", with a 3D UNet on " + std::to_string(patch[0]) + "x" + std::to_string(patch[1]) + "x" + std::to_string(patch[2]) +
         " patches and " + folds_text);
  x += fold_groups_comment(groups, images.size());
  if (o.lowres)
    line("  // Every image is laid out in RAS and resampled to " + json::format_number(spacing[0]) + " x " + json::format_number(spacing[1]) + " x " +
         json::format_number(spacing[2]) + " mm (nnU-Net's 3d_lowres: the most common spacing per axis, " + json::format_number(s.spacing[0]) + " x " +
         json::format_number(s.spacing[1]) + " x " + json::format_number(s.spacing[2]) + " mm, made coarser as nnU-Net does until the largest volume fits one patch).");
  else
    line("  // Every image is laid out in RAS and resampled to " + json::format_number(spacing[0]) + " x " + json::format_number(spacing[1]) + " x " +
         json::format_number(spacing[2]) + " mm (the most common spacing per axis; `fuse dataset summary` shows the rest).");
  if (!previous.empty())
    line("  // nnU-Net's 3d_cascade_fullres: beside each image, the first stage's segmentation of it (out of fold) from " + o.cascade + ",\n"
         "  // one channel per label, so the UNet refines what the coarse model saw whole.");
  line("  // The UNet's input channels come from the data when it runs. Edit freely: docs/data.md, docs/training.md.");
  line("  \"name\": " + json_string(stem) + ",");
  line("  \"seed\": 1,");
  line("  \"data\": {");
  line("    \"source\": " + source + ",");
  line("    // Deterministic, cached: read" + (image_cols.size() > 1 ? " (" + join(image_cols, ", ") + " as channels)" : "") +
       ", lay out in RAS, " + (crop ? "crop to the box of the nonzero voxels, " : "") + "resample (labels by nearest neighbour), " + norm.words +
       (o.slices ? ignore ? "; then one sample per axial slice that holds annotated voxels, whose largest annotated label the sampler balances"
                          : "; then one sample per axial slice, whose largest label the sampler balances"
                 : "") +
       ".");
  // The volume's steps: the image's with the labels; with --slices also validation's (the volumes whole).
  std::vector<std::string> volume_steps{steps_of_image[0],
                                        "{\"op\": \"fuse.io.read_medical\", \"path_key\": " + mask_path + ", \"key\": " + json_string(seg) + ", \"dtype\": \"uint8\"}"};
  if (!previous.empty()) volume_steps.push_back(read_previous);
  volume_steps.push_back("{\"op\": \"fuse.medical.reorient\", \"keys\": [" + json_string(image) + ", " + label_keys + "], \"orientation\": \"RAS\"}");
  if (crop) volume_steps.push_back(crop_step + ", \"labels\": [" + label_keys + "]}");
  volume_steps.push_back("{\"op\": \"fuse.medical.resample\", \"keys\": [" + json_string(image) + "], \"labels\": [" + label_keys + "], \"spacing\": " +
                         number_list(spacing) + "}");
  volume_steps.insert(volume_steps.end(), norm.steps.begin(), norm.steps.end());
  std::vector<std::string> static_steps = volume_steps;
  if (o.slices) {  // [channels, z, y, x] -> one sample per axial slice [channels, y, x], ids "case07#12"
    static_steps.push_back("{\"split\": {\"keys\": [" + json_string(image) + ", " + json_string(seg) + "], \"axis\": 1}}");
    // With an ignore label, a slice not annotated at all teaches nothing (its loss is empty): dropped; the others
    // are balanced on their largest annotated label.
    const std::string ignored = ignore ? ", \"ignore\": [" + std::to_string(*ignore) + "]" : "";
    if (ignore) {
      static_steps.push_back("{\"op\": \"fuse.ops.reduce\", \"key\": " + json_string(seg) + ", \"out\": \"data.annotated\", \"reduce\": \"count\"" + ignored +
                             ", \"greater_than\": 0}");
      static_steps.push_back("{\"keep_if\": \"data.annotated\"}");
    }
    static_steps.push_back("{\"op\": \"fuse.ops.reduce\", \"key\": " + json_string(seg) + ", \"out\": \"data.slice_class\", \"reduce\": \"max\"" + ignored + "}");
  }
  const auto step_lines = [&](const std::vector<std::string>& steps, const std::string& indent) {
    for (size_t i = 0; i < steps.size(); ++i) line(indent + steps[i] + (i + 1 < steps.size() ? "," : ""));
  };
  line("    \"static\": [");
  step_lines(static_steps, "      ");
  line("    ],");
  const std::string skip = "\"collate\": {\"skip\": [" + json_string(image + "_meta") + ", " + json_string(seg + "_meta") +
                           (previous.empty() ? "" : ", " + json_string(previous_seg + "_meta")) + "]}";
  const std::string slices_setup = "{\"axis\": \"z\", \"batch\": 16}";
  line(o.slices ? "    // Random, every epoch: a crop of the slice (padded where it is smaller), turned and scaled a little; one draw moves"
                : "    // Random, every epoch: a patch centred on each label (background too) with equal chances, then one draw moves");
  line("    // the image and its labels alike.");
  const std::vector<std::string> dynamic =
      o.slices ? std::vector<std::string>{"{\"op\": \"fuse.image2d.crop\", \"keys\": " + both + ", \"size\": " + integer_list(plane) + ", \"mode\": \"random\"}",
                                          "{\"op\": \"fuse.image2d.random_affine\", \"keys\": " + both +
                                              ", \"rotation\": [-10, 10], \"scale\": [0.9, 1.1], \"translation\": [0, 0], \"shear\": [0, 0], \"p\": 0.5}"}
               : std::vector<std::string>{"{\"op\": \"fuse.medical.crop_foreground\", \"keys\": " + both + ", \"size\": " + integer_list(patch) +
                                              ", \"class_ratios\": " + integer_list(ratios) + "}",
                                          "{\"op\": \"fuse.medical.random_affine\", \"keys\": " + both + ", \"rotation\": [-10, 10], \"scale\": [0.9, 1.1], \"p\": 0.5}",
                                          "{\"op\": \"fuse.medical.random_flip\", \"keys\": " + both + ", \"axes\": [0]}",
                                          "{\"op\": \"fuse.medical.random_noise\", \"keys\": [" + json_string(image) + "], \"std\": [0, 0.05], \"p\": 0.3}"};
  std::vector<std::string> dynamic_steps = dynamic;
  if (!previous.empty()) {
    line("    // Then the first stage's label map (moved with the image, by nearest neighbour) joins the image as one channel per label,");
    line("    // each label's channel grown, shrunk, opened or closed, or a small piece of it removed, at random (nnU-Net's cascade):");
    line("    // the UNet learns to correct the first stage, not to copy it.");
    std::vector<std::string> encode = encode_previous;
    encode.insert(encode.begin() + 2, "{\"op\": \"fuse.medical.random_label_morphology\", \"keys\": [" + json_string(previous_seg) + "]}");
    dynamic_steps.insert(dynamic_steps.end(), encode.begin(), encode.end());
  }
  line("    \"dynamic\": [");
  step_lines(dynamic_steps, "      ");
  line("    ],");
  line("    \"cache\": {\"dir\": " + json_string(stem + "_cache") + "},");
  line("    " + folds_member(stem, groups, images.size(), "") + ",");
  line("    \"loader\": {\"batch_size\": " + std::string(o.slices ? "16" : "2") + ", \"workers\": 2, " +
       (o.slices ? "\"sampler\": {\"balance\": \"data.slice_class\"}, " : "") + skip + "}");
  line("  },");
  if (o.slices) {
    line("  // Validation reads the volumes whole (the static steps without the split) and predicts them slice by slice.");
    line("  \"validation\": {");
    line("    \"static\": [");
    step_lines(volume_steps, "      ");
    line("    ],");
    line("    \"dynamic\": [],");
    line("    \"slices\": " + slices_setup);
    line("  },");
  } else {
    line("  // Validation sees whole volumes, in overlapping windows blended back" + std::string(previous.empty() ? "." : ", with the first stage's label map as channels."));
    if (previous.empty()) {
      line("  \"validation\": {\"dynamic\": [], \"sliding_window\": " + window + "},");
    } else {
      line("  \"validation\": {");
      line("    \"dynamic\": [");
      step_lines(encode_previous, "      ");
      line("    ],");
      line("    \"sliding_window\": " + window);
      line("  },");
    }
  }
  line(o.slices ? "  // Instance norm, as the 3D template's (nnU-Net's choice)." : "  // Instance norm: batches of two patches are too few for batch statistics (nnU-Net's choice).");
  if (regions) line("  // One output channel per region, each a sigmoid: the regions overlap (nnU-Net's region-based training).");
  line("  \"model\": {\"model\": \"fuse.models.unet\", \"dims\": " + std::string(o.slices ? "2" : "3") + ", \"num_classes\": " + std::to_string(outputs) +
       ", \"channels\": [16, 32, 64], \"norm\": \"instance\"" + encoder_member(o) + ",\n            \"inputs\": [" + json_string(image) + "], \"outputs\": " +
       (regions ? "[\"model.logits\"]" : "[\"model.logits\", \"model.probs\"]") + "},");
  const std::string distances = "Distances in millimetres: the spacing per tensor axis (z, y, x) after resampling.";
  line(segmentation_sections(seg, metric, distances, 50, region_labels, ignore));
  line("  // A new image: the same static steps without the labels, " + std::string(o.slices ? "slice by slice" : "windows") +
       " as in validation, the labels written back onto");
  if (nnunet != nullptr)
    line("  // the input's own grid. `fuse infer BUNDLE --folder " + (nnunet->folder / "imagesTs").string() +
         " --out DIR` segments the test cases, each with its channels (scored where labelsTs holds their labels).");
  else
    line("  // the input's own grid. `fuse infer BUNDLE --table test.csv --out DIR` scores them against the table's '" + o.mask + "' column.");
  if (!previous.empty())
    line("  // The first stage's segmentation of each input, on the input's grid: `fuse infer BUNDLE --previous-stage LOWRES_BUNDLES` makes it.");
  line("  \"inference\": {");
  line("    \"input_key\": " + image_path + ",");
  if (!previous.empty()) line("    \"previous_stage\": " + json_string(previous) + ",");
  line("    \"steps\": [");
  step_lines(steps_of_image, "      ");
  line("    ],");
  line(o.slices ? "    \"slices\": " + slices_setup + "," : "    \"sliding_window\": " + window + ",");
  line("    \"postprocess\": " + label_postprocess(region_labels, 20) + ",");
  // The label map made on the input's grid from the probabilities resampled linearly (smoother than the labels'
  // nearest neighbour): the most likely class, or for regions each region in regions_class_order.
  line("    \"write\": [{\"op\": \"fuse.io.write_medical\", \"key\": \"model.seg\", \"scores\": \"model.probs\"" +
       (regions ? ", \"region_labels\": " + integer_list(region_labels.order) : std::string()) + ", \"geometry_from\": " + json_string(image) +
       ", \"label\": true, \"dtype\": \"uint8\", \"path\": \"{data.output_path}\"}],");
  line("    \"reference\": " + mask_path);
  line("  }");
  line("}");
  write_experiment(o, x);
  std::cout << "wrote " << o.out << ": " << description << "\n";
  std::cout << "  resampled to " << json::format_number(spacing[0]) << " x " << json::format_number(spacing[1]) << " x " << json::format_number(spacing[2])
            << " mm (largest size " << largest[0] << "x" << largest[1] << "x" << largest[2] << "), "
            << (o.slices ? "crops of " + std::to_string(plane[0]) + "x" + std::to_string(plane[1]) + " pixels of the axial slices"
                         : "patches of " + std::to_string(patch[0]) + "x" + std::to_string(patch[1]) + "x" + std::to_string(patch[2]) + " voxels")
            << "\n";
  print_unlabelled(o, unlabelled);
  print_fold_groups(groups, images.size());
  // The run, then nnU-Net's post-processing choice on its validation cases, then the bundle that applies it.
  const std::string name = out.stem().string();
  std::cout << "next: fuse run " << o.out << " --out runs/" << name << "; fuse choose-postprocess " << o.out << " runs/" << name << "; fuse export runs/" << name
            << " --out " << name << "_bundle\n";
  if (!previous.empty()) {  // the second stage predicts with the first stage's segmentations of the same inputs
    std::cout << "  a new case needs the first stage's segmentation: fuse infer " << name << "_bundle --previous-stage LOWRES_BUNDLES "
              << (nnunet != nullptr ? "--folder " + (nnunet->folder / "imagesTs").string() : std::string("--table TEST_TABLE"))
              << " --out DIR predicts it with the first stage's bundles first\n";
  } else if (o.lowres) {  // nnU-Net's 3d_lowres beside its 3d_fullres: compared and averaged on the full resolution's grid
    std::cout << "  with the full-resolution 3D template of the same data (fuse init without --lowres): fuse choose-ensemble EXPERIMENT_3D RUN_3D " << o.out
              << " runs/" << name << " compares the two and their ensemble on the full resolution's grid; fuse infer BUNDLE_3D " << name
              << "_bundle averages the two\n";
    // nnU-Net's cascade: the full-resolution model refines this one's segmentations, made out of fold.
    std::string plain = segmentation_command(o);
    plain.erase(plain.find(" --lowres"), 9);
    std::cout << "  nnU-Net's 3d_cascade_fullres on top: fuse run " << o.out << " --cross-validate --out runs/" << name << "_cv; fuse export runs/" << name
              << "_cv --out " << name << "_bundles; fuse infer " << name << "_bundles --out-of-fold " << (nnunet != nullptr ? "--folder " + (nnunet->folder / "imagesTr").string() : "--table " + o.table) << " --out runs/" << name << "_oof; then "
              << plain << " --cascade runs/" << name << "_oof --out " << (out.parent_path() / (name + "_cascade.json")).string() << "\n";
  } else if (o.slices) {  // nnU-Net's 2D + 3D ensemble: both models' probabilities averaged, where it measures better
    std::cout << "  with a 3D template of the same data (fuse init without --slices): fuse choose-ensemble EXPERIMENT_3D RUN_3D " << o.out << " runs/" << name
              << " compares the two and their ensemble on the validation cases; fuse infer BUNDLE_3D " << name << "_bundle averages the two\n";
  } else {  // nnU-Net trains its 2d configuration too, and keeps whichever of the two (or both) validates best
    const std::string two_d = (out.parent_path() / (name + "_2d.json")).string();
    std::cout << "  nnU-Net's 2d configuration of the same data: " << segmentation_command(o) << " --slices --out " << two_d << "; after both runs, fuse choose-ensemble "
              << o.out << " runs/" << name << " " << two_d << " runs/" << name << "_2d compares the 3D, the 2D and the two averaged\n";
    // Volumes larger than a patch: nnU-Net adds its 3d_lowres, which sees them whole.
    if (largest[0] > patch[0] || largest[1] > patch[1] || largest[2] > patch[2]) {
      const std::string low = (out.parent_path() / (name + "_lowres.json")).string();
      std::cout << "  the volumes are larger than a patch; nnU-Net's 3d_lowres of the same data sees them whole: " << segmentation_command(o) << " --lowres --out "
                << low << "; after both runs, fuse choose-ensemble " << o.out << " runs/" << name << " " << low << " runs/" << name << "_lowres compares them\n";
    }
  }
  return 0;
}

void print_unlabelled(const InitOptions& o, size_t unlabelled) {
  if (unlabelled > 0)
    std::cout << "  rows left out: " << unlabelled << " without '" << o.mask << "' (the source's \"required\": no label map to learn from; fuse infer "
              << "still segments them)\n";
}

}  // namespace fuse::cli
