#include "infer_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <numeric>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <CLI/Error.hpp>

#include "fuse/base/error.h"
#include "fuse/base/strings.h"
#include "fuse/json/write.h"
#include "fuse/train/batch_inference.h"
#include "fuse/train/inference.h"
#include "fuse/train/out_of_fold.h"
#include "fuse/train/previous_stage.h"
#include "print_evaluation.h"

namespace fuse::cli {

namespace {

namespace fs = std::filesystem;


// --mirror's axes ("xyz") as test-time flips: every non-empty combination of them (nnU-Net's mirroring: 7 flips
// and the identity for three axes), in order of size.
std::vector<std::vector<int>> mirror_flips(const std::string& axes) {
  std::vector<int> picked;
  for (char c : axes) {
    const size_t a = std::string("xyz").find(c);
    if (a == std::string::npos || std::count(picked.begin(), picked.end(), static_cast<int>(a)))
      throw CLI::ValidationError("--mirror", "'" + axes + "': the axes to mirror, each of x, y and z at most once (e.g. xyz for a volume, xy for a slice)");
    picked.push_back(static_cast<int>(a));
  }
  std::sort(picked.begin(), picked.end());
  std::vector<std::vector<int>> flips;
  for (unsigned mask = 1; mask < (1u << picked.size()); ++mask) {
    std::vector<int> flip;
    for (size_t k = 0; k < picked.size(); ++k)
      if (mask & (1u << k)) flip.push_back(picked[k]);
    flips.push_back(flip);
  }
  std::stable_sort(flips.begin(), flips.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
  return flips;
}

// One input, no --out: small outputs (class probabilities, scores) are printed; large ones (segmentations) were
// written to --output.
int infer_one(const InferOptions& o, fuse::train::Predictor& predictor) {
  const fuse::NDict out = predictor.predict_file(o.inputs.files.front(), o.output);
  boost::json::object printed;
  for (const auto& [key, value] : out.flatten()) {
    if (key.rfind("model.", 0) != 0 || !value->is<fuse::Tensor>() || value->as<fuse::Tensor>().numel() > 64) continue;
    const fuse::Tensor t = value->as<fuse::Tensor>().is_contiguous() ? value->as<fuse::Tensor>() : value->as<fuse::Tensor>().clone();
    boost::json::array a;
    fuse::sdk::dispatch_dtype(t.dtype(), [&](auto tag) {
      for (int64_t i = 0; i < t.numel(); ++i) a.push_back(static_cast<double>(t.data<decltype(tag)>()[i]));
    });
    printed[key] = std::move(a);
  }
  if (!printed.empty()) std::cout << fuse::json::to_text(printed, {2}) << "\n";
  if (!o.output.empty() && fs::exists(o.output)) std::cout << "wrote " << o.output << "\n";
  return 0;
}

// Many inputs (a folder, a table, several --input) into --out: predictions.csv, the written outputs, and the
// evaluation where the inputs carry its target.
// With --out-of-fold, `choice` holds a predictor per bundle and `samples` are ordered by it.
int infer_many(const InferOptions& o, const fuse::Registry& registry, const fuse::train::PredictorChoice& choice,
               const std::vector<fuse::data::Sample>& samples) {
  const fuse::train::Predictor& predictor = *choice.predictors.front();
  fuse::train::BatchInferenceOptions options;
  options.out = o.out;
  options.output_name = o.output_name;
  options.workers = o.workers;
  options.batch = o.batch;
  options.keep_going = o.keep_going;
  options.reference = o.reference;
  const bool bar = !o.no_progress && isatty(fileno(stderr));
  if (bar)
    options.on_progress = [](size_t done, size_t total) {
      std::fprintf(stderr, "\rpredicting %zu/%zu%s", done, total, done == total ? "\n" : "");
      std::fflush(stderr);
    };
  const fuse::train::BatchInferenceResult r = fuse::train::predict_all(registry, choice, samples, options);
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.1f s (%.3f s an input)", r.seconds, r.seconds / static_cast<double>(samples.size()));
  std::cout << "predicted " << r.predicted << " of " << samples.size() << " inputs in " << seconds << "\n";
  if (o.out_of_fold) {
    std::vector<std::string> counts;
    for (size_t b = 0; b < choice.predictors.size(); ++b)
      counts.push_back(choice.names[b] + ": " + std::to_string(std::count(choice.which.begin(), choice.which.end(), b)));
    std::cout << "out of fold: each input by the bundle it validated (" << fuse::join(counts, ", ") << "; column 'model' of predictions.csv)\n";
  }
  print_evaluation(fs::path(o.out) / "evaluation.json");
  if (!r.not_evaluated.empty()) std::cout << "not evaluated: " << r.not_evaluated << "\n";
  if (!r.reference_columns.empty())
    std::cout << "each input's " << fuse::join(r.reference_columns, ", ") << " against its "
              << (o.reference.empty() ? predictor.experiment().inference.reference : o.reference) << ": columns of predictions.csv\n";
  if (!r.not_compared.empty()) std::cout << "not compared: " << r.not_compared << "\n";
  std::cout << "wrote " << (fs::path(o.out) / "predictions.csv").string();
  if (!predictor.experiment().inference.write.empty()) std::cout << " and each input's output";
  if (r.evaluated) std::cout << ", evaluation.json, report.html";
  std::cout << "\n";
  if (r.failed.empty()) return 0;
  std::cerr << "fuse: error: " << r.failed.size() << " of " << samples.size() << " inputs failed (" << (fs::path(o.out) / "errors.csv").string()
            << "); the first, '" << r.failed.front().first << "': " << r.failed.front().second << "\n";
  return 1;
}

// The predictors of one stage's bundles and the inputs in the order they take them: one predictor (a bundle,
// or an ensemble), or with --out-of-fold one per bundle, each input by the one it validated, each bundle's inputs
// together.
struct Stage {
  std::vector<std::unique_ptr<fuse::train::Predictor>> owned;
  fuse::train::PredictorChoice choice;
  std::vector<fuse::data::Sample> samples;
};

Stage make_stage(const fuse::Registry& registry, const std::vector<fs::path>& given, const InferOptions& o, const std::vector<std::vector<int>>& flips) {
  Stage stage;
  const auto add = [&](const std::vector<fs::path>& bundles, const std::string& name) {
    stage.owned.push_back(std::make_unique<fuse::train::Predictor>(registry, bundles, o.device));
    if (!o.mirror.empty()) stage.owned.back()->set_flips(flips);
    stage.choice.predictors.push_back(stage.owned.back().get());
    stage.choice.names.push_back(name);
  };
  if (!o.out_of_fold) {
    add(given, "");
    stage.samples = fuse::train::read_inference_inputs(o.inputs, stage.owned.front()->experiment());
    stage.choice.which.assign(stage.samples.size(), 0);
    return stage;
  }
  const std::vector<fs::path> bundles = fuse::train::expand_bundle_folders(given);
  for (const fs::path& b : bundles) add({b}, b.filename().string());
  std::vector<fuse::data::Sample> samples = fuse::train::read_inference_inputs(o.inputs, stage.owned.front()->experiment());
  const std::vector<size_t> which = fuse::train::out_of_fold_bundles(bundles, samples);
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return which[a] < which[b]; });
  for (size_t i : order) stage.samples.push_back(std::move(samples[i])), stage.choice.which.push_back(which[i]);
  return stage;
}

}  // namespace

int infer(const InferOptions& o) {
  const bool many = !o.out.empty() || o.inputs.files.size() != 1;
  if (many && !o.output.empty())
    throw CLI::ValidationError("--output", "names the file of one --input; with several inputs, a --folder or a --table give --out DIR");
  if (many && o.out.empty())
    throw CLI::ValidationError("--out", "needed with several inputs, a --folder or a --table: the folder for predictions.csv and the outputs");
  if (!many && !o.reference.empty())
    throw CLI::ValidationError("--reference", "scores what --out DIR writes against each input's reference: give a --table whose rows carry it and --out");
  if (o.out_of_fold && o.out.empty())
    throw CLI::ValidationError("--out-of-fold", "predicts a cross-validation's cases into a folder: give them with --table (or --folder) and --out DIR");
  if (!o.previous_stage.empty() && o.out.empty())
    throw CLI::ValidationError("--previous-stage", "gives each input's first-stage segmentation to a cascade's bundles: give the inputs with --table, "
                                                   "--folder or --input and --out DIR");
  const std::vector<std::vector<int>> flips = o.mirror.empty() ? std::vector<std::vector<int>>() : mirror_flips(o.mirror);
  fuse::Registry registry;
  const std::vector<fs::path> given(o.bundles.begin(), o.bundles.end());
  if (!many) {
    fuse::train::Predictor predictor(registry, given, o.device);
    if (!o.mirror.empty()) predictor.set_flips(flips);
    return infer_one(o, predictor);
  }
  Stage stage = make_stage(registry, given, o, flips);
  const std::string& key = stage.choice.predictors.front()->experiment().inference.previous_stage;
  std::vector<fuse::data::Sample>& samples = stage.samples;
  if (key.empty() && !o.previous_stage.empty())
    throw fuse::Error(fuse::Errc::kInvalidArgument, "--previous-stage: bundle '" + o.bundles.front() + "' is not a cascade's second stage (its inference "
                                                    "names no previous_stage): predict without --previous-stage");
  if (!key.empty() && o.previous_stage.empty()) {
    for (const fuse::data::Sample& s : samples)
      if (!s.values.has(key))
        throw fuse::Error(fuse::Errc::kInvalidArgument, "bundle '" + o.bundles.front() + "' is a cascade's second stage: it reads each input's "
                                                        "segmentation by the first stage under " + key + ", which input '" + s.id + "' lacks; give "
                                                        "--previous-stage with the first stage's bundles (or a folder of their segmentations)");
  }
  if (!key.empty() && !o.previous_stage.empty()) {
    fs::path folder = o.previous_stage;
    const std::vector<fs::path> first_bundles = fuse::train::expand_bundle_folders({folder});
    if (fs::exists(first_bundles.front() / "bundle.json")) {
      // The first stage predicts the same inputs (out of fold too, with --out-of-fold) into OUT/previous_stage.
      const Stage first = make_stage(registry, {folder}, o, flips);
      fuse::train::BatchInferenceOptions options;
      options.out = fs::path(o.out) / "previous_stage";
      options.workers = o.workers;
      options.batch = o.batch;
      options.reference = o.reference;
      const fuse::train::BatchInferenceResult r = fuse::train::predict_all(registry, first.choice, first.samples, options);
      std::cout << "previous stage: " << folder.string() << " predicted " << r.predicted << " inputs into " << options.out.string()
                << (r.evaluated ? " (evaluation.json: their scores alone)" : "") << "\n";
      folder = options.out;
    }
    fuse::train::attach_previous_stage(samples, key, folder);
  }
  return infer_many(o, registry, stage.choice, samples);
}

}  // namespace fuse::cli
