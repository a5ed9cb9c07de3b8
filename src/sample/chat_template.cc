// Hand-written renderers for common chat formats and marker-based detection from Jinja text.
#include <string_view>

#include "sangam/chat_template.h"

namespace sangam::sample {
namespace {

struct NamedTemplate {
  const char* name;
  ChatTemplate t;
};

constexpr NamedTemplate kTemplates[] = {
    {"chatml", ChatTemplate::kChatml},
    {"llama2", ChatTemplate::kLlama2},
    {"llama2-sys", ChatTemplate::kLlama2Sys},
    {"llama2-sys-bos", ChatTemplate::kLlama2SysBos},
    {"llama2-sys-strip", ChatTemplate::kLlama2SysStrip},
    {"llama3", ChatTemplate::kLlama3},
    {"gemma", ChatTemplate::kGemma},
    {"mistral-v1", ChatTemplate::kMistralV1},
    {"mistral-v3", ChatTemplate::kMistralV3},
    {"mistral-v3-tekken", ChatTemplate::kMistralV3Tekken},
    {"mistral-v7", ChatTemplate::kMistralV7},
    {"mistral-v7-tekken", ChatTemplate::kMistralV7Tekken},
    {"phi3", ChatTemplate::kPhi3},
    {"zephyr", ChatTemplate::kZephyr},
};

std::string Trim(std::string_view s) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// Llama 2 chat (https://huggingface.co/blog/llama2#how-to-prompt-llama-2):
// <s>[INST] <<SYS>>\n{sys}\n<</SYS>>\n\n{user} [/INST] {answer} </s><s>[INST] {user} [/INST]
// The first <s> is the tokenizer's BOS; turns after the first start with "[INST] " (plus "<s>"
// in the -bos variant).
void RenderLlama2(ChatTemplate t, const std::vector<ChatMessage>& msgs, std::string& out) {
  const bool sys_block = t != ChatTemplate::kLlama2;
  const bool bos_in_history = t == ChatTemplate::kLlama2SysBos;
  const bool strip = t == ChatTemplate::kLlama2SysStrip;
  bool in_turn = true;
  out += "[INST] ";
  for (const auto& m : msgs) {
    const std::string content = strip ? Trim(m.content) : m.content;
    if (!in_turn) {
      out += bos_in_history ? "<s>[INST] " : "[INST] ";
      in_turn = true;
    }
    if (m.role == "system") {
      if (sys_block) {
        out += "<<SYS>>\n" + content + "\n<</SYS>>\n\n";
      } else {
        out += content + "\n";
      }
    } else if (m.role == "user") {
      out += content + " [/INST]";
    } else {
      out += content + "</s>";
      in_turn = false;
    }
  }
}

// Mistral v1 / v3 / v3-tekken (mistralai cookbook, concept-deep-dive/tokenization/templates.md):
// v1: " [INST] {sys}\n\n{user} [/INST] {answer}</s>"; v3: "[INST] {user}[/INST] {answer}</s>";
// v3-tekken: "[INST]{user}[/INST]{answer}</s>".
void RenderMistralV1V3(ChatTemplate t, const std::vector<ChatMessage>& msgs, std::string& out) {
  const std::string lead = t == ChatTemplate::kMistralV1 ? " " : "";
  const std::string trail = t == ChatTemplate::kMistralV3Tekken ? "" : " ";
  const bool trim_answer = t == ChatTemplate::kMistralV3;
  bool in_turn = false;
  for (const auto& m : msgs) {
    if (!in_turn) {
      out += lead + "[INST]" + trail;
      in_turn = true;
    }
    if (m.role == "system") {
      out += m.content + "\n\n";
    } else if (m.role == "user") {
      out += m.content + lead + "[/INST]";
    } else {
      out += trail + (trim_answer ? Trim(m.content) : m.content) + "</s>";
      in_turn = false;
    }
  }
}

// Mistral v7 (Mistral-Large-Instruct-2411 model card):
// "[SYSTEM_PROMPT] {sys}[/SYSTEM_PROMPT][INST] {user}[/INST] {answer}</s>"; tekken has no spaces.
void RenderMistralV7(ChatTemplate t, const std::vector<ChatMessage>& msgs, std::string& out) {
  const std::string sp = t == ChatTemplate::kMistralV7 ? " " : "";
  for (const auto& m : msgs) {
    if (m.role == "system") {
      out += "[SYSTEM_PROMPT]" + sp + m.content + "[/SYSTEM_PROMPT]";
    } else if (m.role == "user") {
      out += "[INST]" + sp + m.content + "[/INST]";
    } else {
      out += sp + m.content + "</s>";
    }
  }
}

// Gemma (google/gemma-7b-it model card): no system role, so a system message is prepended to
// the next user turn; "assistant" is called "model".
void RenderGemma(const std::vector<ChatMessage>& msgs, bool add_gen, std::string& out) {
  std::string pending_system;
  for (const auto& m : msgs) {
    if (m.role == "system") {
      pending_system += Trim(m.content);
      continue;
    }
    const std::string role = m.role == "assistant" ? "model" : m.role;
    out += "<start_of_turn>" + role + "\n";
    if (!pending_system.empty() && role != "model") {
      out += pending_system + "\n\n";
      pending_system.clear();
    }
    out += Trim(m.content) + "<end_of_turn>\n";
  }
  if (add_gen) out += "<start_of_turn>model\n";
}

}  // namespace

const char* ChatTemplateName(ChatTemplate t) {
  for (const auto& nt : kTemplates) {
    if (nt.t == t) return nt.name;
  }
  return "unknown";
}

std::vector<std::string> ChatTemplateNames() {
  std::vector<std::string> names;
  for (const auto& nt : kTemplates) names.emplace_back(nt.name);
  return names;
}

Result<ChatTemplate> ChatTemplateFromName(const std::string& name) {
  for (const auto& nt : kTemplates) {
    if (name == nt.name) return nt.t;
  }
  std::string valid;
  for (const auto& nt : kTemplates) {
    if (!valid.empty()) valid += ", ";
    valid += nt.name;
  }
  return InvalidArgumentError("unknown chat template '" + name +
                              "' (--chat-template); valid names: " + valid);
}

Result<ChatTemplate> DetectChatTemplate(const std::string& jinja) {
  auto named = ChatTemplateFromName(jinja);
  if (named.ok()) return named;
  auto has = [&jinja](const char* marker) { return jinja.find(marker) != std::string::npos; };
  // Marker order follows llama.cpp's llm_chat_detect_template.
  if (has("<|im_start|>")) return ChatTemplate::kChatml;
  if (jinja.rfind("mistral", 0) == 0 || has("[INST]")) {
    if (has("[SYSTEM_PROMPT]")) return ChatTemplate::kMistralV7;
    if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      if (has(" [INST]")) return ChatTemplate::kMistralV1;
      if (has("\"[INST]\"")) return ChatTemplate::kMistralV3Tekken;
      return ChatTemplate::kMistralV3;
    }
    if (has("content.strip()")) return ChatTemplate::kLlama2SysStrip;
    if (has("bos_token + '[INST]")) return ChatTemplate::kLlama2SysBos;
    if (has("<<SYS>>")) return ChatTemplate::kLlama2Sys;
    return ChatTemplate::kLlama2;
  }
  if (has("<|assistant|>") && has("<|end|>")) return ChatTemplate::kPhi3;
  if (has("<|user|>") && has("<|endoftext|>")) return ChatTemplate::kZephyr;
  if (has("<start_of_turn>")) return ChatTemplate::kGemma;
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return ChatTemplate::kLlama3;
  return NotFoundError("chat template: no known format matches the model's chat template");
}

Result<ChatTemplate> ResolveChatTemplate(const std::string& option, const std::string& model_template,
                                         std::string* note) {
  if (!option.empty()) return ChatTemplateFromName(option);
  if (!model_template.empty()) {
    auto detected = DetectChatTemplate(model_template);
    if (detected.ok()) return detected;
    if (note) *note = "the model's chat template is not a known format; using chatml (choose one with --chat-template)";
    return ChatTemplate::kChatml;
  }
  if (note) *note = "the model has no chat template; using chatml (choose one with --chat-template)";
  return ChatTemplate::kChatml;
}

std::string RenderChat(ChatTemplate t, const std::vector<ChatMessage>& msgs,
                       bool add_generation_prompt) {
  std::string out;
  switch (t) {
    case ChatTemplate::kChatml:
      // ChatML (OpenAI; Qwen / Hermes tokenizer_config.json).
      for (const auto& m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    case ChatTemplate::kLlama2:
    case ChatTemplate::kLlama2Sys:
    case ChatTemplate::kLlama2SysBos:
    case ChatTemplate::kLlama2SysStrip:
      RenderLlama2(t, msgs, out);
      break;
    case ChatTemplate::kLlama3:
      // Meta Llama 3 model card: header, blank line, trimmed content, <|eot_id|>.
      for (const auto& m : msgs) {
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + Trim(m.content) +
               "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatTemplate::kGemma:
      RenderGemma(msgs, add_generation_prompt, out);
      break;
    case ChatTemplate::kMistralV1:
    case ChatTemplate::kMistralV3:
    case ChatTemplate::kMistralV3Tekken:
      RenderMistralV1V3(t, msgs, out);
      break;
    case ChatTemplate::kMistralV7:
    case ChatTemplate::kMistralV7Tekken:
      RenderMistralV7(t, msgs, out);
      break;
    case ChatTemplate::kPhi3:
      for (const auto& m : msgs) out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
      if (add_generation_prompt) out += "<|assistant|>\n";
      break;
    case ChatTemplate::kZephyr:
      for (const auto& m : msgs) out += "<|" + m.role + "|>\n" + m.content + "<|endoftext|>\n";
      if (add_generation_prompt) out += "<|assistant|>\n";
      break;
  }
  return out;
}

}  // namespace sangam::sample
