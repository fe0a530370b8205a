// A small experiment for the trainer's tests: two features, label x1 + x2 > 0, an MLP, cross-entropy, AUC.
#ifndef FUSE_TESTS_SUPPORT_TOY_EXPERIMENT_H_
#define FUSE_TESTS_SUPPORT_TOY_EXPERIMENT_H_

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace fuse::train::testing {

inline void write_table(const std::filesystem::path& file, int rows, int offset, bool with_nan = false) {
  std::ofstream out(file);
  out << "id,x1,x2,label\n";
  for (int i = 0; i < rows; ++i) {
    const double x1 = std::sin(0.7 * (i + offset)) * 2, x2 = std::cos(1.3 * (i + offset)) * 2;
    out << "s" << i + offset << "," << (with_nan && i == 5 ? std::string("nan") : std::to_string(x1)) << "," << x2 << "," << (x1 + x2 > 0 ? 1 : 0) << "\n";
  }
}

// The experiment's JSON with `model`, `losses` and `trainer` replaceable.
inline std::string toy_json(const std::string& model = "", const std::string& losses = "", const std::string& trainer = "", const std::string& extra = "") {
  const std::string m = model.empty() ? R"({"model": "fuse.models.mlp", "in_features": 2, "hidden": [8], "out_features": 2,
                "inputs": ["data.features"], "outputs": ["model.logits", "model.probs"]})" : model;
  const std::string l = losses.empty() ? R"({"ce": {"loss": "fuse.losses.cross_entropy", "pred": "model.logits", "target": "data.label"}})" : losses;
  const std::string t = trainer.empty() ? R"({"epochs": 6, "monitor": "validation.auc", "mode": "max", "threads": 1, "progress": false})" : trainer;
  return std::string(R"({
  "name": "toy",
  "seed": 3,
  "data": {
    "source": {"table": "train.csv"},
    "static": [
      {"op": "fuse.ops.to_tensor", "keys": ["data.x1", "data.x2"], "dtype": "float32"},
      {"op": "fuse.ops.stack", "keys": ["data.x1", "data.x2"], "out": "data.features"}
    ],
    "loader": {"batch_size": 8, "workers": 1}
  },
  "validation": {"table": "validation.csv"},
  "model": )") + m + R"(,
  "postprocess": [{"op": "fuse.ops.select", "key": "model.probs", "out": "model.score", "axis": 1, "index": 1}],
  "losses": )" + l + R"(,
  "metrics": {"auc": {"metric": "fuse.metrics.auc", "pred": "model.score", "target": "data.label"}},
  "optimizer": {"name": "adam", "lr": 0.05},
  "schedule": {"name": "cosine"},
  "trainer": )" + t + extra + R"(
}
)";
}

// A run's log.csv without its last column, the seconds of each epoch: what two equal runs share.
inline std::string log_without_seconds(const std::filesystem::path& run) {
  std::string out;
  std::istringstream lines(fuse::testing::read_text(run / "log.csv"));
  for (std::string line; std::getline(lines, line);) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

// Writes the tables and the experiment into `dir`; returns the experiment file.
inline std::filesystem::path write_toy(const std::filesystem::path& dir, const std::string& json = toy_json(), bool nan_row = false, int rows = 64) {
  write_table(dir / "train.csv", rows, 0, nan_row);
  write_table(dir / "validation.csv", 32, 1000);
  std::ofstream(dir / "experiment.json") << json;
  return dir / "experiment.json";
}

// The toy experiment validated on 3 folds of its training table (no validation source), with an evaluation.
inline std::filesystem::path write_folds_toy(const std::filesystem::path& dir, const std::string& folds = R"("folds": {"k": 3, "file": "folds.json"}, )") {
  std::string json = toy_json("", "", R"({"epochs": 3, "monitor": "validation.auc", "mode": "max", "threads": 1, "progress": false})",
                                       R"(, "evaluation": {"target": "data.label", "score": "model.score", "metrics": {"auc": "auc"}})");
  json.erase(json.find(R"("validation": {"table": "validation.csv"},)"), std::string(R"("validation": {"table": "validation.csv"},)").size());
  json.insert(json.find(R"("loader")"), folds);
  return write_toy(dir, json);
}

// The `extra` of toy_json for an inference that reads the two features from a .npy file (`fuse infer --input
// x.npy`, libfuse_predict's predict_file), and such a file.
inline constexpr const char* kNpyInference = R"(,
  "inference": {"input_key": "data.path", "steps": [{"op": "fuse.io.read_npy", "path_key": "data.path", "key": "data.features"}]})";
inline void write_features_npy(const std::filesystem::path& file, float x1, float x2) {
  fuse::testing::write_npy(file, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", fuse::testing::bytes(std::vector<float>{x1, x2}));
}

}  // namespace fuse::train::testing

#endif  // FUSE_TESTS_SUPPORT_TOY_EXPERIMENT_H_
