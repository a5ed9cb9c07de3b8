// libFuzzer target: gguf::File::FromBuffer on arbitrary bytes, then every getter and tensor.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sangam/gguf.h"

namespace {

volatile uint64_t g_sink = 0;

void TouchValue(const sangam::gguf::Value& v) {
  g_sink = g_sink + v.u + static_cast<uint64_t>(v.i) + v.s.size() + v.TypeString().size();
  for (const auto& e : v.arr) TouchValue(e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sangam::gguf::File;
  auto r = File::FromBuffer(data, size, "fuzz.gguf");
  if (!r.ok()) {
    g_sink = g_sink + r.status().message().size();
    return 0;
  }
  const File& f = **r;
  for (const auto& [key, v] : f.metadata()) {
    TouchValue(v);
    // Every getter on every key: each either succeeds or returns a Status, never crashes.
    g_sink = g_sink + f.GetString(key).ok() + f.GetU32(key).ok() + f.GetI64(key).ok() +
             f.GetF32(key).ok() + f.GetBool(key).ok() + f.GetStringArray(key).ok() +
             f.GetF32Array(key).ok() + f.GetI32Array(key).ok() + f.GetU32Or(key, 1).ok() +
             f.GetF32Or(key, 1).ok() + f.GetBoolOr(key, true).ok() +
             f.GetStringOr(key, "").ok();
    if (f.Find(key) == nullptr) __builtin_trap();
  }
  (void)f.GetU32("missing.key");
  for (const auto& t : f.tensors()) {
    if (f.FindTensor(t.name) == nullptr) __builtin_trap();
    // Read the first and last byte of the tensor: must lie inside the buffer.
    const uint8_t* begin = t.data;
    if (begin < data || begin + t.n_bytes > data + size) __builtin_trap();
    if (t.n_bytes > 0) g_sink = g_sink + begin[0] + begin[t.n_bytes - 1];
    sangam::tensor::MatrixView m = t.AsMatrix();
    if (static_cast<size_t>(m.rows) * m.row_stride != t.n_bytes) __builtin_trap();
  }
  return 0;
}
