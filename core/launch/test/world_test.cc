#include "fuse/launch/world.h"

#include <gtest/gtest.h>

#include <map>

#include "fuse/base/error.h"

namespace fuse::launch {
namespace {

GetEnv env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    world_from_environment(env(vars));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(World, NoVariablesIsOneProcess) {
  const World w = world_from_environment(env({}));
  EXPECT_EQ(w.size, 1);
  EXPECT_EQ(w.rank, 0);
  EXPECT_FALSE(w.distributed());
  EXPECT_TRUE(w.lead());
}

TEST(World, ReadsTorchrunVariables) {
  const World w = world_from_environment(env({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "4"},
                                              {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29500"}}));
  EXPECT_EQ(w.rank, 5);
  EXPECT_EQ(w.size, 8);
  EXPECT_EQ(w.local_rank, 1);
  EXPECT_EQ(w.local_size, 4);
  EXPECT_EQ(w.master_addr, "node0");
  EXPECT_EQ(w.master_port, 29500);
  EXPECT_TRUE(w.distributed());
  EXPECT_FALSE(w.lead());
}

TEST(World, OneProcessPerMachineByDefault) {
  const World w = world_from_environment(env({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1234"}}));
  EXPECT_EQ(w.local_rank, 0);
  EXPECT_EQ(w.local_size, 1);
}

TEST(World, BadVariablesAreNamed) {
  EXPECT_EQ(error_of({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}),
            "environment: RANK is set but MASTER_ADDR is not (a distributed run needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, as "
            "torchrun sets them)");
  EXPECT_EQ(error_of({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}),
            "environment: WORLD_SIZE is set but RANK is not (a distributed run needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, as "
            "torchrun sets them)");
  const std::map<std::string, std::string> good{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "29500"}};
  auto with = [&](const std::string& name, const std::string& value) {
    auto v = good;
    v[name] = value;
    return error_of(v);
  };
  EXPECT_EQ(with("RANK", "x"), "environment: RANK='x' is not a rank (0 or more)");
  EXPECT_EQ(with("RANK", "2"), "environment: RANK=2 is not below WORLD_SIZE=2");
  EXPECT_EQ(with("WORLD_SIZE", "0"), "environment: WORLD_SIZE='0' is not a number of processes (1 or more)");
  EXPECT_EQ(with("MASTER_PORT", "70000"), "environment: MASTER_PORT='70000' is not a port (1 to 65535)");
  EXPECT_EQ(with("LOCAL_RANK", "3"), "environment: LOCAL_RANK=3 is not below LOCAL_WORLD_SIZE=1");
  EXPECT_EQ(with("LOCAL_WORLD_SIZE", "4"), "environment: LOCAL_WORLD_SIZE='4' is not a number of processes on this machine (1 to WORLD_SIZE)");
}

}  // namespace
}  // namespace fuse::launch
