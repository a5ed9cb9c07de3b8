// RunTraining: the optimizer loop with checkpoints, resume, validation, logging and exports.
#include "sangam/trainer.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sangam/chat_template.h"
#include "sangam/file.h"
#include "sangam/lora.h"
#include "train/loss_chart.h"

namespace sangam::train {
namespace {

using nlohmann::json;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Text or chat data behind one interface.
struct Data {
  std::optional<TextDataset> text;
  std::optional<ChatDataset> chat;
  Batch NextTrain() { return text ? text->NextTrain() : chat->NextTrain(); }
  int64_t num_val_batches() const {
    return text ? text->num_val_batches() : chat->num_val_batches();
  }
  Batch ValBatch(int64_t i) const { return text ? text->ValBatch(i) : chat->ValBatch(i); }
  std::string SaveState() const { return text ? text->SaveState() : chat->SaveState(); }
  Status LoadState(std::string_view s) { return text ? text->LoadState(s) : chat->LoadState(s); }
};

Result<Data> LoadData(const model::Model& base, const TrainOptions& o) {
  Data d;
  if (o.data.empty()) return InvalidArgumentError("train: no training data (--data FILE...)");
  for (const std::string& f : o.data) {
    if (!std::filesystem::exists(f)) return NotFoundError("train: data file '" + f + "' not found");
  }
  if (o.chat) {
    auto jinja = base.file().GetStringOr("tokenizer.chat_template", "");
    if (!jinja.ok()) return jinja.status();
    ASSIGN_OR_RETURN(sample::ChatTemplate tmpl, sample::ResolveChatTemplate(o.chat_template, *jinja));
    ASSIGN_OR_RETURN(ChatDataset ds, ChatDataset::Load(o.data, tmpl, base.tokenizer(), o.data_opts));
    d.chat.emplace(std::move(ds));
  } else {
    const std::string cache = (std::filesystem::path(o.out_dir) / "tokens.cache").string();
    ASSIGN_OR_RETURN(std::vector<int32_t> stream,
                     BuildTokenStream(o.data, base.tokenizer(), cache));
    ASSIGN_OR_RETURN(TextDataset ds, TextDataset::Create(std::move(stream), o.data_opts));
    d.text.emplace(std::move(ds));
  }
  return d;
}

// The options that shape the loss trajectory (a resumed run must match them).
json Fingerprint(const model::Model& base, const TrainOptions& o) {
  json j;
  j["model"] = std::filesystem::path(o.model_path).filename().string();
  j["model_params"] = base.n_params();
  j["model_vocab"] = base.hparams().n_vocab;
  json files = json::array();
  for (const std::string& f : o.data) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    files.push_back({std::filesystem::path(f).filename().string(), ec ? -1 : static_cast<int64_t>(size)});
  }
  j["data"] = files;
  j["chat"] = o.chat;
  j["ctx"] = o.data_opts.ctx;
  j["batch"] = o.data_opts.batch;
  j["no_shuffle"] = o.data_opts.no_shuffle;
  j["seed"] = o.data_opts.seed;
  j["val_fraction"] = o.data_opts.val_fraction;
  j["grad_accum"] = o.grad_accum;
  j["optimizer"] = o.optimizer;
  j["adamw"] = {o.adamw.beta1, o.adamw.beta2, o.adamw.eps, o.adamw.weight_decay};
  j["sgd"] = {o.sgd.momentum, o.sgd.dampening, o.sgd.weight_decay, o.sgd.nesterov};
  j["lr"] = {static_cast<int>(o.schedule.kind), o.schedule.base_lr, o.schedule.min_lr,
             o.schedule.warmup_steps};
  j["clip"] = o.clip;
  j["no_decay_norms_embeddings"] = o.no_decay_norms_embeddings;
  const GraphConfig& g = o.graph;
  std::string targets;
  for (model::LoraTarget t : g.lora.targets) targets += std::string(model::LoraTargetName(t)) + ",";
  j["mode"] = {g.full, g.lora.rank, g.lora.alpha, g.lora.rslora, g.lora.dropout, targets,
               g.rows_from, g.seed};
  return j;
}

// One optimizer over a group of parameters.
struct OptGroup {
  std::vector<int> idx;
  std::unique_ptr<AdamW> adam;
  std::unique_ptr<Sgd> sgd;
  Status Step(std::vector<Param>& params, float lr) {
    std::vector<ParamRef> refs;
    for (int i : idx) {
      Param& p = params[static_cast<size_t>(i)];
      refs.push_back({p.data.data(), p.grad.data(), static_cast<int64_t>(p.data.size())});
    }
    return adam ? adam->Step(refs, lr) : sgd->Step(refs, lr);
  }
  void SaveParts(std::string* header, std::vector<std::string_view>* parts) const {
    if (adam) {
      adam->SerializeStateParts(header, parts);
    } else {
      sgd->SerializeStateParts(header, parts);
    }
  }
  Status Load(std::string_view s) { return adam ? adam->RestoreState(s) : sgd->RestoreState(s); }
};

std::vector<std::string_view> ParamsParts(const std::vector<Param>& params) {
  std::vector<std::string_view> out;
  for (const Param& p : params) {
    out.emplace_back(reinterpret_cast<const char*>(p.data.data()), p.data.size() * sizeof(float));
  }
  return out;
}

Status LoadParamsBytes(std::vector<Param>& params, std::string_view bytes) {
  size_t need = 0;
  for (const Param& p : params) need += p.data.size() * sizeof(float);
  if (bytes.size() != need) {
    return DataLossError(StrFormat("train: checkpoint holds %zu bytes of parameters, the run "
                                   "needs %zu", bytes.size(), need));
  }
  size_t off = 0;
  for (Param& p : params) {
    std::memcpy(p.data.data(), bytes.data() + off, p.data.size() * sizeof(float));
    off += p.data.size() * sizeof(float);
  }
  return Status::Ok();
}

std::string StepJson(const StepInfo& s) {
  json j;
  j["step"] = s.step;
  j["loss"] = s.loss;
  j["lr"] = s.lr;
  j["tokens_per_s"] = std::round(s.tokens_per_s * 10.0) / 10.0;
  j["grad_norm"] = s.grad_norm;
  if (s.val_loss >= 0.0) j["val_loss"] = s.val_loss;
  return j.dump();
}

}  // namespace

Result<TrainResult> RunTraining(const model::Model& base, const TrainOptions& opts_in,
                                ThreadPool& pool, const TrainCallbacks& cb) {
  TrainOptions o = opts_in;
  auto say = [&](const std::string& m) {
    if (cb.on_message) cb.on_message(m);
  };
  if (o.steps <= 0) return InvalidArgumentError("train: --steps must be > 0");
  if (o.grad_accum <= 0) return InvalidArgumentError("train: --grad-accum must be > 0");
  if (o.optimizer != "adamw" && o.optimizer != "sgd") {
    return InvalidArgumentError("train: --optimizer must be adamw or sgd, got '" + o.optimizer + "'");
  }
  if (!(o.schedule.base_lr > 0.0f) || !std::isfinite(o.schedule.base_lr)) {
    return InvalidArgumentError("train: --lr must be a positive number");
  }
  if (o.out_dir.empty()) return InvalidArgumentError("train: an output directory is required (-o DIR)");
  if (o.schedule.total_steps <= 0) o.schedule.total_steps = o.steps;
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return IoError("train: cannot create output directory '" + o.out_dir + "': " + ec.message());
  const std::string ckpt_path = (std::filesystem::path(o.out_dir) / "checkpoint.bin").string();

  ASSIGN_OR_RETURN(Data data, LoadData(base, o));
  ASSIGN_OR_RETURN(std::unique_ptr<TrainGraph> graph, TrainGraph::Create(base, o.graph));
  std::vector<Param>& params = graph->params();

  // Optimizer groups: one, or decay / no-decay.
  std::vector<OptGroup> groups(o.no_decay_norms_embeddings ? 2 : 1);
  for (size_t i = 0; i < params.size(); ++i) {
    const bool no_decay = o.no_decay_norms_embeddings && params[i].is_norm_or_embedding;
    groups[no_decay ? 1 : 0].idx.push_back(static_cast<int>(i));
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    OptGroup& g = groups[gi];
    std::vector<int64_t> sizes;
    for (int i : g.idx) sizes.push_back(static_cast<int64_t>(params[static_cast<size_t>(i)].data.size()));
    if (o.optimizer == "adamw") {
      AdamWParams p = o.adamw;
      if (gi == 1) p.weight_decay = 0.0f;
      g.adam = std::make_unique<AdamW>(p, sizes);
    } else {
      SgdParams p = o.sgd;
      if (gi == 1) p.weight_decay = 0.0f;
      g.sgd = std::make_unique<Sgd>(p, sizes);
    }
  }

  const json fingerprint = Fingerprint(base, o);
  TrainResult result;
  json history = json::array();  // [step, loss, val_loss or null]
  int64_t start = 0;
  if (o.resume) {
    if (!std::filesystem::exists(ckpt_path)) {
      return NotFoundError("train: --resume given but " + ckpt_path +
                           " does not exist; run without --resume to start");
    }
    ASSIGN_OR_RETURN(CheckpointFile ck, ReadCheckpointFile(ckpt_path));
    std::map<std::string, std::string_view> sec(ck.sections.begin(), ck.sections.end());
    for (const char* need : {"meta", "params", "data", "history"}) {
      if (!sec.count(need)) return DataLossError(ckpt_path + ": checkpoint lacks section '" + need + "'");
    }
    json meta = json::parse(sec["meta"], nullptr, false);
    if (meta.is_discarded() || !meta.contains("fingerprint") || !meta.contains("step") ||
        !meta["step"].is_number_integer()) {
      return DataLossError(ckpt_path + ": checkpoint metadata is malformed");
    }
    std::string diff;
    const json& old = meta["fingerprint"];
    for (auto it = fingerprint.begin(); it != fingerprint.end(); ++it) {
      if (!old.contains(it.key()) || old[it.key()] != it.value()) {
        diff += "\n  " + it.key() + ": checkpoint " +
                (old.contains(it.key()) ? old[it.key()].dump() : std::string("(absent)")) +
                ", now " + it.value().dump();
      }
    }
    if (!diff.empty()) {
      return InvalidArgumentError("train: cannot resume: these options differ from the "
                                  "checkpoint's:" + diff);
    }
    start = meta["step"].get<int64_t>();
    graph->set_micro_step(meta.value("micro", int64_t{0}));
    RETURN_IF_ERROR(LoadParamsBytes(params, sec["params"]));
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const std::string key = "opt" + std::to_string(gi);
      if (!sec.count(key)) return DataLossError(ckpt_path + ": checkpoint lacks section '" + key + "'");
      RETURN_IF_ERROR(groups[gi].Load(sec[key]));
    }
    RETURN_IF_ERROR(data.LoadState(sec["data"]));
    history = json::parse(sec["history"], nullptr, false);
    if (!history.is_array()) return DataLossError(ckpt_path + ": checkpoint history is malformed");
    if (start >= o.steps) {
      say(StrFormat("checkpoint is at step %lld, which already reaches --steps %lld",
                    static_cast<long long>(start), static_cast<long long>(o.steps)));
    } else {
      say(StrFormat("resumed from %s at step %lld", ckpt_path.c_str(), static_cast<long long>(start)));
    }
  }
  result.start_step = start;

  // JSON log: keep the lines of steps before `start` (a killed run may have logged more).
  std::ofstream log;
  if (!o.log_json.empty()) {
    std::string kept;
    if (o.resume) {
      std::ifstream in(o.log_json);
      std::string line;
      while (std::getline(in, line)) {
        json j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.contains("step") && j["step"].is_number_integer() &&
            j["step"].get<int64_t>() < start) {
          kept += line + "\n";
        }
      }
    }
    RETURN_IF_ERROR(WriteFileAtomic(o.log_json, kept));
    log.open(o.log_json, std::ios::app);
    if (!log) return IoError("train: cannot open log file '" + o.log_json + "'");
  }

  auto save_checkpoint = [&](int64_t steps_done) -> Status {
    json meta;
    meta["version"] = 1;
    meta["step"] = steps_done;
    meta["micro"] = graph->micro_step();
    meta["fingerprint"] = fingerprint;
    const std::string meta_s = meta.dump(), data_s = data.SaveState(), hist_s = history.dump();
    std::vector<std::string> headers(groups.size());
    std::vector<CheckpointSection> sections;
    sections.push_back({"meta", {meta_s}});
    sections.push_back({"params", ParamsParts(params)});
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      CheckpointSection s{"opt" + std::to_string(gi), {}};
      groups[gi].SaveParts(&headers[gi], &s.parts);
      sections.push_back(std::move(s));
    }
    sections.push_back({"data", {data_s}});
    sections.push_back({"history", {hist_s}});
    return WriteCheckpointFile(ckpt_path, sections);
  };

  auto validate = [&]() -> Result<double> {
    int64_t n = data.num_val_batches();
    if (n == 0) return -1.0;
    if (o.val_batches > 0) n = std::min(n, o.val_batches);
    double sum = 0.0;
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) {
      double s;
      int64_t c;
      RETURN_IF_ERROR(graph->Loss(pool, data.ValBatch(i), &s, &c));
      sum += s;
      count += c;
    }
    return count > 0 ? sum / static_cast<double>(count) : -1.0;
  };

  const double t_start = Now();
  std::vector<float*> grads;
  std::vector<int64_t> sizes;
  for (Param& p : params) {
    grads.push_back(p.grad.data());
    sizes.push_back(static_cast<int64_t>(p.grad.size()));
  }
  bool saved_last = o.resume;
  for (int64_t step = start; step < o.steps; ++step) {
    const double t0 = Now();
    const float lr = o.schedule.LrAt(step);
    graph->ZeroGrad();
    double loss = 0.0;
    int64_t tokens = 0;
    for (int64_t m = 0; m < o.grad_accum; ++m) {
      Batch b = data.NextTrain();
      tokens += static_cast<int64_t>(b.inputs.size());
      ASSIGN_OR_RETURN(float l, graph->ForwardBackward(pool, b, 1.0f / static_cast<float>(o.grad_accum)));
      loss += static_cast<double>(l);
    }
    loss /= static_cast<double>(o.grad_accum);
    if (!std::isfinite(loss)) {
      return InternalError(StrFormat("train: loss became %f at step %lld; lower --lr or enable "
                                     "--clip", loss, static_cast<long long>(step)));
    }
    const float norm = ClipGradNorm(grads, sizes, o.clip);
    for (OptGroup& g : groups) RETURN_IF_ERROR(g.Step(params, lr));
    StepInfo info;
    info.step = step;
    info.total_steps = o.steps;
    info.loss = static_cast<float>(loss);
    info.lr = lr;
    info.grad_norm = norm;
    const double dt = Now() - t0;
    info.tokens_per_s = dt > 0 ? static_cast<double>(tokens) / dt : 0.0;
    const bool last = step + 1 == o.steps;
    if ((o.eval_every > 0 && (step + 1) % o.eval_every == 0) || last) {
      ASSIGN_OR_RETURN(info.val_loss, validate());
    }
    info.elapsed_s = Now() - t_start;
    history.push_back({step, info.loss, info.val_loss >= 0 ? json(info.val_loss) : json(nullptr)});
    if (log.is_open()) {
      log << StepJson(info) << "\n";
      log.flush();
    }
    if (cb.on_step) cb.on_step(info);
    result.final_loss = info.loss;
    if (info.val_loss >= 0) result.final_val_loss = info.val_loss;
    saved_last = false;
    if (last || (o.save_every > 0 && (step + 1) % o.save_every == 0)) {
      RETURN_IF_ERROR(save_checkpoint(step + 1));
      saved_last = true;
    }
  }
  result.steps_done = std::max<int64_t>(0, o.steps - start);
  if (!saved_last) RETURN_IF_ERROR(save_checkpoint(std::max(start, o.steps)));
  result.outputs.push_back(ckpt_path);

  // Exports.
  const std::filesystem::path dir(o.out_dir);
  model::LoraAdapter adapter = graph->ExportLora();
  if (!adapter.pairs.empty()) {
    const std::string gguf_path = (dir / "adapter.gguf").string();
    RETURN_IF_ERROR(model::SaveLoraGguf(adapter, base.hparams(), gguf_path));
    result.outputs.push_back(gguf_path);
    if (o.export_peft) {
      const std::string peft = (dir / "adapter").string();
      RETURN_IF_ERROR(model::SavePeftAdapter(adapter, base.hparams(), peft));
      result.outputs.push_back(peft);
    }
  }
  if (o.export_merged) {
    TrainGraph::Overrides ov = graph->ExportOverrides();
    model::MergeOptions mo;
    if (!adapter.pairs.empty()) mo.loras.push_back({&adapter, 1.0f});
    mo.overrides = ov.list;
    mo.set_type = o.export_set_type;
    mo.type = o.export_type;
    const std::string merged = (dir / "model.gguf").string();
    RETURN_IF_ERROR(model::WriteMergedModel(base, mo, merged, pool));
    result.outputs.push_back(merged);
  }
  if (o.chart) {
    const std::string svg = (dir / "loss.svg").string();
    RETURN_IF_ERROR(WriteLossChart(
        history, std::filesystem::path(o.model_path).filename().string(), svg));
    result.outputs.push_back(svg);
  }
  for (const std::string& f : result.outputs) say("wrote " + f);
  return result;
}

}  // namespace sangam::train
