// libfuse_predict through its public headers only: a bundle made by `fuse run` and `fuse export`, predicted
// from C++ (predictor.hpp), from C (predict_from_c) and compared with `fuse infer`.
#include "fuse_predict/predictor.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"
#include "toy_experiment.h"

namespace fuse::predict {
namespace {

namespace fs = std::filesystem;
using fuse::testing::CommandResult;
using fuse::testing::run_command;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

CommandResult fuse_in(const fs::path& dir, const std::string& args) {
  return run_command("env -u FUSE_PLUGIN_PATH XDG_DATA_HOME=" + q(dir / "home") + " '" FUSE_BINARY "' " + args);
}

// The toy trained and exported once, for every test here.
const fs::path& trained() {
  static fuse::testing::SharedSetUp<fs::path> dir([] {
    // Only the build tree's plugins: the library finds them beside itself (lib/fuse/plugins).
    const fs::path d = fuse::testing::fresh_dir("predict");
    fs::create_directories(d / "home");
    setenv("XDG_DATA_HOME", (d / "home").c_str(), 1);
    unsetenv("FUSE_PLUGIN_PATH");
    train::testing::write_toy(d, train::testing::toy_json("", "", "", train::testing::kNpyInference));
    const CommandResult run = fuse_in(d, "run " + q(d / "experiment.json") + " --out " + q(d / "run") + " --no-progress");
    if (run.exit_code != 0) throw std::runtime_error("fuse run: " + run.err);
    const CommandResult exported = fuse_in(d, "export " + q(d / "run") + " --out " + q(d / "bundle"));
    if (exported.exit_code != 0) throw std::runtime_error("fuse export: " + exported.err);
    // The toy's inference reads the two features from a .npy file.
    train::testing::write_features_npy(d / "positive.npy", 1.5f, 1.0f);
    train::testing::write_features_npy(d / "negative.npy", -1.5f, -1.0f);
    return d;
  });
  return dir.get();
}

class PredictorTest : public ::testing::Test {
 protected:
  static const fs::path& dir() { return trained(); }
  static std::string bundle() { return (dir() / "bundle").string(); }
  static std::string input(const char* name) { return (dir() / name).string(); }
  static CommandResult fuse(const std::string& args) { return fuse_in(dir(), args); }
};

std::vector<double> probs(const sdk::DictView& result) { return result.tensor("model.probs").to_doubles(); }

// The message of the sdk::Error `body` throws ("no error" otherwise).
template <class Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const sdk::Error& e) {
    return e.what();
  }
  return "no error";
}

// The message of a C API error, freed.
std::string message_of(fm_error* error) {
  if (error == nullptr) return "no error";
  std::string m = fm_predict_api()->error_message(error);
  fm_predict_api()->error_free(error);
  return m;
}

TEST_F(PredictorTest, PredictsAFileAsFuseInferDoes) {
  Predictor predictor({bundle()});
  EXPECT_EQ(predictor.input_key(), "data.path");
  EXPECT_EQ(predictor.output_key(), "data.output_path");
  const sdk::OwnedDict out = predictor.predict_file(input("positive.npy"));
  EXPECT_EQ(out.get_string("data.sample_id"), "positive");
  const std::vector<double> p = probs(out);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_GT(p[1], 0.8);
  EXPECT_LT(probs(predictor.predict_file(input("negative.npy")))[1], 0.2);
  // `fuse infer` prints the same numbers, each in its shortest exact form (read back with strtod: Boost.JSON's
  // parser may miss the last bit).
  const CommandResult infer = fuse("infer " + q(bundle()) + " --input " + q(input("positive.npy")));
  ASSERT_EQ(infer.exit_code, 0) << infer.err;
  const size_t at = infer.out.find("\"model.probs\": [");
  ASSERT_NE(at, std::string::npos) << infer.out;
  const char* text = infer.out.c_str() + at + 16;
  char* end = nullptr;
  const double p0 = std::strtod(text, &end), p1 = std::strtod(end + 1, nullptr);
  EXPECT_EQ(p[0], p0) << infer.out;
  EXPECT_EQ(p[1], p1) << infer.out;
  EXPECT_EQ(out.tensor("model.score").to_doubles(), std::vector<double>{p[1]});
}

TEST_F(PredictorTest, PredictsASampleBuiltByTheApplicationAndLeavesItUnchanged) {
  Predictor predictor({bundle()});
  sdk::OwnedDict sample;
  sample.set_string("data.path", input("positive.npy"));
  sample.set_string("data.sample_id", "p1");
  const sdk::OwnedDict out = predictor.predict(sample);
  EXPECT_EQ(probs(out), probs(predictor.predict_file(input("positive.npy"))));
  EXPECT_EQ(sample.keys("data"), (std::vector<std::string>{"data.path", "data.sample_id"}));
  EXPECT_EQ(out.tensor("data.features").shape(), (std::vector<int64_t>{1, 2}));
}

// Samples predicted together come back each as it would alone; a bad one is named by its index and nothing
// is handed out.
TEST_F(PredictorTest, ABatchOfSamplesGivesWhatEachGivesAlone) {
  Predictor predictor({bundle()});
  std::vector<sdk::OwnedDict> samples(3);
  const char* files[] = {"positive.npy", "negative.npy", "positive.npy"};
  for (size_t i = 0; i < samples.size(); ++i) samples[i].set_string("data.path", input(files[i]));
  const std::vector<sdk::OwnedDict> out = predictor.predict_batch({samples[0], samples[1], samples[2]});
  ASSERT_EQ(out.size(), 3u);
  for (size_t i = 0; i < out.size(); ++i) {
    const std::vector<double> alone = probs(predictor.predict(samples[i]));
    const std::vector<double> batched = probs(out[i]);
    ASSERT_EQ(batched.size(), alone.size());
    for (size_t c = 0; c < alone.size(); ++c) EXPECT_NEAR(batched[c], alone[c], 1e-6) << i;
    EXPECT_EQ(out[i].tensor("data.features").shape(), (std::vector<int64_t>{1, 2}));  // as predict() gives it
  }
  EXPECT_GT(probs(out[0])[1], 0.8);
  EXPECT_LT(probs(out[1])[1], 0.2);
  EXPECT_TRUE(predictor.predict_batch({}).empty());

  sdk::OwnedDict without_path;
  const std::string bad = error_of([&] { predictor.predict_batch({samples[0], without_path}); });
  EXPECT_EQ(bad.rfind("fm_predictor_predict_batch: sample 1: ", 0), 0u) << bad;
  EXPECT_NE(bad.find("data.path"), std::string::npos) << bad;
  const fm_dict* handles[] = {samples[0].handle(), nullptr};
  fm_dict* results[] = {nullptr, nullptr};
  fm_predictor* p = nullptr;
  const std::string b = bundle();
  const char* good[] = {b.c_str()};
  ASSERT_EQ(message_of(fm_predictor_open(good, 1, nullptr, &p)), "no error");
  EXPECT_EQ(message_of(fm_predictor_predict_batch(p, handles, 2, results)), "fm_predictor_predict_batch: sample 1 is null");
  EXPECT_EQ(results[0], nullptr);
  EXPECT_EQ(message_of(fm_predictor_predict_batch(p, nullptr, 2, results)), "fm_predictor_predict_batch: samples is null");
  EXPECT_EQ(message_of(fm_predictor_predict_batch(p, handles, 2, nullptr)), "fm_predictor_predict_batch: out is null");
  EXPECT_EQ(message_of(fm_predictor_predict_batch(nullptr, handles, 2, results)), "fm_predictor_predict_batch: predictor is null");
  fm_predictor_free(p);
}

TEST_F(PredictorTest, SeveralBundlesMakeAnEnsemble) {
  Predictor single({bundle()});
  Predictor ensemble({bundle(), bundle()});
  const sdk::OwnedDict out = ensemble.predict_file(input("positive.npy"));
  const std::vector<double> p = probs(single.predict_file(input("positive.npy")));
  EXPECT_EQ(out.tensor("model.probs_m0").to_doubles(), p);
  EXPECT_EQ(out.tensor("model.probs_m1").to_doubles(), p);
  std::vector<double> mean = probs(out);
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_FLOAT_EQ(mean[1], p[1]);
  EXPECT_EQ(out.tensor("model.probs_vote").to_doubles(), std::vector<double>{1});
}

TEST_F(PredictorTest, ResultsAndPredictorsMove) {
  Predictor first({bundle()});
  std::vector<sdk::OwnedDict> results;
  results.push_back(first.predict_file(input("positive.npy")));
  results.push_back(first.predict_file(input("negative.npy")));
  sdk::OwnedDict moved = std::move(results[0]);
  EXPECT_EQ(results[0].handle(), nullptr);  // freed once, by `moved`
  EXPECT_EQ(moved.get_string("data.sample_id"), "positive");
  EXPECT_EQ(results[1].get_string("data.sample_id"), "negative");
  Predictor second = std::move(first);
  EXPECT_EQ(probs(second.predict_file(input("positive.npy"))), probs(moved));
}

TEST_F(PredictorTest, ThreadsShareAPredictorAndGetTheSameResults) {
  Predictor predictor({bundle()});
  const std::vector<double> expected = probs(predictor.predict_file(input("negative.npy")));
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < 5; ++k) got[i] = probs(predictor.predict_file(input("negative.npy")));
    });
  for (std::thread& t : threads) t.join();
  for (const std::vector<double>& g : got) EXPECT_EQ(g, expected);
}

TEST_F(PredictorTest, ACProgramPredictsTheSameValues) {
  const CommandResult r = run_command("env -u FUSE_PLUGIN_PATH XDG_DATA_HOME=" + q(dir() / "home") + " '" FUSE_PREDICT_FROM_C "' " + q(bundle()) +
                                      " " + q(input("positive.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Predictor predictor({bundle()});
  const std::vector<double> p = probs(predictor.predict_file(input("positive.npy")));
  char expected[128];
  std::snprintf(expected, sizeof expected, "model.probs %.9g %.9g\n", p[0], p[1]);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model.logits "), std::string::npos) << r.out;
  const CommandResult missing = run_command("env -u FUSE_PLUGIN_PATH '" FUSE_PREDICT_FROM_C "' " + q(dir() / "nowhere") + " x.npy");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "error 5: '" + (dir() / "nowhere").string() + "' is not a bundle (no bundle.json); make one with `fuse export RUN --out BUNDLE`\n");
}

TEST_F(PredictorTest, PluginFoldersGivenTwiceAreSearchedOnce) {
  // The build tree's plugin folder is also the one beside the library: named twice, its plugins would conflict.
  Options options;
  options.plugin_paths = {(fs::path(FUSE_BINARY).parent_path().parent_path() / "lib" / "fuse" / "plugins").string()};
  Predictor predictor({bundle()}, options);
  EXPECT_EQ(probs(predictor.predict_file(input("positive.npy"))).size(), 2u);
}

TEST_F(PredictorTest, BadInputsAreErrorsThatSayWhat) {
  EXPECT_EQ(error_of([&] { Predictor({(dir() / "run").string()}); }),
            "'" + (dir() / "run").string() + "' is a run folder, not a bundle: make one with `fuse export " + (dir() / "run").string() + " --out BUNDLE`");
  EXPECT_EQ(error_of([&] { Predictor({}); }), "fm_predictor_open: no bundle to predict with (bundle_count is 0)");
  Options unknown_device;
  unknown_device.device = "tpu";
  EXPECT_EQ(error_of([&] { Predictor({bundle()}, unknown_device); }), "unknown device 'tpu' (cpu, cuda, cuda:N)");
  Options no_plugins;
  no_plugins.plugin_paths = {(dir() / "home").string()};
  no_plugins.only_given_plugin_paths = true;
  const std::string message = error_of([&] { Predictor({bundle()}, no_plugins); });
  EXPECT_EQ(message.rfind((dir() / "bundle" / "bundle.json").string() + ": the bundle needs plugin 'fuse.", 0), 0u) << message;
  EXPECT_NE(message.find("which is not installed"), std::string::npos) << message;

  Predictor predictor({bundle()});
  try {
    predictor.predict_file(input("absent.npy"));
    ADD_FAILURE() << "no error";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), FM_ERR_IO);
    EXPECT_NE(std::string(e.what()).find(input("absent.npy")), std::string::npos) << e.what();
  }
  sdk::OwnedDict without_path;
  const std::string no_key = error_of([&] { predictor.predict(without_path); });
  EXPECT_NE(no_key.find("data.path"), std::string::npos) << no_key;
}

TEST_F(PredictorTest, TheCApiRefusesNullsAndAWrongStructSize) {
  const char* dirs[] = {nullptr};
  fm_predictor* p = nullptr;
  EXPECT_EQ(message_of(fm_predictor_open(dirs, 1, nullptr, &p)), "fm_predictor_open: bundles holds a null path");
  EXPECT_EQ(p, nullptr);
  const std::string b = bundle();
  const char* good[] = {b.c_str()};
  EXPECT_EQ(message_of(fm_predictor_open(good, 1, nullptr, nullptr)), "fm_predictor_open: out is null");
  fm_predictor_options small{};
  small.struct_size = 4;
  EXPECT_EQ(message_of(fm_predictor_open(good, 1, &small, &p)),
            "fm_predictor_open: options->struct_size is smaller than fm_predictor_options (set it to sizeof(fm_predictor_options))");
  fm_predictor_options null_path{};
  null_path.struct_size = sizeof null_path;
  null_path.plugin_path_count = 1;
  EXPECT_EQ(message_of(fm_predictor_open(good, 1, &null_path, &p)), "fm_predictor_open: options->plugin_paths holds a null path");

  ASSERT_EQ(message_of(fm_predictor_open(good, 1, nullptr, &p)), "no error");
  fm_dict* out = nullptr;
  EXPECT_EQ(message_of(fm_predictor_predict(p, nullptr, &out)), "fm_predictor_predict: sample is null");
  EXPECT_EQ(message_of(fm_predictor_predict(nullptr, nullptr, &out)), "fm_predictor_predict: predictor is null");
  EXPECT_EQ(message_of(fm_predictor_predict_file(p, nullptr, nullptr, &out)), "fm_predictor_predict_file: input is null");
  EXPECT_EQ(message_of(fm_predictor_predict_file(p, "x.npy", nullptr, nullptr)), "fm_predictor_predict_file: out is null");
  EXPECT_EQ(out, nullptr);
  EXPECT_STREQ(fm_predictor_input_key(p), "data.path");
  fm_predictor_free(p);
  fm_predictor_free(nullptr);  // like free(NULL)
}

}  // namespace
}  // namespace fuse::predict
