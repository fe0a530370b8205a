// Where this process stands among the processes of one training run: torchrun's environment variables (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), so that `fuse run --nproc N`, torchrun and
// a cluster's own launcher all start ranks the same way.
#ifndef FUSE_LAUNCH_WORLD_H_
#define FUSE_LAUNCH_WORLD_H_

#include <cstdlib>
#include <functional>
#include <string>

namespace fuse::launch {

struct World {
  int rank = 0, size = 1;              // this process among all of them
  int local_rank = 0, local_size = 1;  // ... among those on this machine
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // where rank 0 serves the rendezvous
  bool distributed() const { return size > 1; }
  bool lead() const { return rank == 0; }  // the rank that writes files and prints results
};

using GetEnv = std::function<const char*(const char*)>;

// A single process when neither RANK nor WORLD_SIZE is set. Otherwise RANK, WORLD_SIZE, MASTER_ADDR and
// MASTER_PORT are required; LOCAL_RANK and LOCAL_WORLD_SIZE default to 0 and 1 (one process per machine).
// A missing or malformed variable is an error naming it and the value it had.
World world_from_environment(const GetEnv& get = [](const char* name) { return static_cast<const char*>(std::getenv(name)); });

}  // namespace fuse::launch

#endif  // FUSE_LAUNCH_WORLD_H_
