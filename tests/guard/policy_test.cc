// Guard policies: the default parses with the documented contents; every kind of malformed policy
// is an InvalidArgument error naming the file, the line and the key.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "guard/internal.h"
#include "sangam/guard.h"

namespace sangam::guard {
namespace {

TEST(GuardPolicy, DefaultParses) {
  auto p = Policy::Default();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const Policy& pol = **p;
  EXPECT_EQ(pol.name(), "sangam-default");
  EXPECT_EQ(pol.hash().size(), 64u);
  std::vector<std::string> codes;
  for (const Category& c : pol.categories()) codes.push_back(c.code);
  for (const char* code : {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S14"}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), code), codes.end()) << code;
  }
  for (const char* c : {"pii", "injection", "language"}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), c), codes.end()) << c;
  }
  for (const char* lang : {"en", "hi", "bn", "ta", "te", "mr", "gu", "kn", "ml", "pa", "or", "as", "ur"}) {
    const std::string m = pol.RefusalMessage(lang);
    EXPECT_FALSE(m.empty()) << lang;
    if (std::string(lang) != "en") {
      EXPECT_NE(m, pol.RefusalMessage("en")) << lang << " falls back to English";
    }
  }
  EXPECT_EQ(pol.RefusalMessage("xx"), pol.RefusalMessage("en"));
  EXPECT_EQ(pol.RefusalMessage("hi-IN"), pol.RefusalMessage("hi"));
  EXPECT_FALSE(pol.log_raw_text());
}

TEST(GuardPolicy, HashIsSha256OfBytes) {
  // FIPS 180-2 example "abc".
  EXPECT_EQ(internal::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(internal::Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(internal::Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string text = "name: x\n";
  auto p = Policy::Parse(text, "x.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->hash(), internal::Sha256Hex(text));
}

// Parses `yaml` and expects an InvalidArgument mentioning every fragment.
void ExpectError(const std::string& yaml, std::vector<std::string> fragments) {
  auto p = Policy::Parse(yaml, "bad.yaml");
  ASSERT_FALSE(p.ok()) << yaml;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << p.status().ToString();
  for (const std::string& f : fragments) {
    EXPECT_NE(p.status().message().find(f), std::string::npos) << "'" << f << "' not in: " << p.status().message();
  }
}

TEST(GuardPolicy, MalformedPoliciesNameLineAndKey) {
  ExpectError("name: x\ncategoriez: []\n", {"bad.yaml:2", "categoriez", "valid keys", "categories"});
  ExpectError("name: x\ncategories:\n  - code: S1\n    action: blok\n", {"bad.yaml:4", "categories[0].action", "blok", "block, redact, warn, log"});
  ExpectError("categories:\n  - code: S1\n    threshold: 1.5\n", {"bad.yaml:3", "categories[0].threshold", "[0, 1]"});
  ExpectError("categories:\n  - code: S1\n    threshold: high\n", {"bad.yaml:3", "threshold"});
  ExpectError("categories:\n  - code: S1\n  - code: S1\n", {"bad.yaml:3", "duplicate"});
  ExpectError("categories:\n  - name: x\n", {"bad.yaml:2", "code"});
  ExpectError("categories:\n  - code: S1\n    colour: red\n", {"bad.yaml:3", "colour", "valid keys"});
  ExpectError("keywords:\n  en:\n    S99: [foo]\n", {"bad.yaml:3", "keywords.en.S99", "S1", "S14"});
  ExpectError("keywords:\n  english:\n    S1: [foo]\n", {"bad.yaml:2", "english", "language code"});
  ExpectError("keywords:\n  en:\n    S1: foo\n", {"bad.yaml:3", "keywords.en.S1", "list"});
  ExpectError("patterns:\n  any:\n    S1: ['ok', '(unclosed']\n", {"bad.yaml:3", "patterns.any.S1", "(unclosed", "RE2"});
  ExpectError("detectors:\n  input: [keywords, telepathy]\n", {"bad.yaml:2", "telepathy", "keywords, patterns, pii"});
  ExpectError("pii:\n  types: [email, dna]\n", {"bad.yaml:2", "dna", "email, phone, card"});
  ExpectError("pii:\n  action: shred\n", {"bad.yaml:2", "pii.action", "shred"});
  ExpectError("languages:\n  input: [en, Hindi]\n", {"bad.yaml:2", "Hindi"});
  ExpectError("audit:\n  log_raw_text: maybe\n", {"bad.yaml:2", "audit.log_raw_text", "true or false"});
  ExpectError("classifier:\n  thresholds: {S77: 0.5}\n", {"bad.yaml:2", "S77"});
  ExpectError("name: [unclosed\n", {"bad.yaml", "YAML"});
  ExpectError("- just\n- a list\n", {"bad.yaml", "mapping"});
  ExpectError("refusals:\n  en: [a, b]\n", {"bad.yaml:2", "refusals.en", "string"});
}

// `judge:` names a judge model for check / eval / serve; malformed blocks name the key.
TEST(GuardPolicy, JudgeBlock) {
  auto p = Policy::Parse("name: j\njudge: {model: lg3.gguf, gate: 0.3, max_tokens: 8}\n", "j.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_NE((*p)->judge(), nullptr);
  EXPECT_EQ((*p)->judge()->model, "lg3.gguf");
  EXPECT_FLOAT_EQ((*p)->judge()->gate, 0.3f);
  EXPECT_EQ((*p)->judge()->max_tokens, 8);
  auto q = Policy::Parse("name: j\njudge: {model: lg3.gguf}\n", "j.yaml");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ((*q)->judge()->gate, 0.0f);
  EXPECT_EQ((*q)->judge()->max_tokens, 16);
  auto none = Policy::Parse("name: j\n", "j.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->judge(), nullptr);
  auto def = Policy::Default();
  ASSERT_TRUE(def.ok());
  EXPECT_EQ((*def)->judge(), nullptr);
  ExpectError("name: x\njudge: {gate: 0.2}\n", {"bad.yaml:2", "judge", "model"});
  ExpectError("name: x\njudge: {model: a.gguf, gate: 2}\n", {"judge.gate", "[0, 1]"});
  ExpectError("name: x\njudge: {model: a.gguf, max_tokens: 0}\n", {"judge.max_tokens", "1..256"});
  ExpectError("name: x\njudge: {model: a.gguf, modle: b}\n", {"modle", "valid keys"});
  ExpectError("name: x\njudge: lg3.gguf\n", {"judge", "mapping"});
}

TEST(GuardPolicy, TomlIsRejectedClearly) {
  auto p = Policy::Parse("name = 'x'", "policy.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("TOML"), std::string::npos);
  EXPECT_NE(p.status().message().find("YAML"), std::string::npos);
}

TEST(GuardPolicy, LoadMissingFileIsNotFound) {
  auto p = Policy::Load("/nonexistent/dir/policy.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("/nonexistent/dir/policy.yaml"), std::string::npos);
}

TEST(GuardPolicy, CustomPolicyRoundTrip) {
  const std::string yaml = R"(
name: school
categories:
  - {code: bully, name: bullying, action: warn, threshold: 0.5}
  - {code: S10, action: block}
keywords:
  en:
    bully: ["loser", "nobody likes you"]
    S10: {words: ["vermin"], patterns: ['\bsub-?human\b']}
pii: {types: [email], action: log}
refusals: {en: "Not here.", hi: "यहाँ नहीं।"}
languages: {input: [en, hi]}
audit: {log_raw_text: true}
)";
  auto p = Policy::Parse(yaml, "school.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE((*p)->log_raw_text());
  EXPECT_EQ((*p)->RefusalMessage("hi"), "यहाँ नहीं।");
  auto g = Guard::Create(*p);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  Decision d = (*g)->Check("You are such a LOSER", Direction::kInput);
  EXPECT_TRUE(d.flagged);
  EXPECT_EQ(d.action, Action::kWarn);
  ASSERT_EQ(d.categories.size(), 1u);
  EXPECT_EQ(d.categories[0], "bully");
  d = (*g)->Check("they are sub-human", Direction::kInput);
  EXPECT_EQ(d.action, Action::kBlock);
  EXPECT_EQ(d.message, "Not here.");
  d = (*g)->Check("write to me: a.b@example.org", Direction::kInput);
  EXPECT_EQ(d.action, Action::kLog);
  EXPECT_EQ(d.redacted, "write to me: [EMAIL]");
  // Only e-mail is on; a phone number is not PII for this policy.
  d = (*g)->Check("call 9876543210", Direction::kInput);
  EXPECT_FALSE(d.flagged);
  // A language outside the list.
  d = (*g)->Check("Это предложение написано на русском языке, а не на английском или хинди.", Direction::kInput);
  if (internal::Cld2Available()) {
    EXPECT_EQ(d.language, "ru");
    ASSERT_FALSE(d.categories.empty());
    EXPECT_EQ(d.categories.back(), "language");
  } else {
    EXPECT_EQ(d.language, "und") << "without CLD2, Cyrillic text is not identified (and so not flagged)";
  }
  // A script the fallback identifies on its own: Tamil is not in [en, hi].
  d = (*g)->Check("இது தமிழில் எழுதப்பட்ட ஒரு வாக்கியம்.", Direction::kInput);
  EXPECT_EQ(d.language, "ta");
  ASSERT_FALSE(d.categories.empty());
  EXPECT_EQ(d.categories.back(), "language");
  // Output direction has no language restriction.
  d = (*g)->Check("Это предложение написано на русском языке, а не на английском или хинди.", Direction::kOutput);
  EXPECT_FALSE(d.flagged);
}

}  // namespace
}  // namespace sangam::guard
