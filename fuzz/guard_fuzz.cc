// libFuzzer target: guard policies and checks. The input is split at its first NUL byte into a
// policy (YAML) and a text. The policy is parsed (a malformed one must be a clear error); a valid
// one gets a rules-only guard that checks the text on input and output, and streams it through
// the output rail. The text is also checked by the built-in policy's rules, and read as a judge
// model's reply.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "guard/default_assets.h"
#include "sangam/guard.h"
#include "sangam/guard_judge.h"

namespace {

volatile uint64_t g_sink = 0;

using sangam::guard::Direction;
using sangam::guard::Guard;
using sangam::guard::Policy;

void Exercise(const Guard& g, std::string_view text) {
  for (Direction dir : {Direction::kInput, Direction::kOutput}) {
    const sangam::guard::Decision d = g.Evaluate(text, dir);
    g_sink = g_sink + d.categories.size() + d.redacted.size() + d.ToJson().size();
  }
  sangam::guard::StreamGuard sg(g, 16);
  bool blocked = false;
  for (size_t i = 0; i < text.size() && !blocked; i += 7) {
    g_sink = g_sink + sg.Push(text.substr(i, 7), &blocked).size();
  }
  if (!blocked) g_sink = g_sink + sg.Finish(&blocked).size();
}

// The built-in policy (its keywords, patterns, PII, language and injection rules) without the
// classifier, so the fuzzer exercises the rules quickly.
const Guard* RulesOnlyDefault() {
  static const Guard* g = []() -> const Guard* {
    std::string yaml;
    for (const sangam::guard::EmbeddedFile& f : sangam::guard::DefaultAssets()) {
      if (f.name == "default-policy.yaml") yaml = std::string(f.data);
    }
    for (size_t pos; (pos = yaml.find(", classifier]")) != std::string::npos;) {
      yaml[pos] = ']';
      yaml.erase(pos + 1, 12);
    }
    auto p = Policy::Parse(yaml, "default-policy.yaml (rules only)");
    if (!p.ok()) return nullptr;
    auto guard = Guard::Create(*p);
    return guard.ok() ? guard->release() : nullptr;
  }();
  return g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view policy_text = nul == std::string_view::npos ? all : all.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? all : all.substr(nul + 1);

  auto p = Policy::Parse(policy_text, "fuzz.yaml");
  if (p.ok()) {
    // A policy that names a classifier file would load it from disk: keep to the rules.
    auto g = Guard::Create(*p);
    if (g.ok()) Exercise(**g, text);
  } else {
    g_sink = g_sink + p.status().message().size();
  }
  if (const Guard* d = RulesOnlyDefault()) Exercise(*d, text);

  auto v = sangam::guard::ParseJudgeReply(text, sangam::guard::LlamaGuard3Categories());
  g_sink = g_sink + (v.ok() ? v->categories.size() : v.status().message().size());
  return 0;
}
