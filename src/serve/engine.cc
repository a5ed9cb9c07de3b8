// The serving engine: slots, the bounded queue and the continuous-batching step loop.
#include "serve/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "sangam/log.h"
#include "sangam/tokenizer.h"

namespace sangam::serve {
namespace {

double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// Length of the longest prefix of `s` that ends on a UTF-8 character boundary.
size_t Utf8Boundary(const std::string& s, size_t n) {
  n = std::min(n, s.size());
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

const char* FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
    case FinishReason::kError: return "error";
    case FinishReason::kNone: break;
  }
  return "none";
}

// ---- RequestState ----

Progress RequestState::Wait(double timeout_s) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait_for(lk, std::chrono::duration<double>(timeout_s), [&] { return done_ || !pending_.empty(); });
  Progress p;
  p.text.swap(pending_);
  p.done = done_;
  p.reason = reason_;
  p.error = error_;
  p.prompt_tokens = prompt_tokens_;
  p.completion_tokens = completion_tokens_;
  p.cached_tokens = cached_tokens_;
  return p;
}

double RequestState::first_token_time() const {
  std::lock_guard<std::mutex> lk(const_cast<std::mutex&>(mu_));
  return first_token_time_;
}

void RequestState::Append(const std::string& text, int64_t completion_tokens) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    pending_ += text;
    if (completion_tokens > 0 && first_token_time_ == 0) first_token_time_ = Now();
    completion_tokens_ = completion_tokens;
  }
  cv_.notify_all();
}

void RequestState::Finish(FinishReason reason, std::string error, int64_t completion_tokens) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (done_) return;
    done_ = true;
    if (completion_tokens >= 0) completion_tokens_ = completion_tokens;
    reason_ = reason;
    error_ = std::move(error);
    if (first_token_time_ == 0) first_token_time_ = Now();
  }
  cv_.notify_all();
}

// ---- Slots ----

struct Engine::Slot {
  int id = 0;
  bool active = false;
  bool prefilling = false;
  uint64_t admitted = 0;               // admission order (prefill fairness)
  int adapter = -2;                    // adapter whose LoRAs the cache was computed with (-2 = none yet)
  std::vector<int32_t> cached;         // tokens whose KV is in the cache, in order
  std::shared_ptr<RequestState> state;
  GenerationRequest req;
  size_t n_prompt_done = 0;            // prompt tokens in the cache
  int32_t next_token = -1;             // sampled, not yet evaluated
  int64_t n_generated = 0;
  std::unique_ptr<sample::Sampler> sampler;
  std::unique_ptr<tokenizer::StreamDecoder> decoder;
  std::unique_ptr<sample::JsonMatcher> matcher;
  std::string text;                    // generated text (after stop-string cuts)
  size_t released = 0;                 // bytes of `text` handed to the request
  size_t max_stop = 0;                 // longest stop string
  bool at_start = true;                // leading whitespace of a reply is not content
};

struct Engine::EmbedJob {
  std::vector<std::vector<int32_t>> inputs;
  std::vector<std::vector<float>> out;
  Status status;
  bool done = false;
  std::mutex mu;
  std::condition_variable cv;
};

Engine::Engine(const model::Model& model, const EngineOptions& opts, std::vector<AdapterChoice> adapters)
    : model_(model), opts_(opts), adapters_(std::move(adapters)) {}

Result<std::unique_ptr<Engine>> Engine::Create(const model::Model& model, const EngineOptions& opts,
                                               std::vector<AdapterChoice> adapters) {
  if (opts.n_parallel < 1 || opts.n_parallel > 1024) {
    return InvalidArgumentError(StrFormat("serve: --parallel must be in [1, 1024], got %d", opts.n_parallel));
  }
  if (opts.n_batch < 1 || opts.prefill_chunk < 1) {
    return InvalidArgumentError("serve: batch and prefill chunk sizes must be >= 1");
  }
  std::unique_ptr<Engine> e(new Engine(model, opts, std::move(adapters)));
  e->pool_ = std::make_unique<ThreadPool>(opts.threads);
  model::ContextOptions co;
  co.n_ctx = opts.n_ctx;
  co.n_seq = opts.n_parallel;
  co.n_batch = std::max<int64_t>(opts.n_batch, opts.n_parallel);
  co.loras = opts.base_loras;
  ASSIGN_OR_RETURN(e->ctx_, model::Context::Create(model, co));
  e->n_ctx_ = e->ctx_->n_ctx();
  // Validate every adapter combination up front (SetLoras checks shapes).
  for (const AdapterChoice& a : e->adapters_) {
    std::vector<model::AppliedLora> all = opts.base_loras;
    all.insert(all.end(), a.loras.begin(), a.loras.end());
    RETURN_IF_ERROR(e->ctx_->SetLoras(0, all));
  }
  RETURN_IF_ERROR(e->ctx_->SetLoras(-1, opts.base_loras));
  for (int i = 0; i < opts.n_parallel; ++i) {
    auto s = std::make_unique<Slot>();
    s->id = i;
    s->adapter = -1;
    e->slots_.push_back(std::move(s));
  }
  e->counters_.slots = opts.n_parallel;
  e->thread_ = std::thread([p = e.get()] { p->Loop(); });
  return e;
}

Engine::~Engine() { Shutdown(); }

void Engine::Shutdown() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  EngineStats s = counters_;
  s.queued = queue_.size();
  s.active = active_;
  return s;
}

Result<std::shared_ptr<RequestState>> Engine::Submit(GenerationRequest req) {
  if (req.prompt.empty()) return InvalidArgumentError("the prompt is empty");
  if (req.adapter < -1 || req.adapter >= static_cast<int>(adapters_.size())) {
    return InvalidArgumentError(StrFormat("unknown adapter index %d", req.adapter));
  }
  const int32_t n_vocab = model_.tokenizer().n_vocab();
  for (int32_t t : req.prompt) {
    if (t < 0 || t >= n_vocab) return InvalidArgumentError(StrFormat("token id %d is out of range [0, %d)", t, n_vocab));
  }
  if (static_cast<int64_t>(req.prompt.size()) >= n_ctx_) {
    return OutOfRangeError(StrFormat(
        "the prompt is %zu tokens but the context holds %lld per request (leave room for at least one "
        "generated token; the server's -c/--ctx-size sets it)",
        req.prompt.size(), static_cast<long long>(n_ctx_)));
  }
  RETURN_IF_ERROR(sample::ValidateParams(req.sampling));
  auto st = std::make_shared<RequestState>();
  st->submit_time_ = Now();
  st->prompt_tokens_ = static_cast<int64_t>(req.prompt.size());
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) return UnavailableError("the server is shutting down");
    if (queue_.size() >= opts_.max_queue && active_ >= static_cast<int>(slots_.size())) {
      return ResourceExhaustedError(StrFormat(
          "the server is busy: all %zu slots are generating and %zu requests are queued; retry later",
          slots_.size(), queue_.size()));
    }
    queue_.push_back({st, std::move(req)});
  }
  cv_.notify_all();
  return st;
}

Result<std::vector<std::vector<float>>> Engine::Embed(std::vector<std::vector<int32_t>> inputs) {
  const int32_t n_vocab = model_.tokenizer().n_vocab();
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) return InvalidArgumentError(StrFormat("input %zu is empty", i));
    if (static_cast<int64_t>(inputs[i].size()) > n_ctx_) {
      return OutOfRangeError(StrFormat("input %zu is %zu tokens but the context holds %lld", i,
                                       inputs[i].size(), static_cast<long long>(n_ctx_)));
    }
    for (int32_t t : inputs[i]) {
      if (t < 0 || t >= n_vocab) return InvalidArgumentError(StrFormat("input %zu: token id %d is out of range", i, t));
    }
  }
  auto job = std::make_shared<EmbedJob>();
  job->inputs = std::move(inputs);
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) return UnavailableError("the server is shutting down");
    embed_queue_.push_back(job);
  }
  cv_.notify_all();
  std::unique_lock<std::mutex> lk(job->mu);
  job->cv.wait(lk, [&] { return job->done; });
  if (!job->status.ok()) return job->status;
  return std::move(job->out);
}

void Engine::RunEmbed(EmbedJob& job) {
  Status st;
  if (!embed_ctx_) {
    model::ContextOptions co;
    co.n_ctx = n_ctx_;
    co.n_seq = 1;
    co.n_batch = opts_.n_batch;
    co.loras = opts_.base_loras;
    co.embeddings = true;
    auto c = model::Context::Create(model_, co);
    if (!c.ok()) st = c.status();
    else embed_ctx_ = std::move(c).value();
  }
  const int64_t C = model_.hparams().n_embd;
  std::vector<model::BatchToken> batch;
  for (size_t i = 0; st.ok() && i < job.inputs.size(); ++i) {
    const auto& in = job.inputs[i];
    embed_ctx_->SeqClear(0);
    batch.clear();
    for (size_t t = 0; t < in.size(); ++t) batch.push_back({in[t], static_cast<int32_t>(t), 0, true});
    st = embed_ctx_->Decode(*pool_, batch);
    if (!st.ok()) break;
    std::vector<double> acc(static_cast<size_t>(C), 0.0);
    for (size_t t = 0; t < in.size(); ++t) {
      const float* e = embed_ctx_->Embedding(static_cast<int>(t));
      for (int64_t c = 0; c < C; ++c) acc[static_cast<size_t>(c)] += e[c];
    }
    double norm = 0;
    for (double& v : acc) {
      v /= static_cast<double>(in.size());
      norm += v * v;
    }
    norm = std::sqrt(norm);
    std::vector<float> out(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      out[static_cast<size_t>(c)] = static_cast<float>(norm > 0 ? acc[static_cast<size_t>(c)] / norm : 0.0);
    }
    job.out.push_back(std::move(out));
    std::lock_guard<std::mutex> lk(mu_);
    counters_.prompt_tokens += static_cast<int64_t>(in.size());
  }
  std::lock_guard<std::mutex> lk(job.mu);
  job.status = st;
  job.done = true;
  job.cv.notify_all();
}

void Engine::Loop() {
  while (true) {
    std::shared_ptr<EmbedJob> embed;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty() || active_ > 0 || !embed_queue_.empty(); });
      if (stop_) {
        for (auto& p : queue_) p.state->Finish(FinishReason::kError, "the server is shutting down");
        queue_.clear();
        for (auto& j : embed_queue_) {
          std::lock_guard<std::mutex> jl(j->mu);
          j->status = UnavailableError("the server is shutting down");
          j->done = true;
          j->cv.notify_all();
        }
        embed_queue_.clear();
        lk.unlock();
        for (auto& s : slots_) {
          if (s->active) FinishSlot(*s, FinishReason::kError, "the server is shutting down");
        }
        return;
      }
      // Drop requests cancelled while queued, then admit into free slots.
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->state->cancelled()) {
          it->state->Finish(FinishReason::kCancelled);
          it = queue_.erase(it);
        } else {
          ++it;
        }
      }
      while (!queue_.empty() && active_ < static_cast<int>(slots_.size())) {
        Pending p = std::move(queue_.front());
        queue_.pop_front();
        ++active_;
        lk.unlock();
        Admit(std::move(p.state), std::move(p.req));
        lk.lock();
      }
      if (!embed_queue_.empty()) {
        embed = embed_queue_.front();
        embed_queue_.pop_front();
      }
    }
    if (embed) RunEmbed(*embed);
    for (auto& s : slots_) {
      if (s->active && s->state->cancelled()) FinishSlot(*s, FinishReason::kCancelled);
    }
    Step();
  }
}

void Engine::Admit(std::shared_ptr<RequestState> st, GenerationRequest req) {
  // The free slot whose cache shares the longest prefix with the prompt (same adapter).
  Slot* best = nullptr;
  size_t best_common = 0;
  for (auto& s : slots_) {
    if (s->active) continue;
    size_t common = 0;
    if (s->adapter == req.adapter) {
      while (common < s->cached.size() && common < req.prompt.size() && s->cached[common] == req.prompt[common]) ++common;
    }
    if (best == nullptr || common > best_common) {
      best = s.get();
      best_common = common;
    }
  }
  Slot& s = *best;
  if (s.adapter != req.adapter) {
    std::vector<model::AppliedLora> all = opts_.base_loras;
    if (req.adapter >= 0) {
      const auto& extra = adapters_[static_cast<size_t>(req.adapter)].loras;
      all.insert(all.end(), extra.begin(), extra.end());
    }
    const Status ls = ctx_->SetLoras(s.id, all);
    if (!ls.ok()) {
      st->Finish(FinishReason::kError, ls.message());
      std::lock_guard<std::mutex> lk(mu_);
      --active_;
      return;
    }
    s.adapter = req.adapter;
    best_common = 0;
  }
  if (best_common == req.prompt.size()) --best_common;  // the last prompt token must be evaluated
  ctx_->SeqTruncate(s.id, static_cast<int64_t>(best_common));
  s.cached.resize(best_common);
  s.active = true;
  s.prefilling = true;
  s.admitted = ++admit_counter_;
  s.n_prompt_done = best_common;
  s.next_token = -1;
  s.n_generated = 0;
  s.text.clear();
  s.released = 0;
  s.at_start = true;
  s.max_stop = 0;
  for (const auto& stop : req.stop) s.max_stop = std::max(s.max_stop, stop.size());
  s.sampler = std::make_unique<sample::Sampler>(req.sampling);
  for (int32_t t : req.prompt) s.sampler->Accept(t);
  s.decoder = std::make_unique<tokenizer::StreamDecoder>(
      model_.tokenizer(), tokenizer::StreamDecoder::Options{.render_special = false, .strip_leading_space = true});
  s.matcher.reset();
  if (req.json) {
    s.matcher = std::make_unique<sample::JsonMatcher>(req.json);
    if (!json_filter_) json_filter_ = std::make_unique<sample::JsonTokenFilter>(model_.tokenizer());
  }
  {
    std::lock_guard<std::mutex> lk(st->mu_);
    st->cached_tokens_ = static_cast<int64_t>(best_common);
  }
  s.state = std::move(st);
  s.req = std::move(req);
}

void Engine::Step() {
  batch_.clear();
  batch_slot_.clear();
  // 1. The next token of every generating slot.
  std::vector<Slot*> decoding;
  for (auto& sp : slots_) {
    Slot& s = *sp;
    if (!s.active || s.prefilling) continue;
    batch_.push_back({s.next_token, static_cast<int32_t>(s.cached.size()), s.id, true});
    batch_slot_.push_back(s.id);
    decoding.push_back(&s);
  }
  // 2. Prompt chunks, oldest request first, within the step's token budget.
  std::vector<Slot*> pre;
  for (auto& sp : slots_) {
    if (sp->active && sp->prefilling) pre.push_back(sp.get());
  }
  std::sort(pre.begin(), pre.end(), [](const Slot* a, const Slot* b) { return a->admitted < b->admitted; });
  int64_t budget = std::max<int64_t>(opts_.n_batch - static_cast<int64_t>(batch_.size()), 0);
  std::vector<std::pair<Slot*, size_t>> chunks;
  for (Slot* s : pre) {
    if (budget <= 0) break;
    const size_t remaining = s->req.prompt.size() - s->n_prompt_done;
    const size_t n = static_cast<size_t>(std::min<int64_t>({static_cast<int64_t>(remaining), budget, opts_.prefill_chunk}));
    for (size_t i = 0; i < n; ++i) {
      const size_t idx = s->n_prompt_done + i;
      const bool last = idx + 1 == s->req.prompt.size();
      batch_.push_back({s->req.prompt[idx], static_cast<int32_t>(idx), s->id, last});
      if (last) batch_slot_.push_back(s->id);
    }
    chunks.push_back({s, n});
    budget -= static_cast<int64_t>(n);
  }
  if (batch_.empty()) return;
  const Status st = ctx_->Decode(*pool_, batch_);
  if (!st.ok()) {
    LOG_ERROR("serve: forward step failed: %s", st.message().c_str());
    for (auto& s : slots_) {
      if (s->active) FinishSlot(*s, FinishReason::kError, "internal error: " + st.message());
    }
    return;
  }
  int64_t n_prompt = 0;
  for (auto& [s, n] : chunks) {
    s->cached.insert(s->cached.end(), s->req.prompt.begin() + static_cast<std::ptrdiff_t>(s->n_prompt_done),
                     s->req.prompt.begin() + static_cast<std::ptrdiff_t>(s->n_prompt_done + n));
    s->n_prompt_done += n;
    n_prompt += static_cast<int64_t>(n);
    if (s->n_prompt_done == s->req.prompt.size()) s->prefilling = false;
  }
  for (Slot* s : decoding) s->cached.push_back(s->next_token);  // now in the cache
  {
    std::lock_guard<std::mutex> lk(mu_);
    counters_.steps += 1;
    counters_.step_tokens += static_cast<int64_t>(batch_.size());
    counters_.prompt_tokens += n_prompt;
  }
  for (size_t i = 0; i < batch_slot_.size(); ++i) {
    Slot& s = *slots_[static_cast<size_t>(batch_slot_[i])];
    if (!s.active) continue;
    SampleSlot(s, ctx_->Logits(static_cast<int>(i)));
  }
}

void Engine::SampleSlot(Slot& s, const float* logits) {
  const tokenizer::Tokenizer& tok = model_.tokenizer();
  const int32_t n_vocab = tok.n_vocab();
  if (s.matcher) {
    masked_.assign(logits, logits + n_vocab);
    if (json_filter_->Mask(*s.matcher, masked_.data()) <= 0) {
      FinishSlot(s, FinishReason::kError, "internal error: no token can continue the JSON output");
      return;
    }
    logits = masked_.data();
  }
  const int32_t id = s.sampler->Sample(logits, n_vocab);
  if (tok.IsEog(id) && !(s.req.ignore_eos && !s.matcher)) {
    FinishSlot(s, FinishReason::kStop);
    return;
  }
  s.sampler->Accept(id);
  s.n_generated += 1;
  {
    std::lock_guard<std::mutex> lk(mu_);
    counters_.generated_tokens += 1;
  }
  if (s.matcher) s.matcher->Feed(tok.TokenToPiece(id));
  std::string piece = s.decoder->Push(id);
  if (s.at_start && !s.matcher) {
    const size_t k = piece.find_first_not_of(" \n");
    piece.erase(0, k == std::string::npos ? piece.size() : k);
    s.at_start = piece.empty();
  }
  s.text += piece;
  // Stop strings: cut at the first occurrence; otherwise hold back what could start one.
  if (s.max_stop > 0) {
    const size_t from = s.released >= s.max_stop ? s.released - s.max_stop : 0;
    size_t cut = std::string::npos;
    for (const std::string& stop : s.req.stop) {
      if (stop.empty()) continue;
      const size_t p = s.text.find(stop, from);
      if (p != std::string::npos) cut = std::min(cut, p);
    }
    if (cut != std::string::npos) {
      s.text.resize(cut);
      FinishSlot(s, FinishReason::kStop, "", /*flush=*/false);
      return;
    }
  }
  const bool at_limit = (s.req.max_tokens >= 0 && s.n_generated >= s.req.max_tokens);
  const bool ctx_full = static_cast<int64_t>(s.cached.size()) >= n_ctx_;  // `id` cannot be evaluated
  if (at_limit || ctx_full) {
    FinishSlot(s, FinishReason::kLength);
    return;
  }
  const size_t hold = s.max_stop > 0 ? s.max_stop - 1 : 0;
  const size_t upto = s.text.size() > hold ? Utf8Boundary(s.text, s.text.size() - hold) : 0;
  if (upto > s.released) {
    s.state->Append(s.text.substr(s.released, upto - s.released), s.n_generated);
    s.released = upto;
  } else {
    s.state->Append("", s.n_generated);
  }
  s.next_token = id;
}

void Engine::FinishSlot(Slot& s, FinishReason reason, const std::string& error, bool flush) {
  if (reason == FinishReason::kStop || reason == FinishReason::kLength) {
    if (flush && s.decoder) s.text += s.decoder->Flush();
    // Constrained output always parses: close whatever is open when the budget ran out.
    if (s.matcher && !s.matcher->Complete()) s.text += s.matcher->ShortestCompletion();
  }
  if (s.released < s.text.size() && reason != FinishReason::kError && reason != FinishReason::kCancelled) {
    s.state->Append(s.text.substr(s.released), s.n_generated);
    s.released = s.text.size();
  }
  // Free the slot first, so that a finished request always means a free slot.
  std::shared_ptr<RequestState> st = s.state;
  const int64_t generated = s.n_generated;
  Release(s, true);
  st->Finish(reason, error, generated);
}

void Engine::Release(Slot& s, bool /*final*/) {
  // Keep the cache for prefix reuse: `cached` lists exactly what it holds.
  s.cached.resize(std::min<size_t>(s.cached.size(), static_cast<size_t>(ctx_->SeqLength(s.id))));
  s.active = false;
  s.prefilling = false;
  s.state.reset();
  s.sampler.reset();
  s.decoder.reset();
  s.matcher.reset();
  std::lock_guard<std::mutex> lk(mu_);
  --active_;
}

}  // namespace sangam::serve
