// gguf reader validation: truncations, hostile counts, bad tensors, and getter type errors.
#include <gtest/gtest.h>

#include <limits>

#include "formats/gguf_bytes.h"
#include "sangam/gguf.h"

namespace sangam::gguf {
namespace {

using testing::Bytes;

Status ParseStatus(const std::string& buf) {
  auto r = File::FromBuffer(buf.data(), buf.size(), "t.gguf");
  return r.status();
}

// Expects parsing to fail with `code` and a message containing `needle`.
void ExpectError(const Bytes& b, StatusCode code, const std::string& needle) {
  Status st = ParseStatus(b.str());
  ASSERT_FALSE(st.ok()) << "expected error containing: " << needle;
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_NE(st.message().find(needle), std::string::npos)
      << "message: " << st.message() << "\nwanted: " << needle;
  EXPECT_NE(st.message().find("t.gguf"), std::string::npos) << st.message();
}

// A small valid file: 2 kv, 2 tensors (F32 [4,2] at 0, F16 [8] at 32), alignment 32.
struct Small {
  Bytes bytes;
  size_t data_offset = 0;
  size_t data_end = 0;  // end of the last tensor's bytes (before the final padding)
};

Small MakeSmall() {
  Small s;
  Bytes& b = s.bytes;
  b.Header(3, 2, 2).KvStr("general.architecture", "llama").KvU32("n", 7);
  b.TensorInfo("w", {4, 2}, 0, 0).TensorInfo("v", {8}, 1, 32);
  b.PadTo(32);
  s.data_offset = b.size();
  for (int i = 0; i < 8; ++i) b.F32(static_cast<float>(i));
  for (int i = 0; i < 8; ++i) b.U16(static_cast<uint16_t>(0x3c00));  // 1.0 in f16
  s.data_end = b.size();
  b.PadTo(32);
  return s;
}

TEST(GgufCorrupt, SmallFileParses) {
  Small s = MakeSmall();
  auto r = File::FromBuffer(s.bytes.str().data(), s.bytes.size(), "t.gguf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const File& f = **r;
  EXPECT_EQ(f.data_offset(), s.data_offset);
  EXPECT_EQ(*f.GetU32("n"), 7u);
  const TensorInfo* w = f.FindTensor("w");
  ASSERT_NE(w, nullptr);
  float v[8];
  std::memcpy(v, w->data, 32);
  EXPECT_EQ(v[5], 5.f);
  EXPECT_EQ(f.FindTensor("v")->type, tensor::DType::kF16);
  EXPECT_EQ(f.FindTensor("v")->data, w->data + 32);
}

TEST(GgufCorrupt, EveryTruncationFailsCleanly) {
  Small s = MakeSmall();
  const std::string& full = s.bytes.str();
  for (size_t len = 0; len <= full.size(); ++len) {
    // Copy into an exact-size heap buffer so ASan catches any read past the prefix.
    std::unique_ptr<char[]> buf(new char[len + 1]);
    std::memcpy(buf.get(), full.data(), len);
    auto r = File::FromBuffer(buf.get(), len, "t.gguf");
    if (len >= s.data_end) {
      EXPECT_TRUE(r.ok()) << len << ": " << r.status().ToString();
    } else {
      ASSERT_FALSE(r.ok()) << "prefix of " << len << " bytes parsed";
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
      const Status st = r.status();
      const std::string& m = st.message();
      EXPECT_TRUE(m.find("truncated") != std::string::npos ||
                  m.find("extends past end of file") != std::string::npos)
          << len << ": " << m;
    }
  }
}

TEST(GgufCorrupt, EveryTruncationOfWriterOutputFails) {
  Writer w;
  w.Set("s", Value::StrArray({"a", "bb", ""}));
  w.Set("n", Value::Array(ValueType::kArray, {Value::I32Array({1, 2}), Value::I32Array({3})}));
  w.Set("f", Value::F64(2.5));
  const uint8_t q[2 * 18] = {1, 2, 3};
  ASSERT_TRUE(w.AddTensor("q", tensor::DType::kQ4_0, {64}, q).ok());
  std::string full = w.Serialize();
  auto whole = File::FromBuffer(full.data(), full.size(), "t.gguf");
  ASSERT_TRUE(whole.ok());
  const size_t data_end = (*whole)->data_offset() + sizeof(q);
  for (size_t len = 0; len < data_end; ++len) {
    std::unique_ptr<char[]> buf(new char[len + 1]);
    std::memcpy(buf.get(), full.data(), len);
    auto r = File::FromBuffer(buf.get(), len, "t.gguf");
    EXPECT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  }
}

TEST(GgufCorrupt, BadMagic) {
  Bytes b;
  b.Raw("GGUG", 4).U32(3).U64(0).U64(0);
  ExpectError(b, StatusCode::kDataLoss, "bad magic");
}

TEST(GgufCorrupt, Version1IsUnimplemented) {
  Bytes b;
  b.Header(1, 0, 0);
  ExpectError(b, StatusCode::kUnimplemented, "GGUF version 1 is not supported");
}

TEST(GgufCorrupt, FutureVersion) {
  Bytes b;
  b.Header(4, 0, 0);
  ExpectError(b, StatusCode::kUnimplemented, "unsupported GGUF version 4");
}

TEST(GgufCorrupt, BigEndian) {
  Bytes b;
  b.Header(0x03000000u, 0, 0);
  ExpectError(b, StatusCode::kUnimplemented, "big-endian");
}

TEST(GgufCorrupt, Version2Accepted) {
  Bytes b;
  b.Header(2, 0, 1).KvU32("a", 1);
  auto r = File::FromBuffer(b.str().data(), b.size(), "t.gguf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->version(), 2u);
}

TEST(GgufCorrupt, HugeKvCount) {
  Bytes b;
  b.Header(3, 0, uint64_t{1} << 60).KvU32("a", 1);
  ExpectError(b, StatusCode::kDataLoss, "header claims 1152921504606846976 metadata entries");
}

TEST(GgufCorrupt, HugeTensorCount) {
  Bytes b;
  b.Header(3, ~uint64_t{0}, 0).Fill(64);
  ExpectError(b, StatusCode::kDataLoss, "tensors but only");
}

TEST(GgufCorrupt, HugeKeyLength) {
  Bytes b;
  b.Header(3, 0, 1).U64(~uint64_t{0}).Fill(20);
  ExpectError(b, StatusCode::kDataLoss, "metadata key #0 at offset 32 claims 18446744073709551615");
}

TEST(GgufCorrupt, HugeStringValueLength) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(8).U64(uint64_t{1} << 40).Fill(8);
  ExpectError(b, StatusCode::kDataLoss, "value of key 'k' at offset");
}

TEST(GgufCorrupt, HugeArrayCount) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(9).U32(4).U64(uint64_t{1} << 62).Fill(16);
  ExpectError(b, StatusCode::kDataLoss, "claims 4611686018427387904 elements of type u32");
}

TEST(GgufCorrupt, HugeStringArrayCount) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(9).U32(8).U64(1000).Fill(100);
  ExpectError(b, StatusCode::kDataLoss, "claims 1000 elements of type string");
}

TEST(GgufCorrupt, TruncatedArrayElement) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(9).U32(8).U64(2).Str("ok").U64(50).Fill(10);
  ExpectError(b, StatusCode::kDataLoss, "(array element 1)");
}

TEST(GgufCorrupt, NestingTooDeep) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(9);
  for (int d = 0; d < kMaxArrayNesting; ++d) b.U32(9).U64(1);
  b.U32(4).U64(1).U32(5);
  ExpectError(b, StatusCode::kDataLoss, "nested deeper than 8");
}

TEST(GgufCorrupt, MetadataElementCap) {
  // Two u8 arrays whose element counts together pass kMaxMetadataElements.
  const uint64_t n = kMaxMetadataElements / 2 + 1;
  Bytes b;
  b.Header(3, 0, 2);
  b.Str("a").U32(9).U32(0).U64(n).Fill(n);
  b.Str("b").U32(9).U32(0).U64(n).Fill(n);
  ExpectError(b, StatusCode::kResourceExhausted, "more than 8388608 array elements");
}

TEST(GgufCorrupt, UnknownValueType) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(13).U32(0);
  ExpectError(b, StatusCode::kDataLoss, "key 'k' has unknown value type 13");
}

TEST(GgufCorrupt, UnknownArrayElementType) {
  Bytes b;
  b.Header(3, 0, 1).Str("k").U32(9).U32(77).U64(0);
  ExpectError(b, StatusCode::kDataLoss, "unknown element type 77");
}

TEST(GgufCorrupt, EmptyKey) {
  Bytes b;
  b.Header(3, 0, 1).Str("").U32(4).U32(0);
  ExpectError(b, StatusCode::kDataLoss, "metadata key #0 is empty");
}

TEST(GgufCorrupt, DuplicateKey) {
  Bytes b;
  b.Header(3, 0, 2).KvU32("a.b", 1).KvU32("a.b", 2);
  ExpectError(b, StatusCode::kDataLoss, "duplicate metadata key 'a.b'");
}

TEST(GgufCorrupt, InvalidUtf8KeyAccepted) {
  Bytes b;
  b.Header(3, 0, 1).KvU32("\xff\xfe", 1);
  EXPECT_TRUE(ParseStatus(b.str()).ok());
}

TEST(GgufCorrupt, AlignmentWrongType) {
  Bytes b;
  b.Header(3, 0, 1).Str("general.alignment").U32(10).U64(32);
  ExpectError(b, StatusCode::kDataLoss, "general.alignment has type u64, expected u32");
}

TEST(GgufCorrupt, AlignmentNotPowerOfTwo) {
  for (uint32_t a : {0u, 3u, 48u}) {
    Bytes b;
    b.Header(3, 0, 1).KvU32("general.alignment", a);
    ExpectError(b, StatusCode::kDataLoss, "is not a power of two");
  }
}

// One tensor info with the given fields, then padding and `data_bytes` of data.
Bytes OneTensor(const std::string& name, const std::vector<int64_t>& ne, uint32_t type,
                uint64_t offset, size_t data_bytes) {
  Bytes b;
  b.Header(3, 1, 0).TensorInfo(name, ne, type, offset).PadTo(32).Fill(data_bytes);
  return b;
}

TEST(GgufCorrupt, NDims) {
  ExpectError(OneTensor("t", {}, 0, 0, 64), StatusCode::kDataLoss, "tensor 't' has n_dims=0");
  ExpectError(OneTensor("t", {1, 1, 1, 1, 1}, 0, 0, 64), StatusCode::kDataLoss,
              "n_dims=5; expected 1..4");
}

TEST(GgufCorrupt, NegativeAndZeroDims) {
  ExpectError(OneTensor("t", {4, -2}, 0, 0, 64), StatusCode::kDataLoss,
              "tensor 't' has negative dimension ne[1]=-2");
  ExpectError(OneTensor("t", {4, 0}, 0, 0, 64), StatusCode::kDataLoss,
              "zero-size dimension ne[1]=0");
}

TEST(GgufCorrupt, ElementCountOverflow) {
  ExpectError(OneTensor("t", {int64_t{1} << 32, int64_t{1} << 32}, 0, 0, 64),
              StatusCode::kDataLoss, "element count");
  ExpectError(OneTensor("t", {int64_t{1} << 62, 4}, 0, 0, 64), StatusCode::kDataLoss,
              "overflows");
  // Fits in int64 elements but not in bytes.
  ExpectError(OneTensor("t", {int64_t{1} << 62}, 0, 0, 64), StatusCode::kDataLoss,
              "byte size overflows");
}

TEST(GgufCorrupt, RowNotMultipleOfBlock) {
  ExpectError(OneTensor("q", {48, 2}, 2, 0, 256), StatusCode::kDataLoss,
              "row length ne[0]=48 is not a multiple of the Q4_0 block size 32");
  ExpectError(OneTensor("k", {128}, 12, 0, 256), StatusCode::kDataLoss,
              "Q4_K block size 256");
}

TEST(GgufCorrupt, UnsupportedTensorType) {
  ExpectError(OneTensor("blk.0.attn_q.weight", {256}, 13, 0, 256), StatusCode::kUnimplemented,
              "tensor 'blk.0.attn_q.weight' has type Q5_K (type 13)");
  ExpectError(OneTensor("t", {256}, 13, 0, 256), StatusCode::kUnimplemented,
              "supported types: F32, F16, Q4_0, Q8_0, Q4_K, Q6_K, Q8_K, BF16");
  ExpectError(OneTensor("t", {256}, 999, 0, 256), StatusCode::kUnimplemented,
              "type#999 (type 999)");
}

TEST(GgufCorrupt, UnalignedOffset) {
  ExpectError(OneTensor("t", {4}, 0, 4, 64), StatusCode::kDataLoss,
              "tensor 't' offset 4 is not a multiple of the alignment 32");
}

TEST(GgufCorrupt, DataPastEnd) {
  ExpectError(OneTensor("t", {16}, 0, 0, 63), StatusCode::kDataLoss,
              "tensor 't' extends past end of file (offset=0, size=64");
  ExpectError(OneTensor("t", {1}, 0, uint64_t{1} << 63, 64), StatusCode::kDataLoss,
              "extends past end of file");
  ExpectError(OneTensor("t", {1}, 0, ~uint64_t{31}, 64), StatusCode::kDataLoss,
              "extends past end of file");
}

TEST(GgufCorrupt, DataSectionPastEnd) {
  Bytes b;
  b.Header(3, 1, 0).TensorInfo("t", {1}, 0, 0);  // no padding, no data
  ExpectError(b, StatusCode::kDataLoss, "data section starts at offset");
}

TEST(GgufCorrupt, Overlap) {
  Bytes b;
  b.Header(3, 2, 0).TensorInfo("a", {16}, 0, 0).TensorInfo("b", {8}, 0, 32).PadTo(32).Fill(128);
  ExpectError(b, StatusCode::kDataLoss, "tensors 'a' (offset=0, size=64) and 'b' (offset=32) overlap");
}

TEST(GgufCorrupt, SharedOffsetOverlaps) {
  Bytes b;
  b.Header(3, 2, 0).TensorInfo("a", {8}, 0, 0).TensorInfo("b", {8}, 0, 0).PadTo(32).Fill(64);
  ExpectError(b, StatusCode::kDataLoss, "overlap");
}

TEST(GgufCorrupt, DuplicateTensorName) {
  Bytes b;
  b.Header(3, 2, 0).TensorInfo("a", {8}, 0, 0).TensorInfo("a", {8}, 0, 32).PadTo(32).Fill(64);
  ExpectError(b, StatusCode::kDataLoss, "duplicate tensor name 'a'");
}

TEST(GgufCorrupt, EmptyTensorName) {
  ExpectError(OneTensor("", {8}, 0, 0, 32), StatusCode::kDataLoss,
              "tensor info #0 has an empty name");
}

TEST(GgufCorrupt, TruncatedTensorInfo) {
  Bytes b;
  b.Header(3, 1, 0).Str("t").U32(2).I64(4).Fill(19);  // ne[1], type, offset need 20 bytes
  auto st = ParseStatus(b.str());
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
  Bytes c;
  c.Header(3, 1, 0).Str("t").U32(2).I64(4).I64(2).U32(0).U32(0);
  st = ParseStatus(c.str());
  EXPECT_NE(st.message().find("tensor 't' (offset)"), std::string::npos) << st.message();
}

TEST(GgufCorrupt, OpenMissingFile) {
  auto r = File::Open("/nonexistent/sangam/x.gguf");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST(GgufCorrupt, OpenEmptyFile) {
  std::string dir = testing::MakeTempDir("empty");
  std::string path = dir + "/e.gguf";
  ASSERT_TRUE(WriteFileAtomic(path, "").ok());
  auto r = File::Open(path);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(path), std::string::npos);
  std::filesystem::remove_all(dir);
}

// ---- getters ----

std::unique_ptr<File> GetterFile() {
  Writer w;
  w.Set("s", Value::Str("str"));
  w.Set("u8", Value::U8(200));
  w.Set("i32neg", Value::I32(-5));
  w.Set("i32", Value::I32(12));
  w.Set("u64big", Value::U64(uint64_t{1} << 40));
  w.Set("u64max", Value::U64(~uint64_t{0}));
  w.Set("f32", Value::F32(0.25f));
  w.Set("f64", Value::F64(0.5));
  w.Set("b", Value::Bool(true));
  w.Set("strs", Value::StrArray({"a", "b"}));
  w.Set("f32s", Value::F32Array({1.5f}));
  w.Set("f64s", Value::Array(ValueType::kFloat64, {Value::F64(2.5)}));
  w.Set("i32s", Value::I32Array({-1, 2}));
  w.Set("u32s_big", Value::U32Array({1, 4000000000u}));
  w.Set("u8s", Value::Array(ValueType::kUint8, {Value::U8(3)}));
  static std::string buf;
  buf = w.Serialize();
  auto r = File::FromBuffer(buf.data(), buf.size(), "g.gguf");
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

void ExpectStatus(const Status& st, StatusCode code, const std::string& needle) {
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_NE(st.message().find(needle), std::string::npos) << st.message() << " / " << needle;
}

TEST(GgufGetters, Values) {
  auto f = GetterFile();
  EXPECT_EQ(*f->GetString("s"), "str");
  EXPECT_EQ(*f->GetU32("u8"), 200u);
  EXPECT_EQ(*f->GetU32("i32"), 12u);
  EXPECT_EQ(*f->GetI64("i32neg"), -5);
  EXPECT_EQ(*f->GetI64("u64big"), int64_t{1} << 40);
  EXPECT_EQ(*f->GetF32("f32"), 0.25f);
  EXPECT_EQ(*f->GetF32("f64"), 0.5f);
  EXPECT_TRUE(*f->GetBool("b"));
  EXPECT_EQ(*f->GetStringArray("strs"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*f->GetF32Array("f32s"), std::vector<float>{1.5f});
  EXPECT_EQ(*f->GetF32Array("f64s"), std::vector<float>{2.5f});
  EXPECT_EQ(*f->GetI32Array("i32s"), (std::vector<int32_t>{-1, 2}));
  EXPECT_EQ(*f->GetI32Array("u8s"), std::vector<int32_t>{3});
  EXPECT_EQ(*f->GetU32Or("missing", 9), 9u);
  EXPECT_EQ(*f->GetU32Or("u8", 9), 200u);
  EXPECT_EQ(*f->GetF32Or("missing", 1.f), 1.f);
  EXPECT_FALSE(*f->GetBoolOr("missing", false));
  EXPECT_EQ(*f->GetStringOr("missing", "d"), "d");
  EXPECT_EQ(*f->GetStringOr("s", "d"), "str");
}

TEST(GgufGetters, Errors) {
  auto f = GetterFile();
  ExpectStatus(f->GetString("nope").status(), StatusCode::kNotFound, "key 'nope' not found");
  ExpectStatus(f->GetU32("nope").status(), StatusCode::kNotFound, "'nope'");
  ExpectStatus(f->GetStringArray("nope").status(), StatusCode::kNotFound, "'nope'");
  ExpectStatus(f->GetString("u8").status(), StatusCode::kInvalidArgument,
               "key 'u8' has type u8, expected string");
  ExpectStatus(f->GetU32("s").status(), StatusCode::kInvalidArgument,
               "key 's' has type string, expected an integer (u32)");
  ExpectStatus(f->GetU32("i32neg").status(), StatusCode::kInvalidArgument,
               "key 'i32neg' value -5 (i32) does not fit in u32");
  ExpectStatus(f->GetU32("u64big").status(), StatusCode::kInvalidArgument, "does not fit in u32");
  ExpectStatus(f->GetI64("u64max").status(), StatusCode::kInvalidArgument, "does not fit in i64");
  ExpectStatus(f->GetI64("f32").status(), StatusCode::kInvalidArgument, "type f32, expected");
  ExpectStatus(f->GetF32("i32").status(), StatusCode::kInvalidArgument,
               "key 'i32' has type i32, expected f32");
  ExpectStatus(f->GetBool("u8").status(), StatusCode::kInvalidArgument, "expected bool");
  ExpectStatus(f->GetStringArray("i32s").status(), StatusCode::kInvalidArgument,
               "key 'i32s' has type array[i32], expected array[string]");
  ExpectStatus(f->GetStringArray("s").status(), StatusCode::kInvalidArgument,
               "has type string, expected array[string]");
  ExpectStatus(f->GetF32Array("i32s").status(), StatusCode::kInvalidArgument,
               "expected array[f32]");
  ExpectStatus(f->GetI32Array("strs").status(), StatusCode::kInvalidArgument,
               "array[string], expected array[i32]");
  ExpectStatus(f->GetI32Array("u32s_big").status(), StatusCode::kInvalidArgument,
               "element 1 value 4000000000 (u32) does not fit in i32");
  // The *Or getters still report a wrong type.
  ExpectStatus(f->GetU32Or("s", 1).status(), StatusCode::kInvalidArgument, "key 's'");
  ExpectStatus(f->GetF32Or("s", 1).status(), StatusCode::kInvalidArgument, "key 's'");
  ExpectStatus(f->GetBoolOr("s", true).status(), StatusCode::kInvalidArgument, "key 's'");
  ExpectStatus(f->GetStringOr("u8", "").status(), StatusCode::kInvalidArgument, "key 'u8'");
}

}  // namespace
}  // namespace sangam::gguf
