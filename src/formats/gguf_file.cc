// gguf::File lookups, typed getters, FromParts, and TensorInfo::AsMatrix.
#include <cstring>
#include <limits>

#include "sangam/gguf.h"

namespace sangam::gguf {

tensor::MatrixView TensorInfo::AsMatrix() const {
  tensor::MatrixView m;
  m.type = type;
  m.data = data;
  m.cols = ne[0];
  m.rows = ne[1] * ne[2] * ne[3];
  m.row_stride = tensor::RowBytes(type, ne[0]);
  return m;
}

std::unique_ptr<File> File::FromParts(std::vector<std::pair<std::string, Value>> metadata,
                                      std::vector<TensorInfo> tensors,
                                      std::shared_ptr<const void> backing, std::string name) {
  std::unique_ptr<File> f(new File());
  f->path_ = std::move(name);
  f->kv_ = std::move(metadata);
  for (size_t i = 0; i < f->kv_.size(); ++i) f->kv_index_.emplace(f->kv_[i].first, i);
  f->tensors_ = std::move(tensors);
  for (size_t i = 0; i < f->tensors_.size(); ++i) f->tensor_index_.emplace(f->tensors_[i].name, i);
  f->backing_ = std::move(backing);
  const Value* a = f->Find("general.alignment");
  if (a != nullptr && a->type == ValueType::kUint32 && a->u != 0 && (a->u & (a->u - 1)) == 0) {
    f->alignment_ = a->u;
  }
  return f;
}

const Value* File::Find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const TensorInfo* File::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Status Missing(const File& f, const std::string& key) {
  return NotFoundError(StrFormat("gguf: %s: key '%s' not found", f.path().c_str(), key.c_str()));
}

Status WrongType(const File& f, const std::string& key, const char* expected, const Value& v) {
  return InvalidArgumentError(StrFormat("gguf: %s: key '%s' has type %s, expected %s",
                                        f.path().c_str(), key.c_str(), v.TypeString().c_str(),
                                        expected));
}

// Integer value of an integer-typed scalar as a signed 128-bit quantity split in two checks.
bool IntegerFits(const Value& v, int64_t lo, uint64_t hi, int64_t* out_signed,
                 uint64_t* out_unsigned) {
  switch (v.type) {
    case ValueType::kUint8:
    case ValueType::kUint16:
    case ValueType::kUint32:
    case ValueType::kUint64:
      if (v.u > hi) return false;
      if (out_unsigned) *out_unsigned = v.u;
      if (out_signed) *out_signed = static_cast<int64_t>(v.u);
      return true;
    case ValueType::kInt8:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
      if (v.i < lo) return false;
      if (v.i >= 0 && static_cast<uint64_t>(v.i) > hi) return false;
      if (out_unsigned) *out_unsigned = static_cast<uint64_t>(v.i);
      if (out_signed) *out_signed = v.i;
      return true;
    default:
      return false;
  }
}

std::string IntegerText(const Value& v) {
  if (v.type == ValueType::kUint8 || v.type == ValueType::kUint16 ||
      v.type == ValueType::kUint32 || v.type == ValueType::kUint64) {
    return std::to_string(v.u);
  }
  return std::to_string(v.i);
}

}  // namespace

Result<std::string> File::GetString(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (v->type != ValueType::kString) return WrongType(*this, key, "string", *v);
  return v->s;
}

Result<uint32_t> File::GetU32(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (!v->is_integer()) return WrongType(*this, key, "an integer (u32)", *v);
  uint64_t u = 0;
  if (!IntegerFits(*v, 0, std::numeric_limits<uint32_t>::max(), nullptr, &u)) {
    return InvalidArgumentError(StrFormat("gguf: %s: key '%s' value %s (%s) does not fit in u32",
                                          path_.c_str(), key.c_str(), IntegerText(*v).c_str(),
                                          ValueTypeName(v->type)));
  }
  return static_cast<uint32_t>(u);
}

Result<int64_t> File::GetI64(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (!v->is_integer()) return WrongType(*this, key, "an integer (i64)", *v);
  int64_t s = 0;
  if (!IntegerFits(*v, std::numeric_limits<int64_t>::min(),
                   static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), &s, nullptr)) {
    return InvalidArgumentError(StrFormat("gguf: %s: key '%s' value %s (%s) does not fit in i64",
                                          path_.c_str(), key.c_str(), IntegerText(*v).c_str(),
                                          ValueTypeName(v->type)));
  }
  return s;
}

Result<float> File::GetF32(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (!v->is_float()) return WrongType(*this, key, "f32", *v);
  return static_cast<float>(v->f);
}

Result<bool> File::GetBool(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (v->type != ValueType::kBool) return WrongType(*this, key, "bool", *v);
  return v->u != 0;
}

Result<std::vector<std::string>> File::GetStringArray(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (v->type != ValueType::kArray || v->elem_type != ValueType::kString) {
    return WrongType(*this, key, "array[string]", *v);
  }
  std::vector<std::string> out;
  out.reserve(v->arr.size());
  for (const Value& e : v->arr) out.push_back(e.s);
  return out;
}

Result<std::vector<float>> File::GetF32Array(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  if (v->type != ValueType::kArray ||
      (v->elem_type != ValueType::kFloat32 && v->elem_type != ValueType::kFloat64)) {
    return WrongType(*this, key, "array[f32]", *v);
  }
  std::vector<float> out;
  out.reserve(v->arr.size());
  for (const Value& e : v->arr) out.push_back(static_cast<float>(e.f));
  return out;
}

Result<std::vector<int32_t>> File::GetI32Array(const std::string& key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(*this, key);
  Value probe;
  probe.type = v->elem_type;
  if (v->type != ValueType::kArray || !probe.is_integer()) {
    return WrongType(*this, key, "array[i32]", *v);
  }
  std::vector<int32_t> out;
  out.reserve(v->arr.size());
  for (size_t k = 0; k < v->arr.size(); ++k) {
    int64_t s = 0;
    if (!IntegerFits(v->arr[k], std::numeric_limits<int32_t>::min(),
                     static_cast<uint64_t>(std::numeric_limits<int32_t>::max()), &s, nullptr)) {
      return InvalidArgumentError(
          StrFormat("gguf: %s: key '%s' element %zu value %s (%s) does not fit in i32",
                    path_.c_str(), key.c_str(), k, IntegerText(v->arr[k]).c_str(),
                    ValueTypeName(v->arr[k].type)));
    }
    out.push_back(static_cast<int32_t>(s));
  }
  return out;
}

Result<uint32_t> File::GetU32Or(const std::string& key, uint32_t def) const {
  if (Find(key) == nullptr) return def;
  return GetU32(key);
}

Result<float> File::GetF32Or(const std::string& key, float def) const {
  if (Find(key) == nullptr) return def;
  return GetF32(key);
}

Result<bool> File::GetBoolOr(const std::string& key, bool def) const {
  if (Find(key) == nullptr) return def;
  return GetBool(key);
}

Result<std::string> File::GetStringOr(const std::string& key, const std::string& def) const {
  if (Find(key) == nullptr) return def;
  return GetString(key);
}

}  // namespace sangam::gguf
