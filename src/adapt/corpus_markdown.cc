// Prose paragraphs from Markdown documentation (code blocks, headings, tables, comments dropped).
#include <cctype>

#include "sangam/corpus.h"

namespace sangam::adapt {
namespace {

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Inline markup: [text][ref] / [text](url) -> text, `code` -> code, emphasis markers and HTML
// tags dropped.
std::string Inline(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '[') {
      const size_t close = s.find(']', i + 1);
      if (close != std::string_view::npos) {
        out.append(Inline(s.substr(i + 1, close - i - 1)));
        size_t j = close + 1;
        if (j < s.size() && (s[j] == '(' || s[j] == '[')) {
          const size_t end = s.find(s[j] == '(' ? ')' : ']', j + 1);
          if (end != std::string_view::npos) j = end + 1;
        }
        i = j - 1;
        continue;
      }
    }
    if (c == '<') {
      const size_t close = s.find('>', i + 1);
      if (close != std::string_view::npos && i + 1 < s.size() &&
          (std::isalpha(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '/' || s[i + 1] == '!')) {
        i = close;
        continue;
      }
    }
    if (c == '`') continue;
    if (c == '*') continue;
    if (c == '_' && (i == 0 || i + 1 == s.size() || !std::isalnum(static_cast<unsigned char>(s[i - 1])) ||
                     !std::isalnum(static_cast<unsigned char>(s[i + 1])))) {
      continue;  // _emphasis_, but not snake_case
    }
    if (c == '\\' && i + 1 < s.size() && std::ispunct(static_cast<unsigned char>(s[i + 1]))) continue;
    out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> MarkdownParagraphs(std::string_view md) {
  std::vector<std::string> paras;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) paras.push_back(Inline(cur));
    cur.clear();
  };
  bool in_fence = false, in_comment = false;
  size_t at = 0;
  while (at < md.size()) {
    size_t nl = md.find('\n', at);
    if (nl == std::string_view::npos) nl = md.size();
    const std::string_view raw = md.substr(at, nl - at);
    at = nl + 1;
    const std::string_view line = TrimLeft(raw);
    if (in_comment) {
      if (line.find("-->") != std::string_view::npos) in_comment = false;
      continue;
    }
    if (line.substr(0, 3) == "```" || line.substr(0, 3) == "~~~") {
      flush();
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    if (line.substr(0, 4) == "<!--") {
      flush();
      if (line.find("-->") == std::string_view::npos) in_comment = true;
      continue;
    }
    const bool indented_code = raw.substr(0, 4) == "    " && cur.empty();
    if (line.empty() || indented_code || line.front() == '#' || line.front() == '|' || line.front() == '>' ||
        (line.front() == '[' && line.find("]:") != std::string_view::npos) || line.substr(0, 3) == "---" ||
        line.substr(0, 3) == "===") {
      flush();
      continue;
    }
    // A list item starts a new paragraph; its marker goes.
    std::string_view text = line;
    if (text.size() > 2 && (text[0] == '*' || text[0] == '-' || text[0] == '+') && text[1] == ' ') {
      flush();
      text.remove_prefix(2);
    } else {
      size_t d = 0;
      while (d < text.size() && std::isdigit(static_cast<unsigned char>(text[d]))) ++d;
      if (d > 0 && d + 1 < text.size() && (text[d] == '.' || text[d] == ')') && text[d + 1] == ' ') {
        flush();
        text.remove_prefix(d + 2);
      }
    }
    if (!cur.empty()) cur += ' ';
    cur.append(text);
  }
  flush();
  return paras;
}

}  // namespace sangam::adapt
