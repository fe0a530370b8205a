// A component's state: what a Writer writes, a Reader reads back, and a state that is short, long or carries a
// count larger than itself is an error, never a read past its end.
#include "fuse_sdk/component.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fuse::sdk {
namespace {

using ::testing::StrEq;
using ::testing::ThrowsMessage;

std::string written(const std::function<void(Writer&)>& save) {
  std::string bytes;
  Writer w(
      [](void* user, const void* data, size_t size) -> fm_error* {
        static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
        return nullptr;
      },
      &bytes);
  save(w);
  return bytes;
}

TEST(State, WhatAWriterWroteReadsBack) {
  const std::vector<double> scores = {0.25, 0.5, 1.0};
  const std::string bytes = written([&](Writer& w) {
    w.write_value(uint64_t{3});
    w.write(scores.data(), scores.size() * sizeof(double));
    w.write_value(uint8_t{7});
  });
  Reader r(bytes.data(), bytes.size(), "auc");
  const uint64_t n = r.read_value<uint64_t>();
  EXPECT_EQ(r.read_array<double>(n), scores);
  EXPECT_EQ(r.read_value<uint8_t>(), 7);
  EXPECT_EQ(r.left(), 0u);
  r.finish();
  // An empty array of an empty state is fine (and copies nothing).
  Reader empty(nullptr, 0, "auc");
  EXPECT_TRUE(empty.read_array<double>(0).empty());
  empty.finish();
}

TEST(State, ShortLongAndOverflowingStatesAreErrors) {
  const std::string bytes = written([](Writer& w) { w.write_value(uint64_t{5}); w.write_value(1.0); });
  Reader short_one(bytes.data(), bytes.size(), "auc");
  const uint64_t n = short_one.read_value<uint64_t>();
  EXPECT_THAT([&] { short_one.read_array<double>(n); }, ThrowsMessage<Error>(StrEq("auc state is cut short: 5 x 8 bytes wanted at byte 8 of 16")));
  Reader long_one(bytes.data(), bytes.size(), "auc");
  long_one.read_value<uint64_t>();
  EXPECT_THAT([&] { long_one.finish(); }, ThrowsMessage<Error>(StrEq("auc state has 8 bytes left over after its 8 (a state of another version or component?)")));
  // A count that would wrap count * 8 around is refused by the same check.
  Reader huge(bytes.data(), bytes.size(), "auc");
  EXPECT_THAT([&] { huge.read_array<double>(std::numeric_limits<uint64_t>::max() / 4); },
              ThrowsMessage<Error>(StrEq("auc state is cut short: 4611686018427387903 x 8 bytes wanted at byte 0 of 16")));
}

}  // namespace
}  // namespace fuse::sdk
