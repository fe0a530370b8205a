// `fuse run --nproc N`: N copies of a program on this machine, each told its rank through torchrun's environment
// variables, watched until they end. When one fails, the others are stopped and the failure is reported by rank.
#ifndef FUSE_LAUNCH_LOCAL_LAUNCHER_H_
#define FUSE_LAUNCH_LOCAL_LAUNCHER_H_

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace fuse::launch {

struct LaunchOptions {
  int nproc = 2;
  int master_port = 0;  // 0: a free port on 127.0.0.1
  std::chrono::milliseconds grace{5000};  // after SIGTERM, how long the other ranks get before SIGKILL
};

struct LaunchResult {
  int exit_code = 0;      // 0 when every rank exited with 0; otherwise 1
  int failed_rank = -1;   // the first rank seen to fail
  std::string message;    // what happened to it, e.g. "rank 1 (process 123) was killed by signal 9 (Killed)"
};

// Runs `program` with `args` as ranks 0..nproc-1 (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT set; the rest of the environment inherited) and waits for all of them. `log` gets one line with
// each rank's process id when they have started, and the failure, if any. SIGINT and SIGTERM sent to the
// launcher are passed on to the ranks.
LaunchResult launch_local(const std::string& program, const std::vector<std::string>& args, const LaunchOptions& options, std::ostream& log);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace fuse::launch

#endif  // FUSE_LAUNCH_LOCAL_LAUNCHER_H_
