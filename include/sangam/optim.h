// Optimizers (AdamW, SGD with momentum), learning-rate schedules and gradient clipping.
//
// Semantics follow PyTorch's documented algorithms (torch.optim.AdamW / torch.optim.SGD).
// An optimizer is built for a fixed list of parameter sizes; Step() gets the parameters in the
// same order. The state (step count and moment buffers) serializes to bytes and back
// bit-exactly, so a resumed run continues identically. Thread-compatible (one thread per object).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::train {

// One parameter tensor: n values at data, gradient at grad (same length).
struct ParamRef {
  float* data = nullptr;
  const float* grad = nullptr;
  int64_t n = 0;
};

struct AdamWParams {
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  // Decoupled decay (p -= lr * wd * p before the Adam update). Default 0 as the project asks;
  // note torch.optim.AdamW's own default is 1e-2.
  float weight_decay = 0.0f;
};

// PyTorch AdamW (amsgrad off, maximize off), per element with t = step count after increment:
//   p -= lr * wd * p
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
//   p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
class AdamW {
 public:
  AdamW(const AdamWParams& params, std::vector<int64_t> sizes);
  // Error if the parameter list does not match the sizes given at construction.
  Status Step(std::span<const ParamRef> params, float lr);
  int64_t step() const { return step_; }
  const AdamWParams& params() const { return params_; }

  std::string SerializeState() const;
  // The same bytes without copying the moment buffers: *header receives the header, *parts the
  // pieces to concatenate (pointing into *header and the buffers; valid until the next Step).
  void SerializeStateParts(std::string* header, std::vector<std::string_view>* parts) const;
  // Error (state unchanged) if the bytes are malformed or were made for other sizes.
  Status RestoreState(std::string_view bytes);

 private:
  AdamWParams params_;
  std::vector<int64_t> sizes_;
  int64_t step_ = 0;
  std::vector<std::vector<float>> m_, v_;
};

struct SgdParams {
  float momentum = 0.0f;
  float dampening = 0.0f;
  float weight_decay = 0.0f;  // coupled (L2): g += wd * p
  bool nesterov = false;
};

// PyTorch SGD: g += wd p; if momentum: b = g on the first step, else b = mu b + (1-damp) g;
// g = nesterov ? g + mu b : b;  p -= lr g.
class Sgd {
 public:
  Sgd(const SgdParams& params, std::vector<int64_t> sizes);
  Status Step(std::span<const ParamRef> params, float lr);
  int64_t step() const { return step_; }

  std::string SerializeState() const;
  void SerializeStateParts(std::string* header, std::vector<std::string_view>* parts) const;
  Status RestoreState(std::string_view bytes);

 private:
  SgdParams params_;
  std::vector<int64_t> sizes_;
  int64_t step_ = 0;
  std::vector<std::vector<float>> buf_;
};

// Learning rate as a function of the 0-based step.
//   kConstant:     base_lr
//   kWarmup:       base_lr * min(1, (step+1) / warmup_steps)            (warmup_steps <= 0: base)
//   kCosine:       min_lr + (base_lr-min_lr) * 0.5 * (1 + cos(pi * min(1, step / decay_steps)))
//                  with decay_steps = total_steps (total_steps <= 0: min_lr)
//   kWarmupCosine: warm-up as above for step < warmup_steps, then cosine with progress
//                  (step - warmup_steps) / (total_steps - warmup_steps), clamped to [0,1]
//                  (min_lr from total_steps on).
enum class LrScheduleKind { kConstant, kWarmup, kCosine, kWarmupCosine };

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::kConstant;
  float base_lr = 1e-3f;
  float min_lr = 0.0f;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;
  float LrAt(int64_t step) const;
};

// Global L2 norm of all gradients (accumulated in double). If it exceeds max_norm (> 0), scales
// every gradient by max_norm / (norm + 1e-6) (as torch.nn.utils.clip_grad_norm_). Returns the
// norm before clipping.
float ClipGradNorm(std::span<float* const> grads, std::span<const int64_t> sizes, float max_norm);

}  // namespace sangam::train
