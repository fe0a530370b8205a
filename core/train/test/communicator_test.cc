// Two ranks in threads of one process, over loopback: the collectives the trainer relies on, and the gradient
// reducer's weighted sums.
#include "fuse/train/communicator.h"

#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "fuse/base/error.h"
#include "fuse/launch/local_launcher.h"
#include "fuse/train/gradient_reducer.h"

namespace fuse::train {
namespace {

using namespace std::chrono_literals;

// Runs `body(rank, communicator)` on `n` ranks at once; rethrows the first failure.
void on_ranks(int n, const std::function<void(int, Communicator&)>& body, std::chrono::milliseconds timeout = 30000ms) {
  const int port = launch::free_port();
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> failures(static_cast<size_t>(n));
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      try {
        launch::World w;
        w.rank = w.local_rank = r;
        w.size = w.local_size = n;
        w.master_port = port;
        std::unique_ptr<Communicator> c = Communicator::connect(w, DLDevice{kDLCPU, 0}, timeout);
        body(r, *c);
      } catch (...) {
        failures[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  for (std::thread& t : threads) t.join();
  for (const auto& f : failures)
    if (f) std::rethrow_exception(f);
}

TEST(Communicator, MovesBytesAndNumbers) {
  on_ranks(3, [](int rank, Communicator& c) {
    EXPECT_EQ(c.rank(), rank);
    EXPECT_EQ(c.size(), 3);
    EXPECT_EQ(c.backend(), "gloo");
    const std::vector<std::string> all = c.all_gather(std::string(static_cast<size_t>(rank) * 3, static_cast<char>('a' + rank)), "gather");
    EXPECT_EQ(all, (std::vector<std::string>{"", "bbb", "cccccc"}));
    EXPECT_EQ(c.broadcast(rank == 1 ? std::string("from one\0x", 10) : "", 1, "broadcast"), std::string("from one\0x", 10));
    EXPECT_EQ(c.all_sum({1.0 * rank, 0.5}, "sum"), (std::vector<double>{3.0, 1.5}));
    c.barrier("barrier");
  });
}

TEST(Communicator, RankZerosVerdictStopsEveryRank) {
  on_ranks(2, [](int rank, Communicator& c) {
    c.agree([] {}, "nothing wrong");
    try {
      c.agree([] { throw Error(Errc::kIo, "nothing to resume in 'run'"); }, "the resume check");
      ADD_FAILURE() << "rank " << rank << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::kIo);
      EXPECT_STREQ(e.what(), "nothing to resume in 'run'");
    }
  });
}

TEST(Communicator, AnAbsentRankIsAnErrorNamingTheStep) {
  // Rank 1 leaves without joining the sum: rank 0 learns it when its connection closes (well before the
  // timeout, which is long enough for joining on a busy machine).
  on_ranks(
      2,
      [](int rank, Communicator& c) {
        if (rank == 1) return;
        try {
          c.all_sum({1.0}, "the losses of epoch 2");
          ADD_FAILURE() << "no error";
        } catch (const Error& e) {
          const std::string m = e.what();
          EXPECT_EQ(m.rfind("rank 0 of 2: the losses of epoch 2 failed: ", 0), 0u) << m;
          EXPECT_NE(m.find(". Another rank stopped (its own message says why) or the network failed; continue from the last checkpoint with "
                           "--resume"),
                    std::string::npos)
              << m;
        }
      });
}

TEST(Communicator, NobodyToJoinIsAnError) {
  launch::World w;
  w.size = w.local_size = 2;
  w.rank = 1;
  w.master_port = launch::free_port();
  try {
    Communicator::connect(w, DLDevice{kDLCPU, 0}, 1000ms);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("rank 1 of 2: cannot join the run at 127.0.0.1:" + std::to_string(w.master_port) + " within 1 s: ", 0), 0u) << m;
    EXPECT_NE(m.find("(are all ranks started, with the same MASTER_ADDR and MASTER_PORT, and is the port free?)"), std::string::npos) << m;
  }
}

// A gradient for tests: `n` floats of memory with a DLTensor over them.
struct Grad {
  std::vector<float> value, grad;
  std::vector<int64_t> shape;
  DLTensor v{}, g{};
  Grad(int64_t n, float fill) : value(static_cast<size_t>(n)), grad(static_cast<size_t>(n), fill), shape{n} {
    for (DLTensor* t : {&v, &g}) {
      t->device = DLDevice{kDLCPU, 0};
      t->ndim = 1;
      t->dtype = DLDataType{kDLFloat, 32, 1};
      t->shape = shape.data();
    }
    v.data = value.data();
    g.data = grad.data();
  }
  Parameter parameter(const std::string& name) { return Parameter{name, true, &v, &g}; }
};

TEST(GradientReducer, SumsWeightedGradientsInBuckets) {
  on_ranks(2, [](int rank, Communicator& c) {
    Grad a(3, 1.0f + static_cast<float>(rank)), b(1000, 10.0f * static_cast<float>(rank + 1)), d(5, 2.0f);
    // Small buckets: the head's and the body's parameters travel apart.
    GradientReducer reducer(c, {{"body", {a.parameter("w"), b.parameter("b")}}, {"head", {d.parameter("w")}}}, 64);
    EXPECT_EQ(reducer.buckets(), 2u);
    EXPECT_EQ(reducer.bytes(), (3u + 1000u + 5u) * 4u);
    // Rank 0 had 1 of the batch's 4 samples, rank 1 had 3.
    reducer.begin(rank == 0 ? 0.25 : 0.75);
    reducer.ready("head");  // the backward order: the head is done first
    reducer.ready("body");
    reducer.finish("step 1");
    for (float x : a.grad) EXPECT_FLOAT_EQ(x, 0.25f * 1 + 0.75f * 2);
    for (float x : b.grad) EXPECT_FLOAT_EQ(x, 0.25f * 10 + 0.75f * 20);
    for (float x : d.grad) EXPECT_FLOAT_EQ(x, 2.0f);
    // A second step without ready(): finish sends everything.
    std::fill(d.grad.begin(), d.grad.end(), static_cast<float>(rank));
    reducer.begin(1.0);
    reducer.finish("step 2");
    for (float x : d.grad) EXPECT_FLOAT_EQ(x, 1.0f);
  });
}

TEST(GradientReducer, RefusesIntegerGradients) {
  on_ranks(1, [](int, Communicator& c) {
    Grad a(2, 1.0f);
    a.g.dtype = DLDataType{kDLInt, 32, 1};
    try {
      GradientReducer reducer(c, {{"body", {a.parameter("steps")}}}, 64);
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "gradient of 'body.steps': dtype int32 cannot be all-reduced (floating point expected)");
    }
  });
}

}  // namespace
}  // namespace fuse::train
