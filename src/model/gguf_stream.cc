// Streaming GGUF output: layout by gguf::Writer over a zero buffer, then pwrite per tensor.
#include "model/gguf_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sangam::model {
namespace {

Status PwriteAll(int fd, const uint8_t* p, size_t n, uint64_t off, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError(StrFormat("model: %s: write failed: %s", path.c_str(), std::strerror(errno)));
    }
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return Status::Ok();
}

}  // namespace

Status WriteGgufStreaming(const std::vector<std::pair<std::string, gguf::Value>>& metadata,
                          size_t alignment, const std::vector<StreamTensor>& tensors,
                          const TensorFiller& fill, const std::string& path) {
  std::vector<size_t> sizes(tensors.size());
  size_t max_bytes = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const StreamTensor& t = tensors[i];
    int64_t rows = 1;
    for (size_t d = 1; d < t.ne.size(); ++d) rows *= t.ne[d];
    if (t.ne.empty() || t.ne[0] % tensor::Traits(t.type).block_size != 0) {
      return InvalidArgumentError("model: tensor '" + t.name + "' has a row length that is not a "
                                  "multiple of its type's block size");
    }
    sizes[i] = tensor::RowBytes(t.type, t.ne[0]) * static_cast<size_t>(rows);
    max_bytes = std::max(max_bytes, sizes[i]);
  }
  std::vector<uint8_t> buf(std::max<size_t>(max_bytes, 1), 0);

  gguf::Writer w;
  w.SetAlignment(alignment);
  for (const auto& kv : metadata) w.Set(kv.first, kv.second);
  for (const StreamTensor& t : tensors) RETURN_IF_ERROR(w.AddTensor(t.name, t.type, t.ne, buf.data()));
  const std::string partial = path + ".partial";
  RETURN_IF_ERROR(w.Write(partial));

  std::vector<uint64_t> offsets(tensors.size());
  {
    auto f = gguf::File::Open(partial);
    if (!f.ok()) {
      ::unlink(partial.c_str());
      return f.status().WithPrefix("model: re-reading the file just written");
    }
    for (size_t i = 0; i < tensors.size(); ++i) {
      const gguf::TensorInfo* ti = (*f)->FindTensor(tensors[i].name);
      if (ti == nullptr || ti->n_bytes != sizes[i]) {
        ::unlink(partial.c_str());
        return InternalError("model: tensor '" + tensors[i].name + "' not laid out as expected");
      }
      offsets[i] = (*f)->data_offset() + ti->offset;
    }
  }
  const int fd = ::open(partial.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return IoError(StrFormat("model: %s: cannot open: %s", partial.c_str(), std::strerror(errno)));
  }
  Status st;
  for (size_t i = 0; i < tensors.size() && st.ok(); ++i) {
    st = fill(i, buf.data(), sizes[i]);
    if (st.ok()) st = PwriteAll(fd, buf.data(), sizes[i], offsets[i], partial);
  }
  if (st.ok() && ::fsync(fd) != 0) {
    st = IoError(StrFormat("model: %s: fsync failed: %s", partial.c_str(), std::strerror(errno)));
  }
  ::close(fd);
  if (st.ok() && ::rename(partial.c_str(), path.c_str()) != 0) {
    st = IoError(StrFormat("model: %s: rename failed: %s", path.c_str(), std::strerror(errno)));
  }
  if (!st.ok()) ::unlink(partial.c_str());
  return st;
}

void ConvertRows(ThreadPool& pool, const gguf::TensorInfo& t, tensor::DType to, void* dst,
                 const RowFn& source, const RowFn& edit) {
  const int64_t cols = t.ne[0];
  const int64_t rows = t.n_elements() / cols;
  const size_t in_row = tensor::RowBytes(t.type, cols);
  const size_t out_row = tensor::RowBytes(to, cols);
  uint8_t* out = static_cast<uint8_t*>(dst);
  const int64_t group = std::max<int64_t>(1, 16384 / cols);
  const int64_t n_groups = (rows + group - 1) / group;
  std::vector<std::vector<float>> scratch(static_cast<size_t>(pool.size()));
  pool.ParallelFor(n_groups, [&](int64_t g, int thread) {
    std::vector<float>& row = scratch[static_cast<size_t>(thread)];
    row.resize(static_cast<size_t>(cols));
    for (int64_t r = g * group; r < std::min(rows, (g + 1) * group); ++r) {
      if (source) {
        source(r, row.data());
      } else {
        tensor::DequantizeRow(t.type, t.data + static_cast<size_t>(r) * in_row, row.data(), cols);
      }
      if (edit) edit(r, row.data());
      tensor::QuantizeRow(to, row.data(), out + static_cast<size_t>(r) * out_row, cols);
    }
  });
}

}  // namespace sangam::model
