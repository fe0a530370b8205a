#include "fuse/json/setting.h"

#include <gtest/gtest.h>

#include "fuse/base/error.h"

namespace fuse::json {
namespace {

TEST(ParseSetting, ValuesAreJsonWhenTheyParseElsePlainText) {
  EXPECT_EQ(parse_setting("trainer.epochs=3").name, "trainer.epochs");
  EXPECT_EQ(parse_setting("trainer.epochs=3").value, 3);
  EXPECT_EQ(parse_setting("lr=0.11935319286735585").value.as_double(), 0.11935319286735585);  // exactly
  EXPECT_EQ(parse_setting("model.channels=[8, 16]").value, (boost::json::array{8, 16}));
  EXPECT_EQ(parse_setting("schedule.name=cosine").value, "cosine");
  EXPECT_EQ(parse_setting("name=\"3\"").value, "3");
  EXPECT_EQ(parse_setting("expr=a=b").value, "a=b");  // split at the first '='
  EXPECT_EQ(parse_setting("empty=").value, "");
}

TEST(ParseSetting, ASettingWithoutANameIsAnError) {
  for (const char* bad : {"epochs", "=3"}) {
    try {
      parse_setting(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::kInvalidArgument);
      EXPECT_EQ(std::string(e.what()), std::string("--set '") + bad + "': expected name=value");
    }
  }
}

}  // namespace
}  // namespace fuse::json
