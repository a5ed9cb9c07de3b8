// FNV-1a for stable line hashing (SHA-256 lives in core: sangam/sha256.h).
#include <cstdint>

#include "sangam/corpus.h"

namespace sangam::adapt {

uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : data) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace sangam::adapt
