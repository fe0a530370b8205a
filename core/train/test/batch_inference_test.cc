#include "fuse/train/batch_inference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/json/parse.hpp>

#include "fuse/base/strings.h"
#include "fuse/train/inference_inputs.h"
#include "fuse/train/trainer.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

namespace fs = std::filesystem;
using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;

constexpr const char* kEvaluation = R"(,
  "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}, "ci": {"rounds": 100, "seed": 1}})";

// The toy trained and exported once for every test here: a bundle that reads its inputs from a table's
// feature columns, and one that reads them from a .npy file per input.
fs::path trained() {
  static fuse::testing::SharedSetUp<fs::path> dir([] {
    const fs::path d = fresh_dir("batch_inference");
    for (const auto& [name, extra] : {std::pair<std::string, std::string>{"table", kEvaluation}, {"npy", std::string(testing::kNpyInference) + kEvaluation}}) {
      fs::create_directories(d / name);
      const fs::path experiment = testing::write_toy(d / name, testing::toy_json("", "", "", extra));
      Trainer trainer(built_plugins(), read_experiment(experiment), d / name / "run");
      trainer.fit(false);
      export_bundle(built_plugins(), d / name / "run", d / name / "bundle", "best");
    }
    return d;
  });
  return dir.get();
}

class PredictAll : public ::testing::Test {
 protected:
  static fs::path dir() { return trained(); }
  static fs::path bundle(const std::string& name) { return dir() / name / "bundle"; }

  // predictions.csv as rows of cells by column.
  static std::vector<std::map<std::string, std::string>> rows(const fs::path& file) { return fuse::testing::csv_rows(file); }
};

// The table's id column (data.id) only repeats the id column; a key that equals the id in some rows only is data.
TEST_F(PredictAll, AKeyRepeatingTheIdInEveryRowIsNotAColumn) {
  Predictor predictor(built_plugins(), {bundle("table")});
  InferenceInputs in;
  in.table = dir() / "table" / "validation.csv";
  std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  for (data::Sample& s : samples) s.values.set("data.alias", s.id);
  samples[3].values.set("data.alias", std::string("other"));
  BatchInferenceOptions options;
  options.out = dir() / "id_copies";
  const BatchInferenceResult r = predict_all(built_plugins(), predictor, samples, options);
  EXPECT_EQ(std::count(r.columns.begin(), r.columns.end(), "data.id"), 0) << join(r.columns, ",");
  ASSERT_EQ(std::count(r.columns.begin(), r.columns.end(), "data.alias"), 1) << join(r.columns, ",");
  const auto table = rows(options.out / "predictions.csv");
  EXPECT_EQ(table[3].at("data.alias"), "other");
  EXPECT_EQ(table[4].at("data.alias"), samples[4].id);
}

// An input table's empty cell (null) is an empty cell of predictions.csv, in the first row as in any other.
TEST_F(PredictAll, EmptyCellsOfTheInputTableStayEmpty) {
  Predictor predictor(built_plugins(), {bundle("table")});
  std::istringstream validation(read_text(dir() / "table" / "validation.csv"));
  std::string line, table;
  for (int row = 0; std::getline(validation, line) && row < 4; ++row) table += line + (row == 0 ? ",note" : row == 2 ? ",seen" : ",") + "\n";
  std::ofstream(dir() / "with_empty_cells.csv") << table;
  InferenceInputs in;
  in.table = dir() / "with_empty_cells.csv";
  BatchInferenceOptions options;
  options.out = dir() / "empty_cells";
  predict_all(built_plugins(), predictor, read_inference_inputs(in, predictor.experiment()), options);
  const auto table_rows = rows(options.out / "predictions.csv");
  ASSERT_EQ(table_rows.size(), 3u);
  EXPECT_EQ(table_rows[0].at("data.note"), "");
  EXPECT_EQ(table_rows[1].at("data.note"), "seen");
  EXPECT_EQ(table_rows[2].at("data.note"), "");
}

TEST_F(PredictAll, ATestTableGivesEachRowsPredictionAndItsEvaluation) {
  Predictor predictor(built_plugins(), {bundle("table")});
  InferenceInputs in;
  in.table = dir() / "table" / "validation.csv";  // laid out as the training table: id, x1, x2, label
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  ASSERT_EQ(samples.size(), 32u);
  BatchInferenceOptions options;
  options.out = dir() / "table_out";
  options.workers = 3;
  size_t progress = 0;
  options.on_progress = [&](size_t done, size_t total) {
    EXPECT_EQ(done, progress + 1);
    EXPECT_EQ(total, 32u);
    progress = done;
  };
  const BatchInferenceResult r = predict_all(built_plugins(), predictor, samples, options);
  EXPECT_EQ(r.predicted, 32u);
  EXPECT_EQ(progress, 32u);
  EXPECT_TRUE(r.failed.empty());
  EXPECT_EQ(r.columns, (std::vector<std::string>{"id", "data.x1", "data.x2", "data.label", "model.logits_0", "model.logits_1", "model.probs_0",
                                                  "model.probs_1", "model.score"}));
  const auto table = rows(options.out / "predictions.csv");
  ASSERT_EQ(table.size(), 32u);
  // Row by row what predict() gives that sample alone, in the table's order.
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(table[i].at("id"), samples[i].id);
    EXPECT_EQ(table[i].at("data.label"), std::to_string(samples[i].values.get<int64_t>("data.label")));
    EXPECT_EQ(std::stod(table[i].at("data.x1")), samples[i].values.get<double>("data.x1"));  // read back exactly
    const NDict alone = predictor.predict(samples[i].values);
    EXPECT_EQ(std::stof(table[i].at("model.score")), fuse::testing::values<float>(alone.get<Tensor>("model.score"))[0]) << table[i].at("id");
    EXPECT_EQ(std::stof(table[i].at("model.probs_1")), fuse::testing::values<float>(alone.get<Tensor>("model.probs"))[1]) << table[i].at("id");
  }
  // The table carries the evaluation's target: evaluated as the run's validation was (the same samples).
  ASSERT_TRUE(r.evaluated) << r.not_evaluated;
  const boost::json::object evaluation = boost::json::parse(read_text(options.out / "evaluation.json")).as_object();
  const boost::json::object run = boost::json::parse(read_text(dir() / "table" / "run" / "evaluation.json")).as_object();
  EXPECT_NEAR(evaluation.at("metrics").at("auc").at("value").to_number<double>(), run.at("metrics").at("auc").at("value").to_number<double>(), 1e-3);
  EXPECT_TRUE(evaluation.at("metrics").at("auc").as_object().contains("ci"));
  EXPECT_TRUE(fs::exists(options.out / "report.html"));
}

// Workers and batches change how inputs reach the model, not what it predicts: 64 inputs one at a time, in
// batches of 5 (the last of 4) and of the run's validation batch size (8).
TEST_F(PredictAll, TheNumberOfWorkersOrInputsPerBatchChangesNothing) {
  Predictor predictor(built_plugins(), {bundle("table")});
  InferenceInputs in;
  in.table = dir() / "table" / "train.csv";
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  std::vector<std::string> files;
  for (const auto& [workers, batch] : {std::pair<size_t, size_t>{1, 1}, {4, 1}, {2, 5}, {2, 0}}) {
    BatchInferenceOptions options;
    options.out = dir() / ("workers_" + std::to_string(workers) + "_batch_" + std::to_string(batch));
    options.workers = workers;
    options.batch = batch;
    predict_all(built_plugins(), predictor, samples, options);
    files.push_back(read_text(options.out / "predictions.csv"));
  }
  for (size_t i = 1; i < files.size(); ++i) EXPECT_EQ(files[i], files[0]) << i;
  EXPECT_EQ(std::count(files[0].begin(), files[0].end(), '\n'), 65);  // the header and 64 rows
}

// A batch the model refuses is predicted input by input, so that each error names its input.
TEST_F(PredictAll, ABatchThatFailsIsRetriedInputByInput) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const fs::path inputs = dir() / "npy_three_features";
  fs::create_directories(inputs);
  for (const char* name : {"a", "b"})
    fuse::testing::write_npy(inputs / (std::string(name) + ".npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                             fuse::testing::bytes(std::vector<float>{1, 2, 3}));
  InferenceInputs in;
  in.folder = inputs;
  in.pattern = "*.npy";
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  BatchInferenceOptions options;
  options.out = dir() / "three_out";
  options.batch = 2;
  const std::string stopped = error_of([&] { predict_all(built_plugins(), predictor, samples, options); });
  // [1, 3]: the input alone, not the batch of two.
  EXPECT_EQ(stopped, "input 'a' (file " + (inputs / "a.npy").string() + "): model 'fuse.models.mlp' (plugin 'fuse.models_torch'): the network cannot "
                     "take its inputs (data.features [1, 3]): mat1 and mat2 shapes cannot be multiplied (1x3 and 2x8)");
  options.keep_going = true;
  const BatchInferenceResult r = predict_all(built_plugins(), predictor, samples, options);
  EXPECT_EQ(r.predicted, 0u);
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[1].first, "b");
  EXPECT_EQ(r.failed[1].second, r.failed[0].second);  // the model's message about one input of 3 features
  // Inputs of two shapes in one batch go one by one: the one the model takes is predicted.
  testing::write_features_npy(inputs / "c.npy", 1.5f, 1.0f);
  options.batch = 3;
  const BatchInferenceResult mixed = predict_all(built_plugins(), predictor, read_inference_inputs(in, predictor.experiment()), options);
  EXPECT_EQ(mixed.predicted, 1u);
  EXPECT_EQ(mixed.failed.size(), 2u);
  EXPECT_GT(std::stod(rows(options.out / "predictions.csv").at(0).at("model.score")), 0.8);
}

TEST_F(PredictAll, InputsWithoutTheTargetArePredictedButNotEvaluated) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const fs::path inputs = dir() / "npy_inputs";
  fs::create_directories(inputs);
  testing::write_features_npy(inputs / "pos.npy", 1.5f, 1.0f);
  testing::write_features_npy(inputs / "neg.npy", -1.5f, -1.0f);
  InferenceInputs in;
  in.folder = inputs;
  in.pattern = "*.npy";
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  BatchInferenceOptions options;
  options.out = dir() / "npy_out";
  const BatchInferenceResult r = predict_all(built_plugins(), predictor, samples, options);
  EXPECT_FALSE(r.evaluated);
  EXPECT_EQ(r.not_evaluated, "the inputs carry no 'data.label' (the evaluation's target)");
  EXPECT_FALSE(fs::exists(options.out / "evaluation.json"));
  const auto table = rows(options.out / "predictions.csv");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].at("id"), "neg");  // the folder's files in name order
  EXPECT_EQ(table[0].at("data.path"), (inputs / "neg.npy").string());
  EXPECT_LT(std::stod(table[0].at("model.score")), 0.2);
  EXPECT_GT(std::stod(table[1].at("model.score")), 0.8);
}

// A test set of one class leaves the AUC undefined: the predictions are written, the evaluation says why not.
TEST_F(PredictAll, InputsOfOneClassArePredictedAndTheUndefinedMetricSaid) {
  Predictor predictor(built_plugins(), {bundle("table")});
  InferenceInputs in;
  in.table = dir() / "table" / "validation.csv";
  std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  std::vector<data::Sample> negatives;
  for (const data::Sample& s : samples)
    if (s.values.get<int64_t>("data.label") == 0) negatives.push_back(s);
  ASSERT_GT(negatives.size(), 2u);
  BatchInferenceOptions options;
  options.out = dir() / "one_class";
  // An earlier call's results in the folder are not left to pass for this one's.
  fs::create_directories(options.out);
  for (const char* stale : {"evaluation.json", "report.html", "errors.csv"}) std::ofstream(options.out / stale) << "from an earlier call";
  const BatchInferenceResult r = predict_all(built_plugins(), predictor, negatives, options);
  EXPECT_FALSE(fs::exists(options.out / "report.html"));
  EXPECT_FALSE(fs::exists(options.out / "errors.csv"));
  EXPECT_EQ(r.predicted, negatives.size());
  EXPECT_FALSE(r.evaluated);
  EXPECT_EQ(r.not_evaluated.rfind("metric 'auc' (", 0), 0u) << r.not_evaluated;
  EXPECT_NE(r.not_evaluated.find("AUC needs both classes, but the data has no positive (1) targets among " + std::to_string(negatives.size()) + " rows"),
            std::string::npos)
      << r.not_evaluated;
  EXPECT_FALSE(fs::exists(options.out / "evaluation.json"));
  EXPECT_EQ(rows(options.out / "predictions.csv").size(), negatives.size());
}

TEST_F(PredictAll, AFailingInputStopsTheRunOrIsListedWithKeepGoing) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const fs::path inputs = dir() / "npy_bad";
  fs::create_directories(inputs);
  testing::write_features_npy(inputs / "a.npy", 1.5f, 1.0f);
  std::ofstream(inputs / "broken.npy") << "not an npy file";
  testing::write_features_npy(inputs / "c.npy", -1.5f, -1.0f);
  InferenceInputs in;
  in.files = {(inputs / "a.npy").string(), (inputs / "broken.npy").string(), (inputs / "c.npy").string()};
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  BatchInferenceOptions options;
  options.out = dir() / "bad_out";
  const std::string stopped = error_of([&] { predict_all(built_plugins(), predictor, samples, options); });
  // The step is located in the bundle's own file, at the line where its object starts.
  const std::string step_at = "input 'broken' (--input " + (inputs / "broken.npy").string() + "): inference steps step 1 (" + (bundle("npy") / "bundle.json").string() + ":";
  ASSERT_EQ(stopped.rfind(step_at, 0), 0u) << stopped;
  const size_t line = std::stoul(stopped.substr(step_at.size()));
  std::istringstream bundle_text(read_text(bundle("npy") / "bundle.json"));
  std::string text;
  for (size_t l = 0; l < line + 1; ++l) std::getline(bundle_text, text);  // the line after the step's '{'
  EXPECT_NE(text.find("\"op\": \"fuse.io.read_npy\""), std::string::npos) << text;
  EXPECT_NE(stopped.find("op 'fuse.io.read_npy'"), std::string::npos) << stopped;
  options.keep_going = true;
  const BatchInferenceResult r = predict_all(built_plugins(), predictor, samples, options);
  EXPECT_EQ(r.predicted, 2u);
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].first, "broken");
  const auto table = rows(options.out / "predictions.csv");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[1].at("id"), "c");
  const std::string errors = read_text(options.out / "errors.csv");
  EXPECT_EQ(errors.rfind("id,error\nbroken,", 0), 0u) << errors;
}

TEST_F(PredictAll, BadInputsAreNamed) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const Experiment& e = predictor.experiment();
  const fs::path inputs = dir() / "npy_named";
  fs::create_directories(inputs / "other");
  testing::write_features_npy(inputs / "a.npy", 1.5f, 1.0f);
  testing::write_features_npy(inputs / "other" / "a.npy", 1.5f, 1.0f);
  InferenceInputs twice;
  twice.files = {(inputs / "a.npy").string(), (inputs / "other" / "a.npy").string()};
  const std::vector<data::Sample> same_id = read_inference_inputs(twice, e);
  BatchInferenceOptions options;
  options.out = dir() / "named_out";
  EXPECT_EQ(error_of([&] { predict_all(built_plugins(), predictor, same_id, options); }),
            "inputs --input " + (inputs / "a.npy").string() + " and --input " + (inputs / "other" / "a.npy").string() +
                " both have the id 'a': each input needs its own id (its row of predictions.csv, its output's name)");
  EXPECT_EQ(error_of([&] { predict_all(built_plugins(), predictor, {}, options); }), "no inputs to predict");
  const std::string a = (inputs / "a.npy").string();
  EXPECT_EQ(error_of([&] { predictor.predict_file(a, (inputs / "other" / ".." / "a.npy").string()); }),
            "the output '" + (inputs / "other" / ".." / "a.npy").string() + "' is the input: writing it would overwrite the input; choose another file");
  InferenceInputs missing;
  missing.files = {(inputs / "nope.npy").string()};
  EXPECT_EQ(error_of([&] { read_inference_inputs(missing, e); }), "--input: no such file or folder '" + (inputs / "nope.npy").string() + "'");
  InferenceInputs both = twice;
  both.folder = inputs;
  EXPECT_EQ(error_of([&] { read_inference_inputs(both, e); }), "give the inputs one way: --input FILE (repeatable), --folder DIR or --table FILE");
  InferenceInputs none;
  none.folder = inputs;
  none.pattern = "*.nii.gz";
  EXPECT_EQ(error_of([&] { read_inference_inputs(none, e); }), "--folder: no file in '" + inputs.string() + "' matches '*.nii.gz'");
  InferenceInputs no_table;
  no_table.table = inputs / "test.csv";
  EXPECT_EQ(error_of([&] { read_inference_inputs(no_table, e); }), "--table: no such file '" + (inputs / "test.csv").string() + "'");
}

// A reference (--reference, or the bundle's inference.reference) is every input's or none's, and needs a bundle
// that writes a label map its metrics read; each mistake is refused before anything is predicted.
TEST_F(PredictAll, AReferenceIsEveryInputsAndNeedsAWrittenLabelMap) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const fs::path inputs = dir() / "references";
  fs::create_directories(inputs);
  testing::write_features_npy(inputs / "a.npy", 1.5f, 1.0f);
  testing::write_features_npy(inputs / "b.npy", -1.5f, -1.0f);
  InferenceInputs in;
  in.files = {(inputs / "a.npy").string(), (inputs / "b.npy").string()};
  std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  BatchInferenceOptions options;
  options.out = dir() / "references_out";
  options.reference = "reference.mask";
  EXPECT_EQ(error_of([&] { predict_all(built_plugins(), predictor, samples, options); }),
            "--reference reference.mask: no input carries it (input 'a' has data.path)");
  samples[0].values.set("reference.mask", (inputs / "a_truth.nii.gz").string());
  EXPECT_EQ(error_of([&] { predict_all(built_plugins(), predictor, samples, options); }),
            "input 'b' (--input " + (inputs / "b.npy").string() + ") carries no 'reference.mask', which input 'a' carries: every input needs its reference "
            "(--reference), or none");
  samples[1].values.set("reference.mask", (inputs / "b_truth.nii.gz").string());
  EXPECT_EQ(error_of([&] { predict_all(built_plugins(), predictor, samples, options); }),
            "--reference 'reference.mask': the inference writes nothing to compare with the reference (add a write step, e.g. fuse.io.write_medical of the "
            "label map with \"path\": \"{data.output_path}\")");
  EXPECT_FALSE(fs::exists(options.out / "predictions.csv"));
}

// Inputs named one by one get their ids as a folder's files do: the name without its extensions (two for a
// NIfTI), and a DICOM series' folder its own name.
TEST_F(PredictAll, InputIdsAreFileNamesWithoutExtensions) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const fs::path inputs = dir() / "ids";
  fs::create_directories(inputs / "series_7");
  std::ofstream(inputs / "case.01.nii.gz") << "";
  InferenceInputs in;
  in.files = {(inputs / "case.01.nii.gz").string(), (inputs / "series_7").string() + "/"};
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].id, "case.01");
  EXPECT_EQ(samples[1].id, "series_7");
  // A folder of series: --match folders takes each sub-folder, named whole.
  fs::create_directories(inputs / "1.2.840.5");
  InferenceInputs series;
  series.folder = inputs;
  series.folders = true;
  const std::vector<data::Sample> folders = read_inference_inputs(series, predictor.experiment());
  ASSERT_EQ(folders.size(), 2u);
  EXPECT_EQ(folders[0].id, "1.2.840.5");
  EXPECT_EQ(folders[1].id, "series_7");
}

// A data list's "test" section of bare paths (the Decathlon's) puts each path under the inference's input key.
TEST_F(PredictAll, ADataListsTestSectionGoesToTheInputKey) {
  Predictor predictor(built_plugins(), {bundle("npy")});
  const fs::path inputs = dir() / "datalist";
  fs::create_directories(inputs / "imagesTs");
  testing::write_features_npy(inputs / "imagesTs" / "p1.npy", 1.5f, 1.0f);
  std::ofstream(inputs / "dataset.json") << R"({"training": [], "test": ["./imagesTs/p1.npy"]})";
  InferenceInputs in;
  in.table = inputs / "dataset.json";
  const std::vector<data::Sample> samples = read_inference_inputs(in, predictor.experiment());
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].id, "p1");
  EXPECT_EQ(samples[0].values.get<std::string>("data.path"), (inputs / "imagesTs" / "p1.npy").string());
  EXPECT_FALSE(samples[0].values.has("data.image"));
  in.section = "validation";
  EXPECT_EQ(error_of([&] { read_inference_inputs(in, predictor.experiment()); }),
            "--table: " + (inputs / "dataset.json").string() + ":1:1: no list 'validation' (its lists: training, test)");
}

// A bundle trained on a folder whose files came with paired files (nnU-Net's imagesTr: a case's second channel
// _0001 and its labels beside the _0000 file) finds a test folder's, or an input's, paired files the same way (an
// imagesTs folder's labels in labelsTs); the labels, which no inference step reads, may be missing.
TEST(InferenceInputs, PairedFilesAreFoundAsInTraining) {
  std::string text = testing::toy_json();
  const std::string table = R"("source": {"table": "train.csv"})";
  text.replace(text.find(table), table.size(),
               R"("source": {"folder": "imagesTr", "pattern": "*_0000.npy", "id": "{*}", "with": {"data.path2": "{*}_0001.npy", "data.mask": "../labelsTr/{*}.npy"}})");
  text.insert(text.rfind('}'), R"(, "inference": {"input_key": "data.path", "steps": [
    {"op": "fuse.io.read_npy", "path_key": "data.path", "key": "data.a"}, {"op": "fuse.io.read_npy", "path_key": "data.path2", "key": "data.b"}]})");
  const Experiment e = read_experiment(json::Document::parse(text, "paired.json"), false);
  const fs::path dir = fresh_dir("paired_inputs");
  fs::create_directories(dir / "imagesTs");
  for (const char* name : {"a_0000.npy", "a_0001.npy", "b_0000.npy", "b_0001.npy"}) std::ofstream(dir / "imagesTs" / name) << "";
  // nnU-Net's layout: imagesTs's labels lie in labelsTs (labelsTr holds the training cases').
  fs::create_directories(dir / "labelsTs");
  std::ofstream(dir / "labelsTs" / "a.npy") << "";
  fs::create_directories(dir / "labelsTr");
  std::ofstream(dir / "labelsTr" / "b.npy") << "";
  InferenceInputs folder;
  folder.folder = dir / "imagesTs";  // no --pattern: the training source's
  const std::vector<data::Sample> samples = read_inference_inputs(folder, e);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].id, "a");
  EXPECT_EQ(samples[0].values.get<std::string>("data.path"), (dir / "imagesTs" / "a_0000.npy").string());
  EXPECT_EQ(samples[0].values.get<std::string>("data.path2"), (dir / "imagesTs" / "a_0001.npy").string());
  EXPECT_EQ(samples[0].values.get<std::string>("data.mask"), (dir / "labelsTs" / "a.npy").string());
  EXPECT_EQ(samples[1].id, "b");
  EXPECT_EQ(samples[1].values.get<std::string>("data.path2"), (dir / "imagesTs" / "b_0001.npy").string());
  EXPECT_FALSE(samples[1].values.has("data.mask"));  // not annotated: predicted, not compared
  EXPECT_EQ(keys_inputs_may_lack(e), std::vector<std::string>{"data.mask"});  // the labels; not the channel
  InferenceInputs one;
  one.files = {(dir / "imagesTs" / "b_0000.npy").string()};
  const std::vector<data::Sample> alone = read_inference_inputs(one, e);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].id, "b");
  EXPECT_EQ(alone[0].origin, "--input " + one.files[0]);
  EXPECT_EQ(alone[0].values.get<std::string>("data.path2"), (dir / "imagesTs" / "b_0001.npy").string());
  one.files = {(dir / "imagesTs" / "a_0000.npy").string()};
  EXPECT_EQ(read_inference_inputs(one, e).at(0).values.get<std::string>("data.mask"), (dir / "labelsTs" / "a.npy").string());
  // Another folder's labels are where training found them.
  fs::create_directories(dir / "scans");
  for (const char* name : {"b_0000.npy", "b_0001.npy"}) std::ofstream(dir / "scans" / name) << "";
  InferenceInputs scans;
  scans.folder = dir / "scans";
  EXPECT_EQ(read_inference_inputs(scans, e).at(0).values.get<std::string>("data.mask"), (dir / "labelsTr" / "b.npy").string());
  // Refused: the second channel's file given alone; a case whose second channel is missing.
  one.files = {(dir / "imagesTs" / "b_0001.npy").string()};
  EXPECT_EQ(error_of([&] { read_inference_inputs(one, e); }),
            "--input " + one.files[0] + ": the bundle reads each input with its paired files 'data.path2' (\"{*}_0001.npy\"), found from a file matching "
            "'*_0000.npy' as in training; 'b_0001.npy' does not match it");
  fs::remove(dir / "imagesTs" / "b_0001.npy");
  EXPECT_EQ(error_of([&] { read_inference_inputs(folder, e); }),
            "--folder: sample 'b' (file " + (dir / "imagesTs" / "b_0000.npy").string() + "): no file '" + (dir / "imagesTs" / "b_0001.npy").string() +
                "' for 'data.path2' (\"{*}_0001.npy\" in 'with')");
  one.files = {(dir / "imagesTs" / "b_0000.npy").string()};
  EXPECT_EQ(error_of([&] { read_inference_inputs(one, e); }),
            "--input " + one.files[0] + ": sample 'b' (file " + (dir / "imagesTs" / "b_0000.npy").string() + "): no file '" +
                (dir / "imagesTs" / "b_0001.npy").string() + "' for 'data.path2' (\"{*}_0001.npy\" in 'with')");
}

}  // namespace
}  // namespace fuse::train
