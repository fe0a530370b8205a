#include "table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace fuse::cli {
namespace {

TEST(Table, ColumnsAreAsWideAsTheirWidestCell) {
  Table t({heading("id"), heading("lesion_dice")});
  t.add({"case10", short_number(0.94263)});
  t.add({"case2", short_number(std::nan(""))});
  std::ostringstream out;
  t.print(out);
  EXPECT_EQ(out.str(), "ID      LESION_DICE\ncase10  0.9426\ncase2   -\n");
  EXPECT_EQ(short_number(73.659), "73.66");
  EXPECT_EQ(short_number(0.003842), "0.003842");
}

}  // namespace
}  // namespace fuse::cli
