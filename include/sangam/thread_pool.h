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
// A round trip is cheap: idle workers spin briefly on an atomic generation counter before
// blocking (condition variable), so back-to-back loops (~60 MatMuls per token) do not pay for
// wake-ups; and a ParallelFor does not wait for workers that have not joined it by the time the
// caller has claimed the last task (on an oversubscribed machine they may not run for a while).
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
  // Runs the current job's share for `thread` (ParallelFor tasks or the RunOnAll callback).
  void RunShare(int thread);
  void Dispatch();  // publishes the job, runs share 0, waits for the workers that joined it
  template <class Pred>
  void WaitDone(Pred done);  // spins, then blocks on cv_done_, until done()

  int n_threads_;
  std::vector<std::thread> workers_;
  // Job slots, written by the controlling thread before generation_ is bumped (release) and
  // read by workers after they observe the new generation (acquire).
  const std::function<void(int, int)>* job_all_ = nullptr;
  const std::function<void(int64_t, int)>* job_for_ = nullptr;
  int64_t job_n_ = 0;
  alignas(64) std::atomic<int64_t> next_task_{0};
  alignas(64) std::atomic<uint64_t> generation_{0};
  // Workers currently inside a job (registered before checking closed_).
  alignas(64) std::atomic<int> running_{0};
  // Workers that finished their RunOnAll share.
  alignas(64) std::atomic<int> all_done_{0};
  // Highest generation whose job is closed: workers arriving later skip it.
  alignas(64) std::atomic<uint64_t> closed_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> in_job_{false};
  // Blocking after the spin phase: generation_ is bumped with mu_ held, and running_ / all_done_
  // reach their target before mu_ is taken for notifying, so a waiter cannot miss the change.
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
};

}  // namespace sangam
