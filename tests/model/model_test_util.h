// Helpers for model tests: temp files, GGUF rewriting, greedy decoding, an independent reference forward.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/model.h"
#include "test_util.h"

namespace sangam::model::testing {

// A per-test temporary directory, removed at destruction.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "sangam_model_" + std::string(info->test_suite_name()) + "_" +
                       info->name() + "_" + std::to_string(::getpid());
    for (char& c : name) {
      if (c == '/') c = '_';  // parameterized tests are named "Prefix/Suite"
    }
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::vector<int32_t> ReadIds(const std::string& path) {
  std::ifstream in(path);
  std::vector<int32_t> ids;
  int32_t v;
  while (in >> v) ids.push_back(v);
  return ids;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline int32_t Argmax(const float* logits, int64_t n) {
  int32_t best = 0;
  for (int64_t i = 1; i < n; ++i) {
    if (logits[i] > logits[best]) best = static_cast<int32_t>(i);
  }
  return best;
}

// Copies a GGUF file, letting the caller drop/replace metadata and tensors.
struct Rewrite {
  std::function<bool(const std::string& key)> drop_key = [](const std::string&) { return false; };
  std::function<bool(const std::string& name)> drop_tensor = [](const std::string&) {
    return false;
  };
  // Extra (or replacing) metadata and tensors.
  std::vector<std::pair<std::string, gguf::Value>> set_keys;
  struct Extra {
    std::string name;
    tensor::DType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  std::vector<Extra> add_tensors;
};

inline void RewriteGguf(const std::string& in, const std::string& out, const Rewrite& rw) {
  auto f = gguf::File::Open(in);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  gguf::Writer w;
  for (const auto& kv : (*f)->metadata()) {
    if (!rw.drop_key(kv.first)) w.Set(kv.first, kv.second);
  }
  for (const auto& kv : rw.set_keys) w.Set(kv.first, kv.second);
  for (const auto& t : (*f)->tensors()) {
    if (rw.drop_tensor(t.name)) continue;
    std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
    ASSERT_TRUE(w.AddTensor(t.name, t.type, ne, t.data).ok());
  }
  for (const auto& e : rw.add_tensors) {
    ASSERT_TRUE(w.AddTensor(e.name, e.type, e.ne, e.data.data()).ok());
  }
  Status st = w.Write(out);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

// A deliberately naive forward pass, written from the Llama/Qwen2 definitions and independent of
// src/model: weights dequantized to float, RoPE angles in double, attention over full history.
// Returns the logits of the last token of `tokens` (a single sequence from position 0).
class ReferenceForward {
 public:
  explicit ReferenceForward(const std::string& path) {
    auto f = gguf::File::Open(path);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    file_ = std::move(*f);
    arch_ = *file_->GetString("general.architecture");
    const std::string p = arch_ + ".";
    C_ = *file_->GetI64(p + "embedding_length");
    L_ = *file_->GetI64(p + "block_count");
    H_ = *file_->GetI64(p + "attention.head_count");
    Hkv_ = *file_->GetI64(p + "attention.head_count_kv");
    F_ = *file_->GetI64(p + "feed_forward_length");
    eps_ = *file_->GetF32(p + "attention.layer_norm_rms_epsilon");
    base_ = *file_->GetF32Or(p + "rope.freq_base", 10000.0f);
    hd_ = C_ / H_;
    neox_ = arch_ == "qwen2";
    V_ = Get("token_embd.weight").ne[1];
  }

  std::vector<float> Logits(const std::vector<int32_t>& tokens) {
    const int64_t T = static_cast<int64_t>(tokens.size());
    const int64_t KV = Hkv_ * hd_;
    std::vector<std::vector<float>> x(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) x[t] = Row("token_embd.weight", tokens[t]);
    for (int64_t l = 0; l < L_; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      std::vector<std::vector<float>> q(T), k(T), v(T);
      for (int64_t t = 0; t < T; ++t) {
        std::vector<float> h = Norm(x[t], Vec(b + "attn_norm.weight"));
        q[t] = MatVec(b + "attn_q.weight", h);
        k[t] = MatVec(b + "attn_k.weight", h);
        v[t] = MatVec(b + "attn_v.weight", h);
        if (file_->FindTensor(b + "attn_q.bias")) {
          AddTo(q[t], Vec(b + "attn_q.bias"));
          AddTo(k[t], Vec(b + "attn_k.bias"));
          AddTo(v[t], Vec(b + "attn_v.bias"));
        }
        Rope(q[t], H_, t);
        Rope(k[t], Hkv_, t);
      }
      for (int64_t t = 0; t < T; ++t) {
        std::vector<float> att(static_cast<size_t>(H_ * hd_), 0.0f);
        for (int64_t h = 0; h < H_; ++h) {
          const int64_t kh = h / (H_ / Hkv_);
          std::vector<double> s(static_cast<size_t>(t + 1));
          double mx = -1e300;
          for (int64_t p = 0; p <= t; ++p) {
            double d = 0;
            for (int64_t i = 0; i < hd_; ++i) d += double(q[t][h * hd_ + i]) * k[p][kh * hd_ + i];
            s[p] = d / std::sqrt(double(hd_));
            mx = std::max(mx, s[p]);
          }
          double sum = 0;
          for (auto& e : s) sum += (e = std::exp(e - mx));
          for (int64_t p = 0; p <= t; ++p) {
            for (int64_t i = 0; i < hd_; ++i) att[h * hd_ + i] += float(s[p] / sum * v[p][kh * hd_ + i]);
          }
        }
        (void)KV;
        AddTo(x[t], MatVec(b + "attn_output.weight", att));
        std::vector<float> h = Norm(x[t], Vec(b + "ffn_norm.weight"));
        std::vector<float> g = MatVec(b + "ffn_gate.weight", h);
        std::vector<float> u = MatVec(b + "ffn_up.weight", h);
        for (size_t i = 0; i < g.size(); ++i) g[i] = float(g[i] / (1.0 + std::exp(-double(g[i]))) * u[i]);
        AddTo(x[t], MatVec(b + "ffn_down.weight", g));
      }
    }
    std::vector<float> h = Norm(x[T - 1], Vec("output_norm.weight"));
    return MatVec(file_->FindTensor("output.weight") ? "output.weight" : "token_embd.weight", h);
  }

  int64_t n_vocab() const { return V_; }

 private:
  const gguf::TensorInfo& Get(const std::string& name) {
    const gguf::TensorInfo* t = file_->FindTensor(name);
    EXPECT_NE(t, nullptr) << name;
    return *t;
  }
  std::vector<float> Row(const std::string& name, int64_t r) {
    const gguf::TensorInfo& t = Get(name);
    std::vector<float> out(static_cast<size_t>(t.ne[0]));
    tensor::DequantizeRow(t.type, t.data + r * tensor::RowBytes(t.type, t.ne[0]), out.data(), t.ne[0]);
    return out;
  }
  std::vector<float> Vec(const std::string& name) { return Row(name, 0); }
  std::vector<float> MatVec(const std::string& name, const std::vector<float>& x) {
    const gguf::TensorInfo& t = Get(name);
    std::vector<float> out(static_cast<size_t>(t.ne[1]));
    for (int64_t r = 0; r < t.ne[1]; ++r) {
      std::vector<float> w = Row(name, r);
      double d = 0;
      for (size_t i = 0; i < w.size(); ++i) d += double(w[i]) * x[i];
      out[r] = float(d);
    }
    return out;
  }
  std::vector<float> Norm(const std::vector<float>& x, const std::vector<float>& w) {
    double ss = 0;
    for (float v : x) ss += double(v) * v;
    const double s = 1.0 / std::sqrt(ss / double(x.size()) + eps_);
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = float(x[i] * s * w[i]);
    return y;
  }
  static void AddTo(std::vector<float>& a, const std::vector<float>& b) {
    for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  }
  void Rope(std::vector<float>& x, int64_t n_heads, int64_t pos) {
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x.data() + h * hd_;
      for (int64_t i = 0; i < hd_ / 2; ++i) {
        const double theta = double(pos) * std::pow(double(base_), -2.0 * double(i) / double(hd_));
        const double c = std::cos(theta), s = std::sin(theta);
        const int64_t a = neox_ ? i : 2 * i, b = neox_ ? i + hd_ / 2 : 2 * i + 1;
        const double x0 = v[a], x1 = v[b];
        v[a] = float(x0 * c - x1 * s);
        v[b] = float(x0 * s + x1 * c);
      }
    }
  }

  std::unique_ptr<gguf::File> file_;
  std::string arch_;
  int64_t C_ = 0, L_ = 0, H_ = 0, Hkv_ = 0, F_ = 0, hd_ = 0, V_ = 0;
  float eps_ = 1e-5f, base_ = 10000.0f;
  bool neox_ = false;
};

}  // namespace sangam::model::testing
