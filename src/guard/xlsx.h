// Minimal .xlsx text reader: the cells of a workbook's first worksheet, as strings (guard eval data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::guard {

// Largest uncompressed ZIP entry the reader inflates (64 MiB); a bigger one is ResourceExhausted.
inline constexpr uint64_t kXlsxMaxEntryBytes = uint64_t{64} << 20;

// Reads the first worksheet of the .xlsx workbook at `path` (the first <sheet> of xl/workbook.xml,
// located through xl/_rels/workbook.xml.rels; xl/worksheets/sheet1.xml when those are absent or
// do not resolve) and returns its rows in sheet order.
//
// Each row is the list of cell texts placed by the column of the cell reference (r="C7" -> index 2;
// a cell without r follows the previous one); gaps are empty strings and trailing empty cells are
// dropped, so a row ends with its last non-empty cell. Rows with no non-empty cell are skipped, so
// the index in the result is not the sheet's row number. Cell text:
//   t="s"          the shared string (xl/sharedStrings.xml); rich-text runs <r><t> concatenated,
//                  phonetic runs <rPh> skipped;
//   t="inlineStr"  the <is> text, same rules;
//   t="str"/"e"    the <v> text (a formula's cached string / an error such as "#N/A");
//   t="b"          "TRUE" or "FALSE";
//   numbers/dates  the <v> text as stored (e.g. "3.5", "45123"), no number formatting.
// XML entities (&amp; &lt; &gt; &quot; &apos; &#NN; &#xNN;) and OOXML _xHHHH_ escapes are decoded;
// text is UTF-8 as stored. Formulas are not evaluated; styles, merged cells and other sheets are
// ignored.
//
// Supported container: a single-disk ZIP with stored (method 0) or deflated (method 8) entries;
// CRC-32 is verified. Errors (never a crash or abort, whatever the bytes):
//   NotFound          `path` does not exist;
//   DataLoss          truncated or corrupt ZIP/XML (message names the file, the entry and what is
//                     wrong, with offsets);
//   InvalidArgument   a valid ZIP that holds no worksheet (not an .xlsx workbook);
//   Unimplemented     ZIP64, multi-disk, encrypted entries, other compression methods, UTF-16 XML;
//   ResourceExhausted an entry over kXlsxMaxEntryBytes, or more than 4M cells / 256 MiB of text.
// Thread-safe (no shared state).
Result<std::vector<std::vector<std::string>>> ReadXlsxFirstSheet(const std::string& path);

// The same from the bytes of an .xlsx file in memory; `name` is used in error messages.
Result<std::vector<std::vector<std::string>>> ParseXlsxFirstSheet(std::string_view bytes,
                                                                  const std::string& name);

}  // namespace sangam::guard
