#include "fuse/launch/local_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "fuse/base/error.h"

extern char** environ;

namespace fuse::launch {
namespace {

std::atomic<int> forwarded_signal{0};
void remember_signal(int s) { forwarded_signal = s; }

std::string describe(int rank, pid_t pid, int status) {
  const std::string who = "rank " + std::to_string(rank) + " (process " + std::to_string(pid) + ")";
  if (WIFSIGNALED(status))
    return who + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return who + " failed with exit code " + std::to_string(WEXITSTATUS(status));
}

// The inherited environment with the rank's variables replaced.
std::vector<std::string> rank_environment(int rank, int nproc, int port) {
  const std::vector<std::pair<std::string, std::string>> ours{
      {"RANK", std::to_string(rank)},         {"WORLD_SIZE", std::to_string(nproc)}, {"LOCAL_RANK", std::to_string(rank)},
      {"LOCAL_WORLD_SIZE", std::to_string(nproc)}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(port)}};
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : ours) replaced = replaced || entry.rfind(name + "=", 0) == 0;
    if (!replaced) out.push_back(entry);
  }
  for (const auto& [name, value] : ours) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(Errc::kIo, std::string("cannot open a socket to find a free port: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  ::close(fd);
  if (!ok) throw Error(Errc::kIo, std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return ntohs(address.sin_port);
}

LaunchResult launch_local(const std::string& program, const std::vector<std::string>& args, const LaunchOptions& o, std::ostream& log) {
  if (o.nproc < 1) throw Error(Errc::kInvalidArgument, "--nproc must be at least 1 (got " + std::to_string(o.nproc) + ")");
  const int port = o.master_port > 0 ? o.master_port : free_port();
  forwarded_signal = 0;
  struct sigaction action {}, old_int{}, old_term{};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  std::vector<pid_t> pids;
  std::vector<bool> running;
  LaunchResult result;
  auto stop_others = [&](int signal) {
    for (size_t r = 0; r < pids.size(); ++r)
      if (running[r]) ::kill(pids[r], signal);
  };
  for (int rank = 0; rank < o.nproc; ++rank) {
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = rank_environment(rank, o.nproc, port);
    std::vector<char*> argv_p = pointers(argv), env_p = pointers(env);
    pid_t pid = 0;
    const int error = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv_p.data(), env_p.data());
    if (error != 0) {
      stop_others(SIGKILL);
      for (pid_t p : pids) ::waitpid(p, nullptr, 0);
      sigaction(SIGINT, &old_int, nullptr);
      sigaction(SIGTERM, &old_term, nullptr);
      throw Error(Errc::kIo, "cannot start rank " + std::to_string(rank) + " (" + program + "): " + std::strerror(error));
    }
    pids.push_back(pid);
    running.push_back(true);
  }
  std::string started = "started " + std::to_string(o.nproc) + " processes on 127.0.0.1:" + std::to_string(port) + ":";
  for (size_t r = 0; r < pids.size(); ++r) started += " rank " + std::to_string(r) + " is process " + std::to_string(pids[r]) + (r + 1 < pids.size() ? "," : "");
  log << started << "\n" << std::flush;

  // Polls rather than blocks in waitpid, so that a forwarded signal and the grace period need no other thread.
  size_t left = pids.size();
  bool stopping = false;
  std::chrono::steady_clock::time_point killed_at{};
  while (left > 0) {
    if (const int s = forwarded_signal.exchange(0); s != 0) {
      stop_others(s);
      if (!stopping) stopping = true, killed_at = std::chrono::steady_clock::now();
    }
    bool reaped = false;
    for (size_t r = 0; r < pids.size(); ++r) {
      if (!running[r]) continue;
      int status = 0;
      if (::waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
      running[r] = false, --left, reaped = true;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (ok || result.failed_rank >= 0) continue;
      result.exit_code = 1;
      result.failed_rank = static_cast<int>(r);
      result.message = describe(static_cast<int>(r), pids[r], status);
      if (left > 0) {
        log << "fuse: " << result.message << "; stopping the other ranks\n" << std::flush;
        stop_others(SIGTERM);
        stopping = true;
        killed_at = std::chrono::steady_clock::now();
      }
    }
    if (stopping && std::chrono::steady_clock::now() - killed_at > o.grace) stop_others(SIGKILL);
    if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace fuse::launch
