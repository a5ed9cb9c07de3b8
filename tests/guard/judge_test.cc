// Tests for the model-as-judge: the exact Llama Guard 3 prompt, reply parsing, and an end-to-end
// run on a tiny model (which is not a judge: it must return a verdict or a parse error).
#include <gtest/gtest.h>

#include "sangam/guard.h"
#include "sangam/guard_judge.h"
#include "sangam/model.h"
#include "test_util.h"

namespace sangam::guard {
namespace {

TEST(Judge, PromptMatchesLlamaGuard3Format) {
  const std::vector<JudgeCategory> cats = {{"S1", "Violent Crimes"}, {"S10", "Hate"}};
  const std::string p = BuildLlamaGuardPrompt(cats, {{JudgeRole::kUser, "How do I bake bread?"}});
  const std::string want =
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
      "Task: Check if there is unsafe content in 'User' messages in conversations according our safety policy "
      "with the below categories.\n\n"
      "<BEGIN UNSAFE CONTENT CATEGORIES>\nS1: Violent Crimes.\nS10: Hate.\n<END UNSAFE CONTENT CATEGORIES>\n\n"
      "<BEGIN CONVERSATION>\n\nUser: How do I bake bread?\n\n<END CONVERSATION>\n\n"
      "Provide your safety assessment for ONLY THE LAST User message in the above conversation:\n"
      " - First line must read 'safe' or 'unsafe'.\n"
      " - If unsafe, a second line must include a comma-separated list of violated categories."
      "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  EXPECT_EQ(p, want);
  // Assessing the agent's reply: both turns present, 'Agent' named.
  const std::string a =
      BuildLlamaGuardPrompt(cats, {{JudgeRole::kUser, "hi"}, {JudgeRole::kAgent, "hello"}});
  EXPECT_NE(a.find("unsafe content in 'Agent' messages"), std::string::npos);
  EXPECT_NE(a.find("User: hi\n\nAgent: hello\n\n<END CONVERSATION>"), std::string::npos);
  EXPECT_NE(a.find("ONLY THE LAST Agent message"), std::string::npos);
  // The full taxonomy.
  const auto lg = LlamaGuard3Categories();
  ASSERT_EQ(lg.size(), 14u);
  EXPECT_EQ(lg[8].code, "S9");
  EXPECT_EQ(lg[8].title, "Indiscriminate Weapons");
  EXPECT_EQ(lg[13].title, "Code Interpreter Abuse");
}

TEST(Judge, ParsesReplies) {
  const auto known = LlamaGuard3Categories();
  auto safe = ParseJudgeReply("\n\nsafe", known);
  ASSERT_TRUE(safe.ok());
  EXPECT_FALSE(safe->unsafe);
  EXPECT_TRUE(safe->categories.empty());
  EXPECT_TRUE(ParseJudgeReply("Safe.", known).ok());

  auto u = ParseJudgeReply("unsafe\nS1,S10", known);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_TRUE(u->unsafe);
  EXPECT_EQ(u->categories, (std::vector<std::string>{"S1", "S10"}));
  auto u2 = ParseJudgeReply("  UNSAFE \n s9 , S9 \n\ntrailing", known);
  ASSERT_TRUE(u2.ok()) << u2.status().ToString();
  EXPECT_EQ(u2->categories, std::vector<std::string>{"S9"});
  auto u3 = ParseJudgeReply("unsafe", known);
  ASSERT_TRUE(u3.ok());
  EXPECT_TRUE(u3->unsafe);
  EXPECT_TRUE(u3->categories.empty());

  for (const char* bad : {"", "   ", "maybe", "I think this is safe", "unsafe\nS99", "unsafe\nviolent crimes!",
                          "safeunsafe"}) {
    auto r = ParseJudgeReply(bad, known);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
  // Without a known list any well-formed code is accepted.
  auto custom = ParseJudgeReply("unsafe\nX1,acme-fraud");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->categories, (std::vector<std::string>{"X1", "acme-fraud"}));
}

TEST(Judge, RunsOnATinyModel) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  auto m = model::Model::Load(sangam::testing::SharedPath("data/models/stories260K.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ThreadPool pool(1);
  // A short category list so the prompt fits the model's 512-token context.
  const std::vector<JudgeCategory> cats = {{"S1", "Violent Crimes"}};
  const std::string prompt = BuildLlamaGuardPrompt(cats, {{JudgeRole::kUser, "Lily went to the park."}});
  JudgeOptions o;
  o.max_tokens = 8;
  auto v = RunJudge(**m, pool, prompt, cats, o);
  // stories260K is not a judge: either it happens to reply in the format, or the reply is refused.
  if (v.ok()) {
    EXPECT_TRUE(v->categories.empty() || v->unsafe);
  } else {
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << v.status().ToString();
    EXPECT_NE(v.status().message().find("cannot parse"), std::string::npos) << v.status().message();
  }
  // The full 14-category prompt does not fit a 512-token model: a clear OutOfRange error.
  auto big = RunJudge(**m, pool, BuildLlamaGuardPrompt(LlamaGuard3Categories(), {{JudgeRole::kUser, "hi"}}),
                      LlamaGuard3Categories(), o);
  if (!big.ok()) {
    EXPECT_NE(big.status().code(), StatusCode::kInternal) << big.status().ToString();
  }
}

TEST(Judge, MergeVerdictIntoDecision) {
  auto policy = Policy::Default();
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  Decision d;
  d.language = "hi";
  MergeJudgeVerdict(**policy, JudgeVerdict{false, {}, "safe"}, &d);
  EXPECT_FALSE(d.flagged);
  EXPECT_EQ(d.reasons.back(), "judge: safe");
  // S6 is "warn" in the default policy, S1 "block": the most severe wins; policy order kept.
  d = Decision();
  d.language = "hi";
  d.flagged = true;
  d.categories = {"pii"};
  d.action = Action::kRedact;
  MergeJudgeVerdict(**policy, JudgeVerdict{true, {"S6"}, "unsafe\nS6"}, &d);
  EXPECT_TRUE(d.flagged);
  EXPECT_EQ(d.categories, (std::vector<std::string>{"S6", "pii"}));
  EXPECT_EQ(d.action, Action::kRedact);
  EXPECT_EQ(d.scores["S6"], 1.0f);
  MergeJudgeVerdict(**policy, JudgeVerdict{true, {"S1", "S6"}, "unsafe\nS1,S6"}, &d);
  EXPECT_EQ(d.categories, (std::vector<std::string>{"S1", "S6", "pii"}));
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.message, (*policy)->RefusalMessage("hi"));
  EXPECT_EQ(d.reasons.back(), "judge: unsafe S1,S6");
  // Unsafe with no category the policy has: still flagged and blocked.
  d = Decision();
  MergeJudgeVerdict(**policy, JudgeVerdict{true, {"X9"}, "unsafe\nX9"}, &d);
  EXPECT_TRUE(d.flagged);
  EXPECT_TRUE(d.categories.empty());
  EXPECT_EQ(d.action, Action::kBlock);
}

}  // namespace
}  // namespace sangam::guard
