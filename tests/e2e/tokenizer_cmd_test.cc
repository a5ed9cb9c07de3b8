// Black-box tests of `sangam tokenizer train|extend`: train on Hindi, extend stories260K, generate.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

namespace sangam {
namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int exit_code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class TokenizerCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sangam_tokcmd_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }
  // Runs `sangam ARGS` (ARGS already shell-quoted where needed).
  CmdResult Sangam(const std::string& args) const {
    const std::string cmd = std::string("'") + SANGAM_BINARY + "' " + args + " >'" + P("out.txt") +
                            "' 2>'" + P("err.txt") + "'";
    const int rc = std::system(cmd.c_str());
    CmdResult r;
    r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = Slurp(P("out.txt"));
    r.err = Slurp(P("err.txt"));
    return r;
  }
  // Hindi training text: the 4th column of LibreOffice's Hindi UI strings.
  bool MakeHindiCorpus(const std::string& out_path) const {
    const std::string tar = testing::SharedPath("data/text/libreoffice-indic.tar.xz");
    if (std::system(("tar xJf '" + tar + "' -C '" + dir_.string() + "' libreoffice_po/hi/ui-00.tsv").c_str()) != 0) {
      return false;
    }
    std::ifstream in(P("libreoffice_po/hi/ui-00.tsv"));
    std::ofstream out(out_path);
    std::string line;
    while (std::getline(in, line)) {
      size_t p = 0;
      for (int tab = 0; tab < 3 && p != std::string::npos; ++tab) {
        p = line.find('\t', p);
        if (p != std::string::npos) ++p;
      }
      if (p != std::string::npos) out << line.substr(p) << "\n";
    }
    return true;
  }

  fs::path dir_;
};

void ExpectError(const CmdResult& r, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("sangam: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

TEST_F(TokenizerCmdTest, TrainExtendGenerate) {
  SANGAM_REQUIRE_SHARED("data/text/libreoffice-indic.tar.xz");
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  ASSERT_TRUE(MakeHindiCorpus(P("hi.txt")));

  CmdResult r = Sangam("tokenizer train --type bpe --vocab-size 1500 -o '" + P("hi") + "' '" + P("hi.txt") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(P("hi.model")));
  EXPECT_NE(r.out.find("1500 pieces"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("coverage"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("trainer_interface"), std::string::npos) << "sentencepiece logs leak: " << r.err;

  const std::string base = testing::SharedPath("data/models/stories260K.gguf");
  r = Sangam("tokenizer extend -m '" + base + "' --with '" + P("hi.model") + "' -o '" + P("ext.gguf") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("vocabulary 512 -> "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first new id 512"), std::string::npos) << r.out;

  const std::string hindi = "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतंत्रता प्राप्त है";
  r = Sangam("tokenize -m '" + base + "' --count '" + hindi + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const long base_count = std::strtol(r.out.c_str(), nullptr, 10);
  r = Sangam("tokenize -m '" + P("ext.gguf") + "' --count '" + hindi + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const long ext_count = std::strtol(r.out.c_str(), nullptr, 10);
  EXPECT_GT(base_count, 2 * ext_count) << base_count << " vs " << ext_count;

  r = Sangam("generate -m '" + P("ext.gguf") + "' -p 'Once upon a time' -n 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Once upon a time"), std::string::npos) << r.out;
  r = Sangam("generate -m '" + P("ext.gguf") + "' -p '" + hindi + "' -n 4");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TokenizerCmdTest, Errors) {
  std::ofstream(P("small.txt")) << "नमस्ते दुनिया\n";
  ExpectError(Sangam("tokenizer train --type wordpiece --vocab-size 300 -o '" + P("x") + "' '" + P("small.txt") + "'"),
              "wordpiece");
  ExpectError(Sangam("tokenizer train --vocab-size 300 -o '" + P("x") + "' '" + P("missing.txt") + "'"),
              "missing.txt");
  ExpectError(Sangam("tokenizer train --vocab-size 100000 -o '" + P("x") + "' '" + P("small.txt") + "'"),
              "lower --vocab-size");
  ExpectError(Sangam("tokenizer train --vocab-size 280 -o '" + P("no/dir/x") + "' '" + P("small.txt") + "'"),
              "cannot write");
  ExpectError(Sangam("tokenizer extend -m '" + P("small.txt") + "' --with '" + P("small.txt") + "' -o '" +
                     P("o.gguf") + "'"),
              "not a GGUF");
  ExpectError(Sangam("tokenizer extend -m '" + P("nothing.gguf") + "' --with '" + P("small.txt") + "' -o '" +
                     P("o.gguf") + "'"),
              "not found");
  if (fs::exists(testing::SharedPath("data/models/stories260K.gguf"))) {
    ExpectError(Sangam("tokenizer extend -m '" + testing::SharedPath("data/models/stories260K.gguf") +
                       "' --with '" + P("small.txt") + "' -o '" + P("o.gguf") + "'"),
                "not a SentencePiece model");
  }
  // A usage error (missing subcommand) is reported by the parser.
  CmdResult r = Sangam("tokenizer");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("sangam: error: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace sangam
