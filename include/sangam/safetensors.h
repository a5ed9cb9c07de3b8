// Safetensors files (Hugging Face): a validating zero-copy reader and an atomic writer.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {str: str}?, name: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}}
// then the byte buffer; offsets are relative to the buffer start, tensors are row-major with the
// shape outermost-first (as in PyTorch), little-endian, and must cover the buffer exactly with no
// overlaps and no holes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sangam/file.h"
#include "sangam/status.h"

namespace sangam::safetensors {

enum class DType {
  kBool,
  kU8,
  kI8,
  kF8E5M2,
  kF8E4M3,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64,
};

// "F32", "BF16", "BOOL", ... exactly as the format spells them.
const char* DTypeName(DType t);
// Bytes per element.
size_t DTypeSize(DType t);
// Parses a format dtype name (case-sensitive, as written in files); error for unknown names.
Result<DType> ParseDType(const std::string& name);

// One tensor of an open file. `data` points into the file's mapping (not aligned in general;
// use memcpy). Valid while the File lives.
struct Tensor {
  std::string name;
  DType dtype = DType::kF32;
  std::string dtype_name;          // as written in the header
  std::vector<int64_t> shape;      // outermost first; empty = scalar (1 element)
  const uint8_t* data = nullptr;
  size_t n_bytes = 0;
  int64_t n_elements = 0;
  size_t offset = 0;               // data_offsets[0], relative to the byte buffer
};

// A validated, memory-mapped safetensors file. Immutable after Open; thread-safe for reads.
class File {
 public:
  // Maps and validates the whole header. Every error names the file (and tensor when relevant).
  static Result<std::unique_ptr<File>> Open(const std::string& path);
  // Parses a caller-owned buffer without copying; the buffer must outlive the File.
  static Result<std::unique_ptr<File>> FromBuffer(const void* data, size_t size,
                                                  std::string name);

  // Tensors in buffer order (ascending data offset).
  const std::vector<Tensor>& tensors() const { return tensors_; }
  // Contents of "__metadata__" (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // nullptr when absent.
  const Tensor* Find(const std::string& name) const;
  const std::string& path() const { return file_->path(); }

 private:
  File() = default;
  static Result<std::unique_ptr<File>> Parse(std::unique_ptr<MappedFile> file);

  std::unique_ptr<MappedFile> file_;
  std::vector<Tensor> tensors_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Converts a float tensor (F32, F16, BF16, F64) to float32; error for other dtypes.
Result<std::vector<float>> ReadFloats(const Tensor& t);

// Builds a safetensors file. The header lists "__metadata__" first, then tensors sorted by name
// (compact JSON, keys "dtype", "shape", "data_offsets"), padded with spaces to a multiple of 8
// bytes; tensor data follow in the same order without gaps. Not thread-safe.
class Writer {
 public:
  // `data` must hold product(shape) * DTypeSize(dtype) bytes and stay valid until Write/Serialize.
  // Errors: empty or duplicate name, "__metadata__", negative dimension, size overflow.
  Status AddTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                   const void* data);
  void SetMetadata(const std::string& key, const std::string& value);
  // The whole file's bytes.
  Result<std::string> Serialize() const;
  // Writes atomically (temporary file + rename).
  Status Write(const std::string& path) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    const void* data;
    size_t n_bytes;
  };
  std::map<std::string, Entry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace sangam::safetensors
