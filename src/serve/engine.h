// The serving engine: continuous batching of many generation requests over one model.
//
// One engine thread owns a Context with N slots (sequences), each with its own KV cache. Every
// step it runs ONE batched forward that holds the next token of every generating slot plus
// chunks of pending prompts (at most `prefill_chunk` tokens per prompt and `n_batch` tokens in
// all, so a long prompt never stalls the others), then samples each slot. New requests join
// between steps; a bounded queue holds the rest. A cancelled request (client gone, timeout)
// frees its slot before the next step. Because sangam's kernels are batch-invariant, a
// request's logits -- hence its greedy output -- do not depend on which other requests share
// its steps.
//
// Free slots keep their KV cache: a new request takes the free slot sharing the longest token
// prefix with its prompt (same adapter) and evaluates only the rest (multi-turn chats).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sangam/json_constraint.h"
#include "sangam/lora.h"
#include "sangam/model.h"
#include "sangam/sample.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"

namespace sangam::serve {

struct EngineOptions {
  int n_parallel = 4;           // slots
  int64_t n_ctx = 0;            // tokens per slot; 0 = min(trained context, 4096)
  int64_t n_batch = 512;        // max tokens per forward step
  int64_t prefill_chunk = 128;  // max prompt tokens of one request per step
  size_t max_queue = 64;        // requests waiting for a slot; more are refused
  int threads = 0;              // 0 = physical cores
  std::vector<model::AppliedLora> base_loras;  // applied to every request (--lora FILE)
};

// A selectable adapter (`model: "base:NAME"`): applied on top of the base LoRAs.
struct AdapterChoice {
  std::string name;
  std::vector<model::AppliedLora> loras;
};

enum class FinishReason { kNone, kStop, kLength, kCancelled, kError };
const char* FinishReasonName(FinishReason r);  // "stop", "length", "cancelled", "error"

struct GenerationRequest {
  std::vector<int32_t> prompt;        // with BOS if the model wants one; non-empty
  sample::SamplerParams sampling;
  int64_t max_tokens = -1;            // -1 = until end of generation or the context is full
  std::vector<std::string> stop;      // stop strings (not included in the output)
  int adapter = -1;                   // index into the engine's adapters; -1 = base
  std::shared_ptr<const sample::JsonConstraint> json;  // constrained decoding (null = free text)
  bool ignore_eos = false;            // keep generating past end-of-generation tokens
};

// What the engine has produced for one request so far. Filled by the engine thread, read by the
// thread that serves the request.
struct Progress {
  std::string text;                   // new text since the previous Wait (whole UTF-8 characters)
  bool done = false;
  FinishReason reason = FinishReason::kNone;
  std::string error;                  // when reason == kError
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;          // prompt tokens reused from a slot's cache
};

class RequestState {
 public:
  // Waits until there is new text, the request is done, or `timeout_s` passed; returns what is new.
  Progress Wait(double timeout_s);
  // Asks the engine to stop this request (client gone, timeout); it frees the slot before its
  // next step. Idempotent.
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }
  double submit_time() const { return submit_time_; }
  double first_token_time() const;    // 0 until the first token was produced

 private:
  friend class Engine;
  void Append(const std::string& text, int64_t completion_tokens);
  void Finish(FinishReason reason, std::string error = "", int64_t completion_tokens = -1);

  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;
  bool done_ = false;
  FinishReason reason_ = FinishReason::kNone;
  std::string error_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0, cached_tokens_ = 0;
  std::atomic<bool> cancelled_{false};
  double submit_time_ = 0;
  double first_token_time_ = 0;
};

struct EngineStats {
  int slots = 0;
  int active = 0;
  size_t queued = 0;
  int64_t prompt_tokens = 0;      // evaluated (not reused from cache), total
  int64_t generated_tokens = 0;   // total
  int64_t steps = 0;              // forward steps
  int64_t step_tokens = 0;        // tokens in all steps (average batch = step_tokens / steps)
};

class Engine {
 public:
  // The model and the adapters must outlive the engine.
  static Result<std::unique_ptr<Engine>> Create(const model::Model& model, const EngineOptions& opts,
                                                std::vector<AdapterChoice> adapters);
  ~Engine();

  // Queues a request. InvalidArgument (empty prompt, bad adapter), OutOfRange (prompt does not
  // fit the context: the message names both sizes), ResourceExhausted (queue full),
  // Unavailable (shutting down).
  Result<std::shared_ptr<RequestState>> Submit(GenerationRequest req);
  // Mean-pooled, L2-normalised embeddings of each input (run by the engine thread between steps).
  // OutOfRange when an input exceeds the context; InvalidArgument for an empty input.
  Result<std::vector<std::vector<float>>> Embed(std::vector<std::vector<int32_t>> inputs);
  // Stops the engine thread; queued and running requests finish with an error.
  void Shutdown();

  EngineStats stats() const;
  int64_t n_ctx() const { return n_ctx_; }
  const model::Model& model() const { return model_; }
  const std::vector<AdapterChoice>& adapters() const { return adapters_; }

 private:
  struct Slot;
  struct EmbedJob;
  Engine(const model::Model& model, const EngineOptions& opts, std::vector<AdapterChoice> adapters);
  void Loop();
  void Admit(std::shared_ptr<RequestState> st, GenerationRequest req);
  void Step();
  void SampleSlot(Slot& s, const float* logits);
  void FinishSlot(Slot& s, FinishReason reason, const std::string& error = "", bool flush = true);
  void Release(Slot& s, bool final);
  void RunEmbed(EmbedJob& job);

  const model::Model& model_;
  EngineOptions opts_;
  std::vector<AdapterChoice> adapters_;
  int64_t n_ctx_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<model::Context> ctx_;
  std::unique_ptr<model::Context> embed_ctx_;  // created on first use
  std::unique_ptr<sample::JsonTokenFilter> json_filter_;  // created on first use
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<model::BatchToken> batch_;
  std::vector<int> batch_slot_;  // slot of each logits row
  std::vector<float> masked_;    // logits scratch for constrained decoding
  uint64_t admit_counter_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  struct Pending {
    std::shared_ptr<RequestState> state;
    GenerationRequest req;
  };
  std::deque<Pending> queue_;
  std::deque<std::shared_ptr<EmbedJob>> embed_queue_;
  bool stop_ = false;
  int active_ = 0;
  EngineStats counters_;
  std::thread thread_;
};

}  // namespace sangam::serve
