// Compiles the supported JSON-Schema subset into the node table the JSON matcher runs on.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "sample/json_internal.h"
#include "sangam/json_constraint.h"

namespace sangam::sample {
namespace json_internal {
namespace {

using ojson = nlohmann::ordered_json;

constexpr int kMaxSchemaDepth = 64;
constexpr size_t kMaxMinValue = 1 << 20;  // bytes of a schema's smallest document

// Keywords that carry no constraint.
const std::set<std::string>& AnnotationKeywords() {
  static const std::set<std::string> k = {"description", "title",   "default",  "examples",
                                          "$schema",     "$id",     "$comment", "deprecated",
                                          "readOnly",    "writeOnly", "format", "$defs", "definitions"};
  return k;
}

const std::set<std::string>& SupportedKeywords() {
  static const std::set<std::string> k = [] {
    std::set<std::string> s = AnnotationKeywords();
    for (const char* w : {"type", "properties", "required", "additionalProperties", "items", "minItems",
                          "maxItems", "enum", "const", "anyOf", "oneOf", "allOf", "minLength", "maxLength",
                          "$ref", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
      s.insert(w);
    }
    return s;
  }();
  return k;
}

std::string EscapePointerToken(const std::string& t) {
  std::string out;
  for (char ch : t) {
    if (ch == '~') out += "~0";
    else if (ch == '/') out += "~1";
    else out += ch;
  }
  return out;
}

std::string Dump(const ojson& v) { return v.dump(-1, ' ', false, ojson::error_handler_t::replace); }

bool MatchesType(const ojson& v, uint32_t types) {
  if (v.is_object()) return types & kTObject;
  if (v.is_array()) return types & kTArray;
  if (v.is_string()) return types & kTString;
  if (v.is_boolean()) return types & kTBoolean;
  if (v.is_null()) return types & kTNull;
  if (v.is_number()) {
    if (types & kTNumber) return true;
    if (!(types & kTInteger)) return false;
    if (v.is_number_integer()) return true;
    double d = v.get<double>();
    return std::isfinite(d) && d == std::floor(d);
  }
  return false;
}

class Compiler {
 public:
  Compiler(const ojson& root, std::string root_name) : root_(root), root_name_(std::move(root_name)) {
    // nodes[0]: any value.
    Node any;
    any.types = kTAll;
    any.is_any = true;
    any.additional = 0;
    any.items = 0;
    any.min_value = "0";
    prog_.nodes.push_back(std::move(any));
    FinishObjectTables(prog_.nodes[0]);
  }

  Result<int32_t> Compile(const ojson& s, const std::string& ptr, int depth);
  Program Take() {
    prog_.bool_set = AddLiteralSet({{"false", 0}, {"true", 0}});
    prog_.null_set = AddLiteralSet({{"null", 0}});
    return std::move(prog_);
  }

  // Builds next_req, key_sets, sorted_names and free_key from props.
  void FinishObjectTables(Node& n);

 private:
  Status Err(const std::string& ptr, const std::string& what) const {
    return InvalidArgumentError(root_name_ + ptr + ": " + what);
  }
  Result<int32_t> ResolveRef(const ojson& s, const std::string& ptr, int depth);
  Result<int32_t> CompileAlternatives(const ojson& s, const std::string& ptr, int depth);
  Result<int32_t> CompileEnum(const ojson& s, const std::string& ptr);
  Result<uint32_t> ReadCount(const ojson& s, const char* key, const std::string& ptr, uint32_t dflt);
  int32_t AddLiteralSet(std::vector<std::pair<std::string, int32_t>> items);
  int32_t AddNode(Node n) {
    prog_.nodes.push_back(std::move(n));
    return static_cast<int32_t>(prog_.nodes.size() - 1);
  }

  const ojson& root_;
  std::string root_name_;
  Program prog_;
  std::map<std::string, int32_t> refs_done_;
  std::set<std::string> refs_active_;
};

int32_t Compiler::AddLiteralSet(std::vector<std::pair<std::string, int32_t>> items) {
  std::sort(items.begin(), items.end());
  LiteralSet ls;
  for (auto& [s, tag] : items) {
    if (!ls.strs.empty() && ls.strs.back() == s) continue;
    ls.strs.push_back(s);
    ls.tags.push_back(tag);
  }
  prog_.literal_sets.push_back(std::move(ls));
  return static_cast<int32_t>(prog_.literal_sets.size() - 1);
}

void Compiler::FinishObjectTables(Node& n) {
  const int32_t np = static_cast<int32_t>(n.props.size());
  n.next_req.assign(np + 1, np);
  for (int32_t i = np - 1; i >= 0; --i) n.next_req[i] = n.props[i].required ? i : n.next_req[i + 1];
  n.key_sets.clear();
  for (int32_t i = 0; i <= np; ++i) {
    std::vector<std::pair<std::string, int32_t>> keys;
    int32_t last = std::min(n.next_req[i], np - 1);
    for (int32_t j = i; j <= last; ++j) keys.emplace_back(n.props[j].enc, j);
    n.key_sets.push_back(AddLiteralSet(std::move(keys)));
  }
  n.sorted_names.clear();
  for (int32_t j = 0; j < np; ++j) n.sorted_names.emplace_back(n.props[j].name, j);
  std::sort(n.sorted_names.begin(), n.sorted_names.end());
  std::set<std::string> names;
  for (const auto& p : n.props) names.insert(p.name);
  std::string k = "k";
  for (int i = 0; names.count(k); ++i) k = "k" + std::to_string(i);
  n.free_key = "\"" + k + "\"";
}

Result<uint32_t> Compiler::ReadCount(const ojson& s, const char* key, const std::string& ptr,
                                     uint32_t dflt) {
  auto it = s.find(key);
  if (it == s.end()) return dflt;
  if (it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0)) {
    uint64_t v = it->get<uint64_t>();
    return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (d >= 0 && d == std::floor(d)) return static_cast<uint32_t>(std::min<double>(d, UINT32_MAX));
  }
  return Err(ptr, std::string("'") + key + "' must be a non-negative integer");
}

Result<int32_t> Compiler::ResolveRef(const ojson& s, const std::string& ptr, int depth) {
  const ojson& r = s["$ref"];
  if (!r.is_string()) return Err(ptr, "'$ref' must be a string");
  std::string ref = r.get<std::string>();
  if (ref.rfind("#/$defs/", 0) != 0 && ref.rfind("#/definitions/", 0) != 0) {
    return Err(ptr, "unsupported $ref '" + ref + "' (only '#/$defs/...' and '#/definitions/...')");
  }
  std::string p = ref.substr(1);
  if (auto it = refs_done_.find(p); it != refs_done_.end()) return it->second;
  if (refs_active_.count(p)) return Err(ptr, "recursive $ref '" + ref + "' is not supported");
  const ojson* target = nullptr;
  try {
    ojson::json_pointer jp(p);
    if (root_.contains(jp)) target = &root_.at(jp);
  } catch (const std::exception&) {
    return Err(ptr, "invalid $ref '" + ref + "'");
  }
  if (target == nullptr) return Err(ptr, "$ref '" + ref + "' does not resolve");
  refs_active_.insert(p);
  auto id = Compile(*target, p, depth + 1);
  refs_active_.erase(p);
  if (!id.ok()) return id.status();
  refs_done_[p] = *id;
  return *id;
}

Result<int32_t> Compiler::CompileAlternatives(const ojson& s, const std::string& ptr, int depth) {
  const char* kw = s.contains("anyOf") ? "anyOf" : "oneOf";
  const ojson& list = s[kw];
  if (!list.is_array() || list.empty()) return Err(ptr, std::string("'") + kw + "' must be a non-empty array");
  Node n;
  n.kind = Node::Kind::kAnyOf;
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(int32_t id, Compile(list[i], ptr + "/" + kw + "/" + std::to_string(i), depth + 1));
    const Node& alt = prog_.nodes[id];
    if (alt.kind == Node::Kind::kAnyOf) {
      for (int32_t a : alt.alts) n.alts.push_back(a);
    } else {
      n.alts.push_back(id);
    }
  }
  // Deduplicate (keeps the first occurrence).
  std::vector<int32_t> uniq;
  for (int32_t a : n.alts) {
    if (std::find(uniq.begin(), uniq.end(), a) == uniq.end()) uniq.push_back(a);
  }
  n.alts = std::move(uniq);
  if (n.alts.size() == 1) return n.alts[0];
  n.min_value = prog_.nodes[n.alts[0]].min_value;
  for (int32_t a : n.alts) {
    if (prog_.nodes[a].min_value.size() < n.min_value.size()) n.min_value = prog_.nodes[a].min_value;
  }
  return AddNode(std::move(n));
}

Result<int32_t> Compiler::CompileEnum(const ojson& s, const std::string& ptr) {
  if (s.contains("enum") && s.contains("const")) return Err(ptr, "'enum' together with 'const' is not supported");
  const char* kw = s.contains("enum") ? "enum" : "const";
  std::vector<const ojson*> values;
  if (s.contains("enum")) {
    if (!s["enum"].is_array() || s["enum"].empty()) return Err(ptr, "'enum' must be a non-empty array");
    for (const auto& v : s["enum"]) values.push_back(&v);
  } else {
    values.push_back(&s["const"]);
  }
  uint32_t types = kTAll;
  if (s.contains("type")) {
    // Parsed again by the caller's rules; only names matter here.
    const ojson& t = s["type"];
    std::vector<std::string> names;
    if (t.is_string()) names.push_back(t.get<std::string>());
    else if (t.is_array()) {
      for (const auto& x : t) {
        if (!x.is_string()) return Err(ptr, "'type' must be a string or an array of strings");
        names.push_back(x.get<std::string>());
      }
    } else {
      return Err(ptr, "'type' must be a string or an array of strings");
    }
    types = 0;
    for (const auto& nm : names) {
      if (nm == "object") types |= kTObject;
      else if (nm == "array") types |= kTArray;
      else if (nm == "string") types |= kTString;
      else if (nm == "number") types |= kTNumber;
      else if (nm == "integer") types |= kTInteger;
      else if (nm == "boolean") types |= kTBoolean;
      else if (nm == "null") types |= kTNull;
      else return Err(ptr, "unknown type '" + nm + "'");
    }
  }
  std::vector<std::pair<std::string, int32_t>> items;
  for (const ojson* v : values) {
    if (MatchesType(*v, types)) items.emplace_back(Dump(*v), 0);
  }
  if (items.empty()) return Err(ptr, std::string("no value of '") + kw + "' matches 'type'");
  Node n;
  n.kind = Node::Kind::kLiteral;
  n.literal_set = AddLiteralSet(std::move(items));
  const LiteralSet& ls = prog_.literal_sets[n.literal_set];
  n.min_value = ls.strs[0];
  for (const auto& x : ls.strs) {
    if (x.size() < n.min_value.size()) n.min_value = x;
  }
  return AddNode(std::move(n));
}

Result<int32_t> Compiler::Compile(const ojson& s, const std::string& ptr, int depth) {
  if (depth > kMaxSchemaDepth) {
    return Err(ptr, "schema nested deeper than " + std::to_string(kMaxSchemaDepth) + " levels");
  }
  if (s.is_boolean()) {
    if (s.get<bool>()) return 0;
    return Err(ptr, "schema 'false' can never be satisfied");
  }
  if (!s.is_object()) return Err(ptr, "a schema must be an object or a boolean");
  std::vector<std::string> validation;  // keywords other than annotations
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (!SupportedKeywords().count(it.key())) return Err(ptr, "unsupported keyword '" + it.key() + "'");
    if (!AnnotationKeywords().count(it.key())) validation.push_back(it.key());
  }
  for (const char* defs : {"$defs", "definitions"}) {
    if (s.contains(defs) && !s[defs].is_object()) return Err(ptr, std::string("'") + defs + "' must be an object");
  }
  auto only = [&](const std::set<std::string>& allowed, const char* what) -> Status {
    for (const auto& k : validation) {
      if (!allowed.count(k)) return Err(ptr, "'" + k + "' together with '" + what + "' is not supported");
    }
    return Status::Ok();
  };
  if (s.contains("$ref")) {
    RETURN_IF_ERROR(only({"$ref"}, "$ref"));
    return ResolveRef(s, ptr, depth);
  }
  if (s.contains("anyOf") || s.contains("oneOf")) {
    if (s.contains("anyOf") && s.contains("oneOf")) return Err(ptr, "'anyOf' together with 'oneOf' is not supported");
    RETURN_IF_ERROR(only({"anyOf", "oneOf"}, s.contains("anyOf") ? "anyOf" : "oneOf"));
    return CompileAlternatives(s, ptr, depth);
  }
  if (s.contains("allOf")) {
    RETURN_IF_ERROR(only({"allOf"}, "allOf"));
    const ojson& list = s["allOf"];
    if (!list.is_array() || list.size() != 1) return Err(ptr, "'allOf' is supported only with exactly one schema");
    return Compile(list[0], ptr + "/allOf/0", depth + 1);
  }
  if (s.contains("enum") || s.contains("const")) {
    RETURN_IF_ERROR(only({"enum", "const", "type"}, s.contains("enum") ? "enum" : "const"));
    return CompileEnum(s, ptr);
  }

  Node n;
  if (s.contains("type")) {
    const ojson& t = s["type"];
    std::vector<std::string> names;
    if (t.is_string()) {
      names.push_back(t.get<std::string>());
    } else if (t.is_array() && !t.empty()) {
      for (const auto& x : t) {
        if (!x.is_string()) return Err(ptr, "'type' must be a string or a non-empty array of strings");
        names.push_back(x.get<std::string>());
      }
    } else {
      return Err(ptr, "'type' must be a string or a non-empty array of strings");
    }
    n.types = 0;
    for (const auto& nm : names) {
      if (nm == "object") n.types |= kTObject;
      else if (nm == "array") n.types |= kTArray;
      else if (nm == "string") n.types |= kTString;
      else if (nm == "number") n.types |= kTNumber;
      else if (nm == "integer") n.types |= kTInteger;
      else if (nm == "boolean") n.types |= kTBoolean;
      else if (nm == "null") n.types |= kTNull;
      else return Err(ptr, "unknown type '" + nm + "'");
    }
  } else {
    // Infer the type from the keywords present.
    uint32_t t = 0;
    for (const auto& k : validation) {
      if (k == "properties" || k == "required" || k == "additionalProperties") t |= kTObject;
      if (k == "items" || k == "minItems" || k == "maxItems") t |= kTArray;
      if (k == "minLength" || k == "maxLength") t |= kTString;
    }
    if (t == 0) {
      n.types = kTAll;
      n.is_any = true;
    } else {
      n.types = t;
    }
  }
  if (n.types & kTNumber) n.types &= ~static_cast<uint32_t>(kTInteger);

  // Integer bounds.
  for (const char* kw : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
    if (!s.contains(kw)) continue;
    if (n.types & kTNumber) {
      return Err(ptr, std::string("'") + kw + "' is supported only with \"type\": \"integer\" (not for \"number\")");
    }
    const ojson& v = s[kw];
    if (!v.is_number()) return Err(ptr, std::string("'") + kw + "' must be a number");
    const std::string k = kw;
    const bool lower = k == "minimum" || k == "exclusiveMinimum";
    const bool exclusive = k.rfind("exclusive", 0) == 0;
    const double lim = static_cast<double>(kMaxIntMagnitude);
    int64_t b;
    if (v.is_number_integer() && !v.is_number_unsigned()) {
      b = std::clamp<int64_t>(v.get<int64_t>(), -kMaxIntMagnitude - 1, kMaxIntMagnitude + 1);
    } else if (v.is_number_unsigned()) {
      b = static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), kMaxIntMagnitude + 1));
    } else {
      double d = v.get<double>();
      if (!std::isfinite(d)) return Err(ptr, std::string("'") + kw + "' must be finite");
      double r = lower ? std::ceil(d) : std::floor(d);
      if (exclusive && r == d) r += lower ? 1 : -1;
      b = static_cast<int64_t>(std::clamp(r, -lim - 1, lim + 1));
      if (lower) n.int_min = std::max(n.int_min, b);
      else n.int_max = std::min(n.int_max, b);
      continue;
    }
    if (exclusive) b += lower ? 1 : -1;
    if (lower) n.int_min = std::max(n.int_min, b);
    else n.int_max = std::min(n.int_max, b);
  }
  if ((n.types & kTInteger) && n.int_min > n.int_max) {
    return Err(ptr, "no integer of at most 18 digits satisfies the bounds");
  }

  // Object keywords.
  const bool has_props = s.contains("properties");
  if (has_props && !s["properties"].is_object()) return Err(ptr, "'properties' must be an object");
  n.additional = has_props ? -1 : 0;
  if (s.contains("additionalProperties")) {
    const ojson& ap = s["additionalProperties"];
    if (ap.is_boolean()) {
      n.additional = ap.get<bool>() ? 0 : -1;
    } else {
      ASSIGN_OR_RETURN(n.additional, Compile(ap, ptr + "/additionalProperties", depth + 1));
    }
  }
  if (has_props) {
    const ojson& props = s["properties"];
    for (auto it = props.begin(); it != props.end(); ++it) {
      Prop p;
      p.name = it.key();
      p.enc = Dump(ojson(p.name));
      ASSIGN_OR_RETURN(p.node, Compile(it.value(), ptr + "/properties/" + EscapePointerToken(p.name), depth + 1));
      n.props.push_back(std::move(p));
    }
  }
  if (s.contains("required")) {
    const ojson& req = s["required"];
    if (!req.is_array()) return Err(ptr, "'required' must be an array of strings");
    std::set<std::string> seen;
    for (const auto& r : req) {
      if (!r.is_string()) return Err(ptr, "'required' must be an array of strings");
      std::string name = r.get<std::string>();
      if (!seen.insert(name).second) return Err(ptr, "'required' lists '" + name + "' twice");
      auto pit = std::find_if(n.props.begin(), n.props.end(), [&](const Prop& p) { return p.name == name; });
      if (pit != n.props.end()) {
        pit->required = true;
      } else if (n.additional >= 0) {
        Prop p;
        p.name = name;
        p.enc = Dump(ojson(name));
        p.node = n.additional;
        p.required = true;
        n.props.push_back(std::move(p));
      } else if (n.types & kTObject) {
        return Err(ptr, "required property '" + name +
                            "' is not in 'properties' and additional properties are not allowed");
      }
    }
  }
  if (n.props.size() > 4096) return Err(ptr, "too many properties (more than 4096)");
  FinishObjectTables(n);

  // Array keywords.
  n.items = 0;
  if (s.contains("items")) {
    const ojson& it = s["items"];
    if (it.is_array()) return Err(ptr, "tuple-form 'items' (an array) is not supported");
    if (it.is_boolean() && !it.get<bool>()) {
      n.max_items = 0;
    } else {
      ASSIGN_OR_RETURN(n.items, Compile(it, ptr + "/items", depth + 1));
    }
  }
  ASSIGN_OR_RETURN(n.min_items, ReadCount(s, "minItems", ptr, 0));
  ASSIGN_OR_RETURN(uint32_t max_items, ReadCount(s, "maxItems", ptr, UINT32_MAX));
  n.max_items = std::min(n.max_items, max_items);
  if ((n.types & kTArray) && n.min_items > n.max_items) {
    return Err(ptr, s.contains("items") && s["items"].is_boolean() ? "'minItems' > 0 with 'items': false"
                                                                   : "'minItems' is larger than 'maxItems'");
  }
  // String keywords.
  ASSIGN_OR_RETURN(n.min_len, ReadCount(s, "minLength", ptr, 0));
  ASSIGN_OR_RETURN(n.max_len, ReadCount(s, "maxLength", ptr, UINT32_MAX));
  if ((n.types & kTString) && n.min_len > n.max_len) return Err(ptr, "'minLength' is larger than 'maxLength'");

  // A shortest value over the allowed types.
  std::vector<std::string> cands;
  if (n.types & kTNumber) cands.push_back("0");
  if (n.types & kTInteger) {
    int64_t v = n.int_min > 0 ? n.int_min : (n.int_max < 0 ? n.int_max : 0);
    cands.push_back(std::to_string(v));
  }
  if (n.types & kTBoolean) cands.push_back("true");
  if (n.types & kTNull) cands.push_back("null");
  if (n.types & kTString) {
    if (n.min_len > kMaxMinValue) return Err(ptr, "'minLength' is too large");
    cands.push_back("\"" + std::string(n.min_len, 'a') + "\"");
  }
  if (n.types & kTArray) {
    const std::string& item = prog_.nodes[n.items].min_value;
    if (static_cast<uint64_t>(n.min_items) * (item.size() + 1) > kMaxMinValue) {
      return Err(ptr, "'minItems' is too large (the smallest valid array exceeds 1 MiB)");
    }
    std::string v = "[";
    for (uint32_t i = 0; i < n.min_items; ++i) v += (i ? "," : "") + item;
    cands.push_back(v + "]");
  }
  if (n.types & kTObject) {
    std::string v = "{";
    bool first = true;
    for (const auto& p : n.props) {
      if (!p.required) continue;
      v += (first ? "" : ",") + p.enc + ":" + prog_.nodes[p.node].min_value;
      first = false;
      if (v.size() > kMaxMinValue) return Err(ptr, "the smallest valid object exceeds 1 MiB");
    }
    cands.push_back(v + "}");
  }
  n.min_value = cands[0];
  for (const auto& c : cands) {
    if (c.size() < n.min_value.size()) n.min_value = c;
  }
  return AddNode(std::move(n));
}

}  // namespace
}  // namespace json_internal

JsonConstraint::JsonConstraint(std::unique_ptr<json_internal::Program> p) : program_(std::move(p)) {}
JsonConstraint::~JsonConstraint() = default;

std::shared_ptr<const JsonConstraint> JsonConstraint::AnyObject() {
  static const std::shared_ptr<const JsonConstraint> c = [] {
    json_internal::ojson empty = json_internal::ojson::object();
    json_internal::Compiler comp(empty, "");
    json_internal::Program prog = comp.Take();
    json_internal::Node obj = prog.nodes[0];
    obj.types = json_internal::kTObject;
    obj.is_any = false;
    obj.min_value = "{}";
    prog.nodes.push_back(std::move(obj));
    prog.root = static_cast<int32_t>(prog.nodes.size() - 1);
    return std::make_shared<const JsonConstraint>(std::make_unique<json_internal::Program>(std::move(prog)));
  }();
  return c;
}

Result<std::shared_ptr<const JsonConstraint>> JsonConstraint::FromSchema(const nlohmann::json& schema,
                                                                         std::string_view root_name) {
  json_internal::ojson s;
  try {
    s = json_internal::ojson::parse(schema.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(root_name) + ": " + e.what());
  }
  return FromOrderedSchema(s, root_name);
}

Result<std::shared_ptr<const JsonConstraint>> JsonConstraint::FromOrderedSchema(
    const nlohmann::ordered_json& schema, std::string_view root_name) {
  json_internal::Compiler comp(schema, std::string(root_name));
  auto root = comp.Compile(schema, "", 0);
  if (!root.ok()) return root.status();
  json_internal::Program prog = comp.Take();
  prog.root = *root;
  return std::make_shared<const JsonConstraint>(std::make_unique<json_internal::Program>(std::move(prog)));
}

Result<std::shared_ptr<const JsonConstraint>> JsonConstraint::FromSchemaText(std::string_view text,
                                                                             std::string_view root_name) {
  nlohmann::ordered_json s;
  try {
    s = nlohmann::ordered_json::parse(text);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string(root_name) + ": invalid JSON: " + e.what());
  }
  return FromOrderedSchema(s, root_name);
}

Result<std::shared_ptr<const JsonConstraint>> JsonConstraint::FromResponseFormat(const nlohmann::ordered_json& rf) {
  if (!rf.is_object()) return InvalidArgumentError("response_format: must be an object");
  auto t = rf.find("type");
  if (t == rf.end() || !t->is_string()) return InvalidArgumentError("response_format.type: missing or not a string");
  const std::string type = t->get<std::string>();
  if (type == "text") return std::shared_ptr<const JsonConstraint>();
  if (type == "json_object") return AnyObject();
  if (type != "json_schema") {
    return InvalidArgumentError("response_format.type: unknown value '" + type +
                                "' (expected 'text', 'json_object' or 'json_schema')");
  }
  auto js = rf.find("json_schema");
  if (js == rf.end() || !js->is_object()) {
    return InvalidArgumentError("response_format.json_schema: missing or not an object");
  }
  if (auto n = js->find("name"); n != js->end() && !n->is_string()) {
    return InvalidArgumentError("response_format.json_schema.name: must be a string");
  }
  if (auto st = js->find("strict"); st != js->end() && !st->is_boolean() && !st->is_null()) {
    return InvalidArgumentError("response_format.json_schema.strict: must be a boolean");
  }
  auto schema = js->find("schema");
  if (schema == js->end()) return InvalidArgumentError("response_format.json_schema.schema: missing");
  return FromOrderedSchema(*schema, "response_format.json_schema.schema");
}

Result<std::shared_ptr<const JsonConstraint>> JsonConstraint::FromResponseFormat(const nlohmann::json& rf) {
  nlohmann::ordered_json o;
  try {
    o = nlohmann::ordered_json::parse(rf.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("response_format: ") + e.what());
  }
  return FromResponseFormat(o);
}

}  // namespace sangam::sample
