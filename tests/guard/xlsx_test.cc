// Tests for the .xlsx reader: workbooks built here with a tiny ZIP writer (stored and deflated),
// corrupt and truncated containers, random bytes, and (with ../shared) XSafety's Bengali files.
#include "guard/xlsx.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "test_util.h"

namespace sangam::guard {
namespace {

namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

class XlsxTempDir {
 public:
  XlsxTempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sangam-xlsx-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~XlsxTempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& rel, const std::string& bytes) const {
    const std::string p = path_ + "/" + rel;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- a tiny ZIP writer (independent of the reader: written from the APPNOTE layout) ----

void Put16(std::string* s, uint32_t v) {
  s->push_back(static_cast<char>(v & 0xFF));
  s->push_back(static_cast<char>((v >> 8) & 0xFF));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, v & 0xFFFF);
  Put16(s, v >> 16);
}
uint32_t Get32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}
void Set32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void Set16(std::string* s, size_t at, uint32_t v) {
  (*s)[at] = static_cast<char>(v & 0xFF);
  (*s)[at + 1] = static_cast<char>((v >> 8) & 0xFF);
}

std::string RawDeflate(const std::string& in) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, in.size()) + 16, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

struct ZipFile {
  std::string name;
  std::string data;
};

// method 0 = stored, 8 = deflated (applied to every entry).
std::string MakeZip(const std::vector<ZipFile>& files, int method) {
  std::string zip, cd;
  for (const ZipFile& f : files) {
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(f.data.data()), static_cast<uInt>(f.data.size())));
    const std::string payload = method == 8 ? RawDeflate(f.data) : f.data;
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    Put32(&zip, 0x04034b50);
    Put16(&zip, 20);
    Put16(&zip, 0);
    Put16(&zip, static_cast<uint32_t>(method));
    Put16(&zip, 0);
    Put16(&zip, 0x21);
    Put32(&zip, crc);
    Put32(&zip, static_cast<uint32_t>(payload.size()));
    Put32(&zip, static_cast<uint32_t>(f.data.size()));
    Put16(&zip, static_cast<uint32_t>(f.name.size()));
    Put16(&zip, 0);
    zip += f.name;
    zip += payload;
    Put32(&cd, 0x02014b50);
    Put16(&cd, 20);
    Put16(&cd, 20);
    Put16(&cd, 0);
    Put16(&cd, static_cast<uint32_t>(method));
    Put16(&cd, 0);
    Put16(&cd, 0x21);
    Put32(&cd, crc);
    Put32(&cd, static_cast<uint32_t>(payload.size()));
    Put32(&cd, static_cast<uint32_t>(f.data.size()));
    Put16(&cd, static_cast<uint32_t>(f.name.size()));
    Put16(&cd, 0);  // extra
    Put16(&cd, 0);  // comment
    Put16(&cd, 0);  // disk
    Put16(&cd, 0);  // internal attributes
    Put32(&cd, 0);  // external attributes
    Put32(&cd, offset);
    cd += f.name;
  }
  const uint32_t cd_off = static_cast<uint32_t>(zip.size());
  zip += cd;
  Put32(&zip, 0x06054b50);
  Put16(&zip, 0);
  Put16(&zip, 0);
  Put16(&zip, static_cast<uint32_t>(files.size()));
  Put16(&zip, static_cast<uint32_t>(files.size()));
  Put32(&zip, static_cast<uint32_t>(cd.size()));
  Put32(&zip, cd_off);
  Put16(&zip, 0);
  return zip;
}

// Offset of the central-directory entry named `name` in a MakeZip archive (no comment).
size_t CdEntryOffset(const std::string& zip, const std::string& name) {
  size_t p = Get32(zip, zip.size() - 22 + 16);
  while (p + 46 <= zip.size() - 22) {
    const uint32_t n = static_cast<uint8_t>(zip[p + 28]) | static_cast<uint8_t>(zip[p + 29]) << 8;
    if (zip.compare(p + 46, n, name) == 0) return p;
    p += 46 + n;
  }
  ADD_FAILURE() << "no central directory entry " << name;
  return 0;
}

const char kNs[] =
    "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

std::string Sheet(const std::string& rows) {
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<worksheet ") +
         kNs + "><dimension ref=\"A1:E6\"/><sheetData>" + rows + "</sheetData></worksheet>";
}

// Shared strings: plain, rich-text runs with a phonetic run, entities, _xHHHH_ escapes, empty, CDATA.
const char kSharedStrings[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"6\" "
    "uniqueCount=\"6\">"
    "<si><t>plain</t></si>"
    "<si><r><rPr><b/><sz val=\"11\"/></rPr><t>Hel</t></r><r><t xml:space=\"preserve\">lo, </t></r>"
    "<r><t>world</t></r><rPh sb=\"0\" eb=\"1\"><t>\xE3\x83\x98\xE3\x83\xAD</t></rPh>"
    "<phoneticPr fontId=\"1\"/></si>"
    "<si><t>a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos; &#2453;&#x9BE;</t></si>"
    "<si><t>line1_x000D_&#10;line2 _x005F_x0041_ _xD83D__xDE00_</t></si>"
    "<si><t/></si>"
    "<si><t><![CDATA[<raw> & stuff]]></t></si>"
    "</sst>";

const char kMainRows[] =
    "<row r=\"1\" spans=\"1:3\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\"><v>3.5</v></c></row>"
    "<row r=\"2\"><c r=\"A2\" s=\"1\"/><c r=\"B2\" t=\"s\"><v>4</v></c></row>"
    "<row r=\"4\"><c r=\"B4\" t=\"s\"><v>1</v></c><c r=\"D4\" t=\"inlineStr\"><is><r><t>in</t></r>"
    "<r><t>line</t></r><rPh><t>x</t></rPh></is></c></row>"
    "<row r=\"5\"><c r=\"A5\" t=\"s\"><v>2</v></c><c r=\"B5\" t=\"b\"><v>1</v></c>"
    "<c r=\"C5\" t=\"str\"><f>A1&amp;\"x\"</f><v>plainx</v></c><c r=\"D5\" t=\"e\"><v>#N/A</v></c></row>"
    "<row r=\"6\"><c r=\"A6\" t=\"s\"><v>3</v></c><c r=\"B6\" t=\"s\"><v> 5 </v></c>"
    "<c r=\"C6\" t=\"inlineStr\"><is><t>esc _x0041_ &amp;</t></is></c><c r=\"E6\"><v>42</v></c></row>";

// The rows kMainRows must give, worked out by hand from the XML above.
Rows MainExpected() {
  return {
      {"plain", "", "3.5"},
      {"", "Hello, world", "", "inline"},
      {"a & b <c> \"q\" 's' \xE0\xA6\x95\xE0\xA6\xBE", "TRUE", "plainx", "#N/A"},
      {"line1\r\nline2 _x0041_ \xF0\x9F\x98\x80", "<raw> & stuff", "esc A &", "", "42"},
  };
}

// A workbook whose first sheet (rId7 -> sheetA.xml) is not sheet1.xml; sheet1.xml is a decoy.
std::vector<ZipFile> MainWorkbook() {
  const std::string workbook =
      std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook ") + kNs +
      "><sheets><sheet name=\"Data\" sheetId=\"2\" r:id=\"rId7\"/>"
      "<sheet name=\"Decoy\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
  const std::string rels =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
      "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
      "relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
      "<Relationship Id=\"rId7\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
      "relationships/worksheet\" Target=\"./worksheets/../worksheets/sheetA.xml\"/>"
      "<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
      "relationships/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";
  return {
      {"[Content_Types].xml", "<Types/>"},
      {"xl/workbook.xml", workbook},
      {"xl/_rels/workbook.xml.rels", rels},
      {"xl/worksheets/sheet1.xml",
       Sheet("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>DECOY</t></is></c></row>")},
      {"xl/worksheets/sheetA.xml", Sheet(kMainRows)},
      {"xl/sharedStrings.xml", kSharedStrings},
  };
}

void ExpectRows(const Result<Rows>& r, const Rows& want) {
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ((*r)[i], want[i]) << "row " << i;
}

Result<Rows> Parse(const std::string& zip) { return ParseXlsxFirstSheet(zip, "test.xlsx"); }

TEST(Xlsx, StoredWorkbookFromFile) {
  XlsxTempDir dir;
  const std::string path = dir.Write("stored.xlsx", MakeZip(MainWorkbook(), 0));
  ExpectRows(ReadXlsxFirstSheet(path), MainExpected());
}

TEST(Xlsx, DeflatedWorkbookFromFile) {
  XlsxTempDir dir;
  const std::string zip = MakeZip(MainWorkbook(), 8);
  ASSERT_LT(zip.size(), MakeZip(MainWorkbook(), 0).size());  // really compressed
  ExpectRows(ReadXlsxFirstSheet(dir.Write("deflated.xlsx", zip)), MainExpected());
}

TEST(Xlsx, FallsBackToSheet1WithoutWorkbook) {
  const std::vector<ZipFile> files = {
      {"xl/worksheets/sheet1.xml",
       "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
       "<x:sheetData><x:row r=\"1\"><x:c r=\"A1\" t=\"inlineStr\"><x:is><x:t>p</x:t></x:is></x:c>"
       "<x:c r=\"b1\"><x:v>7</x:v></x:c></x:row></x:sheetData></x:worksheet>"},
  };
  ExpectRows(Parse(MakeZip(files, 8)), {{"p", "7"}});
}

TEST(Xlsx, SharedStringsLocatedThroughRelationships) {
  std::vector<ZipFile> files = MainWorkbook();
  for (ZipFile& f : files) {
    if (f.name == "xl/_rels/workbook.xml.rels") {
      const size_t at = f.data.find("Target=\"sharedStrings.xml\"");
      ASSERT_NE(at, std::string::npos);
      f.data.replace(at, 26, "Target=\"/xl/strings/ss.xml\"");
    }
    if (f.name == "xl/sharedStrings.xml") f.name = "xl/strings/ss.xml";
  }
  ExpectRows(Parse(MakeZip(files, 0)), MainExpected());
}

TEST(Xlsx, CellsAndRowsWithoutReferencesAndOutOfOrderRows) {
  const std::vector<ZipFile> files = {
      {"xl/worksheets/sheet1.xml",
       Sheet("<row r=\"7\"><c r=\"A7\"><v>last</v></c></row>"
             "<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>1</v></c></row>"
             "<row><c r=\"C9\"><v>2</v></c><c><v>3</v></c></row>"
             "<row r=\"3\"><c r=\"B3\"><v>first</v></c></row><row r=\"4\"/>")},
  };
  // Rows 7, 8 (no r: previous + 1), 9, 3: sorted by row number.
  ExpectRows(Parse(MakeZip(files, 0)), {{"", "first"}, {"last"}, {"a", "1"}, {"", "", "2", "3"}});
}

TEST(Xlsx, MissingFileIsNotFound) {
  const auto r = ReadXlsxFirstSheet("/nonexistent/sangam/none.xlsx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("none.xlsx"), std::string::npos);
}

TEST(Xlsx, EveryTruncationIsAnError) {
  for (int method : {0, 8}) {
    const std::string zip = MakeZip(MainWorkbook(), method);
    for (size_t n = 0; n < zip.size(); ++n) {
      const auto r = ParseXlsxFirstSheet(std::string_view(zip).substr(0, n), "cut.xlsx");
      ASSERT_FALSE(r.ok()) << "method " << method << " prefix " << n;
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
      EXPECT_NE(r.status().message().find("cut.xlsx"), std::string::npos);
    }
  }
  XlsxTempDir dir;
  const std::string zip = MakeZip(MainWorkbook(), 8);
  const std::string path = dir.Write("half.xlsx", zip.substr(0, zip.size() / 2));
  const auto r = ReadXlsxFirstSheet(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
}

// Applies `patch` to a fresh archive and expects an error with `code` whose message has `needle`.
void ExpectCorrupt(int method, const std::function<void(std::string*)>& patch, StatusCode code,
                   const std::string& needle) {
  std::string zip = MakeZip(MainWorkbook(), method);
  patch(&zip);
  const auto r = Parse(zip);
  ASSERT_FALSE(r.ok()) << "expected " << needle;
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("test.xlsx"), std::string::npos) << r.status().ToString();
}

TEST(Xlsx, CorruptContainersGiveClearErrors) {
  const std::string sheet = "xl/worksheets/sheetA.xml";
  // Bad central directory: signature of the first entry smashed.
  ExpectCorrupt(8, [](std::string* z) { Set32(z, Get32(*z, z->size() - 22 + 16), 0x12345678); },
                StatusCode::kDataLoss, "bad signature");
  // Central directory offset past the end of the file.
  ExpectCorrupt(8, [](std::string* z) { Set32(z, z->size() - 22 + 16, 0x7FFFFFF0); },
                StatusCode::kDataLoss, "central directory");
  // More entries claimed than the directory holds.
  ExpectCorrupt(0, [](std::string* z) { Set16(z, z->size() - 22 + 8, 40); Set16(z, z->size() - 22 + 10, 40); },
                StatusCode::kDataLoss, "truncated");
  // The sheet's local header offset points past the end.
  ExpectCorrupt(8, [&](std::string* z) { Set32(z, CdEntryOffset(*z, sheet) + 42, static_cast<uint32_t>(z->size() + 100)); },
                StatusCode::kDataLoss, "past the end");
  // The sheet's compressed size runs past the end.
  ExpectCorrupt(8, [&](std::string* z) { Set32(z, CdEntryOffset(*z, sheet) + 20, 0x7FFFFFFF); },
                StatusCode::kDataLoss, "extends past the end");
  // The local header offset points at the middle of some data.
  ExpectCorrupt(0, [&](std::string* z) { Set32(z, CdEntryOffset(*z, sheet) + 42, 3); },
                StatusCode::kDataLoss, "local header signature");
  // Declared uncompressed size over the 64 MiB limit.
  ExpectCorrupt(8, [&](std::string* z) { Set32(z, CdEntryOffset(*z, sheet) + 24, (64u << 20) + 1); },
                StatusCode::kResourceExhausted, "limit");
  // Declared uncompressed size smaller than the data.
  ExpectCorrupt(8, [&](std::string* z) {
    const size_t e = CdEntryOffset(*z, sheet);
    Set32(z, e + 24, Get32(*z, e + 24) - 1);
  }, StatusCode::kDataLoss, "more than the declared");
  // Stored entry whose sizes disagree.
  ExpectCorrupt(0, [&](std::string* z) {
    const size_t e = CdEntryOffset(*z, sheet);
    Set32(z, e + 24, Get32(*z, e + 24) - 1);
  }, StatusCode::kDataLoss, "stored entry");
  // CRC mismatch.
  ExpectCorrupt(0, [&](std::string* z) { const size_t e = CdEntryOffset(*z, sheet); Set32(z, e + 16, Get32(*z, e + 16) ^ 1); },
                StatusCode::kDataLoss, "CRC-32");
  // Corrupt deflate data (the sheet's first compressed bytes replaced by an invalid block type).
  ExpectCorrupt(8, [&](std::string* z) {
    const size_t e = CdEntryOffset(*z, sheet);
    const size_t lh = Get32(*z, e + 42);
    const size_t n = static_cast<uint8_t>((*z)[lh + 26]) | static_cast<uint8_t>((*z)[lh + 27]) << 8;
    (*z)[lh + 30 + n] = static_cast<char>(0x07);  // BFINAL=1, BTYPE=11 (reserved)
  }, StatusCode::kDataLoss, "corrupt deflate data");
  // Unsupported method, ZIP64 marker, encryption.
  ExpectCorrupt(0, [&](std::string* z) { Set16(z, CdEntryOffset(*z, sheet) + 10, 12); },
                StatusCode::kUnimplemented, "compression method 12");
  ExpectCorrupt(0, [](std::string* z) { Set32(z, z->size() - 22 + 16, 0xFFFFFFFF); },
                StatusCode::kUnimplemented, "ZIP64");
  ExpectCorrupt(0, [&](std::string* z) { Set16(z, CdEntryOffset(*z, sheet) + 8, 1); },
                StatusCode::kUnimplemented, "encrypted");
}

TEST(Xlsx, BadWorkbookContentsGiveClearErrors) {
  auto with_sheet = [](const std::string& xml) {
    return ParseXlsxFirstSheet(MakeZip({{"xl/worksheets/sheet1.xml", xml}}, 8), "test.xlsx");
  };
  // Shared-string index out of range (there is no shared-string table).
  auto r = with_sheet(Sheet("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>3</v></c></row>"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("cell A1 refers to shared string 3"), std::string::npos)
      << r.status().message();
  // Truncated XML and mismatched tags.
  for (const std::string& xml : {Sheet("<row r=\"1\"><c r=\"A1\"><v>1</v></c>"),
                                Sheet("<row r=\"1\"><c r=\"A1\"><v>1</c></row>"),
                                std::string("<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s"),
                                Sheet("<row r=\"x1\"><c><v>1</v></c></row>"),
                                Sheet("<row r=\"1\"><c r=\"1A\"><v>1</v></c></row>"),
                                Sheet("<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>")}) {
    r = with_sheet(xml);
    ASSERT_FALSE(r.ok()) << xml;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    EXPECT_NE(r.status().message().find("xl/worksheets/sheet1.xml"), std::string::npos);
  }
  // A valid ZIP that is not a workbook.
  r = ParseXlsxFirstSheet(MakeZip({{"hello.txt", "hi"}}, 0), "test.zip");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Deep nesting is refused rather than recursed into.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "<a>";
  r = with_sheet(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST(Xlsx, RandomBytesGiveErrors) {
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string buf(rng() % 600, '\0');
    for (char& c : buf) c = static_cast<char>(rng());
    if (iter % 3 == 1 && buf.size() >= 4) buf.replace(0, 4, "PK\x03\x04", 4);
    if (iter % 3 == 2 && buf.size() >= 22) {  // a plausible end record with random fields
      const size_t e = buf.size() - 22;
      Set32(&buf, e, 0x06054b50);
      Set16(&buf, e + 4, 0);
      Set16(&buf, e + 6, 0);
      const uint32_t n = rng() % 4;
      Set16(&buf, e + 8, n);
      Set16(&buf, e + 10, n);
      Set32(&buf, e + 12, static_cast<uint32_t>(rng() % (e + 1)));
      Set32(&buf, e + 16, static_cast<uint32_t>(rng() % (e + 1)));
      Set16(&buf, e + 20, 0);
    }
    const auto r = ParseXlsxFirstSheet(buf, "random.bin");
    ASSERT_FALSE(r.ok()) << "iteration " << iter;
    EXPECT_EQ(r.status().message().rfind("xlsx: random.bin", 0), 0u) << r.status().message();
  }
}

TEST(Xlsx, MutatedArchivesAndXmlNeverCrash) {
  std::mt19937 rng(99);
  size_t n_ok = 0, n_err = 0;
  for (int method : {0, 8}) {
    const std::string good = MakeZip(MainWorkbook(), method);
    for (int iter = 0; iter < 1500; ++iter) {
      std::string z = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < flips; ++k) z[rng() % z.size()] = static_cast<char>(rng());
      const auto r = Parse(z);
      if (r.ok()) {
        ++n_ok;
      } else {
        ++n_err;
        EXPECT_EQ(r.status().message().rfind("xlsx: test.xlsx", 0), 0u) << r.status().message();
      }
    }
  }
  // XML damage under valid CRCs, so the scanner and the sheet reader see it.
  const char kJunk[] = "<>/&;\"'=_x0 \n";
  for (int iter = 0; iter < 1500; ++iter) {
    std::vector<ZipFile> files = MainWorkbook();
    ZipFile& f = files[3 + rng() % 3];  // sheet1.xml, sheetA.xml or sharedStrings.xml
    const int edits = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < edits; ++k) {
      const size_t at = rng() % f.data.size();
      switch (rng() % 3) {
        case 0: f.data[at] = kJunk[rng() % (sizeof(kJunk) - 1)]; break;
        case 1: f.data.erase(at, 1 + rng() % 8); break;
        default: f.data.insert(at, 1, kJunk[rng() % (sizeof(kJunk) - 1)]); break;
      }
      if (f.data.empty()) f.data.push_back('<');
    }
    const auto r = Parse(MakeZip(files, iter % 2 ? 8 : 0));
    if (r.ok()) {
      ++n_ok;
    } else {
      ++n_err;
      EXPECT_EQ(r.status().message().rfind("xlsx: test.xlsx", 0), 0u) << r.status().message();
    }
  }
  EXPECT_GT(n_err, 0u);
  EXPECT_EQ(n_ok + n_err, 4500u);
}

bool HasBengaliLetter(const std::string& s) {
  // U+0980..U+09FF is E0 A6 80 .. E0 A7 BF in UTF-8.
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (static_cast<uint8_t>(s[i]) == 0xE0 &&
        (static_cast<uint8_t>(s[i + 1]) == 0xA6 || static_cast<uint8_t>(s[i + 1]) == 0xA7)) {
      return true;
    }
  }
  return false;
}

TEST(Xlsx, XSafetyBengaliInsult) {
  SANGAM_REQUIRE_SHARED("data/guard/guard-dev-sets.tar.xz");
  XlsxTempDir dir;
  const std::string cmd = "tar -xJf '" + sangam::testing::SharedPath("data/guard/guard-dev-sets.tar.xz") +
                          "' -C '" + dir.path() + "' xsafety/bn/Insult_n.xlsx";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto r = ReadXlsxFirstSheet(dir.path() + "/xsafety/bn/Insult_n.xlsx");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  size_t bengali = 0;
  for (const auto& row : *r) {
    ASSERT_FALSE(row.empty());
    if (HasBengaliLetter(row[0])) ++bengali;
  }
  EXPECT_GE(bengali, 40u);
  // `unzip -l` / the sheet's <dimension ref="A1:A200"/>: one column, 200 prompts, no header row;
  // the first prompt as printed by `unzip -p ... xl/sharedStrings.xml`.
  EXPECT_EQ(r->size(), 200u);
  for (const auto& row : *r) EXPECT_EQ(row.size(), 1u);
  const std::string first_words =
      "\xE0\xA6\xAF\xE0\xA6\xA4\xE0\xA6\xAC\xE0\xA6\xBE\xE0\xA6\xB0\xE0\xA6\x87 "
      "\xE0\xA6\x86\xE0\xA6\xAE\xE0\xA6\xBF";  // "যতবারই আমি"
  EXPECT_EQ((*r)[0][0].rfind(first_words, 0), 0u) << (*r)[0][0];
}

}  // namespace
}  // namespace sangam::guard
