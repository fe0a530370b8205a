// The `fuse` program end to end: output, JSON and exit codes (0 success, 1 failure, 2 usage).
#include <fstream>
#include <iterator>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "test_support.h"

namespace fuse::testing {
namespace {

// Runs fuse with only the build tree's plugins on the search path (no user folder, no FUSE_PLUGIN_PATH).
CommandResult fuse(const std::string& args) {
  static const std::filesystem::path empty_home = fresh_dir("cli_home");
  return run_command("env -u FUSE_PLUGIN_PATH XDG_DATA_HOME='" + empty_home.string() + "' '" FUSE_BINARY "' " + args);
}

TEST(FuseCli, Version) {
  CommandResult r = fuse("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "fuse 0.1.0 (plugin ABI 1.0)\n");
}

TEST(FuseCli, UsageErrorsExitWithTwo) {
  CommandResult r = fuse("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  r = fuse("plugins list --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  EXPECT_EQ(fuse("plugins inspect").exit_code, 2);
}

TEST(FuseCli, PluginsListTable) {
  CommandResult r = fuse("plugins list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ID ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("STATUS"), std::string::npos);
  const size_t row = r.out.find("fuse.ops_core");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
  EXPECT_NE(line.find("0.1.0"), std::string::npos) << line;
  EXPECT_NE(line.find(" 32 "), std::string::npos) << line;
  EXPECT_NE(line.find("available"), std::string::npos) << line;
}

TEST(FuseCli, PluginsListJson) {
  CommandResult r = fuse("plugins list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::array plugins = boost::json::parse(r.out).as_array();
  bool found = false;
  for (const boost::json::value& p : plugins) {
    if (p.at("id") != "fuse.ops_c") continue;
    found = true;
    EXPECT_EQ(p.at("version"), "0.1.0");
    EXPECT_NE(std::string(p.at("path").as_string()).find("ops_c"), std::string::npos);
    const boost::json::array& components = p.at("components").as_array();
    ASSERT_EQ(components.size(), 2u);
    EXPECT_EQ(components[1].at("id"), "fuse.c.mean_abs_error");
    EXPECT_EQ(components[1].at("kind"), "metric");
    EXPECT_EQ(components[1].at("version"), "1.0.0");
  }
  EXPECT_TRUE(found) << r.out;
}

TEST(FuseCli, PluginsInspect) {
  CommandResult r = fuse("plugins inspect fuse.ops_core");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("plugin fuse.ops_core 0.1.0"), std::string::npos);
  EXPECT_NE(r.out.find("op fuse.ops.permute 1.0.0"), std::string::npos);
  r = fuse("plugins inspect fuse.ops.clip");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("op fuse.ops.clip 1.0.0"), std::string::npos);
  EXPECT_EQ(r.out.find("fuse.ops.zscore"), std::string::npos);  // only the component asked for
  EXPECT_NE(r.out.find("reads:  $keys (tensor)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("  fit:"), std::string::npos);  // clip fits nothing; zscore does
  r = fuse("plugins inspect fuse.ops.zscore");
  EXPECT_NE(r.out.find("  fit:    mean = mean, std = std of each key in 'keys', over the training samples (a step with \"fit\": true)\n"), std::string::npos)
      << r.out;
  r = fuse("plugins inspect fuse.ops.cox_survival");
  EXPECT_NE(r.out.find("  fit:    baseline_times = breslow_times, baseline_hazard = breslow_hazard of the trained model's 'key' on the training samples, "
                       "once training ends (a postprocess step with \"fit\": {\"time\": KEY, \"event\": KEY})\n"),
            std::string::npos)
      << r.out;
  r = fuse("plugins inspect fuse.models.classifier_head");
  EXPECT_NE(r.out.find("  sizes:  in_channels = the size of dimension 1 of 'inputs'[0] in a training batch, when left out\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  sizes:  tabular_features = the size of 'inputs'[1] from dimension 1 on in a training batch, when left out\n"), std::string::npos)
      << r.out;
  r = fuse("plugins inspect fuse.models.vit");
  EXPECT_NE(r.out.find("  sizes:  image_size = the sizes of 'inputs'[0] from dimension 2 on, last first in a training batch, when left out\n"), std::string::npos)
      << r.out;
  r = fuse("plugins inspect fuse.ops.clpi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown component 'fuse.ops.clpi'; did you mean 'fuse.ops.clip'?"), std::string::npos) << r.err;
}

TEST(FuseCli, PluginsCheck) {
  CommandResult r = fuse("plugins check '" + (built_plugin_dir() / "ops_c").string() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok    library: sha256 verified, opened, components match the manifest"), std::string::npos);
  EXPECT_NE(r.out.find("ok    metric fuse.c.mean_abs_error: created and destroyed with its default config"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 3), "OK\n");

  // A package whose library changed after its manifest was written.
  std::filesystem::path bad = fresh_dir("cli_check_bad");
  std::filesystem::copy(built_plugin_dir() / "ops_c", bad);
  std::ofstream(bad / "libops_c.so", std::ios::app) << "tampered";
  r = fuse("plugins check '" + bad.string() + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL  library: plugin 'fuse.ops_c'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sha256 mismatch"), std::string::npos) << r.out;
}

TEST(FuseCli, OpRun) {
  std::filesystem::path dir = fresh_dir("cli_op_run");
  std::ofstream(dir / "sample.json") << R"({"data": {"image": [[0, 5], [10, 20]], "id": "case1"}})";
  CommandResult r = fuse("op run fuse.ops.minmax --set 'keys=[\"data.image\"]' --set high=2 --input '" +
                         (dir / "sample.json").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::value out = boost::json::parse(r.out);
  EXPECT_EQ(out.at("data").at("id"), "case1");
  const boost::json::value& t = out.at("data").at("image").at("$tensor");
  EXPECT_EQ(t.at("dtype"), "float32");
  EXPECT_EQ(t.at("shape"), boost::json::parse("[2, 2]"));
  EXPECT_EQ(t.at("data"), boost::json::parse("[0.0, 0.5, 1.0, 2.0]"));
}

TEST(FuseCli, OpRunErrorsExitWithOne) {
  CommandResult r = fuse("op run fuse.ops.minmax --set keys");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: --set 'keys': expected name=value\n");
  r = fuse("op run fuse.ops.minmax --set 'keys=[\"x\"]' --input /nonexistent.json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: cannot open '/nonexistent.json': No such file or directory\n");
  r = fuse("op run fuse.ops.minmax --set 'keys=[\"x\"]'");  // empty sample
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: op 'fuse.ops.minmax' (plugin 'fuse.ops_core'): key 'x' missing; the dict is empty\n");
}

// ---- fuse eval ----

std::filesystem::path eval_files() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = fresh_dir("cli_eval");
    std::ofstream a(d / "a.csv"), b(d / "b.csv");
    a << "id,label,score,site\n";
    b << "id,label,score\n";
    for (int i = 0; i < 200; ++i) {
      const int y = i % 3 == 0;
      a << "c" << i << "," << y << "," << (0.3 + 0.4 * y + 0.001 * (i % 97)) << "," << (i % 2 ? "oslo" : "bergen") << "\n";
      b << "c" << i << "," << y << "," << (0.45 + 0.1 * y + 0.002 * (i % 89)) << "\n";
    }
    return d;
  }();
  return dir;
}

TEST(FuseCli, EvalJsonHasTheDocumentedShape) {
  const std::string a = (eval_files() / "a.csv").string();
  CommandResult r = fuse("eval --predictions '" + a + "' --target-col label --score-col score --metric auc --metric accuracy "
                         "--ci 200 --seed 3 --group-col site --json -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  boost::json::value out = boost::json::parse(r.out);
  const boost::json::object& auc = out.at("metrics").at("auc").as_object();
  EXPECT_TRUE(auc.at("value").is_double());
  for (const char* k : {"lower", "upper", "level", "rounds", "skipped", "method"}) EXPECT_TRUE(auc.at("ci").as_object().contains(k)) << k;
  EXPECT_EQ(auc.at("ci").at("rounds"), 200);
  EXPECT_TRUE(out.at("metrics").as_object().contains("accuracy"));
  EXPECT_TRUE(out.at("groups").at("site").at("oslo").at("metrics").as_object().contains("auc"));
  EXPECT_EQ(out.at("data").at("rows"), 200);
}

TEST(FuseCli, EvalSummaryReportAndComparison) {
  const std::string a = (eval_files() / "a.csv").string(), b = (eval_files() / "b.csv").string();
  const std::string html = (eval_files() / "report.html").string(), json = (eval_files() / "out.json").string();
  CommandResult r = fuse("eval --predictions '" + a + "' --predictions '" + b + "' --id-col id --target-col label "
                         "--score-col a.score --metric auc --ci 100 --compare auc --html '" + html + "' --json '" + json + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("METRIC", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("comparison auc_a_vs_b (auc): difference"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("paired bootstrap p "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("report: " + html), std::string::npos);
  std::ifstream page(html);
  const std::string text((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(text.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(text.find("<h2>Comparisons</h2>"), std::string::npos);
  std::ifstream results(json);
  const boost::json::value out = boost::json::parse(std::string((std::istreambuf_iterator<char>(results)), std::istreambuf_iterator<char>()));
  EXPECT_TRUE(out.at("comparisons").at("auc_a_vs_b").at("outputs").at("auc").as_object().contains("p"));
  // The charts' metrics draw, but their numbers are not among those asked for.
  for (const char* chart : {"roc", "pr", "calibration", "confusion"}) EXPECT_TRUE(out.at("arrays").as_object().contains(chart)) << chart;
  for (const auto& m : out.at("metrics").as_object()) EXPECT_EQ(m.key().substr(0, 3), "auc") << m.key();
  // An evaluation file asks for a chart the same way: its curve, no numbers.
  std::ofstream(eval_files() / "charts.json") << R"({"predictions": ["a.csv"], "target": "label", "score": "score",
    "metrics": {"auc": "auc", "roc": {"component": "roc_curve", "chart": true}}})";
  r = fuse("eval --config '" + (eval_files() / "charts.json").string() + "' --json -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const boost::json::value charted = boost::json::parse(r.out);
  EXPECT_EQ(charted.at("metrics").as_object().size(), 1u) << r.out;
  EXPECT_TRUE(charted.at("arrays").at("roc").as_object().contains("tpr")) << r.out;
  // A regression's report: observed against predicted, no classification chart, and no error for want of one.
  r = fuse("eval --predictions '" + a + "' --target-col a.score --score-col b.score --id-col id --predictions '" + b + "' --metric regression --html '" + html + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("regression.r2"), std::string::npos) << r.out;
  const std::string regression_page = read_text(html);
  EXPECT_NE(regression_page.find("<img alt=\"observed against predicted, observed\""), std::string::npos);
  EXPECT_EQ(regression_page.find("ROC curve"), std::string::npos);
}

// Per-case scores, as `fuse infer` writes a segmentation test set's: their mean with its spread, per site, and
// two runs' predictions.csv compared case by case, each file named after its folder.
TEST(FuseCli, EvalMeansAndComparesPerCaseScores) {
  const std::filesystem::path d = fresh_dir("cli_eval_cases");
  for (const char* run : {"run_a", "run_b", "x/run", "y/run"}) std::filesystem::create_directories(d / run);
  std::ofstream(d / "run_a" / "predictions.csv") << "id,dice,site\nc1,0.9,x\nc2,0.8,y\nc3,0.7,x\nc4,0.95,y\n";
  std::ofstream(d / "run_b" / "predictions.csv") << "id,dice\nc1,0.92\nc2,0.85\nc3,0.71\nc4,0.96\n";
  const std::string a = (d / "run_a" / "predictions.csv").string(), b = (d / "run_b" / "predictions.csv").string();
  const CommandResult r = fuse("eval --predictions '" + a + "' --predictions '" + b + "' --id-col id --score-col run_a.dice --metric mean "
                               "--compare mean --group-col run_a.site --ci 200 --json -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const boost::json::value out = boost::json::parse(r.out);
  EXPECT_NEAR(out.at("metrics").at("mean").at("value").as_double(), 0.8375, 1e-12);
  EXPECT_NEAR(out.at("metrics").at("mean.median").at("value").as_double(), 0.85, 1e-12);
  EXPECT_NEAR(out.at("groups").at("run_a.site").at("x").at("metrics").at("mean").at("value").as_double(), 0.8, 1e-12);
  const boost::json::object& compared = out.at("comparisons").at("mean_run_a_vs_run_b").at("outputs").at("mean").as_object();
  EXPECT_NEAR(compared.at("difference").as_double(), 0.8375 - 0.86, 1e-12);
  EXPECT_TRUE(compared.contains("p"));
  // The terminal's summary lists each group's rows and mean.
  const CommandResult table = fuse("eval --predictions '" + a + "' --score-col dice --metric mean --group-col site");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("\n\nsite  ROWS  MEAN\nx     2     0.8000\ny     2     0.8750\n"), std::string::npos) << table.out;
  // Folders of one name too: the files must be named in an evaluation file.
  std::filesystem::copy_file(a, d / "x" / "run" / "predictions.csv");
  std::filesystem::copy_file(b, d / "y" / "run" / "predictions.csv");
  const std::string x = (d / "x" / "run" / "predictions.csv").string(), y = (d / "y" / "run" / "predictions.csv").string();
  EXPECT_EQ(fuse("eval --predictions '" + x + "' --predictions '" + y + "' --id-col id --score-col run.dice --metric mean").err,
            "fuse: error: prediction files '" + x + "' and '" + y + "' would both be named 'run' (the prefix of their columns): give them names in an "
            "evaluation file, \"predictions\": [{\"path\": ..., \"name\": \"a\"}, ...]\n");
}

// Multi-label: label columns and score columns by glob, paired in order; per label, micro and macro (with its
// interval) in the summary, in that order; an HTML report with a ROC chart per label.
TEST(FuseCli, EvalMultiLabelColumns) {
  const std::filesystem::path d = fresh_dir("cli_eval_multilabel");
  std::ofstream table(d / "findings.csv");
  table << "id,has_effusion,has_edema,p_effusion,p_edema\n";
  for (int i = 0; i < 120; ++i) {
    const int a = i % 3 == 0, b = i % 4 == 1;
    table << "c" << i << "," << a << "," << b << "," << 0.2 + 0.5 * a + 0.003 * (i % 61) << "," << 0.3 + 0.2 * b + 0.004 * (i % 53) << "\n";
  }
  table.close();
  const std::string f = (d / "findings.csv").string(), html = (d / "report.html").string();
  CommandResult r = fuse("eval --predictions '" + f + "' --label-col 'has_*' --score-col 'p_*' --metric auc --ci 100 --html '" + html + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t effusion = r.out.find("\nauc.has_effusion "), edema = r.out.find("\nauc.has_edema "), micro = r.out.find("\nauc.micro "),
               macro = r.out.find("\nauc.macro ");
  ASSERT_NE(macro, std::string::npos) << r.out;
  EXPECT_TRUE(effusion < edema && edema < micro && micro < macro) << r.out;
  EXPECT_NE(r.out.find("] 95%", macro), std::string::npos) << r.out;  // the macro average's interval
  std::ifstream page(html);
  const std::string text((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("roc.has_edema"), std::string::npos);
  r = fuse("eval --predictions '" + f + "' --label-col 'has_*' --score-col p_edema --metric auc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: 2 label columns (has_effusion, has_edema) for 1 score columns (p_edema): multi-label pairs the i-th label column with the "
                   "i-th score column\n");
}

// Survival predictions from any tool: the time and event columns, the horizon and the scores' direction given
// once on the command line and bound to every survival metric; the report draws survival charts, not ROC.
TEST(FuseCli, EvalSurvivalColumns) {
  const std::filesystem::path d = fresh_dir("cli_eval_survival");
  std::ofstream table(d / "followup.csv");
  table << "id,years,progressed,risk,free_3y\n";
  for (int i = 0; i < 120; ++i) {
    const double risk = (i % 10) / 10.0, years = 1 + 8 * (1 - risk) * (0.5 + 0.5 * ((i * 7) % 11) / 10.0);
    table << "p" << i << "," << years << "," << (i % 4 != 0) << "," << risk << "," << 1 - 0.8 * risk << "\n";
  }
  table.close();
  const std::string f = (d / "followup.csv").string(), html = (d / "report.html").string();
  CommandResult r = fuse("eval --predictions '" + f + "' --score-col risk --time-col years --event-col progressed --metric c_index --metric survival_auc "
                         "--horizon 3 --ci 100 --html '" + html + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nc_index "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nsurvival_auc "), std::string::npos) << r.out;
  std::ifstream page(html);
  const std::string text((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("<img alt=\"Kaplan-Meier curves by predicted risk, km\""), std::string::npos);
  EXPECT_EQ(text.find("<img alt=\"ROC curve"), std::string::npos);
  // The same C-index from the probability of no event by 3 years (higher is longer): the ranks are the same.
  const std::string risk_json = fuse("eval --predictions '" + f + "' --score-col risk --time-col years --event-col progressed --metric c_index --json -").out;
  r = fuse("eval --predictions '" + f + "' --score-col free_3y --higher-is-longer --time-col years --event-col progressed --metric c_index "
           "--metric survival_calibration --metric survival_brier --horizon 3 --json -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const boost::json::value out = boost::json::parse(r.out);
  EXPECT_DOUBLE_EQ(out.at("metrics").at("c_index").at("value").as_double(),
                   boost::json::parse(risk_json).at("metrics").at("c_index").at("value").as_double());
  EXPECT_TRUE(out.at("metrics").as_object().contains("survival_calibration.calibration_error"));
  EXPECT_TRUE(out.at("metrics").as_object().contains("survival_brier.brier_skill"));
  // Refused: a setting no metric asked takes.
  r = fuse("eval --predictions '" + f + "' --score-col risk --time-col years --event-col progressed --metric c_index --horizon 3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: the horizon (--horizon) is given, but no metric asked takes it (c_index); survival_auc, survival_brier, "
                   "survival_calibration do\n");
  r = fuse("eval --predictions '" + f + "' --target-col progressed --score-col risk --time-col years --metric auc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: the time column (--time-col) is given, but no metric asked takes it (auc); c_index, integrated_brier, "
                   "kaplan_meier, survival_auc, survival_brier, survival_calibration do\n");
}

TEST(FuseCli, EvalErrorsAndUsage) {
  const std::string a = (eval_files() / "a.csv").string();
  CommandResult r = fuse("eval --predictions '" + a + "' --target-col label --score-col scor --metric auc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: no column 'scor' in " + a + "; did you mean 'score'? (columns: id, label, score, site)\n");
  r = fuse("eval --predictions '" + a + "' --target-col label --score-col score --metric aucc");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--metric aucc: unknown metric 'aucc'; did you mean 'auc'?"), std::string::npos) << r.err;
  r = fuse("eval --predictions '" + a + "' --ci-method bootstrap");
  EXPECT_EQ(r.exit_code, 2);
  r = fuse("eval --predictions '" + a + "' --target-col label --score-col score");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fuse: error: no metric to compute: give --metric NAME (e.g. --metric auc)\n");
}

}  // namespace
}  // namespace fuse::testing
