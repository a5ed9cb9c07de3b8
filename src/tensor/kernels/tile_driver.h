// Walks a (rows x tokens) tile in micro-tiles of kR rows x kT tokens; each micro-tile shape has
// its own instantiation so every output keeps the same accumulation order whatever the shape.
// K provides kR, kT (largest micro-tile), kGemvRows (rows per micro-tile for one token; 0: kR)
// and template <int R, int T> Run(...).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace sangam::tensor::kernels {

using MicroFn = void (*)(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k,
                         float* y, int64_t ys);

template <class K, int R, int T>
void MicroEntry(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t k, float* y,
                int64_t ys) {
  K::template Run<R, T>(w, ws, a, as, k, y, ys);
}

template <class K, size_t... I>
constexpr std::array<MicroFn, sizeof...(I)> MakeMicroTable(std::index_sequence<I...>) {
  return {&MicroEntry<K, static_cast<int>(I / K::kT) + 1, static_cast<int>(I % K::kT) + 1>...};
}

template <class K>
void TileDriver(const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* a, size_t as,
                int64_t n_tok, int64_t k, float* y, int64_t ys) {
  static constexpr auto kTable = MakeMicroTable<K>(std::make_index_sequence<K::kR * K::kT>());
  if constexpr (K::kGemvRows > 0) {
    if (n_tok == 1) {
      // GEMV: kGemvRows rows at a time (fewer concurrent row streams suit the prefetchers).
      // The per-output operation sequence does not depend on the micro-tile shape.
      constexpr int kG = K::kGemvRows;
      for (int64_t r0 = 0; r0 < n_rows; r0 += kG) {
        const int rn = static_cast<int>(std::min<int64_t>(kG, n_rows - r0));
        kTable[(rn - 1) * K::kT](w + static_cast<size_t>(r0) * ws, ws, a, as, k, y + r0, ys);
      }
      return;
    }
  }
  for (int64_t t0 = 0; t0 < n_tok; t0 += K::kT) {
    const int tn = static_cast<int>(std::min<int64_t>(K::kT, n_tok - t0));
    for (int64_t r0 = 0; r0 < n_rows; r0 += K::kR) {
      const int rn = static_cast<int>(std::min<int64_t>(K::kR, n_rows - r0));
      kTable[(rn - 1) * K::kT + (tn - 1)](w + static_cast<size_t>(r0) * ws, ws,
                                          a + static_cast<size_t>(t0) * as, as, k,
                                          y + t0 * ys + r0, ys);
    }
  }
}

}  // namespace sangam::tensor::kernels
