// Internal representation shared by the JSON-schema compiler, matcher and token filter.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sangam/json_constraint.h"

namespace sangam::sample::json_internal {

// Type bits of a kTyped node.
enum TypeBit : uint32_t {
  kTObject = 1, kTArray = 2, kTString = 4, kTNumber = 8, kTInteger = 16, kTBoolean = 32, kTNull = 64,
  kTAll = 127,
};

// A sorted set of byte strings matched exactly (enum/const values, object keys). tags[i] belongs
// to strs[i] (for keys: the property index).
inline constexpr int64_t kMaxIntMagnitude = 999999999999999999;  // 18 digits

struct LiteralSet {
  std::vector<std::string> strs;
  std::vector<int32_t> tags;
};

struct Prop {
  std::string name;  // decoded
  std::string enc;   // canonical JSON encoding with quotes
  int32_t node = 0;
  bool required = false;
};

struct Node {
  enum class Kind : uint8_t { kTyped, kLiteral, kAnyOf };
  Kind kind = Kind::kTyped;
  uint32_t types = kTAll;
  bool is_any = false;  // containers of this node are unconstrained (depth-capped)
  // object
  std::vector<Prop> props;
  int32_t additional = -1;                   // node of unlisted keys' values, -1 = none allowed
  std::vector<int32_t> next_req;             // [i]: first required index >= i, or props.size()
  std::vector<int32_t> key_sets;             // [i]: literal set of keys allowed at position i
  std::vector<std::pair<std::string, int32_t>> sorted_names;  // (name, prop index), sorted
  std::string free_key;                      // an encoded unlisted key for completions
  // array
  int32_t items = 0;
  uint32_t min_items = 0, max_items = UINT32_MAX;
  // integer bounds (inclusive; only for "integer": numbers have at most 18 integer digits)
  int64_t int_min = -kMaxIntMagnitude, int_max = kMaxIntMagnitude;
  // string
  uint32_t min_len = 0, max_len = UINT32_MAX;
  // literal
  int32_t literal_set = -1;
  // anyOf (flattened: no alternative is itself kAnyOf)
  std::vector<int32_t> alts;
  std::string min_value;  // a shortest valid value (compact)
};

struct Program {
  std::vector<Node> nodes;  // nodes[0] = any value
  std::vector<LiteralSet> literal_sets;
  int32_t root = 0;
  int32_t bool_set = -1;  // {"false", "true"}
  int32_t null_set = -1;  // {"null"}
};

// Frame kinds.
enum FrameKind : uint8_t { kRoot, kObject, kArray, kString, kKeyString, kNumber, kLiteral, kKeyLiteral };

inline constexpr uint8_t kStrPhaseNormal = 0;  // a kString frame outside escapes

inline constexpr int kMaxAnyDepth = 32;  // frames; unconstrained containers open only below this
inline constexpr size_t kMaxStacks = 32;

}  // namespace sangam::sample::json_internal
