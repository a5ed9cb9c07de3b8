// Validates fastText .bin/.ftz files (format version 12, as written by fastText 0.9.x) so that a
// corrupt file is an error instead of an endless loop, a huge allocation or an out-of-range read.
#include "guard/classifier_validate.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>

namespace sangam::guard {
namespace {

constexpr int32_t kMagic = 793712314;
constexpr int32_t kVersion = 12;
constexpr int kModelSupervised = 3;
constexpr int kLossSoftmax = 3;
constexpr int kLossOva = 4;
constexpr int64_t kMaxEntries = 20'000'000;
constexpr int kKsub = 256;  // product-quantizer centroids per sub-quantizer

class Reader {
 public:
  Reader(std::string_view bytes, std::string_view source) : b_(bytes), src_(source) {}

  template <typename T>
  Status Read(T* v, const char* what) {
    if (b_.size() - pos_ < sizeof(T)) return Truncated(what, sizeof(T));
    std::memcpy(v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status Skip(uint64_t n, const char* what) {
    if (n > b_.size() - pos_) return Truncated(what, n);
    pos_ += n;
    return Status::Ok();
  }
  Status ReadCString(std::string* s, const char* what) {
    const void* end = std::memchr(b_.data() + pos_, 0, b_.size() - pos_);
    if (end == nullptr) return Truncated(what, b_.size() - pos_ + 1);
    const size_t n = static_cast<const char*>(end) - (b_.data() + pos_);
    s->assign(b_.data() + pos_, n);
    pos_ += n + 1;
    return Status::Ok();
  }
  size_t pos() const { return pos_; }
  size_t remaining() const { return b_.size() - pos_; }
  Status Corrupt(const std::string& msg) const {
    return DataLossError(StrFormat("%.*s: fastText model: %s (at byte %zu)", static_cast<int>(src_.size()),
                                   src_.data(), msg.c_str(), pos_));
  }

 private:
  Status Truncated(const char* what, uint64_t need) const {
    return DataLossError(StrFormat("%.*s: fastText model truncated while reading %s (need %llu bytes at "
                                   "offset %zu, file has %zu)",
                                   static_cast<int>(src_.size()), src_.data(), what,
                                   static_cast<unsigned long long>(need), pos_, b_.size()));
  }
  std::string_view b_;
  std::string_view src_;
  size_t pos_ = 0;
};

struct MatrixShape {
  int64_t m = 0, n = 0;
};

Status ReadDense(Reader& r, MatrixShape* shape, const char* what) {
  RETURN_IF_ERROR(r.Read(&shape->m, what));
  RETURN_IF_ERROR(r.Read(&shape->n, what));
  if (shape->m < 0 || shape->n < 0 || shape->m > kMaxEntries * 16 || shape->n > 100000) {
    return r.Corrupt(StrFormat("%s has impossible shape %lld x %lld", what,
                               static_cast<long long>(shape->m), static_cast<long long>(shape->n)));
  }
  const uint64_t bytes = static_cast<uint64_t>(shape->m) * static_cast<uint64_t>(shape->n) * 4u;
  return r.Skip(bytes, what);
}

Status ReadPq(Reader& r, int32_t expect_dim, const char* what) {
  int32_t dim = 0, nsubq = 0, dsub = 0, lastdsub = 0;
  RETURN_IF_ERROR(r.Read(&dim, what));
  RETURN_IF_ERROR(r.Read(&nsubq, what));
  RETURN_IF_ERROR(r.Read(&dsub, what));
  RETURN_IF_ERROR(r.Read(&lastdsub, what));
  if (dim != expect_dim || dsub < 1 || dsub > dim) {
    return r.Corrupt(StrFormat("%s quantizer has dim=%d dsub=%d (expected dim %d)", what, dim, dsub, expect_dim));
  }
  const int32_t want_nsubq = (dim + dsub - 1) / dsub;
  const int32_t want_last = dim % dsub == 0 ? dsub : dim % dsub;
  if (nsubq != want_nsubq || lastdsub != want_last) {
    return r.Corrupt(StrFormat("%s quantizer has nsubq=%d lastdsub=%d (expected %d, %d)", what, nsubq, lastdsub,
                               want_nsubq, want_last));
  }
  return r.Skip(static_cast<uint64_t>(dim) * kKsub * 4u, what);
}

Status ReadQuant(Reader& r, int32_t dim, MatrixShape* shape, const char* what) {
  uint8_t qnorm = 0;
  RETURN_IF_ERROR(r.Read(&qnorm, what));
  if (qnorm > 1) return r.Corrupt(StrFormat("%s has a bad qnorm flag %u", what, qnorm));
  RETURN_IF_ERROR(r.Read(&shape->m, what));
  RETURN_IF_ERROR(r.Read(&shape->n, what));
  int32_t codesize = 0;
  RETURN_IF_ERROR(r.Read(&codesize, what));
  if (shape->m < 0 || shape->m > kMaxEntries * 16 || shape->n != dim) {
    return r.Corrupt(StrFormat("%s has impossible shape %lld x %lld (dim %d)", what,
                               static_cast<long long>(shape->m), static_cast<long long>(shape->n), dim));
  }
  if (codesize < 0) return r.Corrupt(StrFormat("%s has negative code size", what));
  const size_t codes_at = r.pos();
  RETURN_IF_ERROR(r.Skip(static_cast<uint64_t>(codesize), what));
  // The quantizer (read next) fixes how many code bytes each row needs.
  Reader peek = r;
  int32_t pq_dim = 0, nsubq = 0;
  RETURN_IF_ERROR(peek.Read(&pq_dim, what));
  RETURN_IF_ERROR(peek.Read(&nsubq, what));
  RETURN_IF_ERROR(ReadPq(r, dim, what));
  if (static_cast<int64_t>(codesize) != shape->m * nsubq) {
    return r.Corrupt(StrFormat("%s has %d code bytes at offset %zu, expected rows*subquantizers = %lld", what,
                               codesize, codes_at, static_cast<long long>(shape->m * nsubq)));
  }
  if (qnorm) {
    RETURN_IF_ERROR(r.Skip(static_cast<uint64_t>(shape->m), what));
    RETURN_IF_ERROR(ReadPq(r, 1, what));
  }
  return Status::Ok();
}

}  // namespace

Result<FastTextModelInfo> ValidateFastTextModel(std::string_view bytes, std::string_view source) {
  Reader r(bytes, source);
  const std::string src(source);
  int32_t magic = 0, version = 0;
  RETURN_IF_ERROR(r.Read(&magic, "header"));
  if (magic != kMagic) {
    return DataLossError(src + ": not a fastText model (bad magic number)");
  }
  RETURN_IF_ERROR(r.Read(&version, "header"));
  if (version != kVersion) {
    return InvalidArgumentError(StrFormat("%s: fastText model format version %d is not supported (need %d)",
                                          src.c_str(), version, kVersion));
  }
  // Args: dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate (int32), t (double).
  int32_t a[12];
  for (int i = 0; i < 12; ++i) RETURN_IF_ERROR(r.Read(&a[i], "arguments"));
  double t = 0;
  RETURN_IF_ERROR(r.Read(&t, "arguments"));
  FastTextModelInfo info;
  info.dim = a[0];
  info.word_ngrams = a[5];
  info.loss = a[6];
  const int model = a[7];
  info.bucket = a[8];
  info.minn = a[9];
  info.maxn = a[10];
  if (model != kModelSupervised) {
    return InvalidArgumentError(src + ": fastText model is a word-vector model, not a supervised classifier");
  }
  if (info.loss != kLossSoftmax && info.loss != kLossOva) {
    return InvalidArgumentError(StrFormat("%s: fastText classifier uses loss %d; sangam needs softmax or "
                                          "one-vs-all (-loss ova)", src.c_str(), info.loss));
  }
  if (info.dim < 1 || info.dim > 4096 || info.minn < 0 || info.maxn < 0 || info.maxn > 32 ||
      info.word_ngrams < 1 || info.word_ngrams > 16 || info.bucket < 0 || !std::isfinite(t)) {
    return r.Corrupt(StrFormat("bad arguments (dim=%d minn=%d maxn=%d wordNgrams=%d bucket=%d)", info.dim,
                               info.minn, info.maxn, info.word_ngrams, info.bucket));
  }
  if (info.bucket == 0 && (info.maxn > 0 || info.word_ngrams > 1)) {
    return r.Corrupt("bucket=0 with character or word n-grams");
  }
  // Dictionary.
  int32_t size = 0, nwords = 0, nlabels = 0;
  int64_t ntokens = 0, prune_size = 0;
  RETURN_IF_ERROR(r.Read(&size, "dictionary"));
  RETURN_IF_ERROR(r.Read(&nwords, "dictionary"));
  RETURN_IF_ERROR(r.Read(&nlabels, "dictionary"));
  RETURN_IF_ERROR(r.Read(&ntokens, "dictionary"));
  RETURN_IF_ERROR(r.Read(&prune_size, "dictionary"));
  if (size < 0 || nwords < 0 || nlabels < 1 || size > kMaxEntries ||
      static_cast<int64_t>(nwords) + nlabels != size || prune_size < -1 || prune_size > kMaxEntries ||
      ntokens < 0) {
    return r.Corrupt(StrFormat("bad dictionary counts (size=%d words=%d labels=%d pruned=%lld)", size, nwords,
                               nlabels, static_cast<long long>(prune_size)));
  }
  // Each entry needs at least 10 bytes (empty string's NUL, count, type).
  if (static_cast<uint64_t>(size) * 10u > r.remaining()) {
    return r.Corrupt(StrFormat("dictionary of %d entries cannot fit in the %zu bytes left", size, r.remaining()));
  }
  info.n_words = nwords;
  std::unordered_set<std::string> seen;
  for (int32_t i = 0; i < size; ++i) {
    std::string word;
    RETURN_IF_ERROR(r.ReadCString(&word, "dictionary entry"));
    int64_t count = 0;
    int8_t type = 0;
    RETURN_IF_ERROR(r.Read(&count, "dictionary entry"));
    RETURN_IF_ERROR(r.Read(&type, "dictionary entry"));
    const int8_t want = i < nwords ? 0 : 1;
    if (type != want || count < 0) {
      return r.Corrupt(StrFormat("dictionary entry %d has type %d (expected %d) or a negative count", i, type, want));
    }
    if (!seen.insert(word).second) return r.Corrupt(StrFormat("dictionary entry %d is a duplicate", i));
    if (type == 1) info.labels.push_back(std::move(word));
  }
  int64_t max_pruned_row = -1;
  for (int64_t i = 0; i < prune_size; ++i) {
    int32_t key = 0, value = 0;
    RETURN_IF_ERROR(r.Read(&key, "pruning index"));
    RETURN_IF_ERROR(r.Read(&value, "pruning index"));
    if (value < 0) return r.Corrupt(StrFormat("pruning index entry %lld maps to row %d", static_cast<long long>(i), value));
    if (value > max_pruned_row) max_pruned_row = value;
  }
  // Input matrix.
  uint8_t quant_input = 0;
  RETURN_IF_ERROR(r.Read(&quant_input, "input matrix flag"));
  if (quant_input > 1) return r.Corrupt("bad input quantization flag");
  info.quant_input = quant_input == 1;
  MatrixShape in;
  if (info.quant_input) {
    RETURN_IF_ERROR(ReadQuant(r, info.dim, &in, "input matrix"));
  } else {
    RETURN_IF_ERROR(ReadDense(r, &in, "input matrix"));
    if (prune_size >= 0) return r.Corrupt("pruned dictionary with an unquantized input matrix");
  }
  if (in.n != info.dim) return r.Corrupt(StrFormat("input matrix has %lld columns, dim is %d", static_cast<long long>(in.n), info.dim));
  const int64_t rows_needed = prune_size < 0 ? static_cast<int64_t>(nwords) + info.bucket
                                             : static_cast<int64_t>(nwords) + max_pruned_row + 1;
  if (in.m < rows_needed) {
    return r.Corrupt(StrFormat("input matrix has %lld rows, the dictionary indexes %lld", static_cast<long long>(in.m),
                               static_cast<long long>(rows_needed)));
  }
  // Output matrix.
  uint8_t qout = 0;
  RETURN_IF_ERROR(r.Read(&qout, "output matrix flag"));
  if (qout > 1) return r.Corrupt("bad output quantization flag");
  info.quant_output = info.quant_input && qout == 1;
  MatrixShape out;
  if (info.quant_output) {
    RETURN_IF_ERROR(ReadQuant(r, info.dim, &out, "output matrix"));
  } else {
    RETURN_IF_ERROR(ReadDense(r, &out, "output matrix"));
  }
  if (out.m != nlabels || out.n != info.dim) {
    return r.Corrupt(StrFormat("output matrix is %lld x %lld, expected %d x %d", static_cast<long long>(out.m),
                               static_cast<long long>(out.n), nlabels, info.dim));
  }
  if (r.remaining() != 0) return r.Corrupt(StrFormat("%zu unexpected trailing bytes", r.remaining()));
  return info;
}

}  // namespace sangam::guard
