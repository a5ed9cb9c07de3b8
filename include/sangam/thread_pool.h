// A fixed pool of worker threads for data-parallel loops (kernels, attention, sampling).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sangam {

// Number of physical cores (falls back to hardware_concurrency()).
int PhysicalCoreCount();

// ThreadPool runs ParallelFor loops on n_threads threads: the calling thread is thread 0 and
// n_threads-1 workers are owned by the pool. One ParallelFor at a time (not reentrant; calling
// it from inside a task runs the nested loop serially on the calling thread).
// Thread-compatible: use one pool from one controlling thread.
class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(task, thread) for every task in [0, n_tasks). Tasks are handed out dynamically
  // (atomic counter), so the mapping task->thread is not deterministic; results must not
  // depend on it. `thread` is in [0, size()) and is unique among concurrently running calls,
  // so it can index per-thread scratch buffers.
  void ParallelFor(int64_t n_tasks, const std::function<void(int64_t task, int thread)>& fn);

  // Static split: calls fn(thread, n_threads) once on every thread; the callee partitions work
  // itself. Deterministic mapping.
  void RunOnAll(const std::function<void(int thread, int n_threads)>& fn);

 private:
  void WorkerLoop(int id);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  const std::function<void(int, int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  std::atomic<bool> in_job_{false};
};

}  // namespace sangam
