// `sangam guard check` as a user runs it: one JSON line per input, --jsonl error objects and exit
// status, stdin, and the audit log. Skips when the sangam binary has not been built.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int status = -1;
  std::vector<std::string> lines;
};

RunResult Sangam(const std::string& args) {
  RunResult r;
  const std::string cmd = std::string(SANGAM_BINARY) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[1 << 16];
  std::string cur;
  while (fgets(buf, sizeof(buf), p)) {
    cur += buf;
    if (!cur.empty() && cur.back() == '\n') {
      cur.pop_back();
      r.lines.push_back(cur);
      cur.clear();
    }
  }
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(GuardCli, CheckJsonlAndStdin) {
  if (!fs::exists(SANGAM_BINARY)) GTEST_SKIP() << SANGAM_BINARY << " not built";
  const fs::path dir = fs::temp_directory_path() / ("sangam-guard-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // A rules-only policy so the result does not depend on the shipped classifier.
  {
    std::ofstream(dir / "p.yaml") << "name: cli\nkeywords:\n  en:\n    S1: [\"i will kill you\"]\n";
    std::ofstream(dir / "in.jsonl") << "{\"text\": \"hello there\"}\nnot json\n{\"text\": \"I w1ll k i l l you\"}\n"
                                       "{\"txt\": 3}\n{\"text\": \"mail a@b.example\"}\n";
  }
  const std::string pol = "--policy " + (dir / "p.yaml").string();
  RunResult r = Sangam("guard check " + pol + " --jsonl -f " + (dir / "in.jsonl").string() + " --audit-db " +
                 (dir / "a.sqlite").string());
  EXPECT_EQ(r.status, 1) << "malformed lines make the exit status 1";
  ASSERT_EQ(r.lines.size(), 5u);
  auto j0 = nlohmann::json::parse(r.lines[0]);
  EXPECT_EQ(j0["action"], "allow");
  EXPECT_FALSE(j0["flagged"].get<bool>());
  for (const char* k : {"flagged", "action", "categories", "scores", "language"}) EXPECT_TRUE(j0.contains(k)) << k;
  EXPECT_TRUE(nlohmann::json::parse(r.lines[1]).contains("error"));
  EXPECT_EQ(nlohmann::json::parse(r.lines[1])["line"], 2);
  EXPECT_EQ(nlohmann::json::parse(r.lines[2])["action"], "block");
  EXPECT_TRUE(nlohmann::json::parse(r.lines[3]).contains("error"));
  auto j4 = nlohmann::json::parse(r.lines[4]);
  EXPECT_EQ(j4["redacted"], "mail [EMAIL]");
  EXPECT_TRUE(fs::exists(dir / "a.sqlite"));

  r = Sangam("guard check " + pol + " 'I will kill you'");
  EXPECT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(r.lines[0])["action"], "block");

  r = Sangam("guard check " + pol + " -f - < " + (dir / "p.yaml").string());
  EXPECT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 1u);

  r = Sangam("guard check --policy " + (dir / "missing.yaml").string() + " hi");
  EXPECT_EQ(r.status, 1);
  r = Sangam("guard check");
  EXPECT_EQ(r.status, 1);
  fs::remove_all(dir);
}

}  // namespace
