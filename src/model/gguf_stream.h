// Writing a GGUF file whose tensors are produced one at a time (peak memory ~ one tensor).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/thread_pool.h"

namespace sangam::model {

struct StreamTensor {
  std::string name;
  tensor::DType type = tensor::DType::kF32;
  std::vector<int64_t> ne;  // ne[0] = row length
};

// fill(i, dst, n_bytes) writes tensor i's data (n_bytes) into dst; called in tensor order.
using TensorFiller = std::function<Status(size_t index, void* dst, size_t n_bytes)>;

// Lays the file out with gguf::Writer (tensor data zero), then fills each tensor in place and
// renames the result over `path`, so a failed run never leaves a half-written `path`.
Status WriteGgufStreaming(const std::vector<std::pair<std::string, gguf::Value>>& metadata,
                          size_t alignment, const std::vector<StreamTensor>& tensors,
                          const TensorFiller& fill, const std::string& path);

// Re-encodes tensor `t` as `to` into dst, row by row in parallel: each row (ne[0] values) is
// produced by `source` (when given) or dequantized from t, then passed to `edit` (when given),
// then quantized. Row r of the output depends only on row r.
using RowFn = std::function<void(int64_t row, float* values)>;
void ConvertRows(ThreadPool& pool, const gguf::TensorInfo& t, tensor::DType to, void* dst,
                 const RowFn& source = {}, const RowFn& edit = {});

}  // namespace sangam::model
