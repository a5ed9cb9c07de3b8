// Training data: raw-text token streams with a cache, window sampling and resumable shuffling.
#include <cstring>
#include <filesystem>
#include <utility>

#include "sangam/file.h"
#include "sangam/train_data.h"

namespace sangam::train {
namespace {

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetU64(std::string_view& in, uint64_t* v) {
  if (in.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  in.remove_prefix(8);
  *v = r;
  return true;
}

constexpr char kCacheMagic[8] = {'S', 'G', 'T', 'O', 'K', 'C', '0', '1'};
constexpr char kOrderMagic[8] = {'S', 'G', 'O', 'R', 'D', 'R', '0', '1'};

}  // namespace

Batch AllocateBatch(const DataOptions& opts) {
  Batch b{opts.batch, opts.ctx, {}, {}};
  const size_t n = static_cast<size_t>(opts.batch) * static_cast<size_t>(opts.ctx);
  b.inputs.resize(n);
  b.targets.resize(n);
  return b;
}

uint64_t Fnv1a(std::string_view bytes, uint64_t h) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t TokenizerFingerprint(const tokenizer::Tokenizer& tok) {
  std::string head = tok.model_name() + "|" + tok.pre_name() + "|" +
                     StrFormat("%d|%d|%d|%d|%d|%d", tok.n_vocab(), tok.bos(), tok.eos(), tok.eot(),
                               tok.add_space_prefix() ? 1 : 0, tok.add_bos() ? 1 : 0);
  uint64_t h = Fnv1a(head);
  for (int32_t i = 0; i < tok.n_vocab(); ++i) {
    const std::string& t = tok.TokenText(i);
    std::string len;
    PutU64(len, t.size());
    h = Fnv1a(len, h);
    h = Fnv1a(t, h);
    h = Fnv1a(std::string_view(StrFormat("%d", static_cast<int>(tok.GetTokenType(i)))), h);
  }
  return h;
}

int64_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    int len = 0;
    uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
    else return static_cast<int64_t>(i);
    if (i + static_cast<size_t>(len) > n) return static_cast<int64_t>(i);
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = p[i + static_cast<size_t>(k)];
      if ((cc & 0xc0) != 0x80) return static_cast<int64_t>(i);
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong 3/4-byte forms, surrogates, > U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return static_cast<int64_t>(i);
    }
    i += static_cast<size_t>(len);
  }
  return -1;
}

Result<std::vector<int32_t>> BuildTokenStream(const std::vector<std::string>& files,
                                              const tokenizer::Tokenizer& tok,
                                              const std::string& cache_path, bool* cache_hit) {
  if (cache_hit != nullptr) *cache_hit = false;
  if (files.empty()) return InvalidArgumentError("train data: no input files (empty corpus)");
  std::vector<std::string> texts;
  texts.reserve(files.size());
  uint64_t key = Fnv1a("sangam-token-cache");
  {
    std::string fp;
    PutU64(fp, TokenizerFingerprint(tok));
    key = Fnv1a(fp, key);
  }
  for (const std::string& f : files) {
    auto text = ReadFileToString(f);
    if (!text.ok()) return text.status().WithPrefix("train data: cannot read '" + f + "'");
    const int64_t bad = FindInvalidUtf8(*text);
    if (bad >= 0) {
      return InvalidArgumentError(StrFormat("train data: '%s': invalid UTF-8 at byte offset %lld",
                                            f.c_str(), static_cast<long long>(bad)));
    }
    std::string len;
    PutU64(len, text->size());
    key = Fnv1a(len, key);
    key = Fnv1a(*text, key);
    texts.push_back(std::move(*text));
  }

  if (!cache_path.empty() && std::filesystem::exists(cache_path)) {
    auto bytes = ReadFileToString(cache_path);
    if (bytes.ok()) {
      std::string_view in = *bytes;
      uint64_t k = 0, n = 0, sum = 0;
      if (in.size() >= 8 && std::memcmp(in.data(), kCacheMagic, 8) == 0) {
        in.remove_prefix(8);
        if (GetU64(in, &k) && GetU64(in, &n) && GetU64(in, &sum) && k == key &&
            n <= in.size() / 4 && in.size() == n * 4 && Fnv1a(in) == sum) {
          std::vector<int32_t> ids(n);
          if (n > 0) std::memcpy(ids.data(), in.data(), n * 4);
          bool valid = true;
          for (int32_t id : ids) valid = valid && id >= 0 && id < tok.n_vocab();
          if (valid) {
            if (cache_hit != nullptr) *cache_hit = true;
            return ids;
          }
        }
      }
    }
  }

  std::vector<int32_t> stream;
  if (tok.bos() >= 0) stream.push_back(tok.bos());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ids = tok.Encode(texts[i], {.add_bos = false, .parse_special = false});
    if (!ids.ok()) return ids.status().WithPrefix("train data: tokenizing '" + files[i] + "'");
    stream.insert(stream.end(), ids->begin(), ids->end());
  }
  if (!cache_path.empty()) {
    std::string out(kCacheMagic, 8);
    PutU64(out, key);
    PutU64(out, stream.size());
    std::string body(stream.size() * 4, '\0');
    if (!stream.empty()) std::memcpy(body.data(), stream.data(), body.size());
    PutU64(out, Fnv1a(body));
    out += body;
    RETURN_IF_ERROR(WriteFileAtomic(cache_path, out).WithPrefix("train data: writing token cache"));
  }
  return stream;
}

// ---------------------------------------------------------------- EpochOrder

EpochOrder::EpochOrder(std::vector<int64_t> items, uint64_t seed, bool shuffle)
    : items_(std::move(items)), rng_(seed), shuffle_(shuffle) {
  Reshuffle();
}

void EpochOrder::Reshuffle() {
  epoch_start_rng_ = rng_;
  order_ = items_;
  if (shuffle_) {
    for (size_t i = order_.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(rng_.Below(i));
      std::swap(order_[i - 1], order_[j]);
    }
  }
  pos_ = 0;
}

int64_t EpochOrder::Next() {
  if (order_.empty()) return -1;
  if (pos_ >= static_cast<int64_t>(order_.size())) {
    ++epoch_;
    Reshuffle();
  }
  return order_[static_cast<size_t>(pos_++)];
}

std::string EpochOrder::SaveState() const {
  std::string out(kOrderMagic, 8);
  PutU64(out, static_cast<uint64_t>(epoch_));
  PutU64(out, static_cast<uint64_t>(pos_));
  PutU64(out, items_.size());
  for (int i = 0; i < Rng::kStateWords; ++i) PutU64(out, epoch_start_rng_.state()[i]);
  return out;
}

Status EpochOrder::LoadState(std::string_view in) {
  if (in.size() < 8 || std::memcmp(in.data(), kOrderMagic, 8) != 0) {
    return DataLossError("train data: state: bad magic (not a data-order state)");
  }
  in.remove_prefix(8);
  uint64_t epoch = 0, pos = 0, n = 0;
  Rng r;
  bool ok = GetU64(in, &epoch) && GetU64(in, &pos) && GetU64(in, &n);
  for (int i = 0; i < Rng::kStateWords; ++i) ok = ok && GetU64(in, &r.state()[i]);
  if (!ok || !in.empty()) return DataLossError("train data: state: truncated or trailing bytes");
  if (n != items_.size()) {
    return InvalidArgumentError(StrFormat("train data: state is for %llu items, dataset has %zu",
                                          static_cast<unsigned long long>(n), items_.size()));
  }
  if (pos > n) return DataLossError("train data: state: position past the end of the epoch");
  rng_ = r;
  Reshuffle();  // regenerates this epoch's order and leaves rng_ where it was after it
  epoch_ = static_cast<int64_t>(epoch);
  pos_ = static_cast<int64_t>(pos);
  return Status::Ok();
}

// ---------------------------------------------------------------- TextDataset

Result<TextDataset> TextDataset::Create(std::vector<int32_t> stream, const DataOptions& opts) {
  if (opts.ctx <= 0 || opts.batch <= 0) {
    return InvalidArgumentError(StrFormat("train data: ctx (%d) and batch (%d) must be positive",
                                          opts.ctx, opts.batch));
  }
  if (!(opts.val_fraction >= 0.0 && opts.val_fraction < 1.0)) {
    return InvalidArgumentError(StrFormat("train data: val_fraction %g not in [0, 1)", opts.val_fraction));
  }
  const int64_t n = static_cast<int64_t>(stream.size());
  const int64_t t = opts.ctx;
  if (n <= 1) return InvalidArgumentError("train data: empty corpus (no tokens besides BOS)");
  if (n <= t + 1) {
    return InvalidArgumentError(StrFormat("train data: corpus has %lld tokens, needs more than ctx+1 = %lld",
                                          static_cast<long long>(n), static_cast<long long>(t + 1)));
  }
  TextDataset d;
  d.stream_ = std::move(stream);
  d.opts_ = opts;
  const int64_t k = (n - t - 1) / t;  // windows at k*T, k in [0, K)
  int64_t n_val = 0;
  if (opts.val_fraction > 0) {
    n_val = static_cast<int64_t>(static_cast<double>(k) * opts.val_fraction);
    if (n_val < 1) n_val = 1;
    if (n_val >= k) {
      return InvalidArgumentError(StrFormat(
          "train data: val_fraction %g leaves no training windows (%lld windows of %lld tokens)",
          opts.val_fraction, static_cast<long long>(k), static_cast<long long>(t)));
    }
  }
  if (opts.no_shuffle) {
    const int64_t n_train = n_val == 0 ? n : (k - n_val) * t + 1;
    d.modulus_ = n_train - t - 1;
    if (d.modulus_ <= 0) {
      return InvalidArgumentError("train data: validation split leaves too few training tokens");
    }
    for (int64_t i = k - n_val; i < k; ++i) d.val_offsets_.push_back(i * t);
    d.n_train_windows_ = k - n_val;
  } else {
    if (k == 0) {
      return InvalidArgumentError(StrFormat(
          "train data: corpus has %lld tokens, too few for one shuffled window (needs at least "
          "2*ctx+1 = %lld; or use no_shuffle)", static_cast<long long>(n), static_cast<long long>(2 * t + 1)));
    }
    std::vector<int64_t> all(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) all[static_cast<size_t>(i)] = i;
    EpochOrder split(all, opts.seed ^ 0x5eed5a1715ull);  // held-out choice: its own generator
    std::vector<uint8_t> is_val(static_cast<size_t>(k), 0);
    for (int64_t i = 0; i < n_val; ++i) is_val[static_cast<size_t>(split.current_order()[static_cast<size_t>(i)])] = 1;
    std::vector<int64_t> train;
    for (int64_t i = 0; i < k; ++i) {
      if (is_val[static_cast<size_t>(i)]) d.val_offsets_.push_back(i * t);
      else train.push_back(i * t);
    }
    d.n_train_windows_ = static_cast<int64_t>(train.size());
    d.order_ = EpochOrder(std::move(train), opts.seed);
  }
  return d;
}

void TextDataset::FillRow(Batch& b, int32_t row, int64_t o) const {
  const size_t base = static_cast<size_t>(row) * static_cast<size_t>(b.ctx);
  for (int32_t j = 0; j < b.ctx; ++j) {
    if (o < 0) {
      b.inputs[base + static_cast<size_t>(j)] = stream_[0];
      b.targets[base + static_cast<size_t>(j)] = kIgnoreIndex;
    } else {
      b.inputs[base + static_cast<size_t>(j)] = stream_[static_cast<size_t>(o + j)];
      b.targets[base + static_cast<size_t>(j)] = stream_[static_cast<size_t>(o + j + 1)];
    }
  }
}

Batch TextDataset::NextTrain() {
  Batch b = AllocateBatch(opts_);
  for (int32_t r = 0; r < opts_.batch; ++r) {
    int64_t o;
    if (opts_.no_shuffle) {
      // Unsigned arithmetic: the product may be large for long runs; the spec is a plain mod.
      const uint64_t idx = (static_cast<uint64_t>(step_) * static_cast<uint64_t>(opts_.batch) +
                            static_cast<uint64_t>(r)) * static_cast<uint64_t>(opts_.ctx);
      o = static_cast<int64_t>(idx % static_cast<uint64_t>(modulus_));
    } else {
      o = order_.Next();
    }
    FillRow(b, r, o);
  }
  ++step_;
  return b;
}

int64_t TextDataset::num_val_batches() const {
  return (num_val_windows() + opts_.batch - 1) / opts_.batch;
}

Batch TextDataset::ValBatch(int64_t i) const {
  Batch b = AllocateBatch(opts_);
  for (int32_t r = 0; r < opts_.batch; ++r) {
    const int64_t w = i * opts_.batch + r;
    FillRow(b, r, w >= 0 && w < num_val_windows() ? val_offsets_[static_cast<size_t>(w)] : -1);
  }
  return b;
}

std::string TextDataset::SaveState() const {
  std::string out;
  PutU64(out, static_cast<uint64_t>(step_));
  return out + order_.SaveState();
}

Status TextDataset::LoadState(std::string_view in) {
  uint64_t step = 0;
  if (!GetU64(in, &step)) return DataLossError("train data: state: truncated");
  if (!opts_.no_shuffle) RETURN_IF_ERROR(order_.LoadState(in));
  step_ = static_cast<int64_t>(step);
  return Status::Ok();
}

}  // namespace sangam::train
