#include "fuse/loader/loader_config.h"

#include <gtest/gtest.h>

#include <map>

#include "test_support.h"

namespace fuse::loader {
namespace {

using fuse::testing::error_of;

json::Document doc(const std::string& loader) { return json::Document::parse("{\"loader\": " + loader + "}", "exp.json"); }

const Registry& registry() {
  static const Registry r(Registry::Options{{fuse::testing::built_plugin_dir()}, {}});
  return r;
}

data::Dataset dataset(const std::vector<int64_t>& labels) {
  data::DatasetSpec spec;
  for (size_t i = 0; i < labels.size(); ++i) {
    data::Sample s;
    s.id = "s" + std::to_string(i);
    s.values.set("data.label", labels[i]);
    s.values.set("data.weight", i == 0 ? 1.0 : 0.0);
    spec.samples.push_back(s);
  }
  return data::Dataset(registry(), spec);
}

TEST(LoaderConfig, DefaultsAndValues) {
  const LoaderConfig none = read_loader_config(json::Document::parse("{}", "exp.json"), "/loader");
  EXPECT_EQ(none.batch_size, 1u);
  EXPECT_EQ(none.options.workers, 2u);
  const LoaderConfig c = read_loader_config(
      doc(R"({"batch_size": 8, "workers": 3, "prefetch": 2, "drop_last": true, "repeats": 3, "collate": {"pad": true, "skip": ["data.meta"]}})"), "/loader");
  EXPECT_EQ(c.batch_size, 8u);
  EXPECT_EQ(c.options.workers, 3u);
  EXPECT_EQ(c.options.prefetch, 2u);
  EXPECT_TRUE(c.drop_last);
  EXPECT_EQ(c.repeats, 3u);
  EXPECT_EQ(none.repeats, 1u);
  EXPECT_TRUE(c.options.collate.pad);
  EXPECT_EQ(c.options.collate.skip, (std::vector<std::string>{"data.meta"}));
}

TEST(LoaderConfig, MistakesAreLocated) {
  EXPECT_EQ(error_of([] { read_loader_config(doc(R"({"batch_size": 0})"), "/loader"); }), "exp.json:1:27: 'batch_size' must be >= 1, got 0");
  EXPECT_EQ(error_of([] { read_loader_config(doc(R"({"sampler": {"balance": "a", "weights": "b"}})"), "/loader"); }),
            "exp.json:1:24: a sampler either balances classes ('balance') or weighs samples ('weights'), not both");
  EXPECT_EQ(error_of([] { read_loader_config(doc(R"({"sampler": {}})"), "/loader"); }),
            "exp.json:1:24: the sampler needs 'balance' (a class key) or 'weights' (a weight key)");
  EXPECT_EQ(error_of([] { read_loader_config(doc(R"({"repeats": 0})"), "/loader"); }), "exp.json:1:24: 'repeats' must be >= 1, got 0");
  EXPECT_EQ(error_of([] { read_loader_config(doc(R"({"repeats": 2, "sampler": {"balance": "data.label"}})"), "/loader"); }),
            "exp.json:1:24: 'repeats' is for the plain sampler; a balanced or weighted sampler sets the epoch's length with 'batches_per_epoch' or "
            "'samples_per_epoch' (its repeated picks get their own random draws too)");
}

TEST(MakeSampler, BalancedWithProbabilitiesInSortedClassOrder) {
  data::Dataset d = dataset({1, 1, 1, 1, 1, 1, 0, 0});
  const LoaderConfig c = read_loader_config(doc(R"({"batch_size": 4, "sampler": {"balance": "data.label", "probabilities": [0.75, 0.25], "batches_per_epoch": 3}})"), "/loader");
  const Batches b = make_sampler(c, d, 1)->batches(0);
  ASSERT_EQ(b.size(), 3u);
  for (const auto& batch : b) {
    int zeros = 0;
    for (const Pick& p : batch) zeros += p.sample >= 6;
    EXPECT_EQ(zeros, 3);  // class "0" first in sorted order: 0.75 of 4
  }
  const LoaderConfig wrong = read_loader_config(doc(R"({"sampler": {"balance": "data.label", "probabilities": [1]}})"), "/loader");
  EXPECT_EQ(error_of([&] { make_sampler(wrong, d, 1); }), "sampler: 1 probabilities for 2 classes of 'data.label'");
  const LoaderConfig missing = read_loader_config(doc(R"({"sampler": {"balance": "data.grade"}})"), "/loader");
  EXPECT_EQ(error_of([&] { make_sampler(missing, d, 1); }), "sampler: sample 's0' has no 'data.grade' (in its source or after the static pipeline)");
}

TEST(MakeSampler, WeightedAndSequential) {
  data::Dataset d = dataset({0, 1, 0});
  const Batches w = make_sampler(read_loader_config(doc(R"({"batch_size": 2, "sampler": {"weights": "data.weight"}})"), "/loader"), d, 1)->batches(0);
  EXPECT_EQ(w, (Batches{{{0, 0}, {0, 1}}, {{0, 2}}}));  // sample 0 three times: repeats 0, 1, 2
  const Batches s = make_sampler(read_loader_config(doc(R"({"batch_size": 2, "shuffle": false})"), "/loader"), d, 1)->batches(0);
  EXPECT_EQ(s, (Batches{{0, 1}, {2}}));
}

}  // namespace
}  // namespace fuse::loader
