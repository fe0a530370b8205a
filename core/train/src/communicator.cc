#include "fuse/train/communicator.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <cstring>

#include "communicator_impl.h"
#include "fuse/base/error.h"

namespace fuse::train {

namespace {

// c10d's message without LibTorch's C++ backtrace, on one line.
std::string short_message(const std::exception& e) {
  std::string m = e.what();
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) m = c10->what_without_backtrace();
  if (const size_t nl = m.find('\n'); nl != std::string::npos) m = m.substr(0, nl);
  return m;
}

std::string seconds(std::chrono::milliseconds t) { return std::to_string(t.count() / 1000) + " s"; }

bool loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0; }

}  // namespace

void Communicator::Impl::guarded(const std::string& what, const std::function<void()>& f) const {
  try {
    f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(Errc::kIo, "rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) + ": " + what + " failed: " + short_message(e) +
                               ". Another rank stopped (its own message says why) or the network failed; continue from the last "
                               "checkpoint with --resume");
  }
}

void Communicator::Impl::wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) const {
  guarded(what, [&] { work->wait(); });
}

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

std::unique_ptr<Communicator> Communicator::connect(const launch::World& world, DLDevice device, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->world = world;
  const std::string where = world.master_addr + ":" + std::to_string(world.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(world.master_port);
    store_options.isServer = world.rank == 0;
    store_options.numWorkers = static_cast<size_t>(world.size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(world.master_addr, store_options);
    if (device.device_type == kDLCUDA) {
#ifdef USE_C10D_NCCL
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      impl->device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(device.device_id));
      impl->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, world.rank, world.size, options);
      impl->backend = "nccl";
#endif
    }
    if (!impl->group) {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name != nullptr && *name != '\0')
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
      else if (loopback(world.master_addr) && world.local_size == world.size)
        options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, world.rank, world.size, options);
      impl->backend = "gloo";
    }
  } catch (const std::exception& e) {
    throw Error(Errc::kIo, "rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) + ": cannot join the run at " + where +
                               " within " + seconds(timeout) + ": " + short_message(e) +
                               " (are all ranks started, with the same MASTER_ADDR and MASTER_PORT, and is the port free?)");
  }
  return std::unique_ptr<Communicator>(new Communicator(std::move(impl)));
}

const launch::World& Communicator::world() const { return impl_->world; }
const std::string& Communicator::backend() const { return impl_->backend; }

void Communicator::barrier(const std::string& what, std::chrono::milliseconds timeout) {
  if (timeout.count() == 0) {
    impl_->wait(impl_->group->barrier(), what);
    return;
  }
  // Gloo's barrier keeps the group's timeout; the store's wait takes its own. Every rank counts its barriers
  // alike, so the keys match.
  const std::string prefix = "fuse/barrier/" + std::to_string(impl_->barriers++) + "/";
  impl_->guarded(what, [&] {
    impl_->store->set(prefix + std::to_string(rank()), std::vector<uint8_t>{1});
    std::vector<std::string> keys;
    for (int r = 0; r < size(); ++r) keys.push_back(prefix + std::to_string(r));
    impl_->store->wait(keys, timeout);
  });
}

std::vector<std::string> Communicator::all_gather(const std::string& bytes, const std::string& what) {
  const auto on = torch::TensorOptions().device(impl_->device);
  std::vector<torch::Tensor> size_in{torch::full({1}, static_cast<int64_t>(bytes.size()), on.dtype(torch::kInt64))};
  std::vector<std::vector<torch::Tensor>> sizes_out(1);
  for (int r = 0; r < size(); ++r) sizes_out[0].push_back(torch::empty({1}, on.dtype(torch::kInt64)));
  impl_->wait(impl_->group->allgather(sizes_out, size_in), what);
  int64_t longest = 1;
  std::vector<int64_t> sizes;
  for (const torch::Tensor& s : sizes_out[0]) sizes.push_back(s.cpu().item<int64_t>()), longest = std::max(longest, sizes.back());
  torch::Tensor mine = torch::zeros({longest}, torch::kUInt8);
  std::memcpy(mine.data_ptr(), bytes.data(), bytes.size());
  std::vector<torch::Tensor> in{mine.to(impl_->device)};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < size(); ++r) out[0].push_back(torch::empty({longest}, on.dtype(torch::kUInt8)));
  impl_->wait(impl_->group->allgather(out, in), what);
  std::vector<std::string> result;
  for (int r = 0; r < size(); ++r) {
    const torch::Tensor t = out[0][static_cast<size_t>(r)].cpu();
    result.emplace_back(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(sizes[static_cast<size_t>(r)]));
  }
  return result;
}

std::string Communicator::broadcast(const std::string& bytes, int root, const std::string& what) {
  const auto on = torch::TensorOptions().device(impl_->device);
  c10d::BroadcastOptions options;
  options.rootRank = root;
  std::vector<torch::Tensor> length{torch::full({1}, static_cast<int64_t>(bytes.size()), on.dtype(torch::kInt64))};
  impl_->wait(impl_->group->broadcast(length, options), what);
  const int64_t n = length[0].cpu().item<int64_t>();
  if (n == 0) return {};
  torch::Tensor data = torch::empty({n}, torch::kUInt8);
  if (rank() == root) std::memcpy(data.data_ptr(), bytes.data(), bytes.size());
  std::vector<torch::Tensor> buffer{data.to(impl_->device)};
  impl_->wait(impl_->group->broadcast(buffer, options), what);
  const torch::Tensor got = buffer[0].cpu();
  return std::string(static_cast<const char*>(got.data_ptr()), static_cast<size_t>(n));
}

std::vector<double> Communicator::all_sum(const std::vector<double>& values, const std::string& what) {
  if (values.empty()) return {};
  torch::Tensor t = torch::from_blob(const_cast<double*>(values.data()), {static_cast<int64_t>(values.size())}, torch::kFloat64).to(impl_->device, true, true);
  std::vector<torch::Tensor> buffer{t};
  impl_->wait(impl_->group->allreduce(buffer), what);
  const torch::Tensor sums = buffer[0].cpu().contiguous();
  return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + values.size());
}

void Communicator::agree(const std::function<void()>& check, const std::string& what) {
  std::string verdict;  // empty, or the error's code, a newline and its message
  if (rank() == 0) {
    try {
      check();
    } catch (const Error& e) {
      verdict = std::to_string(static_cast<int>(e.code())) + "\n" + e.what();
    }
  }
  verdict = broadcast(verdict, 0, what);
  if (verdict.empty()) return;
  const size_t nl = verdict.find('\n');
  throw Error(static_cast<Errc>(std::stoi(verdict.substr(0, nl))), verdict.substr(nl + 1));
}

}  // namespace fuse::train
