// sangam serve: the OpenAI-compatible HTTP server with continuous batching and the web chat.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include <pthread.h>

#include "cli/common.h"
#include "cli/guard_ml.h"
#include "sangam/chat_template.h"
#include "sangam/guard.h"
#include "sangam/guard_judge.h"
#include "sangam/log.h"
#include "serve/engine.h"
#include "serve/server.h"

namespace sangam::cli {
namespace {

struct ServeOptions {
  ModelOptions m;
  std::string alias;
  std::vector<std::string> adapters;  // --lora NAME=FILE[:SCALE] or FILE[:SCALE]
  std::string host = "127.0.0.1";
  int port = 8080;
  int parallel = 4;
  size_t queue = 64;
  int64_t batch = 512;
  int64_t prefill_chunk = 128;
  std::vector<std::string> api_keys;
  std::string api_key_file;
  std::vector<std::string> cors;
  size_t max_body = 1 << 20;
  double timeout = 600;
  std::string web_dir;
  std::string policy;
  std::string audit_db;
  JudgeFlags judge;
};

std::string FileStem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  return name;
}

Status RunServe(ServeOptions o) {
  // Validate cheap things before the model load.
  if (!o.m.chat_template.empty()) RETURN_IF_ERROR(sample::ChatTemplateFromName(o.m.chat_template).status());
  if (!o.api_key_file.empty()) {
    std::ifstream f(o.api_key_file);
    if (!f) return NotFoundError("serve: cannot read the API key file '" + o.api_key_file + "' (--api-key-file)");
    std::string line;
    while (std::getline(f, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty() && line[0] != '#') o.api_keys.push_back(line);
    }
    if (o.api_keys.empty()) return InvalidArgumentError("serve: the API key file '" + o.api_key_file + "' holds no keys");
  }
  for (const auto& k : o.api_keys) {
    if (k.empty()) return InvalidArgumentError("serve: --api-key must not be empty");
  }
  // Guard before the model: a malformed policy should fail fast.
  std::unique_ptr<guard::Guard> rail, moderation;
  std::unique_ptr<guard::JudgeRail> judge;
  if (!o.judge.model.model.empty() && o.policy.empty()) {
    return InvalidArgumentError("serve: --judge needs --policy (the judge is asked about the policy's categories)");
  }
  if (!o.policy.empty()) {
    ASSIGN_OR_RETURN(auto policy, guard::Policy::Load(o.policy));
    guard::GuardOptions go;
    go.audit_db = o.audit_db;
    ASSIGN_OR_RETURN(rail, guard::Guard::Create(policy, go));
    ASSIGN_OR_RETURN(judge, MakeJudgeRail(o.judge, policy));
  } else {
    if (!o.audit_db.empty()) return InvalidArgumentError("serve: --audit-db needs --policy");
    auto policy = guard::Policy::Default();
    if (policy.ok()) {
      auto g = guard::Guard::Create(*policy);
      if (g.ok()) moderation = std::move(g).value();
    }
    if (!moderation) LOG_WARN("serve: the default guard policy is unavailable; /v1/moderations is disabled");
  }

  ASSIGN_OR_RETURN(auto model, LoadModel(o.m));
  std::string note;
  ASSIGN_OR_RETURN(sample::ChatTemplate tmpl,
                   sample::ResolveChatTemplate(o.m.chat_template, model->tokenizer().chat_template(), &note));
  if (!note.empty()) LOG_WARN("serve: %s", note.c_str());

  // --lora FILE[:SCALE] applies to every request; --lora NAME=FILE[:SCALE] is chosen per request.
  ModelOptions plain = o.m;
  plain.loras.clear();
  std::vector<std::pair<std::string, std::string>> named;
  for (const auto& spec : o.adapters) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      plain.loras.push_back(spec);
      continue;
    }
    const std::string name = spec.substr(0, eq);
    if (name.empty() || name.find(':') != std::string::npos || name.find('/') != std::string::npos) {
      return InvalidArgumentError("--lora '" + spec + "': the adapter name must be non-empty without ':' or '/'");
    }
    for (const auto& [n, f] : named) {
      if (n == name) return InvalidArgumentError("--lora: the adapter name '" + name + "' is used twice");
    }
    named.push_back({name, spec.substr(eq + 1)});
  }
  ASSIGN_OR_RETURN(LoadedLoras base_loras, LoadLoras(plain, *model));
  std::vector<LoadedLoras> named_loras;
  std::vector<serve::AdapterChoice> choices;
  for (const auto& [name, file] : named) {
    ModelOptions one = o.m;
    one.loras = {file};
    ASSIGN_OR_RETURN(LoadedLoras l, LoadLoras(one, *model));
    choices.push_back({name, l.applied});
    named_loras.push_back(std::move(l));
  }

  serve::EngineOptions eo;
  eo.n_parallel = o.parallel;
  eo.n_ctx = o.m.ctx_size;
  eo.n_batch = o.batch;
  eo.prefill_chunk = o.prefill_chunk;
  eo.max_queue = o.queue;
  eo.threads = o.m.threads;
  eo.base_loras = base_loras.applied;

  // Signals go to one waiting thread (blocked everywhere else, so no handler runs mid-request).
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  ASSIGN_OR_RETURN(auto engine, serve::Engine::Create(*model, eo, choices));
  serve::ServerOptions so;
  so.host = o.host;
  so.port = o.port;
  so.model_id = o.alias.empty() ? FileStem(o.m.model) : o.alias;
  so.chat_template = tmpl;
  so.api_keys = o.api_keys;
  so.cors_origins = o.cors;
  so.max_body = o.max_body;
  so.timeout_s = o.timeout;
  so.web_dir = o.web_dir;
  so.max_queue = o.queue;
  so.guard = rail.get();
  so.moderation_guard = moderation.get();
  so.judge = judge.get();
  ASSIGN_OR_RETURN(auto server, serve::Server::Create(*engine, so));
  RETURN_IF_ERROR(server->Bind());

  std::thread signal_thread([&server, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig == SIGINT || sig == SIGTERM) {
      LOG_INFO("serve: signal %d, stopping", sig);
      server->Stop();
    }
  });
  LOG_INFO("serve: model %s (%s), %d slots x %lld tokens, template %s, %zu adapter(s)%s", so.model_id.c_str(),
           o.m.model.c_str(), eo.n_parallel, static_cast<long long>(engine->n_ctx()), sample::ChatTemplateName(tmpl),
           choices.size(), o.api_keys.empty() ? "" : ", API key required");
  std::fprintf(stderr, "sangam serve: listening on http://%s:%d\n", o.host.c_str(), server->port());
  std::fflush(stderr);
  server->Run();
  // Run returned (Stop by a signal, or the listener failed): wake the signal thread if needed.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  engine->Shutdown();
  return Status::Ok();
}

}  // namespace

Command RegisterServe(CLI::App& root) {
  auto o = std::make_shared<ServeOptions>();
  o->judge.model.threads = 1;
  CLI::App* cmd = root.add_subcommand(
      "serve", "OpenAI-compatible HTTP server (chat, completions, embeddings, moderations) with continuous "
               "batching and a web chat at /");
  AddModelOptions(cmd, &o->m, {.ctx = true, .chat_template = true, .lora = false});
  cmd->add_option("--alias", o->alias, "model id in the API (default: the model file name without extension)");
  cmd->add_option("--lora", o->adapters,
                  "adapter: NAME=FILE[:SCALE] is chosen per request with model \"<id>:NAME\"; FILE[:SCALE] without "
                  "a name applies to every request (repeatable)");
  cmd->add_option("--host", o->host, "address to bind (use 0.0.0.0 to accept other machines)")->capture_default_str();
  cmd->add_option("--port", o->port, "TCP port (0 = any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--parallel", o->parallel, "slots: requests generated at the same time, each with its own KV cache")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--queue", o->queue, "requests waiting for a slot; beyond this the server answers 429")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))->capture_default_str();
  cmd->add_option("-b,--batch", o->batch, "max tokens per forward step (all slots together)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))->capture_default_str();
  cmd->add_option("--prefill-chunk", o->prefill_chunk, "max prompt tokens of one request per step")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))->capture_default_str();
  cmd->add_option("--api-key", o->api_keys, "require 'Authorization: Bearer KEY' on /v1/* (repeatable)");
  cmd->add_option("--api-key-file", o->api_key_file, "file with one API key per line ('#' comments)");
  cmd->add_option("--cors-origin", o->cors, "allow browser requests from this origin ('*' = any; repeatable)");
  cmd->add_option("--max-body", o->max_body, "largest accepted request body in bytes")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30))->capture_default_str();
  cmd->add_option("--timeout", o->timeout, "per-request time limit in seconds")
      ->check(CLI::Range(0.001, 1e7))->capture_default_str();
  cmd->add_option("--web-dir", o->web_dir, "serve the web chat from this folder instead of the built-in files");
  cmd->add_option("--policy", o->policy, "guard policy (YAML) applied to prompts and replies, and to /v1/moderations");
  cmd->add_option("--audit-db", o->audit_db, "SQLite file for the guard's append-only audit log (needs --policy)");
  AddJudgeOptions(cmd, &o->judge,
                  " about every prompt and /v1/moderations input after the policy's rules and classifier (needs "
                  "--policy); replies are not judged",
                  "--judge-threads");
  cmd->footer(
      "Examples:\n"
      "  sangam serve -m model.gguf                       # http://127.0.0.1:8080, web chat at /\n"
      "  sangam serve -m model.gguf --lora hi=hindi.gguf  # model \"model:hi\" selects the adapter\n"
      "  sangam serve -m model.gguf --parallel 16 --api-key-file keys.txt --policy policy.yaml\n"
      "Clients: any OpenAI SDK with base_url http://HOST:PORT/v1.");
  return {cmd, [o] { return RunServe(*o); }};
}

}  // namespace sangam::cli
