// Helpers for the guard tests: the default policy with the classifier switched off, so that rule
// tests do not depend on the shipped classifier model (which is tested on its own).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "guard/default_assets.h"
#include "sangam/guard.h"

namespace sangam::guard::testing {

// A fresh temporary directory, removed with everything in it when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sangam-guard-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& rel) const { return path_ + "/" + rel; }
  // Writes `text` to rel (creating folders) and returns its path.
  std::string Write(const std::string& rel, const std::string& text) const {
    const std::string p = File(rel);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

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
