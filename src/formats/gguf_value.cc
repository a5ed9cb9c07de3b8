// GGUF metadata values: type names, constructors and comparison.
#include "sangam/gguf.h"

namespace sangam::gguf {

const char* ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kUint8: return "u8";
    case ValueType::kInt8: return "i8";
    case ValueType::kUint16: return "u16";
    case ValueType::kInt16: return "i16";
    case ValueType::kUint32: return "u32";
    case ValueType::kInt32: return "i32";
    case ValueType::kFloat32: return "f32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kUint64: return "u64";
    case ValueType::kInt64: return "i64";
    case ValueType::kFloat64: return "f64";
  }
  return "type#?";
}

namespace {

Value Unsigned(ValueType t, uint64_t v) {
  Value out;
  out.type = t;
  out.u = v;
  return out;
}

Value Signed(ValueType t, int64_t v) {
  Value out;
  out.type = t;
  out.i = v;
  return out;
}

Value Float(ValueType t, double v) {
  Value out;
  out.type = t;
  out.f = v;
  return out;
}

}  // namespace

Value Value::U8(uint8_t v) { return Unsigned(ValueType::kUint8, v); }
Value Value::I8(int8_t v) { return Signed(ValueType::kInt8, v); }
Value Value::U16(uint16_t v) { return Unsigned(ValueType::kUint16, v); }
Value Value::I16(int16_t v) { return Signed(ValueType::kInt16, v); }
Value Value::U32(uint32_t v) { return Unsigned(ValueType::kUint32, v); }
Value Value::I32(int32_t v) { return Signed(ValueType::kInt32, v); }
Value Value::U64(uint64_t v) { return Unsigned(ValueType::kUint64, v); }
Value Value::I64(int64_t v) { return Signed(ValueType::kInt64, v); }
Value Value::F32(float v) { return Float(ValueType::kFloat32, v); }
Value Value::F64(double v) { return Float(ValueType::kFloat64, v); }
Value Value::Bool(bool v) { return Unsigned(ValueType::kBool, v ? 1 : 0); }

Value Value::Str(std::string v) {
  Value out;
  out.type = ValueType::kString;
  out.s = std::move(v);
  return out;
}

Value Value::Array(ValueType elem_type, std::vector<Value> elems) {
  Value out;
  out.type = ValueType::kArray;
  out.elem_type = elem_type;
  out.arr = std::move(elems);
  return out;
}

Value Value::StrArray(std::vector<std::string> v) {
  std::vector<Value> elems;
  elems.reserve(v.size());
  for (auto& s : v) elems.push_back(Str(std::move(s)));
  return Array(ValueType::kString, std::move(elems));
}

Value Value::F32Array(const std::vector<float>& v) {
  std::vector<Value> elems;
  elems.reserve(v.size());
  for (float x : v) elems.push_back(F32(x));
  return Array(ValueType::kFloat32, std::move(elems));
}

Value Value::I32Array(const std::vector<int32_t>& v) {
  std::vector<Value> elems;
  elems.reserve(v.size());
  for (int32_t x : v) elems.push_back(I32(x));
  return Array(ValueType::kInt32, std::move(elems));
}

Value Value::U32Array(const std::vector<uint32_t>& v) {
  std::vector<Value> elems;
  elems.reserve(v.size());
  for (uint32_t x : v) elems.push_back(U32(x));
  return Array(ValueType::kUint32, std::move(elems));
}

bool Value::is_integer() const {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64:
      return true;
    default:
      return false;
  }
}

bool Value::is_float() const {
  return type == ValueType::kFloat32 || type == ValueType::kFloat64;
}

std::string Value::TypeString() const {
  if (type != ValueType::kArray) return ValueTypeName(type);
  if (elem_type != ValueType::kArray) return std::string("array[") + ValueTypeName(elem_type) + "]";
  // Nested: describe the first element when there is one.
  if (!arr.empty()) return "array[" + arr[0].TypeString() + "]";
  return "array[array]";
}

bool Value::operator==(const Value& o) const {
  if (type != o.type) return false;
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kUint16:
    case ValueType::kUint32:
    case ValueType::kUint64:
    case ValueType::kBool:
      return u == o.u;
    case ValueType::kInt8:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64:
      return i == o.i;
    case ValueType::kFloat32:
    case ValueType::kFloat64:
      return f == o.f;
    case ValueType::kString:
      return s == o.s;
    case ValueType::kArray:
      return elem_type == o.elem_type && arr == o.arr;
  }
  return false;
}

}  // namespace sangam::gguf
