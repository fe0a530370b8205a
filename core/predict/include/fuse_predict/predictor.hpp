// The header-only C++ layer over fuse_predict.h: a Predictor that throws fuse::sdk::Error (the code and message
// of the C API's error) and hands results back as fuse::sdk::OwnedDict.
//
//   fuse::predict::Predictor predictor({"nodule3d_bundle"});   // a missing bundle or plugin: sdk::Error
//   fuse::sdk::OwnedDict out = predictor.predict_file("patch.nii.gz");
//   std::vector<double> probs = out.tensor("model.probs").to_doubles();
#ifndef FUSE_PREDICT_PREDICTOR_HPP_
#define FUSE_PREDICT_PREDICTOR_HPP_

#include <string>
#include <utility>
#include <vector>

#include "fuse_predict/fuse_predict.h"
#include "fuse_sdk/dict.hpp"

namespace fuse::predict {

// The fuse_sdk wrappers (OwnedDict, Tensor, errors) reach the library's dicts through this table: set when the
// program starts, so samples can be built before the first Predictor.
inline const bool kSdkApiSet = (sdk::detail::api_slot() = fm_predict_api(), true);

struct Options {
  std::string device = "cpu";              // "cpu", "cuda", "cuda:N"
  std::vector<std::string> plugin_paths;   // searched before the default plugin folders
  bool only_given_plugin_paths = false;    // search plugin_paths only
};

class Predictor {
 public:
  // One bundle, or several (an ensemble; a folder of bundles gives each).
  explicit Predictor(const std::vector<std::string>& bundles, const Options& options = {}) {
    std::vector<const char*> dirs, paths;
    for (const std::string& b : bundles) dirs.push_back(b.c_str());
    for (const std::string& p : options.plugin_paths) paths.push_back(p.c_str());
    fm_predictor_options o{};
    o.struct_size = sizeof o;
    o.flags = options.only_given_plugin_paths ? FM_PREDICT_ONLY_GIVEN_PLUGIN_PATHS : 0u;
    o.device = options.device.c_str();
    o.plugin_paths = paths.data();
    o.plugin_path_count = paths.size();
    sdk::check(fm_predictor_open(dirs.data(), dirs.size(), &o, &p_));
  }
  Predictor(Predictor&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;
  Predictor& operator=(Predictor&&) = delete;
  ~Predictor() { fm_predictor_free(p_); }

  std::string input_key() const { return fm_predictor_input_key(p_); }
  std::string output_key() const { return fm_predictor_output_key(p_); }

  // The sample after the inference steps, with the model's outputs and what the write steps wrote.
  sdk::OwnedDict predict(const sdk::DictView& sample) {
    fm_dict* out = nullptr;
    sdk::check(fm_predictor_predict(p_, sample.handle(), &out));
    return sdk::OwnedDict(out);
  }
  // Several samples, the model run on them together where their inputs share a shape (fm_predictor_predict_batch).
  std::vector<sdk::OwnedDict> predict_batch(const std::vector<sdk::DictView>& samples) {
    std::vector<const fm_dict*> in;
    for (const sdk::DictView& s : samples) in.push_back(s.handle());
    std::vector<fm_dict*> out(samples.size(), nullptr);
    sdk::check(fm_predictor_predict_batch(p_, in.data(), in.size(), out.data()));
    std::vector<sdk::OwnedDict> results;
    for (fm_dict* d : out) results.emplace_back(d);
    return results;
  }
  // As `fuse infer --input INPUT [--output OUTPUT]`.
  sdk::OwnedDict predict_file(const std::string& input, const std::string& output = "") {
    fm_dict* out = nullptr;
    sdk::check(fm_predictor_predict_file(p_, input.c_str(), output.empty() ? nullptr : output.c_str(), &out));
    return sdk::OwnedDict(out);
  }

 private:
  fm_predictor* p_ = nullptr;
};

}  // namespace fuse::predict

#endif  // FUSE_PREDICT_PREDICTOR_HPP_
