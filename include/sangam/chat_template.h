// Chat templates: rendering a conversation of {role, content} messages into a model's prompt
// format (llama2, llama3, chatml, gemma, mistral v1/v3/v7, ...), chosen by name or detected from
// the model's `tokenizer.chat_template` Jinja text by distinctive markers (as llama.cpp does).
//
// This is not a Jinja interpreter: each supported format is hand-written. Rendered prompts do NOT
// start with the BOS token: the tokenizer adds it (EncodeOptions::add_bos). Special-token text in
// the output ("<|im_start|>", "[INST]", ...) must be tokenized with parse_special = true.
// All functions are pure and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "sangam/status.h"

namespace sangam::sample {

struct ChatMessage {
  std::string role;     // "system", "user" or "assistant"
  std::string content;
};

enum class ChatTemplate {
  kChatml,
  kLlama2,           // [INST] ... [/INST], system prompt folded into the first user turn
  kLlama2Sys,        // with <<SYS>> ... <</SYS>> blocks
  kLlama2SysBos,     // ... and <s> before every later [INST]
  kLlama2SysStrip,   // ... and message contents trimmed
  kLlama3,
  kGemma,
  kMistralV1,
  kMistralV3,
  kMistralV3Tekken,
  kMistralV7,
  kMistralV7Tekken,
  kPhi3,
  kZephyr,
};

// The option name used everywhere: "chatml", "llama2", "llama2-sys", "llama3", "gemma",
// "mistral-v1", "mistral-v7-tekken", ...
const char* ChatTemplateName(ChatTemplate t);
std::vector<std::string> ChatTemplateNames();

// By name; InvalidArgument listing the valid names and naming the --chat-template option.
Result<ChatTemplate> ChatTemplateFromName(const std::string& name);

// From a model's Jinja chat template (or a template name); NotFound when no known format matches.
Result<ChatTemplate> DetectChatTemplate(const std::string& jinja);

// Chooses the template for a model: `option` (a name; empty = not given) wins; else detection
// from `model_template`; else chatml (the common default). `note` (optional) receives a short
// explanation when falling back.
Result<ChatTemplate> ResolveChatTemplate(const std::string& option, const std::string& model_template,
                                         std::string* note = nullptr);

// Renders messages; with add_generation_prompt the text ends with the assistant-turn opener
// (for formats that have one).
std::string RenderChat(ChatTemplate t, const std::vector<ChatMessage>& messages,
                       bool add_generation_prompt);

}  // namespace sangam::sample
