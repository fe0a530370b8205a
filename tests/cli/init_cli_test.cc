// fuse init: a starting experiment from a table, then fuse run on it.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "fuse/base/strings.h"
#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

// fuse with `args`, in folder `in` when given.
CommandResult fuse(const std::string& args, const fs::path& in = {}) {
  static const fs::path empty_home = fresh_dir("init_cli_home");
  return run_command((in.empty() ? "" : "cd '" + in.string() + "' && ") + "env -u FUSE_PLUGIN_PATH XDG_DATA_HOME='" + empty_home.string() + "' '" FUSE_BINARY "' " +
                     args);
}

// What `fuse init ARGS --out out.json` in `dir` says on stderr; it must fail.
std::string init_error(const std::string& args, const fs::path& dir) {
  const CommandResult r = fuse("init " + args + " --out out.json", dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  return r.err;
}

// 60 patients: a grade (low, mid, high) from x + y, a noisy age from x, a site, a free-text note, an empty y now
// and then.
fs::path write_table(const fs::path& dir) {
  std::ofstream out(dir / "patients.csv");
  out << "id,x,y,site,note,grade,age,label\n";
  for (int i = 0; i < 60; ++i) {
    const double x = std::sin(1.7 * i), y = std::cos(2.3 * i), s = x + y;
    out << "p" << i << "," << x << "," << (i % 11 == 0 ? std::string() : std::to_string(y)) << "," << (i % 3 == 0 ? "north" : "south") << ",note " << i << ","
        << (s < -0.5 ? "low" : s > 0.5 ? "high" : "mid") << "," << 60 + 10 * x + std::sin(5.1 * i) << "," << (s > 0 ? 1 : 0) << "\n";
  }
  return dir / "patients.csv";
}

// Writes `to` from the table `from` (the generated data sets' train.csv): `header`, then each data row as `row`
// makes it from its number and cells.
void rewrite_table(const fs::path& from, const fs::path& to, const std::string& header,
                   const std::function<std::string(int, const std::vector<std::string_view>&)>& row) {
  std::istringstream in(read_text(from));
  std::ofstream out(to);
  std::string line;
  std::getline(in, line);
  out << header << "\n";
  for (int i = 0; std::getline(in, line); ++i) out << row(i, split(line, ",")) << "\n";
}

// An n x n x n uint8 NIfTI volume of 1 mm voxels (uncompressed: the reader takes the header as it comes) whose
// voxel (x, y, z) is value(x, y, z).
void write_volume(const fs::path& file, int16_t n, const std::function<uint8_t(int, int, int)>& value) {
  char header[352] = {};
  const auto put = [&](size_t at, auto v) { std::memcpy(header + at, &v, sizeof v); };
  put(0, int32_t{348});  // sizeof_hdr
  for (size_t axis = 0; axis < 4; ++axis) put(40 + 2 * axis, axis == 0 ? int16_t{3} : n);  // dim
  put(70, int16_t{2});  // datatype: uint8
  put(72, int16_t{8});  // bitpix
  for (size_t axis = 0; axis < 4; ++axis) put(76 + 4 * axis, 1.0f);  // pixdim (qfac, then mm)
  put(108, 352.0f);  // vox_offset
  std::memcpy(header + 344, "n+1", 4);
  std::string voxels;
  for (int z = 0; z < n; ++z)
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) voxels += static_cast<char>(value(x, y, z));
  std::ofstream out(file, std::ios::binary);
  out.write(header, sizeof header);
  out << voxels;
}

// A label map of n^3 voxels, all 0 (background).
void write_empty_mask(const fs::path& file, int16_t n) {
  write_volume(file, n, [](int, int, int) { return uint8_t{0}; });
}

// A PNG's width and height, from its header.
std::pair<uint32_t, uint32_t> png_size(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char header[24] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  const auto big_endian = [&](size_t at) { return uint32_t{header[at]} << 24 | uint32_t{header[at + 1]} << 16 | uint32_t{header[at + 2]} << 8 | header[at + 3]; };
  return {big_endian(16), big_endian(20)};
}

// Writes `file` (relative to `dir`), a width x height grey picture whose pixel (x, y) is value(x, y), through
// `fuse op run fuse.io.write_image`; true when it was written.
bool write_picture(const fs::path& dir, const std::string& file, uint32_t width, uint32_t height, const std::function<int(uint32_t, uint32_t)>& value) {
  std::string rows;
  for (uint32_t y = 0; y < height; ++y) {
    std::string row;
    for (uint32_t x = 0; x < width; ++x) row += std::string(x ? ", " : "") + std::to_string(value(x, y));
    rows += std::string(y ? ", " : "") + "[" + row + "]";
  }
  std::ofstream(dir / "picture.json") << R"({"model": {"seg": [)" << rows << "]}}";
  return fuse("op run fuse.io.write_image --set path=" + file + " --input picture.json", dir).exit_code == 0;
}

TEST(FuseInit, ABinaryTargetGivesAnExperimentThatRuns) {
  const fs::path dir = fresh_dir("init_binary");
  write_table(dir);
  CommandResult r = fuse("init '" + (dir / "patients.csv").string() + "' --target label --exclude grade,age --groups site --out '" +
                         (dir / "exp" / "binary.json").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("binary classification of 'label' from 2 numbers and 1 categorical column\n  numbers: x, y\n  categories: site\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  left out note: 60 distinct texts in 60 rows: an id or free text\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  left out grade: --exclude\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "exp" / "binary.json");
  EXPECT_NE(text.find(R"("source": {"table": "../patients.csv"})"), std::string::npos) << text;  // relative to the experiment
  EXPECT_NE(text.find(R"({"op": "fuse.ops.nan_to_num", "keys": ["data.y"], "fit": true})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.ops.one_hot", "key": "data.site", "out": "data.site_onehot", "unknown": "zeros", "fit": true})"), std::string::npos);
  EXPECT_NE(text.find(R"("groups": ["data.site"])"), std::string::npos) << text;
  r = fuse("run '" + (dir / "exp" / "binary.json").string() + "' --epochs 3 --out '" + (dir / "run").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model component 'net': in_features 4 ("), std::string::npos) << r.out;  // x, y and two sites
  EXPECT_NE(r.out.find("evaluation: auc = "), std::string::npos) << r.out;
  // Written again only with --force.
  r = fuse("init '" + (dir / "patients.csv").string() + "' --target label --out '" + (dir / "exp" / "binary.json").string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fuse: error: '" + (dir / "exp" / "binary.json").string() + "' exists; choose another --out, or --force to replace it"), std::string::npos)
      << r.err;
}

// Two visits per patient, the patient's number in "PatientID": the folds keep a patient's visits together (no
// visit of a validated patient is trained on), and the number is no feature; "patient_age" is one.
TEST(FuseInit, APatientColumnKeepsItsRowsInOneFold) {
  const fs::path dir = fresh_dir("init_fold_groups");
  std::ofstream table(dir / "visits.csv");
  table << "id,PatientID,patient_age,x,label\n";
  for (int i = 0; i < 60; ++i)
    table << "v" << i << "," << i / 2 << "," << 40 + i / 2 % 20 << "," << std::sin(1.7 * i) << "," << (std::sin(1.7 * i) + 0.3 * std::cos(i) > 0) << "\n";
  table.close();
  CommandResult r = fuse("init visits.csv --target label --out visits.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  numbers: patient_age, x\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  left out PatientID: the folds' groups\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  folds keep each 'PatientID' whole (30 values over 60 rows): no patient is both trained on and validated (--fold-group none: each "
                       "row alone)\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "visits.json");
  EXPECT_NE(text.find(R"("folds": {"k": 5, "stratify": "data.label", "group": "data.PatientID", "file": "visits_folds.json"})"), std::string::npos) << text;
  r = fuse("run visits.json --epochs 1 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const boost::json::object folds = boost::json::parse(read_text(dir / "visits_folds.json")).as_object().at("folds").as_object();
  for (int visit = 0; visit < 60; visit += 2)
    EXPECT_EQ(folds.at("v" + std::to_string(visit)), folds.at("v" + std::to_string(visit + 1))) << "patient " << visit / 2;
  // Rows alone: the folds are not grouped, and the patient number is still no feature (an id by its name).
  r = fuse("init visits.csv --target label --fold-group none --out alone.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  left out PatientID: an id, by its name\n"), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "alone.json").find(R"("folds": {"k": 5, "stratify": "data.label", "file": "alone_folds.json"})"), std::string::npos);
  // A medical record number and a trial's participant name a patient too.
  for (const std::string column : {"MRN", "participant_id"}) {
    std::ofstream other(dir / "records.csv");
    other << "id," << column << ",x,label\n";
    for (int visit = 0; visit < 40; ++visit) other << "v" << visit << ",r" << visit / 2 << "," << visit % 7 << "," << visit % 3 % 2 << "\n";
    other.close();
    r = fuse("init records.csv --target label --force --out records.json", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("  folds keep each '" + column + "' whole (20 values over 40 rows)"), std::string::npos) << r.out;
  }
}

// Several 0/1 target columns: a multi-label classification (a sigmoid per label, binary cross-entropy), each
// label scored under its own name with the macro and micro averages; the folds keep the rarest label's shares.
TEST(FuseInit, SeveralZeroOneTargetsGiveAMultiLabelClassification) {
  const fs::path dir = fresh_dir("init_multilabel");
  std::ofstream table(dir / "findings.csv");
  table << "id,x,y,effusion,edema,grade\n";
  for (int i = 0; i < 80; ++i) {
    const double x = std::sin(1.3 * i), y = std::cos(0.7 * i);
    table << "p" << i << "," << x << "," << y << "," << (x + 0.3 * std::sin(5.0 * i) > 0) << "," << (y > 0.6) << "," << i % 3 << "\n";
  }
  table.close();
  CommandResult r = fuse("init findings.csv --target effusion,edema --exclude grade --out findings.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote findings.json: multi-label classification of 'effusion', 'edema' from 2 numbers\n"), std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "findings.json");
  EXPECT_NE(text.find(R"({"op": "fuse.ops.stack", "keys": ["data.effusion", "data.edema"], "out": "data.targets", "apply_if_present": ["data.effusion", )"
                      R"("data.edema"]})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("out_features": 2, "dropout": 0.1, "inputs": ["data.features"], "outputs": ["model.logits"]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("folds": {"k": 5, "stratify": ["data.effusion", "data.edema"], )"), std::string::npos) << text;  // by each row's rarest label
  EXPECT_NE(text.find(R"("evaluation": {"labels": ["data.effusion", "data.edema"], "score": "model.probs", "metrics": {"auc": {"component": "auc", )"
                      R"("undefined": "skip"}, )"),
            std::string::npos)
      << text;
  // The best epoch by the labels' mean validation AUC.
  EXPECT_NE(text.find(R"("metrics": {"auc": {"metric": "fuse.metrics.auc", "pred": "model.probs", "target": "data.targets", "average": "macro", "undefined": "skip"}},)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("monitor": "validation.auc", "mode": "max")"), std::string::npos) << text;
  r = fuse("run findings.json --epochs 2 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string log = read_text(dir / "run" / "log.csv");
  EXPECT_EQ(log.rfind("epoch,lr,train.loss,train.auc,train.auc.labels_scored,validation.loss,validation.auc,validation.auc.labels_scored,seconds\n", 0), 0u) << log;
  for (const char* line : {"evaluation: auc.data.effusion = ", "evaluation: auc.data.edema = ", "evaluation: auc.macro = "})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  // Refused: a label that is not 0/1, a label with empty cells, several targets for a regression.
  std::ofstream(dir / "bad.csv") << "id,x,a,b,c\np1,1,0,1,\np2,2,1,2,1\np3,3,0,0,0\n";
  const auto error = [&](const std::string& args) { return init_error(args, dir); };
  EXPECT_EQ(error("bad.csv --target a,b"), "fuse: error: bad.csv: the label 'b' holds 0, 1, 2; multi-label targets are 0 (absent) and 1 (present), both\n");
  EXPECT_EQ(error("bad.csv --target a,c"), "fuse: error: bad.csv: the label 'c' is empty in 1 rows: drop or fill them first (or --uncertain ones|zeros: a "
                                           "blank is 0, not mentioned, as in CheXpert)\n");
  EXPECT_EQ(error("bad.csv --target a,b --task regression"),
            "fuse: error: --target a,b names several columns: a multi-label classification, not a regression\n");
  EXPECT_EQ(error("bad.csv --target a,d"), "fuse: error: bad.csv: no column 'd' (--target; columns: id, x, a, b, c)\n");
}

// CheXpert's labels: 1.0, 0.0, -1.0 (uncertain) and blank (not mentioned). --uncertain says what -1 becomes;
// blanks are then 0, and the folds count both as without the label.
TEST(FuseInit, UncertainLabelsBecomeOnesOrZerosWhenAsked) {
  const fs::path dir = fresh_dir("init_uncertain");
  std::ofstream table(dir / "chexpert.csv");
  table << "Path,x,y,Edema,Effusion\n";
  for (int i = 0; i < 60; ++i) {
    const double x = std::sin(1.3 * i), y = std::cos(0.7 * i);
    const std::string edema = i % 10 == 3 ? "-1.0" : x > 0.2 ? "1.0" : "0.0", effusion = i % 7 == 0 ? "" : y > 0 ? "1.0" : i % 5 == 0 ? "-1.0" : "0.0";
    table << "s" << i << "," << x << "," << y << "," << edema << "," << effusion << "\n";
  }
  table.close();
  const auto error = [&](const std::string& args) { return init_error(args, dir); };
  EXPECT_EQ(error("chexpert.csv --target Edema,Effusion"),
            "fuse: error: chexpert.csv: the label 'Edema' holds -1 (uncertain, as CheXpert's): say what it becomes with --uncertain ones or --uncertain zeros\n");
  EXPECT_EQ(error("chexpert.csv --target Effusion,Edema"),
            "fuse: error: chexpert.csv: the label 'Effusion' is empty in 9 rows: drop or fill them first (or --uncertain ones|zeros: a blank is 0, not mentioned, "
            "as in CheXpert)\n");
  EXPECT_EQ(error("chexpert.csv --target Edema --uncertain ones"),
            "fuse: error: --uncertain maps the -1 of several 0/1 label columns (--target a,b,c: a multi-label classification); --target Edema names one\n");
  CommandResult r = fuse("init chexpert.csv --target Edema,Effusion --uncertain ones --out u.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = read_text(dir / "u.json");
  EXPECT_NE(text.find("// Made by `fuse init chexpert.csv --target Edema,Effusion --uncertain ones`"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.ops.nan_to_num", "keys": ["data.Effusion"], "nan": 0, "apply_if_present": ["data.Effusion"]})"), std::string::npos) << text;
  EXPECT_NE(text.find("// an uncertain label (-1) is 1 (U-Ones)\n"
                      R"(      {"op": "fuse.ops.replace_values", "keys": ["data.Edema", "data.Effusion"], "from": [-1], "to": [1], )"
                      R"("apply_if_present": ["data.Edema", "data.Effusion"]})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("folds": {"k": 5, "stratify": ["data.Edema", "data.Effusion"], )"), std::string::npos) << text;
  r = fuse("run u.json --epochs 2 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: auc.data.Edema = "), std::string::npos) << r.out;
  // The targets the evaluation scored: -1 became 1, blanks 0.
  const std::string predictions = read_text(dir / "run" / "predictions.csv");
  EXPECT_EQ(predictions.find(",-1,"), std::string::npos) << predictions;
  // A test table through the bundle: its -1 mapped as in training, in the label's own column, then scored.
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --table chexpert.csv --out test --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: auc.data.Edema = "), std::string::npos) << r.out;
  const std::string tested = read_text(dir / "test" / "predictions.csv");
  EXPECT_EQ(tested.rfind("id,data.Path,data.x,data.y,data.Edema,data.Effusion,", 0), 0u) << tested;
  EXPECT_EQ(tested.find(",-1,"), std::string::npos) << tested;
  // A label that --uncertain zeros leaves without positives.
  std::ofstream(dir / "zeros.csv") << "id,x,a,b\np1,1,-1,0\np2,2,0,1\np3,3,-1,1\np4,4,0,0\n";
  EXPECT_EQ(error("zeros.csv --target a,b --uncertain zeros"),
            "fuse: error: zeros.csv: the label 'a' holds -1, 0; multi-label targets are 0 (absent) and 1 (present), both, with -1 as 0\n");
}

// One text column listing each row's labels (ChestX-ray14's "Finding Labels": "Effusion|Edema", "No Finding"):
// a multi-label classification with a 0/1 key per label, the folds stratified by each row's rarest label.
TEST(FuseInit, ATextColumnListingLabelsGivesAMultiLabelClassification) {
  const fs::path dir = fresh_dir("init_label_list");
  std::ofstream table(dir / "findings.csv");
  table << "id,x,y,findings\n";
  for (int i = 0; i < 90; ++i) {
    const double x = std::sin(1.3 * i), y = std::cos(0.7 * i);
    std::vector<std::string> labels;
    if (x + 0.3 * std::sin(5.0 * i) > 0) labels.push_back("Effusion");
    if (y > 0.6) labels.push_back("Edema");
    if (i % 9 == 0) labels.push_back("Mass");
    table << "p" << i << "," << x << "," << y << "," << (labels.empty() ? "No Finding" : join(labels, "|")) << "\n";
  }
  table.close();
  CommandResult r = fuse("init findings.csv --target findings --out findings.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote findings.json: multi-label classification of the 3 labels in 'findings' (Edema, Effusion, Mass; 'No Finding' lists none) "
                       "from 2 numbers\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "findings.json");
  EXPECT_NE(text.find(R"({"op": "fuse.ops.split_labels", "key": "data.findings", "labels": ["Edema", "Effusion", "Mass"],)" "\n"
                      R"(       "out": ["data.Edema", "data.Effusion", "data.Mass"], "separator": "|", "none": ["No Finding"], "apply_if_present": "data.findings"})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"op": "fuse.ops.stack", "keys": ["data.Edema", "data.Effusion", "data.Mass"], "out": "data.targets", "apply_if_present": )"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("folds": {"k": 5, "stratify": "data.findings", "separator": "|", )"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("evaluation": {"labels": ["data.Edema", "data.Effusion", "data.Mass"], "score": "model.probs", )"), std::string::npos) << text;
  r = fuse("run findings.json --epochs 2 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"evaluation: auc.data.Edema = ", "evaluation: auc.data.Effusion = ", "evaluation: auc.data.Mass = ", "evaluation: auc.macro = "})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  // The bundle scores a table that lists the labels, and predicts one that does not.
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --table findings.csv --out test --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: auc.macro = "), std::string::npos) << r.out;
  {
    std::ifstream in(dir / "findings.csv");
    std::ofstream out(dir / "new.csv");
    for (std::string row; std::getline(in, row);) out << row.substr(0, row.rfind(',')) << "\n";
  }
  r = fuse("infer bundle --table new.csv --out new --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("not evaluated: the inputs carry no 'data.Edema' (the evaluation's label)"), std::string::npos) << r.out;
  // Refused: an empty cell, a label too rare for the folds, a label whose key a column has, one label only.
  const auto error = [&](const std::string& cells) {
    std::ofstream bad(dir / "bad.csv");
    bad << "id,x,Mass,findings\n";
    for (size_t i = 0; i < 12; ++i) bad << "p" << i << "," << i << "," << i % 2 << "," << split(cells, ',')[i % split(cells, ',').size()] << "\n";
    bad.close();
    return init_error("bad.csv --target findings --exclude Mass", dir);
  };
  EXPECT_EQ(error("A|B,A,B,"), "fuse: error: bad.csv: the target 'findings' is empty in 3 rows: drop or fill them first (\"No Finding\" lists no label)\n");
  EXPECT_EQ(error("A|B,A,B,A|C,A,B"),
            "fuse: error: bad.csv: the target 'findings' lists labels a model cannot be validated on in 5 folds: 'C' (2 rows); each label needs at least 5 "
            "rows with it and some without (merge or drop it first)\n");
  EXPECT_EQ(error("A|Mass,A,Mass,B"), "fuse: error: bad.csv: the target 'findings': the label 'Mass' would be key 'data.Mass', which column 'Mass' already is; rename the column\n");
  EXPECT_EQ(error("A|none,A,none"), "fuse: error: bad.csv: the target 'findings' lists one label only ('A'): make it a 0/1 column\n");
}

TEST(FuseInit, TextClassesAndARegressionRun) {
  const fs::path dir = fresh_dir("init_tasks");
  write_table(dir);
  CommandResult r = fuse("init patients.csv --target grade --exclude label,age --out multi.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3-class classification of 'grade'"), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "multi.json")
                .find(R"({"op": "fuse.ops.lookup", "key": "data.grade", "out": "data.grade_class", "fit": true, "apply_if_present": "data.grade"})"),
            std::string::npos);
  r = fuse("run multi.json --epochs 2 --out run_multi", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fuse.ops.lookup on 'data.grade': table {\"high\": 0, \"low\": 1, \"mid\": 2}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: accuracy = "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: auc.macro = "), std::string::npos) << r.out;  // each class against the rest
  EXPECT_NE(read_text(dir / "run_multi" / "report.html").find("<img alt=\"ROC curve of roc.class_2\""), std::string::npos);
  // The bundle predicts a table without the target (its step is skipped) and scores one with it (the class
  // index the step makes is what the evaluation compares with).
  {
    std::ifstream in(dir / "patients.csv");
    std::ofstream out(dir / "new.csv");
    for (std::string row; std::getline(in, row);) {
      size_t cut = 0;
      for (int comma = 0; comma < 4; ++comma) cut = row.find(',', cut) + 1;
      out << row.substr(0, cut - 1) << "\n";  // id, x, y, site
    }
  }
  ASSERT_EQ(fuse("export run_multi --out bundle_multi", dir).exit_code, 0);
  r = fuse("infer bundle_multi --table new.csv --out new_multi --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("not evaluated: the inputs carry no 'data.grade_class' (the evaluation's target)"), std::string::npos) << r.out;
  r = fuse("infer bundle_multi --table patients.csv --out test_multi --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: accuracy = "), std::string::npos) << r.out;

  r = fuse("init patients.csv --target age --exclude label,grade --out regression.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("regression of 'age' from 2 numbers and 1 categorical column"), std::string::npos) << r.out;
  r = fuse("run regression.json --epochs 2 --no-progress --out run_regression", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: regression.r2 = "), std::string::npos) << r.out;  // every output of a metric without a headline one
  EXPECT_EQ(r.out.find("evaluation: observed"), std::string::npos) << r.out;                 // a chart's numbers are not printed
  EXPECT_NE(read_text(dir / "run_regression" / "report.html").find("<img alt=\"observed against predicted, observed\""), std::string::npos);
  ASSERT_EQ(fuse("export run_regression --out bundle_regression", dir).exit_code, 0);
  r = fuse("infer bundle_regression --table new.csv --out new_regression --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("not evaluated: the inputs carry no 'data.age' (the evaluation's target)"), std::string::npos) << r.out;
  r = fuse("infer bundle_regression --table patients.csv --out test_regression --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: regression.r2 = "), std::string::npos) << r.out;
  // The model learns the standardised age; the postprocess gives it back in years (ages 50 to 70 here), with
  // the training folds' mean and standard deviation, which the run's config.json holds.
  {
    std::istringstream rows(read_text(dir / "test_regression" / "predictions.csv"));
    std::string header;
    std::getline(rows, header);
    EXPECT_EQ(header, "id,data.x,data.y,data.site,data.note,data.grade,data.age,data.label,model.pred_z,model.pred");
    double sum = 0;
    int n = 0;
    for (std::string row; std::getline(rows, row); ++n) sum += std::stod(row.substr(row.rfind(',') + 1));
    ASSERT_EQ(n, 60);
    EXPECT_GT(sum / n, 55.0);
    EXPECT_LT(sum / n, 65.0);
  }
  const boost::json::value config = boost::json::parse(read_text(dir / "run_regression" / "config.json"));
  const boost::json::object& inverse = config.at("postprocess").at(1).as_object();
  EXPECT_FALSE(inverse.contains("fit"));
  EXPECT_TRUE(inverse.at("inverse").as_bool());
  EXPECT_NEAR(inverse.at("mean").as_double(), 60.0, 3.0);
  EXPECT_NEAR(inverse.at("std").as_double(), 7.2, 1.5);

  // A column named as an identifier is left out, whatever it holds.
  std::ofstream(dir / "ids.csv") << "patient_id,Scan ID,v,label\n1,7,0.5,0\n2,8,0.1,1\n3,9,0.7,0\n4,10,0.2,1\n";
  r = fuse("init ids.csv --target label --out ids.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  numbers: v\n  left out patient_id: an id, by its name\n  left out Scan ID: an id, by its name\n"), std::string::npos) << r.out;

  // Column names that are no key (a space, a dot) get one through the source's "keys", and the experiment runs.
  std::ofstream spaced(dir / "spaced.csv");
  spaced << "id,body mass,Smoking Status,v1.2,label\n";
  for (int i = 0; i < 40; ++i) spaced << "s" << i << "," << 20 + i % 9 << "," << (i % 3 ? "never" : "former") << "," << i % 4 << "," << i % 2 << "\n";
  spaced.close();
  r = fuse("init spaced.csv --target label --out spaced.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_text(dir / "spaced.json")
                .find(R"("keys": {"body mass": "data.body_mass", "Smoking Status": "data.Smoking_Status", "v1.2": "data.v1_2"})"),
            std::string::npos);
  r = fuse("run spaced.json --epochs 1 --out run_spaced", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fuse.ops.one_hot on 'data.Smoking_Status': categories [\"former\", \"never\"]"), std::string::npos) << r.out;

  // Two text classes: the score is the probability of the second in sorted order.
  r = fuse("init patients.csv --target site --exclude label,grade --out sites.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_text(dir / "sites.json").find("// the classes numbered 0, 1, ... in sorted order; model.score is the probability of 'south' (a table"), std::string::npos);
}

TEST(FuseInit, ASurvivalTableRuns) {
  const fs::path dir = fresh_dir("init_survival");
  std::ofstream table(dir / "followup.csv");
  table << "id,x,site,years,progressed\n";
  for (int i = 0; i < 80; ++i)
    table << "p" << i << "," << std::sin(1.3 * i) << "," << (i % 2 ? "a" : "b") << "," << 1 + std::exp(-std::sin(1.3 * i)) + 0.1 * (i % 7) << "," << (i % 3 ? 1 : 0)
          << "\n";
  table.close();
  CommandResult r = fuse("init followup.csv --time years --event progressed --out survival.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote survival.json: survival ('years' to the event 'progressed') from 1 number and 1 categorical column\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "survival.json");
  EXPECT_NE(text.find(R"("losses": {"cox": {"loss": "fuse.losses.cox", "pred": "model.risk", "time": "data.years", "event": "data.progressed"}})"), std::string::npos)
      << text;
  r = fuse("run survival.json --epochs 2 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: c_index = "), std::string::npos) << r.out;
  // Without progress, what was fitted is still said (the columns' statistics, the baseline after training); no epoch lines.
  EXPECT_NE(r.out.find("fuse.ops.zscore on '"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fuse.ops.cox_survival on 'model.risk': Breslow baseline hazard at "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("epoch 1/2:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: survival_auc = "), std::string::npos) << r.out;  // at the median time
  // The median time to three significant digits (2.35215 exactly).
  EXPECT_NE(text.find(R"(// the AUC of an event by 2.35 (the median time) against no event until then)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("survival_auc": {"component": "survival_auc", "config": {"pred": "model.survival", "time": "data.years", "event": "data.progressed", )"
                      R"("higher_is_longer": true, "horizon": 2.35}},)"),
            std::string::npos)
      << text;
  EXPECT_NE(read_text(dir / "run" / "report.html").find("<img alt=\"Kaplan-Meier curves by predicted risk, km\""), std::string::npos);
  // The Cox model's probabilities: the baseline hazard fitted to the training folds' risks once training ends.
  EXPECT_NE(text.find(R"("postprocess": [{"op": "fuse.ops.cox_survival", "key": "model.risk", "out": "model.survival", "survival_at": 2.35, "fit": {"time": )"
                      R"("data.years", "event": "data.progressed"}},)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"op": "fuse.ops.cox_survival", "key": "model.risk", "out": "model.survival_curve", "survival_times": [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4], )"),
            std::string::npos)
      << text;
  for (const char* line : {"evaluation: calibration.calibration_error = ", "evaluation: survival_brier.brier_skill = ",
                           "evaluation: integrated_brier = ", "evaluation: auc_over_time = "})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  // Refused: half a survival target, an event that is not 0/1, a negative time.
  std::ofstream(dir / "bad.csv") << "id,x,t,e,n,w,g\na,1,2,0,-1,,u\nb,2,3,2,1,1,v\nc,3,4,1,2,0,w\n";
  const auto error = [&](const std::string& args) { return init_error(args, dir); };
  EXPECT_EQ(error("bad.csv --time t"), "fuse: error: a survival target needs both --time COLUMN and --event COLUMN\n");
  EXPECT_EQ(error("bad.csv --time t --event e"),
            "fuse: error: bad.csv: the event column 'e' must hold 0 (follow-up ended first) and 1 (the event happened), both\n");
  EXPECT_EQ(error("bad.csv --time n --event x"), "fuse: error: bad.csv: the time column 'n' holds a negative time (-1.000000)\n");
  EXPECT_EQ(error("bad.csv --time g --event e"), "fuse: error: bad.csv: the time column 'g' holds text; it must hold numbers\n");
  std::ofstream(dir / "empty.csv") << "id,x,t,e\na,1,2,\nb,2,3,\n";
  EXPECT_EQ(error("empty.csv --time t --event e"), "fuse: error: empty.csv: the event column 'e' is empty in every row\n");
  // An event coded otherwise (Alive/Dead): which value is the event, given with the column; without it, the
  // message says how.
  std::ofstream vital_table(dir / "vital.csv");
  vital_table << "id,x,years,status\n";
  for (int i = 0; i < 40; ++i) vital_table << "v" << i << "," << i % 9 << "," << 1 + (i * 7) % 10 << "," << (i % 2 ? "Dead" : "Alive") << "\n";
  vital_table.close();
  EXPECT_EQ(error("vital.csv --time years --event status"),
            "fuse: error: vital.csv: the event column 'status' holds text; it must hold numbers (or say which value is the event: --event status=VALUE, "
            "one of 'Alive', 'Dead')\n");
  EXPECT_EQ(error("vital.csv --time years --event status=dead"),
            "fuse: error: vital.csv: --event status=dead: the column must hold two values, 'dead' (the event) and one for follow-up ended first; it "
            "holds 'Alive', 'Dead'\n");  // equally frequent: in value order
  EXPECT_EQ(error("bad.csv --time t --event g=u"),
            "fuse: error: bad.csv: --event g=u: the column must hold two values, 'u' (the event) and one for follow-up ended first; it holds 'u', 'v', 'w'\n");
  r = fuse("init vital.csv --time years --event status=Dead --out vital.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote vital.json: survival ('years' to the event 'status = Dead') from 1 number\n"), std::string::npos) << r.out;
  const std::string vital = read_text(dir / "vital.json");
  EXPECT_NE(vital.find("// Made by `fuse init vital.csv --time years --event status=Dead`"), std::string::npos) << vital;
  EXPECT_NE(vital.find(R"({"op": "fuse.ops.lookup", "key": "data.status", "out": "data.status_event", "table": {"Dead": 1, "Alive": 0}, "apply_if_present": "data.status"})"),
            std::string::npos)
      << vital;
  EXPECT_NE(vital.find(R"("losses": {"cox": {"loss": "fuse.losses.cox", "pred": "model.risk", "time": "data.years", "event": "data.status_event"}},)"),
            std::string::npos)
      << vital;
  EXPECT_NE(vital.find(R"("folds": {"k": 5, "stratify": "data.status", )"), std::string::npos) << vital;  // by the source's column
  r = fuse("run vital.json --epochs 1 --no-progress --out vital_run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: c_index = "), std::string::npos) << r.out;
  // Rows without an event or a time are left out ("required").
  r = fuse("init bad.csv --time t --event w --exclude n,g,e --out partial.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  rows left out: 1 without 'w' (the source's \"required\": nothing to learn from)\n"), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "partial.json").find(R"("source": {"table": "bad.csv", "required": ["w"]},)"), std::string::npos);
}

// --survival-model discrete: the time's bin fitted to the training folds, per-bin probabilities, an expected
// time and a probability of no event by --horizon, scored by the C-index, the AUC, calibration and Brier score.
TEST(FuseInit, ADiscreteTimeSurvivalTableRuns) {
  const fs::path dir = fresh_dir("init_discrete_survival");
  std::ofstream table(dir / "followup.csv");
  table << "id,x,years,progressed\n";
  for (int i = 0; i < 80; ++i) table << "p" << i << "," << std::sin(1.3 * i) << "," << 1 + std::exp(-std::sin(1.3 * i)) + 0.1 * (i % 7) << "," << (i % 3 ? 1 : 0) << "\n";
  table.close();
  CommandResult r = fuse("init followup.csv --time years --event progressed --survival-model discrete --horizon 2 --out discrete.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote discrete.json: discrete-time survival ('years' to the event 'progressed') from 1 number\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "discrete.json");
  for (const char* part : {
           "// Made by `fuse init followup.csv --time years --event progressed --survival-model discrete --horizon 2`",
           R"({"op": "fuse.ops.time_bins", "key": "data.years", "out": "data.years_bin", "bins": 10, "fit": true, "apply_if_present": "data.years"})",
           R"("out_features": 10, "dropout": 0.1, "inputs": ["data.features"], "outputs": ["model.logits", "model.probs"]})",
           R"({"op": "fuse.ops.time_bins", "key": "model.probs", "out": "model.survival", "bins": 10, "survival_at": 2, "fit": {"from": "data.years"}},)",
           R"("losses": {"nll": {"loss": "fuse.losses.discrete_time", "pred": "model.logits", "bin": "data.years_bin", "event": "data.progressed"}},)",
           "// the AUC of an event by 2 against no event until then\n",
           // the curve at round steps up to about 8 tenths of the longest time (4.28)
           R"("survival_times": [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4], "fit": {"from": "data.years"}}],)",
           R"("integrated_brier": {"component": "integrated_brier", "config": {"pred": "model.survival_curve", "time": "data.years", "event": "data.progressed", "times": [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]}},)"})
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  r = fuse("run discrete.json --epochs 2 --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fuse.ops.time_bins on 'data.years': max "), std::string::npos) << r.out;
  for (const char* line : {"evaluation: c_index = ", "evaluation: survival_auc = ", "evaluation: calibration.calibration_error = ",
                           "evaluation: survival_brier.brier_skill = ", "evaluation: integrated_brier = "})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  EXPECT_NE(read_text(dir / "run" / "report.html").find("<img alt=\"survival calibration, calibration\""), std::string::npos);
  // Refused: the options without a survival target, a horizon no one is followed past, an unknown model.
  const auto error = [&](const std::string& args) { return init_error(args, dir); };
  EXPECT_EQ(error("followup.csv --target x --horizon 5"), "fuse: error: --horizon is for a survival target: give --time and --event\n");
  EXPECT_EQ(error("followup.csv --target x --survival-model discrete"), "fuse: error: --survival-model is for a survival target: give --time and --event\n");
  EXPECT_EQ(error("followup.csv --time years --event progressed --horizon 9"),
            "fuse: error: --horizon 9 is not before the longest time in 'years' (4.28371): nobody is followed past it\n");
  EXPECT_EQ(error("followup.csv --time years --event progressed --horizon -1"),
            "fuse: error: --horizon -1: a time after 0, in the times' unit (e.g. 5 for five years)\n");
  std::ofstream(dir / "zeros.csv") << "id,x,years,progressed\na,1,0,1\nb,2,0,0\nc,3,0,1\nd,4,0,0\n";
  EXPECT_EQ(error("zeros.csv --time years --event progressed --survival-model discrete"),
            "fuse: error: zeros.csv: the time column 'years' holds only 0; survival needs times after the start\n");
  EXPECT_EQ(error("zeros.csv --time years --event progressed"), "fuse: error: zeros.csv: the time column 'years' holds only 0; survival needs times after the start\n");
  r = fuse("init followup.csv --time years --event progressed --survival-model weibull", dir);
  EXPECT_NE(r.err.find("--survival-model: weibull not in {cox,discrete}"), std::string::npos) << r.err;
}

TEST(FuseInit, ImagesAndLabelMapsGiveASegmentationThatRunsAndInfers) {
  const fs::path dir = fresh_dir("init_segmentation");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 6 32 32 16").exit_code, 0);
  CommandResult r = fuse("init data/train.csv --mask mask --threads 2 --out seg.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote seg.json: 3D segmentation of labels 1 ("), std::string::npos) << r.out;
  EXPECT_EQ(read_text(dir / "seg.json").find("\"encoder\""), std::string::npos);  // the plain encoder by default
  EXPECT_NE(r.out.find(" voxels) in 6 images\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nnext: fuse run seg.json --out runs/seg; fuse choose-postprocess seg.json runs/seg; fuse export runs/seg --out seg_bundle\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "seg.json");
  EXPECT_NE(text.find(R"("source": {"table": "data/train.csv", "paths": ["image", "mask"]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("num_classes": 3, "channels": [16, 32, 64], "norm": "instance")"), std::string::npos) << text;  // labels 0, 1, 2
  EXPECT_NE(text.find(R"("class_ratios": [1, 1, 1])"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("size": [40, 40, 16], "class_ratios")"), std::string::npos) << text;  // the resampled size, under 64
  EXPECT_NE(text.find(R"("folds": {"k": 3, "group": "data.patient", "file": "seg_folds.json"})"), std::string::npos) << text;  // 3 patients of 2 cases
  // Smaller patches, and nnU-Net's residual encoder (ResEnc), which trains.
  ASSERT_EQ(fuse("init data/train.csv --mask mask --threads 2 --max-size 8 --encoder residual --out small.json", dir).exit_code, 0);
  const std::string small = read_text(dir / "small.json");
  EXPECT_NE(small.find(R"("size": [8, 8, 8], "class_ratios")"), std::string::npos) << small;
  EXPECT_NE(small.find(R"("channels": [16, 32, 64], "norm": "instance", "encoder": "residual",)"), std::string::npos) << small;
  EXPECT_NE(small.find("// Made by `fuse init data/train.csv --image image --mask mask --encoder residual --max-size 8`:"), std::string::npos) << small;
  r = fuse("run small.json --epochs 1 --out run_small", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fuse("init data/train.csv --target lesion --encoder residual --out none.json", dir).err,
            "fuse: error: --encoder chooses a segmentation UNet's encoder: give --mask COLUMN (or an nnU-Net folder)\n");
  EXPECT_NE(fuse("init data/train.csv --mask mask --encoder resnet --out none.json", dir).err.find("--encoder: resnet not in {plain,residual}"), std::string::npos);
  r = fuse("run seg.json --epochs 1 --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model component 'net': in_channels 1 ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loss 'dice_ce': class_weights and dice_class_weights [1, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("] (voxels of class 0..2 in the training label maps 'data.seg': "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("validation.dice = "), std::string::npos) << r.out;
  // The template's post-processing choice: its validation metric judges, and its write step's scores follow.
  r = fuse("choose-postprocess seg.json run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("judged by the Dice of 'dice' on model.seg over "), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --input data/images/case00_ct.nii.gz --output case00_seg.nii.gz", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "case00_seg.nii.gz"));

  // The same cases in a Decathlon data list (dataset.json, its fields "image" and "label").
  std::ofstream list(dir / "data" / "dataset.json");
  list << R"({"name": "toy", "training": [)";
  for (int i = 0; i < 6; ++i)
    list << (i ? ", " : "") << R"({"image": "images/case0)" << i << R"(_ct.nii.gz", "label": "images/case0)" << i << R"(_mask.nii.gz"})";
  list << "]}";
  list.close();
  r = fuse("init data/dataset.json --mask label --threads 2 --out decathlon.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" voxels) in 6 images\n"), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "decathlon.json").find(R"("source": {"datalist": "data/dataset.json", "paths": ["image", "label"]})"), std::string::npos);
  fs::create_directories(dir / "oof");
  EXPECT_EQ(fuse("init data/dataset.json --mask label --cascade oof --threads 2 --out none.json", dir).err,
            "fuse: error: --cascade: a data list's entries take no paired files; give the cases as a table (image and mask columns) or an nnU-Net "
            "folder\n");
  r = fuse("data show decathlon.json --n 2 --out show.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "show.png"));

  r = fuse("init data/dataset.json --mask label --fold-group patient --out none.json", dir);
  EXPECT_EQ(r.err, "fuse: error: --fold-group names a table's column; data/dataset.json is a data list: set \"folds\": {\"group\": \"data.<field>\"} in the "
                   "experiment\n");
  // Refused: an entry without the mask field; "masks" that hold negative values (the CT images themselves).
  r = fuse("init data/dataset.json --mask seg --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(": no path in field 'seg' (--mask)\n"), std::string::npos) << r.err;
  r = fuse("init data/train.csv --mask image --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: --image and --mask both name 'image': the label maps are another column\n");
  std::ofstream(dir / "data" / "ct_as_mask.csv") << "id,image,mask\n"
                                                  << "a,images/case00_ct.nii.gz,images/case00_ct.nii.gz\nb,images/case01_ct.nii.gz,images/case01_ct.nii.gz\n"
                                                  << "c,images/case02_ct.nii.gz,images/case02_ct.nii.gz\nd,images/case03_ct.nii.gz,images/case03_ct.nii.gz\n";
  r = fuse("init data/ct_as_mask.csv --mask mask --threads 2 --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fuse: error: data/ct_as_mask.csv: the masks hold label -"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; labels are 0 (background), 1, 2, ...\n"), std::string::npos) << r.err;
  std::ofstream empty_list(dir / "data" / "empty_masks.csv");
  empty_list << "id,image,mask\n";
  for (int i = 0; i < 4; ++i) {
    write_empty_mask(dir / "data" / ("empty" + std::to_string(i) + ".nii"), 8);
    empty_list << i << ",images/case0" << i << "_ct.nii.gz,empty" << i << ".nii\n";
  }
  empty_list.close();
  r = fuse("init data/empty_masks.csv --mask mask --threads 2 --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: data/empty_masks.csv: the masks hold only label 0 (background): there is nothing to segment\n");
}

// Several image columns (a case's MRI sequences) are the channels of one image: read together, moved alike, a
// model of 2 input channels; inference reads the row's files (a table), and a row whose files lie on different
// grids is refused before anything is written.
TEST(FuseInit, SeveralImageColumnsAreOneImagesChannels) {
  const fs::path dir = fresh_dir("init_channels");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 6 32 32 16").exit_code, 0);
  for (int i = 0; i < 6; ++i)  // a second sequence on the first's grid
    fs::copy_file(dir / "data" / "images" / ("case0" + std::to_string(i) + "_ct.nii.gz"), dir / "data" / "images" / ("case0" + std::to_string(i) + "_t2.nii.gz"));
  write_empty_mask(dir / "data" / "images" / "small.nii", 8);
  for (const bool bad : {false, true})
    rewrite_table(dir / "data" / "train.csv", dir / "data" / (bad ? "bad.csv" : "multi.csv"), "id,image,t2,mask,lesion,patient",
                  [&](int i, const std::vector<std::string_view>& cells) {
                    const std::string t2 = bad && i == 2 ? "images/small.nii" : "images/case0" + std::to_string(i) + "_t2.nii.gz";
                    return std::string(cells[0]) + "," + std::string(cells[1]) + "," + t2 + "," + std::string(cells[2]) + "," + std::string(cells[3]) + "," +
                           std::string(cells[4]);
                  });
  CommandResult r = fuse("init data/multi.csv --image image,t2 --mask mask --threads 2 --out seg.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" voxels) in 6 images of 2 channels (image, t2)\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "seg.json");
  EXPECT_NE(text.find(R"("source": {"table": "data/multi.csv", "paths": ["image", "t2", "mask"]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.io.read_medical_channels", "path_keys": ["data.image", "data.t2"], "key": "data.scan", "dtype": "float32"})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("// Made by `fuse init data/multi.csv --image image,t2 --mask mask`:"), std::string::npos) << text;
  // Either sequence drawn (--channel); one that is not there is named.
  r = fuse("data show seg.json --n 1 --channel 1 --out t2.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "t2.png"));
  r = fuse("data show seg.json --n 1 --channel 2 --out none.png", dir);
  EXPECT_NE(r.err.find("fuse: error: key 'data.scan' has 2 channels (shape [2, "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("]); channel 2 is not one of them (0 to 1)\n"), std::string::npos) << r.err;
  r = fuse("run seg.json --epochs 1 --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model component 'net': in_channels 2 ("), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --table data/multi.csv --out scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: dice = "), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "scored" / "case03.nii.gz"));
  r = fuse("infer bundle --input data/images/case00_ct.nii.gz --output case00_seg.nii.gz", dir);  // one sequence alone
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("key 'data.t2' missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("`fuse infer BUNDLE --table rows.csv`"), std::string::npos) << r.err;
  // A classification of the same images by their lesion column.
  r = fuse("init data/multi.csv --image image,t2 --target lesion --threads 2 --out lesion.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("from 6 images of 2 channels (image, t2)\n"), std::string::npos) << r.out;
  const std::string lesion = read_text(dir / "lesion.json");
  EXPECT_NE(lesion.find(R"("paths": ["image", "t2"])"), std::string::npos) << lesion;
  EXPECT_EQ(lesion.find("data.t2\"]}"), std::string::npos) << lesion;  // not a feature column
  EXPECT_NE(lesion.find("\"input_key\": \"data.image\""), std::string::npos) << lesion;

  // `fuse dataset summary` of the sequences: the first summarised, a row whose other sequence lies off its grid said.
  r = fuse("dataset summary data/bad.csv --image-col image,t2", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("6 cases of 2 sequences (image, t2), the first summarised\n  row 3 of data/bad.csv: t2 lies off image's grid (size [", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("] against [8, 8, 8]): register it\nIMAGE "), std::string::npos) << r.out;

  // Refused: a row whose sequences lie on different grids; a column that is not there.
  const std::string off = init_error("data/bad.csv --image image,t2 --mask mask --threads 2", dir);
  EXPECT_NE(off.find("fuse: error: row "), std::string::npos) << off;
  EXPECT_NE(off.find(" of data/bad.csv: its 'image' and 't2' lie on different grids (size ["), std::string::npos) << off;
  EXPECT_NE(off.find("] against [8, 8, 8]); the images of a case are its channels and must share one grid: register them first (or give --image one "
                     "column)\n"),
            std::string::npos)
      << off;
  EXPECT_NE(init_error("data/multi.csv --image image,flair --target lesion", dir).find("no column 'flair'"), std::string::npos);
  EXPECT_NE(init_error("data/multi.csv --image image,t2 --mask t2", dir).find("--image and --mask both name 't2'"), std::string::npos);
}

// A table's label maps as regions (--regions): each region's voxels get the label no later region holds, unless
// --region-labels says.
TEST(FuseInit, ATablesLabelMapsAsRegions) {
  const fs::path dir = fresh_dir("init_table_regions");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 6 32 32 16").exit_code, 0);
  CommandResult r = fuse("init data/train.csv --mask mask --regions '1,2;2' --threads 2 --out regions.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote regions.json: 3D segmentation of 2 regions (region 1: labels 1, 2; region 2: label 2) of labels 1 ("), std::string::npos) << r.out;
  const std::string text = read_text(dir / "regions.json");
  for (const char* part : {"// Made by `fuse init data/train.csv --image image --mask mask --regions '1,2;2'`:",
                           R"({"op": "fuse.ops.regions_to_labels", "key": "model.probs", "out": "model.seg", "labels": [1, 2]})",
                           R"("regions": [[1, 2], [2]]}},)", R"("dice_region_2": {)", R"("region_labels": [1, 2], )"})
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  ASSERT_EQ(fuse("run regions.json --epochs 1 --no-progress --out run", dir).exit_code, 0);
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --table data/train.csv --out scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("each input's dice, dice_region_1, dice_region_2, hd95 against its data.mask: columns of predictions.csv\n"), std::string::npos)
      << r.out;
  r = fuse("init data/train.csv --mask mask --regions '1,2;2' --region-labels 2,1 --threads 2 --out swapped.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read_text(dir / "swapped.json").find(R"("out": "model.seg", "labels": [2, 1]})"), std::string::npos);
  // Named regions name the description and the metrics.
  r = fuse("init data/train.csv --mask mask --regions 'organ and lesion=1,2;lesion=2' --threads 2 --out named.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3D segmentation of 2 regions (organ and lesion: labels 1, 2; lesion: label 2) of labels 1 ("), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "named.json").find(R"("dice_organ_and_lesion": {)"), std::string::npos);
  EXPECT_NE(read_text(dir / "named.json").find(R"("regions": [[1, 2], [2]]}},)"), std::string::npos);

  // Refused, naming what to fix.
  EXPECT_EQ(init_error("data/train.csv --target lesion --regions '1,2;2'", dir), "fuse: error: --regions segments regions of the label maps in --mask: give --mask COLUMN\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --region-labels 1", dir),
            "fuse: error: --region-labels gives the label of each region of --regions: give --regions too\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --regions '1,2;x' --threads 2", dir),
            "fuse: error: --regions 1,2;x: region 2 ('x'): 'x' is not a label of 1 or more; give each region's labels with ',' and ';' between regions, "
            "e.g. 1,2,3;2,3;3\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --regions '1,2' --threads 2", dir),
            "fuse: error: --regions 1,2: region 1 has labels 1, 2 of its own (held by no later region), so the label its voxels get is not clear: give "
            "each region's with --region-labels (nnU-Net's regions_class_order, e.g. 1,2,3)\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --regions '1,2;2' --region-labels 1 --threads 2", dir),
            "fuse: error: --region-labels 1 gives 1 labels for 2 regions (--regions 1,2;2): one per region, in their order\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --regions 'a=1,2;a=2' --threads 2", dir),
            "fuse: error: --regions a=1,2;a=2: region 2 ('a=2'): the name 'a' is given to an earlier region too; each region's name is its own\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --regions 2 --threads 2", dir),
            "fuse: error: data/train.csv: the label maps hold label 1, which no region of --regions holds (region 1 [2])\n");
}

// Skull-stripped images (a zero background around the head) are z-scored over their nonzero voxels, the
// background kept at 0, as nnU-Net does where cropping to the nonzero box leaves less than 3/4 of the images.
TEST(FuseInit, ImagesWithAZeroBackgroundAreZscoredOverTheirNonzeroVoxels) {
  const fs::path dir = fresh_dir("init_nonzero");
  const fs::path set = dir / "Dataset003_Brain";
  for (const char* sub : {"imagesTr", "labelsTr"}) fs::create_directories(set / sub);
  const auto inside = [](int x, int y, int z, int from, int to) { return x >= from && x < to && y >= from && y < to && z >= from && z < to; };
  for (int i = 0; i < 4; ++i) {
    const std::string id = "brain_00" + std::to_string(i);
    write_volume(set / "imagesTr" / (id + "_0000.nii"), 16, [&](int x, int y, int z) {
      return static_cast<uint8_t>(inside(x, y, z, 4, 12) ? 50 + (x * 3 + y * 5 + z * 7 + i) % 40 : 0);  // the head: 8^3 of 16^3 voxels
    });
    write_volume(set / "labelsTr" / (id + ".nii"), 16, [&](int x, int y, int z) { return static_cast<uint8_t>(inside(x, y, z, 6, 9 + i % 2)); });
  }
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "T1"}, "labels": {"background": 0, "tumour": 1}, "file_ending": ".nii"})";
  CommandResult r = fuse("init Dataset003_Brain --threads 2 --out brain.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = read_text(dir / "brain.json");
  EXPECT_NE(text.find("lay out in RAS, crop to the box of the nonzero voxels, resample (labels by nearest neighbour), z-normalise each image over "
                      "its nonzero voxels, the zero background kept at 0 (they fill a median 13% of each image in their box: nnU-Net's "
                      "use_mask_for_norm).\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"op": "fuse.medical.crop_nonzero", "keys": ["data.scan"], "labels": ["data.seg"]},)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.medical.crop_nonzero", "keys": ["data.scan"]},)"), std::string::npos) << text;  // inference
  const std::string step = R"({"op": "fuse.medical.znorm", "keys": ["data.scan"], "nonzero": true})";
  const size_t first = text.find(step);  // in training and in inference
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_NE(text.find(step, first + 1), std::string::npos) << text;
  r = fuse("run brain.json --epochs 1 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The labels written for a case cover its whole grid again (16^3 voxels of uint8 after the header).
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --input Dataset003_Brain/imagesTr/brain_001_0000.nii --output brain_001.nii", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::file_size(dir / "brain_001.nii"), fs::file_size(set / "labelsTr" / "brain_001.nii"));
}

// nnU-Net's 2d configuration: --slices writes a 2D UNet on the volumes' axial slices, validated on whole volumes
// slice by slice and predicting them so; its bundle and the 3D template's make one ensemble (the same steps, keys
// and writes), which says how each model predicts.
// nnU-Net's 3d_lowres: the 3D template at a coarser spacing, at which the largest volume fits one patch. The
// full-resolution template names it where the volumes are larger than a patch; refused where they fit already.
TEST(FuseInit, LowresFitsTheLargestVolumeInOnePatch) {
  const fs::path dir = fresh_dir("init_lowres");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 24 24 12").exit_code, 0);
  CommandResult r = fuse("init data/train.csv --mask mask --max-size 16 --threads 2 --out volumes.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n  the volumes are larger than a patch; nnU-Net's 3d_lowres of the same data sees them whole: fuse init data/train.csv --image image "
                       "--mask mask --max-size 16 --lowres --out volumes_lowres.json; after both runs, fuse choose-ensemble volumes.json runs/volumes "
                       "volumes_lowres.json runs/volumes_lowres compares them\n"),
            std::string::npos)
      << r.out;
  r = fuse("init data/train.csv --mask mask --max-size 16 --lowres --threads 2 --out volumes_lowres.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n  resampled to 1.52 x 1.52 x 3.01 mm (largest size 16x16x8), patches of 16x16x8 voxels\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  with the full-resolution 3D template of the same data (fuse init without --lowres): fuse choose-ensemble EXPERIMENT_3D RUN_3D "
                       "volumes_lowres.json runs/volumes_lowres compares the two and their ensemble on the full resolution's grid; fuse infer BUNDLE_3D "
                       "volumes_lowres_bundle averages the two\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "volumes_lowres.json");
  EXPECT_NE(text.find("// Made by `fuse init data/train.csv --image image --mask mask --lowres --max-size 16`:"), std::string::npos) << text;
  // The in-plane axes, 2.5 times finer than z, first grow to half z's spacing; then all grow together.
  EXPECT_NE(text.find("resampled to 1.52 x 1.52 x 3.01 mm (nnU-Net's 3d_lowres: the most common spacing per axis, 0.8 x 0.8 x 2 mm, made coarser as "
                      "nnU-Net does until the largest volume fits one patch)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"spacing\": [1.52, 1.52, 3.01]}"), std::string::npos) << text;
  r = fuse("run volumes_lowres.json --epochs 1 --no-progress --out run_lowres", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("validation.dice = "), std::string::npos) << r.out;
  EXPECT_EQ(fuse("init data/train.csv --mask mask --lowres --threads 2 --out fits.json", dir).err,
            "fuse: error: --lowres: the volumes fit one patch of 64 voxels per axis at 0.8 x 0.8 x 2 mm already (largest 30x30x12): the 3D template sees "
            "them whole, and nnU-Net makes no 3d_lowres then\n");
  EXPECT_EQ(fuse("init data/train.csv --target lesion --lowres --out none.json", dir).err,
            "fuse: error: --lowres trains a 3D UNet on segmented volumes at a coarser spacing: give --mask COLUMN (or an nnU-Net folder)\n");
  EXPECT_EQ(fuse("init data/train.csv --mask mask --lowres --slices --out none.json", dir).err,
            "fuse: error: --lowres and --slices make two configurations (a coarser 3D UNet, a 2D one): give one, and run fuse init again for the other\n");
}

// nnU-Net's 3d_cascade_fullres: the --lowres template cross-validated, its out-of-fold segmentations written
// back onto each case's grid, the cascade template trained with them as channels, and test volumes segmented by
// both stages in one command.
TEST(FuseInit, ACascadeTrainsOnTheLowresModelsOutOfFoldSegmentations) {
  const fs::path dir = fresh_dir("init_cascade");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 24 24 12").exit_code, 0);
  CommandResult r = fuse("init data/train.csv --mask mask --max-size 16 --lowres --threads 2 --out low.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n  nnU-Net's 3d_cascade_fullres on top: fuse run low.json --cross-validate --out runs/low_cv; fuse export runs/low_cv --out "
                       "low_bundles; fuse infer low_bundles --out-of-fold --table data/train.csv --out runs/low_oof; then fuse init data/train.csv "
                       "--image image --mask mask --max-size 16 --cascade runs/low_oof --out low_cascade.json\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(fuse("init data/train.csv --mask mask --max-size 16 --cascade runs/low_oof --out cascade.json", dir).err,
            "fuse: error: --cascade runs/low_oof: no such folder; the first stage's out-of-fold segmentations of every case: cross-validate the "
            "--lowres template, `fuse export` it, then `fuse infer BUNDLES --out-of-fold --table data/train.csv --out runs/low_oof`\n");
  ASSERT_EQ(fuse("run low.json --epochs 1 --cross-validate --no-progress --out runs/low_cv", dir).exit_code, 0);
  ASSERT_EQ(fuse("export runs/low_cv --out low_bundles", dir).exit_code, 0);
  r = fuse("infer low_bundles --out-of-fold --table data/train.csv --out runs/low_oof --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = fuse("init data/train.csv --mask mask --max-size 16 --cascade runs/low_oof --threads 2 --out cascade.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n  a new case needs the first stage's segmentation: fuse infer cascade_bundle --previous-stage LOWRES_BUNDLES --table TEST_TABLE "
                       "--out DIR predicts it with the first stage's bundles first\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "cascade.json");
  EXPECT_NE(text.find("// Made by `fuse init data/train.csv --image image --mask mask --cascade runs/low_oof --max-size 16`:"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("with": {"data.previous": "../runs/low_oof/{id}.nii.gz"}})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.io.read_medical", "path_key": "data.previous", "key": "data.previous_seg", "dtype": "uint8"},
      {"op": "fuse.medical.reorient", "keys": ["data.scan", "data.seg", "data.previous_seg"], "orientation": "RAS"},)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(      {"op": "fuse.ops.squeeze", "keys": ["data.previous_seg"], "axis": 0},
      {"op": "fuse.ops.one_hot", "key": "data.previous_seg", "categories": [1, 2], "axis": "first", "unknown": "zeros"},
      {"op": "fuse.medical.random_label_morphology", "keys": ["data.previous_seg"]},
      {"op": "fuse.ops.concat", "keys": ["data.scan", "data.previous_seg"], "out": "data.scan"},
      {"op": "fuse.ops.delete", "keys": ["data.previous_seg"]}
    ],)"),
            std::string::npos)
      << text;  // training
  EXPECT_NE(text.find(R"("validation": {
    "dynamic": [
      {"op": "fuse.ops.squeeze", "keys": ["data.previous_seg"], "axis": 0},
      {"op": "fuse.ops.one_hot", "key": "data.previous_seg", "categories": [1, 2], "axis": "first", "unknown": "zeros"},
      {"op": "fuse.ops.concat", "keys": ["data.scan", "data.previous_seg"], "out": "data.scan"},)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("previous_stage": "data.previous",)"), std::string::npos) << text;
  r = fuse("run cascade.json --epochs 1 --no-progress --out run_cascade", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("validation.dice = "), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export run_cascade --out cascade_bundle", dir).exit_code, 0);
  // A test table: the first stage predicts it into test/previous_stage, then the second stage with those.
  EXPECT_EQ(fuse("infer cascade_bundle --table data/test.csv --out test --no-progress", dir).err,
            "fuse: error: bundle 'cascade_bundle' is a cascade's second stage: it reads each input's segmentation by the first stage under data.previous, "
            "which input 'test00' lacks; give --previous-stage with the first stage's bundles (or a folder of their segmentations)\n");
  r = fuse("infer cascade_bundle --previous-stage low_bundles --table data/test.csv --out test --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("previous stage: low_bundles predicted 2 inputs into test/previous_stage (evaluation.json: their scores alone)\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nevaluation: dice = "), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "test" / "previous_stage" / "test00.nii.gz"));
  // The same first-stage segmentations given as a folder: the same result.
  r = fuse("infer cascade_bundle --previous-stage test/previous_stage --table data/test.csv --out test_again --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string again = read_text(dir / "test_again" / "predictions.csv");
  for (size_t at = again.find("test_again/"); at != std::string::npos; at = again.find("test_again/", at)) again.replace(at, 11, "test/");
  EXPECT_EQ(again, read_text(dir / "test" / "predictions.csv"));
  // Out of fold, the first stage predicts out of fold too: the segmentations the cascade trained on.
  ASSERT_EQ(fuse("run cascade.json --epochs 1 --cross-validate --no-progress --out runs/cascade_cv", dir).exit_code, 0);
  ASSERT_EQ(fuse("export runs/cascade_cv --out cascade_bundles", dir).exit_code, 0);
  r = fuse("infer cascade_bundles --out-of-fold --previous-stage low_bundles --table data/train.csv --out oof --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string first_stage = read_text(dir / "oof" / "previous_stage" / "predictions.csv");
  for (size_t at = first_stage.find("oof/previous_stage/"); at != std::string::npos; at = first_stage.find("oof/previous_stage/", at))
    first_stage.replace(at, 19, "runs/low_oof/");
  EXPECT_EQ(first_stage, read_text(dir / "runs" / "low_oof" / "predictions.csv"));
  r = fuse("infer cascade_bundles --out-of-fold --previous-stage runs/low_oof --table data/train.csv --out oof_again --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string oof_again = read_text(dir / "oof_again" / "predictions.csv");
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"oof_again/", "oof/"}, {"runs/low_oof/", "oof/previous_stage/"}})
    for (size_t at = oof_again.find(from); at != std::string::npos; at = oof_again.find(from, at + to.size())) oof_again.replace(at, from.size(), to);
  EXPECT_EQ(oof_again, read_text(dir / "oof" / "predictions.csv"));
  // The cascade against its first stage on every training case, out of fold (nnU-Net's choice among them): the
  // coarse model's outputs resampled onto the cascade's grid, the pair averaged there.
  r = fuse("choose-ensemble cascade.json runs/cascade_cv low.json runs/low_cv --no-progress --out choice.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const boost::json::value choice = boost::json::parse(read_text(dir / "choice.json"));
  EXPECT_EQ(choice.at("cases"), 8);
  const boost::json::array& candidates = choice.at("candidates").as_array();
  ASSERT_EQ(candidates.size(), 3u);
  EXPECT_FALSE(candidates[0].as_object().contains("on_grid_of"));
  for (size_t c = 1; c < 3; ++c) {
    EXPECT_FALSE(candidates[c].as_object().contains("skipped")) << c;
    EXPECT_EQ(candidates[c].at("on_grid_of"), "runs/cascade_cv") << c;
  }
  EXPECT_EQ(candidates[2].at("runs"), boost::json::parse(R"(["runs/cascade_cv", "runs/low_cv"])"));
  fs::create_directories(dir / "empty");
  EXPECT_EQ(fuse("infer cascade_bundle --previous-stage empty --table data/test.csv --out test_empty --no-progress", dir).err,
            "fuse: error: input 'test00' (row 1 of data/test.csv): no segmentation by the previous stage in 'empty' (a file "
            "'test00.*', as `fuse infer --out` names them): predict this input with the first stage's bundles (--previous-stage BUNDLES)\n");
  EXPECT_EQ(fuse("infer low_bundles --previous-stage test/previous_stage --table data/test.csv --out none --no-progress", dir).err,
            "fuse: error: --previous-stage: bundle 'low_bundles' is not a cascade's second stage (its inference names no previous_stage): predict "
            "without --previous-stage\n");
  EXPECT_EQ(fuse("infer cascade_bundle --previous-stage low_bundles --input data/test/test00_ct.nii.gz", dir).err,
            "fuse: --previous-stage: gives each input's first-stage segmentation to a cascade's bundles: give the inputs with --table, --folder or "
            "--input and --out DIR\nRun 'fuse --help' (or 'fuse <command> --help') for usage.\n");
  EXPECT_EQ(fuse("init data/train.csv --mask mask --lowres --cascade runs/low_oof --out none.json", dir).err,
            "fuse: error: --cascade and --lowres: the cascade's second stage is a full-resolution 3D UNet; its first stage is the --lowres template's runs "
            "(give --cascade alone)\n");
  EXPECT_EQ(fuse("init data/train.csv --target lesion --cascade runs/low_oof --out none.json", dir).err,
            "fuse: error: --cascade trains a 3D UNet on segmented volumes with the first stage's segmentations: give --mask COLUMN (or an nnU-Net folder)\n");
}

TEST(FuseInit, SlicesGiveA2DUNetThatEnsemblesWithThe3DTemplate) {
  const fs::path dir = fresh_dir("init_slices");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 8 24 24 12").exit_code, 0);
  CommandResult r = fuse("init data/train.csv --mask mask --slices --threads 2 --out slices.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(largest size 30x30x12), crops of 28x28 pixels of the axial slices\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  with a 3D template of the same data (fuse init without --slices): fuse choose-ensemble EXPERIMENT_3D RUN_3D slices.json runs/slices "
                       "compares the two and their ensemble on the validation cases; fuse infer BUNDLE_3D slices_bundle averages the two\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "slices.json");
  EXPECT_NE(text.find("// Made by `fuse init data/train.csv --image image --mask mask --slices`:"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.medical.znorm", "keys": ["data.scan"]},
      {"split": {"keys": ["data.scan", "data.seg"], "axis": 1}},
      {"op": "fuse.ops.reduce", "key": "data.seg", "out": "data.slice_class", "reduce": "max"})"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"op": "fuse.image2d.crop", "keys": ["data.scan"], "labels": ["data.seg"], "size": [28, 28], "mode": "random"},)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("sampler": {"balance": "data.slice_class"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(      {"op": "fuse.medical.znorm", "keys": ["data.scan"]}
    ],
    "dynamic": [],
    "slices": {"axis": "z", "batch": 16}
  },)"),
            std::string::npos)
      << text;  // validation: the volumes whole
  EXPECT_NE(text.find(R"("model": {"model": "fuse.models.unet", "dims": 2, "num_classes": 3,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(    "slices": {"axis": "z", "batch": 16},
    "postprocess")"),
            std::string::npos)
      << text;  // inference
  r = fuse("init data/train.csv --mask mask --threads 2 --out volumes.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\n  nnU-Net's 2d configuration of the same data: fuse init data/train.csv --image image --mask mask --slices --out volumes_2d.json; "
                       "after both runs, fuse choose-ensemble volumes.json runs/volumes volumes_2d.json runs/volumes_2d compares the 3D, the 2D and the "
                       "two averaged\n"),
            std::string::npos)
      << r.out;
  namespace bj = boost::json;
  std::map<std::string, double> best_dice;  // each run's validation Dice at its best epoch
  for (const char* name : {"slices", "volumes"}) {
    r = fuse(std::string("run ") + name + ".json --epochs 2 --no-progress --out run_" + name, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("validation.dice = "), std::string::npos) << r.out;
    const bj::value results = bj::parse(read_text(dir / ("run_" + std::string(name)) / "results.json"));
    EXPECT_EQ(results.at("monitor"), "validation.dice");
    best_dice[name] = results.at("best_value").to_number<double>();
  }
  // nnU-Net's choice of configuration: each model alone and the two averaged, on the validation volumes both
  // validate on. A model alone scores what its run's validation scored at the best epoch.
  r = fuse("choose-ensemble volumes.json run_volumes slices.json run_slices --no-progress --out choice.json --csv cases.csv", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("judged by the Dice of 'dice' on model.seg over 2 validation cases (best checkpoints, no test-time flips); an ensemble averages its "
                        "models' outputs\nCANDIDATE ",
                        0),
            0u)
      << r.out;
  const CommandResult flipped = fuse("choose-ensemble volumes.json run_volumes slices.json run_slices --no-progress --tta", dir);
  ASSERT_EQ(flipped.exit_code, 0) << flipped.err;
  EXPECT_NE(flipped.out.find(" (best checkpoints, with each experiment's test-time flips); "), std::string::npos) << flipped.out;
  const bj::value choice = bj::parse(read_text(dir / "choice.json"));
  const bj::array& candidates = choice.at("candidates").as_array();
  ASSERT_EQ(candidates.size(), 3u);
  EXPECT_EQ(candidates[0].at("runs"), bj::parse(R"(["run_volumes"])"));
  EXPECT_NEAR(candidates[0].at("mean_dice").to_number<double>(), best_dice["volumes"], 1e-6);
  EXPECT_NEAR(candidates[1].at("mean_dice").to_number<double>(), best_dice["slices"], 1e-6);
  EXPECT_EQ(candidates[2].at("runs"), bj::parse(R"(["run_volumes", "run_slices"])"));
  EXPECT_NE(r.out.find("  VS CHOSEN (95% CI)  "), std::string::npos) << r.out;
  // The candidates whose interval against the choice spans 0 are named, with where more cases come from.
  std::vector<std::string> close;
  for (const bj::value& c : candidates) {
    if (!c.as_object().contains("vs_chosen") || !c.at("vs_chosen").at("ci").as_array()[1].is_number()) continue;
    if (c.at("vs_chosen").at("ci").as_array()[1].to_number<double>() < 0) continue;
    std::string name;
    for (const bj::value& run : c.at("runs").as_array()) name += (name.empty() ? "" : " + ") + std::string(run.as_string());
    close.push_back(name);
  }
  if (close.empty())
    EXPECT_EQ(r.out.find("within the noise"), std::string::npos) << r.out;
  else
    EXPECT_NE(r.out.find("\nwithin the noise of 2 cases (an interval across 0): " + join(close, ", ") +
                         "; cross-validations of each (fuse run EXPERIMENT --cross-validate) compare them on every training case\n"),
              std::string::npos)
        << r.out;
  // Each case's Dice per candidate: their mean is the candidate's.
  std::istringstream cases(read_text(dir / "cases.csv"));
  std::string line;
  std::getline(cases, line);
  EXPECT_EQ(line, "id,run_volumes,run_slices,run_volumes + run_slices");
  std::vector<double> sums(3, 0.0);
  size_t rows = 0;
  while (std::getline(cases, line)) {
    std::istringstream cells(line);
    std::string cell;
    std::getline(cells, cell, ',');
    for (size_t k = 0; k < 3 && std::getline(cells, cell, ','); ++k) sums[k] += std::stod(cell);
    ++rows;
  }
  ASSERT_EQ(rows, 2u);
  for (size_t k = 0; k < 3; ++k) EXPECT_NEAR(sums[k] / 2, candidates[k].at("mean_dice").to_number<double>(), 1e-6) << k;
  size_t best = 0;
  for (size_t k = 1; k < 3; ++k)
    if (candidates[k].at("mean_dice").to_number<double>() > candidates[best].at("mean_dice").to_number<double>()) best = k;
  for (size_t k = 0; k < 3; ++k) EXPECT_EQ(candidates[k].at("chosen").as_bool(), k == best) << k;
  // The chosen runs hold its post-processing for fuse export; the next commands export and predict with them.
  const std::vector<std::string> chosen_runs = best == 0 ? std::vector<std::string>{"volumes"}
                                               : best == 1 ? std::vector<std::string>{"slices"}
                                                           : std::vector<std::string>{"volumes", "slices"};
  for (const std::string& name : chosen_runs) {
    const bj::value written = bj::parse(read_text(dir / ("run_" + name) / "postprocess.json"));
    EXPECT_EQ(written.at("trials"), choice.at("chosen").at("postprocess_trials")) << name;
    EXPECT_EQ(written.as_object().contains("ensemble"), best == 2) << name;
    EXPECT_NE(r.out.find("fuse export run_" + name + " --out run_" + name + "_bundle"), std::string::npos) << r.out;
  }
  // The 2D run with a postprocess of its own (one more step, which changes no label): the pair's models are each
  // postprocessed and their label maps voted, as `fuse infer` combines such bundles, not averaged before one
  // postprocess; alone, the 2D model scores as before.
  fs::copy(dir / "run_slices", dir / "run_slices_pp", fs::copy_options::recursive);
  bj::array postprocess = bj::parse(read_text(dir / "run_slices" / "config.json")).at("postprocess").as_array();
  postprocess.push_back(bj::parse(R"({"op": "fuse.ops.cast", "keys": ["model.seg"], "dtype": "int64"})"));
  std::ofstream(dir / "run_slices_pp" / "settings.json") << bj::serialize(bj::object{{"settings", bj::array{bj::string("postprocess=" + bj::serialize(postprocess))}}});
  r = fuse("choose-ensemble volumes.json run_volumes slices.json run_slices_pp --no-progress --out choice_pp.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const bj::value choice_pp = bj::parse(read_text(dir / "choice_pp.json"));
  const bj::array& apart = choice_pp.at("candidates").as_array();
  EXPECT_NEAR(apart[1].at("mean_dice").to_number<double>(), candidates[1].at("mean_dice").to_number<double>(), 1e-9);
  EXPECT_NE(apart[2].at("mean_dice").to_number<double>(), candidates[2].at("mean_dice").to_number<double>());
  EXPECT_EQ(fuse("choose-ensemble volumes.json run_volumes slices.json", dir).err,
            "fuse: error: choose-ensemble takes EXPERIMENT RUN pairs, but 3 paths are given (the last, 'slices.json', has no run folder after it)\n");
  EXPECT_EQ(fuse("choose-ensemble volumes.json run_volumes", dir).err, "fuse: error: choose among two or more configurations (EXPERIMENT RUN pairs); got 1\n");
  EXPECT_EQ(fuse("choose-ensemble run_volumes volumes.json slices.json run_slices", dir).err,
            "fuse: error: 'run_volumes' is a folder where an experiment file is expected: give each configuration as its EXPERIMENT file, then its RUN folder\n");
  EXPECT_EQ(fuse("choose-ensemble volumes.json run_volumes volumes.json ./run_volumes", dir).err,
            "fuse: error: './run_volumes' is given twice: an ensemble of a run with itself adds nothing\n");
  // A run validated on another fold: compared on other cases, refused.
  ASSERT_EQ(fuse("run volumes.json --epochs 1 --no-progress --out run_fold1 --set 'data.folds.validation=[1]' --set 'data.folds.train=[0,2,3]'", dir).exit_code, 0);
  const std::string other_fold = fuse("choose-ensemble volumes.json run_volumes volumes.json run_fold1", dir).err;
  EXPECT_EQ(other_fold.rfind("fuse: error: 'run_fold1' validates on 2 cases and 'run_volumes' on 2, not the same ('", 0), 0u) << other_fold;
  EXPECT_NE(other_fold.find("): configurations are compared on the same validation cases; train them on the same folds (data.folds)\n"), std::string::npos)
      << other_fold;
  // A 3D model at another spacing (nnU-Net's 3d_lowres): its outputs are resampled onto the first model's grid,
  // where it is scored alone and averaged with the first, against the first's labels.
  std::string coarse = read_text(dir / "volumes.json");
  for (size_t at = coarse.find("\"spacing\": [0.8, 0.8, 2]"); at != std::string::npos; at = coarse.find("\"spacing\": [0.8, 0.8, 2]", at))
    coarse.replace(at, 24, "\"spacing\": [1.2, 1.2, 2]");
  std::ofstream(dir / "coarse.json") << coarse;
  ASSERT_EQ(fuse("run coarse.json --epochs 1 --no-progress --out run_coarse", dir).exit_code, 0);
  r = fuse("choose-ensemble volumes.json run_volumes coarse.json run_coarse --no-progress --out coarse_choice.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("not averaged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\non the grid of run_volumes: run_coarse, run_volumes + run_coarse (outputs resampled onto it, then scored against its labels)\n"),
            std::string::npos)
      << r.out;
  const bj::value coarse_choice = bj::parse(read_text(dir / "coarse_choice.json"));
  const bj::array& coarse_candidates = coarse_choice.at("candidates").as_array();
  ASSERT_EQ(coarse_candidates.size(), 3u);
  EXPECT_FALSE(coarse_candidates[0].as_object().contains("on_grid_of"));
  EXPECT_NEAR(coarse_candidates[0].at("mean_dice").to_number<double>(), best_dice["volumes"], 1e-6);
  for (size_t k : {1, 2}) EXPECT_EQ(coarse_candidates[k].at("on_grid_of"), "run_volumes") << k;
  // The coarse model's label maps on the fine grid score about what they scored on their own (its run's
  // validation): misplaced ones would not.
  const double coarse_own = bj::parse(read_text(dir / "run_coarse" / "results.json")).at("best_value").to_number<double>();
  EXPECT_NEAR(coarse_candidates[1].at("mean_dice").to_number<double>(), coarse_own, 0.03) << r.out;
  // Cross-validations: every training volume once, each predicted by the models of the fold that left it out.
  for (const char* name : {"slices", "volumes"})
    ASSERT_EQ(fuse(std::string("run ") + name + ".json --epochs 1 --cross-validate --no-progress --out cv_" + name, dir).exit_code, 0);
  r = fuse("choose-ensemble volumes.json cv_volumes slices.json cv_slices --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("judged by the Dice of 'dice' on model.seg over 8 validation cases", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\ncv_volumes + cv_slices "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("cross-validations of each"), std::string::npos) << r.out;  // they are
  // Out of fold: each training volume segmented by the fold that validated it, written back onto its own grid
  // and scored there against its mask (nnU-Net's validation folders and their summary).
  ASSERT_EQ(fuse("export cv_volumes --out cv_volumes_bundles", dir).exit_code, 0);
  r = fuse("infer cv_volumes_bundles --out-of-fold --table data/train.csv --out oof --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nout of fold: each input by the bundle it validated (fold_0: 2, fold_1: 2, fold_2: 2, fold_3: 2; column 'model' of "
                       "predictions.csv)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\nevaluation: dice = "), std::string::npos) << r.out;
  // Each fold's cases, scored on their own grids, score about what that fold's run scored on its working grid.
  {
    std::istringstream oof(read_text(dir / "oof" / "predictions.csv"));
    std::string row;
    std::getline(oof, row);
    ASSERT_EQ(row.rfind("id,model,", 0), 0u) << row;
    const size_t dice_column = static_cast<size_t>(std::count(row.begin(), row.begin() + static_cast<long>(row.find(",dice,")), ',')) + 1;
    std::map<std::string, std::vector<double>> dice_of_fold;
    while (std::getline(oof, row)) {
      std::vector<std::string> cells;
      std::istringstream in(row);
      for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
      ASSERT_GT(cells.size(), dice_column) << row;
      EXPECT_TRUE(fs::exists(dir / "oof" / (cells[0] + ".nii.gz"))) << cells[0];
      dice_of_fold[cells[1]].push_back(std::stod(cells[dice_column]));
    }
    ASSERT_EQ(dice_of_fold.size(), 4u);
    const bj::value cv = bj::parse(read_text(dir / "cv_volumes" / "cross_validation.json"));
    for (int f = 0; f < 4; ++f) {
      const std::vector<double>& d = dice_of_fold["fold_" + std::to_string(f)];
      ASSERT_EQ(d.size(), 2u) << f;
      EXPECT_NEAR((d[0] + d[1]) / 2, cv.at("folds").at(f).at("validation").at("dice").to_number<double>(), 0.02) << f;
    }
  }
  for (const char* name : {"slices", "volumes"}) ASSERT_EQ(fuse(std::string("export run_") + name + " --out " + name + "_bundle", dir).exit_code, 0);
  setenv("FUSE_LOG_LEVEL", "info", 1);
  r = fuse("infer volumes_bundle slices_bundle --table data/test.csv --out test --no-progress", dir);
  unsetenv("FUSE_LOG_LEVEL");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ensemble of 2 models, each predicting as its bundle says: 'volumes_bundle' in windows of 28 x 28 x 12; 'slices_bundle' slice by "
                       "slice along z\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("evaluation: dice = "), std::string::npos) << r.out;
  // The 3D models at two spacings predict together: the coarse one's probabilities laid onto the fine one's grid,
  // averaged, and the labels written back onto each test volume's own grid, scored against its mask there.
  ASSERT_EQ(fuse("export run_coarse --out coarse_bundle", dir).exit_code, 0);
  setenv("FUSE_LOG_LEVEL", "info", 1);
  r = fuse("infer volumes_bundle coarse_bundle --table data/test.csv --out test_coarse --no-progress", dir);
  unsetenv("FUSE_LOG_LEVEL");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("ensemble: the outputs of 'coarse_bundle' are laid onto the grid of the first bundle's ('volumes_bundle') before they are averaged "
                       "(its inference steps make another grid: another spacing or crop)\n"),
            std::string::npos)
      << r.err;
  const size_t at_dice = r.out.find("evaluation: dice = ");
  ASSERT_NE(at_dice, std::string::npos) << r.out;
  EXPECT_GT(std::stod(r.out.substr(at_dice + 19)), 0.5) << r.out;
  EXPECT_EQ(fuse("init data/train.csv --target lesion --slices --out none.json", dir).err,
            "fuse: error: --slices trains a 2D UNet on the axial slices of segmented volumes: give --mask COLUMN (or an nnU-Net folder)\n");
}

// nnU-Net's sparse annotation: dataset.json's "ignore" label marks voxels not annotated. They are no class of the
// model, no patch centre, and count in neither the loss nor the scores (in validation and against labelsTs).
TEST(FuseInit, AnNnUnetIgnoreLabelIsLeftOutOfTheLossAndTheScores) {
  const fs::path dir = fresh_dir("init_ignore");
  const fs::path set = dir / "Dataset004_Sparse";
  for (const char* sub : {"imagesTr", "labelsTr", "imagesTs", "labelsTs"}) fs::create_directories(set / sub);
  const auto inside = [](int x, int y, int z, int from, int to) { return x >= from && x < to && y >= from && y < to && z >= from && z < to; };
  for (int i = 0; i < 5; ++i) {
    const std::string id = "sparse_00" + std::to_string(i), part = i < 4 ? "Tr" : "Ts";
    write_volume(set / ("images" + part) / (id + "_0000.nii"), 16, [&](int x, int y, int z) {
      return static_cast<uint8_t>(inside(x, y, z, 5, 10 + i % 2) ? 200 : 60 + (x * 3 + y * 5 + z * 7 + i) % 40);
    });
    write_volume(set / ("labels" + part) / (id + ".nii"), 16, [&](int x, int y, int z) {
      return static_cast<uint8_t>(z >= 12 ? 2 : inside(x, y, z, 5, 10 + i % 2));  // the top slices not annotated
    });
  }
  const auto write_json = [&](const std::string& labels) {
    std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "T1"}, "labels": )" << labels << R"(, "file_ending": ".nii"})";
  };
  write_json(R"({"background": 0, "tumour": 1, "ignore": 2})");
  CommandResult r = fuse("init Dataset004_Sparse --threads 2 --out sparse.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote sparse.json: 3D segmentation of label 1 tumour ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" voxels), label 2 not annotated (4096 voxels, dataset.json's 'ignore': left out of the loss and the scores) in 4 images\n"),
            std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "sparse.json");
  EXPECT_NE(text.find(R"("class_ratios": [1, 1, 0]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("model": "fuse.models.unet", "dims": 3, "num_classes": 2,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("class_weights": "auto", "dice_class_weights": "auto", "ignore_label": 2}},)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("num_classes": 2, "ignore_label": 2, "spacing": [1, 1, 1], "output": "mean_dice")"), std::string::npos) << text;
  r = fuse("dataset summary Dataset004_Sparse", dir);  // the labels named, the ignore label too
  EXPECT_NE(r.out.find("\n  labels: background 0, tumour 1; not annotated (ignore) 2\n"), std::string::npos) << r.out;
  r = fuse("run sparse.json --epochs 1 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(voxels of class 0..1 in the training label maps 'data.seg': "), std::string::npos) << r.out;  // the ignored voxels no class
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --folder Dataset004_Sparse/imagesTs --out test --no-progress", dir);  // labelsTs holds the ignore label too
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: dice = "), std::string::npos) << r.out;
  // The 2d configuration: slices without an annotated voxel (the top 4 of each volume) teach nothing and are
  // dropped; the others are balanced on their largest annotated label, never on the ignore label.
  r = fuse("init Dataset004_Sparse --slices --threads 2 --out sparse2d.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string slices = read_text(dir / "sparse2d.json");
  EXPECT_NE(slices.find(R"({"op": "fuse.ops.reduce", "key": "data.seg", "out": "data.annotated", "reduce": "count", "ignore": [2], "greater_than": 0},
      {"keep_if": "data.annotated"},
      {"op": "fuse.ops.reduce", "key": "data.seg", "out": "data.slice_class", "reduce": "max", "ignore": [2]})"),
            std::string::npos)
      << slices;
  EXPECT_NE(slices.find("; then one sample per axial slice that holds annotated voxels, whose largest annotated label the sampler balances."), std::string::npos)
      << slices;
  r = fuse("cache build sparse2d.json", dir);  // 16 slices per volume, 12 annotated
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": 48 samples from 4 source samples"), std::string::npos) << r.out;
  r = fuse("run sparse2d.json --epochs 1 --no-progress --out run2d", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Refused: an ignore label that is not the largest, or not one value.
  write_json(R"({"background": 0, "tumour": 3, "ignore": 2})");
  EXPECT_EQ(init_error("Dataset004_Sparse --threads 2", dir),
            "fuse: error: Dataset004_Sparse/dataset.json:1:83: the 'ignore' label (2) must be the largest label, but 'tumour' holds 3 (nnU-Net's rule)\n");
  write_json(R"({"background": 0, "tumour": 1, "ignore": [2, 3]})");
  EXPECT_EQ(init_error("Dataset004_Sparse --threads 2", dir),
            "fuse: error: Dataset004_Sparse/dataset.json:1:83: the 'ignore' label marks voxels not annotated: one label value, the largest (e.g. 3 after 0, "
            "1, 2)\n");
}

// nnU-Net's raw data set as it comes: dataset.json names the channels and labels, imagesTr/<case>_000c.nii.gz and
// labelsTr/<case>.nii.gz hold the cases; imagesTs is predicted with each case's channels found as in training.
TEST(FuseInit, AnNnUnetFolderGivesASegmentationOfItsChannels) {
  const fs::path dir = fresh_dir("init_nnunet");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 6 32 32 16").exit_code, 0);
  const fs::path set = dir / "Dataset001_Toy";
  for (const char* sub : {"imagesTr", "labelsTr", "imagesTs"}) fs::create_directories(set / sub);
  for (int i = 0; i < 6; ++i) {
    const fs::path ct = dir / "data" / "images" / ("case0" + std::to_string(i) + "_ct.nii.gz");
    const std::string id = (i < 5 ? "toy_00" : "toy_10") + std::to_string(i);  // the last one held out
    for (const char* c : {"_0000", "_0001"}) fs::copy_file(ct, set / (i < 5 ? "imagesTr" : "imagesTs") / (id + c + ".nii.gz"));
    if (i < 5) fs::copy_file(dir / "data" / "images" / ("case0" + std::to_string(i) + "_mask.nii.gz"), set / "labelsTr" / (id + ".nii.gz"));
  }
  const auto write_json = [&](const std::string& labels, int count) {
    std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "CT", "1": "CT late"}, "labels": )" << labels << R"(, "numTraining": )" << count
                                        << R"(, "file_ending": ".nii.gz"})";
  };
  write_json(R"({"background": 0, "organ": 1, "lesion": 2})", 5);
  CommandResult r = fuse("init Dataset001_Toy --threads 2 --out toy.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote toy.json: 3D segmentation of labels 1 organ ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" voxels) in 5 images of 2 channels (CT, CT_late)\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "toy.json");
  EXPECT_NE(text.find("// Made by `fuse init Dataset001_Toy`:"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("source": {"folder": "Dataset001_Toy/imagesTr", "pattern": "*_0000.nii.gz", "key": "data.CT", "id": "{*}",
               "with": {"data.CT_late": "{*}_0001.nii.gz", "data.mask": "../labelsTr/{*}.nii.gz"}},)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"op": "fuse.io.read_medical_channels", "path_keys": ["data.CT", "data.CT_late"], "key": "data.scan", "dtype": "float32"})"),
            std::string::npos)
      << text;
  // Each channel normalised as nnU-Net would by its name: "CT" by the training foreground's percentiles (that
  // channel's only), any other name by each image's z-score.
  EXPECT_NE(text.find("resample (labels by nearest neighbour), then per channel as its name in dataset.json says (nnU-Net's schemes): CT: clip and "
                      "scale to the training foreground's 0.5th-99.5th percentiles (nnU-Net's CT scheme); CT_late: z-normalise each image.\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"({"op": "fuse.medical.znorm", "keys": ["data.scan"], "channels": [1]},
      {"op": "fuse.medical.rescale", "keys": ["data.scan"], "channels": [0], "fit": {"mask": "data.seg", "channels": [0], "set": {"in_min": "p0.5", "in_max": "p99.5"}}}
    ],)"),
            std::string::npos)
      << text;
  r = fuse("run toy.json --epochs 1 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fuse.medical.rescale on 'data.scan' channel 0: in_min "), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --folder Dataset001_Toy/imagesTs --out test --no-progress", dir);  // the training pattern: each case once
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("predicted 1 of 1 inputs"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "test" / "toy_105.nii.gz"));

  // One channel that dataset.json names CT: nnU-Net's CT scheme, a window fitted to the training foreground, in
  // place of each image's z-score.
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "CT"}, "labels": {"background": 0, "organ": 1, "lesion": 2}, "numTraining": 5, )"
                                      << R"("file_ending": ".nii.gz"})";
  r = fuse("init Dataset001_Toy --threads 2 --out ct.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string ct = read_text(dir / "ct.json");
  EXPECT_NE(ct.find(R"({"op": "fuse.medical.rescale", "keys": ["data.scan"], "fit": {"mask": "data.seg", "set": {"in_min": "p0.5", "in_max": "p99.5"}}})"),
            std::string::npos)
      << ct;
  EXPECT_EQ(ct.find("fuse.medical.znorm"), std::string::npos) << ct;
  r = fuse("run ct.json --epochs 1 --no-progress --out ct_run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fuse.medical.rescale on 'data.scan': in_min "), std::string::npos) << r.out;
  // nnU-Net's other schemes: each image's range to [0, 1], none, / 255 (photographs' colours).
  const auto steps_for = [&](const std::string& names) {
    std::ofstream(set / "dataset.json") << R"({"channel_names": )" << names << R"(, "labels": {"background": 0, "organ": 1, "lesion": 2}, )"
                                        << R"("file_ending": ".nii.gz"})";
    const CommandResult made = fuse("init Dataset001_Toy --threads 2 --force --out schemes.json", dir);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    const std::string x = read_text(dir / "schemes.json");
    const size_t from = x.find("\"orientation\": \"RAS\"}"), to = x.find("    ],", from);
    const size_t start = x.find("\n", x.find("fuse.medical.resample", from)) + 1;
    return x.substr(start, to - start);
  };
  EXPECT_EQ(steps_for(R"({"0": "rescale_to_0_1", "1": "noNorm"})"), "      {\"op\": \"fuse.medical.rescale\", \"keys\": [\"data.scan\"], \"channels\": [0]}\n");
  EXPECT_EQ(steps_for(R"({"0": "T1", "1": "rgb_to_0_1"})"),
            "      {\"op\": \"fuse.medical.znorm\", \"keys\": [\"data.scan\"], \"channels\": [0]},\n"
            "      {\"op\": \"fuse.medical.rescale\", \"keys\": [\"data.scan\"], \"channels\": [1], \"in_min\": 0, \"in_max\": 255}\n");
  EXPECT_EQ(steps_for(R"({"0": "noNorm", "1": "nonorm"})"), "");
  EXPECT_NE(read_text(dir / "schemes.json").find("resample (labels by nearest neighbour), then per channel as its name in dataset.json says (nnU-Net's "
                                                 "schemes): noNorm: leave as it is; nonorm: leave as it is.\n"),
            std::string::npos);
  write_json(R"({"background": 0, "organ": 1, "lesion": 2})", 5);

  // `fuse dataset summary` of the folder: its first channel with labelsTr, and a channel off its case's grid.
  fs::copy_file(set / "imagesTr" / "toy_002_0001.nii.gz", dir / "toy_002_0001.nii.gz");
  write_empty_mask(set / "imagesTr" / "toy_002_0001.nii.gz", 8);  // gzip reads a plain file as it is
  r = fuse("dataset summary Dataset001_Toy", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("nnU-Net data set: 5 cases of 2 channels (CT, CT_late), the first summarised with labelsTr\n  case 'toy_002': CT_late lies off "
                        "CT's grid (size [32, 32, 12] against [8, 8, 8]): register it\n  labels: background 0, organ 1, lesion 2\n",
                        0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find("mask voxels per label: 0: "), std::string::npos) << r.out;
  EXPECT_EQ(init_error("Dataset001_Toy --threads 2", dir).find("fuse: error: case 'toy_002': its 'CT' and 'CT_late' lie on different grids (size ["), 0u);
  fs::copy_file(dir / "toy_002_0001.nii.gz", set / "imagesTr" / "toy_002_0001.nii.gz", fs::copy_options::overwrite_existing);

  // Refused: options that the folder decides; labels dataset.json does not name; a count that differs; a case
  // without its second channel.
  EXPECT_EQ(init_error("Dataset001_Toy --mask seg", dir),
            "fuse: error: Dataset001_Toy is an nnU-Net data set (dataset.json with 'channel_names'): its channels and labelsTr make the segmentation, "
            "its 'labels' the regions; leave out --target, --mask, --image, --time, --event and --regions\n");
  EXPECT_EQ(init_error("Dataset001_Toy --regions '1,2;2'", dir),
            "fuse: error: Dataset001_Toy is an nnU-Net data set (dataset.json with 'channel_names'): its channels and labelsTr make the segmentation, "
            "its 'labels' the regions; leave out --target, --mask, --image, --time, --event and --regions\n");
  write_json(R"({"background": 0, "organ": 1})", 5);
  EXPECT_EQ(init_error("Dataset001_Toy --threads 2", dir),
            "fuse: error: Dataset001_Toy: the label maps hold label 2, which dataset.json's 'labels' does not name (background 0, organ 1)\n");
  write_json(R"({"background": 0, "organ": 1, "lesion": 2})", 6);
  std::string error = init_error("Dataset001_Toy --threads 2", dir);
  EXPECT_NE(error.find("dataset.json:1:"), std::string::npos) << error;
  EXPECT_NE(error.find(": 'numTraining' is 6 but imagesTr holds 5 cases\n"), std::string::npos) << error;
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "CT", "2": "PET"}, "file_ending": ".nii.gz"})";
  error = init_error("Dataset001_Toy --threads 2", dir);
  EXPECT_NE(error.find(": no channel 1 (channels are numbered 0, 1, ... without a gap)\n"), std::string::npos) << error;
  EXPECT_EQ(init_error("Dataset001_Toy --fold-group patient", dir),
            "fuse: error: --fold-group names a table's column; Dataset001_Toy is an nnU-Net folder: set \"folds\": {\"group\": ...} in the experiment, or "
            "give the cases as a table\n");
  write_json(R"({"background": 0, "organ": 1, "lesion": 2})", 5);
  fs::remove(set / "imagesTr" / "toy_003_0001.nii.gz");
  EXPECT_EQ(init_error("Dataset001_Toy --threads 2", dir), "fuse: error: case 'toy_003' of Dataset001_Toy/dataset.json: no file '" +
                                                               (fs::path("Dataset001_Toy") / "imagesTr" / "toy_003_0001.nii.gz").string() +
                                                               "' for channel 1 (CT_late)\n");
}

// Region-based labels (nnU-Net's, BraTS's): a sigmoid channel per region, trained with Dice + binary cross-entropy
// against the label map's unions, scored per region, turned back into labels by regions_class_order.
TEST(FuseInit, AnNnUnetFolderWithRegionsTrainsOneSigmoidPerRegion) {
  const fs::path dir = fresh_dir("init_nnunet_regions");
  ASSERT_EQ(run_command("'" FUSE_MAKE_VOLUMES "' '" + (dir / "data").string() + "' 6 32 32 16").exit_code, 0);
  const fs::path set = dir / "Dataset004_Nested";
  for (const char* sub : {"imagesTr", "labelsTr", "imagesTs"}) fs::create_directories(set / sub);
  for (int i = 0; i < 6; ++i) {
    const std::string id = "n_00" + std::to_string(i);
    fs::copy_file(dir / "data" / "images" / ("case0" + std::to_string(i) + "_ct.nii.gz"), set / (i < 5 ? "imagesTr" : "imagesTs") / (id + "_0000.nii.gz"));
    if (i < 5) fs::copy_file(dir / "data" / "images" / ("case0" + std::to_string(i) + "_mask.nii.gz"), set / "labelsTr" / (id + ".nii.gz"));
  }
  const auto write_json = [&](const std::string& rest) {
    std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "MR"}, "file_ending": ".nii.gz", )" << rest << "}";
  };
  write_json(R"("labels": {"background": 0, "organ and lesion": [1, 2], "lesion": 2}, "regions_class_order": [1, 2])");
  CommandResult r = fuse("dataset summary Dataset004_Nested", dir);
  EXPECT_NE(r.out.find("\n  regions: organ and lesion [1, 2], lesion [2]\n"), std::string::npos) << r.out;
  r = fuse("init Dataset004_Nested --threads 2 --out nested.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote nested.json: 3D segmentation of 2 regions (organ and lesion: labels 1, 2; lesion: label 2) of labels 1 ("), std::string::npos)
      << r.out;
  const std::string text = read_text(dir / "nested.json");
  for (const char* part : {R"("num_classes": 2, )", R"("outputs": ["model.logits"]})",
                           R"("postprocess": [{"op": "fuse.ops.sigmoid", "key": "model.logits", "out": "model.probs"},
                  {"op": "fuse.ops.regions_to_labels", "key": "model.probs", "out": "model.seg", "labels": [1, 2]}],)",
                           R"("losses": {"dice_ce": {"loss": "fuse.losses.dice_ce", "pred": "model.logits", "target": "data.seg", "regions": [[1, 2], [2]]}},)",
                           R"("target": "data.seg", "regions": [[1, 2], [2]], "spacing": )", R"("dice_lesion": {)", R"("output": "dice.2", )",
                           R"("class_ratios": [1, 1, 1]})"})
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  // Written back from the region probabilities resampled onto the input's grid.
  EXPECT_NE(text.find(R"({"op": "fuse.io.write_medical", "key": "model.seg", "scores": "model.probs", "region_labels": [1, 2], )"), std::string::npos) << text;
  // Region weights fitted to the training label maps on request: the lesion, 3% of the whole, counts 3 times.
  r = fuse("run nested.json --epochs 1 --no-progress --out run --set losses.dice_ce.dice_class_weights=auto", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("loss 'dice_ce': dice_class_weights [1, 3] (voxels of region 1..2 in the training label maps 'data.seg': "), std::string::npos) << r.out;
  const boost::json::value results = boost::json::parse(read_text(dir / "run" / "results.json"));
  for (const char* metric : {"dice", "dice_organ_and_lesion", "dice_lesion", "hd95"})
    EXPECT_TRUE(results.at("validation").as_object().contains(metric)) << metric << " " << boost::json::serialize(results);
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --folder Dataset004_Nested/imagesTs --out test --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir / "test" / "n_005.nii.gz"));
  EXPECT_NE(r.out.find("not compared: the inputs carry no 'data.mask'"), std::string::npos) << r.out;
  // The test case's labels in labelsTs (nnU-Net's place for them): each prediction scored per region.
  fs::create_directories(set / "labelsTs");
  fs::copy_file(dir / "data" / "images" / "case05_mask.nii.gz", set / "labelsTs" / "n_005.nii.gz");
  r = fuse("infer bundle --folder Dataset004_Nested/imagesTs/ --out scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("each input's dice, dice_organ_and_lesion, dice_lesion, hd95 against its data.mask: columns of predictions.csv\n"), std::string::npos)
      << r.out;
  EXPECT_NE(read_text(dir / "scored" / "predictions.csv").find("Dataset004_Nested/labelsTs/n_005.nii.gz"), std::string::npos);

  // Refused: regions without regions_class_order, or with one of another length; a region holding the background;
  // label maps holding a label no region holds.
  write_json(R"("labels": {"background": 0, "organ and lesion": [1, 2], "lesion": 2})");
  std::string error = init_error("Dataset004_Nested --threads 2", dir);
  EXPECT_NE(error.find(": region-based labels (organ and lesion, lesion) need 'regions_class_order': the label each region's voxels get, inner regions "
                       "last (e.g. [1, 2, 3] for BraTS's whole tumour, tumour core, enhancing tumour)\n"),
            std::string::npos)
      << error;
  write_json(R"("labels": {"background": 0, "organ and lesion": [1, 2], "lesion": 2}, "regions_class_order": [1])");
  error = init_error("Dataset004_Nested --threads 2", dir);
  EXPECT_NE(error.find(": 'regions_class_order' has 1 labels for 2 regions (organ and lesion, lesion): one per region, in their order\n"), std::string::npos)
      << error;
  write_json(R"("labels": {"background": 0, "organ and lesion": [1, 2], "lesion": 2}, "regions_class_order": [1, 0])");
  error = init_error("Dataset004_Nested --threads 2", dir);
  EXPECT_NE(error.find(": 'regions_class_order' lists labels 1, 2, ... (one per region)\n"), std::string::npos) << error;
  write_json(R"("labels": {"background": 0, "organ and lesion": [1, "2"], "lesion": 2}, "regions_class_order": [1, 2])");
  error = init_error("Dataset004_Nested --threads 2", dir);
  EXPECT_NE(error.find(": label 'organ and lesion' must be a label value (0, 1, ...) or, for a region, a list of them\n"), std::string::npos) << error;
  write_json(R"("labels": {"background": 0, "everything": [0, 1, 2], "lesion": 2}, "regions_class_order": [1, 2])");
  error = init_error("Dataset004_Nested --threads 2", dir);
  EXPECT_NE(error.find(": region 'everything' holds label 0, the background; a region is made of labels 1, 2, ...\n"), std::string::npos) << error;
  write_json(R"("labels": {"background": 0, "lesion": [2, 3], "core": 3}, "regions_class_order": [2, 3])");
  EXPECT_EQ(init_error("Dataset004_Nested --threads 2", dir),
            "fuse: error: Dataset004_Nested: the label maps hold label 1, which no region of dataset.json's 'labels' holds (lesion [2, 3], core [3])\n");
}

// A 2D nnU-Net data set (one PNG per case, its colours in it) goes through the photograph template, read from the
// folder as it is; several PNG channels are refused.
TEST(FuseInit, A2DNnUnetFolderGivesAPhotographSegmentation) {
  const fs::path dir = fresh_dir("init_nnunet_2d");
  ASSERT_EQ(run_command("'" FUSE_MAKE_SKIN "' '" + (dir / "data").string() + "' 12 4").exit_code, 0);
  const fs::path set = dir / "Dataset002_Skin";
  for (const char* sub : {"imagesTr", "labelsTr", "imagesTs"}) fs::create_directories(set / sub);
  for (int i = 0; i < 12; ++i) {
    const std::string id = "train_" + std::to_string(i);
    fs::copy_file(dir / "data" / "images" / (id + ".png"), set / "imagesTr" / (id + "_0000.png"));
    fs::copy_file(dir / "data" / "images" / (id + "_mask.png"), set / "labelsTr" / (id + ".png"));
  }
  fs::copy_file(dir / "data" / "images" / "train_0.png", set / "imagesTs" / "new_0000.png");
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "photo"}, "labels": {"background": 0, "lesion": 1}, "numTraining": 12, "file_ending": ".png"})";
  // With nnU-Net's residual encoder: the 2D UNet has it, and the template names the option that made it.
  CommandResult r = fuse("init Dataset002_Skin --threads 2 --encoder residual --out skin.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote skin.json: 2D segmentation of mask value 255 ("), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "skin.json").find(R"("channels": [16, 32, 64], "encoder": "residual",)"), std::string::npos);
  EXPECT_NE(read_text(dir / "skin.json").find("// Made by `fuse init Dataset002_Skin --encoder residual`:"), std::string::npos);
  EXPECT_NE(read_text(dir / "skin.json").find(R"("source": {"folder": "Dataset002_Skin/imagesTr", "pattern": "*_0000.png", "key": "data.photo", "id": "{*}",)"),
            std::string::npos);
  ASSERT_EQ(fuse("run skin.json --epochs 1 --no-progress --out run", dir).exit_code, 0);
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --folder Dataset002_Skin/imagesTs --out test --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "test" / "new.png"));
  // Refused: more mask values than labels (the masks' 0 and 255 against one label), the ignore label, regions.
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "photo"}, "labels": {"background": 0}, "file_ending": ".png"})";
  EXPECT_EQ(init_error("Dataset002_Skin --threads 2", dir),
            "fuse: error: Dataset002_Skin: the masks hold 2 values (0, 255) but dataset.json's 'labels' names 1 (background): one mask value per label\n");
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "photo"}, "labels": {"background": 0, "lesion": 1, "ignore": 2}, "file_ending": ".png"})";
  EXPECT_EQ(init_error("Dataset002_Skin --threads 2", dir),
            "fuse: error: Dataset002_Skin: dataset.json's 'ignore' label (2), but its cases are photographs, whose template does not leave a label out "
            "yet; the ignore label is for volumes\n");
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "photo"}, "labels": {"background": 0, "lesion": [1, 2], "core": 2}, )"
                                      << R"("regions_class_order": [1, 2], "file_ending": ".png"})";
  EXPECT_EQ(init_error("Dataset002_Skin --threads 2", dir),
            "fuse: error: Dataset002_Skin: dataset.json's 'labels' are regions, but its cases are photographs, whose template segments classes; "
            "region-based labels are for volumes\n");
  std::ofstream(set / "dataset.json") << R"({"channel_names": {"0": "R", "1": "G"}, "labels": {"background": 0, "lesion": 1}, "file_ending": ".png"})";
  EXPECT_EQ(init_error("Dataset002_Skin --threads 2", dir),
            "fuse: error: case 'train_0' of Dataset002_Skin/dataset.json: no file '" + (fs::path("Dataset002_Skin") / "imagesTr" / "train_0_0001.png").string() +
                "' for channel 1 (G)\n");
  for (int i = 0; i < 12; ++i)
    fs::copy_file(set / "imagesTr" / ("train_" + std::to_string(i) + "_0000.png"), set / "imagesTr" / ("train_" + std::to_string(i) + "_0001.png"));
  EXPECT_EQ(init_error("Dataset002_Skin --threads 2", dir),
            "fuse: error: Dataset002_Skin: 2 channels of photographs (R, G); photographs bring their colours in one file: give dataset.json one channel\n");
}

TEST(FuseInit, ImagesWithALabelGiveAClassificationThatRuns) {
  const fs::path dir = fresh_dir("init_images");
  ASSERT_EQ(run_command("'" FUSE_MAKE_NODULES "' '" + (dir / "data").string() + "' 40 8").exit_code, 0);
  CommandResult r = fuse("init data/train.csv --target label --threads 2 --out nodules.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote nodules.json: 3D binary classification of 'label' from 40 images\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "nodules.json");
  EXPECT_NE(text.find(R"({"op": "fuse.medical.pad_or_crop", "keys": ["data.scan"], "size": [28, 28, 28]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("folds": {"k": 5, "stratify": "data.label", "group": "data.patient", "file": "nodules_folds.json"})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("model": {"model": "fuse.models.cnn_classifier", "dims": 3, "num_classes": 2,)"), std::string::npos) << text;
  r = fuse("run nodules.json --epochs 1 --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model component 'net': in_channels 1 ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: auc = "), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --input data/images/v0.nii.gz", dir);  // the image steps alone: no label needed
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model.probs"), std::string::npos) << r.out;
  // Text classes, one row without its label: the bundle's inference numbers the classes of a table that has
  // them, so it is scored; the row without one is predicted, not scored.
  rewrite_table(dir / "data" / "train.csv", dir / "data" / "text.csv", "id,image,label,patient", [](int i, const std::vector<std::string_view>& cells) {
    return std::string(cells[0]) + "," + std::string(cells[1]) + "," + (i == 3 ? "" : cells[2] == "1" ? "malignant" : "benign") + "," + std::string(cells[3]);
  });
  r = fuse("init data/text.csv --target label --threads 2 --out text.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  rows left out: 1 without 'label'"), std::string::npos) << r.out;
  ASSERT_EQ(fuse("run text.json --epochs 1 --no-progress --out text_run", dir).exit_code, 0);
  ASSERT_EQ(fuse("export text_run --out text_bundle", dir).exit_code, 0);
  r = fuse("infer text_bundle --table data/text.csv --out text_scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation of the 39 rows with a target (1 without one: predicted, not scored)\nevaluation: auc = "), std::string::npos) << r.out;
  // --max-size bounds the input's side (and is repeated in the command the file names).
  r = fuse("init data/train.csv --target label --threads 2 --max-size 16 --out small.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string small = read_text(dir / "small.json");
  EXPECT_NE(small.find(R"({"op": "fuse.medical.pad_or_crop", "keys": ["data.scan"], "size": [16, 16, 16]})"), std::string::npos) << small;
  EXPECT_NE(small.find("// Made by `fuse init data/train.csv --target label --image image --max-size 16`:"), std::string::npos) << small;

  // Clinical columns beside the images (an age with an empty cell, a sex): the CNN becomes a backbone whose pooled
  // features a head joins with them; a test table of the same columns is predicted and scored.
  for (const std::string name : {"train", "validation"}) {
    std::ifstream in(dir / "data" / (name + ".csv"));
    std::ofstream table(dir / "data" / (name + "_clinical.csv"));
    std::string row;
    for (int i = 0; std::getline(in, row); ++i)
      table << row << (i == 0 ? ",age,sex" : "," + (i == 3 ? std::string() : std::to_string(50 + i % 17)) + (i % 3 ? ",F" : ",M")) << "\n";
  }
  r = fuse("init data/train_clinical.csv --target label --threads 2 --out clinical.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote clinical.json: 3D binary classification of 'label' from 40 images and 1 number and 1 categorical column\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  numbers: age\n  categories: sex\n  left out id: the ids\n  left out patient: the folds' groups\n"), std::string::npos) << r.out;
  const std::string clinical = read_text(dir / "clinical.json");
  EXPECT_NE(clinical.find(R"({"name": "net", "model": "fuse.models.cnn_classifier", "dims": 3, "num_classes": 0, )"), std::string::npos) << clinical;
  EXPECT_NE(clinical.find(R"("inputs": ["model.features", "data.features"], "outputs": ["model.logits", "model.probs"]})"), std::string::npos) << clinical;
  EXPECT_NE(clinical.find(R"(    {"op": "fuse.ops.zscore", "keys": ["data.age"], "fit": true},
    // one channel per value)"),
            std::string::npos)
      << clinical;  // in the inference steps too, four spaces deep
  r = fuse("run clinical.json --epochs 1 --out clinical_run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model component 'head': in_channels 64 ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model component 'head': tabular_features 3 ("), std::string::npos) << r.out;  // age, F, M
  ASSERT_EQ(fuse("export clinical_run --out clinical_bundle", dir).exit_code, 0);
  r = fuse("infer clinical_bundle --table data/validation_clinical.csv --out scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("auc = "), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "scored" / "predictions.csv"));
  r = fuse("infer clinical_bundle --input data/images/v0.nii.gz", dir);  // an image without its row
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("key 'data.age' missing"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" (a file given alone holds only 'data.image': an inference that reads other columns of the training table needs them, `fuse "
                       "infer BUNDLE --table rows.csv`)\n"),
            std::string::npos)
      << r.err;

  // Two 0/1 findings per image: the CNN gives a logit per label, a sigmoid each.
  {
    std::ifstream in(dir / "data" / "train.csv");
    std::ofstream table(dir / "data" / "train_findings.csv");
    std::string row;
    for (int i = 0; std::getline(in, row); ++i) table << row << (i == 0 ? ",calcified" : (i % 4 < 2 ? ",1" : ",0")) << "\n";
  }
  r = fuse("init data/train_findings.csv --target label,calcified --threads 2 --out findings.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string findings = read_text(dir / "findings.json");
  EXPECT_NE(findings.find(R"("model": {"model": "fuse.models.cnn_classifier", "dims": 3, "num_classes": 2,)"), std::string::npos) << findings;
  EXPECT_NE(findings.find(R"("outputs": ["model.logits"]})"), std::string::npos) << findings;
  r = fuse("run findings.json --epochs 1 --no-progress --out findings_run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: auc.macro = "), std::string::npos) << r.out;
}

// Survival from images (a prognosis from a scan or a photograph): the CNN gives one risk, trained by the Cox
// partial likelihood within batches of 32, scored by the C-index with Kaplan-Meier curves in the report.
TEST(FuseInit, ImagesWithATimeAndAnEventGiveASurvivalModel) {
  const fs::path dir = fresh_dir("init_image_survival");
  ASSERT_EQ(run_command("'" FUSE_MAKE_SKIN "' '" + (dir / "data").string() + "' 24 4").exit_code, 0);
  // The malignant ones progress sooner; every fourth row is censored.
  rewrite_table(dir / "data" / "train.csv", dir / "data" / "survival.csv", "id,image,years,progressed", [](int i, const std::vector<std::string_view>& cells) {
    return std::string(cells[0]) + "," + std::string(cells[1]) + "," + std::to_string(cells[3] == "1" ? 1 + i % 3 : 4 + i % 5) + "," + (i % 4 != 0 ? "1" : "0");
  });
  CommandResult r = fuse("init data/survival.csv --time years --event progressed --threads 2 --out survival.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote survival.json: 2D survival ('years' to the event 'progressed') from 24 photographs\n"), std::string::npos) << r.out;
  const std::string text = read_text(dir / "survival.json");
  EXPECT_NE(text.find("// Made by `fuse init data/survival.csv --time years --event progressed --image image"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("model": {"model": "fuse.models.cnn_regressor", "dims": 2, "channels": [16, 32, 64, 128], "strides": [2, 2, 2, 2], "inputs": ["data.photo"], "outputs": ["model.risk"]},)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("loader": {"batch_size": 32,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("losses": {"cox": {"loss": "fuse.losses.cox", "pred": "model.risk", "time": "data.years", "event": "data.progressed"}},)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("folds": {"k": 5, "stratify": "data.progressed", )"), std::string::npos) << text;
  r = fuse("run survival.json --epochs 1 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("evaluation: c_index = "), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "run" / "report.html").find("<img alt=\"Kaplan-Meier curves by predicted risk, km\""), std::string::npos);
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --input data/images/test_0.png", dir);  // an image alone: its risk
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"model.risk\": ["), std::string::npos) << r.out;
  // A discrete-time model: a classifier over the time bins; an image alone gets its expected time and its
  // probability of no event by the horizon (the time's bin skipped without a time).
  r = fuse("init data/survival.csv --time years --event progressed --survival-model discrete --threads 2 --out discrete.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string discrete = read_text(dir / "discrete.json");
  EXPECT_NE(discrete.find(R"("model": {"model": "fuse.models.cnn_classifier", "dims": 2, "num_classes": 10, )"), std::string::npos) << discrete;
  EXPECT_NE(discrete.find(R"(    {"op": "fuse.ops.time_bins", "key": "data.years", "out": "data.years_bin", "bins": 10, "fit": true, "apply_if_present": "data.years"})"),
            std::string::npos)
      << discrete;  // in the inference steps too
  ASSERT_EQ(fuse("run discrete.json --epochs 1 --no-progress --out discrete_run", dir).exit_code, 0);
  ASSERT_EQ(fuse("export discrete_run --out discrete_bundle", dir).exit_code, 0);
  r = fuse("infer discrete_bundle --input data/images/test_0.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"model.expected_time\": ["), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"model.survival\": ["), std::string::npos) << r.out;
  EXPECT_EQ(init_error("data/survival.csv --time years --event progresed", dir),
            "fuse: error: data/survival.csv: no column 'progresed'; did you mean 'progressed'? (--event; columns: id, image, years, progressed)\n");
}

// Photographs (PNG) with a label and a mask of 0 and 255: a 2D classification and a 2D segmentation, each run for
// an epoch, exported and used on one photograph.
TEST(FuseInit, PhotographsGive2DExperimentsThatRunAndInfer) {
  const fs::path dir = fresh_dir("init_photographs");
  ASSERT_EQ(run_command("'" FUSE_MAKE_SKIN "' '" + (dir / "data").string() + "' 20 4").exit_code, 0);
  CommandResult r = fuse("dataset summary data/train.csv --threads 2", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("IMAGE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" more sizes (--json lists them all)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mask pixels per label: 0: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("SPACING"), std::string::npos) << r.out;  // photographs have none
  std::ofstream(dir / "data" / "swapped.csv") << "id,image,mask\na,images/train_0.png,images/train_1_mask.png\n";
  r = fuse("dataset summary data/swapped.csv", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("masks of another size than their image: 1 of 1\n  train_1_mask.png: image size 127x83 against 100x111 (mask)\n"), std::string::npos)
      << r.out;

  r = fuse("init data/train.csv --target label --threads 2 --out photos.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote photos.json: 2D binary classification of 'label' from 20 photographs\n"), std::string::npos) << r.out;
  std::string text = read_text(dir / "photos.json");
  EXPECT_NE(text.find(R"({"op": "fuse.io.read_image", "path_key": "data.image", "key": "data.photo", "mode": "color", "to_float": true})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("model": {"model": "fuse.models.cnn_classifier", "dims": 2, "num_classes": 2, "channels": [16, 32, 64, 128])"), std::string::npos) << text;
  EXPECT_NE(text.find(R"({"op": "fuse.image2d.resize_and_pad", "keys": ["data.photo"], "size": [112, 112], "interpolation": "area"})"), std::string::npos)
      << text;  // the median longer side, under 128
  ASSERT_EQ(fuse("init data/train.csv --target label --threads 2 --max-size 50 --out small.json", dir).exit_code, 0);
  const std::string small = read_text(dir / "small.json");  // 50 pixels, made a multiple of 4
  EXPECT_NE(small.find(R"({"op": "fuse.image2d.resize_and_pad", "keys": ["data.photo"], "size": [48, 48], "interpolation": "area"})"), std::string::npos)
      << small;
  r = fuse("data show photos.json --n 2 --out photos.png", dir);  // in colour (the slice grid's test checks the colours)
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "photos.png"));
  r = fuse("run photos.json --epochs 1 --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model component 'net': in_channels 3 ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation: auc = "), std::string::npos) << r.out;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --input data/images/test_0.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("model.probs"), std::string::npos) << r.out;

  EXPECT_EQ(init_error("data/train.csv --mask mask --regions 1 --threads 2", dir),
            "fuse: error: --regions: data/train.csv holds photographs, whose template segments classes; region-based labels are for volumes\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --slices --threads 2", dir),
            "fuse: error: --slices: data/train.csv holds photographs, which are 2D already; --slices trains on the slices of volumes\n");
  EXPECT_EQ(init_error("data/train.csv --mask mask --cascade oof --threads 2", dir),
            "fuse: error: --cascade: data/train.csv holds photographs; a cascade refines a 3D UNet's segmentations of volumes\n");
  r = fuse("init data/train.csv --mask mask --threads 2 --out seg.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote seg.json: 2D segmentation of mask value 255 ("), std::string::npos) << r.out;
  text = read_text(dir / "seg.json");
  EXPECT_NE(text.find(R"({"op": "fuse.ops.replace_values", "keys": ["data.seg"], "from": [255], "to": [1]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("model": {"model": "fuse.models.unet", "dims": 2, "num_classes": 2,)"), std::string::npos) << text;
  r = fuse("run seg.json --epochs 1 --out seg_run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("loss 'dice_ce': class_weights and dice_class_weights [1, 1] ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("validation.dice = "), std::string::npos) << r.out;
  // The mask comes back at the photograph's own size (not the model's square), in the masks' values.
  ASSERT_EQ(fuse("export seg_run --out seg_bundle", dir).exit_code, 0);
  r = fuse("infer seg_bundle --input data/images/test_0.png --output test_0_mask.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(png_size(dir / "test_0_mask.png"), png_size(dir / "data" / "images" / "test_0.png"));
  // A test table: each written mask scored against the table's (0/255 read back as classes 0/1).
  r = fuse("infer seg_bundle --table data/test.csv --out scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dice = "), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "scored" / "test_3.png"));
  std::ofstream(dir / "data" / "photos_as_masks.csv") << "id,image,mask\na,images/test_0.png,images/test_0.png\n";
  r = fuse("infer seg_bundle --table data/photos_as_masks.csv --out refused --no-progress", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the reference data.mask '" + (dir / "data" / "images" / "test_0.png").string() + "' has 3 channels; a label map has one\n"),
            std::string::npos)
      << r.err;
  // A reference holding a value the masks do not (128), written by fuse.io.write_image through `fuse op run`.
  const auto [width, height] = png_size(dir / "data" / "images" / "test_0.png");
  ASSERT_TRUE(write_picture(dir, "data/images/odd.png", width, height, [](uint32_t x, uint32_t y) { return x == 5 && y == 5 ? 128 : 0; }));
  std::ofstream(dir / "data" / "odd_masks.csv") << "id,image,mask\na,images/test_0.png,images/odd.png\n";
  r = fuse("infer seg_bundle --table data/odd_masks.csv --out odd --no-progress", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("images/odd.png' holds the value 128, which is none of the masks' values the inference writes (0, 255)\n"), std::string::npos) << r.err;

  // Refused: photographs mixed with volumes; a mask in colour.
  std::ofstream(dir / "data" / "mixed.csv") << "id,image,label\na,images/train_0.png,0\nb,images/train_1.png,1\nc,images/train_2.png,0\nd,x.nii.gz,1\n";
  r = fuse("init data/mixed.csv --target label --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the images mix photographs ('"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("x.nii.gz'); one data set holds one kind\n"), std::string::npos) << r.err;
  std::ofstream(dir / "data" / "rgb_masks.csv") << "id,image,mask\na,images/train_0.png,images/train_0.png\nb,images/train_1.png,images/train_1.png\n"
                                                 << "c,images/train_2.png,images/train_2.png\nd,images/train_3.png,images/train_3.png\n";
  // Masks saved as JPEG: a white disc's edges come back as many grey values.
  ASSERT_TRUE(write_picture(dir, "data/images/square.jpg", 32, 32, [](uint32_t x, uint32_t y) {
    const int dx = static_cast<int>(x) - 13, dy = static_cast<int>(y) - 14;
    return dx * dx + dy * dy < 60 ? 255 : 0;
  }));
  std::ofstream(dir / "data" / "jpeg_masks.csv") << "id,image,mask\na,images/train_0.png,images/square.jpg\nb,images/train_1.png,images/square.jpg\n"
                                                  << "c,images/train_2.png,images/square.jpg\nd,images/train_3.png,images/square.jpg\n";
  r = fuse("init data/jpeg_masks.csv --mask mask --threads 1 --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("fuse: error: data/jpeg_masks.csv: mask '"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("square.jpg' is a JPEG, whose compression changes the values at its edges ("), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" distinct values over the masks): save the masks as PNG\n"), std::string::npos) << r.err;
  // Photographs named as masks (grey, so one channel): hundreds of values.
  std::ofstream(dir / "data" / "grey_masks.csv") << "id,image,mask\na,images/train_0.png,grey.png\nb,images/train_1.png,grey.png\n"
                                                  << "c,images/train_2.png,grey.png\nd,images/train_3.png,grey.png\n";
  ASSERT_TRUE(write_picture(dir, "data/grey.png", 8, 8, [](uint32_t x, uint32_t y) { return static_cast<int>(y * 32 + x * 4); }));
  r = fuse("init data/grey_masks.csv --mask mask --threads 1 --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: data/grey_masks.csv: the masks hold 64 distinct values (0 to 252); a label map holds a few classes (is the mask column an "
                   "image?)\n");
  r = fuse("init data/rgb_masks.csv --mask mask --threads 1 --out none.json", dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("images/train_0.png' has 3 channels; a label map has one (a grey image of 0, 1, 2, ...)\n"), std::string::npos) << r.err;
}

// A clinical table where some patients have no outcome: training leaves their rows out ("required"), and the
// bundle predicts every row of a table, scoring those with a target.
TEST(FuseInit, RowsWithoutTheTargetAreLeftOutOfTrainingAndPredicted) {
  const fs::path dir = fresh_dir("init_required");
  write_table(dir);  // y is empty in 6 of the 60 rows
  CommandResult r = fuse("init patients.csv --target y --exclude label,grade --out y.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  rows left out: 6 without 'y' (the source's \"required\": nothing to learn from)\n"), std::string::npos) << r.out;
  EXPECT_NE(read_text(dir / "y.json").find("    // rows with an empty target cell are left out: nothing to learn from\n"
                                           "    \"source\": {\"table\": \"patients.csv\", \"required\": [\"y\"]},"),
            std::string::npos);
  r = fuse("run y.json --epochs 2 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("patients.csv: left out 6 of 60 rows with an empty required cell (6 without 'y')"), std::string::npos) << r.err;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --table patients.csv --out test --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("predicted 60 of 60 inputs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evaluation of the 54 rows with a target (6 without one: predicted, not scored)\nevaluation: regression.mae = "), std::string::npos)
      << r.out;
  const boost::json::value evaluation = boost::json::parse(read_text(dir / "test" / "evaluation.json"));
  EXPECT_EQ(evaluation.at("data").at("rows").as_int64(), 54);
  EXPECT_EQ(evaluation.at("data").at("without_target").as_int64(), 6);
  const std::string predictions = read_text(dir / "test" / "predictions.csv");
  EXPECT_EQ(predictions.substr(0, predictions.find('\n')), "id,data.x,data.y,data.site,data.note,data.grade,data.age,data.label,model.pred_z,model.pred");
  EXPECT_EQ(predictions.find("\np0,0,,north,"), predictions.find('\n')) << predictions;  // its empty cell stays empty
}

// Cases without a label map (not annotated yet): training leaves them out, inference segments every case and
// compares those with one.
TEST(FuseInit, ImagesWithoutALabelMapAreLeftOutOfTrainingAndSegmented) {
  const fs::path dir = fresh_dir("init_unlabelled");
  ASSERT_EQ(run_command("'" FUSE_MAKE_SKIN "' '" + (dir / "data").string() + "' 16 4").exit_code, 0);
  rewrite_table(dir / "data" / "train.csv", dir / "data" / "partly.csv", "id,image,mask,label", [](int i, const std::vector<std::string_view>& cells) {
    return std::string(cells[0]) + "," + std::string(cells[1]) + "," + (i % 8 == 1 ? "" : std::string(cells[2])) + "," + std::string(cells[3]);
  });
  CommandResult r = fuse("init data/partly.csv --mask mask --threads 2 --out seg.json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2D segmentation of mask value 255 ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" in 14 photographs\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  rows left out: 2 without 'mask' (the source's \"required\": no label map to learn from; fuse infer still segments them)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(read_text(dir / "seg.json").find(R"("source": {"table": "data/partly.csv", "paths": ["image", "mask"], "required": ["mask"]},)"), std::string::npos);
  r = fuse("run seg.json --epochs 1 --no-progress --out run", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("data/partly.csv: left out 2 of 16 rows with an empty required cell (2 without 'mask')"), std::string::npos) << r.err;
  ASSERT_EQ(fuse("export run --out bundle", dir).exit_code, 0);
  r = fuse("infer bundle --table data/partly.csv --out scored --no-progress", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("predicted 16 of 16 inputs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not compared: 2 of 16 inputs without a 'data.mask' (predicted, not compared)\n"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "scored" / "train_1.png"));  // an unlabelled case, segmented
  const boost::json::value evaluation = boost::json::parse(read_text(dir / "scored" / "evaluation.json"));
  EXPECT_EQ(evaluation.at("data").at("rows").as_int64(), 14);
  EXPECT_EQ(evaluation.at("cases").as_array().size(), 14u);
}

TEST(FuseInit, RefusalsNameTheColumnAndWhatToDo) {
  const fs::path dir = fresh_dir("init_errors");
  write_table(dir);
  std::ofstream(dir / "small.csv") << "id,a,b,note,e\n1,1,x,,\n2,1,y,,\n3,1,z,q,\n";
  const auto error = [&](const std::string& args) { return init_error(args, dir); };
  EXPECT_EQ(error("patients.csv --target lable"), "fuse: error: patients.csv: no column 'lable'; did you mean 'label'? (--target; columns: id, x, y, site, note, grade, age, label)\n");
  EXPECT_EQ(error("patients.csv --target label --exclude sites"),
            "fuse: error: patients.csv: no column 'sites'; did you mean 'site'? (--exclude; columns: id, x, y, site, note, grade, age, label)\n");
  EXPECT_EQ(error("small.csv --target e"), "fuse: error: small.csv: the target 'e' is empty in every row\n");
  EXPECT_EQ(error("small.csv --target a"), "fuse: error: small.csv: the target 'a' has one value only: there is nothing to learn\n");
  EXPECT_EQ(error("patients.csv --target note"), "fuse: error: patients.csv: the target 'note' has 60 distinct values, too many for classes\n");
  EXPECT_EQ(error("patients.csv --target age --task classification"),
            "fuse: error: patients.csv: the target 'age' has 60 distinct values, too many for classes (--task regression)\n");
  EXPECT_EQ(error("patients.csv --target site --task regression"),
            "fuse: error: patients.csv: the target 'site' holds text: a regression needs numbers (--task classification)\n");
  EXPECT_EQ(error("small.csv --target b"),
            "fuse: error: small.csv: no column is left to learn from (id: the ids, a: one value, note: one value, e: empty); features are numbers, or texts of "
            "at most 50 "
            "values that repeat\n");
  EXPECT_EQ(error("nothing.csv --target label"), "fuse: error: no table 'nothing.csv'\n");
  EXPECT_EQ(error("patients.csv --target label --fold-group sitee"),
            "fuse: error: patients.csv: no column 'sitee'; did you mean 'site'? (--fold-group; columns: id, x, y, site, note, grade, age, label)\n");
  EXPECT_EQ(error("patients.csv --target label --fold-group y"),
            "fuse: error: patients.csv: the fold group 'y' is empty in 6 rows: give each row its patient (--fold-group), or --fold-group none\n");
  EXPECT_EQ(error("small.csv --target b --fold-group a"), "fuse: error: small.csv: the fold group 'a' holds one value: folds need at least 2 groups\n");
  EXPECT_EQ(error("patients.csv --target label --max-size 2"), "fuse: error: --max-size 2: an image side needs at least 4 pixels or voxels (the UNets halve it twice)\n");
  EXPECT_EQ(error("patients.csv --target label --max-size 32"),
            "fuse: error: --max-size sizes images; patients.csv has no column 'image' (--image), so its columns are the features\n");
  EXPECT_EQ(error("patients.csv --time age --event label --max-size 32"),
            "fuse: error: --max-size sizes images; patients.csv has no column 'image' (--image), so its columns are the features\n");
  EXPECT_EQ(fuse("init patients.csv --target label --out patients.csv/out.json", dir).err,
            "fuse: error: cannot write 'patients.csv/out.json': cannot make its folder 'patients.csv' (Not a directory)\n");
  fs::create_directory(dir / "folder");
  EXPECT_EQ(fuse("init patients.csv --target label --out folder --force", dir).err, "fuse: error: cannot write 'folder' (Is a directory)\n");
  EXPECT_EQ(error("patients.csv"), "fuse: error: give --target COLUMN (a table's other columns, or its images, predict it), --mask COLUMN (label maps of the "
                                   "images in --image COLUMN: a segmentation) or --time and --event COLUMNs (survival)\n");
  EXPECT_EQ(error("patients.csv --mask labels"), "fuse: error: patients.csv: no column 'image'; did you mean 'age'? (--image; columns: id, x, y, site, note, grade, age, label)\n");
  std::ofstream(dir / "images.csv") << "image,mask\na.nii.gz,b.nii.gz\n";
  EXPECT_EQ(error("images.csv --mask mask"), "fuse: error: images.csv: 1 images; folds need at least 4\n");
  std::ofstream(dir / "images.csv") << "image,mask\na.nii.gz,b.nii.gz\na.nii.gz,\nc,d\ne,f\n";  // a row without its mask is left out
  EXPECT_EQ(error("images.csv --mask mask"), "fuse: error: images.csv: 3 images; folds need at least 4\n");
  std::ofstream(dir / "images.csv") << "image,mask\na.nii.gz,b.nii.gz\n,x\nc,d\ne,f\n";
  EXPECT_EQ(error("images.csv --mask mask"), "fuse: error: row 2 of images.csv: no path in column 'image'\n");
}

}  // namespace
}  // namespace fuse::testing
