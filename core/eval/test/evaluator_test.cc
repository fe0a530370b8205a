// The evaluator through its public interface, on prediction files written by the tests.
#include "fuse/eval/evaluator.h"

#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "fuse/eval/eval_config.h"
#include "fuse/json/document.h"
#include "test_support.h"

namespace fuse::eval {
namespace {

namespace fs = std::filesystem;
namespace bj = boost::json;
using testing::built_plugins;
using testing::error_of;
using testing::fresh_dir;

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

// 400 rows: label, a score that separates the classes somewhat, a second model, a site and a fold.
std::string predictions(unsigned seed = 1, size_t n = 400) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.2);
  std::string text = "id,label,score,other,site,fold\n";
  for (size_t i = 0; i < n; ++i) {
    const int y = i % 3 == 0;
    const double s = std::clamp(0.35 + 0.3 * y + noise(rng), 0.001, 0.999);
    const double o = std::clamp(0.4 + 0.15 * y + noise(rng), 0.001, 0.999);
    text += "case" + std::to_string(i) + "," + std::to_string(y) + "," + std::to_string(s) + "," + std::to_string(o) + "," +
            (i % 4 == 0 ? "oslo" : "bergen") + "," + std::to_string(i % 5) + "\n";
  }
  return text;
}

EvalConfig basic(const fs::path& file, std::vector<std::string> metrics) {
  EvalConfig c;
  c.predictions.push_back(PredictionFile{file, file.stem().string()});
  c.target_column = "label";
  c.score_columns = {"score"};
  for (const std::string& m : metrics) c.metrics.push_back(MetricSpec{m, m, {}, false, "--metric " + m});
  return c;
}

double value(const bj::object& result, const std::string& metric) {
  return result.at("metrics").at(metric).at("value").to_number<double>();
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_dir("evaluator"); }
  fs::path dir_;
};

// Survival's columns and horizon, given once in an evaluation file, go to every metric that takes them unless
// its config names its own; the events are the bootstrap's strata.
TEST_F(EvaluatorTest, SurvivalColumnsAreBoundLikeTheScore) {
  std::string text = "id,years,progressed,risk,other_years\n";
  for (int i = 0; i < 60; ++i)
    text += "p" + std::to_string(i) + "," + std::to_string(1 + (i * 7) % 10) + "," + std::to_string(i % 3 != 0) + "," + std::to_string(10 - (i * 7) % 10) +
            "," + std::to_string(1 + i % 10) + "\n";
  write(dir_, "followup.csv", text);
  write(dir_, "eval.json", R"({"predictions": "followup.csv", "target": "progressed", "score": "risk", "time": "years", "event": "progressed",
    "horizon": 5, "metrics": {"c_index": "c_index", "auc5": "survival_auc", "other": {"component": "c_index", "config": {"time": "other_years"}},
                              "auc_years": {"component": "survival_auc", "config": {"times": [3, 5]}}}})");
  const EvalConfig config = read_eval_config(json::Document::load(dir_ / "eval.json"));
  EXPECT_EQ(config.time_column, "years");
  EXPECT_EQ(config.event_column, "progressed");
  EXPECT_EQ(config.horizon, 5.0);
  const bj::object result = Evaluator(built_plugins(), config).run();
  // The same as each metric naming them itself.
  write(dir_, "explicit.json", R"({"predictions": "followup.csv", "target": "progressed", "score": "risk", "metrics": {
    "c_index": {"component": "c_index", "config": {"time": "years", "event": "progressed"}},
    "auc5": {"component": "survival_auc", "config": {"time": "years", "event": "progressed", "horizon": 5}},
    "other": {"component": "c_index", "config": {"time": "other_years", "event": "progressed"}}}})");
  const bj::object expected = Evaluator(built_plugins(), read_eval_config(json::Document::load(dir_ / "explicit.json"))).run();
  for (const char* m : {"c_index", "auc5", "other"}) EXPECT_EQ(value(result, m), value(expected, m)) << m;
  EXPECT_GT(value(result, "c_index"), 0.95);  // the risk falls as the time grows (an event and a censoring at one time tie)
  EXPECT_EQ(value(result, "auc5"), 1.0);
  EXPECT_LT(value(result, "other"), 0.7);  // its own time column
  EXPECT_NEAR(value(result, "auc_years"), 1.0, 1e-12);  // at several times: the horizon is not bound to it
  write(dir_, "unused.json", R"({"predictions": "followup.csv", "target": "progressed", "score": "risk", "horizon": 5, "metrics": {"auc": "auc"}})");
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), read_eval_config(json::Document::load(dir_ / "unused.json"))).run(); }),
            "the horizon (--horizon) is given, but no metric asked takes it (auc); survival_auc, survival_brier, survival_calibration do");
}

// A metric's key naming a tensor that predictions.csv wrote in several columns (s_0, s_1: a survival curve)
// reads them as one [rows, k] tensor.
TEST_F(EvaluatorTest, NumberedColumnsAreReadAsOneTensor) {
  const fs::path file = write(dir_, "curves.csv", "id,s_0,s_1,t,e\na,0.95,0.9,6,0\nb,0.3,0.2,1,1\nc,0.8,0.6,3,1\nd,0.7,0.5,2,0\n");
  EvalConfig c;
  c.predictions.push_back(PredictionFile{file, "curves"});
  c.metrics.push_back(MetricSpec{"ibs", "integrated_brier", bj::object{{"pred", "s"}, {"time", "t"}, {"event", "e"}, {"times", bj::array{2, 4}}}, false, "test"});
  const bj::object result = Evaluator(built_plugins(), c).run();
  const double at2 = (0.09 + 0.04 * 1.5 + 0.0025 * 1.5) / 4, at4 = (0.04 + 0.36 * 1.5 + 0.01 * 1.5) / 4;  // as integrated_brier_test's
  EXPECT_NEAR(value(result, "ibs"), (at2 + at4) / 2, 1e-12);
  c.metrics[0].config["pred"] = "q";
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "no column 'q' in " + file.string() + " (columns: e, id, s_0, s_1, t)");
}

TEST_F(EvaluatorTest, ValuesAndIntervals) {
  EvalConfig c = basic(write(dir_, "p.csv", predictions()), {"auc", "accuracy"});
  c.ci.rounds = 300;
  bj::object r = Evaluator(built_plugins(), c).run();
  const double auc = value(r, "auc");
  // The same AUC as the metric computes directly on the rows.
  EvalConfig plain = basic(dir_ / "p.csv", {"auc"});
  EXPECT_EQ(value(Evaluator(built_plugins(), plain).run(), "auc"), auc);
  const bj::object& ci = r.at("metrics").at("auc").at("ci").as_object();
  EXPECT_LT(ci.at("lower").to_number<double>(), auc);
  EXPECT_GT(ci.at("upper").to_number<double>(), auc);
  EXPECT_EQ(ci.at("rounds").as_int64(), 300);
  EXPECT_EQ(ci.at("level").as_double(), 0.95);
  EXPECT_TRUE(r.at("metrics").as_object().contains("accuracy"));
  EXPECT_EQ(r.at("data").at("rows").as_int64(), 400);
  EXPECT_EQ(r.at("data").at("classes").at("1").as_int64(), 134);
}

TEST_F(EvaluatorTest, SameSeedSameIntervalsWhateverTheThreads) {
  EvalConfig c = basic(write(dir_, "p.csv", predictions()), {"auc", "brier"});
  c.ci.rounds = 200;
  c.ci.seed = 7;
  c.threads = 1;
  const bj::object one = Evaluator(built_plugins(), c).run();
  c.threads = 4;
  const bj::object four = Evaluator(built_plugins(), c).run();
  EXPECT_EQ(one.at("metrics"), four.at("metrics"));
  c.ci.seed = 8;
  EXPECT_NE(Evaluator(built_plugins(), c).run().at("metrics"), one.at("metrics"));
}

TEST_F(EvaluatorTest, GroupsEqualEvaluatingEachSubsetAlone) {
  write(dir_, "p.csv", predictions());
  EvalConfig c = basic(dir_ / "p.csv", {"auc"});
  c.group_columns = {"site"};
  bj::object r = Evaluator(built_plugins(), c).run();
  // The Oslo rows alone, in their own file.
  std::istringstream in(predictions());
  std::string line, oslo;
  std::getline(in, line);
  oslo = line + "\n";
  while (std::getline(in, line))
    if (line.find(",oslo,") != std::string::npos) oslo += line + "\n";
  const double alone = value(Evaluator(built_plugins(), basic(write(dir_, "oslo.csv", oslo), {"auc"})).run(), "auc");
  const bj::object& group = r.at("groups").at("site").at("oslo").as_object();
  EXPECT_NEAR(group.at("metrics").at("auc").at("value").to_number<double>(), alone, 1e-12);
  EXPECT_EQ(group.at("rows").as_int64(), 100);
}

TEST_F(EvaluatorTest, FoldsAndTheirAggregate) {
  EvalConfig c = basic(write(dir_, "p.csv", predictions()), {"auc"});
  c.fold_column = "fold";
  bj::object r = Evaluator(built_plugins(), c).run();
  const bj::object& folds = r.at("folds").as_object();
  double sum = 0;
  for (int f = 0; f < 5; ++f) sum += folds.at(std::to_string(f)).at("metrics").at("auc").at("value").to_number<double>();
  EXPECT_NEAR(folds.at("aggregated").at("mean").at("auc").to_number<double>(), sum / 5, 1e-12);
  EXPECT_EQ(folds.at("aggregated").at("folds").as_int64(), 5);
  EXPECT_TRUE(folds.at("aggregated").at("std").at("auc").is_number());
}

TEST_F(EvaluatorTest, FoldsFromFiles) {
  EvalConfig c = basic(write(dir_, "fold_a.csv", predictions(1, 90)), {"auc"});
  c.predictions.push_back(PredictionFile{write(dir_, "fold_b.csv", predictions(2, 90)), "fold_b"});
  c.folds_from_files = true;
  bj::object r = Evaluator(built_plugins(), c).run();
  const double a = value(Evaluator(built_plugins(), basic(dir_ / "fold_a.csv", {"auc"})).run(), "auc");
  EXPECT_NEAR(r.at("folds").at("fold_a").at("metrics").at("auc").at("value").to_number<double>(), a, 1e-12);
  EXPECT_EQ(r.at("data").at("rows").as_int64(), 180);
}

TEST_F(EvaluatorTest, OneVsAllPerClassMacroAndMicro) {
  write(dir_, "m.csv",
        "label,p0,p1,p2\n0,0.7,0.2,0.1\n1,0.2,0.5,0.3\n2,0.1,0.3,0.6\n1,0.3,0.4,0.3\n0,0.5,0.4,0.1\n2,0.4,0.2,0.4\n");
  EvalConfig c;
  c.predictions.push_back(PredictionFile{dir_ / "m.csv", "m"});
  c.target_column = "label";
  c.score_columns = {"p0", "p1", "p2"};
  c.metrics.push_back(MetricSpec{"auc", "auc", {}, true, "--metric auc"});
  bj::object r = Evaluator(built_plugins(), c).run();
  // class 0: positives {0.7, 0.5}, negatives {0.2, 0.1, 0.3, 0.4}: all pairs right -> 1
  EXPECT_NEAR(value(r, "auc.class_0"), 1.0, 1e-12);
  // class 2: positives {0.6, 0.4}, negatives {0.1, 0.3, 0.3, 0.1}: 8/8 -> 1; class 1: {0.5, 0.4} vs {0.2, 0.3, 0.4, 0.2}: 7.5/8
  EXPECT_NEAR(value(r, "auc.class_1"), 7.5 / 8, 1e-12);
  EXPECT_NEAR(value(r, "auc.macro"), (1 + 7.5 / 8 + value(r, "auc.class_2")) / 3, 1e-12);
  EXPECT_TRUE(r.at("metrics").as_object().contains("auc.micro"));
}

// Multi-label (findings of one image): each label column against its score column, as a binary problem alone;
// the macro average with its own interval; a metric without a target (a per-case mean) stays one.
TEST_F(EvaluatorTest, MultiLabelPerLabelMacroAndMicro) {
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(0, 0.25);
  std::string text = "id,effusion,nodule,p_effusion,p_nodule,loss,site\n";
  for (int i = 0; i < 300; ++i) {
    const int a = i % 3 == 0, b = i % 5 < 2;  // both present in some rows, neither in others
    text += "c" + std::to_string(i) + "," + std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(0.3 + 0.4 * a + noise(rng)) + "," +
            std::to_string(0.4 + 0.2 * b + noise(rng)) + "," + std::to_string(0.1 * (i % 7)) + "," + (b ? "x" : "y") + "\n";
  }
  const fs::path file = write(dir_, "ml.csv", text);
  EvalConfig c;
  c.predictions.push_back(PredictionFile{file, "ml"});
  c.label_columns = {"effusion", "nodule"};
  c.score_columns = {"p_*"};
  c.metrics.push_back(MetricSpec{"auc", "auc", {}, false, "--metric auc"});
  c.metrics.push_back(MetricSpec{"loss", "mean", bj::object{{"pred", "loss"}}, false, "--metric mean"});
  c.ci.rounds = 200;
  c.group_columns = {"site"};  // site y holds no nodule: its nodule AUC, and so its macro average, are undefined
  const bj::object r = Evaluator(built_plugins(), c).run();
  const bj::object& y = r.at("groups").at("site").at("y").as_object();
  EXPECT_TRUE(y.at("metrics").as_object().contains("auc.effusion"));
  EXPECT_FALSE(y.at("metrics").as_object().contains("auc.macro"));
  EXPECT_EQ(y.at("errors").at("auc.macro"), "undefined for 1 of the 2 classes");
  // "undefined": "skip": the macro average of the labels defined there, saying how many.
  EvalConfig skipping = c;
  skipping.metrics[0].skip_undefined = true;
  const bj::object s = Evaluator(built_plugins(), skipping).run();
  const bj::object& y_macro = s.at("groups").at("site").at("y").at("metrics").at("auc.macro").as_object();
  EXPECT_EQ(y_macro.at("value"), s.at("groups").at("site").at("y").at("metrics").at("auc.effusion").at("value"));
  EXPECT_EQ(y_macro.at("classes"), (bj::object{{"scored", 1}, {"of", 2}}));
  EXPECT_EQ(s.at("metrics").at("auc.macro").at("classes"), (bj::object{{"scored", 2}, {"of", 2}}));
  EXPECT_NEAR(value(s, "auc.macro"), value(r, "auc.macro"), 1e-12);  // all defined: the same mean
  EvalConfig single = basic(file, {});
  single.target_column = "effusion";
  single.score_columns = {"p_effusion"};
  single.metrics.push_back(MetricSpec{"auc", "auc", {}, false, "eval.json:3:5", false, true});
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), single).run(); }),
            "eval.json:3:5: metric 'auc' (fuse.metrics.auc): 'undefined': 'skip' leaves classes out of a macro average, so it needs one_vs_all or "
            "multi-label 'labels'");
  // Each label's AUC is that label's binary AUC alone.
  for (const auto& [label, score] : {std::pair{"effusion", "p_effusion"}, std::pair{"nodule", "p_nodule"}}) {
    EvalConfig one = basic(file, {"auc"});
    one.target_column = label;
    one.score_columns = {score};
    EXPECT_NEAR(value(r, std::string("auc.") + label), value(Evaluator(built_plugins(), one).run(), "auc"), 1e-12) << label;
  }
  EXPECT_NEAR(value(r, "auc.macro"), (value(r, "auc.effusion") + value(r, "auc.nodule")) / 2, 1e-12);
  const bj::object& ci = r.at("metrics").at("auc.macro").at("ci").as_object();
  EXPECT_LT(ci.at("lower").to_number<double>(), value(r, "auc.macro"));
  EXPECT_GT(ci.at("upper").to_number<double>(), value(r, "auc.macro"));
  EXPECT_EQ(ci.at("rounds").to_number<int64_t>(), 200);
  EXPECT_TRUE(r.at("metrics").as_object().contains("auc.micro"));
  EXPECT_NEAR(value(r, "loss"), 0.3, 0.02);  // no target: one mean over the rows
  EXPECT_EQ(r.at("data").at("labels"), (bj::object{{"effusion", 100}, {"nodule", 120}}));

  // Refused: a label that is not 0 or 1; a label column per score column; labels and a target at once.
  write(dir_, "bad.csv", "id,a,b,pa,pb\nx,0,1,0.2,0.3\ny,1,2,0.4,0.6\n");
  EvalConfig bad;
  bad.predictions.push_back(PredictionFile{dir_ / "bad.csv", "bad"});
  bad.id_column = "id";
  bad.label_columns = {"a", "b"};
  bad.score_columns = {"pa", "pb"};
  bad.metrics.push_back(MetricSpec{"auc", "auc", {}, false, "--metric auc"});
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), bad).run(); }),
            "row 2 of " + (dir_ / "bad.csv").string() + " (id y): label column 'b' is 2; a multi-label target is 0 (absent) or 1 (present) per label");
  bad.score_columns = {"pa"};
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), bad).run(); }),
            "2 label columns (a, b) for 1 score columns (pa): multi-label pairs the i-th label column with the i-th score column");
  bad.score_columns = {"pa", "pb"};
  bad.target_column = "a";
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), bad).run(); }),
            "give a target column (--target-col 'a') or label columns (--label-col: multi-label), not both");
}

TEST_F(EvaluatorTest, AThresholdChosenByOneMetricFeedsAnother) {
  EvalConfig c = basic(write(dir_, "p.csv", "label,score\n0,0.1\n0,0.4\n1,0.35\n1,0.8\n"), {});
  c.metrics.push_back(MetricSpec{"op", "operating_point", bj::object{{"min_sensitivity", 0.9}}, false, "eval.json:3:5"});
  c.metrics.push_back(MetricSpec{"at_op", "confusion", bj::object{{"threshold_key", "results.op.threshold"}}, false, "eval.json:4:5"});
  bj::object r = Evaluator(built_plugins(), c).run();
  EXPECT_EQ(value(r, "op.threshold"), 0.35);
  EXPECT_EQ(value(r, "at_op.threshold"), 0.35);  // predicted positive: 0.4, 0.35, 0.8
  EXPECT_NEAR(value(r, "at_op.accuracy"), 0.75, 1e-12);
}

TEST_F(EvaluatorTest, DependencyCyclesAndUnknownReferencesAreRejected) {
  EvalConfig c = basic(write(dir_, "p.csv", "label,score\n0,0.1\n1,0.8\n"), {});
  c.metrics.push_back(MetricSpec{"a", "confusion", bj::object{{"threshold_key", "results.b.threshold"}}, false, "eval.json:3:5"});
  c.metrics.push_back(MetricSpec{"b", "confusion", bj::object{{"threshold_key", "results.a.threshold"}}, false, "eval.json:4:5"});
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }), "metrics read each other's results in a cycle: a -> b -> a");
  c.metrics.pop_back();
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "eval.json:3:5: metric 'a' (fuse.metrics.confusion): config 'threshold_key' reads 'results.b.threshold', but "
            "there is no metric 'b'");
}

TEST_F(EvaluatorTest, PairedComparison) {
  EvalConfig c = basic(write(dir_, "p.csv", predictions()), {"auc"});
  c.ci.rounds = 300;
  c.comparisons.push_back(ComparisonSpec{"score_vs_other", "auc", "score", "other", "--compare"});
  c.comparisons.push_back(ComparisonSpec{"self", "auc", "score", "score", "--compare"});
  bj::object r = Evaluator(built_plugins(), c).run();
  const bj::object& cmp = r.at("comparisons").at("score_vs_other").at("outputs").at("auc").as_object();
  EXPECT_NEAR(cmp.at("a").to_number<double>(), value(r, "auc"), 1e-12);
  EXPECT_GT(cmp.at("difference").to_number<double>(), 0.1);  // the second model is much weaker
  EXPECT_LT(cmp.at("p").to_number<double>(), 0.01);
  const bj::object& self = r.at("comparisons").at("self").at("outputs").at("auc").as_object();
  EXPECT_EQ(self.at("difference").to_number<double>(), 0.0);
  EXPECT_EQ(self.at("p").to_number<double>(), 1.0);
}

TEST_F(EvaluatorTest, FilesMergedBySampleId) {
  write(dir_, "a.csv", "id,label,score\nx,0,0.1\ny,1,0.9\nz,1,0.6\nw,0,0.7\n");
  write(dir_, "b.csv", "id,label,score\nw,0,0.2\nz,1,0.8\ny,1,0.3\nx,0,0.4\n");  // other order
  EvalConfig c;
  c.predictions = {PredictionFile{dir_ / "a.csv", "a"}, PredictionFile{dir_ / "b.csv", "b"}};
  c.id_column = "id";
  c.target_column = "label";
  c.score_columns = {"b.score"};
  c.metrics.push_back(MetricSpec{"auc", "auc", {}, false, "--metric auc"});
  // b: positives {0.8, 0.3}, negatives {0.2, 0.4}: (0.8 > both) + (0.3 > 0.2) = 3 / 4
  EXPECT_NEAR(value(Evaluator(built_plugins(), c).run(), "auc"), 0.75, 1e-12);
}

// ---- bad input ----

TEST_F(EvaluatorTest, NaNScoresNameTheRowsOrAreDroppedAndCounted) {
  EvalConfig c = basic(write(dir_, "p.csv", "id,label,score\na,0,0.1\nb,1,nan\nc,1,0.8\nd,0,\ne,1,0.7\n"), {"auc"});
  c.id_column = "id";
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "2 row(s) have NaN, infinite or missing values: row 2 of " + (dir_ / "p.csv").string() +
                " (id b) ('score' is nan); row 4 of " + (dir_ / "p.csv").string() +
                " (id d) ('score' is nan). Fix them, or drop such rows (fuse eval --nan drop; \"nan\": \"drop\" in an evaluation section)");
  c.nan_policy = "drop";
  bj::object r = Evaluator(built_plugins(), c).run();
  EXPECT_EQ(r.at("data").at("dropped").as_int64(), 2);
  EXPECT_EQ(r.at("data").at("rows").as_int64(), 3);
  EXPECT_NEAR(value(r, "auc"), 1.0, 1e-12);
}

TEST_F(EvaluatorTest, MissingColumnsListThosePresent) {
  EvalConfig c = basic(write(dir_, "p.csv", "id,label,score\na,0,0.1\n"), {"auc"});
  c.score_columns = {"scor"};
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "no column 'scor' in " + (dir_ / "p.csv").string() + "; did you mean 'score'? (columns: id, label, score)");
}

// A chart metric: its curve (with a band) in "arrays", its numbers nowhere, no sub-group's; where it cannot be
// drawn (a regression's target), nothing and no error.
TEST_F(EvaluatorTest, ChartMetricsGiveCurvesNotNumbers) {
  EvalConfig c = basic(write(dir_, "p.csv", predictions()), {"auc"});
  c.metrics.push_back(MetricSpec{"roc", "roc_curve", {}, false, "test", true});
  c.group_columns = {"site"};
  c.ci.rounds = 50;
  const bj::object r = Evaluator(built_plugins(), c).run();
  EXPECT_EQ(r.at("metrics").as_object().size(), 1u);  // auc alone
  const bj::object& roc = r.at("arrays").at("roc").as_object();
  for (const char* key : {"fpr", "tpr", "tpr_lower", "tpr_upper"}) EXPECT_EQ(roc.at(key).as_array().size(), 101u) << key;
  EXPECT_FALSE(roc.contains("fpr_lower"));  // the fixed grid of false-positive rates: the same in every replicate, no band
  EXPECT_NEAR(roc.at("tpr").as_array().back().to_number<double>(), 1.0, 1e-12);
  EXPECT_NEAR(roc.at("auc").to_number<double>(), value(r, "auc"), 1e-12);  // its number beside the curve, for the chart's title
  EXPECT_EQ(r.at("groups").at("site").at("oslo").at("metrics").as_object().size(), 1u);
  // A target that is not 0/1: the chart is left out, the regression runs.
  std::string text = "id,y,score\n";
  for (int i = 0; i < 30; ++i) text += "c" + std::to_string(i) + "," + std::to_string(0.1 * i) + "," + std::to_string(0.1 * i + 0.05 * (i % 3)) + "\n";
  EvalConfig regression = basic(write(dir_, "r.csv", text), {"regression"});
  regression.target_column = "y";
  regression.metrics.push_back(MetricSpec{"roc", "roc_curve", {}, false, "test", true});
  const bj::object rr = Evaluator(built_plugins(), regression).run();
  EXPECT_TRUE(rr.at("metrics").as_object().contains("regression.r2"));
  EXPECT_FALSE(rr.contains("arrays"));
}

TEST_F(EvaluatorTest, LabelsOutsideZeroOneForABinaryMetric) {
  EvalConfig c = basic(write(dir_, "p.csv", "id,label,score\na,0,0.1\nb,2,0.9\nc,1,0.5\n"), {"auc"});
  c.id_column = "id";
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "row 2 of " + (dir_ / "p.csv").string() +
                " (id b): target 'label' is 2, but metric 'auc' (fuse.metrics.auc) accepts 0, 1");
}

TEST_F(EvaluatorTest, SingleClassTargetForAuc) {
  EvalConfig c = basic(write(dir_, "p.csv", "label,score\n1,0.1\n1,0.9\n"), {"auc"});
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "metric 'auc' (--metric auc): metric 'fuse.metrics.auc' (plugin 'fuse.metrics_core'): AUC needs both "
            "classes, but the data has no negative (0) targets among 2 rows");
}

TEST_F(EvaluatorTest, BootstrapRoundsWithOneClassAreSkippedAndCounted) {
  // 1 positive in 12 rows, resampled without stratification: about (11/12)^12 = 35% of rounds lack it.
  std::string text = "label,score\n1,0.9\n";
  for (int i = 0; i < 11; ++i) text += "0,0." + std::to_string(i + 1) + "\n";
  EvalConfig c = basic(write(dir_, "p.csv", text), {"auc"});
  c.ci.rounds = 400;
  c.ci.stratified = false;
  bj::object r = Evaluator(built_plugins(), c).run();
  const bj::object& ci = r.at("metrics").at("auc").at("ci").as_object();
  const int64_t skipped = ci.at("skipped").as_int64();
  EXPECT_GT(skipped, 80);
  EXPECT_LT(skipped, 200);
  EXPECT_EQ(ci.at("rounds").as_int64() + skipped, 400);
  // Stratified (the default), no round lacks a class.
  c.ci.stratified = true;
  EXPECT_EQ(Evaluator(built_plugins(), c).run().at("metrics").at("auc").at("ci").at("skipped").as_int64(), 0);
}

TEST_F(EvaluatorTest, SampleIdsThatDoNotMatchAcrossFiles) {
  write(dir_, "a.csv", "id,label,score\nx,0,0.1\ny,1,0.9\nz,1,0.6\n");
  write(dir_, "b.csv", "id,label,score\nx,0,0.2\ny,1,0.3\nq,1,0.8\n");
  EvalConfig c;
  c.predictions = {PredictionFile{dir_ / "a.csv", "a"}, PredictionFile{dir_ / "b.csv", "b"}};
  c.id_column = "id";
  c.target_column = "label";
  c.score_columns = {"a.score"};
  c.metrics.push_back(MetricSpec{"auc", "auc", {}, false, "--metric auc"});
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "sample ids do not match between " + (dir_ / "a.csv").string() + " and " + (dir_ / "b.csv").string() +
                ": 1 id(s) only in the second (e.g. q); 1 id(s) only in the first (e.g. z)");
  c.id_column.clear();
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "several prediction files are merged by sample id: give the id column (--id-col)");
}

TEST_F(EvaluatorTest, UnknownMetricGetsASuggestion) {
  EvalConfig c = basic(write(dir_, "p.csv", "label,score\n0,0.1\n"), {"acuracy"});
  const std::string e = error_of([&] { Evaluator(built_plugins(), c).run(); });
  EXPECT_EQ(e.rfind("--metric acuracy: unknown metric 'acuracy'; did you mean 'accuracy'? (known: ", 0), 0u) << e;
}

TEST_F(EvaluatorTest, TemperatureIsAppliedToTheScores) {
  EvalConfig c = basic(write(dir_, "p.csv", "label,score\n0,0.2\n1,0.8\n"), {"log_loss"});
  c.temperature = 2.0;
  // sigmoid(logit(0.8) / 2) = 2/3, and 1/3 for the negative
  EXPECT_NEAR(value(Evaluator(built_plugins(), c).run(), "log_loss"), -std::log(2.0 / 3), 1e-12);
}

TEST_F(EvaluatorTest, StreamingGivesTheSameValues) {
  EvalConfig c = basic(write(dir_, "p.csv", predictions(3, 3000)), {"auc", "brier", "accuracy"});
  const bj::object memory = Evaluator(built_plugins(), c).run();
  c.streaming = true;
  const bj::object streamed = Evaluator(built_plugins(), c).run();
  for (const char* m : {"auc", "brier", "brier.brier_skill", "accuracy"}) EXPECT_NEAR(value(streamed, m), value(memory, m), 1e-12) << m;
  EXPECT_TRUE(streamed.at("data").at("streamed").as_bool());
  // Curves and charts too, for report.html: a chart-only ROC and a reliability diagram's bins.
  MetricSpec roc{"roc", "roc_curve", {}, false, "x"};
  roc.chart = true;
  c.metrics = {roc, MetricSpec{"calibration", "calibration", {}, false, "y"}};
  c.streaming = false;
  const bj::object memory_charts = Evaluator(built_plugins(), c).run();
  c.streaming = true;
  const bj::object streamed_charts = Evaluator(built_plugins(), c).run();
  ASSERT_TRUE(streamed_charts.contains("arrays"));
  EXPECT_EQ(streamed_charts.at("arrays"), memory_charts.at("arrays"));
  EXPECT_TRUE(streamed_charts.at("arrays").at("roc").as_object().contains("fpr"));
  EXPECT_FALSE(streamed_charts.at("metrics").as_object().contains("roc"));  // a chart's numbers stay beside its curves
  EXPECT_NEAR(value(streamed_charts, "calibration.ece"), value(memory_charts, "calibration.ece"), 1e-12);
  c.ci.rounds = 10;
  EXPECT_EQ(error_of([&] { Evaluator(built_plugins(), c).run(); }),
            "streaming evaluation cannot compute confidence intervals: those need the rows in memory; drop --stream");
}

TEST_F(EvaluatorTest, MetricsWithoutReplicateWeightsStillGetIntervals) {
  // fuse.c.mean_abs_error (the plain-C plugin) keeps only sums: the evaluator resamples rows for it.
  EvalConfig c = basic(write(dir_, "p.csv", predictions()), {});
  c.metrics.push_back(MetricSpec{"mae", "fuse.c.mean_abs_error", bj::object{{"pred", "score"}, {"target", "label"}}, false, "x"});
  c.ci.rounds = 50;
  bj::object r = Evaluator(built_plugins(), c).run();
  const double mae = value(r, "mae.mae");
  const bj::object& ci = r.at("metrics").at("mae.mae").at("ci").as_object();
  EXPECT_LT(ci.at("lower").to_number<double>(), mae);
  EXPECT_GT(ci.at("upper").to_number<double>(), mae);
  EXPECT_EQ(ci.at("rounds").as_int64(), 50);
}

}  // namespace
}  // namespace fuse::eval
