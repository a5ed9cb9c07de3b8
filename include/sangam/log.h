// Logging to stderr (the one global log sink) and CHECK macros for our own invariants.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace sangam {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };

// Messages below this level are dropped. Default kInfo; set once at start-up.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogF(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond, const char* msg);

}  // namespace sangam

#define LOG_DEBUG(...) ::sangam::LogF(::sangam::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) ::sangam::LogF(::sangam::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARN(...) ::sangam::LogF(::sangam::LogLevel::kWarn, __VA_ARGS__)
#define LOG_ERROR(...) ::sangam::LogF(::sangam::LogLevel::kError, __VA_ARGS__)

// CHECK is for invariants of our own code only; never for data from files or requests.
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) ::sangam::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)
#define CHECK_MSG(cond, msg)                                                \
  do {                                                                      \
    if (!(cond)) ::sangam::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
