// predict_app: a trained model inside your own program. Opens bundles made by `fuse export` (several: an
// ensemble) and predicts a file as `fuse infer` does, through libfuse_predict's C++ layer; no Python, no
// `fuse` process.
//   predict_app BUNDLE [BUNDLE...] --input FILE [--output FILE]
#include <cstdio>
#include <string>
#include <vector>

#include "fuse_predict/predictor.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> bundles;
  std::string input, output;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--input" && i + 1 < argc) input = argv[++i];
    else if (arg == "--output" && i + 1 < argc) output = argv[++i];
    else bundles.push_back(arg);
  }
  if (bundles.empty() || input.empty()) {
    std::fprintf(stderr, "usage: predict_app BUNDLE [BUNDLE...] --input FILE [--output FILE]\n");
    return 2;
  }
  try {
    fuse::predict::Predictor predictor(bundles);
    const fuse::sdk::OwnedDict result = predictor.predict_file(input, output);
    // Small outputs (scores, probabilities) are printed; large ones (a segmentation) by their shape: the
    // bundle's write steps wrote them to --output.
    for (const std::string& key : result.keys("model", true)) {
      if (result.type(key) != FM_VALUE_TENSOR) continue;
      const fuse::sdk::TensorView t = result.tensor(key);
      std::printf("%s", key.c_str());
      if (t.numel() <= 16) {
        for (double v : t.to_doubles()) std::printf(" %.6g", v);
      } else {
        std::printf(" shape");
        for (int64_t n : t.shape()) std::printf(" %lld", static_cast<long long>(n));
      }
      std::printf("\n");
    }
    if (!output.empty()) std::printf("wrote %s\n", output.c_str());
  } catch (const fuse::sdk::Error& e) {
    std::fprintf(stderr, "predict_app: %s\n", e.what());
    return 1;
  }
  return 0;
}
