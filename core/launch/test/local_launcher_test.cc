#include "fuse/launch/local_launcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuse/base/error.h"

namespace fuse::launch {
namespace {

namespace fs = std::filesystem;

// Each rank runs this shell script with its environment.
LaunchResult run_script(const std::string& script, int nproc, std::ostream& log) {
  LaunchOptions o;
  o.nproc = nproc;
  o.grace = std::chrono::milliseconds(500);
  return launch_local("/bin/sh", {"-c", script}, o, log);
}

TEST(LocalLauncher, GivesEachRankItsVariables) {
  const fs::path dir = fs::temp_directory_path() / "fuse_launcher_vars";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ostringstream log;
  const LaunchResult r = run_script("echo $RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $MASTER_ADDR $MASTER_PORT > " + dir.string() + "/$RANK", 3, log);
  EXPECT_EQ(r.exit_code, 0) << r.message;
  EXPECT_EQ(r.failed_rank, -1);
  std::string port;
  for (int rank = 0; rank < 3; ++rank) {
    std::ifstream in(dir / std::to_string(rank));
    std::string rank_, size, local_rank, local_size, addr, this_port;
    in >> rank_ >> size >> local_rank >> local_size >> addr >> this_port;
    EXPECT_EQ(rank_, std::to_string(rank));
    EXPECT_EQ(size, "3");
    EXPECT_EQ(local_rank, std::to_string(rank));
    EXPECT_EQ(local_size, "3");
    EXPECT_EQ(addr, "127.0.0.1");
    EXPECT_GT(std::stoi(this_port), 0);
    if (rank > 0) {
      EXPECT_EQ(this_port, port);  // one rendezvous for all
    }
    port = this_port;
  }
  EXPECT_EQ(log.str().rfind("started 3 processes on 127.0.0.1:" + port + ": rank 0 is process ", 0), 0u) << log.str();
}

TEST(LocalLauncher, AFailingRankStopsTheOthers) {
  std::ostringstream log;
  const auto start = std::chrono::steady_clock::now();
  // Rank 1 fails at once; rank 0 would run for a minute.
  const LaunchResult r = run_script("if [ $RANK = 1 ]; then exit 3; fi; exec sleep 60", 2, log);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.failed_rank, 1);
  EXPECT_EQ(r.message.substr(0, 16), "rank 1 (process ") << r.message;
  EXPECT_NE(r.message.find(") failed with exit code 3"), std::string::npos) << r.message;
  EXPECT_NE(log.str().find("fuse: " + r.message + "; stopping the other ranks\n"), std::string::npos) << log.str();
}

TEST(LocalLauncher, AKilledRankIsReportedWithItsSignal) {
  std::ostringstream log;
  const LaunchResult r = run_script("if [ $RANK = 0 ]; then kill -KILL $$; fi; exec sleep 60", 2, log);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.failed_rank, 0);
  EXPECT_NE(r.message.find(") was killed by signal 9 (Killed)"), std::string::npos) << r.message;
}

TEST(LocalLauncher, RanksThatIgnoreTermAreKilledAfterTheGrace) {
  std::ostringstream log;
  const auto start = std::chrono::steady_clock::now();
  const LaunchResult r = run_script("if [ $RANK = 1 ]; then exit 1; fi; trap '' TERM; exec sleep 60", 2, log);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.failed_rank, 1);
}

// The message of the error launching `program` with `nproc` ranks throws.
std::string launch_error(const std::string& program, int nproc) {
  std::ostringstream log;
  LaunchOptions o;
  o.nproc = nproc;
  try {
    launch_local(program, {}, o, log);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(LocalLauncher, RefusesNoProcesses) { EXPECT_EQ(launch_error("/bin/true", 0), "--nproc must be at least 1 (got 0)"); }

TEST(LocalLauncher, AProgramThatCannotStartIsAnError) {
  EXPECT_EQ(launch_error("/nonexistent/fuse-train", 2), "cannot start rank 0 (/nonexistent/fuse-train): No such file or directory");
}

TEST(LocalLauncher, FreePortIsAPort) {
  const int port = free_port();
  EXPECT_GT(port, 0);
  EXPECT_LT(port, 65536);
}

}  // namespace
}  // namespace fuse::launch
