// The OpenAI-compatible HTTP server on cpp-httplib: routing, auth, CORS, limits, SSE streaming,
// guard rails, metrics and the embedded web chat.
#include "serve/server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "sangam/log.h"
#include "sangam/tokenizer.h"
#include "serve/metrics.h"
#include "serve/openai.h"
#include "serve/web_assets.h"

namespace sangam::serve {

using nlohmann::json;

namespace {

double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

int64_t UnixTime() { return static_cast<int64_t>(std::time(nullptr)); }

const char* MimeType(const std::string& name) {
  auto ends = [&](const char* ext) {
    const size_t n = std::strlen(ext);
    return name.size() >= n && name.compare(name.size() - n, n, ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".txt") || ends(".md")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

ApiError StatusToApiError(const Status& st) {
  ApiError e;
  e.message = st.message();
  switch (st.code()) {
    case StatusCode::kOutOfRange:
      e.status = 400;
      e.code = "context_length_exceeded";
      break;
    case StatusCode::kResourceExhausted:
      e.status = 429;
      e.type = "rate_limit_exceeded";
      e.code = "server_busy";
      break;
    case StatusCode::kUnavailable:
      e.status = 503;
      e.type = "server_error";
      e.code = "unavailable";
      break;
    case StatusCode::kInvalidArgument:
      e.status = 400;
      break;
    default:
      e.status = 500;
      e.type = "server_error";
      break;
  }
  return e;
}

// The usage object, with cached prompt tokens as OpenAI reports them.
json Usage(int64_t prompt, int64_t completion, int64_t cached) {
  return json{{"prompt_tokens", prompt},
              {"completion_tokens", completion},
              {"total_tokens", prompt + completion},
              {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

}  // namespace

struct Server::Impl {
  Engine& engine;
  ServerOptions opts;
  httplib::Server http;
  Metrics metrics;
  std::atomic<bool> stopping{false};
  int bound_port = 0;
  std::vector<std::string> model_ids;  // base first, then base:adapter

  Impl(Engine& e, const ServerOptions& o) : engine(e), opts(o) {}

  void SendError(httplib::Response& res, const ApiError& e) {
    res.status = e.status;
    res.set_content(ErrorBody(e), "application/json");
  }

  void AddCors(const httplib::Request& req, httplib::Response& res) {
    if (opts.cors_origins.empty()) return;
    const std::string origin = req.get_header_value("Origin");
    const bool any = std::find(opts.cors_origins.begin(), opts.cors_origins.end(), "*") != opts.cors_origins.end();
    if (any) {
      res.set_header("Access-Control-Allow-Origin", "*");
    } else if (!origin.empty() &&
               std::find(opts.cors_origins.begin(), opts.cors_origins.end(), origin) != opts.cors_origins.end()) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Vary", "Origin");
    } else {
      return;
    }
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
    res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    res.set_header("Access-Control-Max-Age", "600");
  }

  bool Authorized(const httplib::Request& req) const {
    if (opts.api_keys.empty()) return true;
    const std::string h = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (h.size() <= prefix.size() || h.compare(0, prefix.size(), prefix) != 0) return false;
    const std::string key = h.substr(prefix.size());
    bool ok = false;
    for (const auto& k : opts.api_keys) {  // compare every key fully (no early exit on a match)
      if (k.size() != key.size()) continue;
      unsigned diff = 0;
      for (size_t i = 0; i < k.size(); ++i) diff |= static_cast<unsigned>(k[i] ^ key[i]);
      ok = ok || diff == 0;
    }
    return ok;
  }

  // The adapter index of a model id: -1 base; NotFound -> 404.
  std::optional<int> ResolveModel(const std::string& id, ApiError* err) const {
    if (id.empty() || id == opts.model_id) return -1;
    const auto& ads = engine.adapters();
    for (size_t i = 0; i < ads.size(); ++i) {
      if (id == opts.model_id + ":" + ads[i].name) return static_cast<int>(i);
    }
    std::string list;
    for (const auto& m : model_ids) list += (list.empty() ? "" : ", ") + m;
    *err = ApiError{404, "invalid_request_error", "the model '" + id + "' does not exist (available: " + list + ")",
                    "model", "model_not_found"};
    return std::nullopt;
  }

  void Install();
  void HandleGeneration(const httplib::Request& req, httplib::Response& res, bool chat);
  void HandleEmbeddings(const httplib::Request& req, httplib::Response& res);
  void HandleModerations(const httplib::Request& req, httplib::Response& res);
  void ServeFile(const std::string& name, httplib::Response& res);
};

void Server::Impl::ServeFile(const std::string& name, httplib::Response& res) {
  if (!opts.web_dir.empty()) {
    if (name.find('/') != std::string::npos || name.find("..") != std::string::npos) {
      SendError(res, ApiError{404, "invalid_request_error", "no such file: /" + name, "", "not_found"});
      return;
    }
    std::ifstream f(opts.web_dir + "/" + name, std::ios::binary);
    if (f) {
      std::ostringstream ss;
      ss << f.rdbuf();
      res.set_content(ss.str(), MimeType(name));
      res.set_header("Cache-Control", "no-cache");
      return;
    }
  } else {
    for (const EmbeddedFile& a : WebAssets()) {
      if (a.name == name) {
        res.set_content(std::string(a.data), MimeType(name));
        res.set_header("Cache-Control", "no-cache");
        return;
      }
    }
  }
  SendError(res, ApiError{404, "invalid_request_error", "no such file: /" + name, "", "not_found"});
}

void Server::Impl::Install() {
  model_ids.push_back(opts.model_id);
  for (const auto& a : engine.adapters()) model_ids.push_back(opts.model_id + ":" + a.name);

  const int threads = opts.http_threads > 0 ? opts.http_threads
                                            : std::max(64, engine.stats().slots + static_cast<int>(opts.max_queue) + 16);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_payload_max_length(opts.max_body);
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  http.set_keep_alive_timeout(5);

  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    AddCors(req, res);
    if (req.method == "OPTIONS") {
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path.rfind("/v1/", 0) == 0 && !Authorized(req)) {
      const bool has = !req.get_header_value("Authorization").empty();
      SendError(res, ApiError{401, "authentication_error",
                              has ? "invalid API key" : "this server needs an API key: send 'Authorization: Bearer KEY'",
                              "", has ? "invalid_api_key" : "missing_api_key"});
      metrics.CountRequest(req.path, 401);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    ApiError e;
    e.status = res.status;
    if (res.status == 413) {
      e.message = StrFormat("the request body is larger than the server's limit of %zu bytes (--max-body)", opts.max_body);
      e.code = "request_too_large";
    } else if (res.status == 404) {
      e.message = "no route for " + req.method + " " + req.path;
      e.code = "not_found";
    } else if (res.status == 400) {
      e.message = "malformed HTTP request";
    } else {
      e.message = StrFormat("HTTP error %d", res.status);
      e.type = res.status >= 500 ? "server_error" : "invalid_request_error";
    }
    res.set_content(ErrorBody(e), "application/json");
  });
  http.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    LOG_ERROR("serve: %s %s: internal error: %s", req.method.c_str(), req.path.c_str(), what.c_str());
    SendError(res, ApiError{500, "server_error", "internal error: " + what, "", ""});
  });
  http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    LOG_DEBUG("serve: %s %s -> %d", req.method.c_str(), req.path.c_str(), res.status);
  });

  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (stopping.load()) {
      SendError(res, ApiError{503, "server_error", "the server is shutting down", "", "unavailable"});
      return;
    }
    const EngineStats s = engine.stats();
    res.set_content(Dump(json{{"status", "ok"}, {"slots", s.slots}, {"slots_busy", s.active}, {"queued", s.queued}}),
                    "application/json");
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const EngineStats s = engine.stats();
    res.set_content(metrics.Render({{"sangam_slots", s.slots},
                                    {"sangam_slots_busy", s.active},
                                    {"sangam_queue_depth", static_cast<double>(s.queued)},
                                    {"sangam_engine_steps_total", static_cast<double>(s.steps)},
                                    {"sangam_engine_step_tokens_total", static_cast<double>(s.step_tokens)},
                                    {"sangam_engine_prompt_tokens_total", static_cast<double>(s.prompt_tokens)},
                                    {"sangam_engine_generated_tokens_total", static_cast<double>(s.generated_tokens)}}),
                    "text/plain; version=0.0.4");
  });
  http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    json data = json::array();
    for (const auto& id : model_ids) {
      data.push_back({{"id", id}, {"object", "model"}, {"created", UnixTime()}, {"owned_by", "sangam"}});
    }
    res.set_content(Dump(json{{"object", "list"}, {"data", data}}), "application/json");
    metrics.CountRequest("/v1/models", 200);
  });
  http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    ApiError err;
    if (!ResolveModel(req.matches[1], &err)) {
      SendError(res, err);
      return;
    }
    res.set_content(Dump(json{{"id", req.matches[1]}, {"object", "model"}, {"created", UnixTime()}, {"owned_by", "sangam"}}),
                    "application/json");
  });
  http.Post("/v1/chat/completions",
            [this](const httplib::Request& req, httplib::Response& res) { HandleGeneration(req, res, true); });
  http.Post("/v1/completions",
            [this](const httplib::Request& req, httplib::Response& res) { HandleGeneration(req, res, false); });
  http.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) { HandleEmbeddings(req, res); });
  http.Post("/v1/moderations", [this](const httplib::Request& req, httplib::Response& res) { HandleModerations(req, res); });
  // Wrong methods on known routes: 405.
  for (const char* path : {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/moderations"}) {
    http.Get(path, [this, path](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", "POST");
      SendError(res, ApiError{405, "invalid_request_error", std::string(path) + " accepts POST, not " + req.method, "",
                              "method_not_allowed"});
    });
  }
  for (const char* path : {"/v1/models", "/health", "/metrics"}) {
    http.Post(path, [this, path](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", "GET");
      SendError(res, ApiError{405, "invalid_request_error", std::string(path) + " accepts GET, not " + req.method, "",
                              "method_not_allowed"});
    });
  }
  // Other methods on known routes: 405 naming the allowed one.
  for (const char* path : {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/moderations",
                           "/v1/models", "/health", "/metrics"}) {
    const bool post = std::strncmp(path, "/v1/models", 10) != 0 && std::strcmp(path, "/health") != 0 &&
                      std::strcmp(path, "/metrics") != 0;
    auto not_allowed = [this, path, post](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", post ? "POST" : "GET");
      SendError(res, ApiError{405, "invalid_request_error",
                              std::string(path) + " accepts " + (post ? "POST" : "GET") + ", not " + req.method, "",
                              "method_not_allowed"});
    };
    http.Delete(path, not_allowed);
    http.Put(path, not_allowed);
    http.Patch(path, not_allowed);
  }
  http.Get("/", [this](const httplib::Request&, httplib::Response& res) { ServeFile("index.html", res); });
  http.Get(R"(/([A-Za-z0-9_.-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    ServeFile(req.matches[1], res);
  });
}

void Server::Impl::HandleGeneration(const httplib::Request& req, httplib::Response& res, bool chat) {
  const double t0 = Now();
  const std::string endpoint = chat ? "/v1/chat/completions" : "/v1/completions";
  auto fail = [&](const ApiError& e) {
    SendError(res, e);
    metrics.CountRequest(endpoint, e.status);
  };
  if (stopping.load()) return fail(ApiError{503, "server_error", "the server is shutting down", "", "unavailable"});
  auto body = ParseBody(req.body);
  if (auto* e = std::get_if<ApiError>(&body)) return fail(*e);
  auto parsed = chat ? ParseChatRequest(std::get<json>(body)) : ParseCompletionRequest(std::get<json>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) return fail(*e);
  GenerationParams p = std::move(std::get<GenerationParams>(parsed));
  if (p.format == ResponseFormat::kJsonSchema) {
    // Compile again from an order-preserving parse: properties are generated in schema order.
    try {
      const auto ordered = nlohmann::ordered_json::parse(req.body);
      auto c = sample::JsonConstraint::FromOrderedSchema(ordered["response_format"]["json_schema"]["schema"]);
      if (c.ok()) p.json = std::move(c).value();
    } catch (const std::exception&) {
    }
  }
  ApiError err;
  const std::optional<int> adapter = ResolveModel(p.model, &err);
  if (!adapter) return fail(err);
  const std::string model_id = p.model.empty() ? opts.model_id : p.model;

  // Input rail: every non-assistant message (or the prompt) is checked; PII is redacted in place.
  std::string refusal;
  if (opts.guard != nullptr) {
    // With a judge: the last checked text and its decision (for the refusal's language and the
    // audit row), gated on the highest classifier score of all the checked texts.
    guard::Decision judged;
    std::string judged_text;
    float max_harm = -1.0f;
    auto check = [&](std::string& text) {
      const guard::Decision d = opts.guard->Check(text, guard::Direction::kInput);
      if (opts.judge != nullptr) {
        max_harm = std::max(max_harm, d.classifier_harm);
        judged = d;
        judged_text = text;
      }
      if (d.action == guard::Action::kBlock) {
        if (refusal.empty()) refusal = d.message;
      } else if (d.action == guard::Action::kRedact) {
        text = d.redacted;
      }
    };
    if (chat) {
      for (auto& m : p.messages) {
        if (m.role != "assistant") check(m.content);
      }
    } else {
      check(p.prompt);
    }
    // One judge call per request, on the conversation after redaction (user and assistant turns;
    // system messages are the deployment's own), unless already refused.
    if (opts.judge != nullptr && refusal.empty()) {
      std::vector<guard::JudgeTurn> conversation;
      if (chat) {
        for (const auto& m : p.messages) {
          if (m.role == "assistant") {
            conversation.push_back({guard::JudgeRole::kAgent, m.content});
          } else if (m.role != "system") {
            conversation.push_back({guard::JudgeRole::kUser, m.content});
          }
        }
      } else {
        conversation.push_back({guard::JudgeRole::kUser, p.prompt});
      }
      if (!conversation.empty() && conversation.back().role == guard::JudgeRole::kUser) {
        judged.classifier_harm = max_harm;
        const guard::JudgeOutcome out = opts.judge->ApplyConversation(conversation, &judged);
        if (out == guard::JudgeOutcome::kSafe || out == guard::JudgeOutcome::kUnsafe) {
          opts.guard->Record(judged, judged_text, guard::Direction::kInput);
        }
        metrics.CountJudge(guard::JudgeOutcomeName(out));
        if (judged.action == guard::Action::kBlock) refusal = judged.message;
      }
    }
  }

  const tokenizer::Tokenizer& tok = engine.model().tokenizer();
  tokenizer::EncodeOptions eo;
  eo.add_bos = true;
  eo.parse_special = chat;
  const std::string text = chat ? sample::RenderChat(opts.chat_template, p.messages, true) : p.prompt;
  auto ids = tok.Encode(text, eo);
  if (!ids.ok()) return fail(InvalidRequest("could not tokenize the prompt: " + ids.status().message()));

  const std::string id = NewId(chat ? "chatcmpl" : "cmpl");
  const int64_t created = UnixTime();
  const std::string object = chat ? (p.stream ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  const int64_t n_prompt = static_cast<int64_t>(ids->size());

  // A chunk (stream) with a delta/text and an optional finish reason.
  auto chunk = [&, id, created, object, model_id, chat](const std::string& content, bool first,
                                                        const char* finish) {
    json choice = {{"index", 0}};
    if (chat) {
      json delta = json::object();
      if (first) delta["role"] = "assistant";
      if (first || !content.empty()) delta["content"] = content;
      choice["delta"] = delta;
      choice["logprobs"] = nullptr;
    } else {
      choice["text"] = content;
      choice["logprobs"] = nullptr;
    }
    choice["finish_reason"] = finish ? json(finish) : json(nullptr);
    return json{{"id", id}, {"object", object}, {"created", created}, {"model", model_id}, {"choices", {choice}}};
  };

  if (!refusal.empty()) {  // blocked by the input rail: the policy's message, no generation
    metrics.CountRequest(endpoint, 200);
    if (p.stream) {
      std::string out = "data: " + Dump(chunk("", true, nullptr)) + "\n\n";
      out += "data: " + Dump(chunk(refusal, false, nullptr)) + "\n\n";
      out += "data: " + Dump(chunk("", false, "content_filter")) + "\n\n";
      if (p.include_usage) {
        json u = chunk("", false, nullptr);
        u["choices"] = json::array();
        u["usage"] = Usage(n_prompt, 0, 0);
        out += "data: " + Dump(u) + "\n\n";
      }
      out += "data: [DONE]\n\n";
      res.set_content(out, "text/event-stream");
    } else {
      json choice = {{"index", 0}, {"finish_reason", "content_filter"}, {"logprobs", nullptr}};
      if (chat) choice["message"] = {{"role", "assistant"}, {"content", refusal}};
      else choice["text"] = refusal;
      res.set_content(Dump(json{{"id", id}, {"object", object}, {"created", created}, {"model", model_id},
                                {"choices", {choice}}, {"usage", Usage(n_prompt, 0, 0)}}),
                      "application/json");
    }
    return;
  }

  GenerationRequest g;
  g.prompt = std::move(ids).value();
  g.sampling = p.sampling;
  g.max_tokens = p.max_tokens;
  g.stop = p.stop;
  g.adapter = *adapter;
  g.json = p.json;
  g.ignore_eos = p.ignore_eos;
  auto submitted = engine.Submit(std::move(g));
  if (!submitted.ok()) {
    ApiError e = StatusToApiError(submitted.status());
    if (e.code == "context_length_exceeded") e.param = chat ? "messages" : "prompt";
    return fail(e);
  }
  std::shared_ptr<RequestState> state = std::move(submitted).value();
  const double deadline = t0 + opts.timeout_s;
  const std::string echo = (!chat && p.echo) ? p.prompt : "";
  auto stream_guard = opts.guard ? std::make_shared<guard::StreamGuard>(*opts.guard) : nullptr;

  if (!p.stream) {
    std::string content = echo;
    Progress pr;
    bool filtered = false;
    std::string policy_message;
    while (true) {
      pr = state->Wait(0.5);
      std::string piece = std::move(pr.text);
      if (stream_guard && !filtered) {
        bool blocked = false;
        std::string ok = stream_guard->Push(piece, &blocked);
        if (!blocked && pr.done) ok += stream_guard->Finish(&blocked);
        content += ok;
        if (blocked) {
          filtered = true;
          policy_message = stream_guard->decision().message;
          state->Cancel();
        }
      } else if (!filtered) {
        content += piece;
      }
      if (pr.done) break;
      if (Now() > deadline || stopping.load()) {
        state->Cancel();
        if (stopping.load()) return fail(ApiError{503, "server_error", "the server is shutting down", "", "unavailable"});
        return fail(ApiError{504, "server_error", StrFormat("the request took longer than the server's timeout of %.0f s", opts.timeout_s), "", "timeout"});
      }
    }
    if (pr.reason == FinishReason::kError && !filtered) {
      return fail(ApiError{pr.error.find("shutting down") != std::string::npos ? 503 : 500, "server_error", pr.error, "", ""});
    }
    const char* finish = filtered ? "content_filter" : FinishReasonName(pr.reason);
    if (filtered) content += (content.empty() ? "" : "\n") + policy_message;
    json choice = {{"index", 0}, {"finish_reason", finish}, {"logprobs", nullptr}};
    if (chat) choice["message"] = {{"role", "assistant"}, {"content", content}, {"refusal", nullptr}};
    else choice["text"] = content;
    res.set_content(Dump(json{{"id", id}, {"object", object}, {"created", created}, {"model", model_id},
                              {"choices", {choice}}, {"usage", Usage(pr.prompt_tokens, pr.completion_tokens, pr.cached_tokens)}}),
                    "application/json");
    metrics.CountRequest(endpoint, 200);
    metrics.AddTokens(pr.prompt_tokens, pr.completion_tokens);
    metrics.ObserveDuration(endpoint, Now() - t0);
    metrics.ObserveTtft(state->first_token_time() - state->submit_time());
    return;
  }

  // Streaming: server-sent events, written by httplib's chunked provider on this thread.
  metrics.CountRequest(endpoint, 200);
  struct StreamCtx {
    bool started = false, finished = false, filtered = false;
    double last_write = 0;
  };
  auto sc = std::make_shared<StreamCtx>();
  const bool include_usage = p.include_usage;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, state, sc, chunk, include_usage, deadline, echo, stream_guard, endpoint, t0](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& s) {
          sc->last_write = Now();
          return sink.write(s.data(), s.size());
        };
        auto event = [&](const json& j) { return write("data: " + Dump(j) + "\n\n"); };
        if (!sc->started) {
          sc->started = true;
          if (!event(chunk(echo, true, nullptr))) {
            state->Cancel();
            return false;
          }
        }
        Progress pr = state->Wait(0.25);
        std::string piece = std::move(pr.text);
        bool blocked = false;
        if (stream_guard && !sc->filtered) {
          std::string ok = stream_guard->Push(piece, &blocked);
          if (!blocked && pr.done) ok += stream_guard->Finish(&blocked);
          piece = std::move(ok);
        }
        if (!piece.empty() && !sc->filtered && !event(chunk(piece, false, nullptr))) {
          state->Cancel();
          return false;
        }
        if (blocked) {
          sc->filtered = true;
          state->Cancel();
          const std::string msg = stream_guard->decision().message;
          event(chunk(msg, false, nullptr));
        }
        const bool timed_out = !pr.done && Now() > deadline;
        if (pr.done || blocked || timed_out || stopping.load()) {
          if (!pr.done) state->Cancel();
          if (!blocked && (timed_out || stopping.load() || pr.reason == FinishReason::kError)) {
            ApiError e{timed_out ? 504 : 500, "server_error",
                       timed_out ? StrFormat("the request took longer than the server's timeout") :
                                   (stopping.load() ? std::string("the server is shutting down") : pr.error),
                       "", timed_out ? "timeout" : ""};
            write("data: " + ErrorBody(e) + "\n\n");
          } else {
            event(chunk("", false, blocked ? "content_filter" : FinishReasonName(pr.reason)));
            if (include_usage) {
              json u = chunk("", false, nullptr);
              u["choices"] = json::array();
              u["usage"] = Usage(pr.prompt_tokens, pr.completion_tokens, pr.cached_tokens);
              event(u);
            }
          }
          write("data: [DONE]\n\n");
          metrics.AddTokens(pr.prompt_tokens, pr.completion_tokens);
          metrics.ObserveDuration(endpoint, Now() - t0);
          metrics.ObserveTtft(state->first_token_time() - state->submit_time());
          sc->finished = true;
          sink.done();
          return true;
        }
        // Nothing new for a while: a comment line keeps proxies open and detects a gone client.
        if (Now() - sc->last_write > 2.0 && !write(": keep-alive\n\n")) {
          state->Cancel();
          return false;
        }
        return true;
      },
      [state, sc](bool) {
        if (!sc->finished) state->Cancel();  // the client went away: free the slot now
      });
}

void Server::Impl::HandleEmbeddings(const httplib::Request& req, httplib::Response& res) {
  const double t0 = Now();
  const std::string endpoint = "/v1/embeddings";
  auto fail = [&](const ApiError& e) {
    SendError(res, e);
    metrics.CountRequest(endpoint, e.status);
  };
  auto body = ParseBody(req.body);
  if (auto* e = std::get_if<ApiError>(&body)) return fail(*e);
  auto parsed = ParseEmbeddingRequest(std::get<json>(body));
  if (auto* e = std::get_if<ApiError>(&parsed)) return fail(*e);
  EmbeddingParams p = std::move(std::get<EmbeddingParams>(parsed));
  ApiError err;
  const std::optional<int> adapter = ResolveModel(p.model, &err);
  if (!adapter) return fail(err);
  if (*adapter >= 0) return fail(InvalidRequest("embeddings come from the base model; use model '" + opts.model_id + "'", "model"));
  std::vector<std::vector<int32_t>> inputs = std::move(p.token_ids);
  const tokenizer::Tokenizer& tok = engine.model().tokenizer();
  for (const std::string& t : p.texts) {
    tokenizer::EncodeOptions eo;
    eo.add_bos = true;
    auto ids = tok.Encode(t, eo);
    if (!ids.ok()) return fail(InvalidRequest("could not tokenize the input: " + ids.status().message(), "input"));
    inputs.push_back(std::move(ids).value());
  }
  int64_t n_tokens = 0;
  for (const auto& in : inputs) n_tokens += static_cast<int64_t>(in.size());
  auto out = engine.Embed(std::move(inputs));
  if (!out.ok()) {
    ApiError e = StatusToApiError(out.status());
    if (e.status == 400) e.param = "input";
    return fail(e);
  }
  json data = json::array();
  for (size_t i = 0; i < out->size(); ++i) {
    json item = {{"object", "embedding"}, {"index", i}};
    if (p.base64) item["embedding"] = EmbeddingBase64((*out)[i]);
    else item["embedding"] = (*out)[i];
    data.push_back(std::move(item));
  }
  res.set_content(Dump(json{{"object", "list"}, {"data", data}, {"model", opts.model_id},
                            {"usage", {{"prompt_tokens", n_tokens}, {"total_tokens", n_tokens}}}}),
                  "application/json");
  metrics.CountRequest(endpoint, 200);
  metrics.AddTokens(n_tokens, 0);
  metrics.ObserveDuration(endpoint, Now() - t0);
}

void Server::Impl::HandleModerations(const httplib::Request& req, httplib::Response& res) {
  const double t0 = Now();
  const std::string endpoint = "/v1/moderations";
  auto fail = [&](const ApiError& e) {
    SendError(res, e);
    metrics.CountRequest(endpoint, e.status);
  };
  const guard::Guard* g = opts.guard ? opts.guard : opts.moderation_guard;
  if (g == nullptr) return fail(ApiError{501, "server_error", "this server has no moderation policy", "", ""});
  auto body = ParseBody(req.body);
  if (auto* e = std::get_if<ApiError>(&body)) return fail(*e);
  const json& b = std::get<json>(body);
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (it.key() != "input" && it.key() != "model") {
      return fail(InvalidRequest("unknown field '" + it.key() + "' (supported: input, model)", it.key(), "unknown_parameter"));
    }
  }
  std::vector<std::string> inputs;
  auto in = b.find("input");
  if (in == b.end()) return fail(InvalidRequest("'input' is required", "input"));
  if (in->is_string()) {
    inputs.push_back(in->get<std::string>());
  } else if (in->is_array() && !in->empty()) {
    for (const json& v : *in) {
      if (v.is_string()) {
        inputs.push_back(v.get<std::string>());
      } else if (v.is_object() && v.value("type", "") == "text" && v.contains("text") && v["text"].is_string()) {
        inputs.push_back(v["text"].get<std::string>());
      } else {
        return fail(InvalidRequest("'input' items must be strings or {\"type\":\"text\",\"text\":...}", "input"));
      }
    }
  } else {
    return fail(InvalidRequest("'input' must be a string or a non-empty array of strings", "input"));
  }
  if (auto m = b.find("model"); m != b.end() && !m->is_string()) {
    return fail(InvalidRequest("'model' must be a string", "model"));
  }
  const auto& cats = g->policy().categories();
  json results = json::array();
  for (const std::string& text : inputs) {
    guard::Decision d = g->Check(text, guard::Direction::kInput);
    const char* judged = nullptr;  // what the judge did, reported under sangam.judge
    if (opts.judge != nullptr && g == opts.guard) {
      const guard::JudgeOutcome out = opts.judge->Apply(text, guard::Direction::kInput, &d);
      if (out == guard::JudgeOutcome::kSafe || out == guard::JudgeOutcome::kUnsafe) {
        g->Record(d, text, guard::Direction::kInput);
      }
      judged = guard::JudgeOutcomeName(out);
      metrics.CountJudge(judged);
    }
    json flags = json::object(), scores = json::object(), types = json::object();
    for (const guard::Category& c : cats) {
      const bool on = std::find(d.categories.begin(), d.categories.end(), c.code) != d.categories.end();
      auto sit = d.scores.find(c.code);
      flags[c.name] = on;
      scores[c.name] = sit != d.scores.end() ? sit->second : (on ? 1.0f : 0.0f);
      types[c.name] = on ? json::array({"text"}) : json::array();
    }
    json ours = {{"action", guard::ActionName(d.action)}, {"codes", d.categories}, {"language", d.language}};
    if (judged != nullptr) ours["judge"] = judged;
    results.push_back({{"flagged", d.flagged}, {"categories", flags}, {"category_scores", scores},
                       {"category_applied_input_types", types}, {"sangam", ours}});
  }
  res.set_content(Dump(json{{"id", NewId("modr")}, {"model", "sangam-guard:" + g->policy().name()}, {"results", results}}),
                  "application/json");
  metrics.CountRequest(endpoint, 200);
  metrics.ObserveDuration(endpoint, Now() - t0);
}

// ---- Server ----

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Create(Engine& engine, const ServerOptions& opts) {
  if (opts.model_id.empty()) return InvalidArgumentError("serve: the model id is empty");
  if (opts.max_body < 1024) return InvalidArgumentError("serve: --max-body must be at least 1024 bytes");
  if (!(opts.timeout_s > 0)) return InvalidArgumentError("serve: --timeout must be positive");
  auto impl = std::make_unique<Impl>(engine, opts);
  impl->Install();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Status Server::Bind() {
  Impl& s = *impl_;
  if (s.opts.port == 0) {
    const int p = s.http.bind_to_any_port(s.opts.host);
    if (p <= 0) return IoError("serve: cannot bind to " + s.opts.host + " (any port)");
    s.bound_port = p;
  } else {
    if (!s.http.bind_to_port(s.opts.host, s.opts.port)) {
      return IoError(StrFormat("serve: cannot bind to %s:%d (in use? try another --port, or --port 0 for any)",
                               s.opts.host.c_str(), s.opts.port));
    }
    s.bound_port = s.opts.port;
  }
  return Status::Ok();
}

int Server::port() const { return impl_->bound_port; }

void Server::Run() { impl_->http.listen_after_bind(); }

void Server::Stop() {
  if (!impl_) return;
  impl_->stopping.store(true);
  impl_->http.stop();
}

}  // namespace sangam::serve
