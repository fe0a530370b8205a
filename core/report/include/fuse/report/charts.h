// Charts of evaluation results as PNG images (OpenCV): ROC (with its confidence band), precision-recall,
// reliability diagram and confusion matrix. Labelled axes, ticks and legible text at 720 x 540 pixels.
#ifndef FUSE_REPORT_CHARTS_H_
#define FUSE_REPORT_CHARTS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace fuse::report {

using Png = std::vector<uint8_t>;

struct Curve {
  std::vector<double> x, y;
  std::vector<double> lower, upper;  // a band around y (empty: none)
};

Png roc_chart(const std::string& title, const Curve& curve);
Png pr_chart(const std::string& title, const Curve& curve, double prevalence);  // prevalence < 0: no baseline
// x: mean confidence per bin, y: accuracy per bin, counts: rows per bin (bars along the bottom).
Png reliability_chart(const std::string& title, const Curve& curve, const std::vector<double>& counts);
// A regression's calibration: x the mean prediction per bin of predictions, y the mean target there (with
// its band), against the diagonal; the axes span the values. A survival model's: x the mean predicted
// probability of no event by a horizon per group, y the Kaplan-Meier estimate (`survival`: axes named so).
Png observed_chart(const std::string& title, const Curve& curve, bool survival = false);
// Kaplan-Meier curves (survival probability against time) of risk groups, each its `labels` entry, drawn as
// steps; NaN ends a curve.
Png survival_chart(const std::string& title, const std::vector<double>& times, const std::vector<std::vector<double>>& curves,
                   const std::vector<std::string>& labels);
// The time-dependent AUC: x the times, y the AUC at each (with its band), against chance (0.5).
Png auc_over_time_chart(const std::string& title, const Curve& curve);
// matrix[true][predicted]; cells are shaded by the share of their row.
Png confusion_chart(const std::string& title, const std::vector<std::vector<double>>& matrix,
                    const std::vector<std::string>& labels);

// The learning-rate range test (fuse lr-find): the smoothed loss against log10 of the learning rate, the
// suggested rate marked.
Png lr_find_chart(const std::vector<double>& learning_rates, const std::vector<double>& losses, double suggestion);

}  // namespace fuse::report

#endif  // FUSE_REPORT_CHARTS_H_
