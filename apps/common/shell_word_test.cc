#include "shell_word.h"

#include <gtest/gtest.h>

namespace fuse::cli {
namespace {

TEST(ShellWord, QuotesOnlyWhatAShellWouldReadOtherwise) {
  EXPECT_EQ(shell_word("runs/seg3d_bundle"), "runs/seg3d_bundle");
  EXPECT_EQ(shell_word("my runs/a"), "'my runs/a'");
  EXPECT_EQ(shell_word("data.folds.validation=[1]"), "'data.folds.validation=[1]'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word(""), "''");
}

}  // namespace
}  // namespace fuse::cli
