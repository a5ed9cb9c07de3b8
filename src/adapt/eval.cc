// EvaluateLanguages: token statistics per language and the models' NLL of each line.
#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "sangam/eval.h"

namespace sangam::adapt {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

// -ln softmax(logits)[target], in double precision.
double TokenNll(const float* logits, int32_t n_vocab, int32_t target) {
  double max_l = logits[0];
  for (int32_t v = 1; v < n_vocab; ++v) max_l = std::max(max_l, static_cast<double>(logits[v]));
  double sum = 0.0;
  for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(logits[v]) - max_l);
  return -(static_cast<double>(logits[target]) - max_l - std::log(sum));
}

// Scores one line's tokens (see the windowing contract in eval.h). Adds to *nll and *n_scored.
Status ScoreLine(model::Context& ctx, ThreadPool& pool, int32_t prefix, int32_t n_vocab,
                 const std::vector<int32_t>& t, std::vector<model::BatchToken>& batch, double* nll,
                 int64_t* n_scored) {
  const int64_t n = static_cast<int64_t>(t.size());
  const int64_t off = prefix >= 0 ? 1 : 0;
  const int64_t w = ctx.n_ctx();
  int64_t next = off ? 0 : 1;  // first token index still to score
  int64_t s = 0;               // first token of the current window
  while (next < n) {
    const int64_t e = std::min(n, s + (w - off));
    ctx.SeqClear(0);
    batch.clear();
    if (off) batch.push_back({prefix, 0, 0, false});
    for (int64_t k = s; k < e; ++k) {
      batch.push_back({t[static_cast<size_t>(k)], static_cast<int32_t>(off + k - s), 0, false});
    }
    // Token k sits at window index off + k - s and is predicted by the logits one before it.
    for (int64_t k = next; k < e; ++k) batch[static_cast<size_t>(off + k - s - 1)].logits = true;
    RETURN_IF_ERROR(ctx.Decode(pool, batch));
    for (int64_t k = next; k < e; ++k) {
      const float* lg = ctx.Logits(static_cast<int>(k - next));
      if (lg == nullptr) return InternalError("eval: missing logits after Decode");
      const int32_t target = t[static_cast<size_t>(k)];
      if (target < 0 || target >= n_vocab) {
        return InvalidArgumentError(StrFormat("token id %d is outside the model's vocabulary of %d",
                                              target, n_vocab));
      }
      *nll += TokenNll(lg, n_vocab, target);
      ++*n_scored;
    }
    next = e;
    if (next >= n) break;
    const int64_t keep = w / 2 - off;
    s = next - keep;
  }
  ctx.SeqClear(0);
  return Status::Ok();
}

}  // namespace

EvalChange ComputeChange(double a, double b) {
  EvalChange c;
  if (!std::isfinite(a) || !std::isfinite(b)) return c;
  c.abs = b - a;
  if (a != 0.0) c.pct = 100.0 * (b - a) / a;
  return c;
}

Result<EvalReport> EvaluateLanguages(const EvalOptions& opts, const EvalCorpus& corpus,
                                     const std::vector<EvalSubject>& subjects, ThreadPool& pool) {
  if (corpus.languages.empty()) return InvalidArgumentError("eval: no languages to evaluate");
  if (subjects.empty()) return InvalidArgumentError("eval: no model or tokenizer to evaluate");
  for (size_t i = 0; i < subjects.size(); ++i) {
    if (subjects[i].tok == nullptr) {
      return InvalidArgumentError(StrFormat("eval: subject %zu ('%s') has no tokenizer", i,
                                            subjects[i].label.c_str()));
    }
  }
  EvalReport rep;
  rep.parallel = corpus.parallel;
  rep.ref = NormalizeLanguageCode(opts.ref);
  rep.warnings = corpus.warnings;

  int64_t total_lines = 0;
  for (const EvalLanguageText& lt : corpus.languages) {
    LanguageEval lr;
    lr.code = lt.code;
    lr.path = lt.path;
    lr.lines = static_cast<int64_t>(lt.lines.size());
    std::string sample;
    for (size_t i = 0; i < lt.lines.size(); ++i) {
      EvalTextCounts c;
      if (!CountText(lt.lines[i], &c)) {
        return InvalidArgumentError(StrFormat("eval: %s:%zu: invalid UTF-8",
                                              lt.path.empty() ? lt.code.c_str() : lt.path.c_str(), i + 1));
      }
      lr.chars += c.chars;
      lr.bytes += c.bytes;
      lr.words += c.words;
      if (sample.size() < 4096) sample += lt.lines[i] + "\n";
    }
    lr.words_meaningful = ScriptUsesSpaces(lt.code, sample);
    lr.is_reference = corpus.parallel && lt.code == rep.ref;
    rep.ref_present = rep.ref_present || lr.is_reference;
    lr.subjects.resize(subjects.size());
    rep.languages.push_back(std::move(lr));
    total_lines += static_cast<int64_t>(lt.lines.size());
  }
  if (corpus.parallel && !rep.ref_present) {
    rep.warnings.push_back(StrFormat(
        "eval: reference language %s is not among the files; token premiums are n/a", rep.ref.c_str()));
  }

  const int64_t progress_total = total_lines * static_cast<int64_t>(subjects.size());
  int64_t progress_done = 0;
  std::vector<model::BatchToken> batch;
  for (size_t si = 0; si < subjects.size(); ++si) {
    const EvalSubject& sub = subjects[si];
    EvalSubjectInfo info{sub.label, sub.description, sub.note, false};
    const bool score = !opts.tokens_only && sub.model != nullptr;
    std::unique_ptr<model::Context> ctx;
    int32_t prefix = -1;
    if (score) {
      model::ContextOptions co;
      co.n_ctx = opts.n_ctx;
      co.n_batch = opts.n_ctx > 0 ? std::min<int64_t>(opts.n_ctx, 512) : 512;  // Decode splits longer lines
      co.loras = sub.loras;
      ASSIGN_OR_RETURN(ctx, model::Context::Create(*sub.model, co));
      if (ctx->n_ctx() < 4) {
        return InvalidArgumentError(StrFormat("eval: the context (%lld tokens) must be at least 4",
                                              static_cast<long long>(ctx->n_ctx())));
      }
      prefix = sub.tok->bos() >= 0 ? sub.tok->bos() : sub.tok->eos();
      if (prefix < 0) {
        rep.warnings.push_back(StrFormat(
            "eval: %s: the vocabulary has neither BOS nor EOS; the first token of each line is not scored",
            sub.label.c_str()));
      }
      info.scored = true;
    }
    const int32_t n_vocab = score ? static_cast<int32_t>(sub.model->hparams().n_vocab) : 0;
    for (size_t li = 0; li < corpus.languages.size(); ++li) {
      const EvalLanguageText& lt = corpus.languages[li];
      EvalMetrics& m = rep.languages[li].subjects[si];
      // Tokenize every line (in parallel: Tokenizer::Encode is thread-safe).
      std::vector<std::vector<int32_t>> toks(lt.lines.size());
      std::vector<Status> errs(lt.lines.size());
      tokenizer::EncodeOptions eo;
      eo.add_bos = false;
      pool.ParallelFor(static_cast<int64_t>(lt.lines.size()), [&](int64_t i, int) {
        auto r = sub.tok->Encode(lt.lines[static_cast<size_t>(i)], eo);
        if (r.ok()) {
          toks[static_cast<size_t>(i)] = std::move(r).value();
        } else {
          errs[static_cast<size_t>(i)] = r.status();
        }
      });
      for (size_t i = 0; i < toks.size(); ++i) {
        if (!errs[i].ok()) {
          return errs[i].WithPrefix(StrFormat("eval: %s line %zu", lt.code.c_str(), i + 1));
        }
        m.tokens += static_cast<int64_t>(toks[i].size());
      }
      if (!score) {
        progress_done += static_cast<int64_t>(lt.lines.size());
        if (opts.progress) opts.progress(progress_done, progress_total);
        continue;
      }
      m.scored = true;
      for (size_t i = 0; i < toks.size(); ++i) {
        if (!toks[i].empty()) {
          RETURN_IF_ERROR(ScoreLine(*ctx, pool, prefix, n_vocab, toks[i], batch, &m.nll_nats,
                                    &m.scored_tokens)
                              .WithPrefix(StrFormat("eval: %s: %s line %zu", sub.label.c_str(),
                                                    lt.code.c_str(), i + 1)));
        }
        ++progress_done;
        if (opts.progress) opts.progress(progress_done, progress_total);
      }
      if (!std::isfinite(m.nll_nats)) {
        return InternalError(StrFormat("eval: %s: %s: the NLL is not finite (NaN/inf logits)",
                                       sub.label.c_str(), lt.code.c_str()));
      }
    }
    rep.subjects.push_back(std::move(info));
  }

  // Derived metrics.
  int64_t ref_index = -1;
  for (size_t li = 0; li < rep.languages.size(); ++li) {
    if (rep.languages[li].is_reference) ref_index = static_cast<int64_t>(li);
  }
  for (LanguageEval& lr : rep.languages) {
    for (size_t si = 0; si < subjects.size(); ++si) {
      EvalMetrics& m = lr.subjects[si];
      if (ref_index >= 0) {
        const int64_t ref_tokens = rep.languages[static_cast<size_t>(ref_index)].subjects[si].tokens;
        if (ref_tokens > 0) m.premium = static_cast<double>(m.tokens) / static_cast<double>(ref_tokens);
      }
      if (lr.words_meaningful && lr.words > 0) {
        m.fertility = static_cast<double>(m.tokens) / static_cast<double>(lr.words);
      }
      if (m.scored) {
        const double bits = m.nll_nats / kLn2;
        if (lr.chars > 0) m.bits_per_char = bits / static_cast<double>(lr.chars);
        if (lr.bytes > 0) m.bits_per_byte = bits / static_cast<double>(lr.bytes);
      }
    }
  }
  return rep;
}

}  // namespace sangam::adapt
