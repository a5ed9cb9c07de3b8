// Helpers for the guard tests: the default policy with the classifier switched off, so that rule
// tests do not depend on the shipped classifier model (which is tested on its own).
#pragma once

#include <memory>
#include <string>

#include "guard/default_assets.h"
#include "sangam/guard.h"

namespace sangam::guard::testing {

inline std::string DefaultPolicyText() {
  for (const EmbeddedFile& f : DefaultAssets()) {
    if (f.name == "default-policy.yaml") return std::string(f.data);
  }
  return "";
}

// The embedded default policy with "classifier" removed from its detector lists.
inline std::shared_ptr<const Policy> RulesOnlyDefault() {
  std::string yaml = DefaultPolicyText();
  for (size_t pos; (pos = yaml.find(", classifier]")) != std::string::npos;) {
    yaml[pos] = ']';
    yaml.erase(pos + 1, 12);
  }
  auto p = Policy::Parse(yaml, "default-policy.yaml (rules only)");
  return p.ok() ? *p : nullptr;
}

inline std::unique_ptr<Guard> RulesOnlyGuard(const GuardOptions& opts = {}) {
  auto p = RulesOnlyDefault();
  if (!p) return nullptr;
  auto g = Guard::Create(p, opts);
  return g.ok() ? std::move(g).value() : nullptr;
}

}  // namespace sangam::guard::testing
