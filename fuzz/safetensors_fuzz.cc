// libFuzzer target: safetensors::File::FromBuffer on arbitrary bytes, then every tensor.
#include <cstddef>
#include <cstdint>

#include "sangam/safetensors.h"

namespace {

volatile uint64_t g_sink = 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sangam::safetensors::File;
  auto r = File::FromBuffer(data, size, "fuzz.safetensors");
  if (!r.ok()) {
    g_sink = g_sink + r.status().message().size();
    return 0;
  }
  const File& f = **r;
  for (const auto& [k, v] : f.metadata()) g_sink = g_sink + k.size() + v.size();
  for (const auto& t : f.tensors()) {
    if (f.Find(t.name) == nullptr) __builtin_trap();
    // The tensor must lie inside the buffer and match its shape.
    if (t.data < data || t.data + t.n_bytes > data + size) __builtin_trap();
    if (static_cast<size_t>(t.n_elements) * sangam::safetensors::DTypeSize(t.dtype) != t.n_bytes) {
      __builtin_trap();
    }
    if (t.n_bytes > 0) g_sink = g_sink + t.data[0] + t.data[t.n_bytes - 1];
    auto floats = sangam::safetensors::ReadFloats(t);
    if (floats.ok()) {
      if (floats->size() != static_cast<size_t>(t.n_elements)) __builtin_trap();
      if (!floats->empty()) g_sink = g_sink + static_cast<uint64_t>(floats->back() != 0.0f);
    }
  }
  return 0;
}
