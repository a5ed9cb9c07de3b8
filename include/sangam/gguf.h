// GGUF v3 (also v2) files: a validated, memory-mapped reader and a writer.
//
// Reader: File::Open maps the file; tensor data pointers point into the mapping (no copies).
// Every structural problem is a DataLoss/InvalidArgument/Unimplemented Status naming the
// offending key or tensor. A File is immutable after construction and safe to share across threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sangam/file.h"
#include "sangam/status.h"
#include "sangam/tensor.h"

namespace sangam::gguf {

enum class ValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
const char* ValueTypeName(ValueType t);

// A metadata value. Scalars: integers in `i` (signed types) or `u` (unsigned and bool),
// floats in `f`, strings in `s`. Arrays: elem_type plus `arr` (each element a scalar Value;
// GGUF also allows nested arrays, which are kept as Values of type kArray).
struct Value {
  ValueType type = ValueType::kUint32;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string s;
  ValueType elem_type = ValueType::kUint8;
  std::vector<Value> arr;

  static Value U32(uint32_t v);
  static Value I32(int32_t v);
  static Value U64(uint64_t v);
  static Value F32(float v);
  static Value Bool(bool v);
  static Value Str(std::string v);
  static Value StrArray(std::vector<std::string> v);
  static Value F32Array(const std::vector<float>& v);
  static Value I32Array(const std::vector<int32_t>& v);
  static Value U32Array(const std::vector<uint32_t>& v);
  bool is_integer() const;  // any integer scalar type
  bool is_float() const;
};

struct TensorInfo {
  std::string name;
  uint32_t n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the fastest-varying (row length)
  tensor::DType type = tensor::DType::kF32;
  uint64_t offset = 0;           // relative to the start of the data section
  size_t n_bytes = 0;
  const uint8_t* data = nullptr; // into the mapping (or caller-owned memory)
  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  // View as a matrix of ne[1]*ne[2]*ne[3] rows of ne[0] columns.
  tensor::MatrixView AsMatrix() const;
};

class File {
 public:
  static Result<std::unique_ptr<File>> Open(const std::string& path);
  // Parses a caller-owned buffer (must outlive the File). Used by fuzzers and tests.
  static Result<std::unique_ptr<File>> FromBuffer(const void* data, size_t size, std::string name);
  // Builds a File from parts whose tensor data points into `backing` (e.g. a llama2.c checkpoint
  // converted on load); `backing` may be null when data is owned elsewhere for the File's life.
  static std::unique_ptr<File> FromParts(std::vector<std::pair<std::string, Value>> metadata,
                                         std::vector<TensorInfo> tensors,
                                         std::shared_ptr<const void> backing, std::string name);

  uint32_t version() const { return version_; }
  const std::string& path() const { return path_; }
  size_t alignment() const { return alignment_; }
  size_t file_size() const { return file_size_; }
  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  const Value* Find(const std::string& key) const;
  const TensorInfo* FindTensor(const std::string& name) const;

  // Typed getters: NotFound when missing; InvalidArgument naming key, expected and actual type
  // when the type is wrong. Integer getters accept any integer type whose value fits.
  Result<std::string> GetString(const std::string& key) const;
  Result<uint32_t> GetU32(const std::string& key) const;
  Result<int64_t> GetI64(const std::string& key) const;
  Result<float> GetF32(const std::string& key) const;  // accepts f32/f64
  Result<bool> GetBool(const std::string& key) const;
  Result<std::vector<std::string>> GetStringArray(const std::string& key) const;
  Result<std::vector<float>> GetF32Array(const std::string& key) const;
  Result<std::vector<int32_t>> GetI32Array(const std::string& key) const;
  // Defaults when missing (still an error when present with the wrong type).
  Result<uint32_t> GetU32Or(const std::string& key, uint32_t def) const;
  Result<float> GetF32Or(const std::string& key, float def) const;
  Result<bool> GetBoolOr(const std::string& key, bool def) const;
  Result<std::string> GetStringOr(const std::string& key, const std::string& def) const;

 private:
  File() = default;
  friend class Parser;
  uint32_t version_ = 3;
  std::string path_;
  size_t alignment_ = 32;
  size_t file_size_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::map<std::string, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
  std::unique_ptr<MappedFile> mapping_;
  std::shared_ptr<const void> backing_;
};

// Writes GGUF v3. Keys keep insertion order; setting a key twice replaces the value.
// Tensor data is copied at Write time from the given pointers (which must stay valid until then).
class Writer {
 public:
  void Set(const std::string& key, Value v);
  void SetAlignment(size_t a) { alignment_ = a; }
  // ne[0] is the row length. data must hold RowBytes(type, ne[0]) * rows bytes.
  Status AddTensor(const std::string& name, tensor::DType type, std::vector<int64_t> ne,
                   const void* data);
  // Writes atomically (temporary file + rename).
  Status Write(const std::string& path) const;
  // Serializes to memory (tests).
  std::string Serialize() const;

 private:
  struct PendingTensor {
    std::string name;
    tensor::DType type;
    std::vector<int64_t> ne;
    const void* data;
    size_t n_bytes;
  };
  size_t alignment_ = 32;
  std::vector<std::pair<std::string, Value>> kv_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace sangam::gguf
