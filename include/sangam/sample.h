// Token sampling: a llama.cpp-compatible sampler chain (penalties, top-k, top-p, min-p,
// temperature, then a seeded draw) over one row of logits, with its own deterministic RNG.
//
// Chain order matches llama.cpp's default (common/sampling): penalties -> top-k -> top-p ->
// min-p -> temperature -> distribution. temperature <= 0 means greedy (argmax of the penalized
// logits; the other stages cannot change the argmax and are skipped).
// A Sampler is not thread-safe; use one per sequence.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "sangam/status.h"

namespace sangam::sample {

struct SamplerParams {
  float temperature = 0.8f;       // <= 0: greedy
  int32_t top_k = 40;             // <= 0: disabled
  float top_p = 0.95f;            // >= 1: disabled
  float min_p = 0.05f;            // <= 0: disabled
  float repeat_penalty = 1.0f;    // 1: disabled (CTRL-style, divides positive logits)
  int32_t repeat_last_n = 64;     // window of recent tokens for all penalties; 0 disables them
  float frequency_penalty = 0.0f; // subtracted once per occurrence in the window
  float presence_penalty = 0.0f;  // subtracted once if present in the window
  uint64_t seed = 0;              // RNG seed: same seed + same logits -> same tokens
  size_t min_keep = 1;            // top-p / min-p keep at least this many candidates
};

// Checks ranges (temperature >= 0, 0 <= top_p <= 1, 0 <= min_p <= 1, repeat_penalty > 0,
// repeat_last_n >= 0); InvalidArgument naming the parameter otherwise.
Status ValidateParams(const SamplerParams& p);

// A small fixed 64-bit generator (xoshiro256**, seeded through splitmix64) so results do not depend
// on the standard library's distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  uint64_t Next();
  // Uniform double in [0, 1) with 53 random bits.
  double Uniform();
  // Uniform in [0, n), n > 0 (rejection sampling, no modulo bias).
  uint64_t Below(uint64_t n);
  // The raw generator state (for saving and restoring it bit-exactly).
  uint64_t* state() { return s_; }
  const uint64_t* state() const { return s_; }
  static constexpr int kStateWords = 4;

 private:
  uint64_t s_[4];
};

// One candidate token: id, (possibly modified) logit, probability (valid after Softmax).
struct Candidate {
  int32_t id;
  float logit;
  float p;
};

// The stages as free functions over a candidate list (exposed for tests). Functions that filter
// leave the surviving candidates sorted by logit, descending.
// Repetition / frequency / presence penalties over `recent` (llama.cpp semantics: a token seen c>0
// times gets logit/=repeat if logit>0 else logit*=repeat, then logit -= c*freq + presence).
void ApplyPenalties(std::vector<Candidate>& cands, const std::vector<int32_t>& recent,
                    float repeat_penalty, float frequency_penalty, float presence_penalty);
void ApplyTopK(std::vector<Candidate>& cands, int32_t k);
// Sorts, computes softmax probabilities and keeps the smallest prefix whose mass reaches p.
void ApplyTopP(std::vector<Candidate>& cands, float p, size_t min_keep);
// Keeps candidates whose probability is at least p times the largest probability.
void ApplyMinP(std::vector<Candidate>& cands, float p, size_t min_keep);
void ApplyTemperature(std::vector<Candidate>& cands, float temperature);
// Fills p with softmax(logit) (numerically stable); sorts descending when `sort` is true.
void Softmax(std::vector<Candidate>& cands, bool sort);
// Index of the largest logit (lowest id on ties).
size_t ArgMax(const std::vector<Candidate>& cands);

class Sampler {
 public:
  // Params must have passed ValidateParams (checked again here with CHECK: a programming error).
  explicit Sampler(const SamplerParams& params);

  // Runs the chain on n_vocab logits and returns the chosen token id. Does not record it: call
  // Accept() with the token actually appended to the sequence (also for prompt tokens, so the
  // penalties see them).
  int32_t Sample(const float* logits, int32_t n_vocab);
  void Accept(int32_t token);
  // Clears the penalty window and reseeds the RNG.
  void Reset();

  const SamplerParams& params() const { return params_; }

 private:
  SamplerParams params_;
  Rng rng_;
  std::deque<int32_t> recent_;
  std::vector<Candidate> cands_;
  std::vector<int32_t> recent_vec_;
};

}  // namespace sangam::sample
