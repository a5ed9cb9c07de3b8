// Tests for JudgeRail, the judge as a gated rail: option checks, the cascade's gate (which texts
// are put to the judge and which are not), statistics, and concurrent use. stories260K is the
// judge here: it is no real judge, so a text put to it comes back as a verdict or as a counted error.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "sangam/guard.h"
#include "sangam/guard_judge.h"
#include "sangam/model.h"
#include "test_util.h"

namespace sangam::guard {
namespace {

std::shared_ptr<const Policy> OneCategoryPolicy() {
  // One short category so that the Llama Guard prompt fits stories260K's 512-token context.
  auto p = Policy::Parse("name: rail-test\ncategories:\n  - {code: S1, name: violent_crimes, description: violence}\n",
                         "rail-test.yaml");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : nullptr;
}

std::unique_ptr<model::Model> TinyModel() {
  auto m = model::Model::Load(sangam::testing::SharedPath("data/models/stories260K.gguf"));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

TEST(JudgeRail, RejectsBadOptions) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  auto policy = OneCategoryPolicy();
  JudgeRailOptions o;
  o.gate = 1.5f;
  auto r = JudgeRail::Create(TinyModel(), policy, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("gate"), std::string::npos) << r.status().ToString();
  o = JudgeRailOptions();
  o.max_tokens = 0;
  r = JudgeRail::Create(TinyModel(), policy, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("max_tokens"), std::string::npos) << r.status().ToString();
  EXPECT_FALSE(JudgeRail::Create(nullptr, policy, JudgeRailOptions()).ok());
  EXPECT_FALSE(JudgeRail::Create(TinyModel(), nullptr, JudgeRailOptions()).ok());
}

TEST(JudgeRail, GateDecidesWhatTheJudgeSees) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  JudgeRailOptions o;
  o.gate = 0.5f;
  o.max_tokens = 4;
  auto rail = JudgeRail::Create(TinyModel(), OneCategoryPolicy(), o);
  ASSERT_TRUE(rail.ok()) << rail.status().ToString();

  // Below the gate: not asked, decision untouched.
  Decision low;
  low.classifier_harm = 0.2f;
  EXPECT_EQ((*rail)->Apply("Lily went to the park.", Direction::kInput, &low), JudgeOutcome::kSkipped);
  EXPECT_TRUE(low.reasons.empty());
  // Already blocked by the rules: not asked either.
  Decision blocked;
  blocked.flagged = true;
  blocked.action = Action::kBlock;
  blocked.classifier_harm = 0.9f;
  EXPECT_EQ((*rail)->Apply("Lily went to the park.", Direction::kInput, &blocked), JudgeOutcome::kSkipped);
  EXPECT_EQ((*rail)->stats().asked, 0);
  EXPECT_EQ((*rail)->stats().skipped, 2);

  // At or above the gate, and where the classifier did not run (-1): asked. A verdict is folded
  // into the decision (a reason is added); an error leaves it alone and says why.
  for (float harm : {0.5f, 0.95f, -1.0f}) {
    Decision d;
    d.classifier_harm = harm;
    JudgeVerdict v;
    std::string error;
    const JudgeOutcome out = (*rail)->Apply("Tom and Lily played with a ball.", Direction::kOutput, &d, &v, &error);
    ASSERT_NE(out, JudgeOutcome::kSkipped) << "harm " << harm;
    if (out == JudgeOutcome::kError) {
      EXPECT_FALSE(error.empty());
      EXPECT_TRUE(d.reasons.empty());
      EXPECT_FALSE(d.flagged);
    } else {
      ASSERT_FALSE(d.reasons.empty());
      EXPECT_EQ(d.reasons.back().rfind("judge: ", 0), 0u) << d.reasons.back();
      EXPECT_EQ(d.flagged, out == JudgeOutcome::kUnsafe);
      EXPECT_EQ(v.unsafe, out == JudgeOutcome::kUnsafe);
    }
  }
  const JudgeRailStats st = (*rail)->stats();
  EXPECT_EQ(st.asked, 3);
  EXPECT_EQ(st.skipped, 2);
  EXPECT_LE(st.unsafe + st.errors, st.asked);
}

// Several threads share one rail (as the server's request handlers do): every call is counted and
// none crashes; the same text always gets the same outcome (greedy decoding, serialised judge).
TEST(JudgeRail, ConcurrentCallsAreSerialised) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  JudgeRailOptions o;
  o.max_tokens = 3;
  auto rail = JudgeRail::Create(TinyModel(), OneCategoryPolicy(), o);
  ASSERT_TRUE(rail.ok()) << rail.status().ToString();
  std::vector<JudgeOutcome> outcomes(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 2; ++k) {
        Decision d;
        outcomes[t * 2 + k] = (*rail)->Apply("The cat sat on the mat.", Direction::kInput, &d);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (JudgeOutcome out : outcomes) EXPECT_EQ(out, outcomes[0]);
  EXPECT_EQ((*rail)->stats().asked, 8);
}

// A conversation is judged as one prompt (its last turn in the context of the others); the gate
// applies to the decision given.
TEST(JudgeRail, JudgesAConversationOnce) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  JudgeRailOptions o;
  o.max_tokens = 3;
  o.gate = 0.5f;
  auto rail = JudgeRail::Create(TinyModel(), OneCategoryPolicy(), o);
  ASSERT_TRUE(rail.ok()) << rail.status().ToString();
  const std::vector<JudgeTurn> conv = {
      {JudgeRole::kUser, "Tell me about a cat."}, {JudgeRole::kAgent, "Cats purr."}, {JudgeRole::kUser, "And dogs?"}};
  Decision d;
  d.classifier_harm = 0.7f;
  EXPECT_NE((*rail)->ApplyConversation(conv, &d), JudgeOutcome::kSkipped);
  Decision low;
  low.classifier_harm = 0.1f;
  EXPECT_EQ((*rail)->ApplyConversation(conv, &low), JudgeOutcome::kSkipped);
  EXPECT_EQ((*rail)->stats().asked, 1);
  EXPECT_EQ((*rail)->stats().skipped, 1);
}

}  // namespace
}  // namespace sangam::guard
