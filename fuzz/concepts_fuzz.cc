// libFuzzer target: concept lexicon parsing and tagging. The input is split at its first NUL byte
// into lexicon text and a text to tag; the text is also tagged with the built-in lexicon.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sangam/guard_classifier.h"
#include "sangam/guard_concepts.h"

namespace {

volatile uint64_t g_sink = 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  const std::string_view lexicon_text = nul == std::string_view::npos ? all : all.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? all : all.substr(nul + 1);
  auto lex = sangam::guard::ConceptLexicon::Parse(lexicon_text, "fuzz.tsv");
  if (lex.ok()) {
    for (const std::string& t : lex->Tag(sangam::guard::ClassifierText(text))) g_sink = g_sink + t.size();
  } else {
    g_sink = g_sink + lex.status().message().size();
  }
  const std::string tagged = sangam::guard::TaggedClassifierText(text, sangam::guard::ConceptLexicon::Default());
  g_sink = g_sink + tagged.size();
  return 0;
}
