// GGUF v3 (also v2) files: a validated, memory-mapped reader and a writer.
//
// Reader: File::Open maps the file; tensor data pointers point into the mapping (no copies).
// Every structural problem is a Status naming the file and the offending key or tensor:
//   DataLoss: bad magic, truncation anywhere, counts/lengths larger than the remaining bytes
//     (checked before allocating), unknown value types, empty or duplicate keys, nesting deeper
//     than kMaxArrayNesting, general.alignment not a u32 power of two, n_dims outside 1..4,
//     negative/zero/overflowing dimensions, ne[0] not a multiple of the block size, tensor
//     offsets not aligned, data past the end of the file, overlapping tensors, empty or
//     duplicate tensor names.
//   Unimplemented: GGUF v1, big-endian files, versions > 3, tensor types sangam cannot compute
//     with (message names the type, e.g. "Q5_K (type 13)", and lists the supported ones).
//   ResourceExhausted: more than kMaxMetadataElements metadata array elements.
// Keys need not be valid UTF-8. Tensor data may be followed by padding or trailing bytes.
// A File is immutable after construction and safe to share across threads.
#pragma once

#include <cstdint>
#include <functional>
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
// "u8", "i32", "f32", "string", "array", ... ("type#N" for ids outside the enum).
const char* ValueTypeName(ValueType t);

// Nested arrays deeper than this are rejected by the reader (an array of arrays is depth 2).
inline constexpr int kMaxArrayNesting = 8;
// Total number of metadata array elements a file may hold (all arrays, all depths). Real models
// have a few hundred thousand; the limit bounds memory for hostile files.
inline constexpr uint64_t kMaxMetadataElements = uint64_t{1} << 23;

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

  static Value U8(uint8_t v);
  static Value I8(int8_t v);
  static Value U16(uint16_t v);
  static Value I16(int16_t v);
  static Value U32(uint32_t v);
  static Value I32(int32_t v);
  static Value U64(uint64_t v);
  static Value I64(int64_t v);
  static Value F32(float v);
  static Value F64(double v);
  static Value Bool(bool v);
  static Value Str(std::string v);
  static Value StrArray(std::vector<std::string> v);
  static Value F32Array(const std::vector<float>& v);
  static Value I32Array(const std::vector<int32_t>& v);
  static Value U32Array(const std::vector<uint32_t>& v);
  // An array of `elem_type` whose elements are `elems` (each of type elem_type; for
  // elem_type == kArray each element is itself an array Value).
  static Value Array(ValueType elem_type, std::vector<Value> elems);
  bool is_integer() const;  // any integer scalar type
  bool is_float() const;
  // "u32", "string", "array[f32]", "array[array[i32]]" (for error messages).
  std::string TypeString() const;
  // Deep equality of type and content (floats compared bitwise-by-value; NaN != NaN).
  bool operator==(const Value& o) const;
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
  // Not validated: with duplicate keys or tensor names, Find/FindTensor return the first.
  // alignment() comes from a valid general.alignment entry (else 32); version() is 3.
  static std::unique_ptr<File> FromParts(std::vector<std::pair<std::string, Value>> metadata,
                                         std::vector<TensorInfo> tensors,
                                         std::shared_ptr<const void> backing, std::string name);

  uint32_t version() const { return version_; }
  const std::string& path() const { return path_; }
  size_t alignment() const { return alignment_; }
  size_t file_size() const { return file_size_; }
  // Byte offset of the tensor data section in the file (0 for FromParts files).
  size_t data_offset() const { return data_offset_; }
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
  size_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::map<std::string, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
  std::unique_ptr<MappedFile> mapping_;
  std::shared_ptr<const void> backing_;
};

// Writes GGUF v3 as llama.cpp does (tensor data aligned, each tensor including the last padded
// to the alignment). Keys keep insertion order; setting a key twice replaces the value.
// Tensor data is copied at Write time from the given pointers (which must stay valid until then).
// Array elements are written as the array's elem_type (each element's matching field is used).
// Alignment: SetAlignment(a) or Set("general.alignment", U32(a)); a must be a power of two.
// When it is not 32, general.alignment = a is written (appended if not Set). Not thread-safe.
class Writer {
 public:
  void Set(const std::string& key, Value v);
  void SetAlignment(size_t a) { alignment_ = a; }
  // ne[0] is the row length. data must hold RowBytes(type, ne[0]) * rows bytes.
  // InvalidArgument for an empty or duplicate name, 0 or > 4 dims, a dim <= 0, ne[0] not a
  // multiple of the block size, an unsupported type, overflow, or null data.
  Status AddTensor(const std::string& name, tensor::DType type, std::vector<int64_t> ne,
                   const void* data);
  // Like AddTensor, but the bytes are produced at Write time by a TensorFiller (so a converter
  // can stream a model of GBs through one tensor-sized buffer). Same validation as AddTensor.
  Status AddTensorDeferred(const std::string& name, tensor::DType type, std::vector<int64_t> ne);
  // Fills dst[0, n_bytes) with the bytes of tensor `index` (AddTensor/AddTensorDeferred order).
  using TensorFiller = std::function<Status(size_t index, uint8_t* dst, size_t n_bytes)>;
  // Streams to path + ".tmp" through a 1 MiB buffer, fsyncs, then renames over `path`
  // (the .tmp is removed on failure). InvalidArgument for a bad alignment, Io for I/O errors.
  Status Write(const std::string& path) const;
  // Same, calling `fill` for each deferred tensor in file order (one reusable buffer sized for
  // the largest deferred tensor); a filler error aborts the write and removes the .tmp file.
  // Without a filler, deferred tensors make Write fail with InvalidArgument.
  Status Write(const std::string& path, const TensorFiller& fill) const;
  // Serializes to memory (tests); returns "" when the alignment is invalid or a tensor is
  // deferred.
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
