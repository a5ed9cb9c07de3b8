// OpenAI API request parsing and response shapes, independent of HTTP: strict validation of
// chat/completions/embeddings bodies (types, ranges, unknown fields) into engine requests, and
// the JSON objects the API returns. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sangam/chat_template.h"
#include "sangam/json_constraint.h"
#include "sangam/sample.h"

namespace sangam::serve {

// An error in OpenAI's shape: {"error":{"message","type","param","code"}} with an HTTP status.
struct ApiError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string param;  // empty -> null
  std::string code;   // empty -> null
};
std::string ErrorBody(const ApiError& e);
ApiError InvalidRequest(std::string message, std::string param = "", std::string code = "");

// Serialises JSON for the wire; invalid UTF-8 in strings (never expected) becomes U+FFFD.
std::string Dump(const nlohmann::json& j);

// Parses a request body into a JSON object: 400 for invalid JSON (the parser's message, incl.
// ill-formed UTF-8) or a non-object.
std::variant<nlohmann::json, ApiError> ParseBody(const std::string& body);

enum class ResponseFormat { kText, kJsonObject, kJsonSchema };

// A validated /v1/chat/completions or /v1/completions request.
struct GenerationParams {
  std::string model;                         // as given ("" = not given)
  bool chat = true;
  std::vector<sample::ChatMessage> messages;  // chat
  std::string prompt;                         // completions
  sample::SamplerParams sampling;
  bool seed_given = false;
  int64_t max_tokens = -1;                    // -1 = not given
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;
  bool echo = false;                          // completions: prepend the prompt
  bool ignore_eos = false;                    // extension (llama.cpp server): for benchmarks
  ResponseFormat format = ResponseFormat::kText;
  std::shared_ptr<const sample::JsonConstraint> json;  // kJsonObject / kJsonSchema
};

// Fields follow OpenAI's API reference; unknown top-level fields are rejected (400 naming them).
// Sampling defaults are OpenAI's (temperature 1, top_p 1, no top-k/min-p); extensions accepted:
// top_k, min_p, repeat_penalty, ignore_eos.
std::variant<GenerationParams, ApiError> ParseChatRequest(const nlohmann::json& body);
std::variant<GenerationParams, ApiError> ParseCompletionRequest(const nlohmann::json& body);

// A validated /v1/embeddings request: texts or token-id arrays.
struct EmbeddingParams {
  std::string model;
  std::vector<std::string> texts;               // when the input was text
  std::vector<std::vector<int32_t>> token_ids;  // when the input was token ids
  bool base64 = false;                          // encoding_format "base64"
};
std::variant<EmbeddingParams, ApiError> ParseEmbeddingRequest(const nlohmann::json& body);

// Float32 little-endian bytes, base64-encoded (the API's encoding_format "base64").
std::string EmbeddingBase64(const std::vector<float>& v);

// Random ids "chatcmpl-...", "cmpl-..." (24 alphanumerics).
std::string NewId(const char* prefix);

}  // namespace sangam::serve
