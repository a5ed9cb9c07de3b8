// Hand-rolled GGUF byte builder for tests (independent of gguf::Writer).
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace sangam::gguf::testing {

class Bytes {
 public:
  Bytes& U8(uint8_t v) { return Raw(&v, 1); }
  Bytes& U16(uint16_t v) { return Raw(&v, 2); }
  Bytes& U32(uint32_t v) { return Raw(&v, 4); }
  Bytes& I32(int32_t v) { return Raw(&v, 4); }
  Bytes& U64(uint64_t v) { return Raw(&v, 8); }
  Bytes& I64(int64_t v) { return Raw(&v, 8); }
  Bytes& F32(float v) { return Raw(&v, 4); }
  Bytes& Str(const std::string& s) {
    U64(s.size());
    return Raw(s.data(), s.size());
  }
  Bytes& Raw(const void* p, size_t n) {
    s_.append(static_cast<const char*>(p), n);
    return *this;
  }
  Bytes& Fill(size_t n, char c = 0) {
    s_.append(n, c);
    return *this;
  }
  Bytes& PadTo(size_t alignment) {
    while (s_.size() % alignment != 0) s_.push_back(0);
    return *this;
  }
  // GGUF header: magic, version, n_tensors, n_kv.
  Bytes& Header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    Raw("GGUF", 4);
    U32(version);
    U64(n_tensors);
    return U64(n_kv);
  }
  Bytes& KvU32(const std::string& key, uint32_t v) {
    Str(key);
    U32(4);
    return U32(v);
  }
  Bytes& KvStr(const std::string& key, const std::string& v) {
    Str(key);
    U32(8);
    return Str(v);
  }
  Bytes& TensorInfo(const std::string& name, const std::vector<int64_t>& ne, uint32_t type,
                    uint64_t offset) {
    Str(name);
    U32(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) I64(d);
    U32(type);
    return U64(offset);
  }
  size_t size() const { return s_.size(); }
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// A fresh empty directory under the test temp dir, removed by the caller's TearDown if wanted.
inline std::string MakeTempDir(const std::string& tag) {
  std::filesystem::path p = std::filesystem::temp_directory_path() /
                            ("sangam_formats_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

}  // namespace sangam::gguf::testing
