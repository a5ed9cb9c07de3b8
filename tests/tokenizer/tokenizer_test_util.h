// Helpers for the tokenizer tests: loading shared vocabularies and llama.cpp's test vectors.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/tokenizer.h"
#include "test_util.h"

namespace sangam::tokenizer::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

// llama.cpp's test-tokenizer-0 format: .inp holds strings separated by "\n__ggml_vocab_test__\n"
// (the file ends with a separator, which closes the last string), .out one line of
// space-separated ids per string.
inline std::vector<VocabCase> ReadVocabCases(const std::string& inp_path, const std::string& out_path) {
  const std::string raw = ReadWholeFile(inp_path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      inputs.push_back(raw.substr(pos));
      break;
    }
    inputs.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::ifstream out(out_path);
  std::vector<VocabCase> cases;
  std::string line;
  size_t i = 0;
  while (std::getline(out, line)) {
    VocabCase c;
    if (i < inputs.size()) c.text = inputs[i];
    std::istringstream ls(line);
    int32_t id;
    while (ls >> id) c.ids.push_back(id);
    cases.push_back(std::move(c));
    ++i;
  }
  EXPECT_EQ(inputs.size(), cases.size()) << "test vector files disagree: " << inp_path;
  return cases;
}

struct LoadedTokenizer {
  std::unique_ptr<gguf::File> file;
  std::unique_ptr<Tokenizer> tok;
};

inline LoadedTokenizer LoadFromGguf(const std::string& path) {
  LoadedTokenizer l;
  auto f = gguf::File::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return l;
  l.file = std::move(f).value();
  auto t = Tokenizer::FromGguf(*l.file);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (t.ok()) l.tok = std::move(t).value();
  return l;
}

inline std::string IdsToString(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    if (!s.empty()) s += ' ';
    s += std::to_string(id);
  }
  return s;
}

inline std::vector<int32_t> EncodeOrDie(const Tokenizer& t, const std::string& text, EncodeOptions o = {}) {
  auto r = t.Encode(text, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::vector<int32_t>();
}

// Strict UTF-8 validation (no overlongs, surrogates or values past U+10FFFF).
inline bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else return false;
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace sangam::tokenizer::testing
