// llama2.c checkpoints: finds the tokenizer beside the checkpoint and converts via formats.
#include <filesystem>

#include "model/model_impl.h"
#include "sangam/llama2c.h"

namespace sangam::model {

Result<std::unique_ptr<gguf::File>> OpenLlama2c(const std::string& path, const LoadOptions& opts) {
  auto cfg = llama2c::ReadConfig(path);
  if (!cfg.ok()) {
    return cfg.status().WithPrefix("model: '" + path +
                                   "' is neither GGUF nor a readable llama2.c checkpoint");
  }
  std::string tok = opts.llama2c_tokenizer;
  if (tok.empty()) {
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    const std::string candidates[] = {
        (dir / "tokenizer.bin").string(),
        (dir / ("tok" + std::to_string(cfg->vocab_size) + ".bin")).string(),
    };
    std::error_code ec;
    for (const std::string& c : candidates) {
      if (std::filesystem::is_regular_file(c, ec)) {
        tok = c;
        break;
      }
    }
    if (tok.empty()) {
      return NotFoundError("model: no tokenizer for llama2.c checkpoint '" + path + "': tried " +
                           candidates[0] + " and " + candidates[1] +
                           "; pass the tokenizer path explicitly");
    }
  }
  return llama2c::LoadLlama2c(path, tok);
}

}  // namespace sangam::model
