// Black-box checks of `sangam adapt`: help, and clear errors with exit code 1.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace sangam {
namespace {

struct Out {
  int code;
  std::string text;
};

Out RunShell(const std::string& args) {
  const std::string cmd = std::string(SANGAM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, text};
}

TEST(AdaptCli, HelpListsTheStagesOptions) {
  const Out o = RunShell("adapt --help");
  EXPECT_EQ(o.code, 0);
  for (const char* flag : {"--lang", "--corpus", "--stage1-steps", "--forgetting-budget", "--restart"}) {
    EXPECT_NE(o.text.find(flag), std::string::npos) << flag;
  }
}

TEST(AdaptCli, ErrorsNameTheProblem) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const std::string base = std::string(SANGAM_SHARED_DIR) + "/data/models/stories260K.gguf";
  const auto dir = std::filesystem::temp_directory_path() / ("sangam_adapt_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Out o = RunShell("adapt -m " + base + " --lang hi --corpus " + (dir / "nope.txt").string() +
                   " -o " + (dir / "out").string());
  EXPECT_EQ(o.code, 1) << o.text;
  EXPECT_NE(o.text.find("sangam: error:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("nope.txt"), std::string::npos) << o.text;
  {
    std::ofstream(dir / "en.txt") << "This is plain English text, not Hindi at all.\n";
  }
  o = RunShell("adapt -m " + base + " --lang hi --replay-tokens 0 --corpus " +
               (dir / "en.txt").string() + " -o " + (dir / "out2").string());
  EXPECT_EQ(o.code, 1) << o.text;
  EXPECT_NE(o.text.find("script"), std::string::npos) << o.text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sangam
