// Reading and validating <arch>.* hyperparameters from GGUF metadata.
#include <cmath>
#include <string>

#include "model/model_impl.h"

namespace sangam::model {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 24;

class KeyReader {
 public:
  KeyReader(const gguf::File& f, const std::string& prefix) : f_(f), prefix_(prefix) {}

  std::string Key(const char* k) const { return prefix_ + k; }

  Result<int64_t> Int(const char* k) const {
    std::string key = Key(k);
    if (f_.Find(key) == nullptr) {
      return NotFoundError("model: required key '" + key + "' is missing from " + f_.path());
    }
    auto r = f_.GetI64(key);
    if (!r.ok()) return r.status().WithPrefix("model");
    return *r;
  }
  Result<int64_t> IntOr(const char* k, int64_t def) const {
    if (f_.Find(Key(k)) == nullptr) return def;
    return Int(k);
  }
  Result<float> Float(const char* k) const {
    std::string key = Key(k);
    if (f_.Find(key) == nullptr) {
      return NotFoundError("model: required key '" + key + "' is missing from " + f_.path());
    }
    auto r = f_.GetF32(key);
    if (!r.ok()) return r.status().WithPrefix("model");
    return *r;
  }
  Result<float> FloatOr(const char* k, float def) const {
    if (f_.Find(Key(k)) == nullptr) return def;
    return Float(k);
  }
  Result<std::string> StrOr(const char* k, const std::string& def) const {
    auto r = f_.GetStringOr(Key(k), def);
    if (!r.ok()) return r.status().WithPrefix("model");
    return *r;
  }

 private:
  const gguf::File& f_;
  std::string prefix_;
};

Status CheckRange(const std::string& key, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    return InvalidArgumentError(StrFormat("model: key '%s' = %lld is out of range [%lld, %lld]",
                                          key.c_str(), static_cast<long long>(v),
                                          static_cast<long long>(lo), static_cast<long long>(hi)));
  }
  return Status::Ok();
}

}  // namespace

Result<Hparams> ReadHparams(const gguf::File& file, const ArchSpec& arch) {
  Hparams hp;
  hp.arch = arch.name;
  hp.rope_neox = arch.rope == RopeStyle::kNeox;
  {
    auto name = file.GetStringOr("general.name", "");
    if (name.ok()) hp.name = *name;
  }
  KeyReader k(file, arch.name + ".");
  ASSIGN_OR_RETURN(hp.n_ctx_train, k.Int("context_length"));
  ASSIGN_OR_RETURN(hp.n_embd, k.Int("embedding_length"));
  ASSIGN_OR_RETURN(hp.n_layer, k.Int("block_count"));
  ASSIGN_OR_RETURN(hp.n_ff, k.Int("feed_forward_length"));
  ASSIGN_OR_RETURN(hp.n_head, k.Int("attention.head_count"));
  ASSIGN_OR_RETURN(hp.n_head_kv, k.IntOr("attention.head_count_kv", hp.n_head));
  ASSIGN_OR_RETURN(hp.norm_eps, k.Float("attention.layer_norm_rms_epsilon"));
  ASSIGN_OR_RETURN(hp.rope_freq_base, k.FloatOr("rope.freq_base", arch.default_rope_freq_base));

  RETURN_IF_ERROR(CheckRange(k.Key("context_length"), hp.n_ctx_train, 1, kMaxDim));
  RETURN_IF_ERROR(CheckRange(k.Key("embedding_length"), hp.n_embd, 1, kMaxDim));
  RETURN_IF_ERROR(CheckRange(k.Key("block_count"), hp.n_layer, 1, 4096));
  RETURN_IF_ERROR(CheckRange(k.Key("feed_forward_length"), hp.n_ff, 1, kMaxDim));
  RETURN_IF_ERROR(CheckRange(k.Key("attention.head_count"), hp.n_head, 1, 65536));
  RETURN_IF_ERROR(CheckRange(k.Key("attention.head_count_kv"), hp.n_head_kv, 1, hp.n_head));
  if (hp.n_head % hp.n_head_kv != 0) {
    return InvalidArgumentError(StrFormat(
        "model: attention.head_count (%lld) is not a multiple of attention.head_count_kv (%lld)",
        static_cast<long long>(hp.n_head), static_cast<long long>(hp.n_head_kv)));
  }
  ASSIGN_OR_RETURN(int64_t key_len, k.IntOr("attention.key_length", 0));
  ASSIGN_OR_RETURN(int64_t value_len, k.IntOr("attention.value_length", key_len));
  if (key_len != value_len) {
    return UnimplementedError(StrFormat(
        "model: attention.key_length (%lld) != attention.value_length (%lld) is not supported",
        static_cast<long long>(key_len), static_cast<long long>(value_len)));
  }
  if (key_len > 0) {
    RETURN_IF_ERROR(CheckRange(k.Key("attention.key_length"), key_len, 1, kMaxDim));
    hp.n_embd_head = key_len;
  } else if (hp.n_embd % hp.n_head != 0) {
    return InvalidArgumentError(StrFormat(
        "model: embedding_length (%lld) is not a multiple of attention.head_count (%lld)",
        static_cast<long long>(hp.n_embd), static_cast<long long>(hp.n_head)));
  }
  ASSIGN_OR_RETURN(hp.n_rot, k.IntOr("rope.dimension_count", hp.head_dim()));
  if (hp.n_rot < 0 || hp.n_rot > hp.head_dim() || hp.n_rot % 2 != 0) {
    return InvalidArgumentError(StrFormat(
        "model: key '%s' = %lld must be even and at most the head size %lld",
        k.Key("rope.dimension_count").c_str(), static_cast<long long>(hp.n_rot),
        static_cast<long long>(hp.head_dim())));
  }
  if (!(hp.norm_eps > 0.0f) || !std::isfinite(hp.norm_eps)) {
    return InvalidArgumentError("model: key '" + k.Key("attention.layer_norm_rms_epsilon") +
                                "' must be a positive finite number");
  }
  if (!(hp.rope_freq_base > 0.0f) || !std::isfinite(hp.rope_freq_base)) {
    return InvalidArgumentError("model: key '" + k.Key("rope.freq_base") +
                                "' must be a positive finite number");
  }
  if (arch.sliding_window) {
    ASSIGN_OR_RETURN(hp.n_swa, k.IntOr("attention.sliding_window", 0));
    RETURN_IF_ERROR(CheckRange(k.Key("attention.sliding_window"), hp.n_swa, 0, kMaxDim));
  }

  // RoPE scaling. llama.cpp's legacy key rope.scale_linear means linear scaling.
  ASSIGN_OR_RETURN(float legacy_linear, k.FloatOr("rope.scale_linear", 0.0f));
  ASSIGN_OR_RETURN(hp.rope_scaling_type,
                   k.StrOr("rope.scaling.type", legacy_linear > 0 ? "linear" : "none"));
  ASSIGN_OR_RETURN(hp.rope_scale_factor, k.FloatOr("rope.scaling.factor", legacy_linear));
  ASSIGN_OR_RETURN(hp.rope_low_freq_factor, k.FloatOr("rope.scaling.low_freq_factor", 1.0f));
  ASSIGN_OR_RETURN(hp.rope_high_freq_factor, k.FloatOr("rope.scaling.high_freq_factor", 4.0f));
  ASSIGN_OR_RETURN(hp.rope_orig_ctx, k.IntOr("rope.scaling.original_context_length", 8192));
  const std::string& st = hp.rope_scaling_type;
  if (st == "none" || st.empty()) {
    hp.rope_scaling_type = "none";
    hp.rope_scale_factor = 0.0f;
  } else if (st == "linear" || st == "llama3") {
    if (hp.rope_scale_factor < 0.0f || !std::isfinite(hp.rope_scale_factor)) {
      return InvalidArgumentError("model: key '" + k.Key("rope.scaling.factor") +
                                  "' must be a positive finite number");
    }
    if (st == "llama3" &&
        (hp.rope_scale_factor <= 0.0f || hp.rope_orig_ctx <= 0 ||
         hp.rope_high_freq_factor == hp.rope_low_freq_factor || hp.rope_low_freq_factor <= 0.0f)) {
      return InvalidArgumentError(
          "model: rope.scaling.type 'llama3' needs rope.scaling.factor > 0, "
          "original_context_length > 0 and low_freq_factor != high_freq_factor (both > 0)");
    }
  } else {
    return UnimplementedError("model: rope.scaling.type '" + st +
                              "' is not supported (supported: none, linear, llama3)");
  }
  return hp;
}

std::vector<float> Llama3RopeFactors(const Hparams& hp) {
  // Same arithmetic as the GGUF converter: frequencies of the unscaled RoPE, then a divisor per
  // frequency: 1 for short wavelengths, `factor` for long ones, interpolated in between.
  const int64_t n = hp.n_rot / 2;
  std::vector<float> out(static_cast<size_t>(n), 1.0f);
  const double factor = hp.rope_scale_factor;
  const double lo = hp.rope_low_freq_factor, hi = hp.rope_high_freq_factor;
  const double old_ctx = static_cast<double>(hp.rope_orig_ctx);
  const double low_freq_wavelen = old_ctx / lo;
  const double high_freq_wavelen = old_ctx / hi;
  for (int64_t i = 0; i < n; ++i) {
    const float freq_f = 1.0f / std::pow(hp.rope_freq_base, static_cast<float>(2 * i) /
                                                                static_cast<float>(hp.n_rot));
    const double wavelen = 2.0 * M_PI / static_cast<double>(freq_f);
    double f;
    if (wavelen < high_freq_wavelen) {
      f = 1.0;
    } else if (wavelen > low_freq_wavelen) {
      f = factor;
    } else {
      const double smooth = (old_ctx / wavelen - lo) / (hi - lo);
      f = 1.0 / ((1.0 - smooth) / factor + smooth);
    }
    out[static_cast<size_t>(i)] = static_cast<float>(f);
  }
  return out;
}

}  // namespace sangam::model
