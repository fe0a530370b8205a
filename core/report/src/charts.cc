#include "fuse/report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "canvas.h"

namespace fuse::report {

Png roc_chart(const std::string& title, const Curve& c) {
  Canvas canvas(0, 1, 0, 1, title, "False positive rate (1 - specificity)", "True positive rate (sensitivity)");
  canvas.axes(0.2);
  if (!c.lower.empty()) canvas.band(c.x, c.lower, c.upper, kLightBlue);
  canvas.dashed(0, 0, 1, 1, kGray);
  canvas.line(c.x, c.y, kBlue, 2);
  std::vector<std::pair<std::string, cv::Scalar>> legend = {{"ROC curve", kBlue}, {"chance", kGray}};
  if (!c.lower.empty()) legend.insert(legend.begin() + 1, {"confidence band", kLightBlue});
  canvas.legend(legend);
  return canvas.png();
}

Png pr_chart(const std::string& title, const Curve& c, double prevalence) {
  Canvas canvas(0, 1, 0, 1, title, "Recall (sensitivity)", "Precision (positive predictive value)");
  canvas.axes(0.2);
  if (!c.lower.empty()) canvas.band(c.x, c.lower, c.upper, kLightBlue);
  std::vector<std::pair<std::string, cv::Scalar>> legend = {{"precision-recall curve", kBlue}};
  if (prevalence >= 0) {
    canvas.dashed(0, prevalence, 1, prevalence, kGray);
    legend.push_back({"chance (prevalence)", kGray});
  }
  canvas.line(c.x, c.y, kBlue, 2);
  canvas.legend(legend);
  return canvas.png();
}

Png reliability_chart(const std::string& title, const Curve& c, const std::vector<double>& counts) {
  Canvas canvas(0, 1, 0, 1, title, "Mean predicted probability (confidence)", "Observed frequency (accuracy)");
  canvas.axes(0.2);
  // Bin sizes as bars along the bottom, scaled to a fifth of the height.
  double most = 0;
  for (double n : counts) most = std::max(most, n);
  const size_t bins = counts.size();
  for (size_t b = 0; b < bins && most > 0; ++b) {
    const double left = static_cast<double>(b) / static_cast<double>(bins), right = static_cast<double>(b + 1) / static_cast<double>(bins);
    cv::rectangle(canvas.image(), canvas.point(left, 0), canvas.point(right, 0.2 * counts[b] / most), cv::Scalar(225, 225, 225), cv::FILLED);
  }
  canvas.dashed(0, 0, 1, 1, kGray);
  canvas.line(c.x, c.y, kOrange, 2);
  for (size_t i = 0; i < c.x.size(); ++i)
    if (std::isfinite(c.x[i]) && std::isfinite(c.y[i])) cv::circle(canvas.image(), canvas.point(c.x[i], c.y[i]), 4, kOrange, cv::FILLED, cv::LINE_AA);
  canvas.legend({{"observed", kOrange}, {"perfect calibration", kGray}, {"rows per bin (bars)", cv::Scalar(200, 200, 200)}}, true);
  return canvas.png();
}

Png observed_chart(const std::string& title, const Curve& c, bool survival) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const std::vector<double>* v : {&c.x, &c.y, &c.lower, &c.upper})
    for (double x : *v)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (!(lo < hi)) throw std::invalid_argument("observed against predicted needs at least two different values");
  const double step = nice_step(hi - lo);
  lo = std::floor(lo / step) * step, hi = std::ceil(hi / step) * step;
  Canvas canvas(lo, hi, lo, hi, title, survival ? "Mean predicted survival (per group of predictions)" : "Mean prediction (per bin of predictions)",
                survival ? "Observed survival (Kaplan-Meier)" : "Mean observed value");
  canvas.axes(step);
  if (!c.lower.empty()) canvas.band(c.x, c.lower, c.upper, kLightBlue);
  canvas.dashed(lo, lo, hi, hi, kGray);
  canvas.line(c.x, c.y, kOrange, 2);
  for (size_t i = 0; i < c.x.size(); ++i)
    if (std::isfinite(c.x[i]) && std::isfinite(c.y[i])) cv::circle(canvas.image(), canvas.point(c.x[i], c.y[i]), 4, kOrange, cv::FILLED, cv::LINE_AA);
  std::vector<std::pair<std::string, cv::Scalar>> legend = {{"observed", kOrange}, {"prediction = observed", kGray}};
  if (!c.lower.empty()) legend.insert(legend.begin() + 1, {"confidence band", kLightBlue});
  canvas.legend(legend, true);
  return canvas.png();
}

Png auc_over_time_chart(const std::string& title, const Curve& c) {
  if (c.x.size() < 2 || !(c.x.back() > c.x.front())) throw std::invalid_argument("an AUC over time needs at least two different times");
  const double step = nice_step(c.x.back());
  const double end = std::ceil(c.x.back() / step) * step;
  Canvas canvas(0, end, 0, 1, title, "Time", "AUC of an event by then (cumulative/dynamic)");
  canvas.axes(step, 0.2);
  if (!c.lower.empty()) canvas.band(c.x, c.lower, c.upper, kLightBlue);
  canvas.dashed(0, 0.5, end, 0.5, kGray);
  canvas.line(c.x, c.y, kBlue, 2);
  for (size_t i = 0; i < c.x.size(); ++i)
    if (std::isfinite(c.y[i])) cv::circle(canvas.image(), canvas.point(c.x[i], c.y[i]), 4, kBlue, cv::FILLED, cv::LINE_AA);
  std::vector<std::pair<std::string, cv::Scalar>> legend = {{"AUC at the time", kBlue}, {"chance", kGray}};
  if (!c.lower.empty()) legend.insert(legend.begin() + 1, {"confidence band", kLightBlue});
  canvas.legend(legend);
  return canvas.png();
}

Png survival_chart(const std::string& title, const std::vector<double>& times, const std::vector<std::vector<double>>& curves,
                   const std::vector<std::string>& labels) {
  if (times.size() < 2 || !(times.back() > times.front())) throw std::invalid_argument("survival curves need at least two different times");
  const double step = nice_step(times.back() - times.front());
  Canvas canvas(times.front(), std::ceil(times.back() / step) * step, 0, 1, title, "Time", "Survival probability");
  canvas.axes(step, 0.2);
  std::vector<std::pair<std::string, cv::Scalar>> legend;
  for (size_t g = 0; g < curves.size(); ++g) {
    // Post-steps: each value holds until the next time.
    std::vector<double> x, y;
    for (size_t i = 0; i < times.size() && i < curves[g].size() && std::isfinite(curves[g][i]); ++i) {
      if (i > 0) x.push_back(times[i]), y.push_back(curves[g][i - 1]);
      x.push_back(times[i]), y.push_back(curves[g][i]);
    }
    const cv::Scalar color = kPalette[g % (sizeof kPalette / sizeof kPalette[0])];
    canvas.line(x, y, color, 2);
    legend.push_back({g < labels.size() ? labels[g] : "group " + std::to_string(g + 1), color});
  }
  canvas.legend(legend);
  return canvas.png();
}

Png lr_find_chart(const std::vector<double>& lrs, const std::vector<double>& losses, double suggestion) {
  std::vector<double> x, y;
  for (size_t i = 0; i < lrs.size() && i < losses.size(); ++i)
    if (lrs[i] > 0 && std::isfinite(losses[i])) x.push_back(std::log10(lrs[i])), y.push_back(losses[i]);
  if (x.size() < 2) throw std::invalid_argument("the learning-rate test recorded fewer than two losses");
  const double x0 = std::floor(*std::min_element(x.begin(), x.end())), x1 = std::ceil(*std::max_element(x.begin(), x.end()));
  // The divergence that ends the test would flatten the rest: the loss is drawn up to half again above its
  // highest before the minimum, and the line stops where it leaves that range.
  const size_t lowest = static_cast<size_t>(std::min_element(y.begin(), y.end()) - y.begin());
  const double top = *std::max_element(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(lowest) + 1);
  const double cap = top + 0.5 * (top - y[lowest]);
  for (size_t i = lowest; lowest > 0 && i < y.size(); ++i)  // (a loss that never falls is drawn whole)
    if (y[i] > cap) {
      y.resize(i + 1), x.resize(i + 1);
      y[i] = cap;
      break;
    }
  const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
  const double step = nice_step(*hi - *lo);
  const double y0 = std::floor(*lo / step) * step, y1 = std::ceil(*hi / step) * step;
  Canvas canvas(x0, x1, y0, y1 > y0 ? y1 : y0 + step, "Learning-rate range test", "log10(learning rate)", "loss (smoothed)");
  canvas.axes(1.0, step);
  canvas.line(x, y, kBlue, 2);
  std::vector<std::pair<std::string, cv::Scalar>> legend = {{"loss", kBlue}};
  if (suggestion > 0) {
    const double s = std::log10(suggestion);
    canvas.dashed(s, y0, s, y1, kOrange);
    char text[64];
    std::snprintf(text, sizeof text, "suggested: %.2e", suggestion);
    legend.push_back({text, kOrange});
  }
  canvas.legend(legend, true);
  return canvas.png();
}

Png confusion_chart(const std::string& title, const std::vector<std::vector<double>>& m, const std::vector<std::string>& labels) {
  const size_t k = m.size();
  cv::Mat image(Canvas::kHeight, Canvas::kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  const int top = 70, size = std::min(Canvas::kWidth - 170, Canvas::kHeight - top - 80);
  const int cell = size / static_cast<int>(std::max<size_t>(k, 1));
  const int left = (Canvas::kWidth - cell * static_cast<int>(k)) / 2 + 30;  // centred, room for the row labels
  auto put = [&](const std::string& s, cv::Point p, double scale, const cv::Scalar& color) {
    int baseline = 0;
    const cv::Size t = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
    cv::putText(image, s, cv::Point(p.x - t.width / 2, p.y + t.height / 2), cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
  };
  put(title, cv::Point(Canvas::kWidth / 2, 32), 0.65, kBlack);
  const double scale = k > 6 ? 0.4 : 0.55;
  for (size_t t = 0; t < k; ++t) {
    double row = 0;
    for (double v : m[t]) row += v;
    for (size_t p = 0; p < k; ++p) {
      const double share = row > 0 ? m[t][p] / row : 0;
      // White to blue by the share of the true class's rows.
      const cv::Scalar fill(255 - share * 75, 255 - share * 155, 255 - share * 225);
      const cv::Rect r(left + static_cast<int>(p) * cell, top + static_cast<int>(t) * cell, cell, cell);
      cv::rectangle(image, r, fill, cv::FILLED);
      cv::rectangle(image, r, cv::Scalar(200, 200, 200), 1);
      char text[64];
      std::snprintf(text, sizeof(text), "%.0f", m[t][p]);
      const cv::Scalar ink = share > 0.6 ? cv::Scalar(255, 255, 255) : kBlack;
      put(text, cv::Point(r.x + cell / 2, r.y + cell / 2 - 9), scale, ink);
      std::snprintf(text, sizeof(text), "%.0f%%", share * 100);
      put(text, cv::Point(r.x + cell / 2, r.y + cell / 2 + 12), scale * 0.8, ink);
    }
  }
  for (size_t i = 0; i < k; ++i) {
    put(labels[i], cv::Point(left + static_cast<int>(i) * cell + cell / 2, top + static_cast<int>(k) * cell + 18), 0.45, kBlack);
    put(labels[i], cv::Point(left - 30, top + static_cast<int>(i) * cell + cell / 2), 0.45, kBlack);
  }
  put("Predicted class", cv::Point(left + cell * static_cast<int>(k) / 2, top + cell * static_cast<int>(k) + 48), 0.55, kBlack);
  put("True class", cv::Point(left - 30, top - 20), 0.55, kBlack);
  Png out;
  cv::imencode(".png", image, out);
  return out;
}

}  // namespace fuse::report
