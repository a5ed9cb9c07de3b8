// Scalar reference dot products, activation quantizers and tile kernels (oracle + fallback).
#include <cstring>

#include "tensor/kernels/kernels.h"

namespace sangam::tensor::kernels {
namespace {

uint16_t LoadU16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

template <float (*Dot)(const uint8_t*, const uint8_t*, int64_t)>
void TileRef(const uint8_t* w, size_t w_stride, int64_t n_rows, const uint8_t* a, size_t a_stride,
             int64_t n_tok, int64_t k, float* y, int64_t y_stride) {
  for (int64_t t = 0; t < n_tok; ++t) {
    for (int64_t r = 0; r < n_rows; ++r) {
      y[t * y_stride + r] = Dot(w + r * w_stride, a + t * a_stride, k);
    }
  }
}

float DotF32Bytes(const uint8_t* w, const uint8_t* a, int64_t k) {
  double s = 0;
  for (int64_t i = 0; i < k; ++i) {
    float wv, xv;
    std::memcpy(&wv, w + 4 * i, 4);
    std::memcpy(&xv, a + 4 * i, 4);
    s += static_cast<double>(wv) * xv;
  }
  return static_cast<float>(s);
}
float DotF16Bytes(const uint8_t* w, const uint8_t* a, int64_t k) {
  double s = 0;
  for (int64_t i = 0; i < k; ++i) {
    float xv;
    std::memcpy(&xv, a + 4 * i, 4);
    s += static_cast<double>(F16ToF32(LoadU16(w + 2 * i))) * xv;
  }
  return static_cast<float>(s);
}
float DotBF16Bytes(const uint8_t* w, const uint8_t* a, int64_t k) {
  double s = 0;
  for (int64_t i = 0; i < k; ++i) {
    float xv;
    std::memcpy(&xv, a + 4 * i, 4);
    s += static_cast<double>(BF16ToF32(LoadU16(w + 2 * i))) * xv;
  }
  return static_cast<float>(s);
}

}  // namespace

float DotF32Ref(const float* w, const float* x, int64_t k) {
  return DotF32Bytes(reinterpret_cast<const uint8_t*>(w), reinterpret_cast<const uint8_t*>(x), k);
}
float DotF16Ref(const uint8_t* w, const float* x, int64_t k) {
  return DotF16Bytes(w, reinterpret_cast<const uint8_t*>(x), k);
}
float DotBF16Ref(const uint8_t* w, const float* x, int64_t k) {
  return DotBF16Bytes(w, reinterpret_cast<const uint8_t*>(x), k);
}

float DotQ8_0Q8_0Ref(const uint8_t* w, const uint8_t* a, int64_t k) {
  const auto* wb = reinterpret_cast<const BlockQ8_0*>(w);
  const auto* ab = reinterpret_cast<const BlockQ8_0*>(a);
  const int64_t nb = k / kQK;
  double s = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t isum = 0;
    for (int j = 0; j < kQK; ++j) isum += wb[i].qs[j] * ab[i].qs[j];
    const float scale = F16ToF32(wb[i].d) * F16ToF32(ab[i].d);
    s += static_cast<double>(scale) * isum;
  }
  return static_cast<float>(s);
}

float DotQ4_0Q8_0Ref(const uint8_t* w, const uint8_t* a, int64_t k) {
  const auto* wb = reinterpret_cast<const BlockQ4_0*>(w);
  const auto* ab = reinterpret_cast<const BlockQ8_0*>(a);
  const int64_t nb = k / kQK;
  double s = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t isum = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      isum += ((wb[i].qs[j] & 0xF) - 8) * ab[i].qs[j];
      isum += ((wb[i].qs[j] >> 4) - 8) * ab[i].qs[j + kQK / 2];
    }
    const float scale = F16ToF32(wb[i].d) * F16ToF32(ab[i].d);
    s += static_cast<double>(scale) * isum;
  }
  return static_cast<float>(s);
}

float DotQ4_KQ8_KRef(const uint8_t* w, const uint8_t* a, int64_t k) {
  const auto* wb = reinterpret_cast<const BlockQ4_K*>(w);
  const auto* ab = reinterpret_cast<const BlockQ8_K*>(a);
  const int64_t nb = k / kQKK;
  double s = 0;
  for (int64_t i = 0; i < nb; ++i) {
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      ScaleMinK4(j, wb[i].scales, &sc, &m);
      const uint8_t* q = wb[i].qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      int32_t sub = 0;
      for (int l = 0; l < 32; ++l) sub += ((q[l] >> shift) & 0xF) * ab[i].qs[32 * j + l];
      isum += sc * sub;
      msum += m * (ab[i].bsums[2 * j] + ab[i].bsums[2 * j + 1]);
    }
    const float d = F16ToF32(wb[i].d) * ab[i].d;
    const float dmin = F16ToF32(wb[i].dmin) * ab[i].d;
    s += static_cast<double>(d) * isum - static_cast<double>(dmin) * msum;
  }
  return static_cast<float>(s);
}

float DotQ6_KQ8_KRef(const uint8_t* w, const uint8_t* a, int64_t k) {
  const auto* wb = reinterpret_cast<const BlockQ6_K*>(w);
  const auto* ab = reinterpret_cast<const BlockQ8_K*>(a);
  const int64_t nb = k / kQKK;
  double s = 0;
  int8_t q[kQKK];
  for (int64_t i = 0; i < nb; ++i) {
    const uint8_t* ql = wb[i].ql;
    const uint8_t* qh = wb[i].qh;
    for (int n = 0; n < kQKK; n += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        q[n + l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
        q[n + l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
        q[n + l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        q[n + l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    int32_t isum = 0;
    for (int j = 0; j < 16; ++j) {
      int32_t sub = 0;
      for (int l = 0; l < 16; ++l) sub += q[16 * j + l] * ab[i].qs[16 * j + l];
      isum += wb[i].scales[j] * sub;
    }
    const float d = F16ToF32(wb[i].d) * ab[i].d;
    s += static_cast<double>(d) * isum;
  }
  return static_cast<float>(s);
}

void QuantActQ8_0Ref(const float* x, uint8_t* dst, int64_t k) {
  QuantizeRow(DType::kQ8_0, x, dst, k);
  const int64_t nb = k / kQK;
  std::memset(dst + nb * 34, 0, Q8ActScalesOffset(k) - static_cast<size_t>(nb) * 34);
  auto* scales = reinterpret_cast<float*>(dst + Q8ActScalesOffset(k));
  auto* sums = reinterpret_cast<int32_t*>(dst + Q8ActScalesOffset(k) + static_cast<size_t>(nb) * 4);
  const auto* b = reinterpret_cast<const BlockQ8_0*>(dst);
  for (int64_t i = 0; i < nb; ++i) {
    scales[i] = F16ToF32(b[i].d);
    int32_t s = 0;
    for (int j = 0; j < kQK; ++j) s += b[i].qs[j];
    sums[i] = s;
  }
  InterleaveQ8Act(dst, k);
}

void QuantActQ8_KRef(const float* x, uint8_t* dst, int64_t k) { QuantizeRow(DType::kQ8_K, x, dst, k); }

void FillReference(KernelTable* t) {
  t->isa = Isa::kReference;
  t->tile[kWF32] = TileRef<DotF32Bytes>;
  t->tile[kWF16] = TileRef<DotF16Bytes>;
  t->tile[kWBF16] = TileRef<DotBF16Bytes>;
  t->tile[kWQ8_0] = TileRef<DotQ8_0Q8_0Ref>;
  t->tile[kWQ4_0] = TileRef<DotQ4_0Q8_0Ref>;
  t->tile[kWQ4_K] = TileRef<DotQ4_KQ8_KRef>;
  t->tile[kWQ6_K] = TileRef<DotQ6_KQ8_KRef>;
  t->quant_q8_0 = QuantActQ8_0Ref;
  t->quant_q8_k = QuantActQ8_KRef;
}

}  // namespace sangam::tensor::kernels
