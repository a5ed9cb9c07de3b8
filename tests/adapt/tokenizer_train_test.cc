// TrainTokenizer: SentencePiece unigram/BPE training on Hindi text, round trips and errors.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sangam/vocab_tools.h"
#include "test_util.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

bool HasDevanagari(const std::string& s) {
  // U+0900..U+097F is E0 A4 80 .. E0 A5 BF in UTF-8.
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (static_cast<uint8_t>(s[i]) == 0xE0 &&
        (static_cast<uint8_t>(s[i + 1]) == 0xA4 || static_cast<uint8_t>(s[i + 1]) == 0xA5)) {
      return true;
    }
  }
  return false;
}

class TokenizerTrainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(fs::temp_directory_path() / ("sangam_toktrain_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    const std::string tar = testing::SharedPath("data/text/libreoffice-indic.tar.xz");
    if (!fs::exists(tar)) return;
    const std::string cmd = "tar xJf '" + tar + "' -C '" + *dir_ + "' libreoffice_po/hi/ui-00.tsv";
    if (std::system(cmd.c_str()) != 0) return;
    // The Hindi column (4th) of the LibreOffice UI strings.
    std::ifstream in(*dir_ + "/libreoffice_po/hi/ui-00.tsv");
    std::ofstream out(*dir_ + "/hi.txt");
    std::string line;
    while (std::getline(in, line)) {
      size_t p = 0;
      for (int tab = 0; tab < 3 && p != std::string::npos; ++tab) {
        p = line.find('\t', p);
        if (p != std::string::npos) ++p;
      }
      if (p == std::string::npos) continue;
      out << line.substr(p) << "\n";
    }
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static bool HaveHindi() { return fs::exists(Path("hi.txt")) && fs::file_size(Path("hi.txt")) > 100000; }

  static std::string* dir_;
};
std::string* TokenizerTrainTest::dir_ = nullptr;

#define REQUIRE_HINDI()                                                                  \
  do {                                                                                   \
    SANGAM_REQUIRE_SHARED("data/text/libreoffice-indic.tar.xz");                         \
    ASSERT_TRUE(HaveHindi()) << "could not extract the Hindi text";                      \
  } while (0)

void CheckModel(const std::string& type, const std::string& dir, const std::string& corpus) {
  TokenizerTrainOptions o;
  o.inputs = {corpus};
  o.output = dir + "/hi_" + type;
  o.type = type;
  o.vocab_size = 2000;
  auto r = TrainTokenizer(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model_path, dir + "/hi_" + type + ".model");
  EXPECT_EQ(r->n_pieces, 2000);
  EXPECT_EQ(r->n_byte_pieces, 256);
  EXPECT_GT(r->n_sentences, 10000);
  EXPECT_GT(r->char_coverage, 0.99);
  EXPECT_GT(r->chars_per_token, 2.0);  // bytes alone would give < 1
  EXPECT_FALSE(fs::exists(r->model_path + ".tmp"));

  auto pieces = LoadSentencePieceModel(r->model_path);
  ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
  ASSERT_EQ(pieces->size(), 2000u);
  int n_deva = 0, n_multi = 0;
  for (const NewPiece& p : *pieces) {
    if (p.type == tokenizer::TokenType::kNormal && HasDevanagari(p.piece)) {
      ++n_deva;
      if (p.piece.size() > 6) ++n_multi;  // at least three Devanagari characters or ▁ + two
    }
  }
  EXPECT_GT(n_deva, 1000) << type;
  EXPECT_GT(n_multi, 300) << type;

  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(r->model_path).ok());
  std::ifstream in(corpus);
  std::string line;
  int n_checked = 0;
  while (std::getline(in, line) && n_checked < 500) {
    if (line.empty()) continue;
    std::vector<int> ids;
    ASSERT_TRUE(sp.Encode(line, &ids).ok());
    std::string back;
    ASSERT_TRUE(sp.Decode(ids, &back).ok());
    EXPECT_EQ(back, line) << type;
    ++n_checked;
  }
  EXPECT_EQ(n_checked, 500);
  // Text it never saw, with a character outside the training set: byte fallback, still exact.
  const std::string unseen = "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतंत्रता प्राप्त है 😀";
  std::vector<int> ids;
  ASSERT_TRUE(sp.Encode(unseen, &ids).ok());
  std::string back;
  ASSERT_TRUE(sp.Decode(ids, &back).ok());
  EXPECT_EQ(back, unseen);
}

TEST_F(TokenizerTrainTest, UnigramOnHindi) {
  REQUIRE_HINDI();
  CheckModel("unigram", *dir_, Path("hi.txt"));
}

TEST_F(TokenizerTrainTest, BpeOnHindi) {
  REQUIRE_HINDI();
  CheckModel("bpe", *dir_, Path("hi.txt"));
}

TEST_F(TokenizerTrainTest, DeterministicForASeed) {
  REQUIRE_HINDI();
  TokenizerTrainOptions o;
  o.inputs = {Path("hi.txt")};
  o.vocab_size = 1000;
  o.input_sentence_size = 5000;  // sampling uses the seed
  o.output = Path("det_a");
  ASSERT_TRUE(TrainTokenizer(o).ok());
  o.output = Path("det_b");
  ASSERT_TRUE(TrainTokenizer(o).ok());
  EXPECT_EQ(ReadAll(Path("det_a.model")), ReadAll(Path("det_b.model")));
}

TEST_F(TokenizerTrainTest, SeveralFilesAreStreamedTogether) {
  REQUIRE_HINDI();
  // Two halves of the corpus give the same model as the whole (same lines, same order).
  std::ifstream in(Path("hi.txt"));
  std::ofstream a(Path("half_a.txt")), b(Path("half_b.txt"));
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) (i < 10000 ? a : b) << line << "\n";
  a.close();
  b.close();
  TokenizerTrainOptions o;
  o.vocab_size = 1000;
  o.inputs = {Path("hi.txt")};
  o.output = Path("whole");
  ASSERT_TRUE(TrainTokenizer(o).ok());
  o.inputs = {Path("half_a.txt"), Path("half_b.txt")};
  o.output = Path("halves");
  ASSERT_TRUE(TrainTokenizer(o).ok());
  EXPECT_EQ(ReadAll(Path("whole.model")), ReadAll(Path("halves.model")));
}

TEST_F(TokenizerTrainTest, Errors) {
  const std::string small = Path("small.txt");
  WriteAll(small, "नमस्ते दुनिया\nयह एक परीक्षण है\n");
  TokenizerTrainOptions o;
  o.inputs = {small};
  o.output = Path("err");
  o.vocab_size = 100;

  TokenizerTrainOptions bad = o;
  bad.type = "wordpiece";
  auto r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("wordpiece"), std::string::npos);

  bad = o;
  bad.inputs.clear();
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no input files"), std::string::npos);

  bad = o;
  bad.inputs = {Path("does_not_exist.txt")};
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("does_not_exist.txt"), std::string::npos);

  WriteAll(Path("blank.txt"), "\n  \n\n");
  bad = o;
  bad.inputs = {Path("blank.txt")};
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("empty"), std::string::npos);

  WriteAll(Path("bad_utf8.txt"), "ok line\nabc\xC3(def\n");
  bad = o;
  bad.inputs = {small, Path("bad_utf8.txt")};
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad_utf8.txt"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("byte offset 11"), std::string::npos) << r.status().message();

  bad = o;
  bad.vocab_size = 100000;
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("supports at most ~"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("lower --vocab-size"), std::string::npos);
  EXPECT_FALSE(fs::exists(Path("err.model")));
  EXPECT_FALSE(fs::exists(Path("err.model.tmp")));

  bad = o;
  bad.type = "bpe";
  bad.vocab_size = 100000;
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("supports at most ~"), std::string::npos) << r.status().message();

  bad = o;
  bad.output = Path("no/such/dir/out");
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIo);
  EXPECT_NE(r.status().message().find("cannot write"), std::string::npos);

  bad = o;
  bad.vocab_size = 50;  // fewer than 256 byte pieces + characters
  r = TrainTokenizer(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("too small"), std::string::npos) << r.status().message();

  // The same small corpus trains fine with a vocabulary it supports.
  o.vocab_size = 280;
  r = TrainTokenizer(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->n_pieces, 280);
}

TEST_F(TokenizerTrainTest, LoadRejectsNonModels) {
  WriteAll(Path("not_a_model.txt"), "this is plain text, not a protobuf\n");
  auto p = LoadSentencePieceModel(Path("not_a_model.txt"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  p = LoadSentencePieceModel(Path("missing.model"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
}

TEST(ByteLevel, RoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string enc = ByteLevelEncode(all);
  std::string dec;
  ASSERT_TRUE(ByteLevelDecode(enc, &dec));
  EXPECT_EQ(dec, all);
  EXPECT_EQ(ByteLevelEncode(" hello"), "\xC4\xA0hello");  // GPT-2's "Ġhello"
  EXPECT_EQ(ByteLevelEncode("\n"), "\xC4\x8A");            // "Ċ"
  EXPECT_FALSE(ByteLevelDecode("\xE0\xA4\xA8", &dec));     // न is not in the alphabet
}

}  // namespace
}  // namespace sangam::adapt
