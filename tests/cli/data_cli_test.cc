// fuse dataset summary, fuse data show and fuse cache on the synthetic 3D example (a few small volumes).
#include <signal.h>

#include <fstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

CommandResult fuse(const std::string& args) {
  static const fs::path empty_home = fresh_dir("data_cli_home");
  return run_command("env -u FUSE_PLUGIN_PATH XDG_DATA_HOME='" + empty_home.string() + "' '" FUSE_BINARY "' " + args);
}

// Six cases of 32 x 32 x 16 voxels and an experiment over them, made once per test process.
const fs::path& example() {
  static const fs::path dir = [] {
    const fs::path d = fresh_dir("data_cli");
    const CommandResult r = run_command("'" FUSE_MAKE_VOLUMES "' '" + d.string() + "' 6 32 32 16");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::ofstream(d / "experiment.json") << R"({
  "data": {
    "source": {"table": "train.csv", "paths": ["image", "mask"]},
    "static": [
      {"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
      {"op": "fuse.io.read_medical", "path_key": "data.mask", "key": "data.seg"},
      {"op": "fuse.medical.reorient", "keys": ["data.ct", "data.seg"]},
      {"op": "fuse.medical.pad_or_crop", "keys": ["data.ct"], "labels": ["data.seg"], "size": [24, 24, 12]}
    ],
    "dynamic": [{"op": "fuse.medical.random_flip", "keys": ["data.ct"], "labels": ["data.seg"]}],
    "cache": "cache",
    "folds": {"k": 3, "stratify": "data.lesion", "group": "data.patient", "file": "folds.json", "train": [0, 1], "validation": [2]}
  }
})";
    return d;
  }();
  return dir;
}

std::string experiment() { return "'" + (example() / "experiment.json").string() + "'"; }

TEST(DatasetSummary, TableJsonAndCsv) {
  const CommandResult table = fuse("dataset summary '" + (example() / "train.csv").string() + "'");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("case00_ct.nii.gz  32x32x16  0.8 x 0.8 x 2  RAS          int16"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("suggested spacing: 0.8 x 0.8 x 2 mm (the most common per axis)"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("reorient to RAS: yes"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("mask voxels per label: 0: "), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("masks not on their image's grid"), std::string::npos) << table.out;  // all are
  // A mask that belongs to another scan (case02's, from the other scanner, given for case00) is named.
  const fs::path mixed = example() / "mixed.csv";
  std::ofstream(mixed) << "id,image,mask\ncase00,images/case00_ct.nii.gz,images/case02_mask.nii.gz\ncase01,images/case01_ct.nii.gz,images/case01_mask.nii.gz\n";
  const CommandResult off = fuse("dataset summary '" + mixed.string() + "'");
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_NE(off.out.find("\nmasks not on their image's grid: 1 of 2\n  case02_mask.nii.gz: image size [32, 32, 16] against [32, 32, 12] (mask)\n"
                          "  a mask of the same scan saved on another grid goes onto its image's by a step after reading both: {\"op\": "
                          "\"fuse.medical.resample_like\", \"labels\": [MASK], \"like\": IMAGE}; a mask of another scan needs registering\n"),
            std::string::npos)
      << off.out;

  const CommandResult json = fuse("dataset summary '" + (example() / "images").string() + "' --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const boost::json::object j = boost::json::parse(json.out).as_object();
  ASSERT_EQ(j.at("images").as_array().size(), 12u);  // a folder: images and masks alike
  const boost::json::object& first = j.at("images").as_array()[0].as_object();
  EXPECT_EQ(first.at("size"), boost::json::parse("[32, 32, 16]"));
  EXPECT_EQ(first.at("spacing"), boost::json::parse("[0.8, 0.8, 2.0]"));
  EXPECT_EQ(first.at("orientation"), "RAS");
  EXPECT_EQ(j.at("suggestion").at("reorient"), true);
  EXPECT_EQ(j.at("groups").as_array()[0].at("count"), 6);

  const CommandResult csv = fuse("dataset summary '" + (example() / "train.csv").string() + "' --csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("path,size_x,size_y,size_z,spacing_x,spacing_y,spacing_z,orientation,pixel_type,channels\n", 0), 0u);
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 7);
}

// A table without an image column is summarised column by column (pandas' describe); naming a missing image
// column is still an error.
TEST(DatasetSummary, ATableWithoutImagesShowsItsColumns) {
  const fs::path dir = fresh_dir("data_cli_table_summary");
  std::ofstream(dir / "patients.csv") << "id,site,age,label\np1,north,61,1\np2,south,,0\np3,north,70,1\np4,east,55,0\n";
  const std::string table = (dir / "patients.csv").string();
  const CommandResult r = fuse("dataset summary '" + table + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, table + ": 4 rows, 4 columns (no 'image' column: a table summary; --image-col names one)\n"
                   "COLUMN  TYPE    MISSING    MEAN  SD       MIN  MEDIAN  MAX  VALUES\n"
                   "id      text    0                                           p1: 1, p2: 1, p3: 1, p4: 1\n"
                   "site    text    0                                           north: 2, east: 1, south: 1\n"
                   "age     number  1 (25.0%)  62    7.54983  55   61      70   55: 1, 61: 1, 70: 1\n"
                   "label   number  0          0.5   0.57735  0    0.5     1    0: 2, 1: 2\n");
  const boost::json::value j = boost::json::parse(fuse("dataset summary '" + table + "' --json").out);
  EXPECT_EQ(j.at("columns").at(2).at("missing").as_int64(), 1);
  EXPECT_EQ(j.at("columns").at(3).at("values").at("1").as_int64(), 2);
  EXPECT_EQ(fuse("dataset summary '" + table + "' --image-col scan").err,
            "fuse: error: " + table + ": no column 'scan' (columns: id, site, age, label); name the image column with --image-col\n");
}

TEST(DatasetSummary, TheDecathlonsDatasetJson) {
  // The Medical Segmentation Decathlon's layout: a dataset.json listing images and labels by relative path.
  const fs::path list = example() / "dataset.json";
  std::ofstream(list) << R"({"name": "synthetic", "training": [
    {"image": "./images/case00_ct.nii.gz", "label": "./images/case00_mask.nii.gz"},
    {"image": "./images/case01_ct.nii.gz", "label": "./images/case01_mask.nii.gz"}],
    "test": ["./images/case02_ct.nii.gz"]})";
  const CommandResult training = fuse("dataset summary '" + list.string() + "' --json");
  ASSERT_EQ(training.exit_code, 0) << training.err;
  const boost::json::object j = boost::json::parse(training.out).as_object();
  ASSERT_EQ(j.at("images").as_array().size(), 2u);
  EXPECT_EQ(j.at("images").as_array()[1].at("path").as_string(), (example() / "images" / "case01_ct.nii.gz").string());
  int64_t labelled = 0;  // the labels' voxels: both masks were read
  for (const auto& count : j.at("labels").as_object()) labelled += count.value().as_int64();
  EXPECT_EQ(labelled, 2 * 32 * 32 * 16) << training.out;
  const CommandResult test = fuse("dataset summary '" + list.string() + "' --section test --json");
  ASSERT_EQ(test.exit_code, 0) << test.err;
  EXPECT_EQ(boost::json::parse(test.out).at("images").as_array().size(), 1u);
  EXPECT_TRUE(boost::json::parse(test.out).at("labels").as_object().empty()) << test.out;  // no masks listed
  EXPECT_EQ(fuse("dataset summary '" + list.string() + "' --section tests").err,
            "fuse: error: " + list.string() + ":1:1: no list 'tests'; did you mean 'test'? (its lists: training, test)\n");
}

TEST(DatasetSummary, ABadTableOrFolderIsNamed) {
  const CommandResult r = fuse("dataset summary '" + (example() / "train.csv").string() + "' --image-col scan");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: " + (example() / "train.csv").string() +
                       ": no column 'scan' (columns: id, image, mask, lesion, patient); name the image column with --image-col\n");
  const fs::path empty = fresh_dir("data_cli_empty");
  EXPECT_EQ(fuse("dataset summary '" + empty.string() + "'").err,
            "fuse: error: no medical image (.nii, .nii.gz, .nrrd, .mha, .mhd) in '" + empty.string() + "'\n");
}

TEST(DataShow, WritesAGridOfSlices) {
  const fs::path png = example() / "show.png";
  const CommandResult r = fuse("data show " + experiment() + " --n 3 --plane sagittal --split train --out '" + png.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + png.string() + " (3 samples, sagittal)\n");
  EXPECT_GT(fs::file_size(png), 1000u);
  EXPECT_EQ(fuse("data show " + experiment() + " --plane oblique").exit_code, 2);
  const fs::path histogram = example() / "histogram.png";
  const CommandResult drawn = fuse("data show " + experiment() + " --n 2 --out '" + png.string() + "' --histogram '" + histogram.string() + "'");
  ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
  EXPECT_EQ(drawn.out, "wrote " + png.string() + " (2 samples, axial)\nwrote " + histogram.string() + " (intensity histograms of data.ct)\n");
  EXPECT_GT(fs::file_size(histogram), 1000u);
  const CommandResult missing = fuse("data show " + experiment() + " --mask data.lesion_mask --out '" + png.string() + "'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("fuse: error: sample 'case00': key 'data.lesion_mask' missing; nearest present: data.lesion, ", 0), 0u) << missing.err;
}

// fastMONAI's plot_top_losses: the samples of a run's predictions.csv with the largest losses, captioned with
// their predictions; a row without a loss is passed over.
TEST(DataShow, TopLossesShowsTheWorstPredictedSamples) {
  const fs::path predictions = example() / "top_predictions.csv";
  std::ofstream(predictions) << "id,data.lesion,model.score,loss\ncase00,0,0.1,0.105\ncase03,1,0.2,1.61\ncase05,1,0.9,\ncase01,1,0.5,0.69\n";
  const fs::path png = example() / "top.png";
  const CommandResult r = fuse("data show " + experiment() + " --split all --n 2 --top-losses '" + predictions.string() + "' --out '" + png.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + png.string() + " (2 samples with the largest losses, axial)\n");
  // Two tiles of 256 pixels, each captioned with three lines (id, loss, the other columns).
  EXPECT_EQ(png_size(png), (std::pair<uint32_t, uint32_t>{512, 256 + 6 + 3 * 16}));

  std::ofstream(example() / "no_loss.csv") << "id,score\ncase00,0.1\n";
  EXPECT_EQ(fuse("data show " + experiment() + " --top-losses '" + (example() / "no_loss.csv").string() + "'").err,
            "fuse: error: --top-losses " + (example() / "no_loss.csv").string() +
                ": no 'loss' column (columns: id, score); a run's predictions.csv has one per sample (runs made before per-sample losses were written do not)\n");
  std::ofstream(example() / "other.csv") << "id,loss\nv7,0.3\n";
  EXPECT_EQ(fuse("data show " + experiment() + " --split all --top-losses '" + (example() / "other.csv").string() + "'").err,
            "fuse: error: --top-losses " + (example() / "other.csv").string() + ": sample 'v7' is not among the samples of " +
                (example() / "experiment.json").string() + " (predictions of another experiment?)\n");
}

// Samples without an image (a table's columns through the pipeline) are printed as a table instead of drawn.
TEST(DataShow, SamplesWithoutAnImageArePrintedAsATable) {
  const fs::path dir = fresh_dir("data_cli_tabular");
  std::ofstream(dir / "clinical.csv") << "id,age,psa,label\nc1,61,4.5,1\nc2,48,1.25,0\nc3,70,9,1\n";
  std::ofstream(dir / "experiment.json") << R"({"data": {"source": {"table": "clinical.csv"},
    "static": [{"op": "fuse.ops.stack", "keys": ["data.age", "data.psa"], "out": "data.features"}]}})";
  const CommandResult r = fuse("data show '" + (dir / "experiment.json").string() + "' --n 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  data.age  data.psa  data.label  data.features\n"
            "c1  61        4.5       1           [61, 4.5]\n"
            "c2  48        1.25      0           [48, 1.25]\n"
            "(2 samples as a table: they hold no image tensor; --image names one to draw)\n");
  EXPECT_FALSE(fs::exists(dir / "batch.png"));
  // Naming an image that is not one is still an error.
  EXPECT_EQ(fuse("data show '" + (dir / "experiment.json").string() + "' --image data.features").err,
            "fuse: error: key 'data.features' has shape [2], too few axes for a 2D image\n");
}

// A step marked "fit" shows the numbers training would use: each column's mean and standard deviation over
// the training samples (here all three: ages 61, 48, 70 have mean 59.6667 and std 9.0308).
TEST(DataShow, FittedStepsUseTheTrainingSamplesStatistics) {
  const fs::path dir = fresh_dir("data_cli_fit");
  std::ofstream(dir / "clinical.csv") << "id,age,label\nc1,61,1\nc2,48,0\nc3,70,1\n";
  std::ofstream(dir / "experiment.json") << R"({"data": {"source": {"table": "clinical.csv"},
    "static": [{"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": true}]}})";
  const CommandResult r = fuse("data show '" + (dir / "experiment.json").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "ID  data.age  data.label\n"
            "c1  0.147643  1\n"
            "c2  -1.29187  0\n"
            "c3  1.14423   1\n"
            "(3 samples as a table: they hold no image tensor; --image names one to draw)\n");
}

TEST(DataShow, IdsChooseTheSamples) {
  const fs::path png = example() / "ids.png";
  const CommandResult r = fuse("data show " + experiment() + " --ids case04,case01 --columns 1 --out '" + png.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + png.string() + " (2 samples, axial)\n");
  EXPECT_EQ(png_size(png), (std::pair<uint32_t, uint32_t>{256, 2 * (256 + 22)}));  // one column, two tiles
  EXPECT_EQ(fuse("data show " + experiment() + " --ids case4").err,
            "fuse: error: --ids: sample 'case4' is not among the samples of " + (example() / "experiment.json").string() +
                " (its ids are like 'case00', 'case01', 'case02')\n");
  EXPECT_EQ(fuse("data show " + experiment() + " --ids case04 --top-losses x.csv").err, "fuse: error: --ids and --top-losses both choose the samples: give one\n");
}

TEST(DataShow, AfterAStepCutsThePipelinesThere) {
  const fs::path png = example() / "after.png";
  // After the second read, before reorienting and cropping: the mask is there, drawn over the whole volume.
  // The cut pipeline is not what training reads, so it leaves no cache entry.
  auto entries = [] {
    return fs::exists(example() / "cache") ? std::distance(fs::directory_iterator(example() / "cache"), fs::directory_iterator{}) : 0;
  };
  const auto cached = entries();
  const CommandResult read = fuse("data show " + experiment() + " --n 2 --after static:2 --out '" + png.string() + "'");
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(read.out, "wrote " + png.string() + " (2 samples after static step 2 of 4 (fuse.io.read_medical), axial)\n");
  EXPECT_EQ(entries(), cached);
  // After the first, the mask is not read yet: the cut is real.
  const CommandResult first = fuse("data show " + experiment() + " --n 2 --after static:1 --mask data.seg --out '" + png.string() + "'");
  EXPECT_EQ(first.exit_code, 1);
  EXPECT_EQ(first.err, "fuse: error: sample 'case00': key 'data.seg' missing; nearest present: data.id, data.ct, data, data.image, data.mask (of 23 keys)\n");
  const CommandResult flipped = fuse("data show " + experiment() + " --n 1 --after dynamic:1 --out '" + png.string() + "'");
  ASSERT_EQ(flipped.exit_code, 0) << flipped.err;
  EXPECT_EQ(flipped.out, "wrote " + png.string() + " (1 samples after dynamic step 1 of 1 (fuse.medical.random_flip), axial)\n");
  EXPECT_EQ(fuse("data show " + experiment() + " --after static:5").err, "fuse: error: --after static:5: the static pipeline has 4 steps\n");
  EXPECT_EQ(fuse("data show " + experiment() + " --after augment:1").err,
            "fuse: error: --after 'augment:1': expected static:N or dynamic:N, N counting the pipeline's steps from 1\n");
  EXPECT_EQ(fuse("data show " + experiment() + " --after static:0").err,
            "fuse: error: --after 'static:0': expected static:N or dynamic:N, N counting the pipeline's steps from 1\n");
}

// The experiment of `example()` in a folder of its own, with `validation` added (and without folds when asked).
std::string experiment_with_validation(const std::string& name, const std::string& validation, bool folds) {
  const fs::path dir = fresh_dir(name);
  std::string text = read_text(example() / "experiment.json");
  const std::string end = "  }\n}";
  text.replace(text.rfind(end), end.size(), "  },\n  \"validation\": " + validation + "\n}");
  if (!folds) {
    const size_t at = text.find(",\n    \"folds\"");
    text.erase(at, text.find('\n', at + 2) - at);
  }
  std::ofstream(dir / "experiment.json") << text;
  fs::copy(example() / "train.csv", dir / "train.csv");
  fs::create_directory_symlink(example() / "images", dir / "images");
  return "'" + (dir / "experiment.json").string() + "'";
}

TEST(DataShow, TheValidationSplitIsTheExperimentsValidationData) {
  // A validation source without folds: before, "--split validation" asked for folds.
  const std::string own = experiment_with_validation("data_cli_validation_source", R"({"source": {"table": "train.csv", "paths": ["image", "mask"]}, "dynamic": []})", false);
  const CommandResult shown = fuse("data show " + own + " --n 2 --split validation --out '" + (example() / "validation.png").string() + "'");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "wrote " + (example() / "validation.png").string() + " (2 samples, axial)\n");
  const CommandResult train = fuse("data show " + own + " --split train");
  EXPECT_EQ(train.exit_code, 1);
  EXPECT_EQ(train.err, "fuse: error: the data section has no 'folds', so there is no 'train' split; use 'all'\n");
}

TEST(Cache, BuildsTheValidationDataThroughItsOwnStaticPipeline) {
  // Validation pads to the whole 32 x 32 x 16 volume where training crops to 24 x 24 x 12: another cache entry.
  const std::string config = experiment_with_validation("data_cli_validation_cache", R"({"static": [
      {"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
      {"op": "fuse.io.read_medical", "path_key": "data.mask", "key": "data.seg"},
      {"op": "fuse.medical.reorient", "keys": ["data.ct", "data.seg"]}], "dynamic": []})", true);
  const CommandResult validation = fuse("cache build " + config + " --split validation");
  ASSERT_EQ(validation.exit_code, 0) << validation.err;
  const CommandResult train = fuse("cache build " + config + " --split train");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto count = [](const std::string& out) { return std::stoi(out.substr(out.find(": ") + 2)); };
  EXPECT_EQ(count(validation.out) + count(train.out), 6) << validation.out << train.out;
  // "cache <folder>/<pipeline>: 2 samples"
  const fs::path cache = fs::path(validation.out.substr(6, validation.out.find(": ") - 6)).parent_path();
  const CommandResult info = fuse("cache info '" + cache.string() + "' --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const boost::json::array pipelines = boost::json::parse(info.out).as_array();
  ASSERT_EQ(pipelines.size(), 2u);  // one static pipeline each
  EXPECT_EQ(pipelines[0].at("entries").as_int64() + pipelines[1].at("entries").as_int64(), 6);
}

// The example's experiment and table in a folder of their own (with a cache of its own), its images linked or,
// for a test that changes them, copied.
fs::path own_example(const std::string& name, bool copy_images) {
  const fs::path dir = fresh_dir(name);
  fs::copy(example() / "experiment.json", dir / "experiment.json");
  fs::copy(example() / "train.csv", dir / "train.csv");
  if (copy_images) fs::copy(example() / "images", dir / "images");
  else fs::create_directory_symlink(example() / "images", dir / "images");
  return dir;
}

TEST(Cache, BuildInfoVerifyClear) {
  const fs::path dir = own_example("data_cli_cache", false);
  const std::string config = "'" + (dir / "experiment.json").string() + "'";
  const CommandResult build = fuse("cache build " + config + " --threads 2");
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_NE(build.out.find(": 6 samples\n"), std::string::npos) << build.out;
  const CommandResult info = fuse("cache info '" + (dir / "cache").string() + "' --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const boost::json::array pipelines = boost::json::parse(info.out).as_array();
  ASSERT_EQ(pipelines.size(), 1u);
  EXPECT_EQ(pipelines[0].at("entries"), 6);
  EXPECT_EQ(fuse("cache verify '" + (dir / "cache").string() + "'").exit_code, 0);

  // Damage one entry: verify names it and fails; --fix removes it; the next build makes it again.
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(dir / "cache"))
    if (e.is_regular_file() && e.path().extension() == ".fmc") victim = e.path();
  ASSERT_FALSE(victim.empty());
  { std::ofstream(victim, std::ios::in | std::ios::out | std::ios::binary).seekp(100) << "garbage"; }
  const CommandResult bad = fuse("cache verify '" + (dir / "cache").string() + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find(victim.string()), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("1 problem(s); run with --fix to remove them"), std::string::npos) << bad.out;
  EXPECT_EQ(fuse("cache verify '" + (dir / "cache").string() + "' --fix").exit_code, 0);
  EXPECT_EQ(fuse("cache verify '" + (dir / "cache").string() + "'").exit_code, 0);
  ASSERT_EQ(fuse("cache build " + config).exit_code, 0);
  EXPECT_TRUE(fs::exists(victim));

  const CommandResult clear = fuse("cache clear '" + (dir / "cache").string() + "'");
  EXPECT_EQ(clear.exit_code, 0);
  EXPECT_NE(clear.out.find("removed "), std::string::npos);
  EXPECT_NE(fuse("cache info '" + (dir / "cache").string() + "'").out.find("no cache entries"), std::string::npos);
}

// The data commands take a run's --set values, so the cache they build or audit is the one that run uses.
TEST(Cache, BuildAndShowTakeTheRunsSettings) {
  const fs::path dir = own_example("data_cli_cache_set", false);
  const std::string config = "'" + (dir / "experiment.json").string() + "'";
  const CommandResult build = fuse("cache build " + config + " --set data.cache=other --set 'data.static.3.size=[20, 20, 12]'");
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_FALSE(fs::exists(dir / "cache"));
  const CommandResult info = fuse("cache info '" + (dir / "other").string() + "' --json");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(boost::json::parse(info.out).as_array().at(0).at("entries"), 6);
  EXPECT_EQ(fuse("cache audit " + config + " --set data.cache=other --set 'data.static.3.size=[20, 20, 12]' --share 1").exit_code, 0);
  EXPECT_EQ(fuse("data show " + config + " --set data.static.4.op=x --out '" + (dir / "b.png").string() + "'").err,
            "fuse: error: --set data.static.4.op: 'data.static' has 4 element(s) (0 to 3)\n");
  EXPECT_EQ(fuse("cache build " + config + " --set data.cache").err, "fuse: error: --set 'data.cache': expected name=value\n");
}

// An image rewritten in place keeps its path, so the cache would serve the old one: the audit recomputes the
// first sample (and a share of the others) and names what changed.
TEST(Cache, AuditFindsAnImageRewrittenInPlace) {
  const fs::path dir = own_example("data_cli_audit", true);
  const std::string config = "'" + (dir / "experiment.json").string() + "'";
  ASSERT_EQ(fuse("cache build " + config).exit_code, 0);
  const CommandResult sound = fuse("cache audit " + config + " --share 1");
  EXPECT_EQ(sound.exit_code, 0) << sound.out << sound.err;
  EXPECT_NE(sound.out.find("OK: 6 of 6 samples recomputed, each equal to its entry in "), std::string::npos) << sound.out;

  fs::copy_file(dir / "images" / "case01_ct.nii.gz", dir / "images" / "case00_ct.nii.gz", fs::copy_options::overwrite_existing);
  const CommandResult stale = fuse("cache audit " + config);  // the first sample is always audited
  EXPECT_EQ(stale.exit_code, 1);
  const std::string folder = fs::path(sound.out.substr(sound.out.rfind(' ') + 1)).string();  // the pipeline's folder, from the OK line
  EXPECT_EQ(stale.out, "sample 'case00' (row 1 of " + (dir / "train.csv").string() +
                           "): 'data.ct': float32[1, 12, 24, 24] before, float32[1, 12, 24, 24] now, max |difference| 1115\n"
                           "1 of 3 recomputed samples differ from their entries in " + folder.substr(0, folder.size() - 1) +
                           ": the static pipeline's inputs changed since they were cached (a file rewritten in place?) or a static op is not "
                           "deterministic; clear the cache (fuse cache clear " + (dir / "cache").string() + ") to rebuild them\n");
  const CommandResult bad = fuse("cache audit " + config + " --share 2");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--share: Value 2 not in range 0.000000 to 1.000000"), std::string::npos) << bad.err;
}

TEST(Cache, ABuildKilledMidwayIsCompletedByTheNextAndServesNoBrokenEntry) {
  const fs::path dir = fresh_dir("data_cli_kill");
  // Enough work to be killed in the middle of: 30 cases resampled to a fine grid, on one thread, killed as
  // soon as the first entry is in place.
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + dir.string() + "' 30 64 64 32").exit_code, 0);
  std::ofstream(dir / "experiment.json") << R"({"data": {
    "source": {"table": "train.csv", "paths": ["image", "mask"]},
    "static": [
      {"op": "fuse.io.read_medical", "path_key": "data.image", "key": "data.ct", "dtype": "float32"},
      {"op": "fuse.medical.resample", "keys": ["data.ct"], "spacing": [0.4, 0.4, 1.0]}
    ],
    "cache": "cache"}})";
  const std::string config = "'" + (dir / "experiment.json").string() + "'";
  const CommandResult killed = run_command("(cd '" + dir.string() + "' && exec env -u FUSE_PLUGIN_PATH '" FUSE_BINARY "' cache build " + config +
                                           " --threads 1) & pid=$!; cd '" + dir.string() +
                                           "'; until [ -n \"$(find cache -name '*.fmc' 2>/dev/null | head -n 1)\" ] || ! kill -0 $pid 2>/dev/null; do sleep 0.002; done; "
                                           "kill -KILL $pid; wait $pid; echo status=$?");
  EXPECT_NE(killed.out.find("status=137"), std::string::npos) << killed.out << killed.err;  // 128 + SIGKILL
  size_t entries = 0;
  if (fs::exists(dir / "cache"))
    for (const auto& e : fs::recursive_directory_iterator(dir / "cache")) entries += e.path().extension() == ".fmc";
  EXPECT_LT(entries, 30u);  // it was stopped before the end
  // Whatever the kill left (whole entries, temporary files), every named entry is whole.
  const CommandResult verify = fuse("cache verify '" + (dir / "cache").string() + "' --fix");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  const CommandResult again = fuse("cache build " + config + " --threads 2");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find(": 30 samples\n"), std::string::npos) << again.out;
  const CommandResult check = fuse("cache verify '" + (dir / "cache").string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("OK: every entry"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace fuse::testing
