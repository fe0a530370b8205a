#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "fuse/report/charts.h"
#include "fuse/report/html.h"

namespace fuse::report {
namespace {

// Width and height from a PNG's IHDR chunk.
std::pair<int, int> png_size(const Png& png) {
  auto be32 = [&](size_t at) { return (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3]; };
  return {be32(16), be32(20)};
}

bool is_png(const Png& png) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return png.size() > 24 && std::equal(kSignature, kSignature + 8, png.begin());
}

TEST(Base64, KnownVectors) {
  auto b = [](const std::string& s) { return base64(std::vector<uint8_t>(s.begin(), s.end())); };
  EXPECT_EQ(b(""), "");
  EXPECT_EQ(b("f"), "Zg==");
  EXPECT_EQ(b("fo"), "Zm8=");
  EXPECT_EQ(b("foo"), "Zm9v");
  EXPECT_EQ(b("foobar"), "Zm9vYmFy");
}

TEST(Charts, ArePngsOfTheStatedSize) {
  Curve roc{{0, 0.5, 1}, {0, 0.8, 1}, {0, 0.7, 1}, {0, 0.9, 1}};
  const Curve observed{{41.5, NAN, 60.2, 75.0}, {44.0, NAN, 58.1, 70.3}, {40.0, NAN, 55.0, 66.0}, {48.0, NAN, 61.0, 74.5}};  // an empty bin too
  for (const Png& png : {roc_chart("ROC", roc), pr_chart("PR", roc, 0.3), reliability_chart("R", roc, {10, 5, 1}),
                         confusion_chart("CM", {{5, 1}, {2, 7}}, {"0", "1"}), observed_chart("O", observed),
                         survival_chart("KM", {0, 1, 2, 3}, {{1, 0.9, 0.8, 0.8}, {1, 0.6, NAN, NAN}}, {"low", "high"}),
                         auc_over_time_chart("AUC", Curve{{1, 2, 3}, {0.8, 0.75, 0.7}, {0.7, 0.7, 0.6}, {0.9, 0.8, 0.8}})}) {
    ASSERT_TRUE(is_png(png));
    EXPECT_EQ(png_size(png), std::make_pair(720, 540));
  }
  try {
    survival_chart("KM", {0}, {{1}}, {"all"});
    ADD_FAILURE() << "one time";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "survival curves need at least two different times");
  }
  try {
    auc_over_time_chart("AUC", Curve{{2}, {0.7}, {}, {}});
    ADD_FAILURE() << "one time";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "an AUC over time needs at least two different times");
  }
  try {
    observed_chart("O", Curve{{2, 2}, {2, 2}, {}, {}});
    ADD_FAILURE() << "a chart of one value";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "observed against predicted needs at least two different values");
  }
}

const char* kResults = R"({
  "metrics": {"roc.auc": {"value": 0.84, "ci": {"lower": 0.8, "upper": 0.88, "level": 0.95, "rounds": 100, "skipped": 3, "method": "percentile"}},
              "a<b": {"value": 0.5}},
  "arrays": {"roc": {"fpr": [0, 0.5, 1], "tpr": [0, 0.8, 1], "tpr_lower": [0, 0.7, 1], "tpr_upper": [0, 0.9, 1]},
             "cm": {"matrix": [[5, 1], [2, 7]]}},
  "groups": {"site": {"oslo": {"rows": 10, "metrics": {"roc.auc": {"value": 0.9}}},
                      "bergen": {"rows": 5, "metrics": {}, "errors": {"roc": "AUC needs both classes"}}}},
  "data": {"rows": 15, "dropped": 1, "files": ["p.csv"], "classes": {"0": 10, "1": 5}}
})";

TEST(Html, SelfContainedPageWithTablesAndCharts) {
  const std::string page = html_report(boost::json::parse(kResults).as_object(), "Evaluation <test>");
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<title>Evaluation &lt;test&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("<td>a&lt;b</td>"), std::string::npos);  // names are escaped
  EXPECT_NE(page.find("[0.8000, 0.8800] <span class=note>3 rounds skipped</span>"), std::string::npos);
  EXPECT_NE(page.find("15 rows (1 dropped for NaN) from p.csv"), std::string::npos);
  size_t images = 0;
  for (size_t at = page.find("src=\"data:image/png;base64,iVBORw0KGgo"); at != std::string::npos;
       at = page.find("src=\"data:image/png;base64,iVBORw0KGgo", at + 1))
    ++images;
  EXPECT_EQ(images, 2u);  // the ROC curve and the confusion matrix
  EXPECT_NE(page.find("<h2>By site</h2>"), std::string::npos);
  EXPECT_NE(page.find("roc: AUC needs both classes"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);  // nothing to fetch
}

// A regression's evaluation with a binned regression metric draws observed against predicted.
TEST(Html, ARegressionGetsObservedAgainstPredicted) {
  const std::string page = html_report(boost::json::parse(R"({
    "metrics": {"regression.r2": {"value": 0.61}}, "data": {"rows": 40},
    "arrays": {"observed": {"bin_predicted": [40, 50, 60], "bin_observed": [42, 49, 63], "bin_count": [13, 14, 13], "r2": 0.61}}})").as_object(), "t");
  EXPECT_NE(page.find("<img alt=\"observed against predicted, observed\" src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos) << page;
}

// A survival evaluation's Kaplan-Meier curves by risk group, with the log-rank p in the title.
TEST(Html, ASurvivalEvaluationGetsKaplanMeierCurves) {
  const std::string page = html_report(boost::json::parse(R"({
    "metrics": {"c_index": {"value": 0.7}}, "data": {"rows": 40},
    "arrays": {"km": {"km_time": [0, 1, 2], "survival_1": [1, 0.9, 0.8], "survival_2": [1, 0.5, 0.3], "logrank_p": 0.001}}})").as_object(), "t");
  EXPECT_NE(page.find("<img alt=\"Kaplan-Meier curves by predicted risk, km\" src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos) << page;
}

// The AUC at several times (survival_auc with "times"), drawn against time with its band.
TEST(Html, ATimeDependentAucIsDrawnAgainstTime) {
  const std::string page = html_report(boost::json::parse(R"({
    "metrics": {"survival_auc": {"value": 0.7}, "auc_years": {"value": 0.8}}, "data": {"rows": 40},
    "arrays": {"auc_years": {"auc_time": [1, 2, 3], "auc_at": [0.85, 0.8, 0.75], "auc_at_lower": [0.8, 0.7, 0.6], "auc_at_upper": [0.9, 0.85, 0.8]}}})").as_object(), "t");
  EXPECT_NE(page.find("<img alt=\"time-dependent AUC, auc_years\" src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos) << page;
}

// A survival model's calibration at a horizon: predicted against Kaplan-Meier survival per group, under its
// own title (its NaN group, not followed long enough, left out of the line).
TEST(Html, ASurvivalCalibrationGetsItsOwnChart) {
  const std::string page = html_report(boost::json::parse(R"({
    "metrics": {"calibration.calibration_error": {"value": 0.04}}, "data": {"rows": 40},
    "arrays": {"calibration": {"bin_predicted": [0.2, 0.5, 0.8], "bin_observed": [0.25, null, 0.74], "bin_count": [13, 14, 13],
                               "calibration_error": 0.04}}})").as_object(), "t");
  EXPECT_NE(page.find("<img alt=\"survival calibration, calibration\" src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos) << page;
  EXPECT_EQ(page.find("observed against predicted"), std::string::npos);
  // As a metric (not chart-only) its numbers are among the metrics, and its groups drawn the same way.
  const std::string metric_page = html_report(boost::json::parse(R"({
    "metrics": {"cal_5y.calibration_error": {"value": 0.04}, "cal_5y.observed": {"value": 0.6}}, "data": {"rows": 40},
    "arrays": {"cal_5y": {"bin_predicted": [0.2, 0.5, 0.8], "bin_observed": [0.25, 0.45, 0.74], "bin_count": [13, 14, 13]}}})").as_object(), "t");
  EXPECT_NE(metric_page.find("<img alt=\"survival calibration, cal_5y\" src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos) << metric_page;
}

// A test set scored against its references lists its cases, the lowest first metric first (undefined last).
TEST(Html, CasesComeLowestFirst) {
  const std::string page = html_report(boost::json::parse(R"({
    "metrics": {"dice": {"value": 0.8}}, "data": {"rows": 3},
    "cases": [{"id": "a", "dice": 0.9, "hd95": 1.5}, {"id": "b", "dice": null, "hd95": null}, {"id": "c", "dice": 0.7, "hd95": 4}]})").as_object(), "t");
  EXPECT_NE(page.find("<h2>Cases</h2>\n<p>3 cases, by dice, lowest first.</p>\n<table><tr><th>id</th><th>dice</th><th>hd95</th></tr>\n"
                      "<tr><td>c</td><td class=num>0.7000</td><td class=num>4</td></tr>\n"
                      "<tr><td>a</td><td class=num>0.9000</td><td class=num>1.5000</td></tr>\n"
                      "<tr><td>b</td><td class=num>&ndash;</td><td class=num>&ndash;</td></tr>\n</table>\n"),
            std::string::npos)
      << page;
}

TEST(Html, EntryPointWritesTheFileOrReportsWhy) {
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "fuse_report_test.html";
  char error[256] = "";
  ASSERT_EQ(fuse_write_html_report(kResults, out.c_str(), "t", error, sizeof(error)), 0) << error;
  EXPECT_GT(std::filesystem::file_size(out), 1000u);
  EXPECT_EQ(fuse_write_html_report("{not json", out.c_str(), "t", error, sizeof(error)), 1);
  EXPECT_NE(std::string(error).find("syntax error"), std::string::npos) << error;
  EXPECT_EQ(fuse_write_html_report(kResults, "/nonexistent/dir/r.html", "t", error, sizeof(error)), 1);
  EXPECT_STREQ(error, "cannot write '/nonexistent/dir/r.html'");
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace fuse::report
