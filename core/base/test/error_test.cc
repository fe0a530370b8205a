#include "fuse/base/error.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace fuse {
namespace {

TEST(Error, RethrowWithContextKeepsCodeAndPrefixesMessage) {
  try {
    try {
      throw Error(Errc::kShape, "shape [2, 3] expected [2, 4]");
    } catch (...) {
      rethrow_with_context("op 'x': ");
    }
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kShape);
    EXPECT_STREQ(e.what(), "op 'x': shape [2, 3] expected [2, 4]");
  }
}

TEST(Error, RethrowWithContextKeepsConfigPointer) {
  try {
    try {
      throw ConfigError("/eps", "'eps' must be >= 0, got -1");
    } catch (...) {
      rethrow_with_context("component 'z': ");
    }
    FAIL() << "no exception";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.pointer(), "/eps");
    EXPECT_STREQ(e.what(), "component 'z': 'eps' must be >= 0, got -1");
  }
}

TEST(Error, RethrowWithContextWrapsForeignExceptions) {
  try {
    try {
      throw std::out_of_range("vector index");
    } catch (...) {
      rethrow_with_context("step 2: ");
    }
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kInternal);
    EXPECT_STREQ(e.what(), "step 2: vector index");
  }
}

}  // namespace
}  // namespace fuse
