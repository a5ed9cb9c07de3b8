// The OpenAI-compatible HTTP server: routes, authentication, CORS, limits, streaming (SSE), the
// web chat's files, /metrics, and the guard's rails on input and output. Generation runs in the
// Engine; each HTTP connection has its own thread that waits on its request's progress.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sangam/chat_template.h"
#include "sangam/guard.h"
#include "sangam/guard_judge.h"
#include "sangam/status.h"
#include "serve/engine.h"

namespace sangam::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0 = any free port
  std::string model_id;                 // the base model's id in the API
  sample::ChatTemplate chat_template = sample::ChatTemplate::kChatml;
  std::vector<std::string> api_keys;    // empty = no authentication
  std::vector<std::string> cors_origins;  // "*" or exact origins; empty = no CORS headers
  size_t max_body = 1 << 20;            // bytes
  double timeout_s = 600;               // per request, until the last byte
  std::string web_dir;                  // serve the web chat from here instead of the built-in files
  int http_threads = 0;                 // 0 = slots + queue + 8
  size_t max_queue = 64;                // for the thread count default
  // Guardrails (optional; not owned): input rail on prompts, output rail on replies, and the
  // policy for /v1/moderations (without one, /v1/moderations uses the default policy).
  const guard::Guard* guard = nullptr;
  const guard::Guard* moderation_guard = nullptr;
  // Model-as-judge on prompts and /v1/moderations inputs after the policy's rules and classifier
  // (optional, not owned; needs `guard`). Replies are not judged: the stream rail stays rules +
  // classifier.
  const guard::JudgeRail* judge = nullptr;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Create(Engine& engine, const ServerOptions& opts);
  ~Server();
  // Binds the socket (port 0: any free port); port() is valid afterwards.
  Status Bind();
  int port() const;
  // Serves until Stop(); returns after the listener closed and in-flight requests ended.
  void Run();
  // Thread-safe; makes Run() return. In-flight streams end with an error chunk.
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sangam::serve
