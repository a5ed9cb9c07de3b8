// Atomic writes of chart text (so a reader never sees a half-written SVG).
#include <string>
#include <string_view>

#include "sangam/chart.h"
#include "sangam/file.h"

namespace sangam::report {

Status WriteTextFileAtomic(const std::string& path, std::string_view text) {
  if (path.empty()) return InvalidArgumentError("report: cannot write chart: empty output path");
  Status st = WriteFileAtomic(path, std::string(text));
  if (!st.ok()) return st.WithPrefix("report: cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace sangam::report
