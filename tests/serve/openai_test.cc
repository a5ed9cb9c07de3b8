// OpenAI request validation: accepted shapes become engine parameters; every malformed shape is
// a 400 naming the parameter.
#include "serve/openai.h"

#include <gtest/gtest.h>

#include <cstring>

namespace sangam::serve {
namespace {

using nlohmann::json;

GenerationParams Chat(const std::string& body) {
  auto j = ParseBody(body);
  EXPECT_TRUE(std::holds_alternative<json>(j)) << body;
  auto p = ParseChatRequest(std::get<json>(j));
  if (auto* e = std::get_if<ApiError>(&p)) {
    ADD_FAILURE() << body << " -> " << e->message;
    return {};
  }
  return std::get<GenerationParams>(p);
}

ApiError ChatError(const std::string& body) {
  auto j = ParseBody(body);
  if (auto* e = std::get_if<ApiError>(&j)) return *e;
  auto p = ParseChatRequest(std::get<json>(j));
  if (auto* e = std::get_if<ApiError>(&p)) return *e;
  ADD_FAILURE() << body << " was accepted";
  return {};
}

TEST(OpenAiTest, ParsesAChatRequest) {
  const GenerationParams p = Chat(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
      "temperature":0.5,"top_p":0.9,"max_completion_tokens":7,"stop":["x","y"],"seed":42,
      "presence_penalty":0.1,"frequency_penalty":-0.2,"stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_EQ(p.model, "m");
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[1].content, "a\nb");
  EXPECT_FLOAT_EQ(p.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(p.sampling.top_p, 0.9f);
  EXPECT_EQ(p.sampling.top_k, 0);  // OpenAI semantics: no top-k unless asked
  EXPECT_EQ(p.max_tokens, 7);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(p.sampling.seed, 42u);
  EXPECT_TRUE(p.seed_given);
  EXPECT_TRUE(p.stream);
  EXPECT_TRUE(p.include_usage);
  EXPECT_FLOAT_EQ(p.sampling.frequency_penalty, -0.2f);
}

TEST(OpenAiTest, DefaultsFollowOpenAi) {
  const GenerationParams p = Chat(R"({"messages":[{"role":"user","content":"hi"}]})");
  EXPECT_FLOAT_EQ(p.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(p.sampling.top_p, 1.0f);
  EXPECT_EQ(p.max_tokens, -1);
  EXPECT_FALSE(p.stream);
  EXPECT_FALSE(p.seed_given);
  EXPECT_EQ(p.format, ResponseFormat::kText);
  EXPECT_EQ(Chat(R"({"messages":[{"role":"developer","content":"x"},{"role":"user","content":"y"}]})").messages[0].role,
            "system");
}

TEST(OpenAiTest, RejectsMalformedRequestsNamingTheParameter) {
  struct Case {
    const char* body;
    const char* param;
    const char* needle;
  };
  const Case cases[] = {
      {R"({"messages":5})", "messages", "array"},
      {R"({})", "messages", "required"},
      {R"({"messages":[]})", "messages", "at least one"},
      {R"({"messages":[{"role":"robot","content":"x"}]})", "messages[0].role", "robot"},
      {R"({"messages":[{"role":"user"}]})", "messages[0].content", "required"},
      {R"({"messages":[{"role":"user","content":"x","extra":1}]})", "messages[0].extra", "unknown"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})", "messages[0].content", "text"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature", "number"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", "temperature", "between"},
      {R"({"messages":[{"role":"user","content":"x"}],"top_p":-0.1})", "top_p", "between"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":-1})", "max_tokens", "at least 1"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":2.5})", "max_tokens", "integer"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":7})", "stop", "string"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})", "stop", "at most 4"},
      {R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream", "boolean"},
      {R"({"messages":[{"role":"user","content":"x"}],"foo":1})", "foo", "unknown field"},
      {R"({"messages":[{"role":"user","content":"x"}],"n":2})", "n", "not supported"},
      {R"({"messages":[{"role":"user","content":"x"}],"tools":[{}]})", "tools", "not supported"},
      {R"({"messages":[{"role":"user","content":"x"}],"model":3})", "model", "string"},
      {R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}})", "response_format.type", "xml"},
      {R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}})",
       "response_format.json_schema", "schema"},
      {R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema",
          "json_schema":{"name":"a","schema":{"type":"object","patternProperties":{}}}}})",
       "response_format.json_schema.schema", "patternProperties"},
      {R"({"messages":[{"role":"user","content":"x"}],"stream_options":{"bogus":true}})", "stream_options.bogus",
       "unknown"},
  };
  for (const Case& c : cases) {
    const ApiError e = ChatError(c.body);
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.type, "invalid_request_error") << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_NE(e.message.find(c.needle), std::string::npos) << c.body << " -> " << e.message;
  }
}

TEST(OpenAiTest, BodyErrors) {
  EXPECT_NE(std::get<ApiError>(ParseBody("")).message.find("empty"), std::string::npos);
  EXPECT_NE(std::get<ApiError>(ParseBody("{bad")).message.find("invalid JSON"), std::string::npos);
  EXPECT_NE(std::get<ApiError>(ParseBody("[1,2]")).message.find("object"), std::string::npos);
  // A number too large for a double (found by the request fuzzer) is a 400, not an exception.
  for (const char* big : {"2e2222", "{\"temperature\": 1e999}"}) {
    const auto r = ParseBody(big);
    ASSERT_TRUE(std::holds_alternative<ApiError>(r)) << big;
    EXPECT_NE(std::get<ApiError>(r).message.find("invalid JSON"), std::string::npos) << big;
  }
  const ApiError utf8 = std::get<ApiError>(ParseBody("{\"a\":\"\xff\xfe\"}"));
  EXPECT_NE(utf8.message.find("UTF-8"), std::string::npos) << utf8.message;
  // The error body itself is valid JSON in OpenAI's shape.
  const json e = json::parse(ErrorBody(utf8));
  EXPECT_TRUE(e["error"]["message"].is_string());
  EXPECT_TRUE(e["error"]["param"].is_null());
}

TEST(OpenAiTest, ResponseFormats) {
  EXPECT_EQ(Chat(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})").format,
            ResponseFormat::kJsonObject);
  const GenerationParams p = Chat(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema",
      "json_schema":{"name":"p","strict":true,"schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}})");
  EXPECT_EQ(p.format, ResponseFormat::kJsonSchema);
  ASSERT_NE(p.json, nullptr);
}

TEST(OpenAiTest, CompletionsAndEmbeddings) {
  auto c = ParseCompletionRequest(json::parse(R"({"prompt":"Once","max_tokens":3,"echo":true})"));
  ASSERT_TRUE(std::holds_alternative<GenerationParams>(c));
  EXPECT_EQ(std::get<GenerationParams>(c).prompt, "Once");
  EXPECT_TRUE(std::get<GenerationParams>(c).echo);
  EXPECT_EQ(std::get<ApiError>(ParseCompletionRequest(json::parse(R"({"prompt":["a","b"]})"))).param, "prompt");
  EXPECT_EQ(std::get<ApiError>(ParseCompletionRequest(json::parse(R"({"prompt":""})"))).param, "prompt");

  auto e = ParseEmbeddingRequest(json::parse(R"({"input":["a","b"],"encoding_format":"base64"})"));
  ASSERT_TRUE(std::holds_alternative<EmbeddingParams>(e));
  EXPECT_EQ(std::get<EmbeddingParams>(e).texts.size(), 2u);
  EXPECT_TRUE(std::get<EmbeddingParams>(e).base64);
  auto ids = ParseEmbeddingRequest(json::parse(R"({"input":[[1,2],[3]]})"));
  ASSERT_TRUE(std::holds_alternative<EmbeddingParams>(ids));
  EXPECT_EQ(std::get<EmbeddingParams>(ids).token_ids.size(), 2u);
  for (const char* bad : {R"({"input":5})", R"({"input":[]})", R"({"input":[1,"a"]})", R"({"input":[-1]})",
                          R"({})", R"({"input":"a","encoding_format":"hex"})", R"({"input":[""]})"}) {
    EXPECT_TRUE(std::holds_alternative<ApiError>(ParseEmbeddingRequest(json::parse(bad)))) << bad;
  }
}

TEST(OpenAiTest, Base64EmbeddingIsLittleEndianFloat32) {
  const std::vector<float> v = {1.0f, -2.5f};
  // 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0 -> base64 of those 8 bytes.
  EXPECT_EQ(EmbeddingBase64(v), "AACAPwAAIMA=");
  EXPECT_EQ(EmbeddingBase64({}), "");
}

}  // namespace
}  // namespace sangam::serve
