// gguf::Writer -> gguf::File round trips: every value type, arrays, nesting, alignment, dtypes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "formats/gguf_bytes.h"
#include "sangam/gguf.h"

namespace sangam::gguf {
namespace {

using testing::Bytes;

std::unique_ptr<File> ParseOk(const std::string& buf) {
  auto r = File::FromBuffer(buf.data(), buf.size(), "mem");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

std::vector<std::pair<std::string, Value>> AllScalarValues() {
  return {
      {"t.u8", Value::U8(250)},
      {"t.i8", Value::I8(-120)},
      {"t.u16", Value::U16(65000)},
      {"t.i16", Value::I16(-32000)},
      {"t.u32", Value::U32(4000000000u)},
      {"t.i32", Value::I32(std::numeric_limits<int32_t>::min())},
      {"t.u64", Value::U64(std::numeric_limits<uint64_t>::max())},
      {"t.i64", Value::I64(std::numeric_limits<int64_t>::min())},
      {"t.f32", Value::F32(-1.5e-7f)},
      {"t.f64", Value::F64(3.141592653589793)},
      {"t.f32inf", Value::F32(std::numeric_limits<float>::infinity())},
      {"t.bool_true", Value::Bool(true)},
      {"t.bool_false", Value::Bool(false)},
      {"t.str", Value::Str("h\xC3\xA9llo \xE0\xA4\xA8\xE0\xA4\xAE w\xC3\xB6rld")},
      {"t.str_empty", Value::Str("")},
      {"t.str_nul", Value::Str(std::string("a\0b", 3))},
      {"\xE0\xA4\x95\xE0\xA5\x81\xE0\xA4\x82\xE0\xA4\x9C\xE0\xA5\x80", Value::U32(1)},
  };
}

std::vector<std::pair<std::string, Value>> AllArrayValues() {
  std::vector<std::pair<std::string, Value>> out;
  for (const auto& [k, v] : AllScalarValues()) {
    out.emplace_back("arr." + k, Value::Array(v.type, {v, v, v}));
  }
  out.emplace_back("arr.empty_u32", Value::Array(ValueType::kUint32, {}));
  out.emplace_back("arr.strings", Value::StrArray({"<unk>", "", "\xE2\x96\x81the", "x y"}));
  out.emplace_back("arr.f32", Value::F32Array({0.f, -1.f, 1e30f}));
  out.emplace_back("arr.i32", Value::I32Array({-1, 0, 7}));
  out.emplace_back("arr.u32x", Value::U32Array({0, 4294967295u}));
  out.emplace_back("arr.nested_i32",
                   Value::Array(ValueType::kArray,
                                {Value::I32Array({1, 2}), Value::I32Array({}), Value::I32Array({3})}));
  out.emplace_back("arr.nested_str", Value::Array(ValueType::kArray, {Value::StrArray({"a", "bc"}),
                                                                      Value::StrArray({""})}));
  out.emplace_back("arr.nested_empty", Value::Array(ValueType::kArray, {}));
  // kMaxArrayNesting levels: the deepest the reader accepts.
  Value deep = Value::U32Array({42});
  for (int d = 1; d < kMaxArrayNesting; ++d) deep = Value::Array(ValueType::kArray, {deep});
  out.emplace_back("arr.deep", deep);
  return out;
}

void ExpectSameMetadata(const std::vector<std::pair<std::string, Value>>& want, const File& f) {
  for (const auto& [k, v] : want) {
    const Value* got = f.Find(k);
    ASSERT_NE(got, nullptr) << k;
    EXPECT_TRUE(*got == v) << k << ": got " << got->TypeString() << " want " << v.TypeString();
  }
}

TEST(GgufRoundTrip, EveryScalarType) {
  Writer w;
  auto kv = AllScalarValues();
  for (const auto& [k, v] : kv) w.Set(k, v);
  auto f = ParseOk(w.Serialize());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->metadata().size(), kv.size());
  ExpectSameMetadata(kv, *f);
  // Insertion order is kept.
  for (size_t i = 0; i < kv.size(); ++i) EXPECT_EQ(f->metadata()[i].first, kv[i].first);
  EXPECT_TRUE(f->tensors().empty());
}

TEST(GgufRoundTrip, ArraysOfEveryTypeAndNested) {
  Writer w;
  auto kv = AllArrayValues();
  for (const auto& [k, v] : kv) w.Set(k, v);
  auto f = ParseOk(w.Serialize());
  ASSERT_NE(f, nullptr);
  ExpectSameMetadata(kv, *f);
  EXPECT_EQ(f->Find("arr.nested_i32")->TypeString(), "array[array[i32]]");
  auto strings = f->GetStringArray("arr.strings");
  ASSERT_TRUE(strings.ok());
  EXPECT_EQ(*strings, (std::vector<std::string>{"<unk>", "", "\xE2\x96\x81the", "x y"}));
}

TEST(GgufRoundTrip, SetReplacesAndKeepsOrder) {
  Writer w;
  w.Set("a", Value::U32(1));
  w.Set("b", Value::U32(2));
  w.Set("a", Value::Str("x"));
  auto f = ParseOk(w.Serialize());
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->metadata().size(), 2u);
  EXPECT_EQ(f->metadata()[0].first, "a");
  EXPECT_EQ(*f->GetString("a"), "x");
}

// The writer's bytes for a tiny file equal a hand-assembled GGUF v3 image.
TEST(GgufRoundTrip, WriterMatchesHandBuiltBytes) {
  const float data[4] = {1, 2, 3, 4};
  Writer w;
  w.Set("general.architecture", Value::Str("llama"));
  w.Set("n", Value::U32(7));
  ASSERT_TRUE(w.AddTensor("w", tensor::DType::kF32, {2, 2}, data).ok());
  ASSERT_TRUE(w.AddTensor("v", tensor::DType::kF32, {1}, data).ok());
  Bytes b;
  b.Header(3, 2, 2).KvStr("general.architecture", "llama").KvU32("n", 7);
  b.TensorInfo("w", {2, 2}, 0, 0).TensorInfo("v", {1}, 0, 32).PadTo(32);
  b.Raw(data, 16).PadTo(32).Raw(data, 4).PadTo(32);
  EXPECT_EQ(w.Serialize(), b.str());
}

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

struct TensorSpec {
  const char* name;
  tensor::DType type;
  std::vector<int64_t> ne;
};

const std::vector<TensorSpec>& EveryDtype() {
  static const std::vector<TensorSpec> specs = {
      {"f32", tensor::DType::kF32, {3, 2}},
      {"f16", tensor::DType::kF16, {5}},
      {"bf16", tensor::DType::kBF16, {2, 2, 2}},
      {"q4_0", tensor::DType::kQ4_0, {64, 3}},
      {"q8_0", tensor::DType::kQ8_0, {32, 1, 2}},
      {"q4_k", tensor::DType::kQ4_K, {256, 2}},
      {"q6_k", tensor::DType::kQ6_K, {256, 1, 1, 3}},
      {"q8_k", tensor::DType::kQ8_K, {256}},
  };
  return specs;
}

void CheckAlignmentRoundTrip(size_t alignment) {
  SCOPED_TRACE("alignment " + std::to_string(alignment));
  Writer w;
  w.SetAlignment(alignment);
  w.Set("general.name", Value::Str("odd-size-key-to-misalign"));
  std::vector<std::string> blobs;
  for (const auto& s : EveryDtype()) {
    int64_t rows = 1;
    for (size_t d = 1; d < s.ne.size(); ++d) rows *= s.ne[d];
    blobs.push_back(RandomBytes(tensor::RowBytes(s.type, s.ne[0]) * rows, blobs.size() + 1));
  }
  for (size_t i = 0; i < blobs.size(); ++i) {
    const auto& s = EveryDtype()[i];
    ASSERT_TRUE(w.AddTensor(s.name, s.type, s.ne, blobs[i].data()).ok()) << s.name;
  }
  std::string buf = w.Serialize();
  ASSERT_FALSE(buf.empty());
  auto f = ParseOk(buf);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alignment(), alignment);
  EXPECT_EQ(f->data_offset() % alignment, 0u);
  if (alignment != 32) {
    EXPECT_EQ(*f->GetU32("general.alignment"), alignment);
  }
  ASSERT_EQ(f->tensors().size(), blobs.size());
  const auto* base = reinterpret_cast<const uint8_t*>(buf.data());
  for (size_t i = 0; i < blobs.size(); ++i) {
    const auto& s = EveryDtype()[i];
    const TensorInfo* t = f->FindTensor(s.name);
    ASSERT_NE(t, nullptr) << s.name;
    EXPECT_EQ(&f->tensors()[i], t);
    EXPECT_EQ(t->type, s.type);
    EXPECT_EQ(t->n_dims, s.ne.size());
    for (size_t d = 0; d < 4; ++d) EXPECT_EQ(t->ne[d], d < s.ne.size() ? s.ne[d] : 1);
    EXPECT_EQ(t->n_bytes, blobs[i].size());
    EXPECT_EQ(static_cast<size_t>(t->data - base) % alignment, 0u) << s.name;
    EXPECT_EQ(t->offset % alignment, 0u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(t->data), t->n_bytes), blobs[i]) << s.name;
    tensor::MatrixView m = t->AsMatrix();
    EXPECT_EQ(m.cols, s.ne[0]);
    EXPECT_EQ(m.rows, t->n_elements() / s.ne[0]);
    EXPECT_EQ(m.row_stride, tensor::RowBytes(s.type, s.ne[0]));
    EXPECT_EQ(m.data, t->data);
  }
  EXPECT_EQ(buf.size() % alignment, 0u);
}

TEST(GgufRoundTrip, TensorsOfEveryDtypeAt32) { CheckAlignmentRoundTrip(32); }
TEST(GgufRoundTrip, TensorsOfEveryDtypeAt64) { CheckAlignmentRoundTrip(64); }
TEST(GgufRoundTrip, TensorsOfEveryDtypeAt1) { CheckAlignmentRoundTrip(1); }
TEST(GgufRoundTrip, TensorsOfEveryDtypeAt8) { CheckAlignmentRoundTrip(8); }

TEST(GgufRoundTrip, AlignmentViaSetKey) {
  Writer w;
  w.Set("general.alignment", Value::U32(64));
  const float x[2] = {1, 2};
  ASSERT_TRUE(w.AddTensor("x", tensor::DType::kF32, {2}, x).ok());
  auto f = ParseOk(w.Serialize());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
}

TEST(GgufRoundTrip, BadAlignmentRefused) {
  Writer w;
  w.SetAlignment(48);
  EXPECT_TRUE(w.Serialize().empty());
  std::string dir = testing::MakeTempDir("badalign");
  Status st = w.Write(dir + "/x.gguf");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("not a power of two"), std::string::npos) << st.message();
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.gguf.tmp"));
  std::filesystem::remove_all(dir);
}

TEST(GgufRoundTrip, ZeroTensors) {
  Writer w;
  w.Set("k", Value::Bool(true));
  std::string buf = w.Serialize();
  auto f = ParseOk(buf);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_TRUE(*f->GetBool("k"));
  Writer empty;
  auto g = ParseOk(empty.Serialize());
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->metadata().empty());
  EXPECT_EQ(empty.Serialize().size(), 24u);
}

TEST(GgufRoundTrip, WriteToFileMatchesSerializeAndIsAtomic) {
  std::string dir = testing::MakeTempDir("write");
  Writer w;
  for (const auto& [k, v] : AllArrayValues()) w.Set(k, v);
  // A tensor bigger than the writer's 1 MiB buffer exercises the direct-write path.
  std::string big = RandomBytes(3u << 20, 7);
  ASSERT_TRUE(w.AddTensor("big", tensor::DType::kF32, {1024, 768}, big.data()).ok());
  std::string small = RandomBytes(2 * 34, 8);
  ASSERT_TRUE(w.AddTensor("small", tensor::DType::kQ8_0, {64}, small.data()).ok());
  const std::string path = dir + "/model.gguf";
  ASSERT_TRUE(w.Write(path).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto f = File::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->path(), path);
  const TensorInfo* t = (*f)->FindTensor("big");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t->data), t->n_bytes), big);
  std::string serialized = w.Serialize();
  EXPECT_EQ(std::filesystem::file_size(path), serialized.size());
  EXPECT_EQ((*f)->file_size(), serialized.size());
  // Overwrites an existing file.
  Writer w2;
  w2.Set("x", Value::U32(1));
  ASSERT_TRUE(w2.Write(path).ok());
  auto g = File::Open(path);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)->metadata().size(), 1u);
  std::filesystem::remove_all(dir);
}

TEST(GgufRoundTrip, DeferredTensorsAreFilledAtWriteTime) {
  std::string dir = testing::MakeTempDir("deferred");
  const std::string path = dir + "/d.gguf";
  std::string a = RandomBytes(4 * 300, 1), c = RandomBytes(34 * 4, 3);
  const float b[3] = {1, 2, 3};
  Writer w;
  w.Set("k", Value::U32(1));
  ASSERT_TRUE(w.AddTensorDeferred("a", tensor::DType::kF32, {300}).ok());
  ASSERT_TRUE(w.AddTensor("b", tensor::DType::kF32, {3}, b).ok());
  ASSERT_TRUE(w.AddTensorDeferred("c", tensor::DType::kQ8_0, {64, 2}).ok());
  EXPECT_NE(w.AddTensorDeferred("c", tensor::DType::kF32, {1}).message().find("duplicate"),
            std::string::npos);
  EXPECT_TRUE(w.Serialize().empty());
  Status no_filler = w.Write(path);
  EXPECT_EQ(no_filler.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_filler.message().find("tensor 'a' was added deferred"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));

  std::vector<size_t> calls;
  auto fill = [&](size_t index, uint8_t* dst, size_t n) -> Status {
    calls.push_back(index);
    const std::string& src = index == 0 ? a : c;
    if (n != src.size()) return InternalError("wrong size");
    std::memcpy(dst, src.data(), n);
    return Status::Ok();
  };
  ASSERT_TRUE(w.Write(path, fill).ok());
  EXPECT_EQ(calls, (std::vector<size_t>{0, 2}));
  auto f = File::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto bytes = [&](const char* name) {
    const TensorInfo* t = (*f)->FindTensor(name);
    return std::string(reinterpret_cast<const char*>(t->data), t->n_bytes);
  };
  EXPECT_EQ(bytes("a"), a);
  EXPECT_EQ(bytes("b"), std::string(reinterpret_cast<const char*>(b), sizeof(b)));
  EXPECT_EQ(bytes("c"), c);

  // A filler error aborts the write, names the tensor, and leaves the old file in place.
  auto failing = [](size_t index, uint8_t*, size_t) -> Status {
    return index == 2 ? IoError("disk on fire") : Status::Ok();
  };
  Status st = w.Write(path, failing);
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_NE(st.message().find("filling tensor 'c': disk on fire"), std::string::npos)
      << st.message();
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto g = File::Open(path);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)->tensors().size(), 3u);
  std::filesystem::remove_all(dir);
}

TEST(GgufRoundTrip, WriteToMissingDirectoryFails) {
  Writer w;
  Status st = w.Write("/nonexistent-dir-sangam/x.gguf");
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_NE(st.message().find("cannot create"), std::string::npos);
}

TEST(GgufWriter, AddTensorValidates) {
  Writer w;
  const float x[256] = {};
  EXPECT_TRUE(w.AddTensor("a", tensor::DType::kF32, {4}, x).ok());
  Status dup = w.AddTensor("a", tensor::DType::kF32, {4}, x);
  EXPECT_NE(dup.message().find("duplicate tensor name 'a'"), std::string::npos);
  EXPECT_NE(w.AddTensor("", tensor::DType::kF32, {4}, x).message().find("empty"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", tensor::DType::kF32, {}, x).message().find("expected 1..4"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", tensor::DType::kF32, {1, 1, 1, 1, 1}, x).message().find("1..4"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", tensor::DType::kF32, {4, 0}, x).message().find("ne[1]=0"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", tensor::DType::kQ4_0, {16}, x).message().find("block size 32"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", static_cast<tensor::DType>(13), {256}, x).message().find("Q5_K"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", tensor::DType::kF32,
                        {int64_t{1} << 40, int64_t{1} << 40}, x).message().find("overflow"),
            std::string::npos);
  EXPECT_NE(w.AddTensor("b", tensor::DType::kF32, {4}, nullptr).message().find("no data"),
            std::string::npos);
}

TEST(GgufFromParts, LookupsAndAlignment) {
  std::vector<std::pair<std::string, Value>> kv = {{"general.alignment", Value::U32(64)},
                                                   {"a", Value::Str("b")}};
  float data[8] = {};
  TensorInfo t;
  t.name = "t";
  t.n_dims = 2;
  t.ne[0] = 4;
  t.ne[1] = 2;
  t.n_bytes = sizeof(data);
  t.data = reinterpret_cast<const uint8_t*>(data);
  auto backing = std::make_shared<int>(5);
  std::weak_ptr<int> weak = backing;
  auto f = File::FromParts(kv, {t}, backing, "parts");
  backing.reset();
  EXPECT_FALSE(weak.expired());  // the File keeps its backing alive
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->path(), "parts");
  EXPECT_EQ(*f->GetString("a"), "b");
  ASSERT_NE(f->FindTensor("t"), nullptr);
  EXPECT_EQ(f->FindTensor("t")->AsMatrix().rows, 2);
  EXPECT_EQ(f->FindTensor("nope"), nullptr);
  f.reset();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace sangam::gguf
