// The log sink (stderr) and CHECK failure reporting.
#include "sangam/log.h"

#include <atomic>
#include <cstdarg>

namespace sangam {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void LogF(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) < g_level.load()) return;
  static const char* kTags[] = {"debug", "info", "warning", "error"};
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (level == LogLevel::kInfo) {
    fprintf(stderr, "%s\n", buf);
  } else {
    fprintf(stderr, "%s: %s\n", kTags[static_cast<int>(level)], buf);
  }
}

void CheckFailed(const char* file, int line, const char* cond, const char* msg) {
  fprintf(stderr, "CHECK failed at %s:%d: %s %s\n", file, line, cond, msg);
  fflush(stderr);
  abort();
}

}  // namespace sangam
