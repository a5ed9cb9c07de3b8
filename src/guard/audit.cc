// The audit log: one SQLite table, append-only (triggers refuse UPDATE and DELETE), WAL mode, one
// connection behind a mutex.
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

#include "guard/internal.h"

namespace sangam::guard::internal {
namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS guard_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  policy_hash TEXT NOT NULL,
  direction TEXT NOT NULL,
  flagged INTEGER NOT NULL,
  action TEXT NOT NULL,
  categories TEXT NOT NULL,
  scores TEXT NOT NULL,
  language TEXT NOT NULL,
  text_length INTEGER NOT NULL,
  text_sha256 TEXT NOT NULL,
  raw_text TEXT
);
CREATE TRIGGER IF NOT EXISTS guard_audit_no_update BEFORE UPDATE ON guard_audit
BEGIN SELECT RAISE(ABORT, 'guard_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS guard_audit_no_delete BEFORE DELETE ON guard_audit
BEGIN SELECT RAISE(ABORT, 'guard_audit is append-only'); END;
)sql";

std::string NowIso8601() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

class SqliteAuditLog final : public AuditLog {
 public:
  SqliteAuditLog(std::string path, sqlite3* db, sqlite3_stmt* insert) : path_(std::move(path)), db_(db), insert_(insert) {}
  ~SqliteAuditLog() override {
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  Status Record(const Decision& d, Direction dir, const std::string& policy_hash, std::string_view text,
                bool store_raw_text) override {
    nlohmann::json cats = d.categories;
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& [k, v] : d.scores) scores[k] = v;
    const std::string cats_s = cats.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string scores_s = scores.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string time = NowIso8601();
    const std::string sha = Sha256Hex(text);
    const std::string raw = store_raw_text ? RepairUtf8(text) : std::string();
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_reset(insert_);
    sqlite3_clear_bindings(insert_);
    sqlite3_bind_text(insert_, 1, time.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 2, policy_hash.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 3, DirectionName(dir), -1, SQLITE_STATIC);
    sqlite3_bind_int(insert_, 4, d.flagged ? 1 : 0);
    sqlite3_bind_text(insert_, 5, ActionName(d.action), -1, SQLITE_STATIC);
    sqlite3_bind_text(insert_, 6, cats_s.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 7, scores_s.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(insert_, 8, d.language.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert_, 9, static_cast<sqlite3_int64>(text.size()));
    sqlite3_bind_text(insert_, 10, sha.c_str(), -1, SQLITE_TRANSIENT);
    if (store_raw_text) {
      sqlite3_bind_text(insert_, 11, raw.c_str(), static_cast<int>(raw.size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(insert_, 11);
    }
    const int rc = sqlite3_step(insert_);
    if (rc != SQLITE_DONE) {
      return IoError("guard audit log '" + path_ + "': insert failed: " + sqlite3_errmsg(db_));
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  sqlite3* db_;
  sqlite3_stmt* insert_;
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return IoError("guard: cannot open audit log '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;", nullptr, nullptr, &err);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, kSchema, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    sqlite3_close(db);
    return IoError("guard: cannot initialise audit log '" + path + "': " + msg +
                   " (is it a SQLite database written by sangam, on a writable file system?)");
  }
  sqlite3_stmt* st = nullptr;
  rc = sqlite3_prepare_v2(db,
                          "INSERT INTO guard_audit (time, policy_hash, direction, flagged, action, categories, scores, "
                          "language, text_length, text_sha256, raw_text) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          -1, &st, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    return IoError("guard: audit log '" + path + "' has an unexpected schema: " + msg);
  }
  return std::unique_ptr<AuditLog>(new SqliteAuditLog(path, db, st));
}

}  // namespace sangam::guard::internal
