// TrainTokenizer: SentencePiece unigram/BPE training fed line by line from text files.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sangam/vocab_tools.h"

namespace sangam::adapt {
namespace {

// Length of the valid UTF-8 sequence at s[i] (1..4) and its code point, or 0 when invalid
// (truncated, overlong, surrogate, above U+10FFFF).
int Utf8Seq(const std::string& s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  int len = 0;
  uint32_t v = 0, min = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + static_cast<size_t>(len) > s.size()) return 0;
  for (int k = 1; k < len; ++k) {
    const uint8_t d = b(i + static_cast<size_t>(k));
    if ((d & 0xC0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

void StripCr(std::string* line) {
  if (!line->empty() && line->back() == '\r') line->pop_back();
}

bool IsSpace(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
         cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string EncodeUtf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

struct CorpusStats {
  int64_t n_sentences = 0;
  int64_t n_chars = 0;
  std::unordered_map<uint32_t, int64_t> char_count;
  std::vector<std::string> sample;  // the first lines, for the chars-per-token measurement
};

// First pass: every file readable, valid UTF-8, and character counts for the coverage report.
Status ScanCorpus(const std::vector<std::string>& inputs, CorpusStats* stats) {
  for (const std::string& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return NotFoundError(StrFormat("tokenizer train: cannot read '%s': %s", path.c_str(),
                                     std::strerror(errno)));
    }
    std::string line;
    uint64_t offset = 0;
    int64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const uint64_t line_start = offset;
      offset += line.size() + 1;
      StripCr(&line);
      bool any = false;
      for (size_t i = 0; i < line.size();) {
        uint32_t cp = 0;
        const int n = Utf8Seq(line, i, &cp);
        if (n == 0) {
          return InvalidArgumentError(StrFormat(
              "tokenizer train: '%s': invalid UTF-8 at byte offset %llu (line %lld, byte 0x%02X)",
              path.c_str(), static_cast<unsigned long long>(line_start + i),
              static_cast<long long>(line_no), static_cast<uint8_t>(line[i])));
        }
        i += static_cast<size_t>(n);
        if (IsSpace(cp)) continue;
        any = true;
        ++stats->n_chars;
        ++stats->char_count[cp];
      }
      if (!any) continue;
      ++stats->n_sentences;
      if (stats->sample.size() < 2000) stats->sample.push_back(line);
    }
    if (in.bad()) {
      return IoError(StrFormat("tokenizer train: error reading '%s'", path.c_str()));
    }
  }
  return Status::Ok();
}

// Streams the non-blank lines of the input files to SentencePiece (no merged copy on disk).
class FileSentenceIterator : public sentencepiece::SentenceIterator {
 public:
  explicit FileSentenceIterator(const std::vector<std::string>& files) : files_(files) { Next(); }
  bool done() const override { return done_; }
  void Next() override {
    while (true) {
      if (!in_.is_open()) {
        if (next_file_ >= files_.size()) {
          done_ = true;
          return;
        }
        in_.open(files_[next_file_++], std::ios::binary);
        if (!in_) {
          status_ = sentencepiece::util::Status(sentencepiece::util::StatusCode::kNotFound,
                                                "cannot read " + files_[next_file_ - 1]);
          done_ = true;
          return;
        }
      }
      if (std::getline(in_, value_)) {
        StripCr(&value_);
        if (value_.find_first_not_of(" \t") != std::string::npos) return;
        continue;
      }
      in_.close();
    }
  }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return status_; }

 private:
  const std::vector<std::string>& files_;
  size_t next_file_ = 0;
  std::ifstream in_;
  std::string value_;
  bool done_ = false;
  sentencepiece::util::Status status_;
};

std::string OutputPath(const std::string& out) {
  const std::string ext = ".model";
  if (out.size() >= ext.size() && out.compare(out.size() - ext.size(), ext.size(), ext) == 0) {
    return out;
  }
  return out + ext;
}

// "Vocabulary size is too high (20000). Please set it to a value <= 1234." -> 1234, else -1.
long long MaxVocabFromMessage(const std::string& msg) {
  if (msg.find("size too high") == std::string::npos && msg.find("size is too high") == std::string::npos) return -1;
  const size_t p = msg.find("<=");
  if (p == std::string::npos) return -1;
  return std::strtoll(msg.c_str() + p + 2, nullptr, 10);
}

}  // namespace

Result<TokenizerTrainReport> TrainTokenizer(const TokenizerTrainOptions& opts) {
  if (opts.type != "unigram" && opts.type != "bpe") {
    return InvalidArgumentError("tokenizer train: unknown --type '" + opts.type +
                                "' (expected unigram or bpe)");
  }
  if (opts.vocab_size < 1) {
    return InvalidArgumentError(StrFormat("tokenizer train: --vocab-size must be positive (got %d)",
                                          opts.vocab_size));
  }
  if (!(opts.character_coverage > 0 && opts.character_coverage <= 1)) {
    return InvalidArgumentError("tokenizer train: --character-coverage must be in (0, 1]");
  }
  if (opts.inputs.empty()) return InvalidArgumentError("tokenizer train: no input files given");
  if (opts.output.empty()) return InvalidArgumentError("tokenizer train: no output path given (-o)");

  CorpusStats stats;
  RETURN_IF_ERROR(ScanCorpus(opts.inputs, &stats));
  if (stats.n_sentences == 0) {
    return InvalidArgumentError("tokenizer train: the corpus is empty (no non-blank lines in " +
                                std::to_string(opts.inputs.size()) + " file(s))");
  }

  // Claim the output first so an unwritable path fails before a long training run.
  TokenizerTrainReport report;
  report.model_path = OutputPath(opts.output);
  const std::string tmp = report.model_path + ".tmp";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
      return IoError(StrFormat("tokenizer train: cannot write '%s': %s",
                               report.model_path.c_str(), std::strerror(errno)));
    }
    std::fclose(f);
  }

  std::unordered_map<std::string, std::string> args = {
      {"model_type", opts.type},
      {"vocab_size", std::to_string(opts.vocab_size)},
      {"character_coverage", StrFormat("%.9g", opts.character_coverage)},
      {"byte_fallback", opts.byte_fallback ? "true" : "false"},
      {"max_sentence_length", std::to_string(opts.max_sentence_length)},
      {"input_sentence_size", std::to_string(opts.input_sentence_size)},
      {"num_threads", std::to_string(std::max(1, opts.num_threads))},
      // Raw text in, raw text out: llama.cpp's SentencePiece-BPE does not normalize, so pieces
      // must match unnormalized text; this also makes Decode(Encode(x)) == x.
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"minloglevel", opts.verbose ? "0" : "2"},
  };
  sentencepiece::SetRandomGeneratorSeed(opts.seed);
  FileSentenceIterator it(opts.inputs);
  std::string proto;
  const sentencepiece::util::Status st = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
  if (!st.ok()) {
    std::remove(tmp.c_str());
    const std::string msg = st.message();
    const long long max_vocab = MaxVocabFromMessage(msg);
    if (max_vocab > 0) {
      return InvalidArgumentError(StrFormat(
          "tokenizer train: --vocab-size %d is too large: the corpus supports at most ~%lld "
          "pieces; lower --vocab-size (or add text)", opts.vocab_size, max_vocab));
    }
    const size_t vs = msg.find("smaller than required_chars. ");
    if (vs != std::string::npos) {
      const size_t v = msg.find(" vs ", vs);
      const long long need = v == std::string::npos ? 0 : std::strtoll(msg.c_str() + v + 4, nullptr, 10);
      return InvalidArgumentError(StrFormat(
          "tokenizer train: --vocab-size %d is too small: the corpus needs at least %lld pieces for "
          "its characters and special/byte pieces; raise --vocab-size or lower "
          "--character-coverage", opts.vocab_size, need));
    }
    return InternalError("tokenizer train: sentencepiece: " + msg);
  }

  sentencepiece::SentencePieceProcessor sp;
  if (!sp.LoadFromSerializedProto(proto).ok()) {
    std::remove(tmp.c_str());
    return InternalError("tokenizer train: sentencepiece produced an unreadable model");
  }
  report.n_pieces = sp.GetPieceSize();
  if (report.n_pieces != opts.vocab_size) {
    std::remove(tmp.c_str());
    return InvalidArgumentError(StrFormat(
        "tokenizer train: --vocab-size %d is too large: the corpus supports at most ~%d pieces "
        "with --type %s; lower --vocab-size", opts.vocab_size, report.n_pieces, opts.type.c_str()));
  }
  for (int i = 0; i < report.n_pieces; ++i) {
    if (sp.IsByte(i)) ++report.n_byte_pieces;
    if (sp.IsControl(i) || sp.IsUnknown(i)) ++report.n_special_pieces;
  }
  int64_t covered = 0;
  for (const auto& [cp, count] : stats.char_count) {
    const int id = sp.PieceToId(EncodeUtf8(cp));
    if (id != sp.unk_id() && !sp.IsByte(id) && !sp.IsControl(id)) covered += count;
  }
  report.n_sentences = stats.n_sentences;
  report.n_chars = stats.n_chars;
  report.n_distinct_chars = static_cast<int64_t>(stats.char_count.size());
  report.char_coverage = stats.n_chars > 0 ? double(covered) / double(stats.n_chars) : 0.0;
  int64_t sample_chars = 0, sample_tokens = 0;
  for (const std::string& line : stats.sample) {
    std::vector<int> ids;
    if (!sp.Encode(line, &ids).ok()) continue;
    sample_tokens += static_cast<int64_t>(ids.size());
    for (size_t i = 0; i < line.size(); ++i) {
      if ((static_cast<uint8_t>(line[i]) & 0xC0) != 0x80) ++sample_chars;
    }
  }
  report.chars_per_token = sample_tokens > 0 ? double(sample_chars) / double(sample_tokens) : 0.0;

  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  bool ok = f != nullptr && std::fwrite(proto.data(), 1, proto.size(), f) == proto.size();
  if (f != nullptr) ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), report.model_path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return IoError(StrFormat("tokenizer train: cannot write '%s': %s", report.model_path.c_str(),
                             std::strerror(err)));
  }
  return report;
}

}  // namespace sangam::adapt
