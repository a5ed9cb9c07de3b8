// Status and Result<T>: recoverable errors carried as values (no exceptions across APIs).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sangam {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad user input: flags, requests, text
  kNotFound,         // missing file, key, tensor
  kDataLoss,         // corrupt or truncated file
  kUnimplemented,    // valid but unsupported (e.g. an unknown tensor type)
  kOutOfRange,       // e.g. prompt longer than the context
  kResourceExhausted,
  kInternal,
  kIo,
  kUnavailable,      // temporarily unable (e.g. a server shutting down)
};

const char* StatusCodeName(StatusCode code);

// A Status is either OK or a code plus a message saying where and what.
// Cheap to copy when OK. Thread-compatible.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "DataLoss: gguf: ..." or "OK".
  std::string ToString() const;
  // Returns a copy with "prefix: " prepended to the message (keeps the code).
  Status WithPrefix(const std::string& prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string msg);
Status NotFoundError(std::string msg);
Status DataLossError(std::string msg);
Status UnimplementedError(std::string msg);
Status OutOfRangeError(std::string msg);
Status ResourceExhaustedError(std::string msg);
Status InternalError(std::string msg);
Status IoError(std::string msg);
Status UnavailableError(std::string msg);

// printf-style formatting into std::string.
std::string StrFormat(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(runtime/explicit)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(runtime/explicit)
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result built from OK status");
  }
  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sangam

#define SANGAM_CONCAT_INNER(a, b) a##b
#define SANGAM_CONCAT(a, b) SANGAM_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::sangam::Status _st = (expr);           \
    if (!_st.ok()) return _st;               \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(SANGAM_CONCAT(_res_, __LINE__), lhs, expr)
