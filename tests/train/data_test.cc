// Training data: window offsets, shuffling, resume, token cache, chat loss masks, error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "sangam/train_data.h"

namespace sangam::train {
namespace {

namespace fs = std::filesystem;
using tokenizer::TokenType;

// SentencePiece vocabulary of control tokens, "▁" and the 256 byte tokens: every ASCII byte is
// one token, so token counts are easy to derive by hand.
std::unique_ptr<tokenizer::Tokenizer> ByteTokenizer(bool extra_token = false) {
  tokenizer::Vocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "\xe2\x96\x81"};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kControl,
             TokenType::kControl, TokenType::kNormal};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    v.tokens.push_back(buf);
    v.types.push_back(TokenType::kByte);
  }
  if (extra_token) {
    v.tokens.push_back("xyz");
    v.types.push_back(TokenType::kNormal);
  }
  v.bos = 1;
  v.eos = 2;
  v.unk = 0;
  v.add_space_prefix = false;
  auto t = tokenizer::Tokenizer::FromVocab(v);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

std::vector<int32_t> Iota(int32_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("sangam_data_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& contents) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << contents;
    return p;
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

TEST(TextDataTest, NoShuffleOffsetFormulaAndWrapAround) {
  // N = 100, T = 8, B = 3: o = ((3s + b) * 8) mod 91. The stream is 0..99 so ids are offsets.
  DataOptions o{.ctx = 8, .batch = 3, .no_shuffle = true};
  auto d = TextDataset::Create(Iota(100), o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  // Hand-computed offsets per step (steps 0..4): 0 8 16 | 24 32 40 | 48 56 64 | 72 80 88 | 5 13 21.
  const int64_t expect[5][3] = {{0, 8, 16}, {24, 32, 40}, {48, 56, 64}, {72, 80, 88}, {5, 13, 21}};
  for (int s = 0; s < 5; ++s) {
    Batch b = d->NextTrain();
    ASSERT_EQ(b.inputs.size(), 24u);
    for (int r = 0; r < 3; ++r) {
      for (int j = 0; j < 8; ++j) {
        EXPECT_EQ(b.inputs[r * 8 + j], expect[s][r] + j) << "step " << s << " row " << r;
        EXPECT_EQ(b.targets[r * 8 + j], expect[s][r] + j + 1);
      }
    }
  }
  // Step 30: ((90 + b) * 8) mod 91 = 720 mod 91 = 83, 728 mod 91 = 0, 736 mod 91 = 8.
  for (int s = 5; s < 30; ++s) d->NextTrain();
  Batch b = d->NextTrain();
  EXPECT_EQ(b.inputs[0], 83);
  EXPECT_EQ(b.targets[7], 91);  // last target of the last possible window: stream[N-T-1+T] = 91
  EXPECT_EQ(b.inputs[8], 0);
  EXPECT_EQ(b.inputs[16], 8);
}

std::vector<int64_t> EpochOffsets(TextDataset& d, int64_t windows, int32_t batch) {
  std::vector<int64_t> out;
  for (int64_t s = 0; s < windows / batch; ++s) {
    Batch b = d.NextTrain();
    for (int32_t r = 0; r < batch; ++r) out.push_back(b.inputs[static_cast<size_t>(r) * b.ctx]);
  }
  return out;
}

TEST(TextDataTest, ShuffleDeterministicPerSeedAndCoversEveryWindow) {
  // N = 1000, T = 10: K = (1000 - 11) / 10 = 98 windows at 0, 10, ..., 970.
  DataOptions o{.ctx = 10, .batch = 2, .seed = 42};
  auto a = TextDataset::Create(Iota(1000), o);
  auto a2 = TextDataset::Create(Iota(1000), o);
  o.seed = 43;
  auto c = TextDataset::Create(Iota(1000), o);
  ASSERT_TRUE(a.ok() && a2.ok() && c.ok());
  EXPECT_EQ(a->num_train_windows(), 98);
  std::vector<int64_t> e1 = EpochOffsets(*a, 98, 2), e1b = EpochOffsets(*a2, 98, 2);
  std::vector<int64_t> ec = EpochOffsets(*c, 98, 2);
  EXPECT_EQ(e1, e1b);
  EXPECT_NE(e1, ec);
  std::vector<int64_t> all;
  for (int64_t k = 0; k < 98; ++k) all.push_back(k * 10);
  for (auto* e : {&e1, &ec}) {
    std::vector<int64_t> sorted = *e;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, all);
  }
  std::vector<int64_t> e2 = EpochOffsets(*a, 98, 2);  // second epoch: a new order, same set
  EXPECT_NE(e1, e2);
  std::sort(e2.begin(), e2.end());
  EXPECT_EQ(e2, all);
  EXPECT_EQ(a->order().epoch(), 1);
}

TEST(TextDataTest, StateRoundTripContinuesIdentically) {
  DataOptions o{.ctx = 10, .batch = 3, .seed = 7};
  for (int saved_at : {0, 20, 32, 60}) {  // 98 windows / 3 per step: epochs end mid-batch
    auto a = TextDataset::Create(Iota(1000), o);
    ASSERT_TRUE(a.ok());
    for (int s = 0; s < saved_at; ++s) a->NextTrain();
    const std::string state = a->SaveState();
    auto b = TextDataset::Create(Iota(1000), o);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(b->LoadState(state).ok());
    EXPECT_EQ(b->step(), saved_at);
    for (int s = 0; s < 50; ++s) {
      Batch x = a->NextTrain(), y = b->NextTrain();
      ASSERT_EQ(x.inputs, y.inputs) << "saved at " << saved_at << ", step +" << s;
      ASSERT_EQ(x.targets, y.targets);
    }
  }
  auto a = TextDataset::Create(Iota(1000), o);
  ASSERT_TRUE(a.ok());
  std::string st = a->SaveState();
  EXPECT_FALSE(a->LoadState(st.substr(0, st.size() - 3)).ok());
  EXPECT_FALSE(a->LoadState("garbage").ok());
}

TEST(TextDataTest, ValidationSplitDisjointAndDeterministic) {
  DataOptions o{.ctx = 10, .batch = 2, .seed = 5, .val_fraction = 0.1};
  auto a = TextDataset::Create(Iota(1000), o);
  auto a2 = TextDataset::Create(Iota(1000), o);
  ASSERT_TRUE(a.ok() && a2.ok());
  EXPECT_EQ(a->num_val_windows(), 9);  // floor(98 * 0.1)
  EXPECT_EQ(a->num_train_windows(), 89);
  EXPECT_EQ(a->val_offsets(), a2->val_offsets());
  std::set<int64_t> train;
  for (int s = 0; s < 45; ++s) {  // 90 draws covers the 89-window epoch plus one
    Batch b = a->NextTrain();
    train.insert(b.inputs[0]);
    train.insert(b.inputs[10]);
  }
  EXPECT_EQ(train.size(), 89u);
  for (int64_t v : a->val_offsets()) EXPECT_EQ(train.count(v), 0u) << v;
  EXPECT_EQ(a->num_val_batches(), 5);
  Batch last = a->ValBatch(4);  // 9 windows, batch 2: the last row is padding
  EXPECT_EQ(last.inputs[0], a->val_offsets()[8]);
  for (int j = 0; j < 10; ++j) EXPECT_EQ(last.targets[10 + j], kIgnoreIndex);

  // no_shuffle: the last windows are held out and training offsets stay below them.
  DataOptions n{.ctx = 10, .batch = 2, .no_shuffle = true, .val_fraction = 0.1};
  auto d = TextDataset::Create(Iota(1000), n);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->num_val_windows(), 9);
  EXPECT_EQ(d->val_offsets().front(), 890);
  for (int s = 0; s < 200; ++s) {
    Batch b = d->NextTrain();
    EXPECT_LE(b.targets[9], 890);
    EXPECT_LE(b.targets[19], 890);
  }
}

TEST(TextDataTest, TokenStreamCacheReuseAndCorruption) {
  TempDir dir;
  auto tok = ByteTokenizer();
  const std::string f1 = dir.Write("a.txt", "hello world\n"), f2 = dir.Write("b.txt", "bye");
  const std::string cache = dir.Path("tokens.cache");
  // Reference: BOS + per-file encodings without BOS.
  std::vector<int32_t> expect = {tok->bos()};
  for (const char* t : {"hello world\n", "bye"}) {
    auto ids = tok->Encode(t, {.add_bos = false});
    ASSERT_TRUE(ids.ok());
    expect.insert(expect.end(), ids->begin(), ids->end());
  }
  EXPECT_EQ(expect.size(), 1u + 12u + 3u);  // one token per byte in this vocabulary

  bool hit = true;
  auto s1 = BuildTokenStream({f1, f2}, *tok, cache, &hit);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_FALSE(hit);
  EXPECT_EQ(*s1, expect);
  ASSERT_TRUE(fs::exists(cache));
  auto s2 = BuildTokenStream({f1, f2}, *tok, cache, &hit);
  ASSERT_TRUE(s2.ok());
  EXPECT_TRUE(hit);
  EXPECT_EQ(*s2, expect);

  // Truncated cache: detected and rebuilt, same ids, then reused again.
  fs::resize_file(cache, fs::file_size(cache) - 5);
  auto s3 = BuildTokenStream({f1, f2}, *tok, cache, &hit);
  ASSERT_TRUE(s3.ok());
  EXPECT_FALSE(hit);
  EXPECT_EQ(*s3, expect);
  ASSERT_TRUE(BuildTokenStream({f1, f2}, *tok, cache, &hit).ok());
  EXPECT_TRUE(hit);

  // A flipped byte in the ids: rebuilt.
  {
    std::fstream fsx(cache, std::ios::in | std::ios::out | std::ios::binary);
    fsx.seekp(-2, std::ios::end);
    fsx.put('\x7f');
  }
  auto s4 = BuildTokenStream({f1, f2}, *tok, cache, &hit);
  ASSERT_TRUE(s4.ok());
  EXPECT_FALSE(hit);
  EXPECT_EQ(*s4, expect);

  // Changed contents: the key no longer matches.
  dir.Write("b.txt", "bye!");
  auto s5 = BuildTokenStream({f1, f2}, *tok, cache, &hit);
  ASSERT_TRUE(s5.ok());
  EXPECT_FALSE(hit);
  EXPECT_EQ(s5->size(), expect.size() + 1);
  ASSERT_TRUE(BuildTokenStream({f1, f2}, *tok, cache, &hit).ok());
  EXPECT_TRUE(hit);

  // Another tokenizer (one more vocabulary entry): a different identity, so rebuilt.
  auto other = ByteTokenizer(/*extra_token=*/true);
  EXPECT_NE(TokenizerFingerprint(*tok), TokenizerFingerprint(*other));
  ASSERT_TRUE(BuildTokenStream({f1, f2}, *other, cache, &hit).ok());
  EXPECT_FALSE(hit);
}

TEST(TextDataTest, Errors) {
  TempDir dir;
  auto tok = ByteTokenizer();
  auto e = BuildTokenStream({}, *tok, "");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("empty corpus"), std::string::npos);
  auto m = BuildTokenStream({dir.Path("missing.txt")}, *tok, "");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("missing.txt"), std::string::npos);
  const std::string bad = dir.Write("bad.txt", std::string("ab\xff" "cd", 5));
  auto u = BuildTokenStream({bad}, *tok, "");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("bad.txt"), std::string::npos) << u.status().message();
  EXPECT_NE(u.status().message().find("byte offset 2"), std::string::npos) << u.status().message();
  EXPECT_EQ(FindInvalidUtf8("\xc3\xa9 ok \xe2\x96\x81"), -1);
  EXPECT_EQ(FindInvalidUtf8("ab\xed\xa0\x80"), 2);  // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xc0\x80"), 0);        // overlong

  auto empty = TextDataset::Create({1}, {.ctx = 4});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty corpus"), std::string::npos);
  auto small = TextDataset::Create(Iota(5), {.ctx = 4});
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("corpus has 5 tokens, needs more than ctx+1 = 5"),
            std::string::npos)
      << small.status().message();
  EXPECT_TRUE(TextDataset::Create(Iota(6), {.ctx = 4, .no_shuffle = true}).ok());
  // Shuffled windows sit at k*T for k < (N-T-1)/T: none when N < 2T+1.
  auto few = TextDataset::Create(Iota(8), {.ctx = 4});
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.status().message().find("needs at least 2*ctx+1 = 9"), std::string::npos);
  EXPECT_TRUE(TextDataset::Create(Iota(9), {.ctx = 4}).ok());
}

TEST(ChatDataTest, MaskCoversExactlyAssistantReplies) {
  auto tok = ByteTokenizer();
  const int32_t im_end = tok->Find("<|im_end|>");
  ASSERT_GE(im_end, 0);
  ASSERT_TRUE(tok->IsEog(im_end));
  std::vector<sample::ChatMessage> msgs = {{"system", "Be brief."},
                                           {"user", "Hi"},
                                           {"assistant", "Hello there"},
                                           {"user", "Bye?"},
                                           {"assistant", "Goodbye now"}};
  auto ex = TokenizeChat(msgs, sample::ChatTemplate::kChatml, *tok);
  ASSERT_TRUE(ex.ok()) << ex.status().ToString();
  ASSERT_EQ(ex->tokens.size(), ex->mask.size());
  std::vector<int32_t> unmasked;
  int n_end = 0;
  for (size_t i = 0; i < ex->tokens.size(); ++i) {
    if (!ex->mask[i]) continue;
    unmasked.push_back(ex->tokens[i]);
    n_end += ex->tokens[i] == im_end;
  }
  EXPECT_EQ(tok->Decode(unmasked), "Hello thereGoodbye now");
  EXPECT_EQ(n_end, 2);
  EXPECT_EQ(unmasked.size(), 11u + 1u + 11u + 1u);  // byte tokens plus each closing <|im_end|>

  // Through a dataset: targets are the next token where it is unmasked, else -1; padding -1.
  DataOptions o{.ctx = 128, .batch = 2, .no_shuffle = true};
  auto d = ChatDataset::FromExamples({*ex}, tok->eos(), o);
  ASSERT_TRUE(d.ok());
  Batch b = d->NextTrain();
  std::vector<int32_t> targets;
  for (int j = 0; j < 128; ++j) {  // row 0 (row 1 repeats the only example: a new epoch)
    if (b.targets[j] != kIgnoreIndex) targets.push_back(b.targets[j]);
  }
  EXPECT_EQ(targets, unmasked);
  EXPECT_EQ(b.inputs[0], tok->bos());
  EXPECT_EQ(b.inputs[127], tok->eos());  // padding
  EXPECT_EQ(b.targets[127], kIgnoreIndex);
  EXPECT_EQ(d->truncated(), 0);

  // Truncation: ctx 20 cuts the conversation; counted.
  DataOptions small{.ctx = 20, .batch = 1};
  auto t = ChatDataset::FromExamples({*ex, *ex}, tok->eos(), small);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->truncated(), 2);
  EXPECT_EQ(t->example(0).tokens.size(), 21u);
}

TEST(ChatDataTest, LoadJsonlAndErrors) {
  TempDir dir;
  auto tok = ByteTokenizer();
  const std::string good = dir.Write(
      "good.jsonl",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"xy\"}]}\n"
      "\n"
      "{\"messages\":[{\"role\":\"user\",\"content\":\"b\"},{\"role\":\"assistant\",\"content\":\"zw\"}]}\n"
      "{\"messages\":[{\"role\":\"user\",\"content\":\"c\"},{\"role\":\"assistant\",\"content\":\"uv\"}]}\n");
  DataOptions o{.ctx = 64, .batch = 2, .seed = 3, .val_fraction = 0.34};
  auto d = ChatDataset::Load({good}, sample::ChatTemplate::kChatml, *tok, o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->num_examples(), 3);
  EXPECT_EQ(d->num_val_examples(), 1);
  Batch b = d->NextTrain();  // the two training examples
  std::set<std::string> replies;
  for (int r = 0; r < 2; ++r) {
    std::vector<int32_t> t;
    for (int j = 0; j < 64; ++j) {
      if (b.targets[r * 64 + j] != kIgnoreIndex) t.push_back(b.targets[r * 64 + j]);
    }
    replies.insert(tok->Decode(t));
  }
  Batch v = d->ValBatch(0);
  std::vector<int32_t> vt;
  for (int j = 0; j < 64; ++j) {
    if (v.targets[j] != kIgnoreIndex) vt.push_back(v.targets[j]);
  }
  replies.insert(tok->Decode(vt));
  EXPECT_EQ(replies, (std::set<std::string>{"xy", "zw", "uv"}));

  struct Case {
    std::string line, what;
  };
  const Case cases[] = {
      {"{\"messages\": [", "invalid JSON"},
      {"{\"msgs\": []}", "missing \"messages\""},
      {"{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "unknown role 'robot'"},
      {"{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "non-string \"content\""},
  };
  for (const Case& c : cases) {
    const std::string f = dir.Write("bad.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}\n" + c.line + "\n");
    auto r = ChatDataset::Load({f}, sample::ChatTemplate::kChatml, *tok, o);
    ASSERT_FALSE(r.ok()) << c.line;
    EXPECT_NE(r.status().message().find("bad.jsonl:2"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.what), std::string::npos) << r.status().message();
  }
  auto empty = ChatDataset::Load({dir.Write("empty.jsonl", "\n")}, sample::ChatTemplate::kChatml, *tok, o);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty corpus"), std::string::npos);
}

}  // namespace
}  // namespace sangam::train
