// fuse data show | fuse dataset summary | fuse cache info|verify|clear|build|audit: looking at data before and
// while training on it.
#include <algorithm>
#include <cmath>
#include <map>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <boost/json/serialize.hpp>

#include "commands.h"
#include "init.h"
#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/cache/cache.h"
#include "fuse/data/data_config.h"
#include "fuse/data/fit.h"
#include "fuse/data/sample_source.h"
#include "fuse/data/summary.h"
#include "fuse/json/setting.h"
#include "fuse/json/write.h"
#include "fuse/table/describe.h"
#include "fuse/table/table.h"
#include "fuse_sdk/dtype.hpp"
#include "../common/report_loader.h"
#include "../common/table.h"

namespace fuse::cli {
namespace {

// `threads`, or every core when it is 0.
size_t thread_count(int64_t threads) { return threads > 0 ? static_cast<size_t>(threads) : std::max(1u, std::thread::hardware_concurrency()); }

namespace fs = std::filesystem;
namespace bj = boost::json;

std::string triple(const std::array<int64_t, 3>& v) { return std::to_string(v[0]) + "x" + std::to_string(v[1]) + "x" + std::to_string(v[2]); }
std::string short_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}
std::string triple(const std::array<double, 3>& v) { return short_number(v[0]) + " x " + short_number(v[1]) + " x " + short_number(v[2]); }

// The samples of `split` through the pipelines training gives them: "validation" is the experiment's
// validation data (its own source and pipelines where it has them), else the folds' validation split.
// Steps marked "fit" get the numbers training gives them (from the training split, on `threads` threads).
data::DatasetSpec split_dataset(const Registry& registry, const json::Document& doc, data::DataConfig config, const std::string& split, size_t threads) {
  std::optional<data::ValidationData> validation;
  if (split == "validation") validation = data::read_validation_data(doc, config);
  data::fit_data(registry, config, validation ? &*validation : nullptr, threads, false);
  if (split == "validation" && validation) return data::validation_dataset(config, *validation);
  data::DatasetSpec spec = config.dataset;
  spec.samples = data::split_samples(config, split);
  return spec;
}

// ---- fuse data show ----

struct ShowOptions {
  std::string config, plane = "axial", out = "batch.png", split, image_key, mask_key, after, histogram, top_losses;
  std::vector<std::string> ids;
  std::vector<std::string> settings;  // --set path=value
  int64_t n = 8, epoch = 0, slice = -1, channel = -1;
  int columns = 4;
  bool no_augment = false;
};

// Cuts the pipelines of `spec` after the step `after` names ("static:3", "dynamic:1"; FuseMedML's visual
// debugging ops, placed anywhere without editing the experiment) and says which step that is. A cut static
// pipeline is not cached: its output is not what training reads.
std::string cut_pipelines(data::DatasetSpec& spec, const std::string& after) {
  const size_t colon = after.find(':');
  const std::string which = after.substr(0, colon);
  int64_t n = -1;
  if (colon != std::string::npos && (which == "static" || which == "dynamic")) {
    const std::string number = after.substr(colon + 1);
    if (!number.empty() && number.size() < 6 && std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) n = std::stoll(number);
  }
  if (n < 1) throw Error(Errc::kInvalidArgument, "--after '" + after + "': expected static:N or dynamic:N, N counting the pipeline's steps from 1");
  std::vector<data::Step>& steps = which == "static" ? spec.static_steps : spec.dynamic_steps;
  if (static_cast<size_t>(n) > steps.size())
    throw Error(Errc::kInvalidArgument, "--after " + after + ": the " + which + " pipeline has " + std::to_string(steps.size()) + " step" + (steps.size() == 1 ? "" : "s"));
  const data::Step& step = steps[static_cast<size_t>(n - 1)];
  const std::string text = " after " + which + " step " + std::to_string(n) + " of " + std::to_string(steps.size()) + " (" + (step.op.empty() ? step.kind() : step.op) + ")";
  steps.resize(static_cast<size_t>(n));
  if (which == "static") spec.dynamic_steps.clear(), spec.cache_dir.reset();
  return text;
}

// fastMONAI's plot_top_losses: the `n` rows of a run's predictions.csv with the largest per-sample loss, each
// as (id, "loss 2.53\nlabel 1  score 0.08"): the other columns by the last part of their name.
std::vector<std::pair<std::string, std::string>> top_losses(const std::string& file, size_t n) {
  std::unique_ptr<table::Reader> reader = table::Reader::open(file);
  const std::vector<std::string> columns = reader->columns();
  for (const char* needed : {"id", "loss"})
    if (std::find(columns.begin(), columns.end(), needed) == columns.end())
      throw Error(Errc::kKeyNotFound, "--top-losses " + file + ": no '" + needed + "' column (columns: " + join(columns, ", ") +
                                          "); a run's predictions.csv has one per sample (runs made before per-sample losses were written do not)");
  std::vector<table::Request> requests;
  for (const std::string& c : columns) requests.push_back({c, c == "loss" ? table::Kind::kNumber : table::Kind::kText});
  reader->select(requests);
  table::Table t;
  while (reader->read(t)) {
  }
  const table::Column& loss = t.column("loss");
  std::vector<size_t> rows;
  for (size_t r = 0; r < t.size(); ++r)
    if (std::isfinite(loss.numbers[r])) rows.push_back(r);
  std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return loss.numbers[a] > loss.numbers[b]; });
  rows.resize(std::min(rows.size(), n));
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t r : rows) {
    std::string others;
    for (const table::Column& c : t.columns)
      if (c.name != "id" && c.name != "loss") others += (others.empty() ? "" : "  ") + c.name.substr(c.name.rfind('.') + 1) + " " + c.text_at(r);
    out.emplace_back(t.column("id").text_at(r), "loss " + short_number(loss.numbers[r]) + (others.empty() ? "" : "\n" + others));
  }
  if (out.empty()) throw Error(Errc::kInvalidArgument, "--top-losses " + file + ": no row has a loss");
  return out;
}

// A value in a table cell: a number or text as it is, a tensor's values when it has at most four, else its dtype,
// shape and range.
std::string cell_of(const Value& v) {
  if (v.is<std::string>()) return v.as<std::string>();
  if (v.is<int64_t>()) return std::to_string(v.as<int64_t>());
  if (v.is<double>()) return short_number(v.as<double>());
  if (v.is<bool>()) return v.as<bool>() ? "true" : "false";
  if (v.is<Tensor>()) {
    const Tensor t = v.as<Tensor>().is_contiguous() ? v.as<Tensor>() : v.as<Tensor>().clone();
    std::vector<double> values(static_cast<size_t>(t.numel()));
    sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
      for (size_t k = 0; k < values.size(); ++k) values[k] = static_cast<double>(t.data<decltype(tag)>()[k]);
    });
    if (values.size() <= 4) {
      std::string text = "[";
      for (size_t k = 0; k < values.size(); ++k) text += (k ? ", " : "") + short_number(values[k]);
      return text + "]";
    }
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    return t.description() + " " + short_number(*lo) + ".." + short_number(*hi);
  }
  return v.type_name();
}

// Samples without images (a table's rows through the pipelines): one row each, a column per key in the first
// sample's order.
void print_sample_table(const std::vector<data::Sample>& rows, std::ostream& out) {
  std::vector<std::string> keys;
  const std::set<std::string> repeat_id = data::keys_repeating_id(rows);  // data.sample_id, a table's id column
  for (const data::Sample& s : rows)
    for (const auto& [key, value] : s.values.flatten())
      if (!repeat_id.count(key) && std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  std::vector<std::string> header{"ID"};
  for (const std::string& k : keys) header.push_back(k);
  Table table(header);
  for (const data::Sample& s : rows) {
    std::vector<std::string> row{s.id};
    for (const std::string& k : keys) {
      const Value* v = s.values.find(k);
      row.push_back(v == nullptr ? "-" : cell_of(*v));
    }
    table.add(std::move(row));
  }
  table.print(out);
}

int show(const ShowOptions& o) {
  json::Document doc = json::Document::load(o.config, json::Extends::kFollow);
  json::apply_settings(doc, o.settings);
  const data::DataConfig config = data::read_data_config(doc);
  const bool by_loss = !o.top_losses.empty();
  if (by_loss && !o.ids.empty()) throw Error(Errc::kInvalidArgument, "--ids and --top-losses both choose the samples: give one");
  // Predictions are of validation samples: their split unless another is asked for.
  const std::string split = !o.split.empty() ? o.split : by_loss ? "validation" : "all";
  Registry registry;
  data::DatasetSpec spec = split_dataset(registry, doc, config, split, thread_count(0));
  const std::string after = o.after.empty() ? "" : cut_pipelines(spec, o.after);
  // The first n source samples (a static pipeline that splits them makes more: the first n of those are shown).
  if (!by_loss && o.ids.empty() && spec.samples.size() > static_cast<size_t>(o.n)) spec.samples.resize(static_cast<size_t>(o.n));
  data::Dataset dataset(registry, spec);
  data::Dataset::Worker worker = dataset.worker();
  // Which samples, with what under their id: the first n, the ones named, or the n with the largest losses (as
  // validated: without augmentation).
  std::map<std::string, size_t> index;
  if (by_loss || !o.ids.empty())
    for (size_t i = 0; i < dataset.size(); ++i) index.emplace(dataset.sample(i).id, i);
  const auto index_of = [&](const std::string& id, const std::string& option, const std::string& hint) {
    const auto it = index.find(id);
    if (it == index.end())
      throw Error(Errc::kKeyNotFound, option + ": sample '" + id + "' is not among the " + (split == "all" ? "" : split + " ") + "samples of " + o.config +
                                          " (" + hint + ")");
    return it->second;
  };
  std::vector<std::pair<size_t, std::string>> chosen;
  if (by_loss) {
    for (const auto& [id, text] : top_losses(o.top_losses, static_cast<size_t>(o.n)))
      chosen.emplace_back(index_of(id, "--top-losses " + o.top_losses, "predictions of another experiment?"), text);
  } else if (!o.ids.empty()) {
    std::string first;
    for (size_t i = 0; i < std::min<size_t>(3, dataset.size()); ++i) first += (i ? ", '" : "'") + dataset.sample(i).id + "'";
    for (const std::string& id : o.ids) chosen.emplace_back(index_of(id, "--ids", "its ids are like " + first), "");
  } else {
    for (size_t i = 0; i < std::min(dataset.size(), static_cast<size_t>(o.n)); ++i) chosen.emplace_back(i, "");
  }
  std::vector<VolumeView> views;
  std::string drawn_key;  // the first sample's image key, for the histogram's title
  std::vector<data::Sample> rows;  // samples without an image (a table's): printed instead
  for (const auto& [i, under] : chosen) {
    std::optional<NDict> s = worker.get(i, o.epoch, !o.no_augment && !by_loss);
    if (!s) continue;  // skipped by on_error
    if (o.image_key.empty() && o.histogram.empty() && (!rows.empty() || (views.empty() && default_image_key(*s, default_mask_key(*s)).empty()))) {
      const Value* id = s->find(dataset.spec().id_key);
      rows.push_back({id != nullptr && id->is<std::string>() ? id->as<std::string>() : dataset.sample(i).id, "", std::move(*s)});
      if (!under.empty()) {  // --top-losses: its loss and predictions, as a caption would show them
        std::string line = under;
        std::replace(line.begin(), line.end(), '\n', ' ');
        rows.back().values.set("predictions.csv", line);
      }
      continue;
    }
    VolumeView v;
    // Its own id (with on_error "retry", another sample may stand in for sample i).
    const Value* id = s->find(dataset.spec().id_key);
    v.caption = id != nullptr && id->is<std::string>() ? id->as<std::string>() : dataset.sample(i).id;
    if (!under.empty()) v.caption += "\n" + under;
    // The mask: the one asked for, else data.mask, data.seg or data.label when it holds a tensor.
    const std::string mask_key = o.mask_key.empty() ? default_mask_key(*s) : o.mask_key;
    // The image: the one asked for, else the first tensor of 3 or more axes that is not the mask.
    const std::string image_key = o.image_key.empty() ? default_image_key(*s, mask_key) : o.image_key;
    if (image_key.empty() || !to_volume(*s, image_key, v, VolumePart::kImage, o.channel))
      throw Error(Errc::kKeyNotFound, "sample '" + v.caption + "' has no image tensor" + (image_key.empty() ? "" : " under '" + image_key + "'") +
                                          " (name it with --image); keys: " + join(s->keys(), ", "));
    if (drawn_key.empty()) drawn_key = image_key;
    bool has_mask = false;
    try {
      has_mask = !mask_key.empty() && to_volume(*s, mask_key, v, VolumePart::kMask);
    } catch (const Error& e) {
      throw Error(e.code(), "sample '" + v.caption + "': " + e.what());
    }
    if (!o.mask_key.empty() && !has_mask) throw Error(Errc::kKeyNotFound, "sample '" + v.caption + "': " + s->missing_key_message(o.mask_key));
    views.push_back(std::move(v));
  }
  if (!rows.empty()) {
    print_sample_table(rows, std::cout);
    std::cout << "(" << rows.size() << " samples" << (by_loss ? " with the largest losses" : "") << after
              << " as a table: they hold no image tensor; --image names one to draw)\n";
    if (dataset.skipped()) std::cout << dataset.skipped() << " sample(s) failed (on_error: " << data::on_error_name(dataset.spec().on_error) << ")\n";
    return 0;
  }
  write_slice_grid(views, o.plane, o.slice, o.columns, o.out);
  std::cout << "wrote " << o.out << " (" << views.size() << " samples" << (by_loss ? " with the largest losses" : "") << after << ", " << o.plane << ")\n";
  if (!o.histogram.empty()) {
    write_histograms(views, drawn_key + after, o.histogram);
    std::cout << "wrote " << o.histogram << " (intensity histograms of " << drawn_key << ")\n";
  }
  if (dataset.skipped()) std::cout << dataset.skipped() << " sample(s) failed (on_error: " << data::on_error_name(dataset.spec().on_error) << ")\n";
  return 0;
}

// ---- fuse dataset summary ----

struct SummaryOptions {
  std::string path, image_column, mask_column, section = "training";  // image_column: "image" unless given
  bool json = false, csv = false;
  int64_t threads = 0;
};

// A table without images: each column's type, empty cells, spread and values (pandas' describe).
int table_summary(const SummaryOptions& o, const table::Table& t) {
  const std::vector<table::ColumnSummary> columns = table::describe(t);
  if (o.json) {
    bj::array out;
    for (const table::ColumnSummary& c : columns) {
      bj::object column{{"name", c.name}, {"type", c.numeric ? "number" : "text"}, {"missing", c.missing}, {"distinct", c.distinct}};
      if (c.numeric) column.insert({{"mean", c.mean}, {"sd", c.sd}, {"min", c.min}, {"median", c.median}, {"max", c.max}});
      if (!c.values.empty()) {
        bj::object values;
        for (const auto& [value, count] : c.values) values[value] = count;
        column["values"] = std::move(values);
      }
      out.push_back(std::move(column));
    }
    std::cout << json::to_text(bj::object{{"table", o.path}, {"rows", t.size()}, {"columns", std::move(out)}}, {2}) << "\n";
    return 0;
  }
  std::cout << o.path << ": " << t.size() << " rows, " << columns.size() << " columns (no 'image' column: a table summary; --image-col names one)\n";
  Table table({"COLUMN", "TYPE", "MISSING", "MEAN", "SD", "MIN", "MEDIAN", "MAX", "VALUES"});
  for (const table::ColumnSummary& c : columns) {
    std::string missing = std::to_string(c.missing);
    if (c.missing && t.size()) {
      char share[32];
      std::snprintf(share, sizeof share, " (%.1f%%)", 100.0 * static_cast<double>(c.missing) / static_cast<double>(t.size()));
      missing += share;
    }
    std::string values;
    for (const auto& [value, count] : c.values) values += (values.empty() ? "" : ", ") + value + ": " + std::to_string(count);
    if (c.values.empty()) values = std::to_string(c.distinct) + " distinct";
    const auto n = [&](double v) { return c.numeric ? short_number(v) : std::string(); };
    table.add({c.name, c.numeric ? "number" : "text", missing, n(c.mean), n(c.sd), n(c.min), n(c.median), n(c.max), values});
  }
  table.print(std::cout);
  return 0;
}

// The masks' label counts (in `unit`s), then those off their image's grid (under `off_title`; the first 10): a
// mask off its image's grid trains on misplaced labels and scores against the wrong voxels.
void print_masks(const data::DatasetSummary& s, const std::string& unit, const std::string& off_title, const std::string& remedy = "") {
  if (!s.label_voxels.empty()) {
    std::cout << "mask " << unit << " per label:";
    for (const auto& [label, count] : s.label_voxels) std::cout << " " << label << ": " << count;
    std::cout << "\n";
  }
  std::vector<const data::ImageInfo*> off;
  for (const data::ImageInfo& i : s.images)
    if (!i.mask_grid.empty()) off.push_back(&i);
  if (off.empty()) return;
  std::cout << off_title << ": " << off.size() << " of " << s.images.size() << "\n";
  for (size_t k = 0; k < off.size() && k < 10; ++k)
    std::cout << "  " << fs::path(off[k]->mask_path).filename().string() << ": image " << off[k]->mask_grid << " (mask)\n";
  if (off.size() > 10) std::cout << "  ... (--json lists them all)\n";
  if (!remedy.empty()) std::cout << remedy << "\n";
}

// Photographs: sizes and channels (no spacing or orientation), groups by size, the label pixels of the masks.
int print_photographs(const data::DatasetSummary& s) {
  const auto size = [](const std::array<int64_t, 3>& v) { return std::to_string(v[0]) + " x " + std::to_string(v[1]); };
  Table images_table({"IMAGE", "SIZE", "CHANNELS", "TYPE"});
  for (const data::ImageInfo& i : s.images) images_table.add({fs::path(i.path).filename().string(), size(i.size), std::to_string(i.channels), i.pixel_type});
  images_table.print(std::cout);
  std::cout << "\n";
  // Photographs come in many sizes: the 10 most common.
  Table groups({"COUNT", "SIZE"});
  for (size_t k = 0; k < s.groups.size() && k < 10; ++k) groups.add({std::to_string(s.groups[k].count), size(s.groups[k].size)});
  groups.print(std::cout);
  if (s.groups.size() > 10) std::cout << "... " << s.groups.size() - 10 << " more sizes (--json lists them all)\n";
  std::cout << "\nlargest size: " << size(s.largest_size) << " pixels (width x height)\n";
  print_masks(s, "pixels", "masks of another size than their image");
  return 0;
}

// A line per case whose sequence lies off its first one's grid: "  case 'la_007': ADC lies off T2's grid (spacing [...]
// against [...]): register it".
std::string off_grid_lines(const std::vector<std::vector<std::string>>& paths, const std::vector<std::string>& names,
                           const std::function<std::string(size_t)>& where, size_t threads) {
  std::string lines;
  for (const GridMismatch& m : grid_mismatches(paths, threads))
    lines += "  " + where(m.item) + ": " + names[m.channel] + " lies off " + names[0] + "'s grid (" + m.difference + "): register it\n";
  return lines;
}

int summary(const SummaryOptions& options) {
  SummaryOptions o = options;
  std::vector<std::string> images, masks;
  const fs::path path(o.path);
  std::string channels_note;  // several sequences per case (an nnU-Net folder, --image-col t1,t2): those off their case's first one's grid
  if (is_nnunet_dataset(o.path)) {
    const NnunetDataset n = read_nnunet_dataset(o.path);
    images = n.images.front();
    masks = n.masks;
    channels_note = "nnU-Net data set: " + std::to_string(n.ids.size()) + " cases of " + std::to_string(n.channels.size()) + " channel" +
                    (n.channels.size() == 1 ? "" : "s") + " (" + join(n.channels, ", ") + "), the first summarised with labelsTr\n";
    channels_note += off_grid_lines(n.images, n.channels, [&](size_t i) { return "case '" + n.ids[i] + "'"; }, thread_count(o.threads));
    // dataset.json's names for the label values counted below: "labels: background 0, organ 1; not annotated 3"
    std::string named;
    for (const auto& [value, name] : n.labels) named += (named.empty() ? "" : ", ") + name + " " + std::to_string(value);
    for (const LabelRegion& r : n.regions.regions) named += (named.empty() ? "regions: " : ", ") + r.name + " " + integer_list(r.labels);
    if (n.ignore) named += (named.empty() ? "" : "; ") + std::string("not annotated (ignore) ") + std::to_string(*n.ignore);
    if (!named.empty()) channels_note += "  " + std::string(n.regions.empty() ? "labels: " : "") + named + "\n";
  } else if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      const std::string name = e.path().filename().string();
      for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".mha", ".mhd"})
        if (e.is_regular_file() && name.size() > std::strlen(ext) && name.compare(name.size() - std::strlen(ext), std::string::npos, ext) == 0) {
          images.push_back(e.path().string());
          break;
        }
    }
    std::sort(images.begin(), images.end());
    if (images.empty()) throw Error(Errc::kIo, "no medical image (.nii, .nii.gz, .nrrd, .mha, .mhd) in '" + o.path + "'");
  } else if (path.extension() == ".json") {
    if (o.image_column.empty()) o.image_column = "image";
    // A data list (the Decathlon's dataset.json): its images, and its labels when they are paths.
    const std::string mask_field = o.mask_column.empty() ? "label" : o.mask_column;
    for (const data::Sample& sample : data::read_datalist_source({path, o.section, {}, {o.image_column, mask_field}})) {
      const Value* image = sample.values.find("data." + o.image_column);
      if (image == nullptr || !image->is<std::string>())
        throw Error(Errc::kKeyNotFound, sample.origin + ": no path in field '" + o.image_column + "'" +
                                            (image == nullptr ? "" : " (several paths: give one field of them with --image-col)") + "; name the image field with --image-col");
      const Value* mask = sample.values.find("data." + mask_field);
      if (!o.mask_column.empty() && (mask == nullptr || !mask->is<std::string>()))
        throw Error(Errc::kKeyNotFound, sample.origin + ": no path in field '" + mask_field + "' (--mask-col)");
      images.push_back(image->as<std::string>());
      masks.push_back(mask != nullptr && mask->is<std::string>() ? mask->as<std::string>() : "");
    }
  } else {
    std::unique_ptr<table::Reader> reader = table::Reader::open(path);
    const std::vector<std::string> columns = reader->columns();
    auto has = [&](const std::string& c) { return std::find(columns.begin(), columns.end(), c) != columns.end(); };
    if (o.image_column.empty() && !has("image")) {
      std::vector<table::Request> all;
      for (const std::string& c : columns) all.push_back({c, table::Kind::kText});
      return table_summary(o, table::read_table(path, all));
    }
    if (o.image_column.empty()) o.image_column = "image";
    std::vector<std::string> sequences;  // --image-col t1,t2: a case's sequences, the first summarised
    for (std::string_view c : split(o.image_column, ',')) sequences.emplace_back(c);
    for (const std::string& c : sequences)
      if (!has(c))
        throw Error(Errc::kKeyNotFound, o.path + ": no column '" + c + "'" + did_you_mean(c, columns) + " (columns: " + join(columns, ", ") +
                                            "); name the image column with --image-col");
    o.image_column = sequences.front();
    std::string mask_column = o.mask_column.empty() && has("mask") ? "mask" : o.mask_column;
    if (!mask_column.empty() && !has(mask_column))
      throw Error(Errc::kKeyNotFound, o.path + ": no column '" + mask_column + "' (columns: " + join(columns, ", ") + ")");
    std::vector<table::Request> requests;
    for (const std::string& c : sequences) requests.push_back({c, table::Kind::kText});
    if (!mask_column.empty()) requests.push_back({mask_column, table::Kind::kText});
    reader->select(requests);
    table::Table t;
    while (reader->read(t)) {
    }
    const fs::path base = fs::absolute(path).parent_path();
    auto absolute = [&](std::string_view p) { return p.empty() ? std::string() : (fs::path(std::string(p)).is_absolute() ? fs::path(std::string(p)) : base / std::string(p)).string(); };
    for (size_t r = 0; r < t.size(); ++r) {
      images.push_back(absolute(t.column(o.image_column).text.at(r)));
      masks.push_back(mask_column.empty() ? "" : absolute(t.column(mask_column).text.at(r)));
    }
    if (sequences.size() > 1) {
      channels_note = std::to_string(t.size()) + " cases of " + std::to_string(sequences.size()) + " sequences (" + join(sequences, ", ") + "), the first summarised\n";
      std::vector<std::vector<std::string>> paths{images};
      for (size_t c = 1; c < sequences.size(); ++c) {
        paths.emplace_back();
        for (size_t r = 0; r < t.size(); ++r) paths.back().push_back(absolute(t.column(sequences[c]).text.at(r)));
      }
      channels_note += off_grid_lines(paths, sequences, [&](size_t i) { return t.where(i); }, thread_count(o.threads));
    }
  }
  const size_t threads = thread_count(o.threads);
  const data::DatasetSummary s = data::summarize(data::read_image_infos(Registry(), images, masks, threads));
  if (o.json) {
    std::cout << json::to_text(data::summary_json(s), {2}) << "\n";
    return 0;
  }
  if (!o.csv) std::cout << channels_note;
  if (o.csv) {
    std::cout << "path,size_x,size_y,size_z,spacing_x,spacing_y,spacing_z,orientation,pixel_type,channels\n";
    for (const data::ImageInfo& i : s.images)
      std::cout << '"' << i.path << "\"," << i.size[0] << "," << i.size[1] << "," << i.size[2] << "," << json::format_number(i.spacing[0]) << ","
                << json::format_number(i.spacing[1]) << "," << json::format_number(i.spacing[2]) << "," << i.orientation << "," << i.pixel_type << ","
                << i.channels << "\n";
    return 0;
  }
  if (s.photographs) return print_photographs(s);
  Table images_table({"IMAGE", "SIZE", "SPACING (mm)", "ORIENTATION", "TYPE"});
  for (const data::ImageInfo& i : s.images)
    images_table.add({fs::path(i.path).filename().string(), triple(i.size), triple(i.spacing), i.orientation, i.pixel_type});
  images_table.print(std::cout);
  std::cout << "\n";
  Table groups({"COUNT", "SIZE", "SPACING (mm)", "ORIENTATION"});
  for (const data::SummaryGroup& g : s.groups) groups.add({std::to_string(g.count), triple(g.size), triple(g.spacing), g.orientation});
  groups.print(std::cout);
  std::cout << "\nsuggested spacing: " << triple(s.spacing) << " mm (the most common per axis)\n"
            << "largest size after resampling: " << triple(s.largest_size) << "\n"
            << "reorient to " << s.orientation << ": " << (s.reorient ? "yes (the images are not all " + s.orientation + ")" : "no") << "\n";
  print_masks(s, "voxels", "masks not on their image's grid",
              "  a mask of the same scan saved on another grid goes onto its image's by a step after reading both: "
              "{\"op\": \"fuse.medical.resample_like\", \"labels\": [MASK], \"like\": IMAGE}; a mask of another scan needs registering");
  return 0;
}

// ---- fuse cache ----

int cache_info(const std::string& dir, bool as_json) {
  const std::vector<cache::PipelineEntries> info = cache::cache_info(dir);
  if (as_json) {
    boost::json::array out;
    for (const cache::PipelineEntries& p : info)
      out.push_back(boost::json::object{{"pipeline", p.hash}, {"entries", p.entries}, {"bytes", p.bytes}, {"partial", p.partial}, {"steps", p.description}});
    std::cout << json::to_text(out, {2}) << "\n";
    return 0;
  }
  if (info.empty()) {
    std::cout << "no cache entries in " << dir << "\n";
    return 0;
  }
  Table t({"PIPELINE", "ENTRIES", "SIZE", "PARTIAL", "STEPS"});
  for (const cache::PipelineEntries& p : info) {
    // The op of each step line ("fuse.io.read_medical exp.json:4:9").
    std::vector<std::string> ops;
    std::istringstream lines(p.description);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("pipeline ", 0) != 0 && !line.empty()) ops.push_back(line.substr(0, line.find(' ')));
    t.add({p.hash.substr(0, 16), std::to_string(p.entries), short_number(static_cast<double>(p.bytes) / 1e6) + " MB", std::to_string(p.partial),
           std::to_string(ops.size()) + " steps: " + join(ops, ", ")});
  }
  t.print(std::cout);
  return 0;
}

int cache_verify(const std::string& dir, bool fix) {
  const std::vector<std::string> problems = cache::verify_cache(dir, fix);
  for (const std::string& p : problems) std::cout << p << "\n";
  if (problems.empty()) {
    std::cout << "OK: every entry in " << dir << " is sound\n";
    return 0;
  }
  std::cout << problems.size() << " problem(s)" << (fix ? ", removed (they are rebuilt when next needed)" : "; run with --fix to remove them") << "\n";
  return fix ? 0 : 1;
}

// The experiment's dataset for `split`, which must have a cache folder (to `purpose`: "build", "audit"), indexed
// on `threads` threads.
data::DatasetSpec cached_split(const Registry& registry, const std::string& config_file, const std::vector<std::string>& settings, const std::string& split,
                               size_t threads, const std::string& purpose) {
  json::Document doc = json::Document::load(config_file, json::Extends::kFollow);
  json::apply_settings(doc, settings);
  const data::DataConfig config = data::read_data_config(doc);
  if (!config.dataset.cache_dir) throw Error(Errc::kConfig, config_file + ": the data section has no 'cache' folder to " + purpose);
  data::DatasetSpec spec = split_dataset(registry, doc, config, split, threads);
  spec.index_threads = threads;
  return spec;
}

int cache_build(const std::string& config_file, const std::vector<std::string>& settings, const std::string& split, int64_t threads) {
  const size_t n = thread_count(threads);
  Registry registry;
  data::DatasetSpec spec = cached_split(registry, config_file, settings, split, n, "build");
  spec.index_progress = true;
  data::Dataset dataset(registry, std::move(spec));
  const size_t dropped_sources = dataset.skipped();  // a splitting pipeline's source samples that failed (not among the samples)
  dataset.build_cache(n, true);
  std::cout << "cache " << dataset.cache()->folder().string() << ": " << dataset.size() - (dataset.skipped() - dropped_sources) << " samples";
  if (dataset.changes_count()) std::cout << " from " << dataset.sources() << " source samples";
  if (dataset.skipped()) std::cout << ", " << dataset.skipped() << " failed (on_error: " << data::on_error_name(dataset.spec().on_error) << ")";
  if (dataset.cache()->corrupt_found()) std::cout << ", " << dataset.cache()->corrupt_found() << " corrupt entries rebuilt";
  std::cout << "\n";
  return 0;
}

int cache_audit(const std::string& config_file, const std::vector<std::string>& settings, const std::string& split, double share, int64_t threads) {
  const size_t n = thread_count(threads);
  Registry registry;
  data::DatasetSpec spec = cached_split(registry, config_file, settings, split, n, "audit");
  spec.cache_audit = data::CacheAudit{true, share};
  data::Dataset dataset(registry, std::move(spec));
  const data::Dataset::AuditReport report = dataset.audit_cache(n, true);
  for (const std::string& d : report.differences) std::cout << d << "\n";
  const std::string folder = dataset.cache()->folder().string();
  if (report.differences.empty()) {
    std::cout << "OK: " << report.audited << " of " << dataset.size() << " samples recomputed, each equal to its entry in " << folder << "\n";
    return 0;
  }
  std::cout << report.differences.size() << " of " << report.audited << " recomputed samples differ from their entries in " << folder
            << ": the static pipeline's inputs changed since they were cached (a file rewritten in place?) or a static op is not "
               "deterministic; clear the cache (fuse cache clear "
            << dataset.spec().cache_dir->string() << ") to rebuild them\n";
  return 1;
}

}  // namespace

void add_data_commands(CLI::App& app, int& exit_code) {
  CLI::App* data_cmd = app.add_subcommand("data", "Look at samples after the pipelines of an experiment");
  data_cmd->require_subcommand(1);
  CLI::App* show_cmd = data_cmd->add_subcommand("show", "Draw slices of the first samples after the pipelines into a PNG grid");
  static ShowOptions show_options;
  show_cmd->add_option("CONFIG", show_options.config, "experiment file (its 'data' section)")->required();
  show_cmd->add_option("--n", show_options.n, "how many samples")->check(CLI::PositiveNumber);
  show_cmd->add_option("--plane", show_options.plane, "axial, coronal or sagittal")->check(CLI::IsMember({"axial", "coronal", "sagittal"}));
  show_cmd->add_option("--out", show_options.out, "the PNG to write");
  show_cmd->add_option("--split", show_options.split, "all (the default), train (with folds) or validation (the experiment's validation data, else the folds' split; the default with --top-losses)")->check(CLI::IsMember({"all", "train", "validation"}));
  show_cmd->add_option("--epoch", show_options.epoch, "the epoch whose random draws to show");
  show_cmd->add_flag("--no-augment", show_options.no_augment, "run the dynamic pipeline as in evaluation (random ops off)");
  show_cmd->add_option("--image", show_options.image_key, "the image key (default: the first tensor of 3 or more axes)");
  show_cmd->add_option("--channel", show_options.channel, "the image's channel to draw, e.g. a case's second MRI sequence (default: the first)")
      ->check(CLI::NonNegativeNumber);
  show_cmd->add_option("--mask", show_options.mask_key, "the mask key (default: data.mask, data.seg or data.label when a tensor)");
  show_cmd->add_option("--slice", show_options.slice, "slice index (default: the largest mask area)");
  show_cmd->add_option("--columns", show_options.columns, "tiles per row")->check(CLI::PositiveNumber);
  show_cmd->add_option("--histogram", show_options.histogram, "also write the images' intensity histograms to this PNG (one line per sample)");
  show_cmd->add_option("--ids", show_options.ids, "these samples (ids, comma-separated) in this order, instead of the first --n")->delimiter(',');
  show_cmd->add_option("--top-losses", show_options.top_losses, "a run's predictions.csv: show the --n validation samples with the largest loss, captioned with their predictions");
  show_cmd->add_option("--after", show_options.after, "show the samples after this step, e.g. static:3 or dynamic:1 (the steps after it are not run)");
  show_cmd->add_option("--set", show_options.settings, "replace or add a value of the experiment, as fuse run --set does (data.dynamic.0.p=1)");
  show_cmd->callback([&] { exit_code = show(show_options); });

  CLI::App* dataset_cmd = app.add_subcommand("dataset", "Inspect a dataset: medical images, or a table's columns");
  dataset_cmd->require_subcommand(1);
  CLI::App* summary_cmd = dataset_cmd->add_subcommand("summary", "Sizes, spacings, orientations, groups and a suggested resampling; or a table's columns");
  static SummaryOptions summary_options;
  summary_cmd->add_option("PATH", summary_options.path,
                          "a folder of images, a CSV/TSV table (with an image column; without one, its columns are summarised), or a data list (the "
                          "Decathlon's dataset.json)")
      ->required();
  summary_cmd->add_option("--image-col", summary_options.image_column, "the table's image column (or the data list's field; default: image); several (t1,t2): a case's sequences, the first summarised, the others checked against its grid");
  summary_cmd->add_option("--mask-col", summary_options.mask_column, "the table's mask column (default: 'mask' when present; a data list's 'label' when a path)");
  summary_cmd->add_option("--section", summary_options.section, "the data list's list of samples (default: training)");
  summary_cmd->add_flag("--json", summary_options.json, "print JSON");
  summary_cmd->add_flag("--csv", summary_options.csv, "print one CSV row per image");
  summary_cmd->add_option("--threads", summary_options.threads, "reader threads (default: all cores)");
  summary_cmd->callback([&] { exit_code = summary(summary_options); });

  CLI::App* cache_cmd = app.add_subcommand("cache", "Inspect, check, clear or fill a sample cache");
  cache_cmd->require_subcommand(1);
  static std::string dir, config, split = "all";
  static std::vector<std::string> settings;  // --set, as the run that uses the cache has them
  static bool as_json = false, fix = false;
  static int64_t threads = 0;
  CLI::App* info_cmd = cache_cmd->add_subcommand("info", "Pipelines, entries and sizes in a cache folder");
  info_cmd->add_option("DIR", dir, "the cache folder")->required();
  info_cmd->add_flag("--json", as_json, "print JSON");
  info_cmd->callback([&] { exit_code = cache_info(dir, as_json); });
  CLI::App* verify_cmd = cache_cmd->add_subcommand("verify", "Check every entry's checksum");
  verify_cmd->add_option("DIR", dir, "the cache folder")->required();
  verify_cmd->add_flag("--fix", fix, "remove corrupt entries and leftovers of killed writers");
  verify_cmd->callback([&] { exit_code = cache_verify(dir, fix); });
  CLI::App* clear_cmd = cache_cmd->add_subcommand("clear", "Remove every cache file in a folder");
  clear_cmd->add_option("DIR", dir, "the cache folder")->required();
  clear_cmd->callback([&] {
    std::cout << "removed " << cache::clear_cache(dir) << " file(s) from " << dir << "\n";
    exit_code = 0;
  });
  CLI::App* build_cmd = cache_cmd->add_subcommand("build", "Run the static pipeline of every sample into the cache, in parallel");
  build_cmd->add_option("CONFIG", config, "experiment file (its 'data' section)")->required();
  build_cmd->add_option("--split", split, "all, train or validation (the validation data's own pipeline when it has one)")->check(CLI::IsMember({"all", "train", "validation"}));
  build_cmd->add_option("--threads", threads, "threads (default: all cores)");
  build_cmd->add_option("--set", settings, "replace or add a value of the experiment, as fuse run --set does (data.dynamic.0.p=1)");
  build_cmd->callback([&] { exit_code = cache_build(config, settings, split, threads); });
  CLI::App* audit_cmd = cache_cmd->add_subcommand("audit", "Recompute some cached samples and compare them with their entries (a stale cache)");
  audit_cmd->add_option("CONFIG", config, "experiment file (its 'data' section)")->required();
  audit_cmd->add_option("--split", split, "all, train or validation")->check(CLI::IsMember({"all", "train", "validation"}));
  static double share = 0.1;
  audit_cmd->add_option("--share", share, "the share of samples to recompute besides the first (default 0.1; 1: all)")->check(CLI::Range(0.0, 1.0));
  audit_cmd->add_option("--threads", threads, "threads (default: all cores)");
  audit_cmd->add_option("--set", settings, "replace or add a value of the experiment, as fuse run --set does (data.dynamic.0.p=1)");
  audit_cmd->callback([&] { exit_code = cache_audit(config, settings, split, share, threads); });
}

}  // namespace fuse::cli
