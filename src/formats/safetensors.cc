// Safetensors reader (validating, zero-copy over a mapping) and writer.
#include "sangam/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "sangam/tensor.h"

namespace sangam::safetensors {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // 100 MB
constexpr char kMetadataKey[] = "__metadata__";

struct DTypeInfo {
  DType type;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1},   {DType::kU8, "U8", 1},     {DType::kI8, "I8", 1},
    {DType::kF8E5M2, "F8_E5M2", 1}, {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kI16, "I16", 2},
    {DType::kU16, "U16", 2},     {DType::kF16, "F16", 2},   {DType::kBF16, "BF16", 2},
    {DType::kI32, "I32", 4},     {DType::kU32, "U32", 4},   {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},     {DType::kI64, "I64", 8},   {DType::kU64, "U64", 8},
};

const DTypeInfo& Info(DType t) {
  for (const auto& d : kDTypes) {
    if (d.type == t) return d;
  }
  return kDTypes[0];
}

// a * b into *out; false on overflow.
bool MulOverflow(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

// Escapes a string as JSON (nlohmann throws on invalid UTF-8; that becomes an error).
Result<std::string> JsonString(const std::string& s) {
  try {
    return nlohmann::json(s).dump();
  } catch (const std::exception& e) {
    return InvalidArgumentError(StrFormat("safetensors: cannot encode string as JSON: %s",
                                          e.what()));
  }
}

}  // namespace

const char* DTypeName(DType t) { return Info(t).name; }
size_t DTypeSize(DType t) { return Info(t).size; }

Result<DType> ParseDType(const std::string& name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return d.type;
  }
  return UnimplementedError("unknown dtype '" + name + "'");
}

Result<std::unique_ptr<File>> File::Open(const std::string& path) {
  auto mapped = MappedFile::Open(path);
  if (!mapped.ok()) return mapped.status().WithPrefix("safetensors");
  return Parse(std::move(mapped).value());
}

Result<std::unique_ptr<File>> File::FromBuffer(const void* data, size_t size, std::string name) {
  return Parse(MappedFile::FromBuffer(data, size, std::move(name)));
}

const Tensor* File::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::unique_ptr<File>> File::Parse(std::unique_ptr<MappedFile> mapped) {
  const std::string where = "safetensors: " + mapped->path();
  const uint8_t* base = mapped->data();
  const size_t size = mapped->size();
  if (size < 8) {
    return DataLossError(StrFormat("%s: file too short for the header length (%zu bytes < 8)",
                                   where.c_str(), size));
  }
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | base[i];
  if (n > kMaxHeaderBytes) {
    return DataLossError(StrFormat("%s: header length %llu is absurd (limit %llu)", where.c_str(),
                                   static_cast<unsigned long long>(n),
                                   static_cast<unsigned long long>(kMaxHeaderBytes)));
  }
  if (n > size - 8) {
    return DataLossError(StrFormat("%s: header length %llu larger than the file (%zu bytes)",
                                   where.c_str(), static_cast<unsigned long long>(n), size));
  }
  if (n < 2 || base[8] != '{') {
    return DataLossError(where + ": header does not start with '{'");
  }
  const char* hbegin = reinterpret_cast<const char*>(base + 8);
  const char* hend = hbegin + n;

  // Parse, detecting duplicate top-level keys (nlohmann silently keeps the last one).
  std::set<std::string> seen;
  std::string duplicate;
  nlohmann::json header;
  try {
    nlohmann::json::parser_callback_t cb = [&](int depth, nlohmann::json::parse_event_t event,
                                               nlohmann::json& parsed) {
      if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string()) {
        const std::string& k = parsed.get_ref<const std::string&>();
        if (!seen.insert(k).second && duplicate.empty()) duplicate = k;
      }
      return true;
    };
    header = nlohmann::json::parse(hbegin, hend, cb, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {
    return DataLossError(StrFormat("%s: invalid JSON header: %s", where.c_str(), e.what()));
  }
  if (header.is_discarded()) return DataLossError(where + ": invalid JSON header");
  if (!header.is_object()) return DataLossError(where + ": JSON header is not an object");
  if (!duplicate.empty()) {
    return DataLossError(where + ": duplicate tensor name '" + duplicate + "'");
  }

  auto file = std::unique_ptr<File>(new File());
  const uint8_t* buffer = base + 8 + n;
  const uint64_t buffer_size = size - 8 - n;
  try {
    for (const auto& [name, entry] : header.items()) {
      if (name == kMetadataKey) {
        if (!entry.is_object()) return DataLossError(where + ": __metadata__ is not an object");
        for (const auto& [k, v] : entry.items()) {
          if (!v.is_string()) {
            return DataLossError(where + ": __metadata__ value for '" + k + "' is not a string");
          }
          file->metadata_[k] = v.get<std::string>();
        }
        continue;
      }
      const std::string tw = where + ": tensor '" + name + "'";
      if (!entry.is_object()) return DataLossError(tw + ": entry is not an object");
      auto dt = entry.find("dtype");
      auto sh = entry.find("shape");
      auto off = entry.find("data_offsets");
      if (dt == entry.end()) return DataLossError(tw + ": missing field 'dtype'");
      if (sh == entry.end()) return DataLossError(tw + ": missing field 'shape'");
      if (off == entry.end()) return DataLossError(tw + ": missing field 'data_offsets'");
      if (!dt->is_string()) return DataLossError(tw + ": 'dtype' is not a string");
      if (!sh->is_array()) return DataLossError(tw + ": 'shape' is not an array");
      if (!off->is_array() || off->size() != 2) {
        return DataLossError(tw + ": 'data_offsets' is not an array of 2 integers");
      }
      Tensor t;
      t.name = name;
      t.dtype_name = dt->get<std::string>();
      auto parsed = ParseDType(t.dtype_name);
      if (!parsed.ok()) return parsed.status().WithPrefix(tw);
      t.dtype = *parsed;
      uint64_t elements = 1;
      for (const auto& d : *sh) {
        if (!d.is_number_integer()) return DataLossError(tw + ": shape entry is not an integer");
        if (d.is_number_unsigned() ? false : d.get<int64_t>() < 0) {
          return DataLossError(tw + ": negative dimension " + d.dump() + " in shape");
        }
        const uint64_t dim = d.get<uint64_t>();
        if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
            MulOverflow(elements, dim, &elements) ||
            elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return DataLossError(tw + ": shape " + sh->dump() + " overflows the element count");
        }
        t.shape.push_back(static_cast<int64_t>(dim));
      }
      uint64_t bytes = 0;
      if (MulOverflow(elements, DTypeSize(t.dtype), &bytes)) {
        return DataLossError(tw + ": shape " + sh->dump() + " overflows the byte size");
      }
      for (const auto& o : *off) {
        if (!o.is_number_unsigned()) {
          return DataLossError(tw + ": 'data_offsets' entry " + o.dump() +
                               " is not a non-negative integer");
        }
      }
      const uint64_t begin = (*off)[0].get<uint64_t>();
      const uint64_t end = (*off)[1].get<uint64_t>();
      if (end < begin) {
        return DataLossError(StrFormat("%s: data_offsets end %llu < begin %llu", tw.c_str(),
                                       static_cast<unsigned long long>(end),
                                       static_cast<unsigned long long>(begin)));
      }
      if (end > buffer_size) {
        return DataLossError(StrFormat(
            "%s: data_offsets [%llu, %llu] out of the data buffer (%llu bytes)", tw.c_str(),
            static_cast<unsigned long long>(begin), static_cast<unsigned long long>(end),
            static_cast<unsigned long long>(buffer_size)));
      }
      if (end - begin != bytes) {
        return DataLossError(StrFormat(
            "%s: data size %llu != product(shape) * sizeof(%s) = %llu", tw.c_str(),
            static_cast<unsigned long long>(end - begin), t.dtype_name.c_str(),
            static_cast<unsigned long long>(bytes)));
      }
      t.offset = static_cast<size_t>(begin);
      t.n_bytes = static_cast<size_t>(bytes);
      t.n_elements = static_cast<int64_t>(elements);
      t.data = buffer + begin;
      file->tensors_.push_back(std::move(t));
    }
  } catch (const std::exception& e) {
    return DataLossError(StrFormat("%s: malformed header: %s", where.c_str(), e.what()));
  }

  // The buffer must be covered exactly: sorted by offset, each tensor starts where the last ended.
  std::stable_sort(file->tensors_.begin(), file->tensors_.end(),
                   [](const Tensor& a, const Tensor& b) {
                     if (a.offset != b.offset) return a.offset < b.offset;
                     return a.n_bytes < b.n_bytes;
                   });
  uint64_t pos = 0;
  const Tensor* prev = nullptr;
  for (const Tensor& t : file->tensors_) {
    if (t.offset < pos) {
      return DataLossError(StrFormat("%s: tensor '%s' at [%zu, %zu) overlaps tensor '%s'",
                                     where.c_str(), t.name.c_str(), t.offset,
                                     t.offset + t.n_bytes, prev ? prev->name.c_str() : ""));
    }
    if (t.offset > pos) {
      return DataLossError(StrFormat("%s: hole in the data buffer at [%llu, %zu) before tensor '%s'",
                                     where.c_str(), static_cast<unsigned long long>(pos),
                                     t.offset, t.name.c_str()));
    }
    pos = t.offset + t.n_bytes;
    prev = &t;
  }
  if (pos != buffer_size) {
    return DataLossError(StrFormat("%s: hole in the data buffer: tensors end at %llu but the "
                                   "buffer has %llu bytes",
                                   where.c_str(), static_cast<unsigned long long>(pos),
                                   static_cast<unsigned long long>(buffer_size)));
  }
  for (size_t i = 0; i < file->tensors_.size(); ++i) file->index_[file->tensors_[i].name] = i;
  file->file_ = std::move(mapped);
  return file;
}

Result<std::vector<float>> ReadFloats(const Tensor& t) {
  std::vector<float> out;
  const size_t n = static_cast<size_t>(t.n_elements);
  switch (t.dtype) {
    case DType::kF32:
      out.resize(n);
      if (n) std::memcpy(out.data(), t.data, n * 4);
      break;
    case DType::kF64:
      out.resize(n);
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, t.data + i * 8, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    case DType::kF16:
    case DType::kBF16:
      out.resize(n);
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + i * 2, 2);
        out[i] = t.dtype == DType::kF16 ? tensor::F16ToF32(h) : tensor::BF16ToF32(h);
      }
      break;
    default:
      return InvalidArgumentError("safetensors: tensor '" + t.name + "' has dtype " +
                                  t.dtype_name + ", not a float type (F32/F16/BF16/F64)");
  }
  return out;
}

Status Writer::AddTensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                         const void* data) {
  if (name.empty()) return InvalidArgumentError("safetensors writer: empty tensor name");
  if (name == kMetadataKey) {
    return InvalidArgumentError("safetensors writer: tensor name '__metadata__' is reserved");
  }
  if (tensors_.count(name)) {
    return InvalidArgumentError("safetensors writer: duplicate tensor name '" + name + "'");
  }
  uint64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      return InvalidArgumentError("safetensors writer: tensor '" + name + "' has a negative dimension");
    }
    if (MulOverflow(elements, static_cast<uint64_t>(d), &elements)) {
      return InvalidArgumentError("safetensors writer: tensor '" + name + "' size overflows");
    }
  }
  uint64_t bytes = 0;
  if (MulOverflow(elements, DTypeSize(dtype), &bytes) ||
      bytes > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return InvalidArgumentError("safetensors writer: tensor '" + name + "' size overflows");
  }
  if (bytes > 0 && data == nullptr) {
    return InvalidArgumentError("safetensors writer: tensor '" + name + "' has no data");
  }
  tensors_[name] = Entry{dtype, shape, data, static_cast<size_t>(bytes)};
  return Status::Ok();
}

void Writer::SetMetadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

Result<std::string> Writer::Serialize() const {
  std::string h = "{";
  bool first = true;
  if (!metadata_.empty()) {
    h += "\"__metadata__\":{";
    for (const auto& [k, v] : metadata_) {
      if (!first) h += ',';
      first = false;
      ASSIGN_OR_RETURN(std::string ks, JsonString(k));
      ASSIGN_OR_RETURN(std::string vs, JsonString(v));
      h += ks + ':' + vs;
    }
    h += '}';
    first = false;
  }
  size_t offset = 0;
  for (const auto& [name, e] : tensors_) {
    if (!first) h += ',';
    first = false;
    ASSIGN_OR_RETURN(std::string ns, JsonString(name));
    h += ns + ":{\"dtype\":\"" + DTypeName(e.dtype) + "\",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i) {
      if (i) h += ',';
      h += std::to_string(e.shape[i]);
    }
    h += "],\"data_offsets\":[" + std::to_string(offset) + ',' +
         std::to_string(offset + e.n_bytes) + "]}";
    offset += e.n_bytes;
  }
  h += '}';
  while (h.size() % 8 != 0) h += ' ';
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += h;
  for (const auto& [name, e] : tensors_) {
    if (e.n_bytes) out.append(static_cast<const char*>(e.data), e.n_bytes);
  }
  return out;
}

Status Writer::Write(const std::string& path) const {
  ASSIGN_OR_RETURN(std::string bytes, Serialize());
  Status st = WriteFileAtomic(path, bytes);
  if (!st.ok()) return st.WithPrefix("safetensors writer: " + path);
  return Status::Ok();
}

}  // namespace sangam::safetensors
