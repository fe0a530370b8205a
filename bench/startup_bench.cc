// Start-up of `fuse plugins list` (target: under 50 ms), against starting /bin/true in the same run, so the
// ratio says how much fuse adds to a bare process start. Each iteration spawns a process and waits for it.
#include <spawn.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

extern char** environ;

namespace {

void run(const char* const* argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
  }
  posix_spawn_file_actions_destroy(&actions);
}

void BM_StartTrue(benchmark::State& state) {
  const char* argv[] = {"/bin/true", nullptr};
  for (auto _ : state) run(argv);
}
BENCHMARK(BM_StartTrue)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FusePluginsList(benchmark::State& state) {
  const char* argv[] = {FUSE_BINARY, "plugins", "list", nullptr};
  for (auto _ : state) run(argv);
}
BENCHMARK(BM_FusePluginsList)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
