// RunAdaptation: tokenizer -> vocabulary extension -> new rows -> LoRA -> evaluation -> model card.
#include "sangam/adapt.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sangam/corpus.h"
#include "sangam/file.h"
#include "sangam/model.h"
#include "sangam/sample.h"
#include "sangam/vocab_tools.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kNumStages = 8;  // data tokenizer extend embeddings lora guard evaluate card

json Fingerprint(const AdaptOptions& o) {
  json j;
  j["base_model"] = fs::path(o.base_model).filename().string();
  auto files = [](const std::vector<std::string>& v) {
    json a = json::array();
    for (const auto& f : v) {
      std::error_code ec;
      const auto size = fs::file_size(f, ec);
      a.push_back({fs::path(f).filename().string(), ec ? -1 : static_cast<int64_t>(size)});
    }
    return a;
  };
  j["lang"] = o.lang;
  j["corpus"] = files(o.corpus);
  j["heldout"] = files(o.heldout);
  j["english"] = files(o.english);
  j["english_heldout"] = files(o.english_heldout);
  j["tokenizer"] = {o.tokenizer_type, o.vocab_size, o.max_new};
  j["train"] = {o.ctx, o.batch, o.stage1_steps, o.stage1_lr, o.stage2_steps, o.stage2_lr,
                o.lora_rank, o.lora_alpha, o.seed};
  std::string targets;
  for (auto t : o.lora_targets) targets += std::string(model::LoraTargetName(t)) + ",";
  j["targets"] = targets;
  j["replay_tokens"] = o.replay_tokens;
  j["forgetting_budget_pct"] = o.forgetting_budget_pct;
  return j;
}

Result<std::string> ReadAll(const std::vector<std::string>& files, const char* what) {
  std::string all;
  for (const std::string& f : files) {
    if (!fs::exists(f)) return NotFoundError(std::string("adapt: ") + what + " file '" + f + "' not found");
    ASSIGN_OR_RETURN(std::string s, ReadFileToString(f));
    all += s;
    if (!all.empty() && all.back() != '\n') all += '\n';
  }
  return all;
}

bool HasLetters(const std::string& line) {
  for (unsigned char c : line) {
    if (c >= 0x80 || std::isalpha(c)) return true;
  }
  return false;
}

// Drops bytes that do not form valid UTF-8 (sampled byte tokens can end mid-character).
std::string ValidUtf8(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const int64_t bad = train::FindInvalidUtf8(s.substr(i));
    if (bad < 0) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, static_cast<size_t>(bad)));
    i += static_cast<size_t>(bad) + 1;
  }
  return out;
}

// Text sampled from the model from BOS (temperature 1, top-p 0.95), one sample per line, until
// n_tokens tokens: replay data from the model's own distribution.
Result<std::string> SampleReplay(const model::Model& m, int64_t n_tokens, int32_t max_len,
                                 uint64_t seed, ThreadPool& pool) {
  const tokenizer::Tokenizer& tok = m.tokenizer();
  model::ContextOptions co;
  co.n_ctx = max_len + 1;
  ASSIGN_OR_RETURN(auto ctx, model::Context::Create(m, co));
  sample::SamplerParams sp;
  sp.temperature = 1.0f;
  sp.top_k = 0;
  sp.top_p = 0.95f;
  sp.min_p = 0.0f;
  sp.seed = seed;
  std::string out;
  int64_t total = 0;
  uint64_t sample_no = 0;
  const int32_t bos = tok.bos() >= 0 ? tok.bos() : 0;
  while (total < n_tokens) {
    ctx->SeqClear(0);
    sp.seed = seed * 1000003ull + sample_no++;  // a fresh stream per sample
    sample::Sampler sampler(sp);
    std::vector<int32_t> ids;
    int32_t next = bos;
    for (int32_t i = 0; i < max_len; ++i) {
      ASSIGN_OR_RETURN(const float* logits, ctx->Eval(pool, std::span<const int32_t>(&next, 1)));
      next = sampler.Sample(logits, static_cast<int32_t>(m.hparams().n_vocab));
      sampler.Accept(next);
      if (tok.IsEog(next)) break;
      ids.push_back(next);
    }
    total += static_cast<int64_t>(ids.size()) + 1;
    std::string text = ValidUtf8(tok.Decode(ids));
    for (char& c : text) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    if (!text.empty()) out += text + "\n";
  }
  return out;
}

}  // namespace

Result<AdaptResult> RunAdaptation(const AdaptOptions& o, ThreadPool& pool,
                                  const AdaptCallbacks& cb) {
  auto say = [&](const std::string& m) {
    if (cb.on_message) cb.on_message(m);
  };
  if (o.base_model.empty()) return InvalidArgumentError("adapt: a base model is required (-m)");
  if (o.lang.empty()) return InvalidArgumentError("adapt: a target language is required (--lang)");
  if (o.corpus.empty()) return InvalidArgumentError("adapt: no corpus files (--corpus FILE...)");
  if (o.out_dir.empty()) return InvalidArgumentError("adapt: an output directory is required (-o)");
  if (!fs::exists(o.base_model)) {
    return NotFoundError("adapt: base model '" + o.base_model + "' not found");
  }
  const fs::path out(o.out_dir);
  std::error_code ec;
  fs::create_directories(out / "data", ec);
  if (ec) return IoError("adapt: cannot create output directory '" + o.out_dir + "': " + ec.message());
  {
    const std::string probe = (out / ".write-test").string();
    std::ofstream t(probe);
    if (!t) return IoError("adapt: output directory '" + o.out_dir + "' is not writable");
    t.close();
    fs::remove(probe, ec);
  }

  // Resume state.
  const std::string state_path = (out / "adapt-state.json").string();
  const json fingerprint = Fingerprint(o);
  json state = {{"fingerprint", fingerprint}, {"done", json::array()}};
  if (!o.restart && fs::exists(state_path)) {
    ASSIGN_OR_RETURN(std::string s, ReadFileToString(state_path));
    json old = json::parse(s, nullptr, false);
    if (old.is_discarded() || !old.contains("fingerprint") || !old.contains("done")) {
      return DataLossError(state_path + " is malformed; rerun with --restart");
    }
    if (old["fingerprint"] != fingerprint) {
      std::string diff;
      for (auto it = fingerprint.begin(); it != fingerprint.end(); ++it) {
        if (!old["fingerprint"].contains(it.key()) || old["fingerprint"][it.key()] != it.value()) {
          diff += " " + it.key();
        }
      }
      return InvalidArgumentError("adapt: " + o.out_dir + " holds an interrupted run with other "
                                  "options (" + diff + " ); use the same options to resume, or "
                                  "--restart to start over");
    }
    state = old;
  }
  auto done = [&](const std::string& stage) {
    for (const auto& d : state["done"]) {
      if (d == stage) return true;
    }
    return false;
  };
  auto mark = [&](const std::string& stage) -> Status {
    state["done"].push_back(stage);
    return WriteFileAtomic(state_path, state.dump(2));
  };
  AdaptResult result;
  int stage_no = 0;
  auto begin = [&](const char* name) {
    ++stage_no;
    if (done(name)) {
      result.skipped_stages.push_back(name);
      say(StrFormat("stage %d/%d %s: already done", stage_no, kNumStages, name));
      return false;
    }
    if (cb.on_stage) cb.on_stage(stage_no, kNumStages, name);
    return true;
  };

  const std::string train_txt = (out / "data" / "train.txt").string();
  const std::string heldout_txt = (out / "data" / "heldout.txt").string();
  const std::string eng_heldout_txt = (out / "data" / "heldout.eng.txt").string();
  const std::string tok_model = (out / "tokenizer.model").string();
  const std::string extended = (out / "extended.gguf").string();
  const std::string stage1 = (out / "stage1").string();
  const std::string stage2 = (out / "stage2").string();
  const std::string lang_code = NormalizeLanguageCode(o.lang);

  // ---- 1 data ----
  if (begin("data")) {
    ASSIGN_OR_RETURN(std::string text, ReadAll(o.corpus, "corpus"));
    std::vector<std::string> lines;
    {
      std::istringstream in(text);
      std::string line;
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (HasLetters(line)) lines.push_back(line);
      }
    }
    if (lines.empty()) {
      return InvalidArgumentError("adapt: the corpus (" + o.corpus.front() +
                                  (o.corpus.size() > 1 ? ", ..." : "") + ") has no text");
    }
    // The expected script: an explicit suffix (mni_Beng, sat-Deva) wins over the language
    // table's default (mni -> Mtei, sat -> Olck).
    std::string script;
    const size_t sep = o.lang.find_first_of("_-");
    if (sep != std::string::npos && o.lang.size() - sep - 1 == 4) script = o.lang.substr(sep + 1);
    const LanguageInfo* info = FindCorpusLanguage(o.lang.substr(0, sep));
    if (script.empty() && info != nullptr) script = info->script;
    if (!script.empty()) {
      const ScriptCounts sc = CountScript(text, script);
      if (sc.letters > 0 && sc.share() < 0.5) {
        return InvalidArgumentError(StrFormat(
            "adapt: the corpus is mostly in the %s script, but --lang %s is written in %s (only "
            "%.0f %% of the corpus's letters are); check --corpus, or give the script "
            "explicitly, e.g. --lang %s_%s",
            DominantScript(text).c_str(), o.lang.c_str(), script.c_str(), 100.0 * sc.share(),
            o.lang.substr(0, sep).c_str(), DominantScript(text).c_str()));
      }
    } else {
      say("note: '" + o.lang + "' is not in sangam's language table; the script check is skipped");
    }
    std::string train, held;
    if (o.heldout.empty()) {
      for (size_t i = 0; i < lines.size(); ++i) ((i % 20 == 19) ? held : train) += lines[i] + "\n";
    } else {
      for (const auto& l : lines) train += l + "\n";
      ASSIGN_OR_RETURN(held, ReadAll(o.heldout, "held-out"));
    }
    if (held.empty()) return InvalidArgumentError("adapt: the corpus is too small to hold out lines for evaluation (need at least 20 lines)");
    RETURN_IF_ERROR(WriteFileAtomic(train_txt, train));
    RETURN_IF_ERROR(WriteFileAtomic(heldout_txt, held));
    // English held-out lines alternate between the report (test) and the forgetting guard
    // (validation), so the guard never sees the lines it is judged on.
    std::string eng_test, eng_val;
    if (!o.english_heldout.empty()) {
      ASSIGN_OR_RETURN(std::string eng, ReadAll(o.english_heldout, "English held-out"));
      std::istringstream in(eng);
      std::string line;
      size_t i = 0;
      while (std::getline(in, line)) {
        if (!HasLetters(line)) continue;
        ((i++ % 2 == 0) ? eng_test : eng_val) += line + "\n";
      }
    }
    RETURN_IF_ERROR(WriteFileAtomic(eng_heldout_txt, eng_test));
    RETURN_IF_ERROR(WriteFileAtomic((out / "data" / "guard.eng.txt").string(), eng_val));
    std::string replay;
    if (o.replay_tokens > 0) {
      ASSIGN_OR_RETURN(auto base, model::Model::Load(o.base_model));
      ASSIGN_OR_RETURN(replay, SampleReplay(*base, o.replay_tokens, std::max(o.ctx, 64) * 2,
                                            o.seed, pool));
      say(StrFormat("data: sampled %lld tokens of replay text from the base model",
                    static_cast<long long>(o.replay_tokens)));
    }
    RETURN_IF_ERROR(WriteFileAtomic((out / "data" / "replay.txt").string(), replay));
    std::string replay_val;
    if (o.replay_tokens > 0 && o.forgetting_budget_pct > 0) {
      ASSIGN_OR_RETURN(auto base, model::Model::Load(o.base_model));
      ASSIGN_OR_RETURN(replay_val, SampleReplay(*base, std::max<int64_t>(2000, o.replay_tokens / 10),
                                                std::max(o.ctx, 64) * 2, o.seed + 7777, pool));
    }
    RETURN_IF_ERROR(WriteFileAtomic((out / "data" / "replay.val.txt").string(), replay_val));
    say(StrFormat("data: %zu lines (%zu held out)", lines.size(),
                  static_cast<size_t>(std::count(held.begin(), held.end(), '\n'))));
    RETURN_IF_ERROR(mark("data"));
  }

  // ---- 2 tokenizer ----
  if (begin("tokenizer")) {
    TokenizerTrainOptions t;
    t.inputs = {train_txt};
    t.output = tok_model;
    t.type = o.tokenizer_type;
    t.vocab_size = o.vocab_size;
    t.seed = static_cast<uint32_t>(o.seed);
    ASSIGN_OR_RETURN(TokenizerTrainReport r, TrainTokenizer(t));
    say(StrFormat("tokenizer: %d pieces, %.2f characters per token on the corpus", r.n_pieces,
                  r.chars_per_token));
    RETURN_IF_ERROR(mark("tokenizer"));
  }

  // ---- 3 extend ----
  if (begin("extend")) {
    ExtendOptions e;
    e.max_new = o.max_new;
    ASSIGN_OR_RETURN(ExtendReport r, ExtendVocabulary(o.base_model, tok_model, extended, e, pool));
    state["first_new_id"] = r.first_new_id;
    state["n_added"] = r.n_added;
    say(StrFormat("extend: %lld new tokens (vocabulary %lld -> %lld), %lld skipped",
                  static_cast<long long>(r.n_added), static_cast<long long>(r.n_base_vocab),
                  static_cast<long long>(r.n_vocab), static_cast<long long>(r.n_skipped)));
    if (r.n_added == 0) {
      return InvalidArgumentError("adapt: the new tokenizer adds no pieces to the base vocabulary; "
                                  "raise --vocab-size or check the corpus language");
    }
    RETURN_IF_ERROR(mark("extend"));
  }
  if (!state.contains("first_new_id")) return DataLossError(state_path + " lacks first_new_id; rerun with --restart");
  const int64_t first_new = state["first_new_id"].get<int64_t>();
  result.n_new_tokens = state.value("n_added", int64_t{0});

  auto train_stage = [&](const char* name, const std::string& model_path, const std::string& dir,
                         bool lora, int64_t steps, float lr,
                         std::vector<std::string> data) -> Status {
    ASSIGN_OR_RETURN(auto m, model::Model::Load(model_path));
    train::TrainOptions t;
    t.model_path = model_path;
    t.data = std::move(data);
    t.data_opts.ctx = o.ctx;
    t.data_opts.batch = o.batch;
    t.data_opts.seed = o.seed;
    t.data_opts.val_fraction = 0.05;
    t.steps = steps;
    t.schedule.kind = train::LrScheduleKind::kWarmupCosine;
    t.schedule.base_lr = lr;
    t.schedule.min_lr = lr * 0.1f;
    t.schedule.warmup_steps = std::max<int64_t>(1, steps / 10);
    t.clip = 1.0f;
    t.graph.rows_from = first_new;
    t.graph.seed = o.seed;
    if (lora) {
      t.graph.lora.rank = o.lora_rank;
      t.graph.lora.alpha = o.lora_alpha;
      t.graph.lora.targets = o.lora_targets;
    }
    t.eval_every = std::max<int64_t>(1, steps / 4);
    t.val_batches = 8;
    t.save_every = std::max<int64_t>(1, steps / 10);
    t.out_dir = dir;
    t.log_json = dir + ".jsonl";
    t.resume = fs::exists(fs::path(dir) / "checkpoint.bin");
    t.export_peft = lora;
    if (t.resume) say(std::string(name) + ": resuming from " + dir + "/checkpoint.bin");
    train::TrainCallbacks tc;
    tc.on_step = cb.on_step;
    tc.on_message = cb.on_message;
    ASSIGN_OR_RETURN(train::TrainResult r, train::RunTraining(*m, t, pool, tc));
    say(StrFormat("%s: last loss %.4f, validation %.4f", name, r.final_loss, r.final_val_loss));
    return Status::Ok();
  };

  // ---- 4 embeddings ----
  if (begin("embeddings")) {
    RETURN_IF_ERROR(train_stage("stage 1 (new rows)", extended, stage1, false, o.stage1_steps,
                                o.stage1_lr, {train_txt}));
    RETURN_IF_ERROR(mark("embeddings"));
  }
  // ---- 5 lora ----
  if (begin("lora")) {
    std::vector<std::string> data = {train_txt};
    data.insert(data.end(), o.english.begin(), o.english.end());
    if (o.replay_tokens > 0) data.push_back((out / "data" / "replay.txt").string());
    RETURN_IF_ERROR(train_stage("stage 2 (LoRA + new rows)", stage1 + "/model.gguf", stage2, true,
                                o.stage2_steps, o.stage2_lr, data));
    RETURN_IF_ERROR(mark("lora"));
  }

  // ---- 6 guard ---- choose how much of the LoRA update to keep: the largest multiplier whose
  // bits per character on replay validation text (the base's own samples, never trained on) is
  // within the forgetting budget of the base's; then write the final merged model.
  result.model = (out / "model.gguf").string();
  if (begin("guard") || !fs::exists(result.model)) {
    ASSIGN_OR_RETURN(auto stage2_model, model::Model::Load(stage2 + "/model.gguf"));
    ASSIGN_OR_RETURN(model::LoraAdapter ad, model::LoadLoraAdapter(stage2 + "/adapter.gguf",
                                                                   stage2_model->hparams()));
    double mult = 1.0;
    std::string val = (out / "data" / "guard.eng.txt").string();
    std::error_code vec;
    if (fs::file_size(val, vec) == 0 || vec) val = (out / "data" / "replay.val.txt").string();
    if (o.forgetting_budget_pct > 0 && fs::file_size(val, vec) > 0) {
      say("guard: validation text " + val);
      ASSIGN_OR_RETURN(auto base, model::Model::Load(o.base_model));
      ASSIGN_OR_RETURN(EvalCorpus vc, LoadTextFiles({val}, {"eng_Latn"}, o.max_eval_lines));
      EvalOptions eo;
      auto bpc = [&](const model::Model& m, std::vector<model::AppliedLora> loras) -> Result<double> {
        EvalSubject s;
        s.label = "x";
        s.tok = &m.tokenizer();
        s.model = &m;
        s.loras = std::move(loras);
        ASSIGN_OR_RETURN(EvalReport r, EvaluateLanguages(eo, vc, {s}, pool));
        return r.languages.at(0).subjects.at(0).bits_per_char;
      };
      ASSIGN_OR_RETURN(const double ref, bpc(*base, {}));
      const double limit = ref * (1.0 + o.forgetting_budget_pct / 100.0);
      for (double m : {1.0, 0.75, 0.5, 0.35, 0.25, 0.15, 0.0}) {
        std::vector<model::AppliedLora> l;
        if (m != 1.0) l.push_back({&ad, static_cast<float>(m - 1.0)});
        ASSIGN_OR_RETURN(const double b, bpc(*stage2_model, l));
        say(StrFormat("guard: LoRA x %.2f: bits/char %.4f vs base %.4f (%+.2f %%)", m, b, ref,
                      100.0 * (b - ref) / ref));
        mult = m;
        if (b <= limit) break;
      }
    }
    if (mult == 1.0) {
      fs::copy_file(stage2 + "/model.gguf", result.model, fs::copy_options::overwrite_existing, ec);
      if (ec) return IoError("adapt: cannot write " + result.model + ": " + ec.message());
    } else {
      model::MergeOptions mo;
      mo.loras.push_back({&ad, static_cast<float>(mult - 1.0)});
      RETURN_IF_ERROR(model::WriteMergedModel(*stage2_model, mo, result.model, pool));
    }
    state["lora_multiplier"] = mult;
    RETURN_IF_ERROR(mark("guard"));
  }
  const double lora_mult = state.value("lora_multiplier", 1.0);

  // ---- 7 evaluate ---- (always recomputed: cheap, and the report is returned)
  result.adapter = (out / "adapter.gguf").string();
  result.peft_dir = (out / "adapter").string();
  begin("evaluate");  // always (re)computed: it is cheap and its report is returned
  {
    ASSIGN_OR_RETURN(auto base, model::Model::Load(o.base_model));
    ASSIGN_OR_RETURN(auto adapted, model::Model::Load(result.model));
    std::vector<std::string> files = {heldout_txt}, langs = {lang_code};
    std::error_code fec;
    if (fs::file_size(eng_heldout_txt, fec) > 0) {
      files.push_back(eng_heldout_txt);
      langs.push_back("eng_Latn");
    }
    ASSIGN_OR_RETURN(EvalCorpus corpus, LoadTextFiles(files, langs, o.max_eval_lines));
    EvalOptions eo;
    eo.n_ctx = 0;
    std::vector<EvalSubject> subjects(2);
    subjects[0].label = "base";
    subjects[0].description = o.base_model;
    subjects[0].tok = &base->tokenizer();
    subjects[0].model = base.get();
    subjects[1].label = "adapted";
    subjects[1].description = result.model;
    subjects[1].tok = &adapted->tokenizer();
    subjects[1].model = adapted.get();
    ASSIGN_OR_RETURN(result.report, EvaluateLanguages(eo, corpus, subjects, pool));
    result.eval_markdown = (out / "eval.md").string();
    result.eval_json = (out / "eval.json").string();
    result.eval_chart = (out / "eval.svg").string();
    RETURN_IF_ERROR(WriteFileAtomic(result.eval_markdown, RenderMarkdown(result.report)));
    RETURN_IF_ERROR(WriteFileAtomic(result.eval_json, ToJson(result.report)));
    RETURN_IF_ERROR(WriteFileAtomic(result.eval_chart, RenderCharts(result.report)));
    if (!done("evaluate")) RETURN_IF_ERROR(mark("evaluate"));
  }

  // ---- 8 card ----
  if (begin("card") || !fs::exists(result.adapter)) {
    {
      ASSIGN_OR_RETURN(auto s1, model::Model::Load(stage1 + "/model.gguf"));
      ASSIGN_OR_RETURN(model::LoraAdapter ad, model::LoadLoraAdapter(stage2 + "/adapter.gguf",
                                                                     s1->hparams()));
      ad.alpha *= static_cast<float>(lora_mult);  // the guard's multiplier, built in
      RETURN_IF_ERROR(model::SaveLoraGguf(ad, s1->hparams(), result.adapter));
      RETURN_IF_ERROR(model::SavePeftAdapter(ad, s1->hparams(), result.peft_dir));
    }
    std::ostringstream card;
    card << "# Model card: " << fs::path(o.base_model).stem().string() << " adapted to "
         << o.lang << "\n\n";
    const LanguageInfo* info = FindCorpusLanguage(o.lang);
    card << "- Language: " << (info ? info->name + " (" + info->code + ", script " + info->script + ")" : o.lang)
         << "; evaluation code " << lang_code << "\n";
    card << "- Base model: `" << o.base_model << "`\n";
    card << "- Made with `sangam adapt` on " << pool.size() << " CPU thread(s).\n\n";
    card << "## Data\n\n| file | role | bytes | licence / source |\n|---|---|---|---|\n";
    auto licence_of = [](const std::string& f) -> std::string {
      // A corpus built by `sangam corpus build` has manifest.json beside it.
      const fs::path manifest = fs::path(f).parent_path() / "manifest.json";
      std::ifstream in(manifest);
      if (!in) {
        const fs::path up = fs::path(f).parent_path().parent_path() / "manifest.json";
        in.open(up);
        if (!in) return "not recorded (no manifest.json beside the file)";
      }
      json m = json::parse(in, nullptr, false);
      if (m.is_discarded()) return "manifest.json unreadable";
      const std::string stem = fs::path(f).stem().string();
      std::set<std::string> lic;
      std::function<void(const json&)> walk = [&](const json& j) {
        if (j.is_object()) {
          bool match = false;
          for (auto it = j.begin(); it != j.end(); ++it) {
            if ((it.key() == "code" || it.key() == "file" || it.key() == "path") && it->is_string() &&
                (it->get<std::string>() == stem || fs::path(it->get<std::string>()).stem() == stem)) {
              match = true;
            }
          }
          if (match) {
            std::function<void(const json&)> collect = [&](const json& k) {
              if (k.is_object()) {
                for (auto it = k.begin(); it != k.end(); ++it) {
                  if (it.key() == "licence" || it.key() == "license") {
                    if (it->is_string()) lic.insert(it->get<std::string>());
                  } else {
                    collect(*it);
                  }
                }
              } else if (k.is_array()) {
                for (const auto& e : k) collect(e);
              }
            };
            collect(j);
          }
          for (auto it = j.begin(); it != j.end(); ++it) walk(*it);
        } else if (j.is_array()) {
          for (const auto& e : j) walk(e);
        }
      };
      walk(m);
      if (lic.empty()) return "see " + manifest.string();
      std::string s;
      for (const auto& l : lic) s += (s.empty() ? "" : "; ") + l;
      return s + " (manifest.json)";
    };
    auto rows = [&](const std::vector<std::string>& files, const char* role) {
      for (const auto& f : files) {
        std::error_code e2;
        const auto size = fs::file_size(f, e2);
        card << "| `" << f << "` | " << role << " | " << (e2 ? 0 : size) << " | " << licence_of(f) << " |\n";
      }
    };
    rows(o.corpus, "target-language training text");
    rows(o.heldout, "target-language held-out text");
    rows(o.english, "English text mixed into stage 2");
    rows(o.english_heldout, "English held-out text");
    if (o.replay_tokens > 0) {
      card << "| `data/replay.txt` | " << o.replay_tokens
           << " tokens sampled from the base model, mixed into stage 2 against forgetting | | generated |\n";
    }
    if (o.heldout.empty()) card << "\nHeld-out target text: every 20th line of the corpus (not trained on).\n";
    card << "\n## Hyperparameters\n\n";
    card << "- Tokenizer: SentencePiece " << o.tokenizer_type << ", " << o.vocab_size
         << " pieces; " << result.n_new_tokens << " new tokens added from id " << first_new << "\n";
    card << "- Training windows: ctx " << o.ctx << " x batch " << o.batch << ", AdamW, warm-up + cosine, clip 1.0, seed " << o.seed << "\n";
    card << "- Stage 1 (new embedding/output rows only): " << o.stage1_steps << " steps, lr " << o.stage1_lr << "\n";
    std::string targets;
    for (auto t : o.lora_targets) targets += std::string(targets.empty() ? "" : ",") + model::LoraTargetName(t);
    card << "- Stage 2 (LoRA r " << o.lora_rank << ", alpha " << o.lora_alpha << ", targets " << targets
         << ", plus the new rows): " << o.stage2_steps << " steps, lr " << o.stage2_lr << "\n";
    card << "- Forgetting guard: LoRA update kept at x" << lora_mult << " (largest multiplier whose bits/char on validation text of the base language -- every other line of the English held-out text when given, else the base model's own samples -- stays within " << o.forgetting_budget_pct << " % of the base's)\n";
    card << "- Outputs: `model.gguf` (merged: stage 2's rows + LoRA x" << lora_mult << "), `adapter.gguf` / `adapter/` (that LoRA, relative to `stage1/model.gguf`)\n";
    card << "\n## Before / after (held-out text)\n\n" << RenderMarkdown(result.report) << "\n";
    card << "Chart: `eval.svg`. Numbers: `eval.json`.\n";
    result.card = (out / "MODEL_CARD.md").string();
    RETURN_IF_ERROR(WriteFileAtomic(result.card, card.str()));
    if (!done("card")) RETURN_IF_ERROR(mark("card"));
  }
  result.card = (out / "MODEL_CARD.md").string();
  return result;
}

}  // namespace sangam::adapt
