#include "fuse/data/data_config.h"

#include <gtest/gtest.h>

#include <set>

#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using testing::write_file;

// An experiment file in `dir` whose data section is `data`, with a table of 10 samples beside it.
json::Document experiment(const std::filesystem::path& dir, const std::string& data) {
  std::string table = "id,image,label,patient\n";
  for (int i = 0; i < 10; ++i)
    table += "s" + std::to_string(i) + ",img/s" + std::to_string(i) + ".nii.gz," + std::to_string(i % 2) + ",p" + std::to_string(i / 2) + "\n";
  write_file(dir / "train.csv", table);
  write_file(dir / "exp.json", "{\n  \"data\": " + data + "\n}\n");
  return json::Document::load(dir / "exp.json");
}

TEST(DataConfig, ReadsSourceStepsAndCache) {
  const auto dir = fresh_dir("config_read");
  const DataConfig c = read_data_config(experiment(dir, R"({
    "source": {"table": "train.csv", "paths": ["image"], "keys": {"label": "data.target"}},
    "static": [{"op": "fuse.ops.copy", "from": ["data.image"], "to": ["data.copy"]}],
    "dynamic": [{"op": "test.echo"}, {"op": "fuse.ops.copy", "from": ["data.image"], "repeat": [{"to": ["a"]}, {"to": ["b"]}]}],
    "cache": {"dir": "cache", "memory_mb": 1, "audit": 0.25},
    "on_error": "skip",
    "seed": 7
  })"));
  ASSERT_EQ(c.dataset.samples.size(), 10u);
  EXPECT_EQ(c.dataset.samples[3].values.get<std::string>("data.image"), (dir / "img" / "s3.nii.gz").string());
  EXPECT_EQ(c.dataset.samples[3].values.get<int64_t>("data.target"), 1);
  ASSERT_EQ(c.dataset.static_steps.size(), 1u);
  EXPECT_EQ(c.dataset.static_steps[0].op, "fuse.ops.copy");
  EXPECT_EQ(c.dataset.static_steps[0].where, (dir / "exp.json").string() + ":4:16");
  EXPECT_FALSE(c.dataset.static_steps[0].config.contains("op"));
  EXPECT_EQ(c.dataset.dynamic_steps[1].repeat.size(), 2u);
  EXPECT_EQ(*c.dataset.cache_dir, dir / "cache");
  EXPECT_EQ(c.dataset.cache_memory_bytes, 1024u * 1024u);
  EXPECT_TRUE(c.dataset.cache_audit.first);
  EXPECT_EQ(c.dataset.cache_audit.share, 0.25);
  EXPECT_EQ(c.dataset.on_error, OnError::kSkip);
  EXPECT_EQ(c.dataset.seed, 7u);
  // The steps build: the dataset runs them.
  Dataset d(testing::registry(), c.dataset);
  EXPECT_EQ(d.worker().get(2, 0, true)->get<std::string>("a"), (dir / "img" / "s2.nii.gz").string());
}

// Config fields of type "path" are read from the experiment file's folder, unless absolute or "{key}" templates.
TEST(DataConfig, RelativePathFieldsAreTakenFromTheFilesFolder) {
  const auto dir = fresh_dir("config_paths");
  const DataConfig c = read_data_config(experiment(dir, R"({
    "source": {"table": "train.csv"},
    "static": [{"op": "test.path", "file": "../labels/a.idx"}, {"op": "test.path", "file": "/abs/b.idx"},
               {"op": "test.path", "file": "{data.out}.nii.gz"}]
  })"));
  const std::vector<std::string> expected = {(dir.parent_path() / "labels" / "a.idx").string(), "/abs/b.idx", "{data.out}.nii.gz"};
  for (size_t i = 0; i < expected.size(); ++i) {
    Pipeline p(testing::registry(), {c.dataset.static_steps[i]}, "static");
    NDict sample;
    p.run(sample, 1, -1, 0, false);
    EXPECT_EQ(sample.get<std::string>("file"), expected[i]);
  }
  // A step made in code (no file) keeps the path as given.
  Pipeline p(testing::registry(), {testing::step("test.path", R"({"file": "rel/c.idx"})")}, "static");
  NDict sample;
  p.run(sample, 1, -1, 0, false);
  EXPECT_EQ(sample.get<std::string>("file"), "rel/c.idx");
}

TEST(DataConfig, FolderPairsAndDatalistsAsSources) {
  const auto dir = fresh_dir("config_sources");
  std::filesystem::create_directories(dir / "imagesTr");
  std::filesystem::create_directories(dir / "labelsTr");
  for (const char* c : {"la_003", "la_007"}) {
    write_file(dir / "imagesTr" / (std::string(c) + ".nii.gz"), "x");
    write_file(dir / "labelsTr" / (std::string(c) + ".nii.gz"), "x");
  }
  const DataConfig folder = read_data_config(experiment(dir, R"({"source": {"folder": "imagesTr", "pattern": "*.nii.gz", "key": "data.image",
    "with": {"data.mask": "../labelsTr/{stem}.nii.gz"}}})"));
  ASSERT_EQ(folder.dataset.samples.size(), 2u);
  EXPECT_EQ(folder.dataset.samples[1].id, "la_007");
  EXPECT_EQ(folder.dataset.samples[1].values.get<std::string>("data.mask"), (dir / "labelsTr" / "la_007.nii.gz").string());
  write_file(dir / "dataset.json", R"({"training": [{"image": "./imagesTr/la_003.nii.gz", "label": "./labelsTr/la_003.nii.gz"}],
    "validation": [{"image": "./imagesTr/la_007.nii.gz", "label": "./labelsTr/la_007.nii.gz", "grade": 2}]})");
  const DataConfig list = read_data_config(experiment(dir, R"({"source": {"datalist": "dataset.json", "section": "validation",
    "keys": {"label": "data.mask"}, "paths": ["image", "label"]}})"));
  ASSERT_EQ(list.dataset.samples.size(), 1u);
  EXPECT_EQ(list.dataset.samples[0].id, "la_007");
  EXPECT_EQ(list.dataset.samples[0].values.get<std::string>("data.mask"), (dir / "labelsTr" / "la_007.nii.gz").string());
  EXPECT_EQ(list.dataset.samples[0].values.get<int64_t>("data.grade"), 2);
  // "training" by default.
  EXPECT_EQ(read_data_config(experiment(dir, R"({"source": {"datalist": "dataset.json"}})")).dataset.samples[0].id, "la_003");
  const std::string file = (dir / "exp.json").string();
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"datalist": "dataset.json", "sections": "test"}})")); }),
            file + ":2:63: unknown field 'sections' in the sample source; did you mean 'section'? (allowed: datalist, section, keys, paths)");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"folder": "imagesTr", "with": {"data.mask": 3}}})")); }),
            file + ":2:67: 'data.mask' must be a string, got 3");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"folder": "imagesTr", "with": {"data.mask": "../masks/{stem}.nii.gz"}}})")); }),
            file + ":2:22: sample 'la_003' (file " + (dir / "imagesTr" / "la_003.nii.gz").string() + "): no file '" + (dir / "masks" / "la_003.nii.gz").string() +
                "' for 'data.mask' (\"../masks/{stem}.nii.gz\" in 'with')");
}

TEST(DataConfig, MistakesAreLocated) {
  const auto dir = fresh_dir("config_bad");
  const std::string file = (dir / "exp.json").string();
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "statik": []})")); }),
            file + ":2:56: unknown field 'statik' in the data section; did you mean 'static'? (allowed: source, static, dynamic, batch, cache, "
                   "on_error, seed, folds, loader)");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "static": [{"keys": ["x"]}]})")); }),
            file + ":2:57: missing field 'op' in a pipeline step");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "cache": {"dir": "c", "audit": 2}})")); }),
            file + ":2:77: 'audit' must be true (recompute the first cached sample), false, or a share of the samples in [0, 1]; got 2");
  EXPECT_FALSE(read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "cache": {"dir": "c", "audit": false}})")).dataset.cache_audit.first);
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "nope.csv"}})")); }).find(file + ":2:22: "), 0u);
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "train.csv", "paths": ["img"]}})")); }),
            file + ":2:22: " + (dir / "train.csv").string() + ": no path column 'img' (columns: id, image, label, patient)");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"static": []})")); }),
            file + ":2:11: missing field 'source' in the data section (a table, a folder, a datalist, ids or a count)");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "on_error": "ignore"})")); }),
            file + ":2:58: 'on_error' must be one of 'fail', 'skip', 'retry', got 'ignore'");
}

TEST(DataConfig, StepsMayBeConditionalOrRandomWhereThatMakesSense) {
  const auto dir = fresh_dir("config_apply");
  const std::string file = (dir / "exp.json").string();
  const DataConfig c = read_data_config(experiment(dir, R"({"source": {"table": "train.csv"},
    "dynamic": [{"op": "fuse.ops.zscore", "keys": ["x"], "apply_if": "data.is_ct", "apply_probability": 0.3}]})"));
  ASSERT_EQ(c.dataset.dynamic_steps.size(), 1u);
  EXPECT_EQ(c.dataset.dynamic_steps[0].apply_if, "data.is_ct");
  EXPECT_EQ(c.dataset.dynamic_steps[0].apply_probability, 0.3);
  EXPECT_FALSE(c.dataset.dynamic_steps[0].config.contains("apply_if"));  // not the op's
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "static": [{"op": "fuse.ops.zscore", "keys": ["x"], "apply_probability": 0.5}]})"));
            }),
            file + ":2:119: 'apply_probability': static steps are cached, so they cannot be random: move the step to the dynamic pipeline");
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "batch": [{"op": "fuse.ops.zscore", "keys": ["x"], "apply_if": "a"}]})"));
            }),
            file + ":2:109: 'apply_if': a batch step runs once for the whole batch: put the step in the dynamic pipeline");
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "dynamic": [{"op": "fuse.ops.zscore", "keys": ["x"], "apply_probability": 1.5}]})"));
            }),
            file + ":2:120: 'apply_probability' must be <= 1, got 1.5");
}

TEST(DataConfig, StaticStepsMaySplitAndDropSamples) {
  const auto dir = fresh_dir("config_split");
  const std::string file = (dir / "exp.json").string();
  const DataConfig c = read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "static": [
    {"split": {"keys": ["data.image", "data.label"], "axis": 1}}, {"keep_if": "data.fg"}, {"drop_if": "data.bad"}]})"));
  ASSERT_EQ(c.dataset.static_steps.size(), 3u);
  ASSERT_TRUE(c.dataset.static_steps[0].split.has_value());
  EXPECT_EQ(c.dataset.static_steps[0].split->keys, (std::vector<std::string>{"data.image", "data.label"}));
  EXPECT_EQ(c.dataset.static_steps[0].split->axis, 1);
  EXPECT_EQ(c.dataset.static_steps[0].split->source_key, "data.source_id");
  EXPECT_EQ(c.dataset.static_steps[1].keep_if, "data.fg");
  EXPECT_EQ(c.dataset.static_steps[2].drop_if, "data.bad");
  EXPECT_EQ(c.dataset.static_steps[2].where, file + ":3:91");
  const auto error = [&](const std::string& data) { return error_of([&] { read_data_config(experiment(dir, data)); }); };
  EXPECT_EQ(error(R"({"source": {"table": "train.csv"}, "dynamic": [{"keep_if": "data.fg"}]})"),
            file + ":2:70: 'keep_if' changes the number of samples, which only the static pipeline may do (its output is cached and indexed)");
  EXPECT_EQ(error(R"({"source": {"table": "train.csv"}, "static": [{"split": {"axis": 1}}]})"),
            file + ":2:67: 'split' needs 'keys': the tensors or lists to split (e.g. [\"data.image\", \"data.label\"])");
  const std::string extra = error(R"({"source": {"table": "train.csv"}, "static": [{"drop_if": "a", "apply_if": "b"}]})");
  EXPECT_EQ(extra.rfind(file + ":2:", 0), 0u) << extra;
  EXPECT_NE(extra.find("'apply_if'"), std::string::npos) << extra;
}

TEST(DataConfig, ApplyIfPresentNamesTheKeysAStepNeeds) {
  const auto dir = fresh_dir("config_if_present");
  const DataConfig c = read_data_config(experiment(dir, R"({"source": {"table": "train.csv"},
    "static": [{"op": "fuse.ops.copy", "from": ["data.label"], "to": ["data.y"], "apply_if_present": "data.label"},
               {"op": "fuse.ops.copy", "from": ["data.label"], "to": ["data.z"], "apply_if_present": ["data.label", "data.patient"]}]})"));
  EXPECT_EQ(c.dataset.static_steps[0].apply_if_present, (std::vector<std::string>{"data.label"}));
  EXPECT_EQ(c.dataset.static_steps[1].apply_if_present, (std::vector<std::string>{"data.label", "data.patient"}));
  EXPECT_FALSE(c.dataset.static_steps[0].config.contains("apply_if_present"));  // the pipeline's, not the op's
  const std::string file = (dir / "exp.json").string();
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "static": [{"op": "fuse.ops.copy", "from": ["a"], "to": ["b"], "apply_if_present": []}]})"));
            }),
            file + ":2:129: 'apply_if_present' names no key: give the key (or keys) the step needs");
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "batch": [{"op": "fuse.ops.copy", "from": ["a"], "to": ["b"], "apply_if_present": "a"}]})"));
            }),
            file + ":2:128: 'apply_if_present': a batch step runs once for the whole batch: put the step in the dynamic pipeline");
}

TEST(DataConfig, FoldsSplitOnceAndAreReused) {
  const auto dir = fresh_dir("config_folds");
  const DataConfig c = read_data_config(experiment(dir, R"({
    "source": {"table": "train.csv"},
    "folds": {"k": 5, "stratify": "data.label", "group": "data.patient", "file": "folds.json", "train": [0, 1, 2, 3], "validation": [4]}
  })"));
  const std::vector<Sample> train = split_samples(c, "train"), validation = split_samples(c, "validation");
  EXPECT_TRUE(std::filesystem::exists(dir / "folds.json"));
  EXPECT_EQ(train.size() + validation.size(), 10u);
  ASSERT_EQ(validation.size(), 2u);  // one patient: both of its samples
  EXPECT_EQ(validation[0].values.get<std::string>("data.patient"), validation[1].values.get<std::string>("data.patient"));
  std::set<std::string> ids;
  for (const Sample& s : train) ids.insert(s.id);
  for (const Sample& s : validation) EXPECT_EQ(ids.count(s.id), 0u);
  // Later runs read the file: the same split even with another seed in the config.
  DataConfig again = c;
  again.folds->seed = 99;
  EXPECT_EQ(split_samples(again, "validation")[0].id, validation[0].id);
  EXPECT_EQ(split_samples(c, "all").size(), 10u);
}

TEST(DataConfig, FoldsNeedTheirKeysAndSplits) {
  const auto dir = fresh_dir("config_folds_bad");
  const DataConfig c = read_data_config(experiment(dir, R"({
    "source": {"table": "train.csv"},
    "folds": {"k": 3, "stratify": "data.grade", "file": "f.json", "train": [0, 1]}
  })"));
  EXPECT_EQ(error_of([&] { split_samples(c, "train"); }),
            (dir / "exp.json").string() + ":4:14: folds: sample 's0' has no 'data.grade' in its source (row 1 of " + (dir / "train.csv").string() + ")");
  const DataConfig bad_fold = [&] {
    try {
      return read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "folds": {"k": 3, "file": "f.json", "train": [3]}})"));
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), ((dir / "exp.json").string() + ":2:91: 'train' holds 3; folds are numbered 0 to 2").c_str());
      return DataConfig{};
    }
  }();
  EXPECT_TRUE(bad_fold.dataset.samples.empty());
}

// Several labels per sample: each sample counts in the stratum of its rarest label, so the 5 samples of the rare
// 'Hernia' fall one in each of 5 folds, whether the labels are 0/1 columns or one text column.
TEST(DataConfig, FoldsOfSeveralLabelsSpreadTheRarestLabel) {
  const auto dir = fresh_dir("config_folds_multilabel");
  std::string table = "id,findings,hernia,effusion\n";
  for (int i = 0; i < 20; ++i) {
    const bool hernia = i % 4 == 0, effusion = i < 10;
    const std::string findings = hernia && effusion ? "Hernia|Effusion" : hernia ? "Hernia" : effusion ? "Effusion" : "No Finding";
    table += "s" + std::to_string(i) + "," + findings + "," + std::to_string(hernia) + "," + std::to_string(effusion) + "\n";
  }
  write_file(dir / "labels.csv", table);
  for (const std::string stratify : {R"("stratify": "data.findings", "separator": "|")", R"("stratify": ["data.effusion", "data.hernia"])"}) {
    std::filesystem::remove(dir / "f.json");
    for (int fold = 0; fold < 5; ++fold) {
      write_file(dir / "exp.json", "{\"data\": {\"source\": {\"table\": \"labels.csv\"}, \"folds\": {\"k\": 5, " + stratify + ", \"file\": \"f.json\", \"validation\": [" +
                                       std::to_string(fold) + "]}}}\n");
      const std::vector<Sample> validation = split_samples(read_data_config(json::Document::load(dir / "exp.json")), "validation");
      int hernia = 0, effusion = 0;
      for (const Sample& s : validation) hernia += s.values.get<int64_t>("data.hernia"), effusion += s.values.get<int64_t>("data.effusion");
      EXPECT_EQ(validation.size(), 4u) << stratify;
      EXPECT_EQ(hernia, 1) << stratify << " fold " << fold;
      EXPECT_GE(effusion, 1) << stratify << " fold " << fold;  // the common label as it falls: 10 over 5 folds
      EXPECT_LE(effusion, 3) << stratify << " fold " << fold;
    }
  }
  const auto error = [&](const std::string& folds) {
    write_file(dir / "exp.json", "{\"data\": {\"source\": {\"table\": \"labels.csv\"},\n \"folds\": {\"k\": 5, \"file\": \"g.json\", " + folds + "}}}\n");
    return error_of([&] { split_samples(read_data_config(json::Document::load(dir / "exp.json")), "train"); });
  };
  const std::string file = (dir / "exp.json").string();
  EXPECT_EQ(error(R"("stratify": ["data.hernia", "data.effusion"], "separator": "|")"),
            file + ":2:97: 'separator' splits the text of one 'stratify' key into labels, but 'stratify' names 2 keys");
  EXPECT_EQ(error(R"("stratify": "data.findings", "separator": "")"), file + ":2:80: 'separator' is empty: give the text between two labels, e.g. \"|\"");
  EXPECT_EQ(error(R"("stratify": ["data.hernia", "data.findings"])"),
            file + ":2:11: folds: 'stratify' names several keys, each a 0/1 label (-1 or empty: uncertain or not mentioned), but sample 's0' has "
                   "'data.findings' = Hernia|Effusion");
}

TEST(DataConfig, FoldsNotNamedAreTheLastForValidationAndTheRestForTraining) {
  const auto dir = fresh_dir("config_folds_default");
  const auto folds = [&](const std::string& splits) {
    const DataConfig c = read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "folds": {"k": 5, "file": "f.json")" + splits + "}}"));
    return std::make_pair(c.folds->train, c.folds->validation);
  };
  EXPECT_EQ(folds(""), std::make_pair(std::vector<int>{0, 1, 2, 3}, std::vector<int>{4}));
  EXPECT_EQ(folds(R"(, "train": [0, 1])"), std::make_pair(std::vector<int>{0, 1}, std::vector<int>{2, 3, 4}));
  EXPECT_EQ(folds(R"(, "validation": [1])"), std::make_pair(std::vector<int>{0, 2, 3, 4}, std::vector<int>{1}));
  EXPECT_EQ(folds(R"(, "train": [0], "validation": [2])"), std::make_pair(std::vector<int>{0}, std::vector<int>{2}));
  // The defaults split the samples: every one in exactly one split.
  const DataConfig c = read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "folds": {"k": 5, "file": "f.json"}})"));
  EXPECT_EQ(split_samples(c, "train").size() + split_samples(c, "validation").size(), 10u);
}

TEST(DataConfig, FoldsThatOverlapOrLeaveASplitEmptyAreRefused) {
  const auto dir = fresh_dir("config_folds_overlap");
  const std::string file = (dir / "exp.json").string();
  EXPECT_EQ(error_of([&] {
              read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "folds": {"k": 3, "file": "f.json", "train": [0, 1], "validation": [1]}})"));
            }),
            file + ":2:113: fold 1 is in 'train' and in 'validation': the model would be validated on samples it trained on");
  EXPECT_EQ(error_of([&] { read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "folds": {"k": 3}})")); }),
            file + ":2:55: 'folds' needs 'file': where the split is saved the first time and read afterwards, so that every run (and "
                   "--cross-validate) uses the same folds (e.g. \"file\": \"folds.json\", relative to this file)");
  const DataConfig all = read_data_config(experiment(dir, R"({"source": {"table": "train.csv"}, "folds": {"k": 3, "file": "f.json", "train": [0, 1, 2]}})"));
  EXPECT_EQ(error_of([&] { split_samples(all, "validation"); }),
            file + ":2:55: folds: no fold is left for 'validation': 'train' takes all 3 folds; name the 'validation' folds, or give the validation "
                   "data its own 'source'");
  EXPECT_EQ(split_samples(all, "train").size(), 10u);
}

// The validation entry of an experiment whose data section has 10 samples in 5 folds (validation: fold 4).
json::Document with_validation(const std::filesystem::path& dir, const std::string& validation, bool folds = true) {
  write_file(dir / "validation.csv", "id,image\nv0,a.nii.gz\nv1,b.nii.gz\nv2,c.nii.gz\n");
  experiment(dir, "{}");  // the table
  write_file(dir / "exp.json", std::string("{\n  \"data\": {\"source\": {\"table\": \"train.csv\"}, ") +
                                   (folds ? "\"folds\": {\"k\": 5, \"file\": \"folds.json\", \"train\": [0, 1, 2, 3], \"validation\": [4]}, " : "") +
                                   "\"static\": [{\"op\": \"test.echo\"}], \"dynamic\": [{\"op\": \"test.echo\"}]},\n  \"validation\": " + validation + "\n}\n");
  return json::Document::load(dir / "exp.json");
}

TEST(DataConfig, ValidationDataReplacesSourceAndPipelines) {
  const auto dir = fresh_dir("config_validation");
  // No entry: the folds' validation split through the data's pipelines.
  {
    write_file(dir / "none.json", "{}");
    const json::Document d = with_validation(dir, "{\"table\": \"validation.csv\"}");
    const DataConfig c = read_data_config(d);
    EXPECT_FALSE(read_validation_data(json::Document::load(dir / "none.json"), c).has_value());
    const DatasetSpec folds = validation_dataset(c, ValidationData{});
    EXPECT_EQ(folds.samples.size(), split_samples(c, "validation").size());
    EXPECT_EQ(folds.static_steps.size(), 1u);
    // A plain source: its samples, the data's pipelines.
    const std::optional<ValidationData> v = read_validation_data(d, c);
    ASSERT_TRUE(v.has_value());
    const DatasetSpec spec = validation_dataset(c, *v);
    ASSERT_EQ(spec.samples.size(), 3u);
    EXPECT_EQ(spec.samples[1].id, "v1");
    EXPECT_EQ(spec.static_steps.size(), 1u);
    EXPECT_EQ(spec.dynamic_steps.size(), 1u);
  }
  // A section with a source: the source, and an empty dynamic pipeline (no patch crop).
  {
    const json::Document d = with_validation(dir, R"({"source": {"table": "validation.csv"}, "dynamic": [], "batch_size": 2})");
    const DatasetSpec spec = validation_dataset(read_data_config(d), *read_validation_data(d, read_data_config(d)));
    EXPECT_EQ(spec.samples.size(), 3u);
    EXPECT_EQ(spec.static_steps.size(), 1u);
    EXPECT_TRUE(spec.dynamic_steps.empty());
  }
  // A section without a source: the folds' validation split through the section's static pipeline.
  {
    const json::Document d = with_validation(dir, R"({"static": [{"op": "test.echo"}, {"op": "test.echo"}], "sliding_window": {"size": [4, 4]}})");
    const DataConfig c = read_data_config(d);
    const DatasetSpec spec = validation_dataset(c, *read_validation_data(d, c));
    EXPECT_EQ(spec.samples.size(), split_samples(c, "validation").size());
    EXPECT_EQ(spec.samples[0].id, split_samples(c, "validation")[0].id);
    EXPECT_EQ(spec.static_steps.size(), 2u);
    EXPECT_EQ(spec.dynamic_steps.size(), 1u);
  }
  const std::string file = (dir / "exp.json").string();
  const auto error = [&](const std::string& validation, bool folds) {
    return error_of([&] {
      const json::Document d = with_validation(dir, validation, folds);
      read_validation_data(d, read_data_config(d));
    });
  };
  EXPECT_EQ(error(R"({"dynamic": []})", false),
            file + ":3:17: the validation data has no samples: give it a 'source' ({\"table\": ...}), or split the data into folds (data.folds)");
  EXPECT_EQ(error(R"({"dynamic": [], "window": 4})", true),
            file + ":3:43: unknown field 'window' in the validation data (allowed: source, static, dynamic, batch_size, sliding_window, slices)");
}

}  // namespace
}  // namespace fuse::data
