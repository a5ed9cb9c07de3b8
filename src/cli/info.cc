// sangam info: a model file's metadata, tensor table, parameter count and size.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "sangam/gguf.h"

namespace sangam::cli {
namespace {

struct InfoOptions {
  ModelOptions m;
  std::string positional;
  bool json = false;
  bool no_tensors = false;
};

std::string Escape(const std::string& s, size_t max_len) {
  std::string out;
  for (char c : s.substr(0, max_len)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  if (s.size() > max_len) out += StrFormat("... (%zu bytes)", s.size());
  return out;
}

std::string ScalarToString(const gguf::Value& v) {
  switch (v.type) {
    case gguf::ValueType::kString: return "\"" + Escape(v.s, 120) + "\"";
    case gguf::ValueType::kBool: return v.u ? "true" : "false";
    case gguf::ValueType::kFloat32:
    case gguf::ValueType::kFloat64: return StrFormat("%g", v.f);
    case gguf::ValueType::kInt8:
    case gguf::ValueType::kInt16:
    case gguf::ValueType::kInt32:
    case gguf::ValueType::kInt64: return std::to_string(v.i);
    case gguf::ValueType::kArray: return StrFormat("[array of %zu]", v.arr.size());
    default: return std::to_string(v.u);
  }
}

std::string ValueToString(const gguf::Value& v) {
  if (v.type != gguf::ValueType::kArray) return ScalarToString(v);
  constexpr size_t kShow = 8;
  std::string out = StrFormat("%s[%zu] [", gguf::ValueTypeName(v.elem_type), v.arr.size());
  for (size_t i = 0; i < v.arr.size() && i < kShow; ++i) {
    if (i) out += ", ";
    out += ScalarToString(v.arr[i]);
  }
  if (v.arr.size() > kShow) out += ", ...";
  return out + "]";
}

std::string ShapeString(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (uint32_t d = 0; d < std::max<uint32_t>(t.n_dims, 1); ++d) {
    if (d) s += ", ";
    s += std::to_string(t.ne[d]);
  }
  return s + "]";
}

Status RunInfo(InfoOptions o) {
  if (o.m.model.empty()) o.m.model = o.positional;
  if (o.m.model.empty()) return InvalidArgumentError("info: no model given (sangam info MODEL or -m MODEL)");
  RETURN_IF_ERROR(CheckFileExists(o.m.model, "model file"));
  std::unique_ptr<gguf::File> owned;
  std::unique_ptr<model::Model> model;
  const gguf::File* file = nullptr;
  {
    std::ifstream f(o.m.model, std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    if (f.gcount() == 4 && std::string(magic, 4) == "GGUF") {
      ASSIGN_OR_RETURN(owned, gguf::File::Open(o.m.model));
      file = owned.get();
    } else {
      ASSIGN_OR_RETURN(model, LoadModel(o.m));
      file = &model->file();
    }
  }
  int64_t n_params = 0;
  size_t tensor_bytes = 0;
  std::map<std::string, size_t> bytes_by_type;
  for (const auto& t : file->tensors()) {
    n_params += t.n_elements();
    tensor_bytes += t.n_bytes;
    bytes_by_type[tensor::GgmlTypeName(static_cast<uint32_t>(t.type))] += t.n_bytes;
  }
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(o.m.model, ec);

  if (o.json) {
    nlohmann::json j;
    j["path"] = o.m.model;
    j["file_size"] = ec ? 0 : file_size;
    j["gguf_version"] = file->version();
    j["n_params"] = n_params;
    j["tensor_bytes"] = tensor_bytes;
    nlohmann::json meta = nlohmann::json::object();
    for (const auto& [k, v] : file->metadata()) meta[k] = ValueToString(v);
    j["metadata"] = meta;
    nlohmann::json ts = nlohmann::json::array();
    for (const auto& t : file->tensors()) {
      std::vector<int64_t> shape(t.ne, t.ne + std::max<uint32_t>(t.n_dims, 1));
      ts.push_back({{"name", t.name},
                    {"type", tensor::GgmlTypeName(static_cast<uint32_t>(t.type))},
                    {"shape", shape},
                    {"bytes", t.n_bytes}});
    }
    j["tensors"] = ts;
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return Status::Ok();
  }

  std::printf("file:        %s\n", o.m.model.c_str());
  std::printf("file size:   %s (%llu bytes)\n", FormatBytes(ec ? 0.0 : double(file_size)).c_str(),
              static_cast<unsigned long long>(ec ? 0 : file_size));
  std::printf("format:      %s\n", owned ? StrFormat("GGUF v%u", file->version()).c_str() : "llama2.c checkpoint");
  std::printf("parameters:  %lld (%.3f M)\n", static_cast<long long>(n_params), n_params / 1e6);
  std::printf("tensor data: %s in %zu tensors (", FormatBytes(double(tensor_bytes)).c_str(),
              file->tensors().size());
  bool first = true;
  for (const auto& [type, b] : bytes_by_type) {
    std::printf("%s%s %s", first ? "" : ", ", type.c_str(), FormatBytes(double(b)).c_str());
    first = false;
  }
  std::printf(")\n\nmetadata (%zu keys):\n", file->metadata().size());
  for (const auto& [k, v] : file->metadata()) {
    std::printf("  %-40s %s\n", k.c_str(), ValueToString(v).c_str());
  }
  if (!o.no_tensors) {
    std::printf("\ntensors:\n  %-36s %-6s %-24s %12s\n", "name", "type", "shape", "bytes");
    for (const auto& t : file->tensors()) {
      std::printf("  %-36s %-6s %-24s %12zu\n", t.name.c_str(),
                  tensor::GgmlTypeName(static_cast<uint32_t>(t.type)).c_str(), ShapeString(t).c_str(),
                  t.n_bytes);
    }
  }
  return Status::Ok();
}

}  // namespace

Command RegisterInfo(CLI::App& root) {
  auto o = std::make_shared<InfoOptions>();
  CLI::App* cmd = root.add_subcommand("info", "show a model's metadata, tensors, parameter count and size");
  cmd->add_option("model", o->positional, "model file (or use -m)");
  cmd->add_option("-m,--model", o->m.model, "model file (GGUF or llama2.c .bin checkpoint)");
  cmd->add_option("--tokenizer", o->m.tokenizer, "tokenizer.bin for llama2.c checkpoints");
  cmd->add_flag("--json", o->json, "print as JSON");
  cmd->add_flag("--no-tensors", o->no_tensors, "omit the tensor table");
  return {cmd, [o] { return RunInfo(*o); }};
}

}  // namespace sangam::cli
