// DType traits (GGML block layouts), names, and half/bfloat16 conversions.
#include <cctype>
#include <cstring>

#include "sangam/tensor.h"

namespace sangam::tensor {
namespace {

// Block layouts (bytes): Q4_0 = f16 d + 16 nibble bytes (32 values); Q8_0 = f16 d + 32 int8;
// Q4_K = f16 d, f16 dmin, 12 scale bytes, 128 nibble bytes (256 values);
// Q6_K = 128 low-nibble bytes, 64 high-bit bytes, 16 int8 scales, f16 d (256 values);
// Q8_K = f32 d, 256 int8, 16 int16 block sums.
constexpr DTypeTraits kTraits[] = {
    {DType::kF32, "F32", 1, 4, false},
    {DType::kF16, "F16", 1, 2, false},
    {DType::kBF16, "BF16", 1, 2, false},
    {DType::kQ4_0, "Q4_0", 32, 18, true},
    {DType::kQ8_0, "Q8_0", 32, 34, true},
    {DType::kQ4_K, "Q4_K", 256, 144, true},
    {DType::kQ6_K, "Q6_K", 256, 210, true},
    {DType::kQ8_K, "Q8_K", 256, 292, true},
};

const char* kGgmlNames[] = {"F32",  "F16",  "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1",
                            "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
                            "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",
                            "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};

}  // namespace

const DTypeTraits* FindDTypeTraits(uint32_t ggml_type) {
  for (const auto& t : kTraits) {
    if (static_cast<uint32_t>(t.type) == ggml_type) return &t;
  }
  return nullptr;
}

const DTypeTraits& Traits(DType t) {
  const DTypeTraits* tr = FindDTypeTraits(static_cast<uint32_t>(t));
  return tr ? *tr : kTraits[0];
}

std::string GgmlTypeName(uint32_t ggml_type) {
  if (ggml_type < sizeof(kGgmlNames) / sizeof(kGgmlNames[0])) return kGgmlNames[ggml_type];
  return "type#" + std::to_string(ggml_type);
}

Result<DType> ParseDType(const std::string& name) {
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& t : kTraits) {
    if (t.type != DType::kQ8_K && up == t.name) return t.type;
  }
  return InvalidArgumentError("unknown tensor type '" + name +
                              "'; valid types: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k");
}

size_t RowBytes(DType t, int64_t n) {
  const DTypeTraits& tr = Traits(t);
  return static_cast<size_t>(n / tr.block_size) * tr.block_bytes;
}

float F16ToF32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t F32ToF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffffu;
  if (absx > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00 | ((absx >> 13) & 0x3ff));  // NaN
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00);  // overflow -> inf
  if (absx < 0x38800000u) {  // subnormal or zero in half
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);
    uint32_t e = absx >> 23;
    uint32_t m = (absx & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e;  // bits shifted out to land in the half's 10-bit subnormal field
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    uint32_t r = m >> shift;
    if (rem > halfway || (rem == halfway && (r & 1))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = absx + 0xc8000fffu + ((absx >> 13) & 1);  // rebias exponent and round-to-even
  return static_cast<uint16_t>(sign | ((r >> 13) & 0x7fff));
}

float BF16ToF32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t F32ToBF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 64);  // quiet NaN
  return static_cast<uint16_t>((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}

}  // namespace sangam::tensor
