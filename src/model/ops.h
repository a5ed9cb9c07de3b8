// Small per-token operations of the forward pass: RMSNorm, RoPE, attention dot products (internal).
#pragma once

#include <cstdint>
#include <cstring>

namespace sangam::model {

// Exact IEEE half -> float (handles subnormals, inf, NaN) without lookup tables.
inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t em = h & 0x7fffu;
  uint32_t bits;
  if (em >= 0x7c00u) {
    bits = sign | 0x7f800000u | ((em & 0x3ffu) << 13);
  } else {
    // Place exponent+mantissa in float position, then rebias by 2^(127-15); this also turns
    // half subnormals into the right normal floats.
    const uint32_t v = em << 13;
    float f;
    std::memcpy(&f, &v, 4);
    f *= 5.192296858534828e+33f;  // 2^112
    std::memcpy(&bits, &f, 4);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// y = x / sqrt(mean(x^2) + eps) * w (sum of squares accumulated in double, as ggml does).
void RmsNorm(const float* x, const float* w, float* y, int64_t n, float eps);

// RoPE parameters resolved from the hyperparameters.
struct RopeParams {
  int64_t n_rot = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;             // linear scaling: 1 / factor
  const float* freq_factors = nullptr;  // n_rot/2 divisors (llama3 / rope_freqs.weight) or null
  bool neox = false;
};

// cos/sin for position `pos`: cs[2i] = cos(theta_i), cs[2i+1] = sin(theta_i), i < n_rot/2,
// theta_i = pos * freq_scale * base^(-2i/n_rot) / factor_i, computed the way ggml's rope cache
// does (running product of the per-pair ratio in float).
void RopeCosSin(const RopeParams& p, int32_t pos, float* cs);

// Rotates the first n_rot values of each of n_heads heads (head_dim apart) in place.
void ApplyRope(const RopeParams& p, const float* cs, float* x, int64_t n_heads, int64_t head_dim);

float Dot(const float* a, const float* b, int64_t n);
float DotF16(const float* a, const uint16_t* b, int64_t n);
// y += a * x
void Axpy(float a, const float* x, float* y, int64_t n);
void AxpyF16(float a, const uint16_t* x, float* y, int64_t n);

}  // namespace sangam::model
