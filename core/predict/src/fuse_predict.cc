// The C prediction API over fuse::train::Predictor: handles, options and errors at the boundary; no exception
// leaves this file.
#include "fuse_predict/fuse_predict.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/runtime_symbol_info.hpp>

#include "fuse/base/error.h"
#include "fuse/plugin/host_abi.h"
#include "fuse/plugin/registry.h"
#include "fuse/train/inference.h"

struct fm_predictor {
  std::unique_ptr<fuse::Registry> registry;  // before the predictor, which holds a reference to it
  std::unique_ptr<fuse::train::Predictor> predictor;
  std::mutex mutex;  // one prediction at a time
};

namespace fuse {
namespace {

namespace fs = std::filesystem;

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(Errc::kInvalidArgument, message);
}

// The given folders, then <this library's folder>/fuse/plugins (the layout of the build tree and of an
// installation), then the defaults; a folder named twice is searched once, or its plugins would conflict.
std::vector<fs::path> plugin_paths(const fm_predictor_options* options) {
  std::vector<fs::path> paths;
  if (options != nullptr)
    for (size_t i = 0; i < options->plugin_path_count; ++i) {
      require(options->plugin_paths != nullptr && options->plugin_paths[i] != nullptr, "fm_predictor_open: options->plugin_paths holds a null path");
      paths.emplace_back(options->plugin_paths[i]);
    }
  if (options == nullptr || (options->flags & FM_PREDICT_ONLY_GIVEN_PLUGIN_PATHS) == 0) {
    std::error_code ec;
    const fs::path library = boost::dll::this_line_location(ec);
    if (!ec) paths.push_back(library.parent_path() / "fuse" / "plugins");
    for (const fs::path& p : default_plugin_paths()) paths.push_back(p);
  }
  std::vector<fs::path> unique;
  std::set<fs::path> seen;
  for (const fs::path& p : paths) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(p, ec);
    if (seen.insert(ec ? p : canonical).second) unique.push_back(p);
  }
  return unique;
}

// One prediction under the predictor's lock, its result handed to the caller in *out.
template <class Predict>
fm_error* predict_into(fm_predictor* predictor, fm_dict** out, const std::string& function, Predict&& predict) {
  return guard_boundary([&] {
    require(out != nullptr, function + ": out is null");
    *out = nullptr;
    require(predictor != nullptr, function + ": predictor is null");
    std::lock_guard<std::mutex> lock(predictor->mutex);
    auto result = std::make_unique<NDict>(predict(*predictor->predictor));
    *out = to_handle(result.release());
  });
}

}  // namespace
}  // namespace fuse

extern "C" {

FM_PREDICT_API const fm_api_v1* fm_predict_api(void) { return fuse::host_api_v1(); }

FM_PREDICT_API fm_error* fm_predictor_open(const char* const* bundles, size_t bundle_count, const fm_predictor_options* options,
                                           fm_predictor** out) {
  using fuse::require;
  return fuse::guard_boundary([&] {
    require(out != nullptr, "fm_predictor_open: out is null");
    *out = nullptr;
    require(bundle_count > 0, "fm_predictor_open: no bundle to predict with (bundle_count is 0)");
    require(bundles != nullptr, "fm_predictor_open: bundles is null");
    require(options == nullptr || options->struct_size >= sizeof(fm_predictor_options),
            "fm_predictor_open: options->struct_size is smaller than fm_predictor_options (set it to sizeof(fm_predictor_options))");
    std::vector<std::filesystem::path> dirs;
    for (size_t i = 0; i < bundle_count; ++i) {
      require(bundles[i] != nullptr, "fm_predictor_open: bundles holds a null path");
      dirs.emplace_back(bundles[i]);
    }
    auto p = std::make_unique<fm_predictor>();
    p->registry = std::make_unique<fuse::Registry>(fuse::Registry::Options{fuse::plugin_paths(options), {}});
    const std::string device = options != nullptr && options->device != nullptr ? options->device : "cpu";
    p->predictor = std::make_unique<fuse::train::Predictor>(*p->registry, dirs, device);
    *out = p.release();
  });
}

FM_PREDICT_API void fm_predictor_free(fm_predictor* predictor) { delete predictor; }

FM_PREDICT_API const char* fm_predictor_input_key(const fm_predictor* predictor) {
  return predictor ? predictor->predictor->experiment().inference.input_key.c_str() : "";
}
FM_PREDICT_API const char* fm_predictor_output_key(const fm_predictor* predictor) {
  return predictor ? predictor->predictor->experiment().inference.output_key.c_str() : "";
}

FM_PREDICT_API fm_error* fm_predictor_predict(fm_predictor* predictor, const fm_dict* sample, fm_dict** out) {
  return fuse::predict_into(predictor, out, "fm_predictor_predict", [&](fuse::train::Predictor& p) {
    fuse::require(sample != nullptr, "fm_predictor_predict: sample is null");
    return p.predict(*fuse::from_handle(sample));
  });
}

FM_PREDICT_API fm_error* fm_predictor_predict_batch(fm_predictor* predictor, const fm_dict* const* samples, size_t count, fm_dict** out) {
  return fuse::guard_boundary([&] {
    const std::string function = "fm_predictor_predict_batch";
    fuse::require(out != nullptr || count == 0, function + ": out is null");
    for (size_t i = 0; i < count; ++i) out[i] = nullptr;
    fuse::require(predictor != nullptr, function + ": predictor is null");
    fuse::require(samples != nullptr || count == 0, function + ": samples is null");
    std::lock_guard<std::mutex> lock(predictor->mutex);
    fuse::train::Predictor& p = *predictor->predictor;
    const auto failed = [&](size_t i, const std::string& message) {
      return fuse::Error(fuse::Errc::kInvalidArgument, function + ": sample " + std::to_string(i) + ": " + message);
    };
    std::vector<fuse::train::PreparedInput> prepared;
    for (size_t i = 0; i < count; ++i) {
      fuse::require(samples[i] != nullptr, function + ": sample " + std::to_string(i) + " is null");
      try {
        prepared.push_back(p.prepare(*fuse::from_handle(samples[i])));
      } catch (const std::exception& e) {
        throw failed(i, e.what());
      }
    }
    std::vector<std::string> errors;
    std::vector<fuse::NDict> results = p.predict_prepared(std::move(prepared), errors);
    for (size_t i = 0; i < count; ++i)
      if (!errors[i].empty()) throw failed(i, errors[i]);
    std::vector<std::unique_ptr<fuse::NDict>> owned;
    for (fuse::NDict& r : results) owned.push_back(std::make_unique<fuse::NDict>(std::move(r)));
    for (size_t i = 0; i < count; ++i) out[i] = fuse::to_handle(owned[i].release());
  });
}

FM_PREDICT_API fm_error* fm_predictor_predict_file(fm_predictor* predictor, const char* input, const char* output, fm_dict** out) {
  return fuse::predict_into(predictor, out, "fm_predictor_predict_file", [&](fuse::train::Predictor& p) {
    fuse::require(input != nullptr, "fm_predictor_predict_file: input is null");
    return p.predict_file(input, output != nullptr ? output : "");
  });
}

}  // extern "C"
