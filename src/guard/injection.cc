// Prompt-injection and jailbreak heuristics: weighted cues in several languages, matched on the
// normalised text with one RE2::Set and combined as a noisy-OR, plus long base64 blobs.
#include <re2/re2.h>
#include <re2/set.h>

#include <cctype>
#include <string>
#include <vector>

#include "guard/internal.h"
#include "sangam/log.h"

namespace sangam::guard::internal {
namespace {

struct Cue {
  const char* regex;  // on the normalised (case-folded) text
  float weight;       // probability-like strength of this cue alone
  const char* label;
};

// Native-speaker review wanted for the non-English cues (marked in docs/GUARD.md).
const Cue kCues[] = {
    // English.
    {R"((?:ignore|disregard|forget|skip|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|of\s+)*(?:previous|prior|above|earlier|preceding|original|initial|system)\s+(?:instructions?|prompts?|rules|directions|guidelines|messages?|context))", 0.9f, "ignore previous instructions"},
    {R"((?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:you\s+(?:were|have\s+been)\s+told|above|before))", 0.8f, "ignore everything above"},
    {R"(you\s+are\s+(?:now\s+)?(?:dan|stan|dude|aim|an?\s+unrestricted|an?\s+unfiltered|jailbroken|evil|no\s+longer\s+(?:an?\s+)?(?:ai|assistant|bound)))", 0.85f, "persona override (you are now ...)"},
    {R"(\bdo\s+anything\s+now\b)", 0.8f, "DAN (do anything now)"},
    {R"((?:developer|god|sudo|admin|debug|unrestricted|jailbreak)\s+mode)", 0.4f, "developer mode"},
    {R"((?:pretend|act|imagine|behave|respond)\s+(?:as\s+if\s+|like\s+|that\s+)?(?:you\s+)?(?:have|are|had|were)\s+(?:no|without|free\s+(?:of|from))\s+(?:\w+\s+)?(?:restrictions|limits|limitations|rules|filters|guidelines|censorship|boundaries))", 0.8f, "pretend to have no restrictions"},
    {R"((?:repeat|print|show|reveal|output|display|tell\s+me|write\s+out|leak|what\s+(?:is|are|was))\s+(?:me\s+)?(?:your|the)\s+(?:\w+\s+)?(?:system|initial|hidden|original|secret|first)\s+(?:prompt|instructions?|message|rules))", 0.8f, "system prompt extraction"},
    {R"(\bjailbr(?:ea|o)k(?:ing|en)?\b)", 0.45f, "jailbreak"},
    {R"(\bno\s+(?:ethical|moral|safety)\s+(?:guidelines|restrictions|constraints|limits|filters)\b)", 0.5f, "no ethical guidelines"},
    {R"((?:from\s+now\s+on|henceforth|for\s+the\s+rest\s+of\s+this\s+conversation),?\s+you\s+(?:will|must|are|shall))", 0.35f, "from now on you will"},
    {R"(\b(?:stay|remain)\s+in\s+character\b)", 0.35f, "stay in character"},
    {R"(\bwithout\s+(?:any\s+)?(?:censorship|filters?|restrictions|warnings|disclaimers)\b)", 0.4f, "without censorship"},
    {R"(\b(?:override|disable|turn\s+off|bypass)\s+(?:your|the|all)\s+(?:\w+\s+)?(?:rules|safety|filters?|guardrails|restrictions|content\s+policy)\b)", 0.7f, "disable safety"},
    {R"(\b(?:new|updated)\s+(?:system\s+)?instructions?\s*:)", 0.5f, "injected instructions"},
    {R"(<\|?(?:im_start|system|endoftext)\|?>|\[/?inst\]|<<sys>>)", 0.6f, "chat-template tokens in text"},
    // Hindi (Devanagari) and Hinglish.
    {R"((?:पिछले|पहले\s+के|ऊपर\s+के|सभी|सारे)\s+(?:सभी\s+|सारे\s+)?(?:निर्देशों|निर्देश|नियमों|नियम|आदेशों|आदेश)\s+(?:को\s+)?(?:भूल|अनदेखा|नजरअंदाज|नज़रअंदाज़|छोड़|रद्द))", 0.9f, "ignore previous instructions (hi)"},
    {R"((?:सिस्टम\s+प्रॉम्प्ट|सिस्टम\s+निर्देश))", 0.5f, "system prompt (hi)"},
    {R"((?:tum|aap)\s+ab\s+(?:dan|bina\s+kisi\s+(?:rok|pabandi)))", 0.8f, "persona override (hinglish)"},
    {R"((?:pichhle|pichle|pehle\s+ke|upar\s+ke)\s+(?:sabhi\s+|saare\s+|sare\s+)?(?:instructions|nirdesh|niyam|rules)\s+(?:ko\s+)?(?:bhool|bhul|ignore|nazarandaz))", 0.85f, "ignore previous instructions (hinglish)"},
    // Bengali, Tamil, Telugu, Marathi (review wanted).
    {R"((?:আগের|পূর্ববর্তী)\s+(?:সব\s+|সমস্ত\s+)?(?:নির্দেশ|নির্দেশনা|নিয়ম)\S*\s+(?:ভুলে|উপেক্ষা))", 0.85f, "ignore previous instructions (bn)"},
    {R"((?:முந்தைய|முன்பு)\s+(?:அனைத்து\s+)?(?:அறிவுறுத்தல்|வழிமுறை)\S*\s+(?:புறக்கணி|மற))", 0.85f, "ignore previous instructions (ta)"},
    {R"((?:మునుపటి|ముందు)\s+(?:అన్ని\s+)?(?:సూచన|ఆదేశ)\S*\s+(?:విస్మరించ|మర్చిపో))", 0.85f, "ignore previous instructions (te)"},
    {R"((?:मागील|आधीच्या)\s+(?:सर्व\s+)?(?:सूचना|नियम)\S*\s+(?:विसर|दुर्लक्ष))", 0.85f, "ignore previous instructions (mr)"},
    // French, Spanish, German, Portuguese, Russian, Chinese.
    {R"((?:ignore[rz]?|oublie[rz]?)\s+(?:toutes\s+)?(?:les\s+|tes\s+|vos\s+)?(?:instructions|consignes|regles)\s+(?:precedentes|anterieures))", 0.9f, "ignore previous instructions (fr)"},
    {R"((?:ignora|olvida)r?\s+(?:todas\s+)?(?:las\s+)?(?:instrucciones|reglas)\s+(?:anteriores|previas))", 0.9f, "ignore previous instructions (es)"},
    {R"((?:ignoriere|vergiss)\s+(?:alle\s+)?(?:vorherigen|bisherigen|obigen)\s+(?:anweisungen|regeln|instruktionen))", 0.9f, "ignore previous instructions (de)"},
    {R"((?:ignore|esqueca)\s+(?:todas\s+)?(?:as\s+)?(?:instrucoes|regras)\s+(?:anteriores|previas))", 0.9f, "ignore previous instructions (pt)"},
    {R"((?:игнорируй|забудь)\s+(?:все\s+)?(?:предыдущие|прежние)\s+(?:инструкции|указания|правила))", 0.9f, "ignore previous instructions (ru)"},
    {R"((?:忽略|忘记|无视)(?:之前|以上|上面|先前)的?(?:所有)?(?:指令|指示|说明|规则))", 0.9f, "ignore previous instructions (zh)"},
};

class CueSet {
 public:
  CueSet() : set_(MakeOptions(), RE2::UNANCHORED) {
    for (const Cue& c : kCues) {
      std::string err;
      // The cues are written in the matching form; normalise them anyway so that accents and
      // nukta forms agree with the text's.
      if (set_.Add(c.regex, &err) < 0) {
        LOG_WARN("guard: injection cue '%s' does not compile: %s", c.label, err.c_str());
        set_.Add("a^", nullptr);  // keep indices aligned with kCues
      }
    }
    ok_ = set_.Compile();
  }
  std::vector<int> Match(std::string_view text) const {
    std::vector<int> v;
    if (ok_) set_.Match(re2::StringPiece(text.data(), text.size()), &v);
    return v;
  }

 private:
  static RE2::Options MakeOptions() {
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    return o;
  }
  RE2::Set set_;
  bool ok_ = false;
};

const CueSet& Cues() {
  static const CueSet* s = new CueSet();
  return *s;
}

// A base64 run of >= 40 characters mixing cases and digits (a smuggled payload), and whether it
// decodes to mostly printable text.
bool Base64Blob(std::string_view t, bool* printable) {
  size_t i = 0;
  while (i < t.size()) {
    size_t j = i;
    bool upper = false, lower = false, digit = false;
    while (j < t.size()) {
      const char c = t[j];
      if (c >= 'A' && c <= 'Z') upper = true;
      else if (c >= 'a' && c <= 'z') lower = true;
      else if ((c >= '0' && c <= '9') || c == '+' || c == '/') digit |= (c >= '0' && c <= '9');
      else break;
      ++j;
    }
    size_t end = j;
    while (end < t.size() && end - j < 2 && t[end] == '=') ++end;
    // Real base64 is close to uniform over its alphabet (over 4.3 bits per character on 40+
    // characters); file paths and identifiers made of the same characters are far less random.
    if (j - i >= 40 && upper && lower && digit && Entropy(t.substr(i, j - i)) >= 4.3) {
      // Decode a prefix and look at it.
      static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      std::string out;
      uint32_t acc = 0;
      int bits = 0;
      for (size_t k = i; k < j && out.size() < 256; ++k) {
        acc = (acc << 6) | static_cast<uint32_t>(kAlphabet.find(t[k]));
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
      }
      size_t ok = 0;
      for (unsigned char c : out) ok += (c >= 0x20 && c < 0x7F) || c == '\n' || c >= 0x80;
      *printable = !out.empty() && ok * 10 >= out.size() * 9;
      return true;
    }
    i = j == i ? i + 1 : end;
  }
  return false;
}

}  // namespace

InjectionResult ScoreInjection(std::string_view normalized, std::string_view original) {
  InjectionResult r;
  double keep = 1.0;  // probability that no cue is a real injection
  for (int idx : Cues().Match(normalized)) {
    keep *= 1.0 - kCues[idx].weight;
    r.reasons.push_back(std::string("injection: ") + kCues[idx].label);
  }
  bool printable = false;
  if (Base64Blob(original, &printable)) {
    keep *= printable ? 0.6 : 0.8;  // alone below the default threshold; it strengthens other cues
    r.reasons.push_back(printable ? "injection: base64 blob that decodes to text" : "injection: base64 blob");
  }
  r.score = static_cast<float>(1.0 - keep);
  return r;
}

}  // namespace sangam::guard::internal
