// libFuzzer target: the guard's .xlsx reader (ZIP container, inflate, XML scanning) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "guard/xlsx.h"

namespace {

volatile uint64_t g_sink = 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = sangam::guard::ParseXlsxFirstSheet(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.xlsx");
  if (!r.ok()) {
    g_sink = g_sink + r.status().message().size();
    return 0;
  }
  for (const auto& row : *r) {
    for (const auto& cell : row) g_sink = g_sink + cell.size();
  }
  return 0;
}
