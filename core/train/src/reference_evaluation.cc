#include "fuse/train/reference_evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include <boost/json/array.hpp>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/data/grid.h"
#include "fuse/data/summary.h"
#include "fuse/eval/bootstrap.h"
#include "fuse/json/write.h"
#include "fuse_sdk/dtype.hpp"
#include "metric_set.h"

namespace fuse::train {

namespace bj = boost::json;

namespace {

// The keys a case is scored under; the metrics' configs are pointed at them.
constexpr const char* kPred = "reference_evaluation.pred";
constexpr const char* kTarget = "reference_evaluation.target";
constexpr const char* kSpacing = "reference_evaluation.spacing";

bj::value number(double v) { return std::isfinite(v) ? bj::value(v) : bj::value(nullptr); }

std::string string_of(const bj::object& config, const char* field) {
  const bj::value* v = config.if_contains(field);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A label-map file as read: the map [1, *spatial] and its grid.
struct LabelFile {
  Tensor map;
  data::Grid grid;
};

}  // namespace

struct ReferenceEvaluation::Impl {
  Impl(const Registry& r, const std::vector<MetricSpec>& s)
      : registry(r), specs(s), read(r.create_op("fuse.io.read_medical", bj::object{{"path_key", "path"}, {"key", "map"}})), metrics(r, s, false) {
    for (const MetricSpec& m : s) {
      if (const bj::value* n = m.config.if_contains("num_classes"); n != nullptr && n->is_int64()) classes = std::max(classes, n->as_int64());
      if (const bj::value* n = m.config.if_contains("ignore_label"); n != nullptr && n->is_int64()) ignore = std::max(ignore, n->as_int64());
    }
  }
  const Registry& registry;
  std::vector<MetricSpec> specs;
  Op read;
  std::optional<Op> read_picture;  // photographs' masks (PNG, ...), made when the first comes
  std::vector<double> values;      // a photograph mask's value of class i, as the inference wrote it (empty: i)
  MetricSet metrics;
  std::string reference_key;
  std::vector<std::string> names;
  size_t cases = 0;
  int64_t classes = 0;  // labels 0 .. classes - 1, by the metrics' num_classes (0: unknown, not checked)
  int64_t ignore = -1;  // the metrics' ignore_label (not annotated), allowed in a reference beside the classes
  std::optional<std::vector<std::pair<std::string, double>>> means;  // computed once, after the last case

  // A file that holds no label map (an image given by mistake, probabilities) would score 0 without a word.
  void check_labels(const Tensor& map, const std::string& what, const std::string& path) const {
    if (classes <= 0) return;
    const Tensor t = map.is_contiguous() ? map : map.clone();
    const int64_t top = std::max(classes - 1, ignore);  // the ignore label, where there is one, is the largest
    const auto refuse = [&](double x) {
      throw Error(Errc::kInvalidArgument, what + " '" + path + "' holds the value " + json::format_number(x) + ", not a label 0 to " +
                                              std::to_string(classes - 1) + (ignore > classes - 1 ? " (or the ignore label " + std::to_string(ignore) + ")" : "") +
                                              ": is it a label map?");
    };
    sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* v = t.data<T>();
      const size_t n = static_cast<size_t>(t.numel());
      if constexpr (std::is_integral_v<T>) {  // the usual case: its range in one vectorised pass
        if (n == 0) return;
        const auto [low, high] = std::minmax_element(v, v + n);
        if (static_cast<double>(*low) < 0) refuse(static_cast<double>(*low));
        if (static_cast<double>(*high) > static_cast<double>(top)) refuse(static_cast<double>(*high));
      } else {
        for (size_t i = 0; i < n; ++i) {
          const double x = static_cast<double>(v[i]);
          if (x < 0 || x > static_cast<double>(top) || x != std::floor(x)) refuse(x);
        }
      }
    });
  }

  void add(const std::string& written, const std::string& reference);

  LabelFile read_file(const std::string& path, const std::string& what) {
    NDict s;
    s.set("path", path);
    const bool picture = data::is_photograph(path);
    try {
      if (picture && !read_picture) read_picture = registry.create_op("fuse.io.read_image", bj::object{{"path_key", "path"}, {"key", "map"}});
      (picture ? *read_picture : read).forward(s);
    } catch (const Error& e) {
      throw Error(e.code(), what + " '" + path + "': " + e.what());
    }
    if (!picture) return LabelFile{s.get<Tensor>("map"), data::grid_of(s, "map_meta")};
    // A photograph's mask: one channel, its values the classes' (0 and 255 as ISIC's), on a grid of pixels.
    const Tensor& map = s.get<Tensor>("map");
    if (map.shape()[0] != 1) throw Error(Errc::kShape, what + " '" + path + "' has " + std::to_string(map.shape()[0]) + " channels; a label map has one");
    const double w = static_cast<double>(map.shape()[2]), h = static_cast<double>(map.shape()[1]);
    return LabelFile{classes_of(map, what, path), data::Grid{{w, h, 1}, {1, 1, 1}, {0, 0, 0}, {1, 0, 0, 0, 1, 0, 0, 0, 1}}};
  }

  // A photograph mask's values as class numbers (values[i] is class i).
  Tensor classes_of(const Tensor& map, const std::string& what, const std::string& path) const {
    if (values.empty()) return map;
    const Tensor t = map.is_contiguous() ? map : map.clone();
    std::vector<int64_t> out(static_cast<size_t>(t.numel()));
    sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
      const auto* v = t.data<decltype(tag)>();
      for (size_t i = 0; i < out.size(); ++i) {
        const auto it = std::find(values.begin(), values.end(), static_cast<double>(v[i]));
        if (it == values.end())
          throw Error(Errc::kInvalidArgument, what + " '" + path + "' holds the value " + json::format_number(static_cast<double>(v[i])) +
                                                  ", which is none of the masks' values the inference writes (" + join_numbers(values) + ")");
        out[i] = it - values.begin();
      }
    });
    return Tensor::from_vector(out, t.shape());
  }

  static std::string join_numbers(const std::vector<double>& v) {
    std::string text;
    for (double x : v) text += (text.empty() ? "" : ", ") + json::format_number(x);
    return text;
  }

  // Values in names' order, by name: a metric undefined for some cases or replicates gives one NaN under its
  // name instead of its several outputs.
  std::vector<double> in_order(const std::vector<std::pair<std::string, double>>& named) const {
    std::vector<double> out(names.size(), std::numeric_limits<double>::quiet_NaN());
    for (const auto& [name, value] : named)
      for (size_t k = 0; k < names.size(); ++k)
        if (names[k] == name) out[k] = value;
    return out;
  }
};

namespace {

// The inference's write step that writes the output path, the file compared with the reference.
const data::Step& written_step(const Experiment& e, const std::string& origin) {
  const InferenceSpec& spec = e.inference;
  const std::string target = "{" + spec.output_key + "}";
  if (spec.write.empty())
    throw Error(Errc::kConfig, origin + ": the inference writes nothing to compare with the reference (add a write step, e.g. fuse.io.write_medical of the "
                                        "label map with \"path\": \"" + target + "\")");
  for (const data::Step& s : spec.write)
    if (string_of(s.config, "path").find(target) != std::string::npos && !string_of(s.config, "key").empty()) return s;
  throw Error(Errc::kConfig, origin + ": no write step of the inference writes to " + target + ", the file compared with the reference");
}

// The values a write step gives the classes ("values" of fuse.io.write_image; empty: the class numbers).
std::vector<double> written_values(const data::Step& step) {
  std::vector<double> out;
  if (const bj::value* v = step.config.if_contains("values"); v != nullptr && v->is_array())
    for (const bj::value& x : v->as_array()) out.push_back(x.to_number<double>());
  return out;
}

// The experiment's validation metrics on the label map written to the output path.
std::vector<MetricSpec> metrics_on_written(const Experiment& e, const std::string& origin) {
  const std::string written = string_of(written_step(e, origin).config, "key");
  const std::string target = "{" + e.inference.output_key + "}";
  std::vector<MetricSpec> out;
  for (const MetricSpec& m : e.metrics)
    if (m.validation && string_of(m.config, "pred") == written) out.push_back(m);
  if (out.empty())
    throw Error(Errc::kConfig, origin + ": no validation metric of the experiment reads '" + written + "', the label map written to " + target +
                                   " (add one, e.g. {\"metric\": \"fuse.metrics.segmentation\", \"pred\": \"" + written + "\", \"num_classes\": ...})");
  return out;
}

// The metrics pointed at a case's two label maps, with the case's own spacing.
std::vector<MetricSpec> on_cases(const Registry& registry, std::vector<MetricSpec> metrics) {
  for (MetricSpec& m : metrics) {
    m.config["pred"] = kPred;
    m.config["target"] = kTarget;
    if (registry.component(m.component).field("spacing_key") != nullptr) {
      m.config.erase("spacing");  // an experiment's is the resampled grid's; a case's own comes from its file
      m.config["spacing_key"] = kSpacing;
    }
    m.validation = true;
  }
  return metrics;
}

}  // namespace

ReferenceEvaluation::ReferenceEvaluation(const Registry& registry, const Experiment& experiment, const std::string& reference_key,
                                         const std::string& origin)
    : ReferenceEvaluation(registry, metrics_on_written(experiment, origin + " '" + reference_key + "'"), reference_key) {
  impl_->values = written_values(written_step(experiment, origin + " '" + reference_key + "'"));
}

ReferenceEvaluation::ReferenceEvaluation(const Registry& registry, const std::vector<MetricSpec>& metrics, const std::string& reference_key)
    : impl_(std::make_unique<Impl>(registry, on_cases(registry, metrics))) {
  impl_->reference_key = reference_key;
}

ReferenceEvaluation::~ReferenceEvaluation() = default;

const std::string& ReferenceEvaluation::reference_key() const { return impl_->reference_key; }
const std::vector<std::string>& ReferenceEvaluation::names() const { return impl_->names; }
size_t ReferenceEvaluation::cases() const { return impl_->cases; }

void ReferenceEvaluation::Impl::add(const std::string& written, const std::string& reference) {
  const LabelFile pred = read_file(written, "the written prediction");
  const LabelFile ref = read_file(reference, "the reference " + reference_key);
  if (const std::string d = data::grid_difference(pred.grid, ref.grid); !d.empty())
    throw Error(Errc::kInvalidArgument, "the reference " + reference_key + " '" + reference + "' and the prediction '" + written +
                                            "' lie on different grids (" + d + "): a reference must be on its input's grid");
  check_labels(pred.map, "the written prediction", written);
  check_labels(ref.map, "the reference " + reference_key, reference);
  if (pred.map.shape() != ref.map.shape())
    throw Error(Errc::kInvalidArgument, "the reference " + reference_key + " '" + reference + "' is " + ref.map.description() +
                                            " but the prediction '" + written + "' is " + pred.map.description() + ": a reference is one label map");
  // Per tensor axis (z, y, x) from the file's (x, y, z).
  const size_t nd = static_cast<size_t>(pred.map.ndim() - 1);
  std::vector<double> spacing(nd, 1.0);
  for (size_t j = 0; j < nd; ++j)
    if (nd - 1 - j < pred.grid.spacing.size()) spacing[j] = pred.grid.spacing[nd - 1 - j];
  NDict batch;
  batch.set(kPred, pred.map);
  batch.set(kTarget, ref.map);
  batch.set(kSpacing, Tensor::from_vector(spacing, {static_cast<int64_t>(nd)}));
  metrics.update(batch);
  means.reset();
  ++cases;
}

void ReferenceEvaluation::add(const std::string& written, const std::string& reference) { impl_->add(written, reference); }

void ReferenceEvaluation::add_all(const std::vector<Case>& cases, size_t threads, const std::function<void(size_t)>& on_done) {
  threads = std::max<size_t>(1, std::min(threads, cases.size()));
  std::mutex mutex;
  size_t done = 0;
  // Part t scores cases [t * n / threads, (t + 1) * n / threads) with its own reader and metrics.
  std::vector<std::unique_ptr<Impl>> parts(threads);
  std::vector<std::optional<Error>> failures(threads);
  const auto score = [&](size_t t) {
    try {
      parts[t] = std::make_unique<Impl>(impl_->registry, impl_->specs);
      parts[t]->reference_key = impl_->reference_key;
      parts[t]->values = impl_->values;
      for (size_t k = t * cases.size() / threads; k < (t + 1) * cases.size() / threads; ++k) {
        try {
          parts[t]->add(cases[k].written, cases[k].reference);
        } catch (const Error& e) {
          throw Error(e.code(), "case '" + cases[k].id + "': " + e.what());
        } catch (const std::exception& e) {  // never out of a thread unnamed
          throw Error(Errc::kInternal, "case '" + cases[k].id + "': " + e.what());
        }
        const std::lock_guard<std::mutex> lock(mutex);
        ++done;
        if (on_done) on_done(done);
      }
    } catch (const Error& e) {
      failures[t] = e;
    } catch (const std::exception& e) {
      failures[t] = Error(Errc::kInternal, e.what());
    }
  };
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(score, t);
  score(0);
  for (std::thread& w : workers) w.join();
  for (const std::optional<Error>& f : failures)
    if (f) throw *f;  // the first part's first failure
  for (const auto& part : parts) {
    impl_->metrics.merge(part->metrics);
    impl_->cases += part->cases;
  }
  impl_->means.reset();
}

std::vector<std::vector<double>> ReferenceEvaluation::per_case() {
  results(eval::CiSpec{});
  std::vector<std::vector<double>> out;
  std::vector<uint8_t> counts(impl_->cases, 0);
  for (size_t c = 0; c < impl_->cases; ++c) {
    counts[c] = 1;
    out.push_back(impl_->in_order(impl_->metrics.compute_weighted(counts.data(), counts.size())));
    counts[c] = 0;
  }
  return out;
}

bj::object ReferenceEvaluation::results(const eval::CiSpec& ci) {
  Impl& m = *impl_;
  if (m.cases == 0) throw Error(Errc::kInvalidArgument, "no case was compared with its reference " + m.reference_key);
  if (!m.means) {
    m.means = m.metrics.compute();
    m.names.clear();
    for (const auto& [name, value] : *m.means) m.names.push_back(name);
  }
  const std::vector<double> estimate = m.in_order(*m.means);
  std::vector<std::vector<double>> replicates(estimate.size());
  std::vector<uint8_t> counts(m.cases);
  for (int64_t r = 0; r < ci.rounds; ++r) {
    eval::draw_counts(ci.seed, static_cast<uint64_t>(r), {eval::Stratum{0, m.cases, nullptr}}, counts);
    const std::vector<double> v = m.in_order(m.metrics.compute_weighted(counts.data(), m.cases));
    for (size_t k = 0; k < v.size(); ++k) replicates[k].push_back(v[k]);
  }
  std::vector<std::vector<double>> jackknife(estimate.size());
  if (ci.rounds > 0 && ci.method == "bca")
    for (size_t left = 0; left < m.cases; ++left) {  // leave one case out
      std::fill(counts.begin(), counts.end(), 1);
      counts[left] = 0;
      const std::vector<double> v = m.in_order(m.metrics.compute_weighted(counts.data(), m.cases));
      for (size_t k = 0; k < v.size(); ++k) jackknife[k].push_back(v[k]);
    }
  bj::object out;
  for (size_t k = 0; k < estimate.size(); ++k) {
    bj::object entry{{"value", number(estimate[k])}};
    if (ci.rounds > 0) {
      int64_t skipped = 0;
      for (double v : replicates[k]) skipped += std::isnan(v) ? 1 : 0;
      const eval::Interval in = ci.method == "bca" ? eval::bca_interval(replicates[k], estimate[k], jackknife[k], ci.level)
                                                   : eval::percentile_interval(replicates[k], ci.level);
      entry["ci"] = bj::object{{"lower", number(in.lower)}, {"upper", number(in.upper)}, {"level", ci.level},
                               {"rounds", ci.rounds - skipped}, {"skipped", skipped}, {"method", ci.method}};
    }
    out[m.names[k]] = std::move(entry);
  }
  return out;
}

bj::array cases_json(const std::vector<std::string>& ids, const std::vector<std::string>& names, const std::vector<std::vector<double>>& values) {
  bj::array cases;
  for (size_t k = 0; k < ids.size() && k < values.size(); ++k) {
    bj::object c{{"id", ids[k]}};
    for (size_t m = 0; m < names.size() && m < values[k].size(); ++m) c[names[m]] = number(values[k][m]);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace fuse::train
