// Safetensors reader/writer: round trips, exact writer bytes, validation errors, truncations.
#include "sangam/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "sangam/tensor.h"

namespace sangam::safetensors {
namespace {

// A file from a literal JSON header (unpadded) and a raw buffer.
std::string Make(const std::string& header, const std::string& buffer) {
  std::string out;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header + buffer;
}

Status ParseStatus(const std::string& bytes) {
  auto r = File::FromBuffer(bytes.data(), bytes.size(), "test.safetensors");
  return r.status();
}

void ExpectError(const std::string& bytes, const std::string& substring) {
  Status st = ParseStatus(bytes);
  ASSERT_FALSE(st.ok()) << "expected error containing: " << substring;
  EXPECT_NE(st.message().find(substring), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("test.safetensors"), std::string::npos) << st.message();
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("sangam_st_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(SafetensorsTest, WriterExactBytes) {
  // Built by hand: compact JSON, __metadata__ first, padded with spaces to 88 (= 8 * 11) bytes.
  const std::string header =
      "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0,8]}}   ";
  ASSERT_EQ(header.size(), 88u);
  std::string expected("\x58\0\0\0\0\0\0\0", 8);
  expected += header;
  // 1.0f and -2.0f little-endian.
  expected += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);

  const float a[2] = {1.0f, -2.0f};
  Writer w;
  ASSERT_TRUE(w.AddTensor("a", DType::kF32, {2}, a).ok());
  w.SetMetadata("format", "pt");
  auto bytes = w.Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, expected);

  const std::string path = TempPath("exact.safetensors");
  ASSERT_TRUE(w.Write(path).ok());
  auto f = File::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ((*f)->tensors().size(), 1u);
  auto v = ReadFloats((*f)->tensors()[0]);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::vector<float>({1.0f, -2.0f}));
  EXPECT_EQ((*f)->metadata().at("format"), "pt");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::filesystem::remove(path);
}

TEST(SafetensorsTest, RoundTripEveryDType) {
  const DType all[] = {DType::kBool, DType::kU8,   DType::kI8,  DType::kF8E5M2, DType::kF8E4M3,
                       DType::kI16,  DType::kU16,  DType::kF16, DType::kBF16,   DType::kI32,
                       DType::kU32,  DType::kF32,  DType::kF64, DType::kI64,    DType::kU64};
  std::vector<std::vector<uint8_t>> payloads;
  Writer w;
  // Names chosen so that name order differs from insertion order.
  for (size_t i = 0; i < std::size(all); ++i) {
    const size_t bytes = 2 * 3 * DTypeSize(all[i]);
    std::vector<uint8_t> p(bytes);
    for (size_t j = 0; j < bytes; ++j) p[j] = static_cast<uint8_t>(i * 31 + j * 7 + 1);
    payloads.push_back(p);
  }
  for (size_t i = 0; i < std::size(all); ++i) {
    std::string name = std::string("t.") + char('z' - i) + "." + DTypeName(all[i]);
    ASSERT_TRUE(w.AddTensor(name, all[i], {2, 3}, payloads[i].data()).ok());
  }
  ASSERT_TRUE(w.AddTensor("empty", DType::kF32, {0, 4}, nullptr).ok());
  const uint8_t scalar = 9;
  ASSERT_TRUE(w.AddTensor("scalar", DType::kU8, {}, &scalar).ok());
  w.SetMetadata("format", "pt");
  w.SetMetadata("quote\"key", "line\nbreak \xc3\xa9");
  auto bytes = w.Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto f = File::FromBuffer(bytes->data(), bytes->size(), "rt");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->tensors().size(), std::size(all) + 2);
  for (size_t i = 0; i < std::size(all); ++i) {
    std::string name = std::string("t.") + char('z' - i) + "." + DTypeName(all[i]);
    const Tensor* t = (*f)->Find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dtype, all[i]);
    EXPECT_EQ(t->dtype_name, DTypeName(all[i]));
    EXPECT_EQ(t->shape, std::vector<int64_t>({2, 3}));
    EXPECT_EQ(t->n_elements, 6);
    ASSERT_EQ(t->n_bytes, payloads[i].size());
    EXPECT_EQ(std::memcmp(t->data, payloads[i].data(), t->n_bytes), 0) << name;
    // Zero-copy: data points into the caller's buffer.
    EXPECT_GE(reinterpret_cast<const char*>(t->data), bytes->data());
  }
  const Tensor* e = (*f)->Find("empty");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->n_bytes, 0u);
  EXPECT_EQ(e->shape, std::vector<int64_t>({0, 4}));
  const Tensor* s = (*f)->Find("scalar");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->n_elements, 1);
  EXPECT_EQ(s->data[0], 9);
  EXPECT_EQ((*f)->Find("missing"), nullptr);
  EXPECT_EQ((*f)->metadata().size(), 2u);
  EXPECT_EQ((*f)->metadata().at("quote\"key"), "line\nbreak \xc3\xa9");
  // Header is padded to a multiple of 8 and tensor data are in name order.
  uint64_t n = 0;
  std::memcpy(&n, bytes->data(), 8);
  EXPECT_EQ(n % 8, 0u);
  const Tensor* prev = nullptr;
  for (const Tensor& t : (*f)->tensors()) {
    if (prev && prev->n_bytes && t.n_bytes) {
      EXPECT_LT(prev->name, t.name);
    }
    prev = &t;
  }
}

TEST(SafetensorsTest, ReadFloatsConvertsEachFloatType) {
  const uint16_t f16[3] = {0x3c00, 0xc000, 0x3800};   // 1, -2, 0.5
  const uint16_t bf16[3] = {0x3f80, 0xc000, 0x3f00};  // 1, -2, 0.5
  const double f64[3] = {1.0, -2.0, 0.5};
  const float f32[3] = {1.0f, -2.0f, 0.5f};
  const int32_t i32[3] = {1, 2, 3};
  Writer w;
  ASSERT_TRUE(w.AddTensor("f16", DType::kF16, {3}, f16).ok());
  ASSERT_TRUE(w.AddTensor("bf16", DType::kBF16, {3}, bf16).ok());
  ASSERT_TRUE(w.AddTensor("f64", DType::kF64, {3}, f64).ok());
  ASSERT_TRUE(w.AddTensor("f32", DType::kF32, {3}, f32).ok());
  ASSERT_TRUE(w.AddTensor("i32", DType::kI32, {3}, i32).ok());
  auto bytes = w.Serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = File::FromBuffer(bytes->data(), bytes->size(), "floats");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  for (const char* name : {"f16", "bf16", "f64", "f32"}) {
    auto v = ReadFloats(*(*f)->Find(name));
    ASSERT_TRUE(v.ok()) << name;
    EXPECT_EQ(*v, std::vector<float>({1.0f, -2.0f, 0.5f})) << name;
  }
  auto bad = ReadFloats(*(*f)->Find("i32"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not a float type"), std::string::npos);
}

TEST(SafetensorsTest, AcceptsHandWrittenFileWithSpacesAndAnyKeyOrder) {
  std::string b(12, '\0');
  const std::string bytes =
      Make("{\"b\":{\"data_offsets\":[4,12],\"shape\":[2],\"dtype\":\"I32\"},"
           "\"a\":{\"shape\":[4],\"dtype\":\"U8\",\"data_offsets\":[0,4]}}   ",
           b);
  auto g = File::FromBuffer(bytes.data(), bytes.size(), "x");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ((*g)->tensors().size(), 2u);
  EXPECT_EQ((*g)->tensors()[0].name, "a");  // buffer order
  EXPECT_EQ((*g)->tensors()[1].name, "b");
}

TEST(SafetensorsTest, ValidationErrors) {
  const std::string ok_entry = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
  const std::string buf8(8, '\0');
  // Sanity: the base case parses.
  ASSERT_TRUE(ParseStatus(Make("{\"w\":" + ok_entry + "}", buf8)).ok());

  ExpectError(std::string("\x01\x02", 2), "too short");
  {
    std::string big = Make("{}", "");
    big[0] = 100;  // header length 100 > file
    ExpectError(big, "larger than the file");
  }
  {
    std::string absurd = Make("{}", "");
    absurd[5] = 1;  // 2^40
    ExpectError(absurd, "absurd");
  }
  ExpectError(Make("[1,2]", ""), "does not start with '{'");
  ExpectError(Make("{\"w\":", buf8), "invalid JSON");
  ExpectError(Make("{\"w\":1}", ""), "'w': entry is not an object");
  ExpectError(Make("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", buf8), "missing field 'dtype'");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", buf8), "missing field 'shape'");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", buf8), "missing field 'data_offsets'");
  ExpectError(Make("{\"w\":{\"dtype\":5,\"shape\":[2],\"data_offsets\":[0,8]}}", buf8),
              "'dtype' is not a string");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", buf8),
              "'shape' is not an array");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", buf8),
              "shape entry is not an integer");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", buf8),
              "not an array of 2 integers");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,8]}}", buf8),
              "not a non-negative integer");
  ExpectError(Make("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", buf8),
              "unknown dtype 'Q4'");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", buf8),
              "negative dimension");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                   "\"data_offsets\":[0,8]}}",
                   buf8),
              "overflows");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", buf8),
              "end 0 < begin 8");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", buf8),
              "out of the data buffer");
  ExpectError(Make("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", buf8),
              "data size 8 != product(shape)");
  ExpectError(Make("{\"a\":" + ok_entry + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],"
                   "\"data_offsets\":[4,8]}}",
                   buf8),
              "overlaps");
  ExpectError(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", buf8),
              "hole in the data buffer");
  ExpectError(Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", buf8),
              "hole in the data buffer");
  ExpectError(Make("{\"w\":" + ok_entry + ",\"w\":" + ok_entry + "}", buf8),
              "duplicate tensor name 'w'");
  ExpectError(Make("{\"__metadata__\":[1]}", ""), "__metadata__ is not an object");
  ExpectError(Make("{\"__metadata__\":{\"k\":1}}", ""), "value for 'k' is not a string");
  // A nested duplicate key inside a tensor entry is not a duplicate tensor name.
  EXPECT_TRUE(
      ParseStatus(Make("{\"__metadata__\":{\"a\":\"x\"},\"a\":" + ok_entry + "}", buf8)).ok());
}

TEST(SafetensorsTest, OpenErrorsNameTheFile) {
  auto f = File::Open("/nonexistent/dir/x.safetensors");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("x.safetensors"), std::string::npos)
      << f.status().message();
  const std::string path = TempPath("bad.safetensors");
  const std::string bad = Make("{\"w\":1}", "");
  FILE* fp = std::fopen(path.c_str(), "wb");
  ASSERT_NE(fp, nullptr);
  std::fwrite(bad.data(), 1, bad.size(), fp);
  std::fclose(fp);
  auto g = File::Open(path);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find(path), std::string::npos) << g.status().message();
  std::filesystem::remove(path);
}

TEST(SafetensorsTest, EveryTruncationFailsCleanly) {
  const float a[3] = {1, 2, 3};
  const uint16_t b[2] = {7, 8};
  Writer w;
  ASSERT_TRUE(w.AddTensor("a", DType::kF32, {3}, a).ok());
  ASSERT_TRUE(w.AddTensor("b", DType::kBF16, {1, 2}, b).ok());
  w.SetMetadata("format", "pt");
  auto bytes = w.Serialize();
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(ParseStatus(*bytes).ok());
  for (size_t len = 0; len < bytes->size(); ++len) {
    // Copy into an exact-size heap buffer so ASan catches any over-read.
    std::vector<char> prefix(bytes->begin(), bytes->begin() + static_cast<std::ptrdiff_t>(len));
    auto r = File::FromBuffer(prefix.data(), prefix.size(), "trunc");
    EXPECT_FALSE(r.ok()) << "prefix of " << len << " bytes parsed";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    }
  }
}

TEST(SafetensorsTest, WriterRejectsBadInput) {
  const float x = 0;
  Writer w;
  EXPECT_FALSE(w.AddTensor("", DType::kF32, {1}, &x).ok());
  EXPECT_FALSE(w.AddTensor("__metadata__", DType::kF32, {1}, &x).ok());
  EXPECT_FALSE(w.AddTensor("neg", DType::kF32, {-1}, &x).ok());
  EXPECT_FALSE(w.AddTensor("huge", DType::kF64, {int64_t{1} << 40, int64_t{1} << 40}, &x).ok());
  EXPECT_FALSE(w.AddTensor("null", DType::kF32, {1}, nullptr).ok());
  ASSERT_TRUE(w.AddTensor("x", DType::kF32, {1}, &x).ok());
  Status dup = w.AddTensor("x", DType::kF32, {1}, &x);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.message().find("duplicate"), std::string::npos);
  // Invalid UTF-8 cannot be encoded as JSON: an error, not an exception.
  w.SetMetadata("bad", "\xff\xfe");
  EXPECT_FALSE(w.Serialize().ok());
  EXPECT_FALSE(w.Write(TempPath("never.safetensors")).ok());
}

TEST(SafetensorsTest, DTypeNames) {
  for (const char* n : {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
                        "I32", "U32", "F32", "F64", "I64", "U64"}) {
    auto d = ParseDType(n);
    ASSERT_TRUE(d.ok()) << n;
    EXPECT_STREQ(DTypeName(*d), n);
  }
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kF64), 8u);
  EXPECT_FALSE(ParseDType("f32").ok());
}

// The fuzz seeds were written by an independent Python script (json + struct); all are valid.
TEST(SafetensorsTest, FuzzSeedsParse) {
  const std::filesystem::path dir =
      std::filesystem::path(SANGAM_SOURCE_DIR) / "fuzz" / "seeds" / "safetensors";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto f = File::Open(entry.path().string());
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    ++n;
  }
  EXPECT_GE(n, 4);
  auto f = File::Open((dir / "f32_meta").string());
  ASSERT_TRUE(f.ok());
  auto v = ReadFloats(*(*f)->Find("a"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, std::vector<float>({1.0f, -2.0f}));
  auto m = File::Open((dir / "mixed").string());
  ASSERT_TRUE(m.ok());
  const Tensor* a = (*m)->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF16);
  EXPECT_EQ(a->shape, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(a->data[0], 0);
  EXPECT_EQ(a->data[11], 11);
  EXPECT_EQ((*m)->Find("d")->shape.size(), 0u);
}

TEST(SafetensorsTest, DeeplyNestedHeaderFailsWithoutCrashing) {
  const size_t depth = 200000;
  const std::string header = "{\"w\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  ExpectError(Make(header, ""), "'w': entry is not an object");
  ExpectError(Make("{\"w\":" + std::string(depth, '['), ""), "invalid JSON");
}

}  // namespace
}  // namespace sangam::safetensors
