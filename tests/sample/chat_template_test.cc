// Tests for chat template rendering and detection against the formats' published documentation.
#include "sangam/chat_template.h"

#include <gtest/gtest.h>

namespace sangam::sample {
namespace {

const std::vector<ChatMessage> kTwoTurns = {
    {"user", "Hello, how are you?"},
    {"assistant", "Fine, and you?"},
    {"user", "I'm doing great!"},
};

TEST(ChatTemplateTest, MistralMatchesCookbookTable) {
  // docs.mistral.ai/cookbook/concept-deep-dive-tokenization-templates, "Basic String Chat
  // Template" column, with the leading <s> (BOS, added by the tokenizer) removed.
  std::vector<ChatMessage> msgs = kTwoTurns;
  msgs.push_back({"assistant", "Glad to hear!"});
  EXPECT_EQ(RenderChat(ChatTemplate::kMistralV1, msgs, false),
            " [INST] Hello, how are you? [/INST] Fine, and you?</s> [INST] I'm doing great! "
            "[/INST] Glad to hear!</s>");
  EXPECT_EQ(RenderChat(ChatTemplate::kMistralV3, msgs, false),
            "[INST] Hello, how are you?[/INST] Fine, and you?</s>[INST] I'm doing great![/INST] "
            "Glad to hear!</s>");
  EXPECT_EQ(RenderChat(ChatTemplate::kMistralV3Tekken, msgs, false),
            "[INST]Hello, how are you?[/INST]Fine, and you?</s>[INST]I'm doing great![/INST]Glad "
            "to hear!</s>");
}

TEST(ChatTemplateTest, MistralV7SystemPrompt) {
  // Mistral-Large-Instruct-2411 model card, "Basic Instruct Template (V7)":
  // <s>[SYSTEM_PROMPT] <system prompt>[/SYSTEM_PROMPT][INST] <user message>[/INST] <assistant
  // response></s>[INST] <user message>[/INST]
  std::vector<ChatMessage> msgs = {{"system", "S"}, {"user", "U1"}, {"assistant", "A1"}, {"user", "U2"}};
  EXPECT_EQ(RenderChat(ChatTemplate::kMistralV7, msgs, true),
            "[SYSTEM_PROMPT] S[/SYSTEM_PROMPT][INST] U1[/INST] A1</s>[INST] U2[/INST]");
  EXPECT_EQ(RenderChat(ChatTemplate::kMistralV7Tekken, msgs, true),
            "[SYSTEM_PROMPT]S[/SYSTEM_PROMPT][INST]U1[/INST]A1</s>[INST]U2[/INST]");
}

TEST(ChatTemplateTest, Llama2MatchesHuggingFaceBlog) {
  // huggingface.co/blog/llama2#how-to-prompt-llama-2:
  // <s>[INST] <<SYS>>\n{{ system_prompt }}\n<</SYS>>\n\n{{ user_message }} [/INST]
  std::vector<ChatMessage> msgs = {{"system", "You are helpful."}, {"user", "Hi"}};
  EXPECT_EQ(RenderChat(ChatTemplate::kLlama2Sys, msgs, true),
            "[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi [/INST]");
  // Multi-turn: "... [/INST] {{ model_answer_1 }} </s><s>[INST] {{ user_msg_2 }} [/INST]"
  // (the -bos variant keeps the <s>; the answer's surrounding spaces are the model's own).
  std::vector<ChatMessage> turns = {{"user", "U1"}, {"assistant", " A1 "}, {"user", "U2"}};
  EXPECT_EQ(RenderChat(ChatTemplate::kLlama2SysBos, turns, true),
            "[INST] U1 [/INST] A1 </s><s>[INST] U2 [/INST]");
  EXPECT_EQ(RenderChat(ChatTemplate::kLlama2, turns, true), "[INST] U1 [/INST] A1 </s>[INST] U2 [/INST]");
  EXPECT_EQ(RenderChat(ChatTemplate::kLlama2SysStrip, turns, true),
            "[INST] U1 [/INST]A1</s>[INST] U2 [/INST]");
}

TEST(ChatTemplateTest, Llama3MatchesModelCard) {
  // Meta Llama 3 model card / llama-recipes prompt format:
  // <|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{{ system_prompt }}<|eot_id|>
  // <|start_header_id|>user<|end_header_id|>\n\n{{ user_message }}<|eot_id|>
  // <|start_header_id|>assistant<|end_header_id|>\n\n
  std::vector<ChatMessage> msgs = {{"system", "Be brief."}, {"user", "What is 2+2?"}};
  EXPECT_EQ(RenderChat(ChatTemplate::kLlama3, msgs, true),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(RenderChat(ChatTemplate::kLlama3, msgs, false).find("assistant"), std::string::npos);
}

TEST(ChatTemplateTest, ChatmlMatchesSpec) {
  // OpenAI ChatML (also Qwen's tokenizer_config.json): <|im_start|>{role}\n{content}<|im_end|>\n
  std::vector<ChatMessage> msgs = {{"system", "S"}, {"user", "U"}};
  EXPECT_EQ(RenderChat(ChatTemplate::kChatml, msgs, true),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(RenderChat(ChatTemplate::kChatml, msgs, false),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
}

TEST(ChatTemplateTest, GemmaMatchesModelCard) {
  // google/gemma-7b-it model card: <start_of_turn>user\n{prompt}<end_of_turn>\n
  // <start_of_turn>model\n ; Gemma has no system role, so it is merged into the first user turn.
  std::vector<ChatMessage> msgs = {{"system", "S"}, {"user", "knock knock"},
                                   {"assistant", "who is there"}, {"user", "Gemma"}};
  EXPECT_EQ(RenderChat(ChatTemplate::kGemma, msgs, true),
            "<start_of_turn>user\nS\n\nknock knock<end_of_turn>\n"
            "<start_of_turn>model\nwho is there<end_of_turn>\n"
            "<start_of_turn>user\nGemma<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplateTest, DetectsFromJinjaMarkers) {
  // Excerpts of the templates shipped in the models' tokenizer_config.json.
  EXPECT_EQ(*DetectChatTemplate("{% for message in messages %}{{'<|im_start|>' + message['role'] + "
                                "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"),
            ChatTemplate::kChatml);
  EXPECT_EQ(*DetectChatTemplate("{{ bos_token }}{% for message in messages %}{% set content = "
                                "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
                                "+ message['content'] | trim + '<|eot_id|>' %}{% endfor %}"),
            ChatTemplate::kLlama3);
  EXPECT_EQ(*DetectChatTemplate("{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + "
                                "role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
                                "{% endfor %}"),
            ChatTemplate::kGemma);
  EXPECT_EQ(*DetectChatTemplate("{% if message['role'] == 'system' %}{{ '<<SYS>>\\n' + "
                                "content.strip() + '\\n<</SYS>>\\n\\n' }}{% endif %}"
                                "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"),
            ChatTemplate::kLlama2SysStrip);
  EXPECT_EQ(*DetectChatTemplate("{{ bos_token }}{% for m in messages %}{{ ' [INST] ' + "
                                "m['content'] + ' [/INST]' }}{% endfor %}"),
            ChatTemplate::kLlama2);
  EXPECT_EQ(*DetectChatTemplate("{{ '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}"
                                "{{ '[INST]' }}"),
            ChatTemplate::kMistralV7);
  EXPECT_EQ(*DetectChatTemplate("{%- if message['role'] == 'user' %}{{- '[AVAILABLE_TOOLS] [' }}"
                                "{{- '[INST] ' + message['content'] + '[/INST]' }}"),
            ChatTemplate::kMistralV3);
  EXPECT_EQ(*DetectChatTemplate("llama3"), ChatTemplate::kLlama3);
  EXPECT_FALSE(DetectChatTemplate("{{ messages }} plain").ok());
}

TEST(ChatTemplateTest, UnknownNameListsValidNamesAndOption) {
  auto r = ChatTemplateFromName("llama9");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("--chat-template"), std::string::npos) << msg;
  EXPECT_NE(msg.find("llama9"), std::string::npos) << msg;
  for (const char* n : {"llama2", "llama3", "chatml", "gemma", "mistral-v1", "mistral-v3", "mistral-v7"}) {
    EXPECT_NE(msg.find(n), std::string::npos) << n;
  }
  for (const auto& n : ChatTemplateNames()) {
    auto t = ChatTemplateFromName(n);
    ASSERT_TRUE(t.ok()) << n;
    EXPECT_EQ(ChatTemplateName(*t), n);
  }
}

TEST(ChatTemplateTest, ResolveFallsBackToChatml) {
  std::string note;
  EXPECT_EQ(*ResolveChatTemplate("", "", &note), ChatTemplate::kChatml);
  EXPECT_FALSE(note.empty());
  EXPECT_EQ(*ResolveChatTemplate("gemma", "<|im_start|>"), ChatTemplate::kGemma);
  EXPECT_EQ(*ResolveChatTemplate("", "<start_of_turn>"), ChatTemplate::kGemma);
  EXPECT_FALSE(ResolveChatTemplate("nope", "").ok());
}

}  // namespace
}  // namespace sangam::sample
