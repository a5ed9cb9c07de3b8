// Storage-type fallbacks and llama_ftype numbering.
#include "model/ftype.h"

namespace sangam::model {

using tensor::DType;

bool IsWeightType(DType t) {
  return tensor::FindDTypeTraits(static_cast<uint32_t>(t)) != nullptr && t != DType::kQ8_K;
}

DType StorageTypeFor(DType want, int64_t ne0) {
  auto fits = [ne0](DType t) { return ne0 % tensor::Traits(t).block_size == 0; };
  if (fits(want)) return want;
  if (want == DType::kQ4_K && fits(DType::kQ4_0)) return DType::kQ4_0;
  if (want == DType::kQ6_K && fits(DType::kQ8_0)) return DType::kQ8_0;
  return DType::kF16;
}

uint32_t LlamaFileType(DType t) {
  switch (t) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ8_0: return 7;
    case DType::kQ4_K: return 14;
    case DType::kQ6_K: return 18;
    case DType::kBF16: return 32;
    case DType::kQ8_K: break;
  }
  return 0;
}

}  // namespace sangam::model
