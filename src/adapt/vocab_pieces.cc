// Reading the pieces of a tokenizer to merge (SentencePiece .model or GGUF vocabulary) and the
// GPT-2 byte-level alphabet.
#include <sentencepiece_processor.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sangam/gguf.h"
#include "sangam/vocab_tools.h"
#include "tokenizer/vocab_data.h"

namespace sangam::adapt {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order.
const std::array<uint32_t, 256>& ByteToCodePoint() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      t[b] = printable ? b : next++;
    }
    return t;
  }();
  return table;
}

std::string SpaceToMeta(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ') {
      out += kSpace;
    } else {
      out += c;
    }
  }
  return out;
}

bool IsGguf(const std::string& path) {
  char magic[4] = {0, 0, 0, 0};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  const bool ok = std::fread(magic, 1, 4, f) == 4 && std::memcmp(magic, "GGUF", 4) == 0;
  std::fclose(f);
  return ok;
}

}  // namespace

std::string ByteLevelEncode(std::string_view bytes) {
  std::string out;
  const auto& table = ByteToCodePoint();
  for (char c : bytes) AppendUtf8(table[static_cast<uint8_t>(c)], &out);
  return out;
}

bool ByteLevelDecode(std::string_view text, std::string* bytes) {
  static const std::array<int, 324> inverse = [] {
    std::array<int, 324> inv;
    inv.fill(-1);
    const auto& table = ByteToCodePoint();
    for (int b = 0; b < 256; ++b) inv[table[static_cast<size_t>(b)]] = b;
    return inv;
  }();
  bytes->clear();
  for (size_t i = 0; i < text.size();) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    uint32_t cp = 0;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(text[i + 1]) & 0x3Fu);
      i += 2;
    } else {
      return false;
    }
    if (cp >= inverse.size() || inverse[cp] < 0) return false;
    *bytes += static_cast<char>(inverse[cp]);
  }
  return true;
}

Result<std::vector<NewPiece>> LoadSentencePieceModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("tokenizer: cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  sentencepiece::SentencePieceProcessor sp;
  const auto st = sp.LoadFromSerializedProto(ss.str());
  if (!st.ok() || sp.GetPieceSize() <= 0) {
    return InvalidArgumentError("tokenizer: '" + path +
                                "' is not a SentencePiece model or a GGUF file with a tokenizer (" +
                                (st.ok() ? std::string("no pieces") : std::string(st.message())) + ")");
  }
  std::vector<NewPiece> pieces(static_cast<size_t>(sp.GetPieceSize()));
  for (int i = 0; i < sp.GetPieceSize(); ++i) {
    NewPiece& p = pieces[static_cast<size_t>(i)];
    p.piece = sp.IdToPiece(i);
    p.score = sp.GetScore(i);
    using tokenizer::TokenType;
    p.type = sp.IsUnknown(i)   ? TokenType::kUnknown
             : sp.IsControl(i) ? TokenType::kControl
             : sp.IsByte(i)    ? TokenType::kByte
             : sp.IsUnused(i)  ? TokenType::kUnused
                               : TokenType::kNormal;
  }
  return pieces;
}

Result<std::vector<NewPiece>> LoadNewPieces(const std::string& path) {
  if (!std::filesystem::exists(path)) return NotFoundError("tokenizer: '" + path + "' not found");
  if (!IsGguf(path)) return LoadSentencePieceModel(path);
  ASSIGN_OR_RETURN(std::unique_ptr<gguf::File> file, gguf::File::Open(path));
  auto vocab = tokenizer::VocabFromGguf(*file);
  if (!vocab.ok()) {
    return InvalidArgumentError("tokenizer: '" + path + "' has no usable tokenizer: " +
                                vocab.status().message());
  }
  const tokenizer::Vocab& v = *vocab;
  if (v.model != "llama" && v.model != "gpt2") {
    return UnimplementedError("tokenizer: '" + path + "': cannot take pieces from a '" + v.model +
                              "' vocabulary (supported: llama, gpt2)");
  }
  std::vector<NewPiece> pieces(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    NewPiece& p = pieces[i];
    p.type = i < v.types.size() ? v.types[i] : tokenizer::TokenType::kNormal;
    if (v.model == "llama") {
      p.piece = v.tokens[i];
      p.score = i < v.scores.size() ? v.scores[i] : 0.0f;
    } else {
      std::string bytes;
      if (!ByteLevelDecode(v.tokens[i], &bytes)) {
        bytes = v.tokens[i];
        if (p.type == tokenizer::TokenType::kNormal) p.type = tokenizer::TokenType::kUserDefined;
      }
      p.piece = SpaceToMeta(bytes);
      p.score = -static_cast<float>(i);  // byte-level BPE ids follow merge order
    }
  }
  return pieces;
}

}  // namespace sangam::adapt
