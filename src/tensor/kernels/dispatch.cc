// Picks the kernel table once at start-up from CPUID (capped by env SANGAM_ISA); ForceIsa for tests.
#include <cpuid.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "sangam/log.h"
#include "tensor/kernels/kernels.h"

namespace sangam::tensor {
namespace kernels {
namespace {

KernelTable BuildTable(Isa isa) {
  KernelTable t;
  FillReference(&t);
  if (isa >= Isa::kAvx2) FillAvx2(&t);
  if (isa >= Isa::kAvx512) FillAvx512(&t);
  t.isa = isa;
  return t;
}

const KernelTable& Table(Isa isa) {
  static const KernelTable tables[3] = {BuildTable(Isa::kReference), BuildTable(Isa::kAvx2),
                                        BuildTable(Isa::kAvx512)};
  return tables[static_cast<int>(isa)];
}

Isa BestIsa() {
  Isa best = Isa::kReference;
  if (CpuHasIsa(Isa::kAvx512)) {
    best = Isa::kAvx512;
  } else if (CpuHasIsa(Isa::kAvx2)) {
    best = Isa::kAvx2;
  }
  if (const char* env = std::getenv("SANGAM_ISA")) {
    Isa cap = best;
    if (std::strcmp(env, "ref") == 0) cap = Isa::kReference;
    else if (std::strcmp(env, "avx2") == 0) cap = Isa::kAvx2;
    else if (std::strcmp(env, "avx512") == 0) cap = Isa::kAvx512;
    else LOG_WARN("SANGAM_ISA='%s' not understood (ref|avx2|avx512); using %s", env, IsaName(best));
    if (cap < best) best = cap;
  }
  return best;
}

std::atomic<const KernelTable*>& ActivePtr() {
  static std::atomic<const KernelTable*> p{&Table(BestIsa())};
  return p;
}

}  // namespace

const KernelTable& Active() { return *ActivePtr().load(std::memory_order_acquire); }
const KernelTable& TableFor(Isa isa) { return Table(isa); }

int WeightKindOf(DType t) {
  switch (t) {
    case DType::kF32: return kWF32;
    case DType::kF16: return kWF16;
    case DType::kBF16: return kWBF16;
    case DType::kQ8_0: return kWQ8_0;
    case DType::kQ4_0: return kWQ4_0;
    case DType::kQ4_K: return kWQ4_K;
    case DType::kQ6_K: return kWQ6_K;
    case DType::kQ8_K: return -1;
  }
  return -1;
}

size_t ActRowBytes(WeightKind kind, int64_t k) {
  switch (kind) {
    case kWQ8_0:
    case kWQ4_0:
      return Q8ActGroupsOffset(k) + static_cast<size_t>(Q8GroupCount(k)) * kQ8GroupBytes;
    case kWQ4_K:
    case kWQ6_K:
      return static_cast<size_t>(k / kQKK) * sizeof(BlockQ8_K);
    default:
      return static_cast<size_t>(k) * 4;
  }
}

}  // namespace kernels

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kReference: return "ref";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

namespace {

// F16C and BMI2 straight from CPUID (clang 14's __builtin_cpu_supports does not know "f16c").
bool CpuHasF16cAndBmi2() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 29))) return false;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  return (b & (1u << 8)) != 0;
}

}  // namespace

bool CpuHasIsa(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kReference:
      return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             CpuHasF16cAndBmi2();
    case Isa::kAvx512:
      return CpuHasIsa(Isa::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512bf16");
  }
  return false;
}

Isa SelectedIsa() { return kernels::Active().isa; }

bool ForceIsa(Isa isa) {
  if (!CpuHasIsa(isa)) return false;
  kernels::ActivePtr().store(&kernels::Table(isa), std::memory_order_release);
  return true;
}

}  // namespace sangam::tensor
