#include "fuse/cache/cache.h"

#include <unistd.h>

#include <fstream>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "fuse/base/error.h"
#include "fuse/cache/entry_file.h"
#include "temp_dirs.h"

namespace fuse::cache {
namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) { return fuse::testing::TempDirs::get().make("cache_" + name); }

NDict sample() {
  NDict d;
  d.set("data.image", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3}));
  d.set("data.mask", Tensor::from_vector<uint8_t>({0, 1, 1}, {3}));
  d.set("data.label", 1);
  d.set("data.weight", 0.25);
  d.set("data.flag", true);
  d.set("data.id", "case_007");
  d.set("data.none", Value());
  d.set("data.spacing", List{1.0, 1.0, 2.5});
  d.set("data.meta.orientation", "RAS");
  return d;
}

TEST(EntryFile, RoundTripOfEveryValueType) {
  const fs::path dir = fresh("roundtrip");
  write_entry(dir / "e.fmc", sample());
  NDict back = read_entry(dir / "e.fmc");
  EXPECT_EQ(back, sample());
  EXPECT_EQ(back.keys(), sample().keys());  // order kept
  EXPECT_EQ(check_entry(dir / "e.fmc"), "");
  EXPECT_FALSE(fs::exists(dir / "e.fmc.tmp"));
}

TEST(EntryFile, DoublesComeBackBitForBit) {
  // A warm cache must give what the static pipeline computed: 0.11935319286735585 read back through
  // Boost.JSON 1.81's own number conversion came back one bit off.
  const fs::path dir = fresh("doubles");
  NDict d;
  d.set("data.x", 0.11935319286735585);
  List many;
  std::mt19937_64 random(3);
  std::uniform_real_distribution<double> unit(-1, 1);
  for (int i = 0; i < 1000; ++i) many.emplace_back(unit(random) * 1e3);
  d.set("data.many", many);
  write_entry(dir / "d.fmc", d);
  EXPECT_EQ(read_entry(dir / "d.fmc").get<double>("data.x"), 0.11935319286735585);
  EXPECT_EQ(read_entry(dir / "d.fmc"), d);
}

TEST(EntryFile, TensorsAreReadOnlyViewsOfTheMapping) {
  const fs::path dir = fresh("views");
  write_entry(dir / "e.fmc", sample());
  NDict a = read_entry(dir / "e.fmc");
  Tensor& t = a.get<Tensor>("data.image");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);  // aligned in the file
  EXPECT_FALSE(t.is_unique());                                     // read-only: the first write copies
  t.mutable_data<float>()[0] = 100;
  EXPECT_EQ(read_entry(dir / "e.fmc").get<Tensor>("data.image").data<float>()[0], 1.0f);
}

TEST(EntryFile, CutShortOrCorruptedEntriesAreDetected) {
  const fs::path dir = fresh("corrupt");
  const size_t bytes = write_entry(dir / "e.fmc", sample());
  fs::resize_file(dir / "e.fmc", bytes - 10);
  EXPECT_EQ(check_entry(dir / "e.fmc"), "cache entry '" + (dir / "e.fmc").string() + "' is corrupt (" +
                                            std::to_string(bytes - 10) + " bytes where the header announces " +
                                            std::to_string(bytes) + ": cut short)");
  write_entry(dir / "e.fmc", sample());
  {
    std::fstream f(dir / "e.fmc", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  EXPECT_EQ(check_entry(dir / "e.fmc"), "cache entry '" + (dir / "e.fmc").string() + "' is corrupt (checksum mismatch)");
  try {
    read_entry(dir / "e.fmc");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kNumeric);
  }
  std::ofstream(dir / "tiny.fmc") << "FMC";
  EXPECT_NE(check_entry(dir / "tiny.fmc").find("shorter than its header"), std::string::npos);
}

TEST(Cache, StoresByPipelineAndSampleAndRebuildsCorruptEntries) {
  const fs::path dir = fresh("store");
  Cache a(dir, std::string(64, 'a'), "steps of a");
  Cache b(dir, std::string(64, 'b'), "steps of b");
  EXPECT_FALSE(a.get("case_007").has_value());
  a.put("case_007", sample());
  EXPECT_EQ(*a.get("case_007"), sample());
  EXPECT_FALSE(b.get("case_007").has_value());  // another pipeline never sees it
  fs::resize_file(a.entry_path("case_007"), 100);
  EXPECT_FALSE(a.get("case_007").has_value());  // reported and removed
  EXPECT_EQ(a.corrupt_found(), 1u);
  EXPECT_FALSE(fs::exists(a.entry_path("case_007")));
}

TEST(Cache, MemoryTierIsBoundedInBytes) {
  const fs::path dir = fresh("memory");
  Cache c(dir, std::string(64, 'c'), "", 60);  // room for two 24-byte images + masks, not three
  for (const char* id : {"a", "b", "c"}) c.put(id, sample());
  fs::remove(c.entry_path("a"));
  fs::remove(c.entry_path("c"));
  EXPECT_FALSE(c.get("a").has_value());  // evicted from memory, gone from disk
  EXPECT_TRUE(c.get("c").has_value());   // still in memory
}

TEST(Cache, ConcurrentReadersAndWriters) {
  const fs::path dir = fresh("threads");
  Cache c(dir, std::string(64, 'd'), "");
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const std::string id = "s" + std::to_string(i % 10);
        if (std::optional<NDict> s = c.get(id)) good += *s == sample();
        else c.put(id, sample());
        (void)t;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_GT(good.load(), 0);
  EXPECT_EQ(c.corrupt_found(), 0u);
  EXPECT_TRUE(verify_cache(dir, false).empty());
}

TEST(CacheAdmin, InfoVerifyAndClear) {
  const fs::path dir = fresh("admin");
  Cache c(dir, std::string(64, 'e'), "op fuse.ops.zscore 1.0.0\n");
  c.put("x", sample());
  c.put("y", sample());
  // A temporary file left by a writer that died (no such process), and a corrupt entry.
  std::ofstream(c.entry_path("x").string() + ".tmp.999999999.0") << "partial";
  fs::resize_file(c.entry_path("y"), 70);
  std::vector<PipelineEntries> info = cache_info(dir);
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].hash, std::string(16, 'e'));
  EXPECT_EQ(info[0].entries, 2u);
  EXPECT_EQ(info[0].partial, 1u);
  EXPECT_NE(info[0].description.find("fuse.ops.zscore"), std::string::npos);
  std::vector<std::string> problems = verify_cache(dir, true);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(verify_cache(dir, false).empty());  // fixed
  EXPECT_TRUE(c.get("x").has_value());
  EXPECT_GT(clear_cache(dir), 0u);
  EXPECT_TRUE(cache_info(dir).empty());
  EXPECT_THROW(cache_info(dir / "missing"), Error);
}

}  // namespace
}  // namespace fuse::cache
