// GGUF v2/v3 reader: validates every length, count and offset before trusting it.
#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "sangam/gguf.h"

namespace sangam::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr size_t kDefaultAlignment = 32;

// Smallest encoding of a value of type t (used to bound counts before allocating).
size_t MinValueBytes(ValueType t) {
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
    case ValueType::kString:
      return 8;
    case ValueType::kArray:
      return 12;
  }
  return 1;
}

bool KnownValueType(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kFloat64); }

std::string SupportedTypeList() {
  std::string out;
  for (uint32_t id = 0; id < 64; ++id) {
    const tensor::DTypeTraits* tr = tensor::FindDTypeTraits(id);
    if (tr == nullptr) continue;
    if (!out.empty()) out += ", ";
    out += tr->name;
  }
  return out;
}

}  // namespace

// Parses a whole GGUF image held in memory into a File (friend of File).
class Parser {
 public:
  Parser(const uint8_t* data, size_t size, std::string name)
      : data_(data), size_(size), name_(std::move(name)) {}

  Status Parse(File* f);

 private:
  size_t remaining() const { return size_ - pos_; }
  std::string Prefix() const { return "gguf: " + name_ + ": "; }

  Status Need(size_t n, const std::string& what) const {
    if (n <= remaining()) return Status::Ok();
    return DataLossError(StrFormat("%struncated file: %s at offset %zu needs %zu bytes, only %zu left",
                                   Prefix().c_str(), what.c_str(), pos_, n, remaining()));
  }

  template <typename T>
  Status Read(T* out, const std::string& what) {
    RETURN_IF_ERROR(Need(sizeof(T), what));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string* out, const std::string& what) {
    uint64_t len = 0;
    RETURN_IF_ERROR(Read(&len, what + " (length)"));
    if (len > remaining()) {
      return DataLossError(StrFormat(
          "%struncated file: %s at offset %zu claims %llu bytes, only %zu left", Prefix().c_str(),
          what.c_str(), pos_, static_cast<unsigned long long>(len), remaining()));
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return Status::Ok();
  }

  Status ReadValue(ValueType t, Value* out, const std::string& what, int depth);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string name_;
  uint64_t n_elements_ = 0;
};

Status Parser::ReadValue(ValueType t, Value* out, const std::string& what, int depth) {
  out->type = t;
  switch (t) {
    case ValueType::kUint8: {
      uint8_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->u = v;
      return Status::Ok();
    }
    case ValueType::kInt8: {
      int8_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->i = v;
      return Status::Ok();
    }
    case ValueType::kUint16: {
      uint16_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->u = v;
      return Status::Ok();
    }
    case ValueType::kInt16: {
      int16_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->i = v;
      return Status::Ok();
    }
    case ValueType::kUint32: {
      uint32_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->u = v;
      return Status::Ok();
    }
    case ValueType::kInt32: {
      int32_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->i = v;
      return Status::Ok();
    }
    case ValueType::kUint64: {
      uint64_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->u = v;
      return Status::Ok();
    }
    case ValueType::kInt64: {
      int64_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->i = v;
      return Status::Ok();
    }
    case ValueType::kFloat32: {
      float v;
      RETURN_IF_ERROR(Read(&v, what));
      out->f = v;
      return Status::Ok();
    }
    case ValueType::kFloat64: {
      double v;
      RETURN_IF_ERROR(Read(&v, what));
      out->f = v;
      return Status::Ok();
    }
    case ValueType::kBool: {
      uint8_t v;
      RETURN_IF_ERROR(Read(&v, what));
      out->u = v != 0 ? 1 : 0;
      return Status::Ok();
    }
    case ValueType::kString:
      return ReadString(&out->s, what);
    case ValueType::kArray: {
      uint32_t et = 0;
      RETURN_IF_ERROR(Read(&et, what + " (array element type)"));
      if (!KnownValueType(et)) {
        return DataLossError(StrFormat("%s%s is an array of unknown element type %u",
                                       Prefix().c_str(), what.c_str(), et));
      }
      ValueType elem = static_cast<ValueType>(et);
      if (elem == ValueType::kArray && depth + 1 >= kMaxArrayNesting) {
        return DataLossError(StrFormat("%s%s: arrays nested deeper than %d levels",
                                       Prefix().c_str(), what.c_str(), kMaxArrayNesting));
      }
      uint64_t n = 0;
      RETURN_IF_ERROR(Read(&n, what + " (array length)"));
      size_t min_bytes = MinValueBytes(elem);
      if (n > remaining() / min_bytes) {
        return DataLossError(StrFormat(
            "%struncated file: %s claims %llu elements of type %s (at least %zu bytes each) at "
            "offset %zu, only %zu bytes left",
            Prefix().c_str(), what.c_str(), static_cast<unsigned long long>(n),
            ValueTypeName(elem), min_bytes, pos_, remaining()));
      }
      n_elements_ += n;
      if (n_elements_ > kMaxMetadataElements) {
        return ResourceExhaustedError(StrFormat(
            "%smetadata holds more than %llu array elements in total (at %s); refusing to load",
            Prefix().c_str(), static_cast<unsigned long long>(kMaxMetadataElements),
            what.c_str()));
      }
      out->elem_type = elem;
      out->arr.clear();
      out->arr.resize(static_cast<size_t>(n));
      for (uint64_t k = 0; k < n; ++k) {
        Status st = ReadValue(elem, &out->arr[static_cast<size_t>(k)], what, depth + 1);
        if (!st.ok()) {
          return Status(st.code(), st.message() + StrFormat(" (array element %llu)",
                                                            static_cast<unsigned long long>(k)));
        }
      }
      return Status::Ok();
    }
  }
  return InternalError("gguf: unreachable value type");
}

Status Parser::Parse(File* f) {
  f->path_ = name_;
  f->file_size_ = size_;
  if (size_ < 4) {
    return DataLossError(StrFormat("%struncated file: %zu bytes is too small for a GGUF header",
                                   Prefix().c_str(), size_));
  }
  uint32_t magic = 0;
  RETURN_IF_ERROR(Read(&magic, "magic"));
  if (magic != kMagic) {
    return DataLossError(StrFormat(
        "%sbad magic 0x%08x: not a GGUF file (expected 'GGUF'; llama2.c checkpoints load with "
        "LoadLlama2c)",
        Prefix().c_str(), magic));
  }
  uint32_t version = 0;
  RETURN_IF_ERROR(Read(&version, "header (version)"));
  if (version == 1) {
    return UnimplementedError(StrFormat(
        "%sGGUF version 1 is not supported (only versions 2 and 3); re-convert the model with a "
        "current llama.cpp",
        Prefix().c_str()));
  }
  if (version == 0x02000000u || version == 0x03000000u) {
    return UnimplementedError(StrFormat("%sbig-endian GGUF files are not supported",
                                        Prefix().c_str()));
  }
  if (version != 2 && version != 3) {
    return UnimplementedError(StrFormat("%sunsupported GGUF version %u (supported: 2, 3)",
                                        Prefix().c_str(), version));
  }
  f->version_ = version;
  uint64_t n_tensors = 0, n_kv = 0;
  RETURN_IF_ERROR(Read(&n_tensors, "header (tensor count)"));
  RETURN_IF_ERROR(Read(&n_kv, "header (metadata count)"));
  // Smallest key/value: 8-byte length, 1-byte key, 4-byte type, 1-byte value.
  if (n_kv > remaining() / 14) {
    return DataLossError(StrFormat("%struncated file: header claims %llu metadata entries but only "
                                   "%zu bytes follow",
                                   Prefix().c_str(), static_cast<unsigned long long>(n_kv),
                                   remaining()));
  }
  // Smallest tensor info: 8-byte length, 1-byte name, n_dims, one dim, type, offset.
  if (n_tensors > remaining() / 33) {
    return DataLossError(StrFormat("%struncated file: header claims %llu tensors but only %zu "
                                   "bytes follow",
                                   Prefix().c_str(), static_cast<unsigned long long>(n_tensors),
                                   remaining()));
  }

  f->kv_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string what = StrFormat("metadata key #%llu", static_cast<unsigned long long>(k));
    std::string key;
    RETURN_IF_ERROR(ReadString(&key, what));
    if (key.empty()) return DataLossError(Prefix() + what + " is empty");
    if (f->kv_index_.count(key) != 0) {
      return DataLossError(StrFormat("%sduplicate metadata key '%s' (#%llu)", Prefix().c_str(),
                                     key.c_str(), static_cast<unsigned long long>(k)));
    }
    std::string vwhat = "value of key '" + key + "'";
    uint32_t type = 0;
    RETURN_IF_ERROR(Read(&type, vwhat + " (type)"));
    if (!KnownValueType(type)) {
      return DataLossError(StrFormat("%skey '%s' has unknown value type %u", Prefix().c_str(),
                                     key.c_str(), type));
    }
    Value v;
    RETURN_IF_ERROR(ReadValue(static_cast<ValueType>(type), &v, vwhat, 0));
    f->kv_index_.emplace(key, f->kv_.size());
    f->kv_.emplace_back(std::move(key), std::move(v));
  }

  size_t alignment = kDefaultAlignment;
  if (const Value* a = f->Find("general.alignment")) {
    if (a->type != ValueType::kUint32) {
      return DataLossError(StrFormat("%sgeneral.alignment has type %s, expected u32",
                                     Prefix().c_str(), a->TypeString().c_str()));
    }
    if (a->u == 0 || (a->u & (a->u - 1)) != 0) {
      return DataLossError(StrFormat("%sgeneral.alignment = %llu is not a power of two",
                                     Prefix().c_str(), static_cast<unsigned long long>(a->u)));
    }
    alignment = static_cast<size_t>(a->u);
  }
  f->alignment_ = alignment;

  f->tensors_.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    std::string what = StrFormat("tensor info #%llu", static_cast<unsigned long long>(k));
    TensorInfo t;
    RETURN_IF_ERROR(ReadString(&t.name, what + " (name)"));
    if (t.name.empty()) return DataLossError(Prefix() + what + " has an empty name");
    if (f->tensor_index_.count(t.name) != 0) {
      return DataLossError(StrFormat("%sduplicate tensor name '%s'", Prefix().c_str(),
                                     t.name.c_str()));
    }
    std::string tn = "tensor '" + t.name + "'";
    RETURN_IF_ERROR(Read(&t.n_dims, tn + " (n_dims)"));
    if (t.n_dims == 0 || t.n_dims > 4) {
      return DataLossError(StrFormat("%s%s has n_dims=%u; expected 1..4", Prefix().c_str(),
                                     tn.c_str(), t.n_dims));
    }
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      RETURN_IF_ERROR(Read(&t.ne[d], tn + StrFormat(" (ne[%u])", d)));
    }
    uint32_t type_id = 0;
    RETURN_IF_ERROR(Read(&type_id, tn + " (type)"));
    RETURN_IF_ERROR(Read(&t.offset, tn + " (offset)"));
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      if (t.ne[d] < 0) {
        return DataLossError(StrFormat("%s%s has negative dimension ne[%u]=%lld", Prefix().c_str(),
                                       tn.c_str(), d, static_cast<long long>(t.ne[d])));
      }
      if (t.ne[d] == 0) {
        return DataLossError(StrFormat("%s%s has zero-size dimension ne[%u]=0", Prefix().c_str(),
                                       tn.c_str(), d));
      }
    }
    const tensor::DTypeTraits* tr = tensor::FindDTypeTraits(type_id);
    if (tr == nullptr) {
      return UnimplementedError(StrFormat(
          "%s%s has type %s (type %u), which sangam does not support; supported types: %s",
          Prefix().c_str(), tn.c_str(), tensor::GgmlTypeName(type_id).c_str(), type_id,
          SupportedTypeList().c_str()));
    }
    t.type = tr->type;
    int64_t n_el = 1;
    for (int d = 0; d < 4; ++d) {
      if (__builtin_mul_overflow(n_el, t.ne[d], &n_el)) {
        return DataLossError(StrFormat("%s%s: element count %lld x %lld x %lld x %lld overflows",
                                       Prefix().c_str(), tn.c_str(),
                                       static_cast<long long>(t.ne[0]),
                                       static_cast<long long>(t.ne[1]),
                                       static_cast<long long>(t.ne[2]),
                                       static_cast<long long>(t.ne[3])));
      }
    }
    if (t.ne[0] % tr->block_size != 0) {
      return DataLossError(StrFormat(
          "%s%s: row length ne[0]=%lld is not a multiple of the %s block size %lld",
          Prefix().c_str(), tn.c_str(), static_cast<long long>(t.ne[0]), tr->name,
          static_cast<long long>(tr->block_size)));
    }
    uint64_t n_bytes = 0;
    uint64_t n_blocks = static_cast<uint64_t>(n_el / tr->block_size);
    if (__builtin_mul_overflow(n_blocks, static_cast<uint64_t>(tr->block_bytes), &n_bytes) ||
        n_bytes > std::numeric_limits<size_t>::max()) {
      return DataLossError(StrFormat("%s%s: byte size overflows", Prefix().c_str(), tn.c_str()));
    }
    t.n_bytes = static_cast<size_t>(n_bytes);
    f->tensor_index_.emplace(t.name, f->tensors_.size());
    f->tensors_.push_back(std::move(t));
  }

  // The data section starts at the next multiple of the alignment.
  size_t data_offset = pos_;
  if (data_offset % alignment != 0) {
    size_t pad = alignment - data_offset % alignment;
    if (__builtin_add_overflow(data_offset, pad, &data_offset)) {
      return DataLossError(Prefix() + "data section offset overflows");
    }
  }
  f->data_offset_ = data_offset;
  if (f->tensors_.empty()) return Status::Ok();
  if (data_offset > size_) {
    return DataLossError(StrFormat(
        "%struncated file: tensor data section starts at offset %zu, past the end of the file "
        "(%zu bytes)",
        Prefix().c_str(), data_offset, size_));
  }
  const size_t data_size = size_ - data_offset;
  for (TensorInfo& t : f->tensors_) {
    if (t.offset % alignment != 0) {
      return DataLossError(StrFormat("%stensor '%s' offset %llu is not a multiple of the alignment "
                                     "%zu",
                                     Prefix().c_str(), t.name.c_str(),
                                     static_cast<unsigned long long>(t.offset), alignment));
    }
    if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
      return DataLossError(StrFormat(
          "%stensor '%s' extends past end of file (offset=%llu, size=%zu, data section=%zu bytes "
          "at file offset %zu)",
          Prefix().c_str(), t.name.c_str(), static_cast<unsigned long long>(t.offset), t.n_bytes,
          data_size, data_offset));
    }
    t.data = data_ + data_offset + t.offset;
  }
  std::vector<const TensorInfo*> sorted;
  sorted.reserve(f->tensors_.size());
  for (const TensorInfo& t : f->tensors_) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->offset < b->offset;
  });
  for (size_t k = 1; k < sorted.size(); ++k) {
    const TensorInfo* a = sorted[k - 1];
    const TensorInfo* b = sorted[k];
    if (a->offset + a->n_bytes > b->offset) {
      return DataLossError(StrFormat(
          "%stensors '%s' (offset=%llu, size=%zu) and '%s' (offset=%llu) overlap",
          Prefix().c_str(), a->name.c_str(), static_cast<unsigned long long>(a->offset),
          a->n_bytes, b->name.c_str(), static_cast<unsigned long long>(b->offset)));
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<File>> File::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> m, MappedFile::Open(path));
  std::unique_ptr<File> f(new File());
  Parser p(m->data(), m->size(), path);
  RETURN_IF_ERROR(p.Parse(f.get()));
  f->mapping_ = std::move(m);
  return f;
}

Result<std::unique_ptr<File>> File::FromBuffer(const void* data, size_t size, std::string name) {
  std::unique_ptr<File> f(new File());
  Parser p(static_cast<const uint8_t*>(data), size, name);
  RETURN_IF_ERROR(p.Parse(f.get()));
  f->mapping_ = MappedFile::FromBuffer(data, size, std::move(name));
  return f;
}

}  // namespace sangam::gguf
