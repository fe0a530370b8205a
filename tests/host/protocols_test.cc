// The model, loss and metric protocols and the call context, end to end through the ABI (test.kit).
#include <gtest/gtest.h>

#include "package_fixture.h"
#include "test_support.h"

namespace fuse::testing {
namespace {

namespace fs = std::filesystem;

class ProtocolTest : public PackageTest {
 protected:
  void SetUp() override {
    PackageTest::SetUp();
    fs::copy(fs::path(FUSE_TEST_PLUGIN_ROOT) / "testkit", root_ / "testkit");
  }
};

float value_of(const DLTensor* t) { return *static_cast<const float*>(t->data); }

TEST_F(ProtocolTest, ForwardLossBackwardAndAnOptimiserStep) {
  Registry r = registry();
  Model model = r.create_model("test.linear", json_object(R"({"w": 2})"));
  Loss loss = r.create_loss("test.mse");
  NDict batch = sample(R"({"x": [1.0, 2.0], "target": [0.0, 0.0]})");
  model.forward(batch);
  EXPECT_EQ(values<float>(batch.get<Tensor>("y")), (std::vector<float>{2.0f, 4.0f}));
  NDict grads;
  EXPECT_DOUBLE_EQ(loss.forward(batch, &grads), 10.0);  // (4 + 16) / 2
  EXPECT_EQ(values<float>(grads.get<Tensor>("y")), (std::vector<float>{2.0f, 4.0f}));  // 2 (y - t) / n
  NDict input_grads;
  model.backward(grads, input_grads);
  EXPECT_EQ(values<float>(input_grads.get<Tensor>("x")), (std::vector<float>{4.0f, 8.0f}));  // g * w

  std::vector<Parameter> params = model.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "w");
  EXPECT_EQ(value_of(params[0].grad), 10.0f);  // sum g * x
  EXPECT_EQ(value_of(params[1].grad), 6.0f);   // sum g
  // The host updates parameters in place through the DLPack views (plain SGD, lr 0.1).
  for (Parameter& p : params) *static_cast<float*>(p.value->data) -= 0.1f * value_of(p.grad);
  model.zero_grad();
  EXPECT_EQ(value_of(params[0].grad), 0.0f);
  model.forward(batch);
  std::vector<float> y = values<float>(batch.get<Tensor>("y"));
  EXPECT_FLOAT_EQ(y[0], 0.4f);  // w = 1, b = -0.6
  EXPECT_FLOAT_EQ(y[1], 1.4f);
}

TEST_F(ProtocolTest, ModelStateSavesAndLoads) {
  Registry r = registry();
  Model a = r.create_model("test.linear", json_object(R"({"w": 3})"));
  Model b = r.create_model("test.linear", json_object(R"({"w": 1})"));
  const std::string state = a.save_state();
  EXPECT_EQ(state.size(), 8u);
  b.load_state(state);
  NDict batch = sample(R"({"x": [1.0]})");
  b.forward(batch);
  EXPECT_EQ(values<float>(batch.get<Tensor>("y")), std::vector<float>{3.0f});
  EXPECT_EQ(error_of([&] { b.load_state("abc"); }),
            "model 'test.linear' (plugin 'test.kit'): test.linear state must be 8 bytes");
  b.set_training(true);
  EXPECT_EQ(error_of([&] { b.to_device(DLDevice{kDLCUDA, 0}); }),
            "model 'test.linear' (plugin 'test.kit'): test.linear runs on the CPU only");
}

TEST_F(ProtocolTest, MetricUpdatesMergesAndMovesAcrossProcesses) {
  Registry r = registry();
  Metric a = r.create_metric("test.mean");
  Metric b = r.create_metric("test.mean");
  for (double v : {1.0, 2.0}) {
    NDict s;
    s.set("value", v);
    a.update(s);
  }
  NDict s;
  s.set("value", 6.0);
  b.update(s);
  a.merge(b);
  EXPECT_DOUBLE_EQ(a.compute().get<double>("mean"), 3.0);
  Metric c = r.create_metric("test.mean");
  c.load_state(a.save_state());
  EXPECT_DOUBLE_EQ(c.compute().get<double>("mean"), 3.0);
  Metric other = r.create_metric("test.mean");
  Op op = r.create_op("test.echo");
  c.reset();
  EXPECT_DOUBLE_EQ(c.compute().get<double>("mean"), 0.0);
}

TEST_F(ProtocolTest, CallContextReachesThePlugin) {
  Registry r = registry();
  Op echo = r.create_op("test.echo");
  NDict s;
  echo.forward(s, CallContext{true, 42, 3, 7});
  EXPECT_EQ(s.get<int64_t>("call.seed"), 42);
  EXPECT_EQ(s.get<int64_t>("call.epoch"), 3);
  EXPECT_EQ(s.get<int64_t>("call.index"), 7);
  EXPECT_TRUE(s.get<bool>("call.training"));
  echo.forward(s);
  EXPECT_EQ(s.get<int64_t>("call.epoch"), -1);
  EXPECT_FALSE(s.get<bool>("call.training"));
}

}  // namespace
}  // namespace fuse::testing
