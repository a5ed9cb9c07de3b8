// Every script of the 22 scheduled languages of India through tokenizer training and vocabulary
// extension: LibreOffice strings (../shared/data/text/libreoffice-indic: Devanagari, Bengali,
// Gurmukhi, Gujarati, Odia, Tamil, Telugu, Kannada, Malayalam, Perso-Arabic right-to-left) and
// CLDR names in Ol Chiki and Meitei Mayek. Checks: the new tokenizer trains, the extended
// stories260K tokenizes held-out lines in fewer tokens, and decoding gives back the exact text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../model/model_test_util.h"
#include "sangam/corpus.h"
#include "sangam/model.h"
#include "sangam/vocab_tools.h"
#include "test_util.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;
using model::testing::TempDir;

std::vector<std::string> Column(const std::string& path, int col, size_t max_lines) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line) && out.size() < max_lines) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, '\t')) f.push_back(x);
    if (static_cast<int>(f.size()) > col && f[static_cast<size_t>(col)].size() >= 6) {
      out.push_back(f[static_cast<size_t>(col)]);
    }
  }
  return out;
}

struct Case {
  std::string name, file, script;
  int col;
};

TEST(AllScripts, TrainExtendRoundTrip) {
  SANGAM_REQUIRE_SHARED("data/text/libreoffice-indic.tar.xz");
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  TempDir dir;
  const std::string root = dir.File("x");
  fs::create_directories(root);
  const std::string shared = SANGAM_SHARED_DIR;
  ASSERT_EQ(std::system(("tar xJf " + shared + "/data/text/libreoffice-indic.tar.xz -C " + root +
                         " && tar xJf " + shared + "/data/text/cldr-exemplars.tar.xz -C " + root)
                            .c_str()),
            0);
  const std::string lo = root + "/libreoffice_po/";
  const std::vector<Case> cases = {
      {"as", lo + "as/ui-00.tsv", "Beng", 3},   {"bn", lo + "bn/ui-00.tsv", "Beng", 3},
      {"brx", lo + "brx/ui-00.tsv", "Deva", 3}, {"gu", lo + "gu/ui-00.tsv", "Gujr", 3},
      {"hi", lo + "hi/ui-00.tsv", "Deva", 3},   {"kn", lo + "kn/ui-00.tsv", "Knda", 3},
      {"kok", lo + "kok/ui-00.tsv", "Deva", 3}, {"ks", lo + "ks/ui-00.tsv", "Arab", 3},
      {"mai", lo + "mai/ui-00.tsv", "Deva", 3}, {"ml", lo + "ml/ui-00.tsv", "Mlym", 3},
      {"mni", lo + "mni/ui-00.tsv", "Beng", 3}, {"mr", lo + "mr/ui-00.tsv", "Deva", 3},
      {"ne", lo + "ne/ui-00.tsv", "Deva", 3},   {"or", lo + "or/ui-00.tsv", "Orya", 3},
      {"pa", lo + "pa-IN/ui-00.tsv", "Guru", 3}, {"sa", lo + "sa-IN/ui-00.tsv", "Deva", 3},
      {"sat", lo + "sat/ui-00.tsv", "Deva", 3}, {"sd", lo + "sd/ui-00.tsv", "Arab", 3},
      {"ta", lo + "ta/ui-00.tsv", "Taml", 3},   {"te", lo + "te/ui-00.tsv", "Telu", 3},
      {"ur", lo + "ur/ui-00.tsv", "Arab", 3},
      {"sat_Olck", root + "/cldr/localenames/sat.tsv", "Olck", 2},
      {"mni_Mtei", root + "/cldr/localenames/mni-Mtei.tsv", "Mtei", 2},
  };
  auto base = model::Model::Load(shared + "/data/models/stories260K.gguf");
  ASSERT_TRUE(base.ok());
  ThreadPool pool(2);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> lines = Column(c.file, c.col, 2500);
    ASSERT_GE(lines.size(), 3u) << c.file;
    // The text really is in the expected script.
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    EXPECT_GT(CountScript(all, c.script).share(), 0.6) << c.name << " dominant " << DominantScript(all);
    // Every 10th line held out (all lines for the tiny CLDR sets, which are only round-tripped).
    std::string train, held;
    for (size_t i = 0; i < lines.size(); ++i) {
      ((lines.size() > 50 && i % 10 == 9) ? held : train) += lines[i] + "\n";
    }
    if (held.empty()) held = train;
    const std::string train_path = dir.File(c.name + ".txt");
    std::ofstream(train_path) << train;
    TokenizerTrainOptions t;
    t.inputs = {train_path};
    t.output = dir.File(c.name + ".model");
    t.type = "bpe";
    Result<TokenizerTrainReport> tr = InvalidArgumentError("not run");
    for (int vocab : {1500, 800, 500, 400, 330, 300}) {  // the largest the text supports
      t.vocab_size = vocab;
      tr = TrainTokenizer(t);
      if (tr.ok()) break;
    }
    ASSERT_TRUE(tr.ok()) << tr.status().ToString();
    const std::string ext = dir.File(c.name + ".gguf");
    auto er = ExtendVocabulary(shared + "/data/models/stories260K.gguf", t.output, ext, {}, pool);
    ASSERT_TRUE(er.ok()) << er.status().ToString();
    EXPECT_GT(er->n_added, 0);
    auto m = model::Model::Load(ext);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    int64_t before = 0, after = 0;
    std::istringstream hs(held);
    std::string line;
    while (std::getline(hs, line)) {
      tokenizer::EncodeOptions eo;
      eo.add_bos = false;
      auto a = (*base)->tokenizer().Encode(line, eo);
      auto b = (*m)->tokenizer().Encode(line, eo);
      ASSERT_TRUE(a.ok() && b.ok());
      before += static_cast<int64_t>(a->size());
      after += static_cast<int64_t>(b->size());
      EXPECT_EQ((*m)->tokenizer().Decode(*b), line) << "round trip";
    }
    std::printf("%-9s %-4s vocab %4d  +%4lld tokens  held-out tokens %6lld -> %6lld (%.2fx)\n",
                c.name.c_str(), c.script.c_str(), t.vocab_size, static_cast<long long>(er->n_added),
                static_cast<long long>(before), static_cast<long long>(after),
                static_cast<double>(before) / static_cast<double>(std::max<int64_t>(1, after)));
    EXPECT_LT(after * 3, before * 2) << "at least 1.5x fewer tokens";
  }
}

}  // namespace
}  // namespace sangam::adapt
