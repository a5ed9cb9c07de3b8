// QuantizeModel: re-encodes every weight matrix in a target type, streaming one tensor at a time.
#include <cstring>

#include "model/ftype.h"
#include "model/gguf_stream.h"
#include "model/model_impl.h"

namespace sangam::model {

using tensor::DType;

Status QuantizeModel(const std::string& in_path, const std::string& out_path, DType type,
                     ThreadPool& pool) {
  if (!IsWeightType(type)) {
    return InvalidArgumentError(std::string("model: quantize: cannot store weights as ") +
                                tensor::Traits(type).name);
  }
  if (in_path == out_path) {
    return InvalidArgumentError("model: quantize: the output must be a different file than the "
                                "input (the input stays mapped while writing)");
  }
  std::unique_ptr<gguf::File> in;
  {
    char magic[4] = {0, 0, 0, 0};
    FILE* fp = std::fopen(in_path.c_str(), "rb");
    if (fp == nullptr) return NotFoundError("model: quantize: cannot open '" + in_path + "'");
    if (std::fread(magic, 1, 4, fp) != 4) magic[0] = 0;
    std::fclose(fp);
    if (std::memcmp(magic, "GGUF", 4) == 0) {
      ASSIGN_OR_RETURN(in, gguf::File::Open(in_path));
    } else {
      ASSIGN_OR_RETURN(in, OpenLlama2c(in_path, LoadOptions{}));
    }
  }

  std::vector<std::pair<std::string, gguf::Value>> md;
  for (const auto& kv : in->metadata()) {
    if (kv.first == "general.file_type" || kv.first == "general.quantization_version" ||
        kv.first == "general.alignment") {
      continue;
    }
    md.push_back(kv);
  }
  md.push_back({"general.file_type", gguf::Value::U32(LlamaFileType(type))});
  if (tensor::Traits(type).quantized) {
    md.push_back({"general.quantization_version", gguf::Value::U32(2)});
  }

  // 2-D (and higher) weight matrices take the target type; vectors (norms, biases,
  // rope_freqs) are stored as F32.
  std::vector<StreamTensor> layout;
  for (const gguf::TensorInfo& t : in->tensors()) {
    StreamTensor st;
    st.name = t.name;
    for (uint32_t d = 0; d < std::max<uint32_t>(t.n_dims, 1); ++d) st.ne.push_back(t.ne[d]);
    const bool matrix = t.n_dims >= 2 && t.ne[1] > 1 && t.name != "rope_freqs.weight";
    st.type = matrix ? StorageTypeFor(type, t.ne[0]) : DType::kF32;
    layout.push_back(std::move(st));
  }
  const auto& tensors = in->tensors();
  auto fill = [&](size_t i, void* dst, size_t n_bytes) -> Status {
    const gguf::TensorInfo& t = tensors[i];
    const DType to = layout[i].type;
    if (t.type == to) {
      std::memcpy(dst, t.data, n_bytes);
      return Status::Ok();
    }
    ConvertRows(pool, t, to, dst);
    return Status::Ok();
  };
  return WriteGgufStreaming(md, in->alignment(), layout, fill, out_path);
}

}  // namespace sangam::model
