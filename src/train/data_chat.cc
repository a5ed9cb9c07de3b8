// Chat JSONL training data: parsing, template rendering with an assistant-only loss mask, batching.
#include <algorithm>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "sangam/file.h"
#include "sangam/log.h"
#include "sangam/train_data.h"

namespace sangam::train {
namespace {

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

Result<std::vector<sample::ChatMessage>> ParseChatLine(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("invalid JSON");
  if (!j.is_object()) return InvalidArgumentError("expected a JSON object");
  auto it = j.find("messages");
  if (it == j.end()) return InvalidArgumentError("missing \"messages\"");
  if (!it->is_array()) return InvalidArgumentError("\"messages\" is not an array");
  if (it->empty()) return InvalidArgumentError("\"messages\" is empty");
  std::vector<sample::ChatMessage> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& m = (*it)[i];
    if (!m.is_object()) return InvalidArgumentError(StrFormat("message %zu is not an object", i));
    auto r = m.find("role");
    if (r == m.end() || !r->is_string()) {
      return InvalidArgumentError(StrFormat("message %zu: missing or non-string \"role\"", i));
    }
    const std::string role = r->get<std::string>();
    if (role != "system" && role != "user" && role != "assistant") {
      return InvalidArgumentError(StrFormat(
          "message %zu: unknown role '%s' (expected system, user or assistant)", i, role.c_str()));
    }
    auto c = m.find("content");
    if (c == m.end()) return InvalidArgumentError(StrFormat("message %zu: missing \"content\"", i));
    if (!c->is_string()) return InvalidArgumentError(StrFormat("message %zu: non-string \"content\"", i));
    out.push_back({role, c->get<std::string>()});
  }
  return out;
}

Result<ChatExample> TokenizeChat(const std::vector<sample::ChatMessage>& messages,
                                 sample::ChatTemplate tmpl, const tokenizer::Tokenizer& tok) {
  if (messages.empty()) return InvalidArgumentError("empty conversation");
  const tokenizer::EncodeOptions enc{.add_bos = true, .parse_special = true};
  auto full = tok.Encode(sample::RenderChat(tmpl, messages, false), enc);
  if (!full.ok()) return full.status();
  ChatExample ex;
  ex.tokens = std::move(*full);
  ex.mask.assign(ex.tokens.size(), 0);
  const std::vector<sample::ChatMessage> none;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    if (role != "system" && role != "user" && role != "assistant") {
      return InvalidArgumentError("unknown role '" + role + "'");
    }
    if (role != "assistant") continue;
    // Tokens before the reply: the conversation so far plus the assistant-turn opener.
    std::vector<sample::ChatMessage> prefix(messages.begin(), messages.begin() + static_cast<long>(i));
    auto before = tok.Encode(sample::RenderChat(tmpl, prefix, true), enc);
    if (!before.ok()) return before.status();
    std::vector<sample::ChatMessage> upto(messages.begin(), messages.begin() + static_cast<long>(i) + 1);
    auto after = tok.Encode(sample::RenderChat(tmpl, upto, false), enc);
    if (!after.ok()) return after.status();
    // Normally both are prefixes of the full tokenization; if a merge crosses a turn boundary,
    // the reply starts where the tokens first differ (so the merged token is trained on).
    const size_t lo = CommonPrefix(*before, ex.tokens);
    const size_t hi = std::min(after->size(), ex.tokens.size());
    // The reply's tokens, up to and including the end-of-generation token that closes it (the
    // template's separators after it, such as chatml's "\n", stay masked).
    for (size_t p = lo; p < hi; ++p) {
      ex.mask[p] = 1;
      if (tok.IsEog(ex.tokens[p])) break;
    }
  }
  return ex;
}

Result<ChatDataset> ChatDataset::FromExamples(std::vector<ChatExample> examples, int32_t pad_id,
                                              const DataOptions& opts) {
  if (opts.ctx <= 0 || opts.batch <= 0) {
    return InvalidArgumentError(StrFormat("train data: ctx (%d) and batch (%d) must be positive",
                                          opts.ctx, opts.batch));
  }
  if (!(opts.val_fraction >= 0.0 && opts.val_fraction < 1.0)) {
    return InvalidArgumentError(StrFormat("train data: val_fraction %g not in [0, 1)", opts.val_fraction));
  }
  if (examples.empty()) return InvalidArgumentError("train data: no chat examples (empty corpus)");
  ChatDataset d;
  d.opts_ = opts;
  d.pad_id_ = pad_id;
  const size_t limit = static_cast<size_t>(opts.ctx) + 1;
  for (auto& ex : examples) {
    if (ex.tokens.size() > limit) {
      ++d.truncated_;
      ex.tokens.resize(limit);
      ex.mask.resize(limit);
    }
  }
  d.examples_ = std::move(examples);
  const int64_t n = static_cast<int64_t>(d.examples_.size());
  int64_t n_val = 0;
  if (opts.val_fraction > 0) {
    n_val = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(n) * opts.val_fraction));
    if (n_val >= n) {
      return InvalidArgumentError(StrFormat("train data: val_fraction %g leaves no training examples (%lld)",
                                            opts.val_fraction, static_cast<long long>(n)));
    }
  }
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[static_cast<size_t>(i)] = i;
  EpochOrder split(all, opts.seed ^ 0x5eed5a1715ull);
  std::vector<uint8_t> is_val(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n_val; ++i) is_val[static_cast<size_t>(split.current_order()[static_cast<size_t>(i)])] = 1;
  std::vector<int64_t> train;
  for (int64_t i = 0; i < n; ++i) {
    if (is_val[static_cast<size_t>(i)]) d.val_.push_back(i);
    else train.push_back(i);
  }
  d.order_ = EpochOrder(std::move(train), opts.seed, !opts.no_shuffle);
  if (d.truncated_ > 0) {
    // Reported to the caller through truncated(); also a warning for the log.
    LOG_WARN("train data: %lld of %lld chat examples truncated to ctx+1 = %d tokens",
             static_cast<long long>(d.truncated_), static_cast<long long>(n), opts.ctx + 1);
  }
  return d;
}

Result<ChatDataset> ChatDataset::Load(const std::vector<std::string>& files, sample::ChatTemplate tmpl,
                                      const tokenizer::Tokenizer& tok, const DataOptions& opts) {
  if (files.empty()) return InvalidArgumentError("train data: no input files (empty corpus)");
  std::vector<ChatExample> examples;
  for (const std::string& f : files) {
    auto text = ReadFileToString(f);
    if (!text.ok()) return text.status().WithPrefix("train data: cannot read '" + f + "'");
    std::string_view rest = *text;
    int64_t line_no = 0;
    uint64_t offset = 0;
    while (!rest.empty()) {
      ++line_no;
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      const size_t consumed = nl == std::string_view::npos ? rest.size() : nl + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::string where = StrFormat("%s:%lld", f.c_str(), static_cast<long long>(line_no));
      const int64_t bad = FindInvalidUtf8(line);
      if (bad >= 0) {
        return InvalidArgumentError(StrFormat("train data: %s: invalid UTF-8 at byte offset %llu",
                                              where.c_str(), static_cast<unsigned long long>(offset + static_cast<uint64_t>(bad))));
      }
      offset += consumed;
      rest.remove_prefix(consumed);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      auto msgs = ParseChatLine(line);
      if (!msgs.ok()) return msgs.status().WithPrefix("train data: " + where);
      auto ex = TokenizeChat(*msgs, tmpl, tok);
      if (!ex.ok()) return ex.status().WithPrefix("train data: " + where);
      examples.push_back(std::move(*ex));
    }
  }
  int32_t pad = tok.pad() >= 0 ? tok.pad() : (tok.eos() >= 0 ? tok.eos() : 0);
  return FromExamples(std::move(examples), pad, opts);
}

void ChatDataset::FillRow(Batch& b, int32_t row, int64_t ex_idx) const {
  const size_t base = static_cast<size_t>(row) * static_cast<size_t>(b.ctx);
  std::fill(b.inputs.begin() + static_cast<long>(base), b.inputs.begin() + static_cast<long>(base) + b.ctx, pad_id_);
  std::fill(b.targets.begin() + static_cast<long>(base), b.targets.begin() + static_cast<long>(base) + b.ctx,
            kIgnoreIndex);
  if (ex_idx < 0) return;
  const ChatExample& ex = examples_[static_cast<size_t>(ex_idx)];
  const size_t n = ex.tokens.size();  // <= ctx + 1
  for (size_t j = 0; j + 1 < n; ++j) {
    b.inputs[base + j] = ex.tokens[j];
    b.targets[base + j] = ex.mask[j + 1] ? ex.tokens[j + 1] : kIgnoreIndex;
  }
}

Batch ChatDataset::NextTrain() {
  Batch b = AllocateBatch(opts_);
  for (int32_t r = 0; r < opts_.batch; ++r) FillRow(b, r, order_.Next());
  return b;
}

int64_t ChatDataset::num_val_batches() const {
  return (num_val_examples() + opts_.batch - 1) / opts_.batch;
}

Batch ChatDataset::ValBatch(int64_t i) const {
  Batch b = AllocateBatch(opts_);
  for (int32_t r = 0; r < opts_.batch; ++r) {
    const int64_t w = i * opts_.batch + r;
    FillRow(b, r, w >= 0 && w < num_val_examples() ? val_[static_cast<size_t>(w)] : -1);
  }
  return b;
}

}  // namespace sangam::train
