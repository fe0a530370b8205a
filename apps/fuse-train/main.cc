// fuse-train: the commands that train or predict (`fuse run`, `fuse lr-find`, `fuse export`, `fuse infer`,
// `fuse show-results`), and `fuse eval-seg`, which shares inference's scoring of segmentations.
// A program of its own because it loads LibTorch, which the other `fuse` commands must not pay for; `fuse`
// hands these commands over to it. Exit codes: 0 success, 1 failure, 2 usage. This file holds the command line;
// each command is in a file of its own.
#include <iostream>  // before __GLIBC__ is tested: a C library header defines it

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include "../common/run_app.h"
#include "choose_ensemble.h"
#include "choose_postprocess.h"
#include "eval_seg_command.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/inference.h"
#include "fuse/train/postprocess_choice.h"
#include "infer_command.h"
#include "run_command.h"
#include "show_results.h"

namespace {

namespace fs = std::filesystem;
using namespace fuse::cli;  // the commands' options and functions

// Training allocates and frees the same large activation buffers every step. glibc's defaults map each one
// afresh (and return the heap's top to the system), so every step pays page faults and zeroing; keeping them
// in the heap makes a whole nodule3d run ~10% faster. Memory is still returned when the process ends.
void keep_large_allocations_in_heap() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  keep_large_allocations_in_heap();
  CLI::App app{"fuse-train: train, probe, export and run models (called by `fuse run`, `fuse lr-find`, `fuse export`, `fuse infer`, `fuse show-results`, "
               "`fuse eval-seg`)",
               "fuse"};
  app.require_subcommand(1);
  int exit_code = 0;

  static RunOptions run_options;
  CLI::App* run_cmd = app.add_subcommand("run", "Train an experiment end to end: data, model, losses, metrics, checkpoints, evaluation report");
  run_cmd->add_option("EXPERIMENT", run_options.experiment, "the experiment file")->required();
  run_cmd->add_option("--out", run_options.out, "the run folder (default: runs/<name>)");
  run_cmd->add_flag("--resume", run_options.resume, "continue the run in --out from its last checkpoint");
  run_cmd->add_option("--epochs", run_options.epochs, "override trainer.epochs");
  run_cmd->add_option("--set", run_options.settings, "replace or add a value of the experiment: a dotted path and JSON or plain text (trainer.epochs=3, model.channels=[8,16], schedule.name=cosine); repeat for more");
  run_cmd->add_option("--device", run_options.device, "override trainer.device (cpu, cuda, cuda:N)");
  run_cmd->add_option("--threads", run_options.threads, "override trainer.threads (LibTorch's threads)");
  run_cmd->add_flag("--no-progress", run_options.no_progress, "no progress bar or per-epoch lines (what the run fits and sizes, and why it stops, is still said)");
  run_cmd->add_option("--stop-after", run_options.stop_after, "train this many epochs, then stop (continue later with --resume)");
  run_cmd->add_flag("--cross-validate", run_options.cross_validate, "train once per fold of data.folds, validated on that fold, into --out/fold_N; then the folds' table and the out-of-fold evaluation");
  run_cmd->add_option("--folds", run_options.folds, "with --cross-validate: only these folds in this call (comma-separated), e.g. one per job")->delimiter(',');
  run_cmd->add_option("--seeds", run_options.seeds,
                      "train once per seed (comma-separated, e.g. 1,2,3) into --out/seed_N, each with that experiment seed (its weights, sampling, "
                      "augmentations); then the seeds' table with the mean and sd (with --cross-validate: each seed a cross-validation)")
      ->delimiter(',');
  run_cmd->add_option("--nproc", run_options.nproc, "data-parallel training on this many local processes (each takes its share of every batch)")
      ->check(CLI::Range(1, 1024));
  run_cmd->callback([&] { exit_code = run(run_options, argc, argv); });

  static LrFindOptions lr_options;
  CLI::App* lr_cmd = app.add_subcommand("lr-find", "Learning-rate range test: loss against a rising learning rate, a suggestion and a plot");
  lr_cmd->add_option("EXPERIMENT", lr_options.run.experiment, "the experiment file")->required();
  lr_cmd->add_option("--out", lr_options.run.out, "where lr_find.csv and lr_find.png go (default: runs/<name>/lr_find)");
  lr_cmd->add_option("--min-lr", lr_options.min_lr, "the first learning rate");
  lr_cmd->add_option("--max-lr", lr_options.max_lr, "the last learning rate");
  lr_cmd->add_option("--steps", lr_options.steps, "optimisation steps");
  lr_cmd->add_option("--set", lr_options.run.settings, "replace or add a value of the experiment: a dotted path and JSON or plain text (trainer.epochs=3, model.channels=[8,16], schedule.name=cosine); repeat for more");
  lr_cmd->add_option("--threads", lr_options.run.threads, "LibTorch's threads");
  lr_cmd->add_flag("--no-progress", lr_options.run.no_progress, "no progress bar");
  lr_cmd->callback([&] { exit_code = lr_find(lr_options); });

  static std::string run_dir, bundle_out, checkpoint = "best";
  CLI::App* export_cmd = app.add_subcommand("export", "Write a self-contained bundle of a run: weights, pipelines, plugin ids and versions");
  export_cmd->add_option("RUN", run_dir, "the run folder, or a cross-validation's (one bundle per fold: an ensemble), or repeated seeds' (one per seed)")->required();
  export_cmd->add_option("--out", bundle_out, "the bundle folder")->required();
  export_cmd->add_option("--checkpoint", checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  export_cmd->callback([&] {
    fuse::Registry registry;
    const std::vector<fs::path> written = fuse::train::export_bundles(registry, run_dir, bundle_out, checkpoint);
    if (const size_t chosen = fuse::train::chosen_postprocess(run_dir).size(); chosen > 0)
      std::cout << "inference postprocess: + " << chosen << (chosen == 1 ? " step" : " steps") << " from " << (fs::path(run_dir) / "postprocess.json").string()
                << " (chosen on the validation cases)\n";
    if (written.size() == 1 && written[0] == fs::path(bundle_out)) {
      std::cout << "wrote bundle " << bundle_out << "\n";
    } else {
      const bool seeds = written.front().filename().string().rfind("seed_", 0) == 0;
      std::cout << "wrote " << written.size() << " bundles, one per " << (seeds ? "seed" : "fold") << ":";
      for (const fs::path& b : written) std::cout << " " << b.filename().string();
      std::cout << " in " << bundle_out << " (an ensemble: fuse infer " << bundle_out << " ...)\n";
    }
    exit_code = 0;
  });

  static InferOptions infer_options;
  InferOptions& io = infer_options;
  CLI::App* infer_cmd = app.add_subcommand("infer", "Predict with a bundle (or several: an ensemble) and write the result in the input's geometry");
  infer_cmd->add_option("BUNDLE", io.bundles, "bundle folder(s); a folder of bundles (fuse export of a cross-validation or of seeds) gives each")->required();
  CLI::Option* input_opt = infer_cmd->add_option("--input", io.inputs.files, "an input file (e.g. an image; a DICOM series' folder); repeat for more");
  CLI::Option* folder_opt = infer_cmd->add_option("--folder", io.inputs.folder, "predict every file of this folder that matches --pattern");
  infer_cmd->add_option("--pattern", io.inputs.pattern, "with --folder: the files' names ('*' and '?'; '**/' in front: sub-folders too; default: the training folder's pattern "
                        "when its files came with paired files (nnU-Net's *_0000.nii.gz), else *)")->needs(folder_opt);
  infer_cmd->add_option_function<std::string>(
               "--match", [&](const std::string& m) { io.inputs.folders = m == "folders"; },
               "with --folder: what --pattern matches, files (default) or folders (a DICOM series each)")
      ->check(CLI::IsMember({"files", "folders"}))
      ->needs(folder_opt);
  CLI::Option* table_opt = infer_cmd->add_option("--table", io.inputs.table,
                                                 "predict every row of this table (.csv, .tsv, .jsonl; columns as in the training table) or entry of a data list (.json)");
  infer_cmd->add_option("--section", io.inputs.section, "with a data list: its section (default: test)")->needs(table_opt);
  input_opt->excludes(folder_opt)->excludes(table_opt);
  folder_opt->excludes(table_opt);
  infer_cmd->add_option("--output", io.output, "with one --input: the file to write (e.g. a segmentation)");
  infer_cmd->add_option("--out", io.out, "the folder for predictions.csv, each input's output, and the evaluation when the inputs carry its target");
  infer_cmd->add_option("--output-name", io.output_name, "with --out: each output's file name, '{id}' and '{ext}' filled (default {id}{ext})");
  infer_cmd->add_option("--workers", io.workers, "with --out: threads reading inputs ahead of the model (default 2)")->check(CLI::Range(1, 256));
  infer_cmd->add_option("--batch", io.batch, "with --out: inputs of one shape per model call (default: the run's validation batch size)")
      ->check(CLI::Range(1, 65536));
  infer_cmd->add_option("--reference", io.reference,
                        "with --out: the input key of each input's reference label map (e.g. data.mask); each written segmentation is scored "
                        "against it on the input's grid (default: the bundle's inference.reference)");
  infer_cmd->add_option("--mirror", io.mirror,
                        "test-time augmentation by mirroring along these axes, every combination (xyz: 8 passes, nnU-Net's default), averaged; in "
                        "place of the bundle's inference.tta");
  infer_cmd->add_flag("--out-of-fold", io.out_of_fold,
                     "with a cross-validation's bundles: each input by the fold that validated it (never trained on it), as nnU-Net's validation; "
                     "with the inputs' references, scored on their own grids");
  infer_cmd->add_option("--previous-stage", io.previous_stage,
                        "for a cascade's second stage (nnU-Net's 3d_cascade_fullres): the first stage's bundles, which predict the inputs into "
                        "--out/previous_stage first, or a folder of their segmentations named by the inputs' ids");
  infer_cmd->add_flag("--keep-going", io.keep_going, "with --out: an input that fails is listed in errors.csv and the others go on (exit code 1)");
  infer_cmd->add_flag("--no-progress", io.no_progress, "no progress line");
  infer_cmd->add_option("--device", io.device, "cpu, cuda, cuda:N");
  infer_cmd->callback([&] {
    if (io.inputs.files.empty() && io.inputs.folder.empty() && io.inputs.table.empty())
      throw CLI::RequiredError("--input FILE (repeatable), --folder DIR or --table FILE");
    exit_code = infer(io);
  });

  static fuse::cli::ShowResultsOptions show;
  CLI::App* show_cmd = app.add_subcommand("show-results", "Draw a run's validation samples with their target and predicted masks, loss and metrics");
  show_cmd->add_option("EXPERIMENT", show.experiment, "the experiment file the run was trained from")->required();
  show_cmd->add_option("RUN", show.run, "the run folder (fuse run EXPERIMENT --out RUN)")->required();
  show_cmd->add_option("--n", show.n, "how many samples")->check(CLI::PositiveNumber);
  show_cmd->add_option("--ids", show.ids, "these validation samples (ids, comma-separated) in this order, instead of the first --n")->delimiter(',');
  show_cmd->add_flag("--top-losses", show.top_losses, "run every validation sample and show the --n with the largest loss");
  show_cmd->add_option("--highest", show.highest, "run every validation sample and show the --n with the largest value of this metric (or loss)");
  show_cmd->add_option("--lowest", show.lowest, "run every validation sample and show the --n with the smallest value of this metric (e.g. a Dice)");
  show_cmd->add_option("--checkpoint", show.checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  show_cmd->add_option("--set", show.settings, "the --set values the run was trained with");
  show_cmd->add_option("--device", show.device, "cpu, cuda, cuda:N");
  show_cmd->add_flag("--tta", show.tta, "predict each validation case with the test-time flips of the experiment's inference (inference.tta) too, as fuse infer does");
  show_cmd->add_option("--plane", show.plane, "axial, coronal or sagittal")->check(CLI::IsMember({"axial", "coronal", "sagittal"}));
  show_cmd->add_option("--slice", show.slice, "slice index (default: the largest mask area, else the largest predicted area)");
  show_cmd->add_option("--columns", show.columns, "tiles per row")->check(CLI::PositiveNumber);
  show_cmd->add_option("--image", show.image_key, "the image key (default: the first tensor of 3 or more axes)");
  show_cmd->add_option("--channel", show.channel, "the image's channel to draw, e.g. a case's second MRI sequence (default: the first)")
      ->check(CLI::NonNegativeNumber);
  show_cmd->add_option("--mask", show.mask_key, "the target mask key (default: data.mask, data.seg or data.label when a tensor)");
  show_cmd->add_option("--pred", show.pred_key, "the predicted mask key (default: what a metric compares with the mask, e.g. model.seg)");
  show_cmd->add_option("--out", show.out, "the PNG to write");
  show_cmd->add_option("--csv", show.csv, "also write every sample run (when ranked: all) with its loss and metrics to this CSV");
  show_cmd->callback([&] { exit_code = fuse::cli::show_results(show); });

  static fuse::cli::ChoosePostprocessCommand choose;
  CLI::App* choose_cmd = app.add_subcommand("choose-postprocess", "Measure on the validation cases whether keeping the largest connected components helps; fuse export applies what does");
  choose_cmd->add_option("EXPERIMENT", choose.experiment, "the experiment file the run was trained from")->required();
  choose_cmd->add_option("RUN", choose.run, "the run folder, or a cross-validation's (every fold's validation cases together)")->required();
  choose_cmd->add_option("--metric", choose.metric, "the validation metric on label maps whose Dice judges (default: the first, e.g. dice)");
  choose_cmd->add_option("--checkpoint", choose.checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  choose_cmd->add_option("--set", choose.settings, "the --set values the run was trained with");
  choose_cmd->add_option("--device", choose.device, "cpu, cuda, cuda:N");
  choose_cmd->add_flag("--tta", choose.tta, "predict each validation case with the test-time flips of the experiment's inference (inference.tta) too, as fuse infer does");
  choose_cmd->add_flag("--no-progress", choose.no_progress, "no progress line");
  choose_cmd->callback([&] { exit_code = fuse::cli::choose_postprocess(choose); });

  static fuse::cli::ChooseEnsembleCommand ensemble;
  CLI::App* ensemble_cmd = app.add_subcommand(
      "choose-ensemble", "Compare trained configurations (e.g. 3D and 2D UNets) and each pair's ensemble on their validation cases; choose the best");
  ensemble_cmd->add_option("PAIRS", ensemble.pairs, "EXPERIMENT RUN EXPERIMENT RUN ...: each configuration's experiment file and run folder (or cross-validation's)")
      ->required();
  ensemble_cmd->add_option("--metric", ensemble.metric, "the first experiment's validation metric on label maps whose Dice judges (default: the first, e.g. dice)");
  ensemble_cmd->add_option("--checkpoint", ensemble.checkpoint, "best or last")->check(CLI::IsMember({"best", "last"}));
  ensemble_cmd->add_option("--device", ensemble.device, "cpu, cuda, cuda:N");
  ensemble_cmd->add_flag("--tta", ensemble.tta, "predict each validation case with the test-time flips of each experiment's inference (inference.tta) too, as fuse infer does");
  ensemble_cmd->add_option("--out", ensemble.out, "also write every candidate's scores to this JSON file");
  ensemble_cmd->add_option("--csv", ensemble.csv, "also write each validation case's mean Dice per candidate to this CSV file");
  ensemble_cmd->add_flag("--no-progress", ensemble.no_progress, "no progress line");
  ensemble_cmd->callback([&] { exit_code = fuse::cli::choose_ensemble(ensemble); });

  static EvalSegOptions seg;
  CLI::App* seg_cmd = app.add_subcommand("eval-seg", "Score a folder of segmentations from any tool against a folder of references, per case and on average");
  seg_cmd->add_option("--pred", seg.folders.predictions, "the folder of predicted label maps")->required();
  seg_cmd->add_option("--ref", seg.folders.references, "the folder of reference label maps")->required();
  seg_cmd->add_option("--num-classes", seg.folders.num_classes, "labels 0 .. N - 1 (0 the background)");
  seg_cmd->add_option("--regions", seg.regions,
                      "score regions of labels instead of classes, ';' between regions (BraTS: 1,2,3;2,3;3 for whole tumour, tumour core, enhancing "
                      "tumour), reported as dice.1, dice.2, ... or by name (WT=1,2,3;TC=2,3;ET=3: dice.WT, ...)");
  seg_cmd->add_option("--pattern", seg.folders.pattern, "the predictions' file names (default *.nii.gz; '**/' in front: sub-folders too)");
  seg_cmd->add_option("--ref-pattern", seg.folders.reference_pattern,
                      "the references' file names (default: --pattern); a pair shares what the patterns' first '*' matched, e.g. *_mask.nii.gz");
  seg_cmd->add_flag("--include-background", seg.folders.include_background, "score class 0 too");
  seg_cmd->add_option("--ignore-label", seg.folders.ignore_label,
                      "the references' label of voxels not annotated (nnU-Net's ignore label): counted in neither map")
      ->check(CLI::PositiveNumber);
  seg_cmd->add_option("--tolerance", seg.folders.tolerance, "surface Dice's tolerance in millimetres (default 1)")->check(CLI::NonNegativeNumber);
  seg_cmd->add_option("--empty-distance", seg.folders.empty_distance, "distances when one mask is empty: max (the diagonal) or nan (left out)")
      ->check(CLI::IsMember({"max", "nan"}));
  seg.folders.ci.rounds = 1000;
  seg_cmd->add_option("--ci", seg.folders.ci.rounds, "bootstrap rounds over cases for the intervals (default 1000; 0: none)")->check(CLI::NonNegativeNumber);
  seg_cmd->add_option("--seed", seg.folders.ci.seed, "the bootstrap's seed (default 0)");
  seg_cmd->add_option("--threads", seg.folders.threads, "threads reading and scoring cases (default: every core; results do not depend on it)");
  seg_cmd->add_option("--out", seg.out, "write cases.csv (each case's scores), evaluation.json and report.html here");
  seg_cmd->add_flag("--no-progress", seg.no_progress, "no progress line");
  seg_cmd->callback([&] {
    seg.num_classes_given = seg_cmd->count("--num-classes") > 0;
    exit_code = eval_seg(seg);
  });

  return fuse::apps::run_app(app, argc, argv, exit_code);
}
