#include "fuse/train/model_sizes.h"

#include <gtest/gtest.h>


#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuse/train/trainer.h"
#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::train {
namespace {

using fuse::testing::built_plugins;
using fuse::testing::error_of;
using fuse::testing::fresh_dir;
using fuse::testing::read_text;
using testing::log_without_seconds;

// The toy experiment (two features) with `model` as its model section.
Experiment toy(const std::filesystem::path& dir, const std::string& model) { return read_experiment(testing::write_toy(dir, testing::toy_json(model))); }

TEST(ModelSizes, AnMlpTakesItsInputFeaturesFromATrainingBatch) {
  const auto dir = fresh_dir("sizes_mlp");
  Experiment e = toy(dir, R"({"model": "fuse.models.mlp", "hidden": [8], "out_features": 2, "inputs": ["data.features"], "outputs": ["model.logits"]})");
  const std::vector<std::string> lines = size_model(built_plugins(), e);
  EXPECT_EQ(e.model[0].config.at("in_features").as_int64(), 2);
  EXPECT_EQ(e.resolved.at("model").at("in_features").as_int64(), 2);  // what config.json holds
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "model component 'net': in_features 2 (the size of 'data.features' from dimension 1 on, float32[1, 2] in a training batch of one)");
  // A size that is given is kept, and nothing runs.
  Experiment given = toy(dir, R"({"model": "fuse.models.mlp", "in_features": 2, "out_features": 2, "inputs": ["data.features"]})");
  EXPECT_TRUE(size_model(built_plugins(), given).empty());
}

TEST(ModelSizes, ARunLeavingTheSizeOutEqualsOneGivingIt) {
  const auto dir = fresh_dir("sizes_run");
  const std::string model = R"({"model": "fuse.models.mlp", "hidden": [8], "out_features": 2, "inputs": ["data.features"], "outputs": ["model.logits", "model.probs"]})";
  Trainer(built_plugins(), read_experiment(testing::write_toy(dir, testing::toy_json(model))), dir / "left_out").fit(false);
  Trainer(built_plugins(), read_experiment(testing::write_toy(dir)), dir / "given").fit(false);
  EXPECT_EQ(log_without_seconds(dir / "left_out"), log_without_seconds(dir / "given"));
  const boost::json::value config = boost::json::parse(read_text(dir / "left_out" / "config.json"));
  EXPECT_EQ(config.at("model").at("in_features").as_int64(), 2);
}

TEST(ModelSizes, AHeadTakesItsSizesFromTheComponentsBeforeIt) {
  const auto dir = fresh_dir("sizes_chain");
  Experiment e = toy(dir, R"({"components": [
      {"name": "body", "model": "fuse.models.mlp", "hidden": [], "out_features": 5, "inputs": ["data.features"], "outputs": ["model.features"]},
      {"name": "head", "model": "fuse.models.classifier_head", "dims": 1, "num_classes": 2, "inputs": ["model.features", "data.features"],
       "outputs": ["model.logits", "model.probs"]}]})");
  const std::vector<std::string> lines = size_model(built_plugins(), e);
  EXPECT_EQ(e.model[0].config.at("in_features").as_int64(), 2);
  EXPECT_EQ(e.model[1].config.at("in_channels").as_int64(), 5);      // the body's output
  EXPECT_EQ(e.model[1].config.at("tabular_features").as_int64(), 2);  // its second input
  EXPECT_EQ(e.resolved.at("model").at("components").at(1).at("in_channels").as_int64(), 5);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "model component 'head': in_channels 5 (the size of dimension 1 of 'model.features', float32[1, 5] in a training batch of one)");
  // Built with them, the model runs.
  ModelGraph graph = build_model(built_plugins(), e.model);
  EXPECT_EQ(graph.parameters().size(), 4u);  // the body's linear layer, the head's
}

// A ViT's image_size: the input's spatial sizes, x first (the toy's two features as a 1 x 2 picture of one channel).
TEST(ModelSizes, AVitTakesItsImageSizeFromATrainingBatch) {
  const auto dir = fresh_dir("sizes_vit");
  std::string json = testing::toy_json(R"({"model": "fuse.models.vit", "dims": 2, "patch_size": [1, 1], "hidden": 8, "depth": 1, "heads": 1,
      "num_classes": 2, "inputs": ["data.picture"], "outputs": ["model.logits", "model.probs"]})");
  const std::string stack = R"({"op": "fuse.ops.stack", "keys": ["data.x1", "data.x2"], "out": "data.features"})";
  json.insert(json.find(stack) + stack.size(), R"(,
      {"op": "fuse.ops.copy", "from": ["data.features"], "to": ["data.picture"]},
      {"op": "fuse.ops.reshape", "keys": ["data.picture"], "shape": [1, 2, 1]})");
  Experiment e = read_experiment(testing::write_toy(dir, json));
  const std::vector<std::string> lines = size_model(built_plugins(), e);
  EXPECT_EQ(boost::json::serialize(e.model[0].config.at("image_size")), "[1,2]");  // x 1, y 2
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "model component 'net': image_size [1, 2] (the sizes of 'data.picture' from dimension 2 on, last first, float32[1, 1, 2, 1] in a "
                      "training batch of one)");
  ModelGraph graph = build_model(built_plugins(), e.model);  // built with it, the model runs on the picture
  NDict batch;
  batch.set("data.picture", Value(Tensor::zeros({3, 1, 2, 1}, sdk::kFloat32)));
  graph.forward(batch, CallContext(false, 0, 0, -1));
  EXPECT_EQ(batch.get<Tensor>("model.probs").shape(), (std::vector<int64_t>{3, 2}));
}

TEST(ModelSizes, RefusalsNameTheComponentAndTheInput) {
  const auto dir = fresh_dir("sizes_errors");
  const std::string where = (dir / "experiment.json").string() + ":13:12: model component 'net': ";
  const auto error = [&](const std::string& inputs) {
    return error_of([&] {
      Experiment e = toy(dir, R"({"model": "fuse.models.classifier_head", "dims": 1, "num_classes": 2, "inputs": )" + inputs + "}");
      size_model(built_plugins(), e);
    });
  };
  EXPECT_EQ(error(R"(["data.nothing"])"),
            where + "'in_channels' is the size of dimension 1 of 'data.nothing', which neither a training batch nor the components before it hold (key "
                    "'data.nothing' missing; present: data, data.id, data.x1, data.x2, data.label, data.sample_id, data.features)");
  EXPECT_EQ(error(R"(["data.label"])"), where + "'in_channels' is the size of dimension 1 of 'data.label', which is int64[1] in a training batch of one: it "
                                                "has no dimension 1");
  EXPECT_EQ(error(R"(["data.id"])"), where + "'in_channels' is the size of dimension 1 of 'data.id', which holds a list ([\"s0\"]), not a tensor");
  // A batch that cannot be made, and components before that cannot run on it, are named with the remedy.
  Experiment text = toy(dir, R"({"model": "fuse.models.mlp", "out_features": 2, "inputs": ["data.features"]})");
  for (data::Sample& sample : text.data.dataset.samples) sample.values.set("data.x1", Value("high"));
  const std::string batch_error = error_of([&] { size_model(built_plugins(), text); });
  EXPECT_EQ(batch_error.rfind(where + "'in_features' is the size of 'data.features' from dimension 1 on in a training batch, but making one failed: ", 0), 0u)
      << batch_error;
  EXPECT_NE(batch_error.find("(or give 'in_features')"), std::string::npos) << batch_error;
  const std::string forward_error = error_of([&] {
    Experiment e = toy(dir, R"({"components": [
      {"name": "body", "model": "fuse.models.mlp", "in_features": 3, "out_features": 5, "inputs": ["data.features"], "outputs": ["model.features"]},
      {"name": "head", "model": "fuse.models.classifier_head", "dims": 1, "num_classes": 2, "inputs": ["model.features"]}]})");
    size_model(built_plugins(), e);
  });
  EXPECT_EQ(forward_error.rfind((dir / "experiment.json").string() + ":15:7: model component 'head': 'in_channels' is the size of dimension 1 of 'model.features', which "
                                "the components before it write; running them on a training batch failed: ",
                                0),
            0u)
      << forward_error;
  // A component built without data (no size) says what to do.
  EXPECT_EQ(error_of([] { built_plugins().create_model("fuse.models.mlp", boost::json::object{{"out_features", 2}}); }),
            "model 'fuse.models.mlp' (plugin 'fuse.models_torch'): create failed: 'in_features' is not set: `fuse run` takes it from a training batch when the "
            "experiment leaves it out; give it to build the model without data");
}

}  // namespace
}  // namespace fuse::train
