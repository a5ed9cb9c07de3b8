// ExtendVocabulary: Hindi pieces into stories260K (F32, Q8_0), a byte-level BPE model and the
// vocabulary-only Llama 2 file; base behaviour preserved bit for bit; token premium on FLORES.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/model.h"
#include "sangam/tokenizer.h"
#include "sangam/vocab_tools.h"
#include "test_util.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;

const char* const kEnglish[] = {
    "Once upon a time, there was a little girl named Lily.",
    "She liked to play outside with her dog in the big green park.",
    "Tom said: \"Can we go home now?\" and his mom smiled at him.",
    "The sun was hot, so they sat under a tree and ate an apple.",
};

bool RunShell(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

// Appends column 4 (the translation) of LibreOffice TSV files to `out`.
void AppendTsvColumn(const std::string& tsv, std::ofstream& out) {
  std::ifstream in(tsv);
  std::string line;
  while (std::getline(in, line)) {
    size_t p = 0;
    for (int tab = 0; tab < 3 && p != std::string::npos; ++tab) {
      p = line.find('\t', p);
      if (p != std::string::npos) ++p;
    }
    if (p != std::string::npos) out << line.substr(p) << "\n";
  }
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

int64_t CountTokens(const tokenizer::Tokenizer& tok, const std::vector<std::string>& lines) {
  int64_t n = 0;
  for (const std::string& l : lines) {
    auto ids = tok.Encode(l, {.add_bos = false});
    EXPECT_TRUE(ids.ok());
    if (ids.ok()) n += static_cast<int64_t>(ids->size());
  }
  return n;
}

class VocabExtendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(fs::temp_directory_path() / ("sangam_vocabext_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    const std::string lo = testing::SharedPath("data/text/libreoffice-indic.tar.xz");
    const std::string udhr = testing::SharedPath("data/text/udhr.tar.xz");
    if (!fs::exists(lo) || !fs::exists(udhr)) return;
    if (!RunShell("tar xJf '" + lo + "' -C '" + *dir_ + "' libreoffice_po/hi/ui-00.tsv") ||
        !RunShell("tar xJf '" + udhr + "' -C '" + *dir_ + "' udhr/txt/hin.txt")) {
      return;
    }
    {
      std::ofstream out(*dir_ + "/hi.txt");
      AppendTsvColumn(*dir_ + "/libreoffice_po/hi/ui-00.tsv", out);
    }
    for (const char* type : {"bpe", "unigram"}) {
      TokenizerTrainOptions o;
      o.inputs = {*dir_ + "/hi.txt"};
      o.output = *dir_ + "/hi_" + type;
      o.type = type;
      o.vocab_size = std::string(type) == "bpe" ? 3000 : 2000;
      auto r = TrainTokenizer(o);
      if (!r.ok()) {
        std::fprintf(stderr, "training failed: %s\n", r.status().ToString().c_str());
        return;
      }
    }
    ready_ = true;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  // Hindi text the tokenizers never saw (UDHR; they were trained on LibreOffice strings).
  static std::vector<std::string> HindiEval() { return ReadLines(Path("udhr/txt/hin.txt")); }

  static std::string* dir_;
  static bool ready_;
};
std::string* VocabExtendTest::dir_ = nullptr;
bool VocabExtendTest::ready_ = false;

#define REQUIRE_DATA()                                                   \
  do {                                                                   \
    SANGAM_REQUIRE_SHARED("data/text/libreoffice-indic.tar.xz");         \
    SANGAM_REQUIRE_SHARED("data/text/udhr.tar.xz");                      \
    SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");               \
    ASSERT_TRUE(ready_) << "could not prepare the Hindi tokenizers";     \
  } while (0)

// Logits of the base and the extended model on English text agree bit for bit on the base ids.
void ExpectSameBaseLogits(const model::Model& base, const model::Model& ext) {
  ThreadPool pool(2);
  auto cb = model::Context::Create(base, {.n_ctx = 128});
  auto ce = model::Context::Create(ext, {.n_ctx = 128});
  ASSERT_TRUE(cb.ok() && ce.ok());
  const int64_t v = base.hparams().n_vocab;
  for (const char* text : kEnglish) {
    auto ids = base.tokenizer().Encode(text, {.add_bos = true});
    ASSERT_TRUE(ids.ok());
    (*cb)->SeqClear(0);
    (*ce)->SeqClear(0);
    auto lb = (*cb)->Eval(pool, *ids);
    auto le = (*ce)->Eval(pool, *ids);
    ASSERT_TRUE(lb.ok() && le.ok());
    EXPECT_EQ(std::memcmp(*lb, *le, static_cast<size_t>(v) * sizeof(float)), 0) << text;
  }
}

// Rows of `name` for new ids equal the mean of the base rows of the base tokenizer's spelling;
// for quantized tensors, the quantized mean. Checks the first few new ids whose piece starts
// with a space (so the base tokenizer's own space prefix spells them correctly).
void ExpectMeanRows(const model::Model& base, const model::Model& ext, const std::string& name,
                    int n_check) {
  const gguf::TensorInfo* tb = base.file().FindTensor(name);
  const gguf::TensorInfo* te = ext.file().FindTensor(name);
  ASSERT_NE(tb, nullptr);
  ASSERT_NE(te, nullptr);
  ASSERT_EQ(tb->type, te->type);
  const int64_t cols = tb->ne[0];
  const tensor::MatrixView vb = tb->AsMatrix(), ve = te->AsMatrix();
  const tokenizer::Tokenizer& bt = base.tokenizer();
  const tokenizer::Tokenizer& et = ext.tokenizer();
  const bool spm = bt.model_name() == "llama";
  int checked = 0;
  for (int32_t id = bt.n_vocab(); id < et.n_vocab() && checked < n_check; ++id) {
    std::string text = et.TokenToPiece(id);
    if (text.size() < 4 || text[0] != ' ') continue;
    if (spm && bt.add_space_prefix()) text = text.substr(1);  // Encode adds the space back
    auto ids = bt.Encode(text, {.add_bos = false});
    ASSERT_TRUE(ids.ok());
    ASSERT_FALSE(ids->empty());
    std::vector<float> mean(static_cast<size_t>(cols), 0.0f), row(static_cast<size_t>(cols));
    for (int32_t b : *ids) {
      tensor::GetRow(vb, b, row.data());
      for (int64_t c = 0; c < cols; ++c) mean[static_cast<size_t>(c)] += row[static_cast<size_t>(c)];
    }
    for (float& x : mean) x /= static_cast<float>(ids->size());
    if (tensor::Traits(tb->type).quantized) {
      std::vector<uint8_t> q(tensor::RowBytes(tb->type, cols));
      tensor::QuantizeRow(tb->type, mean.data(), q.data(), cols);
      tensor::DequantizeRow(tb->type, q.data(), mean.data(), cols);
    }
    std::vector<float> got(static_cast<size_t>(cols));
    tensor::GetRow(ve, id, got.data());
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_NEAR(got[static_cast<size_t>(c)], mean[static_cast<size_t>(c)], 1e-6f)
          << name << " id " << id << " col " << c << " (" << ids->size() << " base tokens)";
    }
    if (ids->size() > 1) ++checked;
  }
  EXPECT_EQ(checked, n_check) << name;
}

struct Loaded {
  std::unique_ptr<model::Model> base, ext;
};

Loaded ExtendAndLoad(const std::string& base_path, const std::string& with, const std::string& out,
                     ExtendReport* rep) {
  ThreadPool pool(2);
  auto r = ExtendVocabulary(base_path, with, out, {}, pool);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  *rep = *r;
  auto b = model::Model::Load(base_path);
  auto e = model::Model::Load(out);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  if (!b.ok() || !e.ok()) return {};
  return {std::move(b).value(), std::move(e).value()};
}

void CheckExtended(const Loaded& m, const ExtendReport& rep, int64_t min_added,
                   double min_hindi_gain, const std::vector<std::string>& hindi) {
  const int64_t v = m.base->hparams().n_vocab;
  EXPECT_EQ(rep.n_base_vocab, v);
  EXPECT_EQ(rep.first_new_id, v);
  EXPECT_EQ(rep.n_vocab, v + rep.n_added);
  EXPECT_EQ(m.ext->hparams().n_vocab, rep.n_vocab);
  EXPECT_EQ(m.ext->tokenizer().n_vocab(), rep.n_vocab);
  EXPECT_GT(rep.n_added, min_added);
  // Base tokens keep their ids and text.
  for (int32_t id = 0; id < v; ++id) {
    ASSERT_EQ(m.base->tokenizer().TokenText(id), m.ext->tokenizer().TokenText(id));
  }
  for (const char* text : kEnglish) {
    auto a = m.base->tokenizer().Encode(text);
    auto b = m.ext->tokenizer().Encode(text);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b) << text;
  }
  // Hindi uses the new pieces and needs far fewer tokens.
  const int64_t n_base = CountTokens(m.base->tokenizer(), hindi);
  const int64_t n_ext = CountTokens(m.ext->tokenizer(), hindi);
  int64_t n_new = 0, n_all = 0;
  for (const std::string& l : hindi) {
    auto ids = m.ext->tokenizer().Encode(l, {.add_bos = false});
    ASSERT_TRUE(ids.ok());
    for (int32_t id : *ids) n_new += id >= v, ++n_all;
    EXPECT_EQ(m.ext->tokenizer().Decode(*ids), l);
  }
  std::printf("[ info ] %s: Hindi (UDHR) %lld -> %lld tokens (%.2fx fewer); %.0f%% new ids\n",
              m.base->tokenizer().model_name().c_str(), static_cast<long long>(n_base),
              static_cast<long long>(n_ext), double(n_base) / double(n_ext),
              100.0 * double(n_new) / double(n_all));
  EXPECT_GT(double(n_base) / double(n_ext), min_hindi_gain);
  EXPECT_GT(n_new * 2, n_all);
}

TEST_F(VocabExtendTest, StoriesF32) {
  REQUIRE_DATA();
  ExtendReport rep;
  const std::string base = testing::SharedPath("data/models/stories260K.gguf");
  Loaded m = ExtendAndLoad(base, Path("hi_bpe.model"), Path("st_bpe.gguf"), &rep);
  ASSERT_TRUE(m.ext != nullptr);
  EXPECT_EQ(rep.resized_tensors, (std::vector<std::string>{"token_embd.weight", "output.weight"}));
  EXPECT_EQ(rep.n_unreachable, 0);  // BPE pieces are always built from two earlier pieces
  EXPECT_GT(rep.n_ascii, 0);
  CheckExtended(m, rep, 2000, 2.0, HindiEval());
  ExpectSameBaseLogits(*m.base, *m.ext);
  ExpectMeanRows(*m.base, *m.ext, "token_embd.weight", 5);
  ExpectMeanRows(*m.base, *m.ext, "output.weight", 5);
  // Every other tensor is copied unchanged.
  for (const gguf::TensorInfo& t : m.base->file().tensors()) {
    if (t.name == "token_embd.weight" || t.name == "output.weight") continue;
    const gguf::TensorInfo* e = m.ext->file().FindTensor(t.name);
    ASSERT_NE(e, nullptr) << t.name;
    ASSERT_EQ(e->n_bytes, t.n_bytes);
    EXPECT_EQ(std::memcmp(e->data, t.data, t.n_bytes), 0) << t.name;
  }
  // The base rows of the grown tensors too.
  for (const char* name : {"token_embd.weight", "output.weight"}) {
    const gguf::TensorInfo* tb = m.base->file().FindTensor(name);
    const gguf::TensorInfo* te = m.ext->file().FindTensor(name);
    EXPECT_EQ(std::memcmp(tb->data, te->data, tb->n_bytes), 0) << name;
  }
  // New SentencePiece tokens score below every base token, best-ranked first.
  const auto& et = m.ext->tokenizer();
  float base_min = 0;
  for (int32_t id = 0; id < 512; ++id) base_min = std::min(base_min, et.Score(id));
  EXPECT_LT(et.Score(512), base_min);
  EXPECT_GT(et.Score(512), et.Score(513));
  EXPECT_EQ(et.GetTokenType(600), tokenizer::TokenType::kNormal);
}

TEST_F(VocabExtendTest, StoriesUnigram) {
  REQUIRE_DATA();
  ExtendReport rep;
  Loaded m = ExtendAndLoad(testing::SharedPath("data/models/stories260K.gguf"), Path("hi_unigram.model"),
                           Path("st_uni.gguf"), &rep);
  ASSERT_TRUE(m.ext != nullptr);
  // Unigram pieces are not closed under splitting: some can never be formed by SPM merges.
  EXPECT_GT(rep.n_unreachable, 0);
  CheckExtended(m, rep, 300, 2.0, HindiEval());
  ExpectSameBaseLogits(*m.base, *m.ext);
}

TEST_F(VocabExtendTest, StoriesQ8_0) {
  REQUIRE_DATA();
  ThreadPool pool(2);
  ASSERT_TRUE(model::QuantizeModel(testing::SharedPath("data/models/stories260K.gguf"),
                                   Path("st_q8.gguf"), tensor::DType::kQ8_0, pool)
                  .ok());
  ExtendReport rep;
  Loaded m = ExtendAndLoad(Path("st_q8.gguf"), Path("hi_bpe.model"), Path("st_q8_ext.gguf"), &rep);
  ASSERT_TRUE(m.ext != nullptr);
  ASSERT_EQ(m.ext->file().FindTensor("token_embd.weight")->type, tensor::DType::kQ8_0);
  CheckExtended(m, rep, 2000, 2.0, HindiEval());
  ExpectSameBaseLogits(*m.base, *m.ext);
  ExpectMeanRows(*m.base, *m.ext, "token_embd.weight", 5);
  ExpectMeanRows(*m.base, *m.ext, "output.weight", 5);
}

TEST_F(VocabExtendTest, ByteLevelBpeModel) {
  REQUIRE_DATA();
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-gpt-2.gguf");
  ThreadPool pool(2);
  model::InitOptions io;
  io.n_embd = 32;
  io.n_layer = 1;
  io.n_head = 2;
  io.n_head_kv = 2;
  io.n_ff = 64;
  io.n_ctx = 128;
  io.tokenizer = testing::SharedPath("data/vocab/ggml-vocab-gpt-2.gguf");
  ASSERT_TRUE(model::InitModel(io, Path("gpt2_base.gguf"), pool).ok());
  ExtendReport rep;
  Loaded m = ExtendAndLoad(Path("gpt2_base.gguf"), Path("hi_bpe.model"), Path("gpt2_ext.gguf"), &rep);
  ASSERT_TRUE(m.ext != nullptr);
  EXPECT_EQ(m.ext->tokenizer().model_name(), "gpt2");
  // GPT-2's pre-tokenizer cuts Devanagari words at vowel signs (\p{M}), so pieces spanning a
  // letter and a mark are unreachable and the gain is smaller than for SentencePiece.
  EXPECT_GT(rep.n_unreachable, 0);
  CheckExtended(m, rep, 200, 1.5, HindiEval());
  ExpectSameBaseLogits(*m.base, *m.ext);
  ExpectMeanRows(*m.base, *m.ext, "token_embd.weight", 5);
  auto merges_b = m.base->file().GetStringArray("tokenizer.ggml.merges");
  auto merges_e = m.ext->file().GetStringArray("tokenizer.ggml.merges");
  ASSERT_TRUE(merges_b.ok() && merges_e.ok());
  EXPECT_EQ(merges_e->size(), merges_b->size() + static_cast<size_t>(rep.n_added));
  EXPECT_TRUE(std::equal(merges_b->begin(), merges_b->end(), merges_e->begin()));
}

TEST_F(VocabExtendTest, VocabularyOnlyFile) {
  REQUIRE_DATA();
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  ThreadPool pool(2);
  const std::string base = testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf");
  auto r = ExtendVocabulary(base, Path("hi_bpe.model"), Path("llama_ext.gguf"), {}, pool);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->resized_tensors.empty());
  EXPECT_EQ(r->n_base_vocab, 32000);
  EXPECT_GT(r->n_present, 0);  // Llama 2 already has the Devanagari letters
  auto fb = gguf::File::Open(base);
  auto fe = gguf::File::Open(Path("llama_ext.gguf"));
  ASSERT_TRUE(fb.ok() && fe.ok());
  auto tb = tokenizer::Tokenizer::FromGguf(**fb);
  auto te = tokenizer::Tokenizer::FromGguf(**fe);
  ASSERT_TRUE(tb.ok() && te.ok()) << te.status().ToString();
  EXPECT_EQ((*te)->n_vocab(), 32000 + r->n_added);
  for (const char* text : kEnglish) EXPECT_EQ(*(*tb)->Encode(text), *(*te)->Encode(text));
  // llama.cpp's tokenizer test strings (many scripts, odd spacing, emoji) keep their
  // tokenization unless they contain Devanagari (U+0900..U+097F: E0 A4 xx / E0 A5 xx).
  {
    std::ifstream in(testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf.inp"), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string all = ss.str();
    const std::string sep = "\n__ggml_vocab_test__\n";
    int n_checked = 0;
    for (size_t pos = 0; pos < all.size();) {
      size_t end = all.find(sep, pos);
      if (end == std::string::npos) end = all.size();
      const std::string text = all.substr(pos, end - pos);
      pos = end + sep.size();
      if (text.find("\xE0\xA4") != std::string::npos || text.find("\xE0\xA5") != std::string::npos) continue;
      auto a = (*tb)->Encode(text, {.add_bos = false});
      auto b = (*te)->Encode(text, {.add_bos = false});
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(*a, *b) << "'" << text << "'";
      ++n_checked;
    }
    EXPECT_GT(n_checked, 20);
  }
  const std::vector<std::string> hindi = HindiEval();
  const int64_t nb = CountTokens(**tb, hindi), ne = CountTokens(**te, hindi);
  std::printf("[ info ] llama-spm: Hindi (UDHR) %lld -> %lld tokens (%.2fx fewer)\n",
              static_cast<long long>(nb), static_cast<long long>(ne), double(nb) / double(ne));
  EXPECT_GT(double(nb) / double(ne), 2.0);
  // Every key other than the tokenizer arrays is unchanged.
  for (const auto& kv : (*fb)->metadata()) {
    if (kv.first.rfind("tokenizer.ggml.", 0) == 0 &&
        (kv.first == "tokenizer.ggml.tokens" || kv.first == "tokenizer.ggml.scores" ||
         kv.first == "tokenizer.ggml.token_type")) {
      continue;
    }
    if (kv.first == "llama.vocab_size") {
      auto n = (*fe)->GetU32("llama.vocab_size");
      ASSERT_TRUE(n.ok());
      EXPECT_EQ(*n, 32000 + r->n_added);
      continue;
    }
    const gguf::Value* v = (*fe)->Find(kv.first);
    ASSERT_NE(v, nullptr) << kv.first;
    EXPECT_TRUE(*v == kv.second) << kv.first;
  }
}

// --with may also be a GGUF vocabulary, SentencePiece-style or byte-level.
TEST_F(VocabExtendTest, PiecesFromGgufVocabularies) {
  REQUIRE_DATA();
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-gpt-2.gguf");
  auto llama = LoadNewPieces(testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(llama.ok()) << llama.status().ToString();
  ASSERT_EQ(llama->size(), 32000u);
  EXPECT_EQ((*llama)[3].type, tokenizer::TokenType::kByte);  // <0x00>
  auto gpt2 = LoadNewPieces(testing::SharedPath("data/vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_TRUE(gpt2.ok()) << gpt2.status().ToString();
  // GPT-2's "Ġthe" (id 262) comes back as SentencePiece text "▁the".
  EXPECT_EQ((*gpt2)[262].piece, "\xE2\x96\x81the");

  ThreadPool pool(2);
  const std::string base = testing::SharedPath("data/models/stories260K.gguf");
  for (const char* with : {"data/vocab/ggml-vocab-llama-spm.gguf", "data/vocab/ggml-vocab-gpt-2.gguf"}) {
    SCOPED_TRACE(with);
    auto r = ExtendVocabulary(base, testing::SharedPath(with), Path("st_gguf.gguf"), {}, pool);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GT(r->n_added, 100);
    EXPECT_GT(r->n_ascii, 1000);
    auto b = model::Model::Load(base);
    auto m = model::Model::Load(Path("st_gguf.gguf"));
    ASSERT_TRUE(b.ok() && m.ok()) << m.status().ToString();
    EXPECT_EQ((*m)->hparams().n_vocab, 512 + r->n_added);
    for (const char* text : kEnglish) {
      EXPECT_EQ(*(*b)->tokenizer().Encode(text), *(*m)->tokenizer().Encode(text));
    }
  }
}

TEST_F(VocabExtendTest, MaxNew) {
  REQUIRE_DATA();
  ThreadPool pool(2);
  ExtendOptions o;
  o.max_new = 100;
  auto r = ExtendVocabulary(testing::SharedPath("data/models/stories260K.gguf"), Path("hi_bpe.model"),
                            Path("st_max.gguf"), o, pool);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(r->n_added, 100);
  EXPECT_GT(r->n_added, 50);
  EXPECT_GT(r->n_over_limit, 0);
  EXPECT_EQ(r->n_added + r->n_skipped, 3000);
  auto m = model::Model::Load(Path("st_max.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->hparams().n_vocab, 512 + r->n_added);
}

TEST_F(VocabExtendTest, Errors) {
  REQUIRE_DATA();
  ThreadPool pool(1);
  const std::string base = testing::SharedPath("data/models/stories260K.gguf");
  auto r = ExtendVocabulary(Path("missing.gguf"), Path("hi_bpe.model"), Path("o.gguf"), {}, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  r = ExtendVocabulary(base, Path("missing.model"), Path("o.gguf"), {}, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  r = ExtendVocabulary(Path("hi_bpe.model"), Path("hi_bpe.model"), Path("o.gguf"), {}, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a GGUF"), std::string::npos) << r.status().message();
  r = ExtendVocabulary(base, Path("hi.txt"), Path("o.gguf"), {}, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not a SentencePiece model"), std::string::npos)
      << r.status().message();
  r = ExtendVocabulary(base, Path("hi_bpe.model"), base, {}, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = ExtendVocabulary(base, Path("hi_bpe.model"), Path("no/such/dir/o.gguf"), {}, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIo) << r.status().ToString();
  if (fs::exists(testing::SharedPath("data/vocab/ggml-vocab-bert-bge.gguf"))) {
    r = ExtendVocabulary(testing::SharedPath("data/vocab/ggml-vocab-bert-bge.gguf"),
                         Path("hi_bpe.model"), Path("o.gguf"), {}, pool);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  }
  EXPECT_FALSE(fs::exists(Path("o.gguf")));
}

// Token premium (tokens(lang) / tokens(English) on FLORES-200 dev, line by line, no BOS) of the
// Llama 2 vocabulary before and after adding a BPE tokenizer trained on the language's
// LibreOffice strings (+ UDHR where present). FLORES is only measured, never trained on.
TEST_F(VocabExtendTest, TokenPremiumLlama2) {
  REQUIRE_DATA();
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  SANGAM_REQUIRE_SHARED("data/eval/flores200-dev.tar.xz");
  struct Lang {
    const char* flores;
    const char* lo;
    const char* udhr;  // "" = none
  };
  const Lang langs[] = {{"hin_Deva", "hi", "hin"}, {"ben_Beng", "bn", "ben"},
                        {"tam_Taml", "ta", "tam"}, {"tel_Telu", "te", "tel"},
                        {"ory_Orya", "or", ""}};
  std::string members = "flores200/dev/eng_Latn.dev";
  for (const Lang& l : langs) members += std::string(" flores200/dev/") + l.flores + ".dev";
  ASSERT_TRUE(RunShell("tar xJf '" + testing::SharedPath("data/eval/flores200-dev.tar.xz") + "' -C '" +
                  *dir_ + "' " + members));
  std::string lo_members, udhr_members;
  for (const Lang& l : langs) {
    lo_members += std::string(" libreoffice_po/") + l.lo;
    if (*l.udhr) udhr_members += std::string(" udhr/txt/") + l.udhr + ".txt";
  }
  ASSERT_TRUE(RunShell("tar xJf '" + testing::SharedPath("data/text/libreoffice-indic.tar.xz") + "' -C '" +
                  *dir_ + "'" + lo_members));
  ASSERT_TRUE(RunShell("tar xJf '" + testing::SharedPath("data/text/udhr.tar.xz") + "' -C '" + *dir_ +
                  "'" + udhr_members));

  const std::string vocab = testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf");
  auto fb = gguf::File::Open(vocab);
  ASSERT_TRUE(fb.ok());
  auto tb = tokenizer::Tokenizer::FromGguf(**fb);
  ASSERT_TRUE(tb.ok());
  const std::vector<std::string> eng = ReadLines(Path("flores200/dev/eng_Latn.dev"));
  ASSERT_EQ(eng.size(), 997u);
  const int64_t eng_base = CountTokens(**tb, eng);
  ThreadPool pool(2);
  for (const Lang& l : langs) {
    SCOPED_TRACE(l.flores);
    const std::string corpus = Path(std::string("train_") + l.lo + ".txt");
    {
      std::ofstream out(corpus);
      for (const auto& e : fs::directory_iterator(Path(std::string("libreoffice_po/") + l.lo))) {
        if (e.path().extension() == ".tsv") AppendTsvColumn(e.path().string(), out);
      }
      if (*l.udhr) {
        for (const std::string& line : ReadLines(Path(std::string("udhr/txt/") + l.udhr + ".txt"))) {
          out << line << "\n";
        }
      }
    }
    TokenizerTrainOptions o;
    o.inputs = {corpus};
    o.output = Path(std::string("prem_") + l.lo);
    o.type = "bpe";
    o.vocab_size = 8000;
    o.num_threads = 2;
    auto tr = TrainTokenizer(o);
    ASSERT_TRUE(tr.ok()) << tr.status().ToString();
    const std::string out = Path(std::string("prem_") + l.lo + ".gguf");
    auto r = ExtendVocabulary(vocab, tr->model_path, out, {}, pool);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto fe = gguf::File::Open(out);
    ASSERT_TRUE(fe.ok());
    auto te = tokenizer::Tokenizer::FromGguf(**fe);
    ASSERT_TRUE(te.ok());
    const std::vector<std::string> text = ReadLines(Path(std::string("flores200/dev/") + l.flores + ".dev"));
    ASSERT_EQ(text.size(), 997u);
    const int64_t eng_ext = CountTokens(**te, eng);
    const double before = double(CountTokens(**tb, text)) / double(eng_base);
    const double after = double(CountTokens(**te, text)) / double(eng_ext);
    std::printf("[ info ] %s: training %lld lines, +%lld tokens; premium %.2f -> %.2f (%.2fx lower); "
                "English %lld -> %lld tokens\n",
                l.flores, static_cast<long long>(tr->n_sentences), static_cast<long long>(r->n_added),
                before, after, before / after, static_cast<long long>(eng_base),
                static_cast<long long>(eng_ext));
    EXPECT_GE(before / after, 2.0);
    std::error_code ec;
    fs::remove(out, ec);
  }
}

}  // namespace
}  // namespace sangam::adapt
