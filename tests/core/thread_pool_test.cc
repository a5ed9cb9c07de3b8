// ThreadPool: every task runs exactly once; thread ids are in range; nested loops run serially.
#include "sangam/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace sangam {
namespace {

TEST(ThreadPoolTest, EveryTaskRunsOnce) {
  for (int n_threads : {1, 2, 3}) {
    ThreadPool pool(n_threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.ParallelFor(n, [&](int64_t i, int thread) {
        ASSERT_GE(thread, 0);
        ASSERT_LT(thread, n_threads);
        hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPoolTest, RunOnAllCoversEveryThread) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> seen(3);
  for (int rep = 0; rep < 50; ++rep) {
    pool.RunOnAll([&](int t, int n) {
      EXPECT_EQ(n, 3);
      seen[static_cast<size_t>(t)]++;
    });
  }
  for (auto& s : seen) EXPECT_EQ(s.load(), 50);
}

TEST(ThreadPoolTest, NestedParallelForRunsSerially) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.ParallelFor(4, [&](int64_t, int) {
    pool.ParallelFor(3, [&](int64_t, int t) {
      EXPECT_EQ(t, 0);
      total++;
    });
  });
  EXPECT_EQ(total.load(), 12);
}

// Many back-to-back rounds (the MatMul pattern): every round sees every task, and the results of
// one round are visible to the caller before the next starts.
TEST(ThreadPoolTest, ManyRoundsAreCompleteAndOrdered) {
  for (int n_threads : {2, 3}) {
    ThreadPool pool(n_threads);
    std::vector<int64_t> v(64, 0);
    for (int round = 0; round < 5000; ++round) {
      pool.ParallelFor(64, [&](int64_t i, int) { v[static_cast<size_t>(i)] += i; });
      if (round % 3 == 0) {
        pool.RunOnAll([&](int t, int n) {
          for (int64_t i = t; i < 64; i += n) v[static_cast<size_t>(i)] += 1;
        });
      }
    }
    for (int64_t i = 0; i < 64; ++i) ASSERT_EQ(v[static_cast<size_t>(i)], 5000 * i + 1667);
  }
}

// A ParallelFor does not wait for workers that join late, but workers do join long loops:
// with sleeping tasks the caller leaves its core free, so a worker must pick up some tasks.
TEST(ThreadPoolTest, WorkersJoinLongLoops) {
  ThreadPool pool(2);
  std::atomic<int> by_worker{0};
  std::atomic<int> done{0};
  pool.ParallelFor(16, [&](int64_t, int thread) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    if (thread != 0) by_worker++;
    done++;
  });
  EXPECT_EQ(done.load(), 16);
  EXPECT_GT(by_worker.load(), 0);
}

// Round-trip overhead of an (almost) empty ParallelFor; printed for the record. The bound only
// catches pathological regressions (e.g. a wake-up system call per round on an idle machine).
TEST(ThreadPoolTest, RoundTripOverhead) {
  ThreadPool pool(2);
  std::atomic<int64_t> sink{0};
  const int rounds = 20000;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r) {
    pool.ParallelFor(2, [&](int64_t i, int) { sink.fetch_add(i, std::memory_order_relaxed); });
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / rounds;
  std::printf("ThreadPool(2) ParallelFor round trip: %.2f us\n", us);
  EXPECT_EQ(sink.load(), rounds);
  EXPECT_LT(us, 2000.0);
}

TEST(ThreadPoolTest, PhysicalCoreCountPositive) { EXPECT_GE(PhysicalCoreCount(), 1); }

}  // namespace
}  // namespace sangam
