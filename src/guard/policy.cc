// Policy files: YAML parsing and validation (every error names the file, line and key, and lists
// the valid values), defaults, and compilation of word lists and patterns into RE2::Sets.
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "guard/default_assets.h"
#include "guard/internal.h"

namespace sangam::guard {

const char* ActionName(Action a) {
  switch (a) {
    case Action::kAllow: return "allow";
    case Action::kLog: return "log";
    case Action::kWarn: return "warn";
    case Action::kRedact: return "redact";
    case Action::kBlock: return "block";
  }
  return "?";
}

Result<Action> ActionFromName(std::string_view name) {
  for (Action a : {Action::kAllow, Action::kLog, Action::kWarn, Action::kRedact, Action::kBlock}) {
    if (name == ActionName(a)) return a;
  }
  return InvalidArgumentError("guard: unknown action '" + std::string(name) + "' (valid: block, redact, warn, log, allow)");
}

const char* DirectionName(Direction d) { return d == Direction::kInput ? "input" : "output"; }

namespace internal {
namespace {

// The Llama Guard 3 hazard taxonomy, used when a policy has no `categories:` list.
const Category kDefaultCategories[] = {
    {"S1", "violent_crimes", "Violent crimes: terrorism, murder, assault, kidnapping, animal abuse", Action::kBlock, 0.5f},
    {"S2", "non_violent_crimes", "Non-violent crimes: fraud, theft, hacking, drugs, weapons trafficking", Action::kBlock, 0.5f},
    {"S3", "sex_related_crimes", "Sex-related crimes: trafficking, sexual assault, harassment", Action::kBlock, 0.5f},
    {"S4", "child_sexual_exploitation", "Sexual content involving minors", Action::kBlock, 0.5f},
    {"S5", "defamation", "Verifiably false statements that injure a living person's reputation", Action::kBlock, 0.5f},
    {"S6", "specialized_advice", "Unqualified financial, medical or legal advice", Action::kBlock, 0.5f},
    {"S7", "privacy", "Sensitive non-public personal information", Action::kBlock, 0.5f},
    {"S8", "intellectual_property", "Violations of intellectual property rights", Action::kBlock, 0.5f},
    {"S9", "indiscriminate_weapons", "Chemical, biological, radiological, nuclear and high-yield explosive weapons", Action::kBlock, 0.5f},
    {"S10", "hate", "Demeaning people for protected characteristics", Action::kBlock, 0.5f},
    {"S11", "suicide_self_harm", "Enabling or encouraging suicide and self-harm", Action::kBlock, 0.5f},
    {"S12", "sexual_content", "Explicit sexual content", Action::kBlock, 0.5f},
    {"S13", "elections", "False information about electoral processes", Action::kBlock, 0.5f},
    {"S14", "code_interpreter_abuse", "Abuse of code interpreters: denial of service, container escapes", Action::kBlock, 0.5f},
};

const char* const kDetectorNames = "keywords, patterns, pii, language, injection, classifier";

bool DetectorFromName(const std::string& n, uint32_t* bit) {
  static const std::pair<const char*, uint32_t> kAll[] = {
      {"keywords", kDetKeywords}, {"patterns", kDetPatterns},   {"pii", kDetPii},
      {"language", kDetLanguage}, {"injection", kDetInjection}, {"classifier", kDetClassifier}};
  for (const auto& [name, b] : kAll) {
    if (n == name) {
      *bit = b;
      return true;
    }
  }
  return false;
}

bool ValidLanguageCode(const std::string& s) {
  if (s == "any") return true;
  // ISO 639-1/-3, optionally with a script or region: "hi", "sat", "mni_Beng", "pt-BR".
  if (s.size() < 2) return false;
  size_t i = 0;
  while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
  if (i < 2 || i > 3) return false;
  if (i == s.size()) return true;
  if (s[i] != '_' && s[i] != '-') return false;
  for (size_t k = i + 1; k < s.size(); ++k) {
    if (!std::isalnum(static_cast<unsigned char>(s[k]))) return false;
  }
  return s.size() > i + 1;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Status Error(const YAML::Node& n, const std::string& key, const std::string& msg) const {
    const YAML::Mark m = n.Mark();
    if (m.line >= 0) {
      return InvalidArgumentError(StrFormat("%s:%d: %s: %s", source_.c_str(), m.line + 1, key.c_str(), msg.c_str()));
    }
    return InvalidArgumentError(StrFormat("%s: %s: %s", source_.c_str(), key.c_str(), msg.c_str()));
  }

  Status CheckKeys(const YAML::Node& map, const std::string& where, const std::vector<std::string>& valid) const {
    if (!map.IsMap()) return Error(map, where, "must be a mapping (key: value)");
    for (const auto& kv : map) {
      const std::string k = kv.first.Scalar();
      if (std::find(valid.begin(), valid.end(), k) == valid.end()) {
        return Error(kv.first, where.empty() ? k : where + "." + k,
                     "unknown key '" + k + "' (valid keys: " + Join(valid) + ")");
      }
    }
    return Status::Ok();
  }

  Result<std::string> Str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return Error(n, key, "must be a string");
    return n.Scalar();
  }

  Result<std::vector<std::string>> StrList(const YAML::Node& n, const std::string& key) const {
    if (n.IsNull()) return std::vector<std::string>{};
    if (!n.IsSequence()) return Error(n, key, "must be a list, e.g. [a, b]");
    std::vector<std::string> out;
    for (size_t i = 0; i < n.size(); ++i) {
      ASSIGN_OR_RETURN(std::string s, Str(n[i], key + "[" + std::to_string(i) + "]"));
      out.push_back(std::move(s));
    }
    return out;
  }

  Result<float> Threshold(const YAML::Node& n, const std::string& key) const {
    float v = 0;
    if (!n.IsScalar() || !YAML::convert<float>::decode(n, v)) return Error(n, key, "must be a number in [0, 1]");
    if (!(v >= 0.0f && v <= 1.0f)) return Error(n, key, "must be in [0, 1], got " + n.Scalar());
    return v;
  }

  Result<Action> ParseAction(const YAML::Node& n, const std::string& key) const {
    ASSIGN_OR_RETURN(std::string s, Str(n, key));
    for (Action a : {Action::kBlock, Action::kRedact, Action::kWarn, Action::kLog}) {
      if (s == ActionName(a)) return a;
    }
    return Error(n, key, "'" + s + "' is not a valid action (valid: block, redact, warn, log)");
  }

  Status ParseCategories(const YAML::Node& n, PolicyData* d) const {
    if (!n.IsSequence()) return Error(n, "categories", "must be a list of {code, name, description, action, threshold}");
    std::set<std::string> seen;
    for (size_t i = 0; i < n.size(); ++i) {
      const YAML::Node c = n[i];
      const std::string where = "categories[" + std::to_string(i) + "]";
      RETURN_IF_ERROR(CheckKeys(c, where, {"code", "name", "description", "action", "threshold"}));
      Category cat;
      if (!c["code"]) return Error(c, where, "missing 'code' (e.g. S1, or a custom code)");
      ASSIGN_OR_RETURN(cat.code, Str(c["code"], where + ".code"));
      if (cat.code.empty() || cat.code.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos) {
        return Error(c["code"], where + ".code", "'" + cat.code + "' must be letters, digits, '_' or '-'");
      }
      if (!seen.insert(cat.code).second) return Error(c["code"], where + ".code", "duplicate category '" + cat.code + "'");
      cat.name = cat.code;
      for (const Category& def : kDefaultCategories) {
        if (def.code == cat.code) {
          cat.name = def.name;
          cat.description = def.description;
        }
      }
      if (c["name"]) {
        ASSIGN_OR_RETURN(cat.name, Str(c["name"], where + ".name"));
      }
      if (c["description"]) {
        ASSIGN_OR_RETURN(cat.description, Str(c["description"], where + ".description"));
      }
      if (c["action"]) {
        ASSIGN_OR_RETURN(cat.action, ParseAction(c["action"], where + ".action"));
      }
      if (c["threshold"]) {
        ASSIGN_OR_RETURN(cat.threshold, Threshold(c["threshold"], where + ".threshold"));
      }
      d->categories.push_back(std::move(cat));
    }
    return Status::Ok();
  }

  // keywords: {LANG: {CAT: [words] | {words: [..], patterns: [..]}}}; patterns: {LANG: {CAT: [regex]}}.
  Status ParseLists(const YAML::Node& n, const std::string& top, bool patterns_only, PolicyData* d) const {
    if (!n.IsMap()) return Error(n, top, "must map language codes (or 'any') to categories");
    std::vector<std::string> codes;
    for (const Category& c : d->categories) codes.push_back(c.code);
    for (const auto& lang_kv : n) {
      const std::string lang = lang_kv.first.Scalar();
      const std::string lwhere = top + "." + lang;
      if (!ValidLanguageCode(lang)) {
        return Error(lang_kv.first, lwhere, "'" + lang + "' is not a language code (ISO 639, e.g. en, hi, sat, mni_Beng; or 'any')");
      }
      if (!lang_kv.second.IsMap()) return Error(lang_kv.second, lwhere, "must map category codes to lists");
      for (const auto& cat_kv : lang_kv.second) {
        const std::string cat = cat_kv.first.Scalar();
        const std::string where = lwhere + "." + cat;
        if (std::find(codes.begin(), codes.end(), cat) == codes.end()) {
          return Error(cat_kv.first, where, "unknown category '" + cat + "' (valid: " + Join(codes) + ")");
        }
        std::vector<std::string> words, pats;
        if (cat_kv.second.IsMap() && !patterns_only) {
          RETURN_IF_ERROR(CheckKeys(cat_kv.second, where, {"words", "patterns"}));
          if (cat_kv.second["words"]) {
            ASSIGN_OR_RETURN(words, StrList(cat_kv.second["words"], where + ".words"));
          }
          if (cat_kv.second["patterns"]) {
            ASSIGN_OR_RETURN(pats, StrList(cat_kv.second["patterns"], where + ".patterns"));
          }
        } else if (patterns_only) {
          ASSIGN_OR_RETURN(pats, StrList(cat_kv.second, where));
        } else {
          ASSIGN_OR_RETURN(words, StrList(cat_kv.second, where));
        }
        for (size_t i = 0; i < words.size(); ++i) {
          std::string w = words[i];
          const bool prefix = !w.empty() && w.back() == '*';
          if (prefix) w.pop_back();
          if (NormalizeForMatching(w).empty()) {
            return Error(cat_kv.second, where, "entry " + std::to_string(i) + " ('" + words[i] + "') is empty after normalisation");
          }
          d->rules.push_back({cat, lang, words[i], false});
        }
        for (size_t i = 0; i < pats.size(); ++i) {
          RE2::Options o;
          o.set_log_errors(false);
          o.set_case_sensitive(false);
          RE2 re(pats[i], o);
          if (!re.ok()) {
            const YAML::Node item = cat_kv.second.IsSequence() ? cat_kv.second[i] : cat_kv.second;
            return Error(item, where, "pattern '" + pats[i] + "' is not a valid RE2 regex: " + re.error());
          }
          d->rules.push_back({cat, lang, pats[i], true});
        }
      }
    }
    return Status::Ok();
  }

  Status ParseDetectors(const YAML::Node& n, PolicyData* d) const {
    RETURN_IF_ERROR(CheckKeys(n, "detectors", {"input", "output"}));
    for (const char* dir : {"input", "output"}) {
      if (!n[dir]) continue;
      const std::string where = std::string("detectors.") + dir;
      ASSIGN_OR_RETURN(std::vector<std::string> names, StrList(n[dir], where));
      uint32_t bits = 0;
      for (size_t i = 0; i < names.size(); ++i) {
        uint32_t b = 0;
        if (!DetectorFromName(names[i], &b)) {
          return Error(n[dir][i], where, "unknown detector '" + names[i] + "' (valid: " + kDetectorNames + ")");
        }
        bits |= b;
      }
      (std::string(dir) == "input" ? d->detectors_input : d->detectors_output) = bits;
    }
    return Status::Ok();
  }

  Status ParseLanguages(const YAML::Node& n, PolicyData* d) const {
    RETURN_IF_ERROR(CheckKeys(n, "languages", {"input", "output"}));
    for (const char* dir : {"input", "output"}) {
      if (!n[dir]) continue;
      const std::string where = std::string("languages.") + dir;
      ASSIGN_OR_RETURN(std::vector<std::string> v, StrList(n[dir], where));
      for (size_t i = 0; i < v.size(); ++i) {
        if (!ValidLanguageCode(v[i]) || v[i] == "any") {
          return Error(n[dir][i], where, "'" + v[i] + "' is not a language code (ISO 639, e.g. en, hi, sat)");
        }
      }
      (std::string(dir) == "input" ? d->languages_input : d->languages_output) = std::move(v);
    }
    return Status::Ok();
  }

  Result<std::shared_ptr<const Policy>> Parse(std::string_view text) const {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(StrFormat("%s:%d: YAML syntax error: %s", source_.c_str(), e.mark.line + 1, e.msg.c_str()));
    }
    try {
      return ParseRoot(root, text);
    } catch (const YAML::Exception& e) {
      return InvalidArgumentError(StrFormat("%s:%d: %s", source_.c_str(), e.mark.line + 1, e.msg.c_str()));
    }
  }

  Result<std::shared_ptr<const Policy>> ParseRoot(const YAML::Node& root, std::string_view text) const {
    PolicyData d;
    d.source = source_;
    d.hash = Sha256Hex(text);
    if (!root.IsMap()) {
      return InvalidArgumentError(source_ + ": a policy must be a YAML mapping with keys like name, categories, keywords (see docs/GUARD.md)");
    }
    RETURN_IF_ERROR(CheckKeys(root, "", {"name", "version", "description", "categories", "keywords", "patterns", "languages", "pii",
                                         "refusals", "detectors", "classifier", "judge", "audit"}));
    d.name = "unnamed";
    if (root["name"]) {
      ASSIGN_OR_RETURN(d.name, Str(root["name"], "name"));
    }
    if (root["version"]) {
      ASSIGN_OR_RETURN(d.version, Str(root["version"], "version"));
    }
    if (root["description"]) {
      ASSIGN_OR_RETURN(std::string unused, Str(root["description"], "description"));
    }

    if (root["categories"]) {
      RETURN_IF_ERROR(ParseCategories(root["categories"], &d));
    } else {
      d.categories.assign(std::begin(kDefaultCategories), std::end(kDefaultCategories));
    }

    // PII settings (the "pii" category's action comes from here unless the category is listed).
    Action pii_action = Action::kRedact;
    d.pii_types = {PiiType::kEmail, PiiType::kPhone, PiiType::kCard, PiiType::kIban,
                   PiiType::kAadhaar, PiiType::kPan, PiiType::kIp, PiiType::kSecret};
    if (const YAML::Node p = root["pii"]) {
      RETURN_IF_ERROR(CheckKeys(p, "pii", {"types", "action"}));
      if (p["types"]) {
        ASSIGN_OR_RETURN(std::vector<std::string> names, StrList(p["types"], "pii.types"));
        d.pii_types.clear();
        for (size_t i = 0; i < names.size(); ++i) {
          PiiType t;
          if (!PiiTypeFromName(names[i], &t)) {
            return Error(p["types"][i], "pii.types", "unknown PII type '" + names[i] + "' (valid: " + kPiiTypeNames + ")");
          }
          d.pii_types.push_back(t);
        }
      }
      if (p["action"]) {
        ASSIGN_OR_RETURN(pii_action, ParseAction(p["action"], "pii.action"));
      }
    }
    auto add_builtin = [&](const char* code, const char* name, const char* desc, Action a, float thr) {
      for (const Category& c : d.categories) {
        if (c.code == code) return;
      }
      d.categories.push_back({code, name, desc, a, thr});
    };
    add_builtin("pii", "pii", "Personal data and secrets: e-mail, phone, card, IBAN, Aadhaar, PAN, IP, API keys", pii_action, 0.5f);
    add_builtin("injection", "prompt_injection", "Prompt injection and jailbreak attempts", Action::kBlock, 0.5f);
    add_builtin("language", "language", "Text in a language the deployment does not allow", Action::kBlock, 0.5f);

    if (root["keywords"]) RETURN_IF_ERROR(ParseLists(root["keywords"], "keywords", false, &d));
    if (root["patterns"]) RETURN_IF_ERROR(ParseLists(root["patterns"], "patterns", true, &d));
    if (root["languages"]) RETURN_IF_ERROR(ParseLanguages(root["languages"], &d));

    if (const YAML::Node r = root["refusals"]) {
      if (!r.IsMap()) return Error(r, "refusals", "must map language codes to messages");
      for (const auto& kv : r) {
        const std::string lang = kv.first.Scalar();
        if (!ValidLanguageCode(lang) || lang == "any") {
          return Error(kv.first, "refusals." + lang, "'" + lang + "' is not a language code (ISO 639, e.g. en, hi)");
        }
        ASSIGN_OR_RETURN(d.refusals[lang], Str(kv.second, "refusals." + lang));
      }
    }

    d.detectors_input = kDetKeywords | kDetPatterns | kDetPii | kDetLanguage | kDetInjection;
    d.detectors_output = kDetKeywords | kDetPatterns | kDetPii | kDetLanguage;
    if (root["detectors"]) RETURN_IF_ERROR(ParseDetectors(root["detectors"], &d));

    if (const YAML::Node c = root["classifier"]) {
      RETURN_IF_ERROR(CheckKeys(c, "classifier", {"path", "concepts", "threshold", "language_thresholds", "thresholds"}));
      d.classifier_path = "default";
      if (c["path"]) {
        ASSIGN_OR_RETURN(d.classifier_path, Str(c["path"], "classifier.path"));
      }
      if (c["concepts"]) {
        ASSIGN_OR_RETURN(d.classifier_concepts_path, Str(c["concepts"], "classifier.concepts"));
      }
      if (c["threshold"]) {
        ASSIGN_OR_RETURN(d.classifier_threshold, Threshold(c["threshold"], "classifier.threshold"));
      }
      if (const YAML::Node t = c["language_thresholds"]) {
        if (!t.IsMap()) {
          return Error(t, "classifier.language_thresholds", "must map language codes (e.g. de, hi) to numbers in [0, 1]");
        }
        for (const auto& kv : t) {
          const std::string lang = kv.first.Scalar();
          const bool ok_code = lang.size() >= 2 && lang.size() <= 12 &&
                               std::all_of(lang.begin(), lang.end(), [](char ch) { return std::islower(static_cast<unsigned char>(ch)) || ch == '-'; });
          if (!ok_code) {
            return Error(kv.first, "classifier.language_thresholds." + lang,
                         "is not a language code (lower-case ISO 639, e.g. de, hi, zh)");
          }
          ASSIGN_OR_RETURN(d.classifier_language_thresholds[lang],
                           Threshold(kv.second, "classifier.language_thresholds." + lang));
        }
      }
      if (const YAML::Node t = c["thresholds"]) {
        if (!t.IsMap()) return Error(t, "classifier.thresholds", "must map category codes to numbers in [0, 1]");
        for (const auto& kv : t) {
          const std::string code = kv.first.Scalar();
          auto it = std::find_if(d.categories.begin(), d.categories.end(), [&](const Category& x) { return x.code == code; });
          if (it == d.categories.end()) {
            std::vector<std::string> codes;
            for (const Category& x : d.categories) codes.push_back(x.code);
            return Error(kv.first, "classifier.thresholds." + code, "unknown category '" + code + "' (valid: " + Join(codes) + ")");
          }
          ASSIGN_OR_RETURN(it->threshold, Threshold(kv.second, "classifier.thresholds." + code));
        }
      }
    } else if ((d.detectors_input | d.detectors_output) & kDetClassifier) {
      d.classifier_path = "default";
    }

    if (const YAML::Node j = root["judge"]) {
      if (!j.IsMap()) return Error(j, "judge", "must be a mapping {model: FILE.gguf, gate: 0..1, max_tokens: N}");
      RETURN_IF_ERROR(CheckKeys(j, "judge", {"model", "gate", "max_tokens"}));
      if (!j["model"]) return Error(j, "judge", "needs 'model': the judge's GGUF file (a Llama Guard 3 conversion)");
      JudgeSpec js;
      ASSIGN_OR_RETURN(js.model, Str(j["model"], "judge.model"));
      if (js.model.empty()) return Error(j["model"], "judge.model", "must not be empty");
      if (j["gate"]) {
        ASSIGN_OR_RETURN(js.gate, Threshold(j["gate"], "judge.gate"));
      }
      if (j["max_tokens"]) {
        int v = 0;
        if (!j["max_tokens"].IsScalar() || !YAML::convert<int>::decode(j["max_tokens"], v) || v < 1 || v > 256) {
          return Error(j["max_tokens"], "judge.max_tokens", "must be a whole number in 1..256");
        }
        js.max_tokens = v;
      }
      d.judge = js;
    }

    if (const YAML::Node a = root["audit"]) {
      RETURN_IF_ERROR(CheckKeys(a, "audit", {"log_raw_text"}));
      if (a["log_raw_text"]) {
        bool v = false;
        if (!a["log_raw_text"].IsScalar() || !YAML::convert<bool>::decode(a["log_raw_text"], v)) {
          return Error(a["log_raw_text"], "audit.log_raw_text", "must be true or false");
        }
        d.log_raw_text = v;
      }
    }

    RETURN_IF_ERROR(Compile(&d));
    return std::shared_ptr<const Policy>(std::make_shared<PolicyImpl>(std::move(d)));
  }

  Status Compile(PolicyData* d) const {
    RE2::Options ko;
    ko.set_log_errors(false);
    ko.set_max_mem(256 << 20);
    auto kw = std::make_shared<RE2::Set>(ko, RE2::UNANCHORED);
    RE2::Options po = ko;
    po.set_case_sensitive(false);
    auto pat = std::make_shared<RE2::Set>(po, RE2::UNANCHORED);
    for (size_t i = 0; i < d->rules.size(); ++i) {
      const Rule& r = d->rules[i];
      std::string err;
      if (r.is_pattern) {
        if (pat->Add(r.text, &err) < 0) return InvalidArgumentError(source_ + ": pattern '" + r.text + "': " + err);
        d->pattern_rule.push_back(static_cast<int>(i));
        d->rule_regex.push_back(std::make_shared<RE2>(r.text, po));
      } else {
        std::string w = r.text;
        const bool prefix = !w.empty() && w.back() == '*';
        if (prefix) w.pop_back();
        const std::string re = KeywordRegex(NormalizeForMatching(w), prefix);
        if (kw->Add(re, &err) < 0) {
          return InvalidArgumentError(source_ + ": keyword '" + r.text + "': " + err);
        }
        d->keyword_rule.push_back(static_cast<int>(i));
        d->rule_regex.push_back(std::make_shared<RE2>(re, ko));
      }
    }
    if (!d->keyword_rule.empty()) {
      if (!kw->Compile()) return ResourceExhaustedError(source_ + ": the keyword lists are too large to compile (RE2 memory limit)");
      d->keyword_set = kw;
    }
    if (!d->pattern_rule.empty()) {
      if (!pat->Compile()) return ResourceExhaustedError(source_ + ": the patterns are too large to compile (RE2 memory limit)");
      d->pattern_set = pat;
    }
    return Status::Ok();
  }

 private:
  std::string source_;
};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string PolicyImpl::RefusalMessage(std::string_view language) const {
  std::string lang(language);
  auto it = d_.refusals.find(lang);
  if (it != d_.refusals.end()) return it->second;
  const size_t cut = lang.find_first_of("-_");
  if (cut != std::string::npos) {
    it = d_.refusals.find(lang.substr(0, cut));
    if (it != d_.refusals.end()) return it->second;
  }
  it = d_.refusals.find("en");
  if (it != d_.refusals.end()) return it->second;
  return "Sorry, I can't help with that request.";
}

const Category* PolicyImpl::Find(std::string_view code) const {
  for (const Category& c : d_.categories) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

}  // namespace internal

Result<std::shared_ptr<const Policy>> Policy::Parse(std::string_view text, std::string_view source_name) {
  const std::string src(source_name.empty() ? "policy" : source_name);
  if (internal::EndsWith(src, ".toml")) {
    return UnimplementedError(src + ": TOML policies are not supported; write the policy in YAML (.yaml), see docs/GUARD.md");
  }
  return internal::Parser(src).Parse(text);
}

Result<std::shared_ptr<const Policy>> Policy::Load(const std::string& path) {
  if (internal::EndsWith(path, ".toml")) {
    return UnimplementedError(path + ": TOML policies are not supported; write the policy in YAML (.yaml), see docs/GUARD.md");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError("guard: cannot open policy file '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return Parse(ss.str(), path);
}

Result<std::shared_ptr<const Policy>> Policy::Default() {
  for (const EmbeddedFile& f : DefaultAssets()) {
    if (f.name == "default-policy.yaml") return Parse(f.data, "default-policy.yaml");
  }
  return NotFoundError("guard: the default policy (data/guard/default-policy.yaml) is not compiled into this binary");
}

}  // namespace sangam::guard
