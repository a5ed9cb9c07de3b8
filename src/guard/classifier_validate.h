// Structural validation of fastText model files before fastText's own (unchecked) loader sees them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::guard {

struct FastTextModelInfo {
  int dim = 0, minn = 0, maxn = 0, word_ngrams = 0, bucket = 0, loss = 0;
  int n_words = 0;
  std::vector<std::string> labels;  // in label-id order, with the "__label__" prefix
  bool quant_input = false;
  bool quant_output = false;
};

// Walks the whole file (header, arguments, dictionary, input and output matrices) and checks
// every count and size against the bytes present and against what fastText will index at
// prediction time. DataLoss for truncated/corrupt files, InvalidArgument for a well-formed file
// that is not a supervised softmax/one-vs-all classifier. Messages start with `source`.
Result<FastTextModelInfo> ValidateFastTextModel(std::string_view bytes, std::string_view source);

}  // namespace sangam::guard
