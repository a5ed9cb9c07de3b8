// ThreadPool: every task runs exactly once; thread ids are in range; nested loops run serially.
#include "sangam/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
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

TEST(ThreadPoolTest, PhysicalCoreCountPositive) { EXPECT_GE(PhysicalCoreCount(), 1); }

}  // namespace
}  // namespace sangam
