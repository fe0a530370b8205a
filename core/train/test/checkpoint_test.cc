#include "fuse/train/checkpoint.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "test_support.h"

namespace fuse::train {
namespace {

using fuse::testing::error_of;
using fuse::testing::fresh_dir;

TEST(Checkpoint, RoundTripAndDamageIsDetected) {
  const auto dir = fresh_dir("checkpoint");
  Checkpoint c;
  c.info = boost::json::object{{"epoch", 3}, {"best_value", 0.9}};
  c.model = {{"backbone", std::string("\0\1\2weights", 10)}, {"head", "h"}};
  c.optimizer = "adam state";
  write_checkpoint(dir / "c.ckpt", c);
  const Checkpoint back = read_checkpoint(dir / "c.ckpt");
  EXPECT_EQ(back.info.at("epoch").as_int64(), 3);
  EXPECT_EQ(back.model, c.model);
  EXPECT_EQ(back.optimizer, "adam state");
  EXPECT_FALSE(std::filesystem::exists(dir / ("c.ckpt.tmp." + std::to_string(::getpid()))));
  {
    std::fstream f(dir / "c.ckpt", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('X');
  }
  EXPECT_EQ(error_of([&] { read_checkpoint(dir / "c.ckpt"); }),
            "checkpoint '" + (dir / "c.ckpt").string() + "' is corrupt (checksum mismatch): it was cut short or changed");
  EXPECT_EQ(error_of([&] { read_checkpoint(dir / "none.ckpt"); }), "checkpoint '" + (dir / "none.ckpt").string() + "' does not exist or cannot be read");
}

}  // namespace
}  // namespace fuse::train
