// Interleaved (16 blocks across 16 lanes) copy of a Q8_0 activation row, shared by all ISAs.
#include <cstring>

#include "tensor/kernels/kernels.h"

namespace sangam::tensor::kernels {

void InterleaveQ8Act(uint8_t* row, int64_t k) {
  const int64_t nb = k / kQK;
  const auto* blk = reinterpret_cast<const BlockQ8_0*>(row);
  const uint8_t* scales = row + Q8ActScalesOffset(k);
  const uint8_t* sums = scales + static_cast<size_t>(nb) * 4;
  uint8_t* out = row + Q8ActGroupsOffset(k);
  const int64_t ng = Q8GroupCount(k);
  const size_t sums_end = Q8ActScalesOffset(k) + static_cast<size_t>(nb) * 8;
  std::memset(row + sums_end, 0, Q8ActGroupsOffset(k) - sums_end);
  std::memset(out, 0, static_cast<size_t>(ng) * kQ8GroupBytes);
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* g = out + static_cast<size_t>(b / 16) * kQ8GroupBytes;
    const int i = Q8LaneOfBlock(static_cast<int>(b % 16));
    for (int v = 0; v < 8; ++v) std::memcpy(g + 64 * v + 4 * i, blk[b].qs + 4 * v, 4);
    std::memcpy(g + 512 + 4 * i, scales + 4 * b, 4);
    std::memcpy(g + 576 + 4 * i, sums + 4 * b, 4);
  }
}

}  // namespace sangam::tensor::kernels
