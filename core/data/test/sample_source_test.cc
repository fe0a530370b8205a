#include "fuse/data/sample_source.h"

#include <gtest/gtest.h>

#include <set>

#include "test_registry.h"
#include "test_support.h"

namespace fuse::data {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using testing::write_file;

TEST(TableSource, ColumnsBecomeDataKeysWithTypedValues) {
  const auto dir = fresh_dir("source_table");
  write_file(dir / "train.csv", "id,path,label,age,note\np1,a.nii.gz,1,61.5,\np2,b.nii.gz,0,70,x y\n");
  const std::vector<Sample> s = read_table_source(TableSource{dir / "train.csv", "", {{"label", "target"}}, {}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "p1");
  EXPECT_EQ(s[1].id, "p2");
  EXPECT_EQ(s[0].values.get<std::string>("data.path"), "a.nii.gz");
  EXPECT_EQ(s[0].values.get<int64_t>("target"), 1);  // mapped column
  EXPECT_FALSE(s[0].values.has("data.label"));
  EXPECT_DOUBLE_EQ(s[0].values.get<double>("data.age"), 61.5);
  EXPECT_DOUBLE_EQ(s[1].values.get<double>("data.age"), 70.0);  // a column with a fraction holds doubles throughout
  EXPECT_EQ(s[1].values.get<int64_t>("target"), 0);  // a column of whole numbers keeps ints
  EXPECT_TRUE(s[0].values.at("data.note").is_null());
  EXPECT_EQ(s[1].values.get<std::string>("data.note"), "x y");
  EXPECT_EQ(s[1].origin, "row 2 of " + (dir / "train.csv").string());
}

TEST(TableSource, TabSeparatedWithRowNumbersAsIds) {
  const auto dir = fresh_dir("source_tsv");
  write_file(dir / "t.tsv", "path\tlabel\na.png\t3\nb.png\t4\n");
  const std::vector<Sample> s = read_table_source(TableSource{dir / "t.tsv", "", {}, {}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "1");
  EXPECT_EQ(s[1].id, "2");
  EXPECT_EQ(s[1].values.get<int64_t>("data.label"), 4);
}

TEST(TableSource, BadTablesAreNamed) {
  const auto dir = fresh_dir("source_bad");
  const auto file = dir / "t.csv";
  write_file(file, "id,path\na,x\na,y\n");
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "", {}, {}}); }),
            "row 2 of " + file.string() + ": sample id 'a' appears twice");
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "", {{"pth", "data.image"}}, {}}); }),
            file.string() + ": no column 'pth'; did you mean 'path'? (columns: id, path)");
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "case", {}, {}}); }),
            file.string() + ": no id column 'case' (columns: id, path)");
}

// A clinical table's patients without the outcome: "required" leaves their rows out and says how many.
TEST(TableSource, RequiredColumnsLeaveOutRowsWithEmptyCells) {
  const auto dir = fresh_dir("source_required");
  const auto file = dir / "t.csv";
  write_file(file, "id,age,psa,site\np1,61,2.5,a\np2,,3.1,b\np3,70,nan,a\np4,55,1.0,\np5,,,b\n");
  ::testing::internal::CaptureStderr();
  const std::vector<Sample> s = read_table_source(TableSource{file, "", {}, {}, {"age", "psa"}});
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "p1");
  EXPECT_EQ(s[1].id, "p4");
  EXPECT_TRUE(s[1].values.at("data.site").is_null());  // only the required columns count
  EXPECT_NE(log.find(file.string() + ": left out 3 of 5 rows with an empty required cell (2 without 'age', 2 without 'psa')"), std::string::npos) << log;
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "", {}, {}, {"ages"}}); }),
            file.string() + ": no column 'ages' (\"required\"); did you mean 'age'? (columns: id, age, psa, site)");
  write_file(file, "id,age\np1,\np2,\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(error_of([&] { read_table_source(TableSource{file, "", {}, {}, {"age"}}); }),
            file.string() + ": every row has an empty cell in a \"required\" column (age)");
  ::testing::internal::GetCapturedStderr();
}

// A cascade's previous-stage segmentations, a file per row named by its id beside the table's other files.
TEST(TableSource, PairedFilesByIdTemplates) {
  const auto dir = fresh_dir("source_table_with");
  std::filesystem::create_directories(dir / "oof");
  write_file(dir / "train.csv", "id,image\nc1,c1.nii.gz\nc2,c2.nii.gz\n");
  write_file(dir / "oof" / "c1.nii.gz", "");
  TableSource source{dir / "train.csv", "", {}, {"image"}};
  source.with = {{"data.lowres", "oof/{id}.nii.gz"}};
  EXPECT_EQ(error_of([&] { read_table_source(source); }),
            "sample 'c2' (row 2 of " + (dir / "train.csv").string() + "): no file '" + (dir / "oof" / "c2.nii.gz").string() +
                "' for 'data.lowres' (\"oof/{id}.nii.gz\" in 'with')");
  write_file(dir / "oof" / "c2.nii.gz", "");
  const std::vector<Sample> s = read_table_source(source);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].values.get<std::string>("data.lowres"), (dir / "oof" / "c2.nii.gz").string());  // relative to the table's folder
  EXPECT_EQ(s[1].values.get<std::string>("data.image"), (dir / "c2.nii.gz").string());
  source.with = {{"data.lowres", "oof/{stem}.nii.gz"}};
  EXPECT_EQ(error_of([&] { read_table_source(source); }),
            "'with' data.lowres \"oof/{stem}.nii.gz\": unknown placeholder '{stem}' (a table's placeholder: {id})");
  source.with = {{"data.lowres", "oof/{id.nii.gz"}};
  EXPECT_EQ(error_of([&] { read_table_source(source); }), "'with' data.lowres \"oof/{id.nii.gz\": a '{' without its '}'");
}

TEST(GlobSource, MatchingFilesSortedWithStemIds) {
  const auto dir = fresh_dir("source_glob");
  for (const char* f : {"b.nii.gz", "a.nii.gz", "notes.txt"}) write_file(dir / f, "x");
  std::filesystem::create_directories(dir / "site2");
  write_file(dir / "site2" / "c.nii.gz", "x");
  const std::vector<Sample> flat = read_glob_source(GlobSource{dir, "*.nii.gz", "data.image", "{stem}", {}});
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].id, "a");
  EXPECT_EQ(flat[1].id, "b");
  EXPECT_EQ(flat[0].values.get<std::string>("data.image"), (dir / "a.nii.gz").string());
  const std::vector<Sample> deep = read_glob_source(GlobSource{dir, "**/*.nii.gz", "data.path", "{stem}", {}});
  ASSERT_EQ(deep.size(), 3u);
  EXPECT_EQ(deep[2].id, "site2/c");
}

// Folders of DICOM series: each matching folder is a sample named by its whole name (UIDs have dots), a
// series' own sub-folders are not searched, and a paired mask may sit beside it.
TEST(GlobSource, MatchingFoldersAreSamples) {
  const auto dir = fresh_dir("source_glob_folders");
  for (const char* series : {"p1/1.2.840.7", "p1/1.2.840.7/extra", "p2/1.2.840.9"}) std::filesystem::create_directories(dir / series);
  for (const char* f : {"p1/1.2.840.7/img1.dcm", "p1/1.2.840.7_seg.nii.gz", "p2/1.2.840.9/img1.dcm", "p2/1.2.840.9_seg.nii.gz", "p2/notes.txt"})
    write_file(dir / f, "x");
  GlobSource g{dir, "**/1.2.*", "data.image", "{stem}", {{"data.mask", "{name}_seg.nii.gz"}}};
  g.folders = true;
  const std::vector<Sample> series = read_glob_source(g);
  ASSERT_EQ(series.size(), 2u);  // not p1/1.2.840.7/extra, nor the masks (files)
  EXPECT_EQ(series[0].id, "p1/1.2.840.7");
  EXPECT_EQ(series[1].id, "p2/1.2.840.9");
  EXPECT_EQ(series[1].origin, "folder " + (dir / "p2" / "1.2.840.9").string());
  EXPECT_EQ(series[1].values.get<std::string>("data.mask"), (dir / "p2" / "1.2.840.9_seg.nii.gz").string());
  GlobSource flat{dir / "p2", "*", "data.image", "{stem}", {}};
  flat.folders = true;
  ASSERT_EQ(read_glob_source(flat).size(), 1u);  // the series, not notes.txt
  flat.pattern = "*.dcm";
  EXPECT_EQ(error_of([&] { read_glob_source(flat); }), "no folder in '" + (dir / "p2").string() + "' matches '*.dcm'");
}

TEST(GlobSource, NothingToReadIsAnError) {
  const auto dir = fresh_dir("source_glob_empty");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir, "*.nrrd", "data.path", "{stem}", {}}); }),
            "no file in '" + dir.string() + "' matches '*.nrrd'");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir / "nope", "*", "data.path", "{stem}", {}}); }),
            "sample folder '" + (dir / "nope").string() + "' does not exist or is not a folder");
}

TEST(GlobSource, PairedFilesAndIdsFromTheirTemplates) {
  // nnU-Net's layout: channel files "<case>_0000.nii.gz" in imagesTr, labels "<case>.nii.gz" in labelsTr.
  const auto dir = fresh_dir("source_glob_pairs");
  std::filesystem::create_directories(dir / "imagesTr");
  std::filesystem::create_directories(dir / "labelsTr");
  for (const char* c : {"la_003", "la_007"}) {
    write_file(dir / "imagesTr" / (std::string(c) + "_0000.nii.gz"), "x");
    write_file(dir / "imagesTr" / (std::string(c) + "_0001.nii.gz"), "x");
    write_file(dir / "labelsTr" / (std::string(c) + ".nii.gz"), "x");
  }
  GlobSource g{dir / "imagesTr", "*_0000.nii.gz", "data.t1", "{*}", {{"data.t2", "{*}_0001.nii.gz"}, {"data.mask", "../labelsTr/{*}.nii.gz"}}};
  const std::vector<Sample> s = read_glob_source(g);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "la_003");
  EXPECT_EQ(s[1].id, "la_007");
  EXPECT_EQ(s[1].values.get<std::string>("data.t1"), (dir / "imagesTr" / "la_007_0000.nii.gz").string());
  EXPECT_EQ(s[1].values.get<std::string>("data.t2"), (dir / "imagesTr" / "la_007_0001.nii.gz").string());
  EXPECT_EQ(s[1].values.get<std::string>("data.mask"), (dir / "labelsTr" / "la_007.nii.gz").string());
  // {stem} and {name}; the default id is the stem.
  const std::vector<Sample> named = read_glob_source(GlobSource{dir / "labelsTr", "*.nii.gz", "data.mask", "{stem}", {{"data.copy", "{name}"}}});
  EXPECT_EQ(named[0].id, "la_003");
  EXPECT_EQ(named[0].values.get<std::string>("data.copy"), (dir / "labelsTr" / "la_003.nii.gz").string());
  // A paired file missing, and templates that cannot be filled.
  std::filesystem::remove(dir / "labelsTr" / "la_007.nii.gz");
  EXPECT_EQ(error_of([&] { read_glob_source(g); }), "sample 'la_007' (file " + (dir / "imagesTr" / "la_007_0000.nii.gz").string() + "): no file '" +
                                                         (dir / "labelsTr" / "la_007.nii.gz").string() + "' for 'data.mask' (\"../labelsTr/{*}.nii.gz\" in 'with')");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir / "imagesTr", "*.nii.gz", "data.t1", "{case}", {}}); }),
            "'id' \"{case}\": unknown placeholder '{case}' (placeholders: {stem}, {name}, {*})");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir / "imagesTr", "*.nii.gz", "data.t1", "{stem}", {{"data.mask", "{stem.nii.gz"}}}); }),
            "'with' data.mask \"{stem.nii.gz\": a '{' without its '}'");
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir / "imagesTr", "la_003_0000.nii.gz", "data.t1", "{*}", {}}); }),
            "'id' \"{*}\": '{*}' is what the pattern's first '*' matched, and 'la_003_0000.nii.gz' has none");
  // Two files giving one id: "{*}" is the shortest match of the first '*' ("003").
  EXPECT_EQ(error_of([&] { read_glob_source(GlobSource{dir / "imagesTr", "la_*_*.nii.gz", "data.t1", "{*}", {}}); }),
            "files '" + (dir / "imagesTr" / "la_003_0000.nii.gz").string() + "' and '" + (dir / "imagesTr" / "la_003_0001.nii.gz").string() +
                "' have the same sample id '003'");
}

// A paired key marked optional is left out where its file is missing (a test folder's labels); one file alone
// is made a sample the same way, or none when its name does not match.
TEST(GlobSource, OptionalPairsAndOneFile) {
  const auto dir = fresh_dir("source_glob_optional");
  std::filesystem::create_directories(dir / "imagesTs");
  std::filesystem::create_directories(dir / "labelsTs");
  for (const char* c : {"la_003", "la_007"}) {
    write_file(dir / "imagesTs" / (std::string(c) + "_0000.nii.gz"), "x");
    write_file(dir / "imagesTs" / (std::string(c) + "_0001.nii.gz"), "x");
  }
  write_file(dir / "labelsTs" / "la_003.nii.gz", "x");
  GlobSource g{dir / "imagesTs", "*_0000.nii.gz", "data.t1", "{*}", {{"data.t2", "{*}_0001.nii.gz"}, {"data.mask", "../labelsTs/{*}.nii.gz"}}};
  g.optional = {"data.mask"};
  const std::vector<Sample> s = read_glob_source(g);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].values.get<std::string>("data.mask"), (dir / "labelsTs" / "la_003.nii.gz").string());
  EXPECT_FALSE(s[1].values.has("data.mask"));
  EXPECT_EQ(s[1].values.get<std::string>("data.t2"), (dir / "imagesTs" / "la_007_0001.nii.gz").string());
  g.pattern = "**/*_0000.nii.gz";  // the sub-folder search's pattern fits one file too
  const std::optional<Sample> one = glob_sample(g, dir / "imagesTs" / "la_007_0000.nii.gz");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->id, "la_007");
  EXPECT_EQ(one->values.get<std::string>("data.t2"), (dir / "imagesTs" / "la_007_0001.nii.gz").string());
  EXPECT_FALSE(glob_sample(g, dir / "imagesTs" / "la_007_0001.nii.gz").has_value());
  g.optional.clear();
  EXPECT_EQ(error_of([&] { glob_sample(g, dir / "imagesTs" / "la_007_0000.nii.gz"); }),
            "sample 'la_007' (file " + (dir / "imagesTs" / "la_007_0000.nii.gz").string() + "): no file '" + (dir / "labelsTs" / "la_007.nii.gz").string() +
                "' for 'data.mask' (\"../labelsTs/{*}.nii.gz\" in 'with')");
}

TEST(DatalistSource, TheDecathlonsDatasetJson) {
  const auto dir = fresh_dir("source_datalist");
  write_file(dir / "dataset.json", R"({
    "name": "Heart", "labels": {"0": "background", "1": "left atrium"}, "numTraining": 2,
    "training": [{"image": "./imagesTr/la_003.nii.gz", "label": "./labelsTr/la_003.nii.gz"},
                 {"image": "./imagesTr/la_007.nii.gz", "label": "./labelsTr/la_007.nii.gz", "fold": 1, "site": "b", "weight": 0.5}],
    "test": ["./imagesTs/la_001.nii.gz"],
    "multi": [{"id": "p1", "image": ["t1.nii.gz", "/data/t2.nii.gz"], "label": 1}]
  })");
  const std::vector<Sample> s = read_datalist_source(DatalistSource{dir / "dataset.json", "training", {{"label", "data.mask"}}, {"image", "label"}});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].id, "la_003");
  EXPECT_EQ(s[1].values.get<std::string>("data.image"), (dir / "imagesTr" / "la_007.nii.gz").string());
  EXPECT_EQ(s[1].values.get<std::string>("data.mask"), (dir / "labelsTr" / "la_007.nii.gz").string());
  EXPECT_EQ(s[1].values.get<int64_t>("data.fold"), 1);
  EXPECT_EQ(s[1].values.get<std::string>("data.site"), "b");
  EXPECT_DOUBLE_EQ(s[1].values.get<double>("data.weight"), 0.5);
  EXPECT_EQ(s[1].origin, "entry 2 of 'training' in " + (dir / "dataset.json").string() + ":4:18");
  const std::vector<Sample> test = read_datalist_source(DatalistSource{dir / "dataset.json", "test", {}, {"image", "label"}});
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0].id, "la_001");
  EXPECT_EQ(test[0].values.get<std::string>("data.image"), (dir / "imagesTs" / "la_001.nii.gz").string());
  // Several paths in one field, an "id" field, a number in a path field (a class label) kept as a number.
  const std::vector<Sample> multi = read_datalist_source(DatalistSource{dir / "dataset.json", "multi", {}, {"image", "label"}});
  EXPECT_EQ(multi[0].id, "p1");
  EXPECT_EQ(multi[0].values.get<std::string>("data.image.0"), (dir / "t1.nii.gz").string());
  EXPECT_EQ(multi[0].values.get<std::string>("data.image.1"), "/data/t2.nii.gz");
  EXPECT_EQ(multi[0].values.get<int64_t>("data.label"), 1);
}

TEST(DatalistSource, BadListsAreLocated) {
  const auto dir = fresh_dir("source_datalist_bad");
  const auto file = dir / "dataset.json";
  write_file(file, R"({"training": [{"image": "a.nii.gz"}, {"image": "sub/a.nii.gz"}], "validation": [],
                       "odd": [3], "nested": [{"image": "x.nii.gz", "meta": {"a": 1}}]})");
  EXPECT_EQ(error_of([&] { read_datalist_source(DatalistSource{file, "trainig", {}, {"image"}}); }),
            file.string() + ":1:1: no list 'trainig'; did you mean 'training'? (its lists: training, validation, odd, nested)");
  EXPECT_EQ(error_of([&] { read_datalist_source(DatalistSource{file, "training", {}, {"image"}}); }),
            "entry 2 of 'training' in " + file.string() + ":1:38: sample id 'a' is also that of entry 1 of 'training' in " + file.string() +
                ":1:15 (give each entry an \"id\")");
  EXPECT_EQ(error_of([&] { read_datalist_source(DatalistSource{file, "odd", {}, {"image"}}); }),
            file.string() + ":2:32: entry 1 of 'odd' is neither an object of fields nor a path");
  EXPECT_EQ(error_of([&] { read_datalist_source(DatalistSource{file, "nested", {}, {"image"}}); }),
            file.string() + ":2:77: field 'meta' of entry 1 of 'nested' is an object (fields hold numbers, text, or with 'paths' paths)");
  const std::string missing = error_of([&] { read_datalist_source(DatalistSource{dir / "none.json", "training", {}, {"image"}}); });
  EXPECT_NE(missing.find((dir / "none.json").string()), std::string::npos) << missing;
}

TEST(IdsSource, OneSamplePerId) {
  const std::vector<Sample> s = ids_source({"7", "9"}, "data.mnist_index");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].id, "9");
  EXPECT_EQ(s[1].values.get<std::string>("data.mnist_index"), "9");
}

// A key repeats the id only where every sample holds its own id there.
TEST(KeysRepeatingId, OnlyKeysEqualToTheIdInEverySample) {
  std::vector<Sample> samples = ids_source({"a", "b", "c"}, "data.id");
  for (Sample& s : samples) s.values.set("data.name", s.id), s.values.set("data.site", std::string("a"));
  samples[2].values.set("data.name", std::string("other"));
  EXPECT_EQ(keys_repeating_id(samples), (std::set<std::string>{"data.id"}));
  EXPECT_TRUE(keys_repeating_id({}).empty());
}

}  // namespace
}  // namespace fuse::data
