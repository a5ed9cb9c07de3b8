// Guard: runs the policy's detectors for a direction, combines their scores into a decision
// (most severe action of the flagged categories), and writes the audit log.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "guard/internal.h"
#include "sangam/log.h"

#if __has_include("sangam/guard_classifier.h")
#include "sangam/guard_classifier.h"
#include "sangam/guard_concepts.h"
#define SANGAM_GUARD_HAVE_CLASSIFIER 1
#else
#define SANGAM_GUARD_HAVE_CLASSIFIER 0
#endif

namespace sangam::guard {

std::string Decision::ToJson() const {
  nlohmann::json j;
  j["flagged"] = flagged;
  j["action"] = ActionName(action);
  j["categories"] = categories;
  nlohmann::json s = nlohmann::json::object();
  for (const auto& [k, v] : scores) s[k] = std::round(static_cast<double>(v) * 10000.0) / 10000.0;
  j["scores"] = s;
  j["language"] = language;
  if (!redactions.empty()) j["redacted"] = redacted;
  if (action == Action::kBlock && !message.empty()) j["message"] = message;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace internal {
namespace {

#if SANGAM_GUARD_HAVE_CLASSIFIER
using ClassifierPtr = std::unique_ptr<Classifier>;
#else
using ClassifierPtr = std::unique_ptr<int>;
#endif

bool LanguageAllowed(const std::vector<std::string>& allowed, const std::string& lang) {
  if (allowed.empty() || lang == "und") return true;
  for (const std::string& a : allowed) {
    if (a == lang) return true;
    // "mni_Beng" or "pt-BR" in the list allow "mni" / "pt".
    const size_t cut = a.find_first_of("-_");
    if (cut != std::string::npos && a.compare(0, cut, lang) == 0 && lang.size() == cut) return true;
  }
  return false;
}

class GuardImpl final : public Guard {
 public:
  GuardImpl(std::shared_ptr<const Policy> policy, const PolicyImpl* impl, ClassifierPtr cls,
            std::unique_ptr<AuditLog> audit)
      : policy_(std::move(policy)), p_(impl), cls_(std::move(cls)), audit_(std::move(audit)) {}

  const Policy& policy() const override { return *policy_; }

  Decision Check(std::string_view text, Direction dir) const override {
    Decision d = Evaluate(text, dir);
    Record(d, text, dir);
    return d;
  }

  void Record(const Decision& d, std::string_view text, Direction dir) const override {
    if (!audit_) return;
    Status st = audit_->Record(d, dir, p_->hash(), text, p_->log_raw_text());
    if (!st.ok() && !audit_warned_.exchange(true)) LOG_WARN("%s", st.message().c_str());
  }

  Decision Evaluate(std::string_view input, Direction dir) const override {
    const PolicyData& pd = p_->data();
    Decision d;
    std::string repaired;
    std::string_view t = input;
    if (!IsValidUtf8(input)) {
      repaired = RepairUtf8(input);
      t = repaired;
    }
    const uint32_t det = dir == Direction::kInput ? pd.detectors_input : pd.detectors_output;
    std::map<std::string, float> score;
    auto bump = [&](const std::string& code, float v) {
      float& s = score[code];
      s = std::max(s, v);
    };

    const LanguageGuess lg = DetectLanguage(t);
    d.language = lg.language;
    d.script = lg.script;

    std::string norm;
    if (det & (kDetKeywords | kDetPatterns | kDetInjection | kDetClassifier)) norm = NormalizeForMatching(t);
    const re2::StringPiece norm_sp(norm.data(), norm.size());
    std::vector<int> hits;
    std::vector<int> matched_rules;  // rule indices that matched (keywords and patterns)
    if ((det & kDetKeywords) && pd.keyword_set) {
      hits.clear();
      pd.keyword_set->Match(norm_sp, &hits);
      std::sort(hits.begin(), hits.end());
      for (int h : hits) {
        const Rule& r = pd.rules[pd.keyword_rule[h]];
        matched_rules.push_back(pd.keyword_rule[h]);
        bump(r.category, 1.0f);
        d.reasons.push_back("keyword (" + r.language + ") '" + r.text + "' -> " + r.category);
      }
    }
    if ((det & kDetPatterns) && pd.pattern_set) {
      hits.clear();
      pd.pattern_set->Match(norm_sp, &hits);
      std::sort(hits.begin(), hits.end());
      for (int h : hits) {
        const Rule& r = pd.rules[pd.pattern_rule[h]];
        matched_rules.push_back(pd.pattern_rule[h]);
        bump(r.category, 1.0f);
        d.reasons.push_back("pattern (" + r.language + ") /" + r.text + "/ -> " + r.category);
      }
    }
    if (det & kDetInjection) {
      InjectionResult inj = ScoreInjection(norm, t);
      bump("injection", inj.score);
      for (std::string& r : inj.reasons) d.reasons.push_back(std::move(r));
    }
    if (det & kDetPii) {
      const std::vector<PiiMatch> pii = FindPii(t, pd.pii_types);
      if (!pii.empty()) {
        bump("pii", 1.0f);
        std::string red;
        size_t pos = 0;
        for (const PiiMatch& m : pii) {
          red.append(t.data() + pos, m.begin - pos);
          red += PiiPlaceholder(m.type);
          pos = m.end;
          d.redactions.push_back({m.begin, m.end, PiiPlaceholder(m.type)});
          d.reasons.push_back(std::string("pii: ") + PiiTypeName(m.type));
        }
        red.append(t.data() + pos, t.size() - pos);
        d.redacted = std::move(red);
      }
    }
    if (d.redactions.empty()) d.redacted = std::string(t);
    if (det & kDetLanguage) {
      const auto& allowed = dir == Direction::kInput ? pd.languages_input : pd.languages_output;
      if (!LanguageAllowed(allowed, d.language)) {
        bump("language", 1.0f);
        d.reasons.push_back("language: '" + d.language + "' is not allowed for " + DirectionName(dir));
      }
    }
    std::map<std::string, float> cls_scores;
#if SANGAM_GUARD_HAVE_CLASSIFIER
    if ((det & kDetClassifier) && cls_) {
      cls_scores = cls_->Score(norm);
      // The total harmful probability decides, and goes to the most likely category the policy
      // has; the per-category probabilities are reported in d.scores but do not flag on their own.
      const ClassifierVerdict v =
          SummarizeScores(cls_scores, [&](const std::string& code) { return p_->Find(code) != nullptr; });
      d.classifier_harm = v.harmful;
      float thr = pd.classifier_threshold;
      if (auto it = pd.classifier_language_thresholds.find(d.language); it != pd.classifier_language_thresholds.end()) {
        thr = it->second;
      }
      if (!v.category.empty() && v.harmful >= thr) {
        bump(v.category, v.harmful);
        d.reasons.push_back(StrFormat("classifier: harmful %.4f >= %.4f (%s) -> %s", v.harmful, thr,
                                      d.language.c_str(), v.category.c_str()));
      }
    }
#endif

    for (const Category& c : pd.categories) {
      auto it = score.find(c.code);
      if (it == score.end() || it->second <= 0.0f || it->second < c.threshold) continue;
      d.flagged = true;
      d.categories.push_back(c.code);
      if (static_cast<int>(c.action) > static_cast<int>(d.action)) d.action = c.action;
    }
    const std::set<std::string> spanned = RedactRuleMatches(pd, t, matched_rules, &d);
    // A flagged category whose action is redact but that has no span to replace (flagged by the
    // classifier or the injection / language detectors, not by a keyword, pattern or PII match)
    // cannot be redacted: the decision fails closed and blocks.
    for (const std::string& code : d.categories) {
      const Category* c = p_->Find(code);
      if (c == nullptr || c->action != Action::kRedact || spanned.count(code) > 0) continue;
      d.action = Action::kBlock;
      d.reasons.push_back(code + ": action redact, but nothing to redact (no keyword, pattern or PII match) -> block");
    }
    for (const auto& [code, v] : cls_scores) {
      float& s = score[code];
      s = std::max(s, std::clamp(v, 0.0f, 1.0f));
    }
    d.scores = std::move(score);
    if (d.action == Action::kBlock) d.message = p_->RefusalMessage(d.language);
    return d;
  }

 private:
  // Flagged categories whose action is redact: their keyword/pattern matches become "[NAME]"
  // placeholders in d->redacted (whole words), merged with the PII placeholders.
  // Returns the categories that have at least one span (PII's included), before overlapping spans
  // are merged away.
  std::set<std::string> RedactRuleMatches(const PolicyData& pd, std::string_view t, const std::vector<int>& matched,
                                          Decision* d) const {
    std::set<std::string> spanned;
    for (const Decision::Redaction& r : d->redactions) spanned.insert(r.category);
    std::vector<Decision::Redaction> extra;
    for (int ri : matched) {
      const Rule& r = pd.rules[ri];
      const Category* c = p_->Find(r.category);
      if (c == nullptr || c->action != Action::kRedact) continue;
      if (std::find(d->categories.begin(), d->categories.end(), r.category) == d->categories.end()) continue;
      if (static_cast<size_t>(ri) >= pd.rule_regex.size() || !pd.rule_regex[ri]->ok()) continue;
      std::string name = c->name.empty() ? c->code : c->name;
      for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      for (const auto& [b, e] : FindRuleSpans(t, *pd.rule_regex[ri], kMaxRedactWords)) {
        extra.push_back({b, e, "[" + name + "]", r.category});
        spanned.insert(r.category);
      }
    }
    if (extra.empty()) return spanned;
    // Merge with the PII spans: sorted, and a span overlapping an earlier one is dropped.
    std::vector<Decision::Redaction> all = d->redactions;
    all.insert(all.end(), extra.begin(), extra.end());
    std::sort(all.begin(), all.end(), [](const Decision::Redaction& a, const Decision::Redaction& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    std::vector<Decision::Redaction> kept;
    for (Decision::Redaction& r : all) {
      if (!kept.empty() && r.begin < kept.back().end) continue;
      kept.push_back(std::move(r));
    }
    std::string red;
    size_t pos = 0;
    for (const Decision::Redaction& r : kept) {
      red.append(t.data() + pos, r.begin - pos);
      red += r.placeholder;
      pos = r.end;
    }
    red.append(t.data() + pos, t.size() - pos);
    d->redactions = std::move(kept);
    d->redacted = std::move(red);
    return spanned;
  }

  static constexpr size_t kMaxRedactWords = 16;

  std::shared_ptr<const Policy> policy_;
  const PolicyImpl* p_;
  ClassifierPtr cls_;
  std::unique_ptr<AuditLog> audit_;
  mutable std::atomic<bool> audit_warned_{false};
};

Result<ClassifierPtr> LoadClassifier(const PolicyData& pd) {
  const bool wanted = ((pd.detectors_input | pd.detectors_output) & kDetClassifier) != 0;
  if (!wanted || pd.classifier_path.empty()) return ClassifierPtr();
#if SANGAM_GUARD_HAVE_CLASSIFIER
  std::shared_ptr<const ConceptLexicon> concepts;
  if (!pd.classifier_concepts_path.empty()) {
    auto lex = ConceptLexicon::Load(pd.classifier_concepts_path);
    if (!lex.ok()) return lex.status().WithPrefix("guard: policy " + pd.source + ": classifier.concepts");
    concepts = std::make_shared<const ConceptLexicon>(std::move(lex).value());
  }
  if (pd.classifier_path == "default") {
    auto r = Classifier::LoadDefault(concepts);
    if (r.ok()) return ClassifierPtr(std::move(r).value());
    if (r.status().code() != StatusCode::kNotFound) return r.status().WithPrefix("guard: default classifier");
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) LOG_WARN("guard: policy %s enables the classifier but no default classifier is compiled into this binary; "
             "running the rules only", pd.source.c_str());
    return ClassifierPtr();
  }
  auto r = Classifier::Load(pd.classifier_path, std::move(concepts));
  if (!r.ok()) return r.status().WithPrefix("guard: policy " + pd.source + ": classifier");
  return ClassifierPtr(std::move(r).value());
#else
  if (pd.classifier_path == "default") {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) LOG_WARN("guard: policy %s enables the classifier but this build has none; running the rules only",
             pd.source.c_str());
    return ClassifierPtr();
  }
  return UnimplementedError("guard: policy " + pd.source + " names classifier '" + pd.classifier_path +
                            "' but this build has no classifier support");
#endif
}

}  // namespace
}  // namespace internal

Result<std::unique_ptr<Guard>> Guard::Create(std::shared_ptr<const Policy> policy, const GuardOptions& opts) {
  using namespace internal;
  if (!policy) return InvalidArgumentError("guard: no policy given");
  const auto* impl = dynamic_cast<const PolicyImpl*>(policy.get());
  if (impl == nullptr) return InvalidArgumentError("guard: policy was not created by Policy::Load/Parse/Default");
  ASSIGN_OR_RETURN(ClassifierPtr cls, LoadClassifier(impl->data()));
  std::unique_ptr<AuditLog> audit;
  if (!opts.audit_db.empty()) {
    ASSIGN_OR_RETURN(audit, AuditLog::Open(opts.audit_db));
  }
  return std::unique_ptr<Guard>(new GuardImpl(std::move(policy), impl, std::move(cls), std::move(audit)));
}

}  // namespace sangam::guard
