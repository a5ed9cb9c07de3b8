// ThreadPool: caller participates as thread 0; workers spin, then block, on a generation counter.
#include "sangam/thread_pool.h"

#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SANGAM_CPU_RELAX() _mm_pause()
#else
#define SANGAM_CPU_RELAX() ((void)0)
#endif

namespace sangam {
namespace {

// Spin iterations before blocking (~50-100 us with pause): long enough to bridge the gap
// between consecutive kernels of one token, short enough not to burn a core when idle.
constexpr int kSpinIterations = 4000;

// Pause in a spin loop; every 256 iterations give the core away in case it is oversubscribed
// (the thread we wait for may be waiting for this very core).
inline void Relax(int spin) {
  SANGAM_CPU_RELAX();
  if ((spin & 255) == 255) std::this_thread::yield();
}

}  // namespace

int PhysicalCoreCount() {
  // Count distinct (physical id, core id) pairs in /proc/cpuinfo.
  std::ifstream in("/proc/cpuinfo");
  std::set<std::pair<int, int>> cores;
  std::string line;
  int phys = 0;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (line.rfind("physical id", 0) == 0) phys = std::atoi(line.c_str() + colon + 1);
    if (line.rfind("core id", 0) == 0) cores.insert({phys, std::atoi(line.c_str() + colon + 1)});
  }
  int n = static_cast<int>(cores.size());
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return n > 0 ? n : 1;
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_start_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::RunShare(int thread) {
  if (job_all_ != nullptr) {
    (*job_all_)(thread, n_threads_);
    return;
  }
  for (;;) {
    const int64_t i = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (i >= job_n_) break;
    (*job_for_)(i, thread);
  }
}

void ThreadPool::WorkerLoop(int id) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpinIterations; ++spin) {
      Relax(spin);
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_start_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      g = generation_.load(std::memory_order_acquire);
    }
    seen = g;
    if (stop_.load(std::memory_order_relaxed)) return;
    // Register, then check that job g is still open (Dekker-style with Dispatch: seq_cst on
    // both sides, so either we see it closed or the controller sees us registered and waits).
    running_.fetch_add(1, std::memory_order_seq_cst);
    if (closed_.load(std::memory_order_seq_cst) < g) {
      const bool all = job_all_ != nullptr;
      RunShare(id);
      if (all && all_done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_threads_ - 1) {
        { std::lock_guard<std::mutex> lock(mu_); }  // a blocked controller has released mu_
        cv_done_.notify_one();
      }
    }
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      { std::lock_guard<std::mutex> lock(mu_); }
      cv_done_.notify_one();
    }
  }
}

template <class Pred>
void ThreadPool::WaitDone(Pred done) {
  for (int spin = 0; !done() && spin < kSpinIterations * 4; ++spin) Relax(spin);
  if (!done()) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_done_.wait(lock, done);
  }
}

void ThreadPool::Dispatch() {
  in_job_.store(true, std::memory_order_relaxed);
  all_done_.store(0, std::memory_order_relaxed);
  uint64_t g;
  {
    std::lock_guard<std::mutex> lock(mu_);
    g = generation_.fetch_add(1, std::memory_order_release) + 1;
  }
  cv_start_.notify_all();  // glibc makes no system call when no worker is blocked
  RunShare(0);
  if (job_all_ != nullptr) {
    // Static split: every worker must run its share.
    WaitDone([&] { return all_done_.load(std::memory_order_acquire) == n_threads_ - 1; });
  }
  // ParallelFor: all tasks have been claimed once share 0 returns. Close the job so that
  // workers that have not started yet (descheduled, still waking up) skip it instead of being
  // waited for, then wait only for the ones that did start.
  closed_.store(g, std::memory_order_seq_cst);
  WaitDone([&] { return running_.load(std::memory_order_seq_cst) == 0; });
  job_all_ = nullptr;
  job_for_ = nullptr;
  in_job_.store(false, std::memory_order_relaxed);
}

void ThreadPool::RunOnAll(const std::function<void(int thread, int n_threads)>& fn) {
  if (n_threads_ == 1 || in_job_.load(std::memory_order_relaxed)) {
    fn(0, 1);  // nested or single-threaded: one share, on this thread
    return;
  }
  job_all_ = &fn;
  job_for_ = nullptr;
  Dispatch();
}

void ThreadPool::ParallelFor(int64_t n_tasks, const std::function<void(int64_t, int)>& fn) {
  if (n_tasks <= 0) return;
  if (n_tasks == 1 || n_threads_ == 1 || in_job_.load(std::memory_order_relaxed)) {
    for (int64_t i = 0; i < n_tasks; ++i) fn(i, 0);
    return;
  }
  job_all_ = nullptr;
  job_for_ = &fn;
  job_n_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  Dispatch();
}

}  // namespace sangam
