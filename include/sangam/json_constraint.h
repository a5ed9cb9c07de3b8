// Constrained decoding for JSON output: a JSON-Schema subset compiled into a byte-level matcher,
// and a token filter that masks the logits of tokens the matcher would reject.
//
// Used by the server for OpenAI's response_format {"type":"json_object"} (AnyObject) and
// {"type":"json_schema", ...} (FromSchema). Any byte sequence the matcher accepts is a prefix of a
// document that parses (RFC 8259) and matches the schema, and every accepted prefix can still be
// completed: ShortestCompletion() returns bytes that close it validly (for max_tokens cut-offs).
//
// Output form the matcher accepts (a subset of all valid JSON texts for the schema):
// - No whitespace before the top-level value and none after it. Between structural tokens (after
//   '{' '[' ',' ':' and before ':' ',' '}' ']') at most 2 whitespace bytes (space, \t, \r, \n),
//   of which at most one newline, so that a model cannot loop on whitespace.
// - Numbers: at most 18 integer digits, 15 fraction digits and 2 exponent digits (so every number
//   is finite as a double). "integer" allows only -?(0|[1-9][0-9]*) (no fraction, no exponent).
// - Strings: any valid UTF-8 (checked byte by byte; tokens may end inside a character), escapes
//   per RFC 8259; \u surrogates must form pairs; raw control characters are rejected.
// - Values of `enum` / `const` are emitted exactly as their compact serialisation (nlohmann dump).
// - Object properties listed in `properties` appear in schema order; optional ones may be
//   skipped; required ones must appear. Keys not listed (when additionalProperties allows them) may
//   appear anywhere between them; they never equal a listed name. Duplicate unlisted keys are not
//   detected (RFC 8259 says names SHOULD be unique).
// - Unconstrained values ({} / true schemas, json_object values) nest at most 32 levels deep.
//
// Supported schema subset (everything else is InvalidArgument naming the JSON pointer):
//   type (a name or a list of: object, array, string, number, integer, boolean, null);
//   properties, required, additionalProperties (false | true | schema; DEFAULT: false when
//   `properties` is present, i.e. only the listed keys; true otherwise); a name in `required`
//   that is not in `properties` is emitted after the listed ones with the additionalProperties
//   schema (error when additionalProperties is false);
//   items (schema, true, or false = empty array), minItems, maxItems; minLength, maxLength (in
//   Unicode code points); enum, const (type, when present, filters the values); anyOf, oneOf
//   (both treated as plain alternatives: oneOf's exclusivity is not enforced); allOf with exactly
//   one schema; $ref to "#/$defs/..." or "#/definitions/..." (recursive references are rejected);
//   $defs, definitions; minimum, maximum, exclusiveMinimum, exclusiveMaximum for "integer" only
//   (enforced digit by digit: a prefix is accepted only if some in-range integer extends it).
//   Without `type`, object keywords imply "object", array keywords "array", string keywords
//   "string"; a schema with none of them accepts any JSON value.
//   Ignored annotations: description, title, default, examples, $schema, $id, $comment,
//   deprecated, readOnly, writeOnly, and format (an annotation by default in JSON Schema
//   2020-12; it is NOT enforced).
//   Not supported (rejected): pattern, patternProperties, numeric bounds on "number" (or on a
//   schema without "type": "integer"), multipleOf, prefixItems / tuple items, uniqueItems,
//   contains, not, if/then/else, dependent*, propertyNames, min/maxProperties, allOf with several
//   schemas, enum/const combined with other validation keywords, anyOf/oneOf combined with other
//   validation keywords.
// anyOf alternatives that cannot be told apart yet are followed in parallel (at most 32 at once;
// further ones are dropped, which only narrows what is accepted).
//
// Thread safety: JsonConstraint and JsonTokenFilter are immutable after construction and may be
// shared by any number of threads; a JsonMatcher is one sequence's state (not shared).
// Errors: FromSchema returns InvalidArgument; the matcher never fails, it rejects bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sangam/status.h"
#include "sangam/tokenizer.h"

namespace sangam::sample {

namespace json_internal {
struct Program;  // the compiled schema (src/sample/json_internal.h)
// One level of the matcher's pushdown stack (24 bytes, plain data; meaning depends on kind).
struct Frame {
  uint8_t kind, phase, ws, x;
  uint32_t node, a, b, c, d;
};
// A set of alternative stacks (several only while anyOf alternatives are undecided).
struct State {
  std::vector<Frame> frames;
  std::vector<uint32_t> spans;  // [begin, end) index pairs into frames, one pair per stack
};
}  // namespace json_internal

// A compiled constraint: "any JSON object" or a JSON Schema. Immutable.
class JsonConstraint {
 public:
  // json_object mode: the top-level value is an object (keys and values unconstrained).
  static std::shared_ptr<const JsonConstraint> AnyObject();
  // Compiles a schema of the subset above. Errors are InvalidArgument with messages
  // "<root_name><JSON pointer>: <what>", e.g.
  // "response_format.json_schema.schema/properties/age: unsupported keyword 'patternProperties'".
  // Note: nlohmann::json sorts object keys, so "schema order" of properties becomes alphabetical
  // order here; use FromOrderedSchema / FromSchemaText to keep the order the user wrote.
  static Result<std::shared_ptr<const JsonConstraint>> FromSchema(const nlohmann::json& schema,
                                                                  std::string_view root_name = "schema");
  static Result<std::shared_ptr<const JsonConstraint>> FromOrderedSchema(const nlohmann::ordered_json& schema,
                                                                         std::string_view root_name = "schema");
  // Parses `text` (keeping key order) and compiles it; invalid JSON is InvalidArgument too.
  static Result<std::shared_ptr<const JsonConstraint>> FromSchemaText(std::string_view text,
                                                                      std::string_view root_name = "schema");

  // OpenAI's `response_format` object: {"type":"text"} gives nullptr (no constraint),
  // {"type":"json_object"} AnyObject(), {"type":"json_schema","json_schema":{"name":..,
  // "schema":{..},"strict":..}} the compiled schema (errors named "response_format.json_schema.schema/...").
  // Other shapes are InvalidArgument naming the field ("response_format.type: ...").
  // The nlohmann::json overload sees properties in alphabetical order (see FromSchema).
  static Result<std::shared_ptr<const JsonConstraint>> FromResponseFormat(const nlohmann::ordered_json& rf);
  static Result<std::shared_ptr<const JsonConstraint>> FromResponseFormat(const nlohmann::json& rf);

  ~JsonConstraint();
  const json_internal::Program& program() const { return *program_; }

  explicit JsonConstraint(std::unique_ptr<json_internal::Program> p);  // use the factories

 private:
  std::unique_ptr<json_internal::Program> program_;
};

// The matcher: a small pushdown state over bytes. Copying is cheap (two small vectors).
class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const JsonConstraint> c);

  // Advances over `bytes`; returns false and leaves the state unchanged if any byte is not allowed.
  bool Feed(std::string_view bytes);
  bool CanFeed(std::string_view bytes) const;
  // A whole value has been produced: end-of-generation is allowed now. (A top-level number may
  // still accept more digits; everything else accepts no further byte.)
  bool Complete() const;
  // Bytes that close the current value validly: the result of appending them parses and matches
  // the schema (open strings closed, required properties filled with minimal values, brackets
  // closed). Empty when Complete(). Deterministic.
  std::string ShortestCompletion() const;

  // For JsonTokenFilter: the raw state and one-byte transition (out is overwritten; returns false
  // when the byte is rejected, out is then unspecified).
  const json_internal::State& state() const { return state_; }
  static bool Step(const json_internal::Program& p, const json_internal::State& in, uint8_t byte,
                   json_internal::State* out);
  static bool IsComplete(const json_internal::Program& p, const json_internal::State& s);
  const JsonConstraint& constraint() const { return *c_; }

 private:
  std::shared_ptr<const JsonConstraint> c_;
  json_internal::State state_;
};

// Precomputed over a vocabulary: a byte trie of every token's decoded bytes
// (Tokenizer::TokenToPiece). Control tokens, tokens with empty text and pieces over 1024 bytes are
// never allowed, except
// the tokenizer's end-of-generation tokens (IsEog), allowed exactly when the matcher is Complete().
// The Tokenizer is only read during construction.
class JsonTokenFilter {
 public:
  explicit JsonTokenFilter(const tokenizer::Tokenizer& tok);

  // Sets logits[id] = -INFINITY for every token the matcher rejects (logits has n_vocab entries).
  // Returns the number of allowed tokens; 0 means no token fits (an internal error for the
  // caller to report; cannot happen with a vocabulary that has all single-byte pieces and an EOG
  // token). Thread-safe (scratch space is per call).
  int Mask(const JsonMatcher& m, float* logits) const;
  // Same walk, returning the allowed token ids in increasing order.
  std::vector<int32_t> AllowedTokens(const JsonMatcher& m) const;

  int32_t n_vocab() const { return n_vocab_; }

 private:
  struct TrieNode {
    uint8_t byte;
    uint16_t depth;        // 1 for children of the root
    uint32_t subtree_end;  // preorder index just past this node's subtree
    uint32_t tok_begin, tok_end;  // tokens whose piece ends here: toks_[tok_begin, tok_end)
  };
  struct Trie {
    std::vector<TrieNode> nodes;  // preorder, root excluded
    std::vector<int32_t> toks;
    uint16_t max_depth = 0;
  };
  struct Entry {
    std::string piece;
    int32_t id;
  };
  static Trie BuildTrie(std::vector<Entry> entries);
  // Calls on_token(id) for each allowed non-EOG token.
  template <typename F>
  void Walk(const JsonMatcher& m, F&& on_token) const;
  template <typename F>
  static void WalkTrie(const Trie& t, const json_internal::Program& p, const json_internal::State& s, F&& on_token);

  int32_t n_vocab_ = 0;
  Trie all_;    // every allowed-able token
  // Inside a value string (no escape or UTF-8 sequence pending) every "plain" token (complete
  // UTF-8, no '"', '\\' or control bytes) is allowed if it fits maxLength; only the others
  // need the trie walk.
  std::vector<int32_t> plain_;
  std::vector<uint32_t> plain_cps_;  // code points of each plain token
  Trie rest_;   // the non-plain tokens
  std::vector<int32_t> eog_;
};

}  // namespace sangam::sample
