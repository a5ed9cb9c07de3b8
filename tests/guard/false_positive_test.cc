// False positives of the default policy's rules (keywords, patterns, injection, language) on
// ordinary multilingual text: NLLB-Seed Wikipedia sentences, LibreOffice UI/help strings in the 22
// scheduled languages of India, and the UDHR in hundreds of languages. The rate must be <= 1 %.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "sangam/guard.h"
#include "guard_test_util.h"
#include "test_util.h"

namespace sangam::guard {
namespace {

namespace fs = std::filesystem;

// String concatenation through append (gcc 12 warns spuriously about `"literal" + std::string`).
std::string Cat(std::string a, const std::string& b) { return a.append(b); }

struct Counts {
  int64_t texts = 0, flagged = 0, pii = 0;
  std::vector<std::string> examples;
};

void CheckText(const Guard& g, const std::string& text, const std::string& source, Counts* c) {
  if (text.find_first_not_of(" \t") == std::string::npos) return;
  const Decision d = g.Evaluate(text, Direction::kInput);
  ++c->texts;
  bool other = false;
  for (const std::string& cat : d.categories) {
    if (cat == "pii") ++c->pii;  // example addresses and numbers in help texts are real PII matches
    else other = true;
  }
  if (other) {
    ++c->flagged;
    if (c->examples.size() < 15) c->examples.push_back(Cat(Cat(Cat(Cat(source, ": "), d.ToJson()), " <- "), text.substr(0, 160)));
  }
}

TEST(GuardFalsePositives, MultilingualTextIsAllowed) {
  SANGAM_REQUIRE_SHARED("data/text/nllb-seed.tar.xz");
  SANGAM_REQUIRE_SHARED("data/text/libreoffice-indic.tar.xz");
  SANGAM_REQUIRE_SHARED("data/text/udhr.tar.xz");
  const fs::path dir = fs::temp_directory_path() / Cat("sangam-guard-fp-", std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* tarball : {"nllb-seed.tar.xz", "libreoffice-indic.tar.xz", "udhr.tar.xz"}) {
    const std::string cmd = Cat(Cat(Cat(Cat("tar -xJf '", ::sangam::testing::SharedPath(Cat("data/text/", tarball))), "' -C '"), dir.string()), "'");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  auto policy = guard::testing::RulesOnlyDefault();
  ASSERT_NE(policy, nullptr);
  auto g = Guard::Create(policy);
  ASSERT_TRUE(g.ok()) << g.status().ToString();

  std::map<std::string, Counts> by_source;
  // Every 20th NLLB-Seed sentence, every 40th LibreOffice string (English and translation), every
  // 2nd UDHR line: about 55,000 texts in ~200 languages.
  for (const auto& e : fs::directory_iterator(dir / "nllb_seed" / "seed")) {
    const std::string name = e.path().filename().string();
    if (name == "README.md" || name == "metadata.tsv") continue;
    std::ifstream f(e.path());
    std::string line;
    for (int i = 0; std::getline(f, line); ++i) {
      if (i % 20 == 0) CheckText(**g, line, Cat("nllb/", name), &by_source["nllb-seed"]);
    }
  }
  for (const auto& e : fs::recursive_directory_iterator(dir / "libreoffice_po")) {
    if (!e.is_regular_file() || e.path().extension() != ".tsv") continue;
    std::ifstream f(e.path());
    std::string line;
    const std::string name = Cat(Cat(e.path().parent_path().filename().string(), "/"), e.path().filename().string());
    for (int i = 0; std::getline(f, line); ++i) {
      if (i % 40 != 0) continue;
      std::vector<std::string> cols;
      size_t start = 0;
      for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) cols.push_back(line.substr(start, tab - start));
      cols.push_back(line.substr(start));
      if (cols.size() < 4) continue;
      CheckText(**g, cols[2], "libreoffice/en", &by_source["libreoffice"]);
      CheckText(**g, cols[3], Cat("libreoffice/", name), &by_source["libreoffice"]);
    }
  }
  for (const auto& e : fs::directory_iterator(dir / "udhr" / "txt")) {
    std::ifstream f(e.path());
    std::string line;
    for (int i = 0; std::getline(f, line); ++i) {
      if (i % 2 == 0) CheckText(**g, line, Cat("udhr/", e.path().filename().string()), &by_source["udhr"]);
    }
  }
  fs::remove_all(dir);

  Counts total;
  for (const auto& [src, c] : by_source) {
    std::printf("[ fp     ] %-12s %7lld texts, %5lld flagged by rules (%.3f %%), %5lld with PII\n", src.c_str(),
                static_cast<long long>(c.texts), static_cast<long long>(c.flagged), 100.0 * c.flagged / std::max<int64_t>(1, c.texts),
                static_cast<long long>(c.pii));
    for (const std::string& ex : c.examples) std::printf("[ fp     ]   %s\n", ex.c_str());
    total.texts += c.texts;
    total.flagged += c.flagged;
    EXPECT_GT(c.texts, 1000) << src;
  }
  const double rate = static_cast<double>(total.flagged) / std::max<int64_t>(1, total.texts);
  std::printf("[ fp     ] total %lld texts, false-positive rate %.3f %%\n", static_cast<long long>(total.texts), 100.0 * rate);
  EXPECT_LE(rate, 0.01);
}

}  // namespace
}  // namespace sangam::guard
