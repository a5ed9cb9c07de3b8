// GGUF v3 writer: streams header, metadata, tensor table and padded tensor data to a sink.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "sangam/gguf.h"

namespace sangam::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747;
constexpr uint32_t kVersion = 3;
constexpr size_t kDefaultAlignment = 32;
const char kAlignmentKey[] = "general.alignment";

// Byte sink for the serializer: memory (tests) or a buffered file descriptor (models of GBs).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Append(const void* data, size_t n) = 0;
};

class StringSink : public Sink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Append(const void* data, size_t n) override {
    out_->append(static_cast<const char*>(data), n);
    return Status::Ok();
  }

 private:
  std::string* out_;
};

class FdSink : public Sink {
 public:
  FdSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) { buf_.reserve(kBuf); }
  Status Append(const void* data, size_t n) override {
    if (buf_.size() + n > kBuf) {
      RETURN_IF_ERROR(Flush());
      if (n >= kBuf) return WriteAll(data, n);
    }
    buf_.append(static_cast<const char*>(data), n);
    return Status::Ok();
  }
  Status Flush() {
    Status st = WriteAll(buf_.data(), buf_.size());
    buf_.clear();
    return st;
  }

 private:
  static constexpr size_t kBuf = size_t{1} << 20;
  Status WriteAll(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return IoError(StrFormat("gguf: %s: write failed: %s", path_.c_str(), strerror(errno)));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return Status::Ok();
  }
  int fd_;
  std::string path_;
  std::string buf_;
};

template <typename T>
Status Put(Sink& s, T v) {
  return s.Append(&v, sizeof(T));
}

Status PutString(Sink& s, const std::string& str) {
  RETURN_IF_ERROR(Put<uint64_t>(s, str.size()));
  return s.Append(str.data(), str.size());
}

Status PutPadding(Sink& s, uint64_t pos, size_t alignment) {
  static const char kZeros[256] = {};
  uint64_t pad = (alignment - pos % alignment) % alignment;
  while (pad > 0) {
    size_t n = pad < sizeof(kZeros) ? static_cast<size_t>(pad) : sizeof(kZeros);
    RETURN_IF_ERROR(s.Append(kZeros, n));
    pad -= n;
  }
  return Status::Ok();
}

// Writes the payload of `v` as type t (no type tag). Array elements are written as the array's
// elem_type, taking each element's field for that type.
Status PutPayload(Sink& s, ValueType t, const Value& v) {
  switch (t) {
    case ValueType::kUint8: return Put<uint8_t>(s, static_cast<uint8_t>(v.u));
    case ValueType::kInt8: return Put<int8_t>(s, static_cast<int8_t>(v.i));
    case ValueType::kUint16: return Put<uint16_t>(s, static_cast<uint16_t>(v.u));
    case ValueType::kInt16: return Put<int16_t>(s, static_cast<int16_t>(v.i));
    case ValueType::kUint32: return Put<uint32_t>(s, static_cast<uint32_t>(v.u));
    case ValueType::kInt32: return Put<int32_t>(s, static_cast<int32_t>(v.i));
    case ValueType::kUint64: return Put<uint64_t>(s, v.u);
    case ValueType::kInt64: return Put<int64_t>(s, v.i);
    case ValueType::kFloat32: return Put<float>(s, static_cast<float>(v.f));
    case ValueType::kFloat64: return Put<double>(s, v.f);
    case ValueType::kBool: return Put<uint8_t>(s, v.u != 0 ? 1 : 0);
    case ValueType::kString: return PutString(s, v.s);
    case ValueType::kArray: {
      RETURN_IF_ERROR(Put<uint32_t>(s, static_cast<uint32_t>(v.elem_type)));
      RETURN_IF_ERROR(Put<uint64_t>(s, v.arr.size()));
      for (const Value& e : v.arr) RETURN_IF_ERROR(PutPayload(s, v.elem_type, e));
      return Status::Ok();
    }
  }
  return InternalError("gguf: unknown value type in writer");
}

// Bytes a Value payload occupies (used to track the position for padding without a seekable sink).
uint64_t PayloadBytes(ValueType t, const Value& v) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
      return 8;
    case ValueType::kString:
      return 8 + v.s.size();
    case ValueType::kArray: {
      uint64_t n = 12;
      for (const Value& e : v.arr) n += PayloadBytes(v.elem_type, e);
      return n;
    }
  }
  return 0;
}

bool ValidAlignment(size_t a) {
  return a != 0 && (a & (a - 1)) == 0 && a <= std::numeric_limits<uint32_t>::max();
}

}  // namespace

void Writer::Set(const std::string& key, Value v) {
  if (key == kAlignmentKey && v.type == ValueType::kUint32) alignment_ = static_cast<size_t>(v.u);
  for (auto& kv : kv_) {
    if (kv.first == key) {
      kv.second = std::move(v);
      return;
    }
  }
  kv_.emplace_back(key, std::move(v));
}

Status Writer::AddTensor(const std::string& name, tensor::DType type, std::vector<int64_t> ne,
                         const void* data) {
  if (name.empty()) return InvalidArgumentError("gguf writer: tensor name is empty");
  for (const auto& t : tensors_) {
    if (t.name == name) {
      return InvalidArgumentError("gguf writer: duplicate tensor name '" + name + "'");
    }
  }
  if (ne.empty() || ne.size() > 4) {
    return InvalidArgumentError(StrFormat("gguf writer: tensor '%s' has %zu dimensions; expected 1..4",
                                          name.c_str(), ne.size()));
  }
  const tensor::DTypeTraits* tr = tensor::FindDTypeTraits(static_cast<uint32_t>(type));
  if (tr == nullptr) {
    return InvalidArgumentError(StrFormat("gguf writer: tensor '%s' has unsupported type %s",
                                          name.c_str(),
                                          tensor::GgmlTypeName(static_cast<uint32_t>(type)).c_str()));
  }
  int64_t n_el = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) {
      return InvalidArgumentError(StrFormat("gguf writer: tensor '%s' has dimension ne[%zu]=%lld",
                                            name.c_str(), d, static_cast<long long>(ne[d])));
    }
    if (__builtin_mul_overflow(n_el, ne[d], &n_el)) {
      return InvalidArgumentError("gguf writer: tensor '" + name + "' element count overflows");
    }
  }
  if (ne[0] % tr->block_size != 0) {
    return InvalidArgumentError(StrFormat(
        "gguf writer: tensor '%s' row length %lld is not a multiple of the %s block size %lld",
        name.c_str(), static_cast<long long>(ne[0]), tr->name,
        static_cast<long long>(tr->block_size)));
  }
  uint64_t n_bytes = 0;
  if (__builtin_mul_overflow(static_cast<uint64_t>(n_el / tr->block_size),
                             static_cast<uint64_t>(tr->block_bytes), &n_bytes) ||
      n_bytes > std::numeric_limits<size_t>::max()) {
    return InvalidArgumentError("gguf writer: tensor '" + name + "' byte size overflows");
  }
  if (data == nullptr) return InvalidArgumentError("gguf writer: tensor '" + name + "' has no data");
  tensors_.push_back(PendingTensor{name, type, std::move(ne), data, static_cast<size_t>(n_bytes)});
  return Status::Ok();
}

Status Writer::AddTensorDeferred(const std::string& name, tensor::DType type,
                                 std::vector<int64_t> ne) {
  // Validate through AddTensor with a placeholder pointer, then mark the data as deferred.
  static const uint8_t kPlaceholder = 0;
  RETURN_IF_ERROR(AddTensor(name, type, std::move(ne), &kPlaceholder));
  tensors_.back().data = nullptr;
  return Status::Ok();
}

namespace {

// Shared by Write and Serialize. The general.alignment key always carries the effective alignment.
Status EmitGguf(Sink& s, size_t alignment,
                       const std::vector<std::pair<std::string, Value>>& kv,
                       const std::vector<std::string>& names,
                       const std::vector<std::pair<uint32_t, std::vector<int64_t>>>& shapes,
                       const std::vector<std::pair<const void*, size_t>>& blobs,
                       const Writer::TensorFiller* fill) {
  size_t max_deferred = 0;
  for (size_t k = 0; k < blobs.size(); ++k) {
    if (blobs[k].first != nullptr) continue;
    if (fill == nullptr || !*fill) {
      return InvalidArgumentError("gguf writer: tensor '" + names[k] +
                                  "' was added deferred but no TensorFiller was given");
    }
    max_deferred = std::max(max_deferred, blobs[k].second);
  }
  if (!ValidAlignment(alignment)) {
    return InvalidArgumentError(StrFormat("gguf writer: alignment %zu is not a power of two",
                                          alignment));
  }
  bool has_key = false;
  for (const auto& e : kv) has_key = has_key || e.first == kAlignmentKey;
  const bool append_key = !has_key && alignment != kDefaultAlignment;
  const Value align_value = Value::U32(static_cast<uint32_t>(alignment));

  uint64_t pos = 0;
  RETURN_IF_ERROR(Put<uint32_t>(s, kMagic));
  RETURN_IF_ERROR(Put<uint32_t>(s, kVersion));
  RETURN_IF_ERROR(Put<uint64_t>(s, names.size()));
  RETURN_IF_ERROR(Put<uint64_t>(s, kv.size() + (append_key ? 1 : 0)));
  pos += 24;
  auto put_kv = [&](const std::string& key, const Value& v) -> Status {
    RETURN_IF_ERROR(PutString(s, key));
    RETURN_IF_ERROR(Put<uint32_t>(s, static_cast<uint32_t>(v.type)));
    RETURN_IF_ERROR(PutPayload(s, v.type, v));
    pos += 8 + key.size() + 4 + PayloadBytes(v.type, v);
    return Status::Ok();
  };
  for (const auto& e : kv) {
    RETURN_IF_ERROR(put_kv(e.first, e.first == kAlignmentKey ? align_value : e.second));
  }
  if (append_key) RETURN_IF_ERROR(put_kv(kAlignmentKey, align_value));

  uint64_t offset = 0;
  for (size_t k = 0; k < names.size(); ++k) {
    RETURN_IF_ERROR(PutString(s, names[k]));
    const auto& shape = shapes[k].second;
    RETURN_IF_ERROR(Put<uint32_t>(s, static_cast<uint32_t>(shape.size())));
    for (int64_t d : shape) RETURN_IF_ERROR(Put<int64_t>(s, d));
    RETURN_IF_ERROR(Put<uint32_t>(s, shapes[k].first));
    RETURN_IF_ERROR(Put<uint64_t>(s, offset));
    pos += 8 + names[k].size() + 4 + 8 * shape.size() + 4 + 8;
    offset += blobs[k].second;
    offset += (alignment - offset % alignment) % alignment;
  }
  if (names.empty()) return Status::Ok();
  RETURN_IF_ERROR(PutPadding(s, pos, alignment));
  std::vector<uint8_t> scratch(max_deferred);
  for (size_t k = 0; k < blobs.size(); ++k) {
    if (blobs[k].first == nullptr) {
      Status st = (*fill)(k, scratch.data(), blobs[k].second);
      if (!st.ok()) return st.WithPrefix("gguf writer: filling tensor '" + names[k] + "'");
      RETURN_IF_ERROR(s.Append(scratch.data(), blobs[k].second));
    } else {
      RETURN_IF_ERROR(s.Append(blobs[k].first, blobs[k].second));
    }
    RETURN_IF_ERROR(PutPadding(s, blobs[k].second, alignment));
  }
  return Status::Ok();
}

struct TensorLists {
  std::vector<std::string> names;
  std::vector<std::pair<uint32_t, std::vector<int64_t>>> shapes;
  std::vector<std::pair<const void*, size_t>> blobs;
};

}  // namespace

Status Writer::Write(const std::string& path) const { return Write(path, TensorFiller()); }

Status Writer::Write(const std::string& path, const TensorFiller& fill) const {
  TensorLists l;
  for (const auto& t : tensors_) {
    l.names.push_back(t.name);
    l.shapes.emplace_back(static_cast<uint32_t>(t.type), t.ne);
    l.blobs.emplace_back(t.data, t.n_bytes);
  }
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return IoError(StrFormat("gguf: %s: cannot create: %s", tmp.c_str(), strerror(errno)));
  }
  FdSink sink(fd, tmp);
  Status st = EmitGguf(sink, alignment_, kv_, l.names, l.shapes, l.blobs, &fill);
  if (st.ok()) st = sink.Flush();
  if (st.ok() && ::fsync(fd) != 0) {
    st = IoError(StrFormat("gguf: %s: fsync failed: %s", tmp.c_str(), strerror(errno)));
  }
  if (::close(fd) != 0 && st.ok()) {
    st = IoError(StrFormat("gguf: %s: close failed: %s", tmp.c_str(), strerror(errno)));
  }
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = IoError(StrFormat("gguf: %s: rename failed: %s", path.c_str(), strerror(errno)));
  }
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

std::string Writer::Serialize() const {
  TensorLists l;
  for (const auto& t : tensors_) {
    l.names.push_back(t.name);
    l.shapes.emplace_back(static_cast<uint32_t>(t.type), t.ne);
    l.blobs.emplace_back(t.data, t.n_bytes);
  }
  std::string out;
  StringSink sink(&out);
  if (!EmitGguf(sink, alignment_, kv_, l.names, l.shapes, l.blobs, nullptr).ok()) {
    return std::string();
  }
  return out;
}

}  // namespace sangam::gguf
