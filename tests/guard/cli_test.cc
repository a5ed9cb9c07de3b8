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

#include "test_util.h"

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

// --judge: the model's verdict is reported under "judge" (stories260K is no judge, so its reply is
// either parsed or refused with a clear error, never a crash), and a missing judge file is an error.
TEST(GuardCli, JudgeIsReported) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const fs::path dir = fs::temp_directory_path() / ("sangam-guard-judge-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string policy = (dir / "p.yaml").string();
  {
    std::ofstream f(policy);
    f << "name: judge-test\ncategories:\n  - {code: S1, name: violent_crimes, description: violence}\n"
         "detectors: {input: [keywords], output: []}\n";
  }
  const std::string model = sangam::testing::SharedPath("data/models/stories260K.gguf");
  RunResult r = Sangam("guard check --policy " + policy + " --judge " + model + " -t 1 --judge-max-tokens 6 "
                       "'Lily went to the park.'");
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 1u);
  const nlohmann::json j = nlohmann::json::parse(r.lines[0]);
  ASSERT_TRUE(j.contains("judge")) << r.lines[0];
  if (j["judge"].contains("error")) {
    EXPECT_NE(j["judge"]["error"].get<std::string>().find("cannot parse"), std::string::npos) << r.lines[0];
    EXPECT_FALSE(j["flagged"].get<bool>());
  } else {
    EXPECT_EQ(j["flagged"].get<bool>(), j["judge"]["unsafe"].get<bool>()) << r.lines[0];
  }
  // A cascade: the built-in policy's classifier scores this text far below a gate of 1, so the
  // judge is not asked.
  r = Sangam("guard check --judge " + model + " -t 1 --judge-gate 1 'Lily went to the park.'");
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 1u);
  const nlohmann::json k = nlohmann::json::parse(r.lines[0]);
  ASSERT_TRUE(k["judge"].contains("skipped")) << r.lines[0];
  EXPECT_NE(k["judge"]["skipped"].get<std::string>().find("below --judge-gate"), std::string::npos) << r.lines[0];
  EXPECT_NE(Sangam("guard check --judge " + model + " --judge-gate 1.5 hello").status, 0);
  // The policy can name the judge itself (judge: {model, gate, max_tokens}); no --judge needed.
  const std::string with_judge = (dir / "pj.yaml").string();
  {
    std::ofstream f(with_judge);
    f << "name: judge-in-policy\ncategories:\n  - {code: S1, name: violent_crimes, description: violence}\n"
         "detectors: {input: [keywords], output: []}\njudge: {model: \"" << model << "\", max_tokens: 4}\n";
  }
  r = Sangam("guard check --policy " + with_judge + " -t 1 'Lily went to the park.'");
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 1u);
  const nlohmann::json pj = nlohmann::json::parse(r.lines[0]);
  ASSERT_TRUE(pj.contains("judge")) << r.lines[0];
  EXPECT_FALSE(pj["judge"].contains("skipped")) << r.lines[0];
  r = Sangam("guard check --judge " + (dir / "absent.gguf").string() + " hello");
  EXPECT_NE(r.status, 0);
  fs::remove_all(dir);
}

// guard eval --max-per-dataset keeps a fixed sample of each data set and language; a negative
// sample size, --judge with --classifier-only and a missing judge file are clear errors.
TEST(GuardCli, EvalSamplesAndRejectsMisuse) {
  if (!fs::exists(SANGAM_BINARY)) GTEST_SKIP() << SANGAM_BINARY << " not built";
  const fs::path dir = fs::temp_directory_path() / ("sangam-guard-evaljudge-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string data = (dir / "mine.csv").string();
  {
    std::ofstream f(data);
    f << "text,label,language\n";
    for (int i = 0; i < 9; ++i) f << "The garden party number " << i << " was lovely.,safe,en\n";
    for (int i = 0; i < 7; ++i) f << "La fête numéro " << i << " était belle.,safe,fr\n";
  }
  const std::string policy = (dir / "p.yaml").string();
  {
    std::ofstream f(policy);
    f << "name: eval-judge-test\ncategories:\n  - {code: S1, name: violent_crimes, description: violence}\n"
         "detectors: {input: [keywords], output: []}\n";
  }
  auto totals = [](const nlohmann::json& j, const std::string& lang) {
    const nlohmann::json& c = j["by_language"][lang];
    return c["tp"].get<int>() + c["fn"].get<int>() + c["fp"].get<int>() + c["tn"].get<int>();
  };
  RunResult r = Sangam("guard eval --policy " + policy + " --data " + data + " --max-per-dataset 4 --json");
  ASSERT_EQ(r.status, 0);
  std::string all;
  for (const auto& l : r.lines) all += l;
  nlohmann::json j = nlohmann::json::parse(all);
  EXPECT_EQ(totals(j, "en"), 4);
  EXPECT_EQ(totals(j, "fr"), 4);
  r = Sangam("guard eval --policy " + policy + " --data " + data + " --max-per-dataset 100 --json");
  ASSERT_EQ(r.status, 0);
  all.clear();
  for (const auto& l : r.lines) all += l;
  j = nlohmann::json::parse(all);
  EXPECT_EQ(totals(j, "en"), 9);
  EXPECT_EQ(totals(j, "fr"), 7);
  EXPECT_NE(Sangam("guard eval --data " + data + " --max-per-dataset -1").status, 0);
  EXPECT_NE(Sangam("guard eval --data " + data + " --classifier-only --judge x.gguf").status, 0);
  EXPECT_NE(Sangam("guard eval --data " + data + " --judge " + (dir / "absent.gguf").string()).status, 0);

  fs::remove_all(dir);
}

// guard eval --judge: stories260K is no judge, so each reply is either a verdict or counted as
// unusable; either way every sampled example is judged and the report says so.
TEST(GuardCli, EvalWithJudge) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const fs::path dir = fs::temp_directory_path() / ("sangam-guard-evaljudge2-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string data = (dir / "mine.csv").string();
  {
    std::ofstream f(data);
    f << "text,label,language\n";
    for (int i = 0; i < 5; ++i) f << "The garden party number " << i << " was lovely.,safe,en\n";
    for (int i = 0; i < 5; ++i) f << "Tom hit Lily with a stick number " << i << ".,S1,en\n";
  }
  const std::string policy = (dir / "p.yaml").string();
  {
    std::ofstream f(policy);
    f << "name: eval-judge-test\ncategories:\n  - {code: S1, name: violent_crimes, description: violence}\n"
         "detectors: {input: [keywords], output: []}\n";
  }
  const std::string model = sangam::testing::SharedPath("data/models/stories260K.gguf");
  RunResult r = Sangam("guard eval --policy " + policy + " --data " + data + " --max-per-dataset 4 --judge " + model +
                       " -t 1 --judge-max-tokens 6 --json");
  ASSERT_EQ(r.status, 0);
  std::string all;
  for (const auto& l : r.lines) all += l;
  const nlohmann::json j = nlohmann::json::parse(all);
  const nlohmann::json& c = j["overall"];
  EXPECT_EQ(c["tp"].get<int>() + c["fn"].get<int>() + c["fp"].get<int>() + c["tn"].get<int>(), 4);
  const std::string system = j["system"].get<std::string>();
  EXPECT_NE(system.find(" of 4 verdicts unsafe"), std::string::npos) << system;
  EXPECT_NE(system.find("replies unusable"), std::string::npos) << system;
  fs::remove_all(dir);
}

// guard calibrate: the printed threshold, put into a policy, flags at most the target share of
// the text it was calibrated on (checked end to end through `guard check --jsonl`).
TEST(GuardCli, CalibrateHoldsTheTargetRate) {
  if (!fs::exists(SANGAM_BINARY)) GTEST_SKIP() << SANGAM_BINARY << " not built";
  const fs::path dir = fs::temp_directory_path() / ("sangam-guard-cal-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const char* subjects[] = {"The museum", "Our village", "The new bridge", "My grandmother", "The football club",
                            "The library", "A local farmer", "The orchestra", "The city council", "The bakery"};
  const char* predicates[] = {"opened a new exhibition about rivers last spring",
                              "celebrated the harvest festival with music and food",
                              "was repaired after the heavy rains in September",
                              "planted tomatoes and beans in the garden behind the school",
                              "announced longer opening hours for the summer holidays",
                              "welcomed visitors from three neighbouring towns on Sunday"};
  {
    std::ofstream text(dir / "en.txt"), jsonl(dir / "en.jsonl");
    for (const char* a : subjects) {
      for (const char* b : predicates) {
        text << a << " " << b << ".\n";
        jsonl << nlohmann::json{{"text", std::string(a) + " " + b + "."}}.dump() << "\n";
      }
    }
  }
  RunResult r = Sangam("guard calibrate --benign-text " + (dir / "en.txt").string() +
                       ":en --target-fpr 0.1 --min-lines 20 --min-threshold 0");
  ASSERT_EQ(r.status, 0);
  std::string yaml;
  for (const std::string& l : r.lines) yaml += l + "\n";
  const size_t at = yaml.find("language_thresholds: {en: ");
  ASSERT_NE(at, std::string::npos) << yaml;
  const double thr = std::stod(yaml.substr(at + std::string("language_thresholds: {en: ").size()));
  EXPECT_GE(thr, 0.0);
  EXPECT_LE(thr, 1.0);
  // A policy with only the classifier, at that threshold for English.
  std::ofstream(dir / "p.yaml") << "name: cal\ndetectors: {input: [classifier], output: []}\nclassifier:\n  path: default\n"
                                   "  threshold: 1.0\n  language_thresholds: {en: " << thr << "}\n";
  r = Sangam("guard check --policy " + (dir / "p.yaml").string() + " --jsonl -f " + (dir / "en.jsonl").string());
  ASSERT_EQ(r.status, 0);
  ASSERT_EQ(r.lines.size(), 60u);
  int flagged = 0;
  for (const std::string& l : r.lines) flagged += nlohmann::json::parse(l)["flagged"].get<bool>();
  EXPECT_LE(flagged, 6) << "threshold " << thr;
  // A per-language floor overrides --min-threshold for that language only.
  r = Sangam("guard calibrate --benign-text " + (dir / "en.txt").string() +
             ":en --target-fpr 0.1 --min-lines 20 --min-threshold 0 --min-threshold-for en:0.999");
  ASSERT_EQ(r.status, 0);
  yaml.clear();
  for (const std::string& l : r.lines) yaml += l + "\n";
  ASSERT_NE(yaml.find("language_thresholds: {en: "), std::string::npos) << yaml;
  EXPECT_GE(std::stod(yaml.substr(yaml.find("{en: ") + 5)), 0.999) << yaml;
  EXPECT_NE(Sangam("guard calibrate --benign-text " + (dir / "en.txt").string() + " --min-threshold-for english:0.9").status, 0);
  EXPECT_NE(Sangam("guard calibrate --benign-text " + (dir / "en.txt").string() + " --min-threshold-for en:1.5").status, 0);
  EXPECT_NE(Sangam("guard calibrate --benign-text " + (dir / "en.txt").string() + " --min-threshold-for en").status, 0);
  // Bad input: no text, and a target outside [0, 1).
  EXPECT_NE(Sangam("guard calibrate --benign-text " + (dir / "absent.txt").string()).status, 0);
  EXPECT_NE(Sangam("guard calibrate --benign-text " + (dir / "en.txt").string() + " --target-fpr 1.5").status, 0);
  fs::remove_all(dir);
}

// guard train --exclude takes data sets and groups (xsafety/Mental_Health) and rejects a name that
// matches nothing; --concepts names a lexicon file, and a broken one is an error naming its line.
TEST(GuardCli, TrainExcludesGroupsAndChecksLexicon) {
  if (!fs::exists(SANGAM_BINARY)) GTEST_SKIP() << SANGAM_BINARY << " not built";
  const fs::path dir = fs::temp_directory_path() / ("sangam-guard-train-" + std::to_string(::getpid()));
  fs::create_directories(dir / "dev" / "xsafety" / "en");
  {
    std::ofstream insult(dir / "dev" / "xsafety" / "en" / "Insult_n.csv");
    std::ofstream mental(dir / "dev" / "xsafety" / "en" / "Mental_Health_n.csv");
    std::ofstream benign(dir / "dev" / "xsafety" / "en" / "commonsense.csv");
    for (int i = 0; i < 30; ++i) {
      insult << "You are a worthless idiot number " << i << "\n";
      mental << "I feel so lonely and tired today, day " << i << "\n";
    }
    for (int i = 0; i < 40; ++i) benign << "What is the capital of country number " << i << "?\n";
  }
  auto run = [&](const std::string& args, std::string* err) {
    const std::string cmd = std::string(SANGAM_BINARY) + " guard train --dev-sets " + (dir / "dev").string() +
                            " --split all --epoch 2 --dim 4 --bucket 1000 --no-quantize -o " + (dir / "m.bin").string() +
                            " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[4096];
    while (p && fgets(buf, sizeof(buf), p)) *err += buf;
    const int st = p ? pclose(p) : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  std::string out;
  ASSERT_EQ(run("--exclude xsafety/Mental_Health", &out), 0) << out;
  EXPECT_NE(out.find(": 70 of 100 examples"), std::string::npos) << out;
  out.clear();
  EXPECT_NE(run("--exclude xsafety/Mental_Helth", &out), 0);
  EXPECT_NE(out.find("--exclude xsafety/Mental_Helth matches no data set or group"), std::string::npos) << out;
  std::ofstream(dir / "bad.tsv") << "# lexicon\nexplosive\ten\tbomb\nexplosive\tbomb\n";
  out.clear();
  EXPECT_NE(run("--concepts " + (dir / "bad.tsv").string(), &out), 0);
  EXPECT_NE(out.find("bad.tsv:3"), std::string::npos) << out;
  out.clear();
  EXPECT_NE(run("--concepts " + (dir / "bad.tsv").string() + " --no-concepts", &out), 0);
  fs::remove_all(dir);
}

}  // namespace
