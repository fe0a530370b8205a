#include "show_results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>

#include "../common/report_loader.h"
#include "../common/table.h"
#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/train/run_results.h"
#include "fuse_sdk/dtype.hpp"

namespace fuse::cli {

namespace {

constexpr size_t kCaptionWidth = 36;  // characters of a caption line that fit a tile

// A per-sample value of the batch of one (a label, a few class scores) as "name 1" or "name 0.02 0.98"; empty
// when the key is missing or holds more than 4 numbers (an image).
std::string short_value(const NDict& batch, const std::string& key) {
  const Value* v = batch.find(key);
  if (v == nullptr || !v->is<Tensor>() || v->as<Tensor>().numel() > 4) return "";
  const Tensor t = v->as<Tensor>().is_contiguous() ? v->as<Tensor>() : v->as<Tensor>().clone();
  std::string text = key.substr(key.rfind('.') + 1);
  sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
    for (int64_t i = 0; i < t.numel(); ++i) text += " " + short_number(static_cast<double>(t.data<decltype(tag)>()[i]));
  });
  return text;
}

// The keys a validation metric compares: (pred, target).
std::vector<std::pair<std::string, std::string>> compared_keys(const train::Experiment& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const train::MetricSpec& m : e.metrics) {
    if (!m.validation) continue;
    const auto* pred = m.config.if_contains("pred");
    const auto* target = m.config.if_contains("target");
    if (pred && pred->is_string() && target && target->is_string()) out.emplace_back(std::string(pred->as_string()), std::string(target->as_string()));
  }
  return out;
}

// The drawing of one result: the image and mask from the sample (with its geometry), the prediction from the
// batch, the caption with the loss, the metrics and (for classifiers) the target and prediction values.
VolumeView view_of(const train::SampleResult& r, const ShowResultsOptions& o, const train::Experiment& e) {
  VolumeView v;
  const NDict& s = r.sample;
  const std::string mask_key = o.mask_key.empty() ? default_mask_key(s) : o.mask_key;
  const std::string image_key = o.image_key.empty() ? default_image_key(s, mask_key) : o.image_key;
  try {
    if (image_key.empty() || !to_volume(s, image_key, v, VolumePart::kImage, o.channel))
      throw Error(Errc::kKeyNotFound, "no image tensor" + (image_key.empty() ? std::string() : " under '" + image_key + "'") + " (name it with --image); keys: " +
                                          join(s.keys(), ", "));
    const bool has_mask = !mask_key.empty() && to_volume(s, mask_key, v, VolumePart::kMask);
    if (!o.mask_key.empty() && !has_mask) throw Error(Errc::kKeyNotFound, s.missing_key_message(o.mask_key));
    // The prediction: the one asked for, else what a metric compares with the mask (e.g. model.seg).
    std::string pred_key = o.pred_key;
    if (pred_key.empty() && has_mask)
      for (const auto& [pred, target] : compared_keys(e))
        if (target == mask_key && r.batch.find(pred) != nullptr) {
          pred_key = pred;
          break;
        }
    if (!pred_key.empty() && !to_volume(r.batch, pred_key, v, VolumePart::kPrediction))
      throw Error(Errc::kKeyNotFound, "no prediction: " + r.batch.missing_key_message(pred_key));
  } catch (const Error& error) {
    throw Error(error.code(), "sample '" + r.id + "': " + error.what());
  }
  // The caption: the id, then "loss 0.57  dice 0.48 ..." and the compared values, in lines that fit a tile.
  std::vector<std::string> parts{"loss " + short_number(r.loss)};
  for (const auto& [name, value] : r.metrics)
    if (!std::isnan(value)) parts.push_back(name + " " + short_number(value));  // not a per-sample AUC, say
  for (const auto& [pred, target] : compared_keys(e))
    for (const std::string& key : {target, pred})
      if (std::string text = short_value(r.batch, key); !text.empty() && std::find(parts.begin(), parts.end(), text) == parts.end()) parts.push_back(std::move(text));
  v.caption = r.id;
  std::string line;
  for (const std::string& part : parts) {
    if (!line.empty() && line.size() + 2 + part.size() > kCaptionWidth) v.caption += "\n" + line, line.clear();
    line += (line.empty() ? "" : "  ") + part;
  }
  v.caption += "\n" + line;
  return v;
}

}  // namespace

int show_results(const ShowResultsOptions& o) {
  // The ranking asked for: the column ("loss" or a metric) and its direction.
  std::vector<std::string> rankings;
  if (o.top_losses) rankings.push_back("--top-losses");
  if (!o.highest.empty()) rankings.push_back("--highest");
  if (!o.lowest.empty()) rankings.push_back("--lowest");
  if (rankings.size() + (o.ids.empty() ? 0 : 1) > 1)
    throw Error(Errc::kInvalidArgument, join(o.ids.empty() ? rankings : std::vector<std::string>{"--ids", rankings[0]}, " and ") + " both choose the samples: give one");
  const std::string rank_by = o.top_losses ? "loss" : !o.highest.empty() ? o.highest : o.lowest;
  const bool largest = o.lowest.empty();
  Registry registry;
  train::RunResults results(registry, o.experiment, o.run, {o.checkpoint, o.device, o.settings, o.tta});
  const train::Experiment& e = results.experiment();
  // The column ranked by in a row (0 the loss, m + 1 the m-th metric value), known from the first sample's
  // metric names (one metric may give several: "auc", "auc.macro").
  int rank_column = rank_by == "loss" ? 0 : -1;
  std::vector<size_t> indices;
  if (!o.ids.empty()) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < results.size(); ++i) index.emplace(results.id(i), i);
    for (const std::string& id : o.ids) {
      const auto it = index.find(id);
      if (it == index.end()) {
        std::string first;
        for (size_t i = 0; i < std::min<size_t>(3, results.size()); ++i) first += (i ? ", '" : "'") + results.id(i) + "'";
        throw Error(Errc::kKeyNotFound, "--ids: sample '" + id + "' is not among the validation samples of " + o.experiment + " (its ids are like " + first + ")");
      }
      indices.push_back(it->second);
    }
  } else {
    const size_t count = !rank_by.empty() ? results.size() : std::min(results.size(), static_cast<size_t>(o.n));
    for (size_t i = 0; i < count; ++i) indices.push_back(i);
  }
  // Every sample run is listed (in --csv); when ranked, only the n first are kept to be drawn.
  std::vector<std::pair<double, train::SampleResult>> shown;  // with the value ranked by
  std::vector<std::string> metric_names;
  std::vector<bool> defined;  // per metric: on some sample (a per-sample AUC never is)
  std::vector<std::pair<std::string, std::vector<double>>> rows;  // id, loss and metrics
  results.run(indices, [&](train::SampleResult&& r) {
    if (metric_names.empty() && !r.metrics.empty()) {
      for (const auto& [name, value] : r.metrics) metric_names.push_back(name), defined.push_back(false);
      if (const auto it = std::find(metric_names.begin(), metric_names.end(), rank_by); rank_column < 0 && it != metric_names.end())
        rank_column = static_cast<int>(it - metric_names.begin()) + 1;
    }
    if (!rank_by.empty() && rank_column < 0) {
      std::vector<std::string> names{"loss"};
      names.insert(names.end(), metric_names.begin(), metric_names.end());
      throw Error(Errc::kKeyNotFound, rankings[0] + ": '" + rank_by + "' is neither the loss nor a validation metric of " + o.experiment +
                                          did_you_mean(rank_by, names) + " (those are: " + join(names, ", ") + ")");
    }
    std::vector<double> row{r.loss};
    for (size_t m = 0; m < r.metrics.size() && m < defined.size(); ++m) {
      row.push_back(r.metrics[m].second);
      defined[m] = defined[m] || !std::isnan(r.metrics[m].second);
    }
    const double value = rank_column >= 0 && static_cast<size_t>(rank_column) < row.size() ? row[rank_column] : NAN;
    rows.emplace_back(r.id, std::move(row));
    if (rank_by.empty()) {
      shown.emplace_back(value, std::move(r));
      return;
    }
    if (std::isnan(value)) return;  // a loss of several samples, a metric undefined on this one
    shown.emplace_back(value, std::move(r));
    std::stable_sort(shown.begin(), shown.end(), [&](const auto& a, const auto& b) { return largest ? a.first > b.first : a.first < b.first; });
    if (shown.size() > static_cast<size_t>(o.n)) shown.pop_back();
  });
  if (shown.empty())
    throw Error(Errc::kInvalidArgument, rank_by.empty() ? "no validation sample to show"
                                                        : "no validation sample has its own " + rank_by + " to rank by" +
                                                              (rank_column == 0 ? " (a loss of several samples)" : " (undefined on one sample)"));
  std::vector<VolumeView> views;
  for (const auto& [value, r] : shown) views.push_back(view_of(r, o, e));
  write_slice_grid(views, o.plane, o.slice, o.columns, o.out);
  std::vector<std::string> header{"ID", "LOSS"};
  for (size_t m = 0; m < metric_names.size(); ++m) {
    if (!defined[m]) continue;
    header.push_back(heading(metric_names[m]));
  }
  const auto cells = [&](const std::string& id, const std::vector<double>& row, const std::function<std::string(double)>& format) {
    std::vector<std::string> out{id, format(row[0])};
    for (size_t m = 0; m < metric_names.size(); ++m)
      if (defined[m]) out.push_back(m + 1 < row.size() ? format(row[m + 1]) : "");
    return out;
  };
  Table table(header);
  for (const auto& [value, r] : shown) {
    const auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& row) { return row.first == r.id; });
    table.add(cells(r.id, it->second, short_number));
  }
  table.print(std::cout);
  std::string ranked;
  if (rank_column == 0 && largest) ranked = " with the largest losses";
  else if (!rank_by.empty()) ranked = std::string(largest ? " with the largest " : " with the smallest ") + rank_by;
  std::cout << "wrote " << o.out << " (" << views.size() << (views.size() == 1 ? " validation sample" : " validation samples") << ranked << ", " << o.checkpoint << " checkpoint, epoch " << results.epoch() << (o.tta ? ", with the test-time flips" : "") << ", " << o.plane << ")\n";
  if (!o.csv.empty()) {
    // Full precision; an undefined value is left empty.
    const auto exact = [](double v) {
      char text[32];
      std::snprintf(text, sizeof text, "%.9g", v);
      return std::isnan(v) ? std::string() : std::string(text);
    };
    std::ofstream csv(o.csv);
    std::vector<std::string> names{"id", "loss"};
    for (size_t m = 0; m < metric_names.size(); ++m)
      if (defined[m]) names.push_back(metric_names[m]);
    csv << join(names, ",") << "\n";
    for (const auto& [id, row] : rows) csv << join(cells(id, row, exact), ",") << "\n";
    if (!csv) throw Error(Errc::kIo, "cannot write '" + o.csv + "'");
    std::cout << "wrote " << o.csv << " (" << rows.size() << " validation samples)\n";
  }
  return 0;
}

}  // namespace fuse::cli
