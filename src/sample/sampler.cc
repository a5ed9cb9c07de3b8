// The sampler chain: penalties, top-k, top-p, min-p, temperature and a seeded categorical draw.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "sangam/log.h"
#include "sangam/sample.h"

namespace sangam::sample {
namespace {

bool ByLogitDesc(const Candidate& a, const Candidate& b) {
  if (a.logit != b.logit) return a.logit > b.logit;
  return a.id < b.id;  // deterministic order on ties
}

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Status ValidateParams(const SamplerParams& p) {
  if (!(p.temperature >= 0.0f) || !std::isfinite(p.temperature)) {
    return InvalidArgumentError(StrFormat("sample: temperature (--temp) must be >= 0 (got %g)", p.temperature));
  }
  if (!(p.top_p >= 0.0f && p.top_p <= 1.0f)) {
    return InvalidArgumentError(StrFormat("sample: top-p (--top-p) must be in [0, 1] (got %g)", p.top_p));
  }
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) {
    return InvalidArgumentError(StrFormat("sample: min-p (--min-p) must be in [0, 1] (got %g)", p.min_p));
  }
  if (!(p.repeat_penalty > 0.0f) || !std::isfinite(p.repeat_penalty)) {
    return InvalidArgumentError(
        StrFormat("sample: repeat penalty (--repeat-penalty) must be > 0 (got %g)", p.repeat_penalty));
  }
  if (p.repeat_last_n < 0) {
    return InvalidArgumentError(
        StrFormat("sample: penalty window (--repeat-last-n) must be >= 0 (got %d)", p.repeat_last_n));
  }
  if (!std::isfinite(p.frequency_penalty) || !std::isfinite(p.presence_penalty)) {
    return InvalidArgumentError("sample: frequency/presence penalties must be finite");
  }
  return Status::Ok();
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = SplitMix64(x);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

uint64_t Rng::Below(uint64_t n) {
  // Rejection sampling: draw from the largest multiple of n below 2^64.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    const uint64_t r = Next();
    if (r < limit) return r % n;
  }
}

void ApplyPenalties(std::vector<Candidate>& cands, const std::vector<int32_t>& recent,
                    float repeat_penalty, float frequency_penalty, float presence_penalty) {
  if (recent.empty()) return;
  if (repeat_penalty == 1.0f && frequency_penalty == 0.0f && presence_penalty == 0.0f) return;
  std::unordered_map<int32_t, int> counts;
  for (int32_t t : recent) ++counts[t];
  for (auto& c : cands) {
    auto it = counts.find(c.id);
    if (it == counts.end()) continue;
    const int n = it->second;
    if (c.logit <= 0.0f) {
      c.logit *= repeat_penalty;
    } else {
      c.logit /= repeat_penalty;
    }
    c.logit -= static_cast<float>(n) * frequency_penalty + presence_penalty;
  }
}

void ApplyTopK(std::vector<Candidate>& cands, int32_t k) {
  if (k <= 0 || cands.empty()) return;
  const size_t kk = std::min(static_cast<size_t>(k), cands.size());
  std::partial_sort(cands.begin(), cands.begin() + kk, cands.end(), ByLogitDesc);
  cands.resize(kk);
}

void Softmax(std::vector<Candidate>& cands, bool sort) {
  if (cands.empty()) return;
  if (sort) std::sort(cands.begin(), cands.end(), ByLogitDesc);
  float max_l = cands[0].logit;
  for (const auto& c : cands) max_l = std::max(max_l, c.logit);
  double sum = 0.0;
  for (auto& c : cands) {
    c.p = std::exp(c.logit - max_l);
    sum += c.p;
  }
  for (auto& c : cands) c.p = static_cast<float>(c.p / sum);
}

void ApplyTopP(std::vector<Candidate>& cands, float p, size_t min_keep) {
  if (p >= 1.0f || cands.empty()) return;
  Softmax(cands, /*sort=*/true);
  double cum = 0.0;
  size_t keep = cands.size();
  for (size_t i = 0; i < cands.size(); ++i) {
    cum += cands[i].p;
    if (cum >= p && i + 1 >= min_keep) {
      keep = i + 1;
      break;
    }
  }
  cands.resize(keep);
}

void ApplyMinP(std::vector<Candidate>& cands, float p, size_t min_keep) {
  if (p <= 0.0f || cands.empty()) return;
  std::sort(cands.begin(), cands.end(), ByLogitDesc);
  // p_i >= p * p_max  <=>  logit_i >= logit_max + log(p).
  const float threshold = cands[0].logit + std::log(p);
  size_t keep = 0;
  while (keep < cands.size() && cands[keep].logit >= threshold) ++keep;
  keep = std::max(keep, std::min(min_keep, cands.size()));
  cands.resize(keep);
}

void ApplyTemperature(std::vector<Candidate>& cands, float temperature) {
  if (temperature <= 0.0f) return;
  for (auto& c : cands) c.logit /= temperature;
}

size_t ArgMax(const std::vector<Candidate>& cands) {
  size_t best = 0;
  for (size_t i = 1; i < cands.size(); ++i) {
    if (cands[i].logit > cands[best].logit ||
        (cands[i].logit == cands[best].logit && cands[i].id < cands[best].id)) {
      best = i;
    }
  }
  return best;
}

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {
  CHECK_MSG(ValidateParams(params).ok(), "Sampler: params must pass ValidateParams");
}

void Sampler::Accept(int32_t token) {
  if (params_.repeat_last_n <= 0) return;
  recent_.push_back(token);
  while (recent_.size() > static_cast<size_t>(params_.repeat_last_n)) recent_.pop_front();
}

void Sampler::Reset() {
  recent_.clear();
  rng_ = Rng(params_.seed);
}

int32_t Sampler::Sample(const float* logits, int32_t n_vocab) {
  CHECK(n_vocab > 0);
  cands_.resize(static_cast<size_t>(n_vocab));
  for (int32_t i = 0; i < n_vocab; ++i) cands_[i] = Candidate{i, logits[i], 0.0f};

  recent_vec_.assign(recent_.begin(), recent_.end());
  ApplyPenalties(cands_, recent_vec_, params_.repeat_penalty, params_.frequency_penalty,
                 params_.presence_penalty);
  if (params_.temperature <= 0.0f) return cands_[ArgMax(cands_)].id;

  ApplyTopK(cands_, params_.top_k);
  ApplyTopP(cands_, params_.top_p, params_.min_keep);
  ApplyMinP(cands_, params_.min_p, params_.min_keep);
  ApplyTemperature(cands_, params_.temperature);
  Softmax(cands_, /*sort=*/false);

  const double u = rng_.Uniform();
  double cum = 0.0;
  for (const auto& c : cands_) {
    cum += c.p;
    if (u < cum) return c.id;
  }
  return cands_.back().id;  // rounding: u beyond the accumulated mass
}

}  // namespace sangam::sample
