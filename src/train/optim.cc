// AdamW and SGD (PyTorch semantics), learning-rate schedules, gradient clipping.
#include "sangam/optim.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <utility>

namespace sangam::train {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'O', 'P', 'T', '0', '0', '1'};

Status CheckParams(const char* who, std::span<const ParamRef> params,
                   const std::vector<int64_t>& sizes) {
  if (params.size() != sizes.size()) {
    return InvalidArgumentError(std::string(who) + ": step got " + std::to_string(params.size()) +
                                " parameters, optimizer was built for " +
                                std::to_string(sizes.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].n != sizes[i]) {
      return InvalidArgumentError(std::string(who) + ": parameter " + std::to_string(i) + " has " +
                                  std::to_string(params[i].n) + " values, expected " +
                                  std::to_string(sizes[i]));
    }
  }
  return Status::Ok();
}

void Put(std::string& out, const void* p, size_t n) {
  out.append(static_cast<const char*>(p), n);
}

// Layout: magic[8], kind u32, step i64, n_params i64, sizes i64[n], n_buffers_per_param u32,
// then for each buffer set, for each param, its floats.
void SerializeParts(uint32_t kind, int64_t step, const std::vector<int64_t>& sizes,
                    const std::vector<const std::vector<std::vector<float>>*>& sets,
                    std::string* header, std::vector<std::string_view>* parts) {
  std::string& out = *header;
  out.clear();
  Put(out, kMagic, 8);
  Put(out, &kind, 4);
  Put(out, &step, 8);
  const int64_t n = static_cast<int64_t>(sizes.size());
  Put(out, &n, 8);
  for (int64_t s : sizes) Put(out, &s, 8);
  const uint32_t n_sets = static_cast<uint32_t>(sets.size());
  Put(out, &n_sets, 4);
  parts->clear();
  parts->push_back(out);
  for (const auto* set : sets) {
    for (const auto& b : *set) {
      parts->emplace_back(reinterpret_cast<const char*>(b.data()), b.size() * sizeof(float));
    }
  }
}

std::string Serialize(uint32_t kind, int64_t step, const std::vector<int64_t>& sizes,
                      const std::vector<const std::vector<std::vector<float>>*>& sets) {
  std::string header;
  std::vector<std::string_view> parts;
  SerializeParts(kind, step, sizes, sets, &header, &parts);
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

Status Deserialize(const char* who, uint32_t kind, std::string_view bytes,
                   const std::vector<int64_t>& sizes, int64_t* step,
                   const std::vector<std::vector<std::vector<float>>*>& sets) {
  size_t off = 0;
  auto get = [&](void* p, size_t n) {
    if (bytes.size() - off < n) return false;
    std::memcpy(p, bytes.data() + off, n);
    off += n;
    return true;
  };
  const std::string where = std::string(who) + ": optimizer state: ";
  char magic[8];
  uint32_t k = 0, n_sets = 0;
  int64_t st = 0, n = 0;
  if (!get(magic, 8) || std::memcmp(magic, kMagic, 8) != 0) {
    return DataLossError(where + "bad magic (not a sangam optimizer state)");
  }
  if (!get(&k, 4) || k != kind) {
    return InvalidArgumentError(where + "written by another optimizer kind (" + std::to_string(k) +
                                ", expected " + std::to_string(kind) + ")");
  }
  if (!get(&st, 8) || st < 0) return DataLossError(where + "truncated or negative step");
  if (!get(&n, 8) || n != static_cast<int64_t>(sizes.size())) {
    return InvalidArgumentError(where + "parameter count " + std::to_string(n) +
                                " does not match " + std::to_string(sizes.size()));
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    int64_t s = 0;
    if (!get(&s, 8) || s != sizes[i]) {
      return InvalidArgumentError(where + "parameter " + std::to_string(i) + " size " +
                                  std::to_string(s) + " does not match " +
                                  std::to_string(sizes[i]));
    }
  }
  if (!get(&n_sets, 4) || n_sets != sets.size()) {
    return DataLossError(where + "unexpected number of state buffers " + std::to_string(n_sets));
  }
  size_t need = 0;
  for (int64_t s : sizes) need += static_cast<size_t>(s) * sizeof(float) * sets.size();
  if (bytes.size() - off != need) {
    return DataLossError(where + "payload is " + std::to_string(bytes.size() - off) +
                         " bytes, expected " + std::to_string(need));
  }
  for (auto* set : sets) {
    set->resize(sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) {
      (*set)[i].resize(static_cast<size_t>(sizes[i]));
      get((*set)[i].data(), static_cast<size_t>(sizes[i]) * sizeof(float));
    }
  }
  *step = st;
  return Status::Ok();
}

std::vector<std::vector<float>> Zeros(const std::vector<int64_t>& sizes) {
  std::vector<std::vector<float>> z;
  for (int64_t s : sizes) z.emplace_back(static_cast<size_t>(s), 0.0f);
  return z;
}

}  // namespace

// ---- AdamW --------------------------------------------------------------------------------

AdamW::AdamW(const AdamWParams& params, std::vector<int64_t> sizes)
    : params_(params), sizes_(std::move(sizes)), m_(Zeros(sizes_)), v_(Zeros(sizes_)) {}

Status AdamW::Step(std::span<const ParamRef> params, float lr) {
  RETURN_IF_ERROR(CheckParams("adamw", params, sizes_));
  ++step_;
  const float b1 = params_.beta1, b2 = params_.beta2, eps = params_.eps;
  const float bc1 = 1.0f - static_cast<float>(std::pow(static_cast<double>(b1), step_));
  const float bc2 = 1.0f - static_cast<float>(std::pow(static_cast<double>(b2), step_));
  const float decay = 1.0f - lr * params_.weight_decay;
  for (size_t k = 0; k < params.size(); ++k) {
    float* p = params[k].data;
    const float* g = params[k].grad;
    float* m = m_[k].data();
    float* v = v_[k].data();
    for (int64_t i = 0; i < params[k].n; ++i) {
      p[i] *= decay;
      m[i] = b1 * m[i] + (1.0f - b1) * g[i];
      v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
      const float mhat = m[i] / bc1;
      const float vhat = v[i] / bc2;
      p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
  }
  return Status::Ok();
}

std::string AdamW::SerializeState() const { return Serialize(1, step_, sizes_, {&m_, &v_}); }
void AdamW::SerializeStateParts(std::string* header, std::vector<std::string_view>* parts) const {
  SerializeParts(1, step_, sizes_, {&m_, &v_}, header, parts);
}

Status AdamW::RestoreState(std::string_view bytes) {
  std::vector<std::vector<float>> m, v;
  int64_t st = 0;
  RETURN_IF_ERROR(Deserialize("adamw", 1, bytes, sizes_, &st, {&m, &v}));
  m_ = std::move(m);
  v_ = std::move(v);
  step_ = st;
  return Status::Ok();
}

// ---- SGD ----------------------------------------------------------------------------------

Sgd::Sgd(const SgdParams& params, std::vector<int64_t> sizes)
    : params_(params), sizes_(std::move(sizes)), buf_(Zeros(sizes_)) {}

Status Sgd::Step(std::span<const ParamRef> params, float lr) {
  RETURN_IF_ERROR(CheckParams("sgd", params, sizes_));
  const bool first = step_ == 0;
  ++step_;
  const float mu = params_.momentum, wd = params_.weight_decay, damp = params_.dampening;
  for (size_t k = 0; k < params.size(); ++k) {
    float* p = params[k].data;
    const float* gr = params[k].grad;
    float* b = buf_[k].data();
    for (int64_t i = 0; i < params[k].n; ++i) {
      float g = gr[i];
      if (wd != 0.0f) g += wd * p[i];
      if (mu != 0.0f) {
        b[i] = first ? g : mu * b[i] + (1.0f - damp) * g;
        g = params_.nesterov ? g + mu * b[i] : b[i];
      }
      p[i] -= lr * g;
    }
  }
  return Status::Ok();
}

std::string Sgd::SerializeState() const { return Serialize(2, step_, sizes_, {&buf_}); }
void Sgd::SerializeStateParts(std::string* header, std::vector<std::string_view>* parts) const {
  SerializeParts(2, step_, sizes_, {&buf_}, header, parts);
}

Status Sgd::RestoreState(std::string_view bytes) {
  std::vector<std::vector<float>> b;
  int64_t st = 0;
  RETURN_IF_ERROR(Deserialize("sgd", 2, bytes, sizes_, &st, {&b}));
  buf_ = std::move(b);
  step_ = st;
  return Status::Ok();
}

// ---- Schedules and clipping ---------------------------------------------------------------

float LrSchedule::LrAt(int64_t step) const {
  auto warm = [&](int64_t s) {
    if (warmup_steps <= 0 || s >= warmup_steps) return base_lr;
    return base_lr * static_cast<float>(s + 1) / static_cast<float>(warmup_steps);
  };
  auto cosine = [&](int64_t s, int64_t n) {
    double progress = n <= 0 ? 1.0 : static_cast<double>(s) / static_cast<double>(n);
    progress = std::clamp(progress, 0.0, 1.0);
    const double c = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return static_cast<float>(min_lr + (static_cast<double>(base_lr) - min_lr) * c);
  };
  switch (kind) {
    case LrScheduleKind::kConstant:
      return base_lr;
    case LrScheduleKind::kWarmup:
      return warm(step);
    case LrScheduleKind::kCosine:
      return cosine(step, total_steps);
    case LrScheduleKind::kWarmupCosine:
      if (step < warmup_steps) return warm(step);
      return cosine(step - warmup_steps, total_steps - warmup_steps);
  }
  return base_lr;
}

float ClipGradNorm(std::span<float* const> grads, std::span<const int64_t> sizes, float max_norm) {
  double sq = 0.0;
  for (size_t k = 0; k < grads.size(); ++k) {
    for (int64_t i = 0; i < sizes[k]; ++i) sq += static_cast<double>(grads[k][i]) * grads[k][i];
  }
  const float norm = static_cast<float>(std::sqrt(sq));
  if (max_norm > 0.0f && norm > max_norm) {
    const float f = max_norm / (norm + 1e-6f);
    for (size_t k = 0; k < grads.size(); ++k) {
      for (int64_t i = 0; i < sizes[k]; ++i) grads[k][i] *= f;
    }
  }
  return norm;
}

}  // namespace sangam::train
