// Model-as-judge: Llama Guard 3 prompt construction, reply parsing and greedy generation.
#include "sangam/guard_judge.h"

#include <algorithm>
#include <cctype>

#include "sangam/guard.h"
#include "sangam/model.h"

namespace sangam::guard {
namespace {

constexpr std::string_view kBeginOfText = "<|begin_of_text|>";

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ValidCode(std::string_view c) {
  if (c.empty() || c.size() > 64) return false;
  for (char ch : c) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') return false;
  }
  return true;
}

Status Unparseable(std::string_view reply, const char* why) {
  std::string shown(reply.substr(0, 200));
  for (char& c : shown) {
    if (c == '\n') c = '|';
  }
  return InvalidArgumentError(StrFormat("judge: cannot parse the model's reply (%s): \"%s\"", why, shown.c_str()));
}

}  // namespace

std::vector<JudgeCategory> LlamaGuard3Categories() {
  return {{"S1", "Violent Crimes"},      {"S2", "Non-Violent Crimes"},   {"S3", "Sex Crimes"},
          {"S4", "Child Exploitation"},  {"S5", "Defamation"},           {"S6", "Specialized Advice"},
          {"S7", "Privacy"},             {"S8", "Intellectual Property"}, {"S9", "Indiscriminate Weapons"},
          {"S10", "Hate"},               {"S11", "Self-Harm"},           {"S12", "Sexual Content"},
          {"S13", "Elections"},          {"S14", "Code Interpreter Abuse"}};
}

std::vector<JudgeCategory> JudgeCategoriesFromPolicy(const Policy& policy) {
  const std::vector<JudgeCategory> lg = LlamaGuard3Categories();
  std::vector<JudgeCategory> out;
  for (const Category& c : policy.categories()) {
    if (c.code == "pii" || c.code == "injection" || c.code == "language") continue;
    auto it = std::find_if(lg.begin(), lg.end(), [&](const JudgeCategory& j) { return j.code == c.code; });
    if (it != lg.end()) {
      out.push_back(*it);
    } else {
      std::string title = Trim(c.description.empty() ? c.name : c.description);
      while (!title.empty() && title.back() == '.') title.pop_back();
      out.push_back({c.code, title.empty() ? c.code : title});
    }
  }
  return out;
}

std::string BuildLlamaGuardPrompt(const std::vector<JudgeCategory>& categories,
                                  const std::vector<JudgeTurn>& conversation) {
  const JudgeRole last = conversation.empty() ? JudgeRole::kUser : conversation.back().role;
  const char* role = last == JudgeRole::kUser ? "User" : "Agent";
  std::string p(kBeginOfText);
  p += "<|start_header_id|>user<|end_header_id|>\n\n";
  p += "Task: Check if there is unsafe content in '";
  p += role;
  p += "' messages in conversations according our safety policy with the below categories.\n\n";
  p += "<BEGIN UNSAFE CONTENT CATEGORIES>\n";
  for (const JudgeCategory& c : categories) p += c.code + ": " + c.title + ".\n";
  p += "<END UNSAFE CONTENT CATEGORIES>\n\n";
  p += "<BEGIN CONVERSATION>\n\n";
  if (conversation.empty()) {
    p += "User: \n\n";
  }
  for (const JudgeTurn& t : conversation) {
    p += t.role == JudgeRole::kUser ? "User: " : "Agent: ";
    p += t.text;
    p += "\n\n";
  }
  p += "<END CONVERSATION>\n\n";
  p += "Provide your safety assessment for ONLY THE LAST ";
  p += role;
  p += " message in the above conversation:\n";
  p += " - First line must read 'safe' or 'unsafe'.\n";
  p += " - If unsafe, a second line must include a comma-separated list of violated categories.";
  p += "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  return p;
}

Result<JudgeVerdict> ParseJudgeReply(std::string_view reply, const std::vector<JudgeCategory>& known) {
  const std::string t = Trim(reply);
  if (t.empty()) return Unparseable(reply, "empty reply");
  const size_t nl = t.find('\n');
  std::string first = Lower(Trim(t.substr(0, nl)));
  if (!first.empty() && first.back() == '.') first.pop_back();
  JudgeVerdict v;
  v.raw = std::string(reply);
  if (first == "safe") {
    v.unsafe = false;
    return v;
  }
  if (first != "unsafe") return Unparseable(reply, "first line is neither 'safe' nor 'unsafe'");
  v.unsafe = true;
  if (nl == std::string::npos) return v;
  std::string rest = t.substr(nl + 1);
  const std::string second = Trim(rest.substr(0, rest.find('\n')));
  if (second.empty()) return v;
  size_t start = 0;
  while (start <= second.size()) {
    size_t end = second.find(',', start);
    if (end == std::string::npos) end = second.size();
    std::string code = Trim(std::string_view(second).substr(start, end - start));
    start = end + 1;
    if (code.empty()) continue;
    // Codes are upper-case in Llama Guard's taxonomy ("s1" is accepted as "S1").
    if (code.size() >= 2 && (code[0] == 's') && std::isdigit(static_cast<unsigned char>(code[1]))) code[0] = 'S';
    if (!ValidCode(code)) return Unparseable(reply, "second line is not a comma-separated list of category codes");
    if (!known.empty() &&
        std::none_of(known.begin(), known.end(), [&](const JudgeCategory& k) { return k.code == code; })) {
      return Unparseable(reply, ("unknown category code '" + code + "'").c_str());
    }
    if (std::find(v.categories.begin(), v.categories.end(), code) == v.categories.end()) v.categories.push_back(code);
  }
  return v;
}

Result<JudgeVerdict> RunJudge(const model::Model& model, ThreadPool& pool, std::string_view prompt,
                              const std::vector<JudgeCategory>& categories, const JudgeOptions& opts) {
  if (opts.max_tokens < 1 || opts.max_tokens > 256) {
    return InvalidArgumentError("judge: max_tokens must be in 1..256");
  }
  const tokenizer::Tokenizer& tok = model.tokenizer();
  tokenizer::EncodeOptions eo;
  eo.parse_special = true;
  std::string_view body = prompt;
  eo.add_bos = false;
  if (body.substr(0, kBeginOfText.size()) == kBeginOfText) {
    body.remove_prefix(kBeginOfText.size());
    eo.add_bos = tok.bos() >= 0;
  }
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok.Encode(body, eo));
  if (ids.empty()) return InvalidArgumentError("judge: the prompt encodes to no tokens");
  const int64_t trained = model.hparams().n_ctx_train > 0 ? model.hparams().n_ctx_train : 4096;
  int64_t n_ctx = opts.n_ctx > 0 ? opts.n_ctx : static_cast<int64_t>(ids.size()) + opts.max_tokens;
  if (opts.n_ctx <= 0) n_ctx = std::min(n_ctx, trained);
  if (static_cast<int64_t>(ids.size()) + 1 > n_ctx) {
    return OutOfRangeError(StrFormat("judge: prompt of %zu tokens does not fit the context of %lld tokens", ids.size(),
                                     static_cast<long long>(n_ctx)));
  }
  model::ContextOptions co;
  co.n_ctx = n_ctx;
  ASSIGN_OR_RETURN(auto ctx, model::Context::Create(model, co));
  ASSIGN_OR_RETURN(const float* logits, ctx->Eval(pool, ids));
  const int32_t n_vocab = static_cast<int32_t>(model.hparams().n_vocab);
  std::vector<int32_t> out;
  for (int step = 0; step < opts.max_tokens; ++step) {
    int32_t best = 0;
    for (int32_t i = 1; i < n_vocab; ++i) {
      if (logits[i] > logits[best]) best = i;
    }
    if (tok.IsEog(best)) break;
    out.push_back(best);
    // A verdict line followed by a codes line is complete at the next blank line.
    const std::string so_far = tok.Decode(out);
    if (so_far.find("\n\n", so_far.find_first_not_of(" \n")) != std::string::npos) break;
    if (ctx->SeqLength(0) + 1 > ctx->n_ctx()) break;
    const int32_t next[1] = {best};
    ASSIGN_OR_RETURN(logits, ctx->Eval(pool, next));
  }
  return ParseJudgeReply(tok.Decode(out), categories);
}

void MergeJudgeVerdict(const Policy& policy, const JudgeVerdict& verdict, Decision* d) {
  std::string codes;
  for (const std::string& c : verdict.categories) codes += (codes.empty() ? "" : ",") + c;
  d->reasons.push_back(verdict.unsafe ? "judge: unsafe " + (codes.empty() ? std::string("(no category)") : codes)
                                      : std::string("judge: safe"));
  d->scores["judge"] = verdict.unsafe ? 1.0f : 0.0f;
  if (!verdict.unsafe) return;
  d->flagged = true;
  bool named = false;
  std::vector<std::string> cats;
  for (const Category& c : policy.categories()) {
    const bool by_judge = std::find(verdict.categories.begin(), verdict.categories.end(), c.code) != verdict.categories.end();
    const bool before = std::find(d->categories.begin(), d->categories.end(), c.code) != d->categories.end();
    if (by_judge) {
      named = true;
      d->scores[c.code] = 1.0f;
    }
    if (by_judge || before) {
      cats.push_back(c.code);
      // A judge names no span: a category whose action is redact cannot be redacted, so it blocks.
      const Action a = by_judge && !before && c.action == Action::kRedact ? Action::kBlock : c.action;
      if (static_cast<int>(a) > static_cast<int>(d->action)) d->action = a;
    }
  }
  d->categories = std::move(cats);
  if (!named) d->action = Action::kBlock;
  if (d->action == Action::kBlock) d->message = policy.RefusalMessage(d->language);
}

}  // namespace sangam::guard
