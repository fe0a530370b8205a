// fuse init: starting experiments written from a look at the data (init_command.cc: a table's columns;
// init_segmentation.cc: images and their label maps).
#ifndef FUSE_APPS_FUSE_INIT_H_
#define FUSE_APPS_FUSE_INIT_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuse/base/error.h"
#include "fuse/data/summary.h"
#include "fuse/table/describe.h"
#include "fuse/table/table.h"

namespace fuse::cli {

struct InitOptions {
  std::string table, target, image = "image", mask, time, event, out = "experiment.json", task = "auto", fold_group;
  std::string uncertain;  // --uncertain ones|zeros: what a multi-label -1 (CheXpert's uncertain) becomes; "" refuses -1
  std::vector<std::string> exclude, groups;
  bool force = false;
  int64_t threads = 0;
  int64_t max_size = 0;  // --max-size: the images' largest side in pixels or voxels; 0: each template's own
  std::string event_value;             // --event COLUMN=VALUE: the column's value that is the event ("Dead"); "": a 0/1 column
  std::string survival_model = "cox";  // --survival-model: cox (a risk) or discrete (per-bin event probabilities)
  double horizon = 0;                  // --horizon: the time survival is predicted and scored at; 0: the median time
  std::string made_by;                 // the command a template names, when not the options' own (an nnU-Net folder's)
  std::string regions;                 // --regions 1,2,4;1,4;4: a segmentation of regions of labels (a sigmoid each)
  std::string region_labels;           // --region-labels 2,1,4: the label each region's voxels get (default: found from the regions)
  std::string encoder = "plain";       // --encoder: a segmentation UNet's, plain or residual (nnU-Net's ResEnc)
  bool slices = false;                 // --slices: a 2D UNet on the volumes' axial slices (nnU-Net's 2d configuration)
  bool lowres = false;                 // --lowres: a 3D UNet at a coarser spacing, the largest volume in one patch (nnU-Net's 3d_lowres)
  std::string cascade;                 // --cascade DIR: a 3D UNet that also reads the first stage's out-of-fold segmentations in DIR
                                       // (nnU-Net's 3d_cascade_fullres)
};

// The table as the experiment names it: relative to the experiment's folder, unless that climbs more than two
// folders up (then absolute).
std::string table_path(const std::filesystem::path& table, const std::filesystem::path& experiment);
// `text` JSON-quoted; texts as a JSON array (["t1", "t2"]).
std::string json_string(const std::string& text);
std::string json_list(const std::vector<std::string>& texts);
// The key of a column's values: "data.<column>", with whitespace and dots made '_' ("body mass" ->
// "data.body_mass") so that it is one valid key; renamed_keys() gives the source's "keys" member mapping each
// column whose key differs (`, "keys": {...}`, or nothing).
std::string data_key(const std::string& column);
std::string renamed_keys(const std::vector<std::string>& columns);
// Opens the table o.table, after refusing a missing one or an existing o.out (unless o.force).
std::unique_ptr<table::Reader> open_table(const InitOptions& o);
// Refuses a `column` that the table's `columns` lack, naming the option that gave it.
void require_column(const InitOptions& o, const std::vector<std::string>& columns, const std::string& column, const std::string& option);
// require_column for the target: --time and --event for survival, else each --target column.
void require_target_columns(const InitOptions& o, const std::vector<std::string>& columns);
// Column `column` of `t` as paths to read (of `rows` only, when given): relative ones from the table's folder,
// as the experiment's source reads them; an empty cell is refused, naming the row, and so are too few rows
// (require_images).
std::vector<std::string> image_paths(const InitOptions& o, const table::Table& t, const std::string& column, const std::vector<size_t>* rows = nullptr);
// --image's columns: one, or several separated by commas (a case's MRI sequences, read as its channels).
std::vector<std::string> image_columns(const InitOptions& o);
// image_paths of every image column ([column][row]), after refusing a row whose files lie on different grids
// (they are its channels: they must share one), naming the row and the columns.
std::vector<std::vector<std::string>> channel_paths(const InitOptions& o, const table::Table& t, const std::vector<size_t>* rows = nullptr);
// Each case i whose image paths[c][i] of a column c > 0 lies off the grid of paths[0][i] (grid_difference), column
// by column, from the headers; none for photographs (their colours are their channels, in one file).
struct GridMismatch {
  size_t item = 0, channel = 0;
  std::string difference;
};
std::vector<GridMismatch> grid_mismatches(const std::vector<std::vector<std::string>>& paths, size_t threads);
// Refuses the first such case (`where(i)`: its row), naming the columns and the difference.
void check_channel_grids(const InitOptions& o, const std::vector<std::vector<std::string>>& paths, const std::vector<std::string>& columns,
                         const std::function<std::string(size_t)>& where);
// Refuses fewer than 4 images: the folds need them.
void require_images(const InitOptions& o, size_t count);
// o.threads, or every core.
size_t reading_threads(const InitOptions& o);
// "[0.8, 0.8, 2]", "[64, 64, 48]".
std::string number_list(const std::vector<double>& values);
std::string integer_list(const std::vector<int64_t>& values);
// "data.<name>" for a volume, "_volume" appended until no column of the table names it.
std::string volume_key(const std::vector<std::string>& columns, std::string name);
// The steps that make an image ready for a model, as JSON texts: read the file at `path_keys` (several: each a
// channel, fuse.io.read_medical_channels) into `key` (float32), lay it out in RAS, resample it to `spacing` (x, y,
// z in mm), z-normalise it (each channel on its own).
std::vector<std::string> image_steps(const std::vector<std::string>& path_keys, const std::string& key, const std::vector<double>& spacing);
// The column whose rows share a fold (a patient's scans; scikit-learn's GroupKFold, the experiment's
// "folds.group"): --fold-group, else the first column named for patients or subjects ("patient", "PatientID",
// "subject_id", "MRN"; not "patient_age") whose values repeat, without empty cells; none for --fold-group none. Refuses a --fold-group that
// is not there, has empty cells or one value.
struct FoldGroups {
  std::string column;  // empty: each row alone
  size_t values = 0;
};
FoldGroups fold_groups(const InitOptions& o, const std::vector<table::ColumnSummary>& columns, size_t rows);
// 5 folds, fewer for fewer groups (or rows).
size_t fold_count(const FoldGroups& g, size_t rows);
// The "folds" member: fold_count folds, stratified by `stratify` (Target::stratify's members) unless empty,
// grouped by g, saved to "<stem>_folds.json".
std::string folds_member(const std::string& stem, const FoldGroups& g, size_t rows, const std::string& stratify);
// The folds' members that stratify by `keys`: one key's classes; several 0/1 labels, or one key's text split by
// `separator`, by each row's rarest label. "" for none.
std::string stratify_members(const std::vector<std::string>& keys, const std::string& separator = "");
// What grouping the folds means: a comment line for the template ("" when not grouped), and a line of output.
std::string fold_groups_comment(const FoldGroups& g, size_t rows);
void print_fold_groups(const FoldGroups& g, size_t rows);
// What a table's columns become as features (sklearn's ColumnTransformer): numbers (imputed when some are empty,
// z-scored), categories (one-hot), or left out with the reason (ids, free text, a constant, --exclude, the folds'
// groups); the target's columns and `images` are not listed.
struct Plan {
  std::vector<std::string> numbers, with_missing, categories;
  std::vector<std::pair<std::string, std::string>> skipped;  // column, why
};
Plan plan_columns(const std::vector<table::ColumnSummary>& columns, const InitOptions& o, size_t rows, const FoldGroups& groups,
                  const std::vector<std::string>& images = {});
// The static steps (JSON texts, with comments) making "data.features" from a plan's columns, every statistic
// fitted to the training folds; "2 numbers and 1 categorical column"; the plan printed, a line per part.
std::vector<std::string> feature_steps(const Plan& p);
std::string features_description(const Plan& p);
void print_plan(const Plan& p);
// o.max_size, else `fallback`: the largest side, in pixels or voxels, that a template gives its images.
int64_t max_size(const InitOptions& o, int64_t fallback);
// " --max-size N", " --fold-group COLUMN" when given, for the command a template repeats; a segmentation's
// whole command ("fuse init TABLE --image I --mask M ...").
std::string max_size_option(const InitOptions& o);
// " --encoder residual", or nothing for the plain encoder.
std::string encoder_option(const InitOptions& o);
// nnU-Net's other configuration a segmentation template is: " --slices", " --lowres", or "".
std::string configuration_option(const InitOptions& o);
// The UNet's encoder member (`, "encoder": "residual"`), or nothing for the plain one.
std::string encoder_member(const InitOptions& o);
std::string fold_group_option(const InitOptions& o);
// The target's options as given: " --target COLUMNS", or " --time T --event E" (E=VALUE for a text event).
std::string target_option(const InitOptions& o);
// The options every table and image template repeats in its `Made by` line: --task, --exclude, --groups,
// --uncertain and --fold-group, as given.
std::string common_options(const InitOptions& o);
std::string segmentation_command(const InitOptions& o);
// Photographs (data::is_photograph): the working size, the median of their longer sides at most 128 pixels (or
// --max-size) and a multiple of 4 (the UNet halves it twice); "gray" when every one has one channel, else "color" (RGB); the steps
// reading one at `path_key` into `key` (float in [0, 1]) and resizing it to fit side x side, its aspect kept and
// padded with 0 (the label maps in `labels` with it, by nearest neighbour).
int64_t photograph_side(const InitOptions& o, const data::DatasetSummary& s);
std::string photograph_mode(const data::DatasetSummary& s);
std::string photograph_read(const std::string& path_key, const std::string& key, const std::string& mode);
std::string photograph_resize(const std::string& key, int64_t side, const std::vector<std::string>& labels = {});
std::vector<std::string> photograph_steps(const std::string& path_key, const std::string& key, const std::string& mode, int64_t side);
// Training's random steps for photographs at `key` (and their label maps at `labels`, moved alike): a 2D affine,
// a left-right flip and a mild colour jitter (of the photograph alone).
std::vector<std::string> photograph_augmentation(const std::string& key, const std::string& mode, const std::string& labels = "");
// Region-based labels (nnU-Net's; BraTS's whole tumour = labels 1, 2, 3, tumour core = 2, 3, enhancing tumour =
// 3): each region named with its labels, and `order`, the label each region's voxels get when the regions are
// turned back into labels (regions_class_order). Empty: the labels are classes.
struct LabelRegion {
  std::string name;
  std::vector<int64_t> labels;
};
struct RegionLabels {
  std::vector<LabelRegion> regions;
  std::vector<int64_t> order;
  bool empty() const { return regions.empty(); }
  std::string lists() const;  // the regions' labels as JSON: [[1, 2, 3], [2, 3], [3]]
};
// The steps making the label map "model.seg" from the model's outputs (a JSON list; `indent` lines up a second
// step under the first): the most likely class of "model.probs", or with regions a sigmoid of "model.logits" and
// fuse.ops.regions_to_labels.
std::string label_postprocess(const RegionLabels& regions, size_t indent);
// A segmentation's sections from "postprocess" to "trainer" (each line ending with a comma): label_postprocess,
// Dice + cross-entropy without the background with class weights fitted to the label maps `seg_key` (with
// regions: unweighted, a binary cross-entropy per region), the mean Dice (and each region's) and HD95 on the
// validation fold (`metric` opens their config; `distances`, a comment, gives HD95's unit), AdamW with one-cycle
// for `epochs`; with `ignore` (dataset.json's "ignore" label: voxels not annotated) the loss leaves that label out.
std::string segmentation_sections(const std::string& seg_key, const std::string& metric, const std::string& distances, int64_t epochs,
                                  const RegionLabels& regions = {}, std::optional<int64_t> ignore = std::nullopt);
// Refuses an existing o.out unless o.force; write_experiment writes `text` there.
void check_out(const InitOptions& o);
void write_experiment(const InitOptions& o, const std::string& text);

// What the target column o.target makes of the experiment (init_target.cc): a classification (text, or at most
// 12 whole numbers) or a regression, and the key the loss reads: class indices 0..k-1 (the column itself, or
// numbered by a fitted lookup) or the target z-scored by the training folds. Several columns (--target a,b,c),
// each 0/1, make a multi-label classification: the labels stacked into one float vector per row.
struct Target {
  std::string task;  // "classification", "regression", "survival" or "multilabel"
  size_t classes = 0;       // classes, or labels
  std::string label;        // the key the loss and metrics read (survival: the event; regression: the standardised target)
  std::string value;        // regression: the target's own key, in its units (what the evaluation scores)
  // Target columns with empty cells: the source leaves those rows out ("required"); the count per column.
  std::vector<std::pair<std::string, size_t>> required;
  std::string time;         // survival: the key of the times
  double horizon = 0;       // survival: --horizon, else the median time, where the evaluation's time-dependent AUC is
  size_t bins = 0;          // survival: the time bins of a discrete-time model (its outputs); 0: a Cox model
  std::vector<double> curve_times;  // survival: the times of each row's survival curve (its integrated Brier score)
  std::string stratify;     // the folds' stratify members (stratify_members; "" none)
  std::vector<std::string> labels;  // multi-label: the labels, each a column or a label of one listing column (scored one by one under their names)
  std::string description;  // "binary classification of 'label'"
  std::vector<std::string> steps;  // static steps making `label` from the column (none when it is one already)
  // The model's outputs ("[\"model.logits\", \"model.probs\"]") and how many numbers per row the first holds.
  std::string outputs() const;
  size_t output_size() const { return task == "classification" || task == "multilabel" ? classes : bins > 0 ? bins : 1; }
  // One number per row (a regression's, a Cox model's risk): a regressor rather than a classifier.
  bool one_number() const { return task == "regression" || (task == "survival" && bins == 0); }
};
// o.target's columns: one, or several separated by commas (multi-label).
std::vector<std::string> target_columns(const InitOptions& o);
// The target of o.target among the table's `columns` (summaries of `t`): read_target for one column, else
// multi-label (each column 0 and 1, both, without empty cells; the folds stratified by each row's rarest
// label). One text column whose cells list labels ("Effusion|Edema", ChestX-ray14's "Finding Labels") is
// multi-label too (read_label_list). Refuses a target with empty cells, one value, or more values than classes can be.
Target read_targets(const InitOptions& o, const std::vector<table::ColumnSummary>& columns, const table::Table& t);
// A multi-label target listed in one text column, labels separated by '|': a 0/1 key per label (named as a column
// of that name would be), "No Finding" and "none" listing none. Refuses empty cells, a label in fewer rows than
// `folds` or in every row, and a label whose key a column of the table has.
Target read_label_list(const InitOptions& o, const table::Column& column, const std::vector<std::string>& columns, size_t folds);
Target read_target(const InitOptions& o, const table::ColumnSummary& column);
// A survival target: years (or any unit) to the event in column o.time, column o.event 1 when it happened and 0
// when follow-up ended first (a Cox model scored by the C-index, or with --survival-model discrete a
// discrete-time one: the time's bin, fitted, its step). Refuses empty cells, negative times, an event column
// that is not 0/1 with both values, and a --horizon after the longest time.
Target read_survival(const InitOptions& o, const table::ColumnSummary& time, const table::ColumnSummary& event);
// The source's "required" member for the target's columns with empty cells (", \"required\": [...]"), or "".
std::string required_member(const Target& t);
// "  rows left out: ..." for the target's empty cells (nothing when none).
void print_required(const Target& t);
// The experiment's sections from "postprocess" to "evaluation" for a model whose outputs are t.outputs(), each
// line ending with a comma but the last.
std::string target_sections(const InitOptions& o, const Target& t, int64_t epochs, int64_t threads);
// Per --groups column, its key, for the evaluation ("[\"data.site\"]").
std::string key_list(const std::vector<std::string>& columns);

// nnU-Net's raw data set (v2; init_nnunet.cc): a folder (or its dataset.json) whose dataset.json names
// "channel_names" and "file_ending", with imagesTr/<case>_<XXXX><ending> and labelsTr/<case><ending>.
bool is_nnunet_dataset(const std::string& path);
// nnU-Net's intensity normalisation of a channel, by its name in channel_names: "CT" the training foreground's
// percentiles, "noNorm" none, "rescale_to_0_1" each image's range, "rgb_to_0_1" / 255, any other name a z-score.
enum class ChannelNorm { kZscore, kCt, kNone, kMinMax, kRgb };
ChannelNorm channel_norm(const std::string& channel_name);
struct NnunetDataset {
  std::filesystem::path folder;
  std::string ending;                            // ".nii.gz"
  std::vector<std::string> channels;             // column-like names (T2, ADC), in channel order
  std::vector<ChannelNorm> norms;                // per channel: nnU-Net's normalisation, chosen by its name
  std::map<int64_t, std::string> labels;         // value -> name, as dataset.json gives them (empty with regions), "ignore" aside
  std::optional<int64_t> ignore;                 // the "ignore" label: voxels not annotated (nnU-Net's sparse labels)
  RegionLabels regions;                          // region-based labels, in dataset.json's order, and 'regions_class_order'
  std::vector<std::string> ids, masks;           // per case, in name order
  std::vector<std::vector<std::string>> images;  // [channel][case]
};
// Reads dataset.json and finds every case's channels and label map; refuses (naming the file and what to fix) a
// missing channel or label file, channels numbered with a gap, region-based labels without a matching
// 'regions_class_order', and a 'numTraining' that differs from the cases found.
NnunetDataset read_nnunet_dataset(const std::string& path);
// The experiment's source: imagesTr's first channels, the other channels and the labels paired with each.
std::string nnunet_source(const NnunetDataset& n, const std::filesystem::path& experiment);

// A 3D segmentation of the images in column o.image by the label maps in column o.mask; of an nnU-Net data set's
// cases when `nnunet` is given (o.image then names its channels, o.mask "mask").
int init_segmentation(const InitOptions& o, const NnunetDataset* nnunet = nullptr);
// A 3D classification (or regression) of the images in column o.image by column o.target; 2D for photographs.
int init_images(const InitOptions& o);
// A 2D segmentation of photographs `s` by their masks; `columns` are the table's, `source` the experiment's data
// source (init_photographs.cc).
int init_photograph_segmentation(const InitOptions& o, const data::DatasetSummary& s, const std::vector<std::string>& columns, const std::string& source,
                                 const FoldGroups& groups, size_t unlabelled);
// "  rows left out: ..." for the rows of a segmentation's table without a label map (none: nothing).
void print_unlabelled(const InitOptions& o, size_t unlabelled);

}  // namespace fuse::cli

#endif  // FUSE_APPS_FUSE_INIT_H_
