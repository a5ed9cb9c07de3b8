// OpenAI API request validation and response helpers.
#include "serve/openai.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <climits>
#include <mutex>
#include <set>

namespace sangam::serve {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string ErrorBody(const ApiError& e) {
  json err = {{"message", e.message},
              {"type", e.type},
              {"param", e.param.empty() ? json(nullptr) : json(e.param)},
              {"code", e.code.empty() ? json(nullptr) : json(e.code)}};
  return Dump(json{{"error", err}});
}

ApiError InvalidRequest(std::string message, std::string param, std::string code) {
  ApiError e;
  e.status = 400;
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

std::variant<json, ApiError> ParseBody(const std::string& body) {
  if (body.empty()) return InvalidRequest("the request body is empty; send a JSON object");
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // The parser quotes the bytes it last read, which may be the ill-formed UTF-8 itself.
    const size_t cut = what.find("; last read:");
    if (cut != std::string::npos) what.resize(cut);
    return InvalidRequest("invalid JSON in the request body: " + what);
  } catch (const json::exception& e) {  // e.g. out_of_range 406: a number too large for a double
    return InvalidRequest(std::string("invalid JSON in the request body: ") + e.what());
  }
  if (!j.is_object()) return InvalidRequest("the request body must be a JSON object");
  return j;
}

namespace {

const char* TypeName(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

std::optional<ApiError> WrongType(const std::string& key, const char* want, const json& v) {
  return InvalidRequest("'" + key + "' must be " + want + ", got " + TypeName(v), key);
}

std::optional<ApiError> CheckKnown(const json& body, const std::set<std::string>& known,
                                   const std::set<std::string>& unsupported) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (unsupported.count(it.key()) != 0) {
      // Accept an explicit null/false/default for unsupported features.
      const json& v = it.value();
      if (v.is_null() || (v.is_boolean() && !v.get<bool>())) continue;
      if (it.key() == "n" && v.is_number_integer() && v.get<int64_t>() == 1) continue;
      return InvalidRequest("'" + it.key() + "' is not supported by this server", it.key(), "unsupported_parameter");
    }
    if (known.count(it.key()) == 0) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return InvalidRequest("unknown field '" + it.key() + "' (supported: " + list + ")", it.key(),
                            "unknown_parameter");
    }
  }
  return std::nullopt;
}

// A number in [lo, hi] (null = absent).
std::optional<ApiError> GetNumber(const json& body, const char* key, double lo, double hi, float* out,
                                  bool* given = nullptr) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return WrongType(key, "a number", *it);
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return InvalidRequest(StrFormat("'%s' must be between %g and %g, got %g", key, lo, hi, v), key);
  }
  *out = static_cast<float>(v);
  if (given) *given = true;
  return std::nullopt;
}

std::optional<ApiError> GetInt(const json& body, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) return WrongType(key, "an integer", *it);
  // Unsigned values beyond int64 come back as huge numbers; compare as double first.
  const double d = it->get<double>();
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    return InvalidRequest(StrFormat("'%s' must be between %lld and %lld, got %.0f", key,
                                    static_cast<long long>(lo), static_cast<long long>(hi), d), key);
  }
  *out = it->get<int64_t>();
  return std::nullopt;
}

std::optional<ApiError> GetBool(const json& body, const char* key, bool* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return WrongType(key, "a boolean", *it);
  *out = it->get<bool>();
  return std::nullopt;
}

std::optional<ApiError> GetModel(const json& body, std::string* out) {
  auto it = body.find("model");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return WrongType("model", "a string", *it);
  *out = it->get<std::string>();
  return std::nullopt;
}

// Fields shared by chat and completions.
std::optional<ApiError> ParseCommon(const json& body, GenerationParams* p) {
  sample::SamplerParams& s = p->sampling;
  s.temperature = 1.0f;
  s.top_p = 1.0f;
  s.top_k = 0;
  s.min_p = 0.0f;
  s.repeat_penalty = 1.0f;
  if (auto e = GetModel(body, &p->model)) return e;
  if (auto e = GetNumber(body, "temperature", 0, 2, &s.temperature)) return e;
  if (auto e = GetNumber(body, "top_p", 0, 1, &s.top_p)) return e;
  if (auto e = GetNumber(body, "presence_penalty", -2, 2, &s.presence_penalty)) return e;
  if (auto e = GetNumber(body, "frequency_penalty", -2, 2, &s.frequency_penalty)) return e;
  if (auto e = GetNumber(body, "min_p", 0, 1, &s.min_p)) return e;
  if (auto e = GetNumber(body, "repeat_penalty", 0.01, 10, &s.repeat_penalty)) return e;
  int64_t top_k = 0;
  if (auto e = GetInt(body, "top_k", 0, 1 << 30, &top_k)) return e;
  s.top_k = static_cast<int32_t>(top_k);
  int64_t seed = 0;
  if (body.contains("seed") && !body["seed"].is_null()) {
    if (auto e = GetInt(body, "seed", INT64_MIN, INT64_MAX, &seed)) return e;
    s.seed = static_cast<uint64_t>(seed);
    p->seed_given = true;
  } else {
    static std::mutex mu;
    static std::random_device rd;
    std::lock_guard<std::mutex> lk(mu);
    s.seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer()) return WrongType(key, "an integer", *it);
    if (it->get<double>() < 1) {
      return InvalidRequest(StrFormat("'%s' must be at least 1, got %.0f", key, it->get<double>()), key);
    }
    p->max_tokens = it->get<double>() > 1e12 ? int64_t{1} << 40 : it->get<int64_t>();
  }
  if (auto it = body.find("stop"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      p->stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > 4) return InvalidRequest("'stop' holds at most 4 strings", "stop");
      for (const json& v : *it) {
        if (!v.is_string()) return WrongType("stop", "a string or an array of strings", *it);
        p->stop.push_back(v.get<std::string>());
      }
    } else {
      return WrongType("stop", "a string or an array of strings", *it);
    }
    for (const auto& st : p->stop) {
      if (st.empty()) return InvalidRequest("'stop' strings must not be empty", "stop");
    }
  }
  if (auto e = GetBool(body, "stream", &p->stream)) return e;
  if (auto it = body.find("stream_options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return WrongType("stream_options", "an object", *it);
    for (auto f = it->begin(); f != it->end(); ++f) {
      if (f.key() != "include_usage") {
        return InvalidRequest("unknown field 'stream_options." + f.key() + "' (supported: include_usage)",
                              "stream_options." + f.key(), "unknown_parameter");
      }
      if (!f.value().is_boolean()) return WrongType("stream_options.include_usage", "a boolean", f.value());
      p->include_usage = f.value().get<bool>();
    }
  }
  if (auto e = GetBool(body, "ignore_eos", &p->ignore_eos)) return e;
  if (auto it = body.find("user"); it != body.end() && !it->is_null() && !it->is_string()) {
    return WrongType("user", "a string", *it);
  }
  if (auto it = body.find("response_format"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return WrongType("response_format", "an object", *it);
    auto t = it->find("type");
    if (t == it->end() || !t->is_string()) {
      return InvalidRequest("'response_format.type' must be one of text, json_object, json_schema",
                            "response_format.type");
    }
    const std::string type = t->get<std::string>();
    for (auto f = it->begin(); f != it->end(); ++f) {
      if (f.key() != "type" && !(type == "json_schema" && f.key() == "json_schema")) {
        return InvalidRequest("unknown field 'response_format." + f.key() + "'", "response_format." + f.key(),
                              "unknown_parameter");
      }
    }
    if (type == "text") {
      p->format = ResponseFormat::kText;
    } else if (type == "json_object") {
      p->format = ResponseFormat::kJsonObject;
      p->json = sample::JsonConstraint::AnyObject();
    } else if (type == "json_schema") {
      auto js = it->find("json_schema");
      if (js == it->end() || !js->is_object()) {
        return InvalidRequest("'response_format.json_schema' must be an object with 'name' and 'schema'",
                              "response_format.json_schema");
      }
      for (auto f = js->begin(); f != js->end(); ++f) {
        static const std::set<std::string> kKeys = {"name", "schema", "strict", "description"};
        if (kKeys.count(f.key()) == 0) {
          return InvalidRequest("unknown field 'response_format.json_schema." + f.key() + "'",
                                "response_format.json_schema." + f.key(), "unknown_parameter");
        }
      }
      auto schema = js->find("schema");
      if (schema == js->end() || !schema->is_object()) {
        return InvalidRequest("'response_format.json_schema.schema' must be a JSON Schema object",
                              "response_format.json_schema.schema");
      }
      auto c = sample::JsonConstraint::FromSchema(*schema);
      if (!c.ok()) {
        return InvalidRequest("response_format.json_schema.schema: " + c.status().message(),
                              "response_format.json_schema.schema");
      }
      p->format = ResponseFormat::kJsonSchema;
      p->json = std::move(c).value();
    } else {
      return InvalidRequest("'response_format.type' must be one of text, json_object, json_schema, got '" +
                                type + "'", "response_format.type");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> ParseContent(const json& v, const std::string& where, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return std::nullopt;
  }
  if (v.is_array()) {
    out->clear();
    for (const json& part : v) {
      if (!part.is_object() || !part.contains("type") || part["type"] != "text" || !part.contains("text") ||
          !part["text"].is_string()) {
        return InvalidRequest(where + ": content parts must be {\"type\": \"text\", \"text\": \"...\"} "
                              "(images and audio are not supported)", where);
      }
      if (!out->empty()) *out += "\n";
      *out += part["text"].get<std::string>();
    }
    return std::nullopt;
  }
  return WrongType(where, "a string or an array of text parts", v);
}

}  // namespace

std::variant<GenerationParams, ApiError> ParseChatRequest(const json& body) {
  static const std::set<std::string> kKnown = {
      "model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
      "presence_penalty", "frequency_penalty", "stream", "stream_options", "response_format", "user",
      "n", "logprobs", "top_k", "min_p", "repeat_penalty", "ignore_eos", "store", "metadata"};
  static const std::set<std::string> kUnsupported = {"n", "logprobs", "top_logprobs", "logit_bias", "tools",
                                                     "tool_choice", "functions", "function_call",
                                                     "parallel_tool_calls", "audio", "modalities", "prediction"};
  if (auto e = CheckKnown(body, kKnown, kUnsupported)) return *e;
  GenerationParams p;
  p.chat = true;
  if (auto e = ParseCommon(body, &p)) return *e;
  auto it = body.find("messages");
  if (it == body.end()) return InvalidRequest("'messages' is required", "messages");
  if (!it->is_array()) return *WrongType("messages", "an array", *it);
  if (it->empty()) return InvalidRequest("'messages' must hold at least one message", "messages");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    const std::string where = StrFormat("messages[%zu]", i);
    if (!m.is_object()) return *WrongType(where, "an object", m);
    for (auto f = m.begin(); f != m.end(); ++f) {
      if (f.key() != "role" && f.key() != "content" && f.key() != "name") {
        return InvalidRequest("unknown field '" + where + "." + f.key() + "' (supported: role, content, name)",
                              where + "." + f.key(), "unknown_parameter");
      }
    }
    if (!m.contains("role") || !m["role"].is_string()) {
      return InvalidRequest(where + ".role must be one of system, developer, user, assistant", where + ".role");
    }
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant") {
      return InvalidRequest(where + ".role must be one of system, developer, user, assistant; got '" + role + "'",
                            where + ".role");
    }
    if (!m.contains("content") || m["content"].is_null()) {
      return InvalidRequest(where + ".content is required", where + ".content");
    }
    sample::ChatMessage cm;
    cm.role = role;
    if (auto e = ParseContent(m["content"], where + ".content", &cm.content)) return *e;
    p.messages.push_back(std::move(cm));
  }
  return p;
}

std::variant<GenerationParams, ApiError> ParseCompletionRequest(const json& body) {
  static const std::set<std::string> kKnown = {
      "model", "prompt", "temperature", "top_p", "max_tokens", "stop", "seed", "presence_penalty",
      "frequency_penalty", "stream", "stream_options", "user", "n", "echo", "logprobs", "top_k", "min_p",
      "repeat_penalty", "ignore_eos", "response_format", "suffix", "best_of"};
  static const std::set<std::string> kUnsupported = {"n", "logprobs", "logit_bias", "suffix", "best_of"};
  if (auto e = CheckKnown(body, kKnown, kUnsupported)) return *e;
  GenerationParams p;
  p.chat = false;
  if (auto e = ParseCommon(body, &p)) return *e;
  if (auto e = GetBool(body, "echo", &p.echo)) return *e;
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return InvalidRequest("'prompt' is required", "prompt");
  if (it->is_string()) {
    p.prompt = it->get<std::string>();
  } else if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) {
    p.prompt = (*it)[0].get<std::string>();
  } else if (it->is_array()) {
    return InvalidRequest("'prompt' must be a single string (batched prompts are not supported; send one "
                          "request per prompt)", "prompt");
  } else {
    return *WrongType("prompt", "a string", *it);
  }
  if (p.prompt.empty()) return InvalidRequest("'prompt' must not be empty", "prompt");
  return p;
}

std::variant<EmbeddingParams, ApiError> ParseEmbeddingRequest(const json& body) {
  static const std::set<std::string> kKnown = {"model", "input", "encoding_format", "user", "dimensions"};
  static const std::set<std::string> kUnsupported = {"dimensions"};
  if (auto e = CheckKnown(body, kKnown, kUnsupported)) return *e;
  EmbeddingParams p;
  if (auto e = GetModel(body, &p.model)) return *e;
  if (auto it = body.find("encoding_format"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || (*it != "float" && *it != "base64")) {
      return InvalidRequest("'encoding_format' must be \"float\" or \"base64\"", "encoding_format");
    }
    p.base64 = *it == "base64";
  }
  auto it = body.find("input");
  if (it == body.end() || it->is_null()) return InvalidRequest("'input' is required", "input");
  auto bad = [] { return InvalidRequest("'input' must be a string, an array of strings, an array of token ids "
                                        "or an array of token-id arrays", "input"); };
  if (it->is_string()) {
    p.texts.push_back(it->get<std::string>());
  } else if (it->is_array()) {
    if (it->empty()) return InvalidRequest("'input' must not be empty", "input");
    if (it->size() > 2048) return InvalidRequest("'input' holds at most 2048 items", "input");
    const json& first = (*it)[0];
    if (first.is_string()) {
      for (const json& v : *it) {
        if (!v.is_string()) return bad();
        p.texts.push_back(v.get<std::string>());
      }
    } else if (first.is_number_integer()) {
      std::vector<int32_t> ids;
      for (const json& v : *it) {
        if (!v.is_number_integer() || v.get<double>() < 0 || v.get<double>() > INT32_MAX) return bad();
        ids.push_back(v.get<int32_t>());
      }
      p.token_ids.push_back(std::move(ids));
    } else if (first.is_array()) {
      for (const json& a : *it) {
        if (!a.is_array() || a.empty()) return bad();
        std::vector<int32_t> ids;
        for (const json& v : a) {
          if (!v.is_number_integer() || v.get<double>() < 0 || v.get<double>() > INT32_MAX) return bad();
          ids.push_back(v.get<int32_t>());
        }
        p.token_ids.push_back(std::move(ids));
      }
    } else {
      return bad();
    }
  } else {
    return bad();
  }
  for (const auto& t : p.texts) {
    if (t.empty()) return InvalidRequest("'input' strings must not be empty", "input");
  }
  return p;
}

std::string EmbeddingBase64(const std::vector<float>& v) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(v.size() * 4, '\0');
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());  // x86-64: little-endian already
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string NewId(const char* prefix) {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id = prefix;
  id += '-';
  std::lock_guard<std::mutex> lk(mu);
  for (int i = 0; i < 24; ++i) id += kChars[rng() % 62];
  return id;
}

}  // namespace sangam::serve
