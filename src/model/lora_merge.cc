// WriteMergedModel: streams a model to a new GGUF with LoRA deltas and tensor overrides folded in.
#include <algorithm>
#include <cstring>
#include <map>

#include "model/ftype.h"
#include "model/gguf_stream.h"
#include "model/lora_internal.h"

namespace sangam::model {

using tensor::DType;

namespace {

struct ScaledPair {
  const LoraPair* pair;
  int64_t rank;
  float scale;
};

}  // namespace

Status WriteMergedModel(const Model& base, const MergeOptions& opts, const std::string& out_path,
                        ThreadPool& pool) {
  const gguf::File& in = base.file();
  const Hparams& hp = base.hparams();
  if (!in.path().empty() && in.path() == out_path) {
    return InvalidArgumentError(
        "model: merge: the output must be a different file than the "
        "input (the input stays mapped while writing)");
  }
  if (opts.set_type && !IsWeightType(opts.type)) {
    return InvalidArgumentError(std::string("model: merge: cannot store weights as ") +
                                tensor::Traits(opts.type).name);
  }
  std::map<std::string, std::vector<ScaledPair>> deltas;
  for (size_t i = 0; i < opts.loras.size(); ++i) {
    const AppliedLora& al = opts.loras[i];
    if (al.adapter == nullptr) {
      return InvalidArgumentError(StrFormat("model: merge: LoRA %zu is null", i));
    }
    RETURN_IF_ERROR(ValidateLoraAdapter(*al.adapter, hp).WithPrefix("model: merge"));
    const float scale = al.adapter->scale() * al.multiplier;
    for (const LoraPair& p : al.adapter->pairs) {
      deltas[LoraTargetTensorName(p.target, p.layer)].push_back({&p, al.adapter->rank, scale});
    }
  }
  std::map<std::string, const TensorOverride*> overrides;
  for (const TensorOverride& o : opts.overrides) {
    const gguf::TensorInfo* t = in.FindTensor(o.name);
    if (t == nullptr) {
      return NotFoundError("model: merge: override for tensor '" + o.name +
                           "', which the model does not have");
    }
    if (o.data == nullptr || o.n != t->n_elements()) {
      return InvalidArgumentError(StrFormat(
          "model: merge: override for '%s' has %lld values, the tensor has %lld", o.name.c_str(),
          static_cast<long long>(o.n), static_cast<long long>(t->n_elements())));
    }
    if (!overrides.emplace(o.name, &o).second) {
      return InvalidArgumentError("model: merge: tensor '" + o.name + "' overridden twice");
    }
  }

  std::vector<std::pair<std::string, gguf::Value>> md;
  for (const auto& kv : in.metadata()) {
    if (kv.first == "general.alignment") continue;
    if (opts.set_type &&
        (kv.first == "general.file_type" || kv.first == "general.quantization_version")) {
      continue;
    }
    if (!opts.name.empty() && kv.first == "general.name") continue;
    md.push_back(kv);
  }
  if (opts.set_type) {
    md.push_back({"general.file_type", gguf::Value::U32(LlamaFileType(opts.type))});
    if (tensor::Traits(opts.type).quantized) {
      md.push_back({"general.quantization_version", gguf::Value::U32(2)});
    }
  }
  if (!opts.name.empty()) md.push_back({"general.name", gguf::Value::Str(opts.name)});

  // Matrices keep their type (or take opts.type); vectors (norms, biases, rope_freqs) are F32.
  const auto& tensors = in.tensors();
  std::vector<StreamTensor> layout;
  for (const gguf::TensorInfo& t : tensors) {
    StreamTensor st;
    st.name = t.name;
    for (uint32_t d = 0; d < std::max<uint32_t>(t.n_dims, 1); ++d) st.ne.push_back(t.ne[d]);
    const bool matrix = t.n_dims >= 2 && t.ne[1] > 1 && t.name != "rope_freqs.weight";
    st.type = !matrix ? DType::kF32 : opts.set_type ? StorageTypeFor(opts.type, t.ne[0]) : t.type;
    layout.push_back(std::move(st));
  }

  auto fill = [&](size_t i, void* dst, size_t n_bytes) -> Status {
    const gguf::TensorInfo& t = tensors[i];
    const DType to = layout[i].type;
    const auto d_it = deltas.find(t.name);
    const std::vector<ScaledPair>* delta = d_it == deltas.end() ? nullptr : &d_it->second;
    const auto o_it = overrides.find(t.name);
    const float* over = o_it == overrides.end() ? nullptr : o_it->second->data;
    if (t.type == to && delta == nullptr && over == nullptr) {
      std::memcpy(dst, t.data, n_bytes);
      return Status::Ok();
    }
    const int64_t cols = t.ne[0];
    RowFn source;
    if (over != nullptr) {
      source = [&](int64_t r, float* row) { std::copy(over + r * cols, over + (r + 1) * cols, row); };
    }
    RowFn edit;
    if (delta != nullptr) {
      // row += sum_k (scale * B[r,k]) * A[k,:]: one pass over A per rank entry.
      edit = [&](int64_t r, float* y) {
        for (const ScaledPair& sp : *delta) {
          const float* b = sp.pair->b.data() + static_cast<size_t>(r * sp.rank);
          const float* a = sp.pair->a.data();
          for (int64_t k = 0; k < sp.rank; ++k) {
            const float c = sp.scale * b[k];
            if (c == 0.0f) continue;
            const float* ak = a + static_cast<size_t>(k * cols);
            for (int64_t j = 0; j < cols; ++j) y[j] += c * ak[j];
          }
        }
      };
    }
    ConvertRows(pool, t, to, dst, source, edit);
    return Status::Ok();
  };
  return WriteGgufStreaming(md, in.alignment(), layout, fill, out_path);
}

}  // namespace sangam::model
