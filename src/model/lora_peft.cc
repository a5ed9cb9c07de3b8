// Hugging Face PEFT LoRA directories: adapter_config.json + adapter_model.safetensors, read/write.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "model/lora_internal.h"
#include "sangam/file.h"
#include "sangam/safetensors.h"

namespace sangam::model {
namespace {

using Json = nlohmann::json;

constexpr LoraTarget kAllTargets[kNumLoraTargets] = {
    LoraTarget::kQ,    LoraTarget::kK,  LoraTarget::kV,   LoraTarget::kO,
    LoraTarget::kGate, LoraTarget::kUp, LoraTarget::kDown};

// "q_proj" -> kQ; also accepts a dotted path ("model.layers.0.self_attn.q_proj").
bool HfModuleTarget(const std::string& module, LoraTarget* t) {
  const size_t dot = module.find_last_of('.');
  const std::string last = dot == std::string::npos ? module : module.substr(dot + 1);
  for (LoraTarget c : kAllTargets) {
    if (last == LoraTargetHfName(c)) {
      *t = c;
      return true;
    }
  }
  return false;
}

std::string UnsupportedModule(const std::string& where, const std::string& module) {
  std::string why;
  if (module.find("embed_tokens") != std::string::npos ||
      module.find("lm_head") != std::string::npos) {
    why = " (LoRA on the embeddings or the output layer is not supported)";
  }
  return where + ": module '" + module + "' is not supported" + why +
         "; sangam applies LoRA to q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj";
}

// Rows to permute for q/k (0 heads = none).
int64_t PermuteHeads(LoraTarget t, const Hparams& hp) {
  if (!LoraPermutesQk(hp)) return 0;
  if (t == LoraTarget::kQ) return hp.n_head;
  if (t == LoraTarget::kK) return hp.n_head_kv;
  return 0;
}

bool IsPlainModuleName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Result<LoraAdapter> ParsePeft(const std::string& dir, const Hparams& hp) {
  const std::string cfg_path = dir + "/adapter_config.json";
  const std::string st_path = dir + "/adapter_model.safetensors";
  std::error_code ec;
  if (!std::filesystem::exists(cfg_path, ec)) {
    return NotFoundError("peft: " + cfg_path +
                         " not found (a PEFT adapter directory needs "
                         "adapter_config.json and adapter_model.safetensors)");
  }
  if (!std::filesystem::exists(st_path, ec)) {
    const bool has_bin = std::filesystem::exists(dir + "/adapter_model.bin", ec);
    return NotFoundError("peft: " + st_path + " not found" +
                         (has_bin ? std::string(" (adapter_model.bin, PyTorch pickle, is not "
                                                "supported; save with safe_serialization=True)")
                                  : std::string()));
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(cfg_path));
  const Json cfg = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (cfg.is_discarded() || !cfg.is_object()) {
    return DataLossError("peft: " + cfg_path + ": not a JSON object");
  }
  auto bad = [&cfg_path](const std::string& msg) {
    return InvalidArgumentError("peft: " + cfg_path + ": " + msg);
  };
  auto unsupported = [&cfg_path](const std::string& msg) {
    return UnimplementedError("peft: " + cfg_path + ": " + msg);
  };
  auto present = [&cfg](const char* key) { return cfg.contains(key) && !cfg[key].is_null(); };

  if (present("peft_type")) {
    if (!cfg["peft_type"].is_string()) return bad("peft_type must be a string");
    const std::string pt = cfg["peft_type"].get<std::string>();
    if (pt != "LORA") return unsupported("peft_type '" + pt + "' is not supported (only LORA)");
  }
  LoraAdapter ad;
  ad.arch = hp.arch;
  if (!present("r") || !cfg["r"].is_number_integer() || cfg["r"].get<int64_t>() < 1) {
    return bad("'r' (the rank) must be a positive integer");
  }
  ad.rank = cfg["r"].get<int64_t>();
  ad.alpha = 8.0f;  // PEFT's default lora_alpha
  if (present("lora_alpha")) {
    if (!cfg["lora_alpha"].is_number()) return bad("'lora_alpha' must be a number");
    ad.alpha = cfg["lora_alpha"].get<float>();
  }
  if (present("use_rslora")) {
    if (!cfg["use_rslora"].is_boolean()) return bad("'use_rslora' must be true or false");
    ad.rslora = cfg["use_rslora"].get<bool>();
  }
  if (present("lora_dropout")) {
    if (!cfg["lora_dropout"].is_number()) return bad("'lora_dropout' must be a number");
    ad.dropout = cfg["lora_dropout"].get<float>();
  }
  if (present("base_model_name_or_path") && cfg["base_model_name_or_path"].is_string()) {
    ad.base_name = cfg["base_model_name_or_path"].get<std::string>();
  }
  for (const char* key : {"rank_pattern", "alpha_pattern"}) {
    if (present(key) && !(cfg[key].is_object() && cfg[key].empty())) {
      return unsupported(std::string("'") + key +
                         "' is not empty: per-module ranks/alphas are "
                         "not supported (sangam adapters have one rank and one alpha)");
    }
  }
  if (present("use_dora") && cfg["use_dora"].is_boolean() && cfg["use_dora"].get<bool>()) {
    return unsupported("DoRA adapters (use_dora: true) are not supported");
  }
  if (present("fan_in_fan_out") && cfg["fan_in_fan_out"].is_boolean() &&
      cfg["fan_in_fan_out"].get<bool>()) {
    return unsupported("fan_in_fan_out: true (transposed Conv1D weights) is not supported");
  }
  if (present("bias") && cfg["bias"].is_string() && cfg["bias"].get<std::string>() != "none") {
    return unsupported("bias '" + cfg["bias"].get<std::string>() +
                       "' is not supported (only \"none\")");
  }
  if (present("modules_to_save") &&
      !(cfg["modules_to_save"].is_array() && cfg["modules_to_save"].empty())) {
    return unsupported("'modules_to_save' (fully trained extra modules) is not supported");
  }
  // target_modules: a list of names, or one string (a name, "all-linear", or a regex that the
  // tensors themselves resolve).
  if (present("target_modules")) {
    const Json& tm = cfg["target_modules"];
    std::vector<std::string> names;
    if (tm.is_string()) {
      const std::string s = tm.get<std::string>();
      if (s != "all-linear" && IsPlainModuleName(s)) names.push_back(s);
    } else if (tm.is_array()) {
      for (const Json& e : tm) {
        if (!e.is_string()) return bad("'target_modules' entries must be strings");
        names.push_back(e.get<std::string>());
      }
    } else {
      return bad("'target_modules' must be a list of module names or a string");
    }
    for (const std::string& n : names) {
      LoraTarget t;
      if (!HfModuleTarget(n, &t)) {
        return UnimplementedError(UnsupportedModule("peft: " + cfg_path, n));
      }
    }
  }

  ASSIGN_OR_RETURN(auto st, safetensors::File::Open(st_path));
  struct Ab {
    const safetensors::Tensor* a = nullptr;
    const safetensors::Tensor* b = nullptr;
  };
  std::map<std::pair<int64_t, int>, Ab> ab;
  for (const safetensors::Tensor& t : st->tensors()) {
    std::string n = t.name;
    if (n.rfind("base_model.model.", 0) == 0) n = n.substr(17);
    if (n.rfind("model.", 0) == 0) n = n.substr(6);
    const size_t lora = n.find(".lora_");
    const std::string module = lora == std::string::npos ? n : n.substr(0, lora);
    const std::string suffix = lora == std::string::npos ? "" : n.substr(lora);
    int64_t layer = -1;
    LoraTarget target;
    if (module.rfind("layers.", 0) == 0) {
      size_t q = 7;
      while (q < module.size() && std::isdigit(static_cast<unsigned char>(module[q]))) ++q;
      if (q > 7 && q - 7 <= 9 && q < module.size() && module[q] == '.') {
        layer = std::stoll(module.substr(7, q - 7));
      }
    }
    if (layer < 0 || !HfModuleTarget(module, &target)) {
      return UnimplementedError(
          UnsupportedModule("peft: " + st_path + ": tensor '" + t.name + "'", module));
    }
    const bool is_a = suffix == ".lora_A.weight", is_b = suffix == ".lora_B.weight";
    if (!is_a && !is_b) {
      return UnimplementedError("peft: " + st_path + ": tensor '" + t.name +
                                "' is not a lora_A/lora_B weight (DoRA magnitudes, biases and "
                                "other extras are not supported)");
    }
    if (t.shape.size() != 2) {
      return InvalidArgumentError("peft: " + st_path + ": tensor '" + t.name + "' is not 2-D");
    }
    (is_a ? ab[{layer, static_cast<int>(target)}].a : ab[{layer, static_cast<int>(target)}].b) = &t;
  }
  for (const auto& [key, w] : ab) {
    LoraPair p;
    p.layer = key.first;
    p.target = static_cast<LoraTarget>(key.second);
    const std::string what = "peft: " + st_path + ": layer " + std::to_string(p.layer) + " " +
                             LoraTargetHfName(p.target);
    if (w.a == nullptr || w.b == nullptr) {
      return InvalidArgumentError(what + ": lora_" + (w.a == nullptr ? "A" : "B") +
                                  ".weight is missing");
    }
    if (p.layer >= hp.n_layer) {
      return InvalidArgumentError(StrFormat("%s: the model has only %lld layers", what.c_str(),
                                            static_cast<long long>(hp.n_layer)));
    }
    const LoraDims d = LoraTargetDims(p.target, hp);
    if (w.a->shape[0] != ad.rank || w.a->shape[1] != d.n_in || w.b->shape[0] != d.n_out ||
        w.b->shape[1] != ad.rank) {
      return InvalidArgumentError(
          StrFormat("%s: shape mismatch: lora_A is [%lld, %lld] and lora_B [%lld, %lld], expected "
                    "[r=%lld, %lld] and [%lld, r=%lld] (wrong base model or rank?)",
                    what.c_str(), static_cast<long long>(w.a->shape[0]),
                    static_cast<long long>(w.a->shape[1]), static_cast<long long>(w.b->shape[0]),
                    static_cast<long long>(w.b->shape[1]), static_cast<long long>(ad.rank),
                    static_cast<long long>(d.n_in), static_cast<long long>(d.n_out),
                    static_cast<long long>(ad.rank)));
    }
    p.n_in = d.n_in;
    p.n_out = d.n_out;
    ASSIGN_OR_RETURN(p.a, safetensors::ReadFloats(*w.a));
    ASSIGN_OR_RETURN(std::vector<float> b, safetensors::ReadFloats(*w.b));
    if (const int64_t heads = PermuteHeads(p.target, hp); heads > 0) {
      p.b.resize(b.size());
      HfToGgufRows(b.data(), p.b.data(), heads, hp.head_dim(), ad.rank);
    } else {
      p.b = std::move(b);
    }
    ad.pairs.push_back(std::move(p));
  }
  if (ad.pairs.empty()) {
    return InvalidArgumentError("peft: " + st_path + ": no lora_A/lora_B tensors");
  }
  RETURN_IF_ERROR(ValidateLoraAdapter(ad, hp).WithPrefix("peft: " + dir));
  return ad;
}

}  // namespace

void HfToGgufRows(const float* src, float* dst, int64_t n_heads, int64_t head_dim, int64_t cols) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t a = 0; a < 2; ++a) {
        const float* s = src + (h * head_dim + a * half + i) * cols;
        std::copy(s, s + cols, dst + (h * head_dim + 2 * i + a) * cols);
      }
    }
  }
}

void GgufToHfRows(const float* src, float* dst, int64_t n_heads, int64_t head_dim, int64_t cols) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t a = 0; a < 2; ++a) {
        const float* s = src + (h * head_dim + 2 * i + a) * cols;
        std::copy(s, s + cols, dst + (h * head_dim + a * half + i) * cols);
      }
    }
  }
}

Result<LoraAdapter> LoadPeftAdapter(const std::string& dir, const Hparams& hp) {
  try {
    return ParsePeft(dir, hp);
  } catch (const std::exception& e) {  // nlohmann or std::filesystem
    return InvalidArgumentError("peft: " + dir + ": " + e.what());
  }
}

Status SavePeftAdapter(const LoraAdapter& adapter, const Hparams& hp, const std::string& dir) {
  RETURN_IF_ERROR(ValidateLoraAdapter(adapter, hp));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("peft: cannot create directory '" + dir + "': " + ec.message());

  std::set<int> targets;
  for (const LoraPair& p : adapter.pairs) targets.insert(static_cast<int>(p.target));
  Json cfg = Json::object();
  try {
    Json modules = Json::array();
    for (int t : targets) modules.push_back(LoraTargetHfName(static_cast<LoraTarget>(t)));
    cfg["peft_type"] = "LORA";
    cfg["task_type"] = "CAUSAL_LM";
    cfg["base_model_name_or_path"] = adapter.base_name;
    cfg["r"] = adapter.rank;
    if (adapter.alpha == std::floor(adapter.alpha) && std::fabs(adapter.alpha) < 1e9f) {
      cfg["lora_alpha"] = static_cast<int64_t>(adapter.alpha);  // PEFT declares it an int
    } else {
      cfg["lora_alpha"] = adapter.alpha;
    }
    cfg["lora_dropout"] = adapter.dropout;
    cfg["use_rslora"] = adapter.rslora;
    cfg["target_modules"] = modules;
    cfg["bias"] = "none";
    cfg["fan_in_fan_out"] = false;
    cfg["inference_mode"] = true;
    cfg["init_lora_weights"] = true;
    cfg["use_dora"] = false;
    cfg["rank_pattern"] = Json::object();
    cfg["alpha_pattern"] = Json::object();
    cfg["modules_to_save"] = nullptr;
    cfg["layers_to_transform"] = nullptr;
  } catch (const std::exception& e) {  // e.g. invalid UTF-8 in the base model name
    return InvalidArgumentError(std::string("peft: cannot write adapter_config.json: ") + e.what());
  }

  safetensors::Writer w;
  w.SetMetadata("format", "pt");
  std::vector<std::vector<float>> permuted;
  permuted.reserve(adapter.pairs.size());
  for (const LoraPair& p : adapter.pairs) {
    const std::string base = "base_model.model.model.layers." + std::to_string(p.layer) +
                             (p.target == LoraTarget::kQ || p.target == LoraTarget::kK ||
                                      p.target == LoraTarget::kV || p.target == LoraTarget::kO
                                  ? ".self_attn."
                                  : ".mlp.") +
                             LoraTargetHfName(p.target);
    const float* b = p.b.data();
    if (const int64_t heads = PermuteHeads(p.target, hp); heads > 0) {
      permuted.emplace_back(p.b.size());
      GgufToHfRows(p.b.data(), permuted.back().data(), heads, hp.head_dim(), adapter.rank);
      b = permuted.back().data();
    }
    RETURN_IF_ERROR(w.AddTensor(base + ".lora_A.weight", safetensors::DType::kF32,
                                {adapter.rank, p.n_in}, p.a.data()));
    RETURN_IF_ERROR(
        w.AddTensor(base + ".lora_B.weight", safetensors::DType::kF32, {p.n_out, adapter.rank}, b));
  }
  RETURN_IF_ERROR(w.Write(dir + "/adapter_model.safetensors"));
  return WriteFileAtomic(dir + "/adapter_config.json", cfg.dump(2) + "\n");
}

}  // namespace sangam::model
