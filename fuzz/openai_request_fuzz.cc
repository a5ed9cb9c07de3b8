// libFuzzer target: OpenAI request bodies (any bytes) through parsing and validation of every
// endpoint, and constrained-JSON compilation of any schema they carry. Must never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "serve/openai.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto parsed = sangam::serve::ParseBody(body);
  if (auto* j = std::get_if<nlohmann::json>(&parsed)) {
    (void)sangam::serve::ParseChatRequest(*j);
    (void)sangam::serve::ParseCompletionRequest(*j);
    (void)sangam::serve::ParseEmbeddingRequest(*j);
    auto sc = sangam::sample::JsonConstraint::FromSchema(*j);
    if (sc.ok()) {
      sangam::sample::JsonMatcher m(*sc);
      m.Feed(body.substr(0, 64));
      (void)m.ShortestCompletion();
    }
  } else {
    (void)sangam::serve::ErrorBody(std::get<sangam::serve::ApiError>(parsed));
  }
  return 0;
}
