// sangam tokenize: print the token ids of a text (or only their count).
#include <cstdio>

#include "cli/common.h"
#include "sangam/file.h"

namespace sangam::cli {
namespace {

struct TokenizeOptions {
  ModelOptions m;
  std::string text;
  std::string file;
  bool no_bos = false;
  bool count = false;
  bool special = false;
  bool pieces = false;
};

Status RunTokenize(TokenizeOptions o) {
  if (!o.file.empty()) {
    RETURN_IF_ERROR(CheckFileExists(o.file, "text file (-f)"));
    ASSIGN_OR_RETURN(o.text, ReadFileToString(o.file));
  }
  ASSIGN_OR_RETURN(LoadedTokenizer lt, LoadTokenizer(o.m));
  tokenizer::EncodeOptions eo;
  eo.add_bos = !o.no_bos;
  eo.parse_special = o.special;
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, lt.tok->Encode(o.text, eo));
  if (o.count) {
    std::printf("%zu\n", ids.size());
    return Status::Ok();
  }
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(ids[i]);
    if (o.pieces) out += ":'" + lt.tok->TokenText(ids[i]) + "'";
  }
  std::printf("%s\n", out.c_str());
  return Status::Ok();
}

}  // namespace

Command RegisterTokenize(CLI::App& root) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = root.add_subcommand("tokenize", "print the token ids of TEXT (space separated)");
  AddModelOptions(cmd, &o->m, {.ctx = false});
  auto* text = cmd->add_option("text", o->text, "text to tokenize");
  auto* file = cmd->add_option("-f,--file", o->file, "read the text from a file");
  text->excludes(file);
  cmd->add_flag("--no-bos", o->no_bos, "do not add the BOS token");
  cmd->add_flag("--count", o->count, "print only the number of tokens");
  cmd->add_flag("--special", o->special, "parse special-token text such as <s> or <|eot_id|>");
  cmd->add_flag("--pieces", o->pieces, "print id:'vocabulary entry' pairs");
  return {cmd, [o] { return RunTokenize(*o); }};
}

}  // namespace sangam::cli
