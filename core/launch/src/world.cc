#include "fuse/launch/world.h"

#include <cstdlib>
#include <optional>

#include "fuse/base/error.h"

namespace fuse::launch {
namespace {

std::optional<long> whole_number(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || errno != 0) return std::nullopt;
  return v;
}

}  // namespace

World world_from_environment(const GetEnv& get) {
  World w;
  const char* rank = get("RANK");
  const char* size = get("WORLD_SIZE");
  if (rank == nullptr && size == nullptr) return w;
  for (const char* name : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"})
    if (get(name) == nullptr || *get(name) == '\0')
      throw Error(Errc::kConfig, std::string("environment: ") + (rank ? "RANK" : "WORLD_SIZE") + " is set but " + name +
                                     " is not (a distributed run needs RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, as torchrun sets them)");
  auto number = [&](const char* name, long low, long high, const char* what) -> int {
    const char* text = get(name);
    const std::optional<long> v = whole_number(text);
    if (!v || *v < low || *v > high)
      throw Error(Errc::kConfig, std::string("environment: ") + name + "='" + (text ? text : "") + "' is not " + what);
    return static_cast<int>(*v);
  };
  w.size = number("WORLD_SIZE", 1, 1 << 20, "a number of processes (1 or more)");
  w.rank = number("RANK", 0, 1 << 20, "a rank (0 or more)");
  if (w.rank >= w.size)
    throw Error(Errc::kConfig, "environment: RANK=" + std::to_string(w.rank) + " is not below WORLD_SIZE=" + std::to_string(w.size));
  w.master_addr = get("MASTER_ADDR");
  w.master_port = number("MASTER_PORT", 1, 65535, "a port (1 to 65535)");
  if (get("LOCAL_WORLD_SIZE") != nullptr) w.local_size = number("LOCAL_WORLD_SIZE", 1, w.size, "a number of processes on this machine (1 to WORLD_SIZE)");
  if (get("LOCAL_RANK") != nullptr) w.local_rank = number("LOCAL_RANK", 0, 1 << 20, "a rank on this machine (0 or more)");
  if (w.local_rank >= w.local_size)
    throw Error(Errc::kConfig, "environment: LOCAL_RANK=" + std::to_string(w.local_rank) + " is not below LOCAL_WORLD_SIZE=" + std::to_string(w.local_size));
  return w;
}

}  // namespace fuse::launch
