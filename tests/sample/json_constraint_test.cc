// Tests for JSON / JSON-Schema constrained decoding: byte-level acceptance tables per schema
// feature, schema errors, the token mask (against brute force), EOG handling, a random-model
// property test checked by an independent validator, and a printed Mask() timing.
#include "sangam/json_constraint.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/sample.h"
#include "sangam/tokenizer.h"
#include "test_util.h"

namespace sangam::sample {
namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

std::shared_ptr<const JsonConstraint> Compile(const std::string& schema) {
  if (schema.empty()) return JsonConstraint::AnyObject();
  auto c = JsonConstraint::FromSchemaText(schema);
  EXPECT_TRUE(c.ok()) << schema << ": " << c.status().ToString();
  return c.ok() ? *c : nullptr;
}

// Feeds byte by byte; returns the index of the first rejected byte, or -1.
int FirstRejected(JsonMatcher& m, const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!m.Feed(std::string_view(&s[i], 1))) return static_cast<int>(i);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// An independent validator for the supported subset (written from the JSON Schema text, not from
// the matcher): additionalProperties defaults to false when properties is present (as documented).
class Validator {
 public:
  explicit Validator(const ojson& root) : root_(root) {}
  bool Valid(const json& v) { return Check(root_, v); }

 private:
  static size_t CodePoints(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }
  static bool TypeIs(const std::string& t, const json& v) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number();
    if (t == "integer") {
      if (v.is_number_integer()) return true;
      return v.is_number_float() && std::floor(v.get<double>()) == v.get<double>();
    }
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    return false;
  }
  static bool Equal(const ojson& a, const json& b) { return json::parse(a.dump()) == b; }

  bool Check(const ojson& s, const json& v) {
    if (s.is_boolean()) return s.get<bool>();
    if (s.contains("$ref")) {
      std::string r = s["$ref"].get<std::string>().substr(1);
      return Check(root_.at(ojson::json_pointer(r)), v);
    }
    for (const char* k : {"anyOf", "oneOf"}) {
      if (s.contains(k)) {
        bool any = false;
        for (const auto& alt : s[k]) any = any || Check(alt, v);
        if (!any) return false;
      }
    }
    if (s.contains("allOf")) {
      for (const auto& alt : s["allOf"]) {
        if (!Check(alt, v)) return false;
      }
    }
    if (s.contains("enum")) {
      bool found = false;
      for (const auto& e : s["enum"]) found = found || Equal(e, v);
      if (!found) return false;
    }
    if (s.contains("const") && !Equal(s["const"], v)) return false;
    if (s.contains("type")) {
      bool ok = false;
      if (s["type"].is_string()) {
        ok = TypeIs(s["type"].get<std::string>(), v);
      } else {
        for (const auto& t : s["type"]) ok = ok || TypeIs(t.get<std::string>(), v);
      }
      if (!ok) return false;
    } else {
      // Documented inference: object/array/string keywords imply the type.
      if ((s.contains("properties") || s.contains("required") || s.contains("additionalProperties")) &&
          !v.is_object()) {
        return false;
      }
      if ((s.contains("items") || s.contains("minItems") || s.contains("maxItems")) && !v.is_array()) return false;
      if ((s.contains("minLength") || s.contains("maxLength")) && !v.is_string()) return false;
    }
    if (v.is_object()) {
      const bool has_props = s.contains("properties");
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (has_props && s["properties"].contains(it.key())) {
          if (!Check(s["properties"][it.key()], it.value())) return false;
          continue;
        }
        if (s.contains("additionalProperties")) {
          if (!Check(s["additionalProperties"], it.value())) return false;
        } else if (has_props) {
          return false;
        }
      }
      if (s.contains("required")) {
        for (const auto& r : s["required"]) {
          if (!v.contains(r.get<std::string>())) return false;
        }
      }
    }
    if (v.is_array()) {
      if (s.contains("items")) {
        for (const auto& x : v) {
          if (!Check(s["items"], x)) return false;
        }
      }
      if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>()) return false;
      if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>()) return false;
    }
    if (v.is_number()) {
      const double d = v.get<double>();
      if (s.contains("minimum") && d < s["minimum"].get<double>()) return false;
      if (s.contains("maximum") && d > s["maximum"].get<double>()) return false;
      if (s.contains("exclusiveMinimum") && d <= s["exclusiveMinimum"].get<double>()) return false;
      if (s.contains("exclusiveMaximum") && d >= s["exclusiveMaximum"].get<double>()) return false;
    }
    if (v.is_string()) {
      size_t n = CodePoints(v.get<std::string>());
      if (s.contains("minLength") && n < s["minLength"].get<size_t>()) return false;
      if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return false;
    }
    return true;
  }

  const ojson& root_;
};

// ---------------------------------------------------------------------------------------------
// Acceptance tables: `good` must be accepted byte by byte; the first byte of `bad` must then be
// rejected (bad empty: the whole text is a complete document).
struct Case {
  const char* schema;  // "" = AnyObject (json_object mode)
  std::string good;
  std::string bad;
};

const char* kPerson =
    R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]})";
const char* kOptional =
    R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}},"required":["c"]})";
const char* kAdditional =
    R"({"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string"}})";
const char* kArray = R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2})";
const char* kEnum = R"({"enum":["red","green",1,null]})";
const char* kConst = R"({"const":{"a":[1,2]}})";
const char* kAnyOf = R"({"anyOf":[{"type":"string","maxLength":2},{"type":"integer"}]})";
const char* kUnion =
    R"({"anyOf":[{"type":"object","properties":{"kind":{"const":"a"},"x":{"type":"integer"}},"required":["kind","x"]},)"
    R"({"type":"object","properties":{"kind":{"const":"b"},"y":{"type":"string"}},"required":["kind","y"]}]})";
const char* kNullable = R"({"type":["string","null"]})";
const char* kLength = R"({"type":"string","minLength":2,"maxLength":3})";
const char* kRef =
    R"({"$defs":{"P":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},"type":"array","items":{"$ref":"#/$defs/P"}})";
const char* kDefinitions =
    R"({"definitions":{"B":{"type":"boolean"}},"type":"object","properties":{"ok":{"$ref":"#/definitions/B"}},"required":["ok"]})";
const char* kBool = R"({"type":"boolean"})";
const char* kInt = R"({"type":"integer"})";
const char* kNumber = R"({"type":"number"})";
const char* kRange = R"({"type":"integer","minimum":-5,"maximum":120})";
const char* kBig = R"({"type":"integer","exclusiveMinimum":1000,"exclusiveMaximum":1500.5})";
const char* kNegative = R"({"type":"integer","maximum":-7})";
const char* kUnicodeKeys =
    R"({"type":"object","properties":{"ключ":{"type":"integer"},"zz":{"type":"integer"}},"additionalProperties":true})";
const char* kEmptyObject = R"({"type":"object","properties":{}})";
const char* kNoItems = R"({"type":"array","items":false})";

std::vector<Case> Cases() {
  return {
      // json_object mode.
      {"", "{}", ""},
      {"", R"({"a":1})", ""},
      {"", R"({"a":[1,2,{"b":null}],"c":"x","d":true,"e":-0.5e-3})", ""},
      {"", "", " {}"},
      {"", "", "[]"},
      {"", "", "\"s\""},
      {"", R"({"a":1})", "x"},
      {"", R"({"a":1})", " "},
      {"", R"({"a" :  1})", ""},
      {"", R"({"a":  )", " 1}"},
      {"", "{\n", "\n\"a\":1}"},
      {"", "{\n \"a\":1}", ""},
      {"", R"({"a":0)", "1}"},
      {"", R"({"a":1.)", "}"},
      {"", R"({"a":-)", "}"},
      {"", R"({"a":tru)", "}"},
      {"", R"({"a":nul)", "e"},
      {"", R"({"a":")", "\x01\"}"},
      {"", R"({"a":"\uD800)", "\"}"},
      {"", R"({"a":"\uD)", "C00\"}"},
      {"", R"({"a":"\uD83D\uDE00"})", ""},
      {"", R"({"a":"\uD83D\u)", "0041\"}"},
      {"", R"({"a":"\n\t\"\\\/\b\f\r"})", ""},
      {"", R"({"a":"\)", "x\"}"},
      {"", "{\"a\":\"\xC3\xA9\"}", ""},
      {"", "{\"a\":\"", "\xC0\x80\"}"},
      {"", "{\"a\":\"\xC3", "\"}"},
      {"", "{\"a\":\"\xED", "\xA0\x80\"}"},
      {"", "{\"a\":\"\xED\x9F\xBF\"}", ""},
      {"", "{\"a\":\"\xF4", "\x90\x80\x80\"}"},
      {"", "{\"a\":\"\xF0\x9F\x98\x80\"}", ""},
      {"", "{\"a\":\"", "\xF5\"}"},
      {"", R"({"a":1e5,"b":1E+05,"c":2.5e-12})", ""},
      {"", R"({"a":1e12)", "3}"},
      {"", R"({"a":123456789012345678)", "9}"},
      {"", R"({"a":1.123456789012345)", "6}"},
      {"", R"({"a":{"b":[[]]},"c":[{}]})", ""},
      {"", R"({"a":1,)", "}"},
      {"", R"({"a":[1,)", "]"},
      {"", R"({)", "a:1}"},
      // Properties in schema order, required ones enforced.
      {kPerson, R"({"name":"x","age":3})", ""},
      {kPerson, R"({")", "age\":3}"},
      {kPerson, R"({"name":"x")", "}"},
      {kPerson, R"({"name":"x","age":3)", ".5}"},
      {kPerson, R"({"name":"x","age":3)", ",\"z\":1}"},
      {kPerson, R"({"name":)", "1"},
      {kPerson, "{ \"name\" : \"x\" ,\n\"age\": 3 }", ""},
      // Optional properties may be skipped, but order is kept.
      {kOptional, R"({"c":1})", ""},
      {kOptional, R"({"a":1,"c":1})", ""},
      {kOptional, R"({"a":1,"b":2,"c":3})", ""},
      {kOptional, R"({"b":1,")", "a\":1,\"c\":1}"},
      {kOptional, R"({)", "}"},
      {kOptional, R"({"c":1)", ",\"a\":1}"},
      // additionalProperties with a schema; listed keys keep their schema, also when escaped.
      {kAdditional, R"({"a":1,"x":"s"})", ""},
      {kAdditional, R"({"x":"s","a":1})", ""},
      {kAdditional, R"({"x":)", "1}"},
      {kAdditional, R"({"a":1,"a)", "\":1}"},
      {kAdditional, R"({"\u0061":)", "\"s\"}"},
      {kAdditional, R"({"\u0061":1})", ""},
      {kAdditional, R"({})", ""},
      // Arrays.
      {kArray, "[1,2]", ""},
      {kArray, "[ 1 , 2 ]", ""},
      {kArray, "[", "]"},
      {kArray, "[1,2", ",3]"},
      {kArray, "[1,", "\"a\"]"},
      {kNoItems, "[]", ""},
      {kNoItems, "[", "1]"},
      // enum / const.
      {kEnum, R"("red")", ""},
      {kEnum, R"("green")", ""},
      {kEnum, R"(")", "blue\""},
      {kEnum, "1", ""},
      {kEnum, "1", "2"},
      {kEnum, "null", ""},
      {kEnum, "", "true"},
      {kConst, R"({"a":[1,2]})", ""},
      {kConst, R"({"a":)", " [1,2]}"},
      // anyOf.
      {kAnyOf, R"("ab")", ""},
      {kAnyOf, R"("ab)", "c\""},
      {kAnyOf, "12", ""},
      {kAnyOf, "1", ".5"},
      {kAnyOf, "", "null"},
      {kUnion, R"({"kind":"a","x":1})", ""},
      {kUnion, R"({"kind":"b","y":"s"})", ""},
      {kUnion, R"({"kind":"b",")", "x\":1}"},
      {kUnion, R"({"kind":")", "c\"}"},
      // Type lists.
      {kNullable, "null", ""},
      {kNullable, R"("s")", ""},
      {kNullable, "", "1"},
      // String lengths in code points.
      {kLength, R"("ab")", ""},
      {kLength, R"("a)", "\""},
      {kLength, R"("abc)", "d\""},
      {kLength, "\"\xC3\xA9\xC3\xA9\"", ""},
      {kLength, R"("\u00e9\u00e9\u00e9)", "\\u00e9\""},
      {kLength, R"("\uD83D\uDE00\uD83D\uDE00")", ""},
      // $ref.
      {kRef, R"([{"x":1.5e3},{"x":-2}])", ""},
      {kRef, R"([{")", "y\":1}]"},
      {kDefinitions, R"({"ok":false})", ""},
      {kDefinitions, R"({"ok":)", "1}"},
      // Scalars.
      {kBool, "true", ""},
      {kBool, "false", ""},
      {kBool, "", "null"},
      {kInt, "-0", ""},
      {kInt, "0", "0"},
      {kInt, "-", "a"},
      {kInt, "12", "e3"},
      {kNumber, "-12.5E+3", ""},
      {kNumber, "1", "e"},  // "1e" is a prefix: accepted, not complete
      // Integer bounds, digit by digit.
      {kRange, "120", ""},
      {kRange, "12", "1"},
      {kRange, "-5", ""},
      {kRange, "-", "6"},
      {kRange, "-0", ""},
      {kRange, "-1", "0"},
      {kRange, "99", ""},
      {kRange, "0", ""},
      {kBig, "1001", ""},
      {kBig, "1500", ""},
      {kBig, "1", "6"},
      {kBig, "100", "0"},
      {kBig, "150", "1"},
      {kBig, "", "0"},
      {kBig, "", "-"},
      {kNegative, "-7", ""},
      {kNegative, "-123", ""},
      {kNegative, "", "7"},
      {kNegative, "", "0"},
      {kNegative, "-", "0"},
      // Non-ASCII listed names, also written with \u escapes, in free-key mode.
      {kUnicodeKeys, R"({"ключ":1,"zz":2})", ""},
      {kUnicodeKeys, R"({"\u043a\u043b\u044e\u0447":1})", ""},
      {kUnicodeKeys, R"({"\u043a\u043b\u044e\u0447":)", "\"s\"}"},
      {kUnicodeKeys, R"({"ключи":"s","other":[1]})", ""},
      {kUnicodeKeys, R"({"zz":1,"ключ)", "\":1}"},
      {kEmptyObject, "{}", ""},
      {kEmptyObject, "{", "\"a\":1}"},
  };
}

TEST(JsonMatcherTest, AcceptanceTable) {
  for (const Case& c : Cases()) {
    auto con = Compile(c.schema);
    ASSERT_NE(con, nullptr);
    JsonMatcher m(con);
    std::string what = std::string("schema=") + (c.schema[0] ? c.schema : "<json_object>") + " good='" + c.good +
                       "' bad='" + c.bad + "'";
    EXPECT_EQ(FirstRejected(m, c.good), -1) << what;
    if (c.bad.empty()) {
      EXPECT_TRUE(m.Complete()) << what;
      EXPECT_EQ(m.ShortestCompletion(), "") << what;
      EXPECT_TRUE(json::accept(c.good)) << what;
    } else if (std::string(c.schema) == kNumber && c.good == "1") {
      EXPECT_TRUE(m.Feed("e"));
      EXPECT_FALSE(m.Complete());
    } else {
      JsonMatcher before = m;
      EXPECT_FALSE(m.CanFeed(c.bad.substr(0, 1))) << what;
      EXPECT_FALSE(m.Feed(c.bad.substr(0, 1))) << what;
      // A rejected Feed leaves the state unchanged.
      EXPECT_EQ(m.Complete(), before.Complete());
      EXPECT_EQ(m.ShortestCompletion(), before.ShortestCompletion()) << what;
    }
  }
}

TEST(JsonMatcherTest, FeedIsAtomic) {
  JsonMatcher m(Compile(kPerson));
  EXPECT_TRUE(m.Feed(R"({"name":"a)"));
  EXPECT_FALSE(m.Feed(R"(b",1)"));  // the '1' is wrong: nothing of the chunk is applied
  EXPECT_TRUE(m.Feed(R"(b","age":7})"));
  EXPECT_TRUE(m.Complete());
}

// The test's validator is not vacuous: it rejects documents that break each rule.
TEST(JsonMatcherTest, ValidatorRejectsInvalidDocuments) {
  struct C {
    const char* schema;
    const char* doc;
    bool valid;
  };
  std::vector<C> cases = {
      {kPerson, R"({"name":"x","age":1})", true},   {kPerson, R"({"name":"x"})", false},
      {kPerson, R"({"name":1,"age":1})", false},    {kPerson, R"({"name":"x","age":1,"z":1})", false},
      {kPerson, R"({"name":"x","age":1.5})", false}, {kLength, R"("a")", false},
      {kLength, R"("abcd")", false},                {kLength, "\"\xC3\xA9\xC3\xA9\"", true},
      {kRange, "121", false},                       {kRange, "-6", false},
      {kRange, "120", true},                        {kBig, "1000", false},
      {kEnum, R"("blue")", false},                  {kEnum, "null", true},
      {kArray, "[]", false},                        {kArray, "[1,2,3]", false},
      {kRef, R"([{"x":"1"}])", false},              {kUnion, R"({"kind":"a","y":"s"})", false},
      {kAdditional, R"({"x":1})", false},           {kAdditional, R"({"x":"1","a":2})", true},
  };
  for (const auto& c : cases) {
    ojson sj = ojson::parse(c.schema);
    Validator v(sj);
    EXPECT_EQ(v.Valid(json::parse(c.doc)), c.valid) << c.schema << " " << c.doc;
    // And the matcher agrees on these.
    JsonMatcher m(Compile(c.schema));
    EXPECT_EQ(m.Feed(c.doc) && m.Complete(), c.valid) << c.schema << " " << c.doc;
  }
}

TEST(JsonMatcherTest, ShortestCompletionClosesEverything) {
  struct C {
    const char* schema;
    std::string prefix;
    std::string expect;
  };
  std::vector<C> cases = {
      {"", "", "{}"},
      {"", R"({"a":[1,{"b":"x)", R"("}]})"},
      {"", R"({"a":1.)", "0}"},
      {"", R"({"a":-)", "0}"},
      {"", R"({"a":1e+)", "0}"},
      {"", R"({"a":"\u00)", R"(00"})"},
      {"", R"({"a":"\uD83D)", R"(\uDC00"})"},
      {"", "{\"a\":\"\xE0", "\xA0\x80\"}"},
      {"", R"({"a":tr)", "ue}"},
      {"", R"({"a")", ":0}"},
      {"", R"({"a":1,)", R"("k":0})"},
      {kPerson, "", R"({"name":"","age":0})"},
      {kPerson, R"({"name":"bob")", R"(,"age":0})"},
      {kOptional, R"({"a":1)", R"(,"c":0})"},
      {kArray, "[", "0]"},
      {kLength, "\"", "aa\""},
      {kEnum, "\"gr", "een\""},
      {kUnion, R"({"kind":"b")", R"(,"y":""})"},
      {kRef, "[{", R"("x":0}])"},
      {kBig, "", "1001"},
      {kBig, "1", "001"},
      {kBig, "14", "00"},
      {kNegative, "", "-7"},
      {kNegative, "-", "7"},
      {kNegative, "-1", "0"},
      {kRange, "-", "0"},
  };
  for (const auto& c : cases) {
    JsonMatcher m(Compile(c.schema));
    ASSERT_TRUE(m.Feed(c.prefix)) << c.prefix;
    EXPECT_EQ(m.ShortestCompletion(), c.expect) << c.schema << " / " << c.prefix;
    ASSERT_TRUE(m.Feed(m.ShortestCompletion()));
    EXPECT_TRUE(m.Complete());
  }
}

TEST(JsonSchemaTest, BadSchemasNameThePointer) {
  struct C {
    const char* schema;
    const char* message;
  };
  std::vector<C> cases = {
      {R"({"type":"object","properties":{"age":{"type":"integer","multipleOf":2}}})",
       "schema/properties/age: unsupported keyword 'multipleOf'"},
      {R"({"type":"object","patternProperties":{}})", "schema: unsupported keyword 'patternProperties'"},
      {R"({"type":"strin"})", "schema: unknown type 'strin'"},
      {R"({"type":"array","items":{"type":"string","pattern":"a+"}})", "schema/items: unsupported keyword 'pattern'"},
      {R"({"$ref":"#/$defs/A","$defs":{"A":{"type":"array","items":{"$ref":"#/$defs/A"}}}})",
       "schema/$defs/A/items: recursive $ref '#/$defs/A' is not supported"},
      {R"({"$ref":"#/$defs/Missing"})", "schema: $ref '#/$defs/Missing' does not resolve"},
      {R"({"$ref":"http://example.com/s.json"})", "schema: unsupported $ref"},
      {R"({"type":"string","minLength":5,"maxLength":2})", "schema: 'minLength' is larger than 'maxLength'"},
      {R"({"type":"array","minItems":3,"maxItems":2})", "schema: 'minItems' is larger than 'maxItems'"},
      {R"({"enum":[]})", "schema: 'enum' must be a non-empty array"},
      {R"({"type":"string","enum":[1,2]})", "schema: no value of 'enum' matches 'type'"},
      {R"({"type":"object","properties":{"a":{}},"required":["b"]})", "schema: required property 'b'"},
      {R"({"anyOf":[{"type":"string"}],"type":"string"})", "schema: 'type' together with 'anyOf' is not supported"},
      {R"({"anyOf":[{"type":"string"},{"type":"object","properties":{"x":{"not":{}}}}]})",
       "schema/anyOf/1/properties/x: unsupported keyword 'not'"},
      {"false", "schema: schema 'false' can never be satisfied"},
      {R"({"items":[{}]})", "schema: tuple-form 'items'"},
      {R"({"type":"string","maxLength":-1})", "schema: 'maxLength' must be a non-negative integer"},
      {R"({"allOf":[{},{}]})", "schema: 'allOf' is supported only with exactly one schema"},
      {R"({"type":"object","properties":{"a~b/c":{"type":"wat"}}})", "schema/properties/a~0b~1c: unknown type 'wat'"},
      {R"({"type":"object","properties":{"a":{"uniqueItems":true}}})", "schema/properties/a: unsupported keyword 'uniqueItems'"},
      {"3", "schema: a schema must be an object or a boolean"},
      {R"({"type":"number","minimum":0})", "schema: 'minimum' is supported only with \"type\": \"integer\""},
      {R"({"maximum":3})", "schema: 'maximum' is supported only with \"type\": \"integer\""},
      {R"({"type":"integer","minimum":5,"exclusiveMaximum":5})", "schema: no integer of at most 18 digits"},
      {R"({"type":"integer","multipleOf":2})", "schema: unsupported keyword 'multipleOf'"},
      {"{", "schema: invalid JSON"},
  };
  for (const auto& c : cases) {
    auto r = JsonConstraint::FromSchemaText(c.schema);
    ASSERT_FALSE(r.ok()) << c.schema;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.schema;
    EXPECT_EQ(r.status().message().rfind(c.message, 0), 0u) << c.schema << " -> " << r.status().message();
  }
  // The server's root name, exactly as in the brief's example.
  auto r = JsonConstraint::FromSchemaText(R"({"type":"object","properties":{"age":{"patternProperties":{}}}})",
                                          "response_format.json_schema.schema");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "response_format.json_schema.schema/properties/age: unsupported keyword 'patternProperties'");
  // FromSchema (nlohmann::json) reports the same way.
  auto r2 = JsonConstraint::FromSchema(json::parse(R"({"type":"object","minProperties":1})"));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().message(), "schema: unsupported keyword 'minProperties'");
}

TEST(JsonSchemaTest, AnnotationsAreIgnoredAndOrderIsKept) {
  auto c = JsonConstraint::FromSchemaText(
      R"({"title":"T","description":"d","$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",)"
      R"("properties":{"z":{"type":"string","format":"date-time","examples":["x"]},"a":{"type":"integer","default":3}},)"
      R"("required":["z","a"]})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  JsonMatcher m(*c);
  EXPECT_EQ(m.ShortestCompletion(), R"({"z":"","a":0})");
  // nlohmann::json sorts keys, so FromSchema sees "a" first.
  auto c2 = JsonConstraint::FromSchema(json::parse(R"({"type":"object","properties":{"z":{"type":"string"},"a":{"type":"integer"}},"required":["z","a"]})"));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(JsonMatcher(*c2).ShortestCompletion(), R"({"a":0,"z":""})");
}

TEST(JsonSchemaTest, ResponseFormat) {
  auto text = JsonConstraint::FromResponseFormat(json::parse(R"({"type":"text"})"));
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, nullptr);
  auto obj = JsonConstraint::FromResponseFormat(json::parse(R"({"type":"json_object"})"));
  ASSERT_TRUE(obj.ok());
  ASSERT_NE(*obj, nullptr);
  EXPECT_EQ(JsonMatcher(*obj).ShortestCompletion(), "{}");
  auto sch = JsonConstraint::FromResponseFormat(ojson::parse(
      R"({"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":)" + std::string(kPerson) + "}}"));
  ASSERT_TRUE(sch.ok()) << sch.status().ToString();
  EXPECT_EQ(JsonMatcher(*sch).ShortestCompletion(), R"({"name":"","age":0})");
  struct C {
    const char* rf;
    const char* message;
  };
  for (const C& c : std::vector<C>{
           {R"({"type":"xml"})", "response_format.type: unknown value 'xml'"},
           {R"({})", "response_format.type: missing or not a string"},
           {R"([])", "response_format: must be an object"},
           {R"({"type":"json_schema"})", "response_format.json_schema: missing or not an object"},
           {R"({"type":"json_schema","json_schema":{"name":"x"}})", "response_format.json_schema.schema: missing"},
           {R"({"type":"json_schema","json_schema":{"name":1,"schema":{}}})", "response_format.json_schema.name: must be a string"},
           {R"({"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"age":{"patternProperties":{}}}}}})",
            "response_format.json_schema.schema/properties/age: unsupported keyword 'patternProperties'"}}) {
    auto r = JsonConstraint::FromResponseFormat(json::parse(c.rf));
    ASSERT_FALSE(r.ok()) << c.rf;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind(c.message, 0), 0u) << r.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// Token-level tests.

// A small SPM vocabulary: <unk>, <s>, </s>, all 256 byte tokens and some multi-byte pieces.
std::unique_ptr<tokenizer::Tokenizer> SmallVocab() {
  tokenizer::Vocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {tokenizer::TokenType::kUnknown, tokenizer::TokenType::kControl, tokenizer::TokenType::kControl};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    v.tokens.push_back(buf);
    v.types.push_back(tokenizer::TokenType::kByte);
  }
  for (const char* p : {"{", "}", "[", "]", "\"", ":", ",", "▁", "true", "false", "null", "{\"", "\":", "\",",
                        "\"}", "▁the", "ab", "12", "-", ".", "e", "\\", "u", "é", "name", "age", "\":\"", "}]",
                        "x", "0", "\\u", "00", "▁\"", "kind", "\"a\"", "y", "abc", "ёж", "\"\n"}) {
    v.tokens.push_back(p);
    v.types.push_back(tokenizer::TokenType::kNormal);
  }
  auto t = tokenizer::Tokenizer::FromVocab(v);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

// Brute force: the allowed set is exactly the tokens whose piece CanFeed (plus EOG when complete).
void ExpectMaskMatchesBruteForce(const tokenizer::Tokenizer& tok, const JsonTokenFilter& filter,
                                 const JsonMatcher& m, const std::string& what) {
  std::vector<float> logits(tok.n_vocab(), 1.0f);
  int n = filter.Mask(m, logits.data());
  int expect = 0;
  for (int32_t id = 0; id < tok.n_vocab(); ++id) {
    bool allowed;
    if (tok.IsEog(id)) {
      allowed = m.Complete();
    } else if (tok.IsControl(id)) {
      allowed = false;
    } else {
      std::string piece = tok.TokenToPiece(id);
      allowed = !piece.empty() && m.CanFeed(piece);
    }
    expect += allowed;
    ASSERT_EQ(logits[id] == 1.0f, allowed) << what << " token " << id << " '" << tok.TokenToPiece(id) << "'";
    if (!allowed) {
      ASSERT_TRUE(std::isinf(logits[id]) && logits[id] < 0);
    }
  }
  EXPECT_EQ(n, expect) << what;
  EXPECT_GE(n, 1) << what;
}

TEST(JsonTokenFilterTest, MaskEqualsBruteForceAndEogOnlyWhenComplete) {
  auto tok = SmallVocab();
  ASSERT_NE(tok, nullptr);
  JsonTokenFilter filter(*tok);
  const int32_t eos = tok->eos();
  ASSERT_GE(eos, 0);
  for (const char* schema : {"", kPerson, kUnion, kRef, kEnum, kLength}) {
    JsonMatcher m(Compile(schema));
    std::string text;
    // Walk a valid document token by token (the shortest completion, one byte at a time),
    // checking the mask at each step.
    std::string doc = m.ShortestCompletion();
    for (size_t i = 0; i <= doc.size(); ++i) {
      ExpectMaskMatchesBruteForce(*tok, filter, m, std::string(schema) + " after '" + text + "'");
      auto allowed = filter.AllowedTokens(m);
      bool eos_allowed = std::binary_search(allowed.begin(), allowed.end(), eos);
      EXPECT_EQ(eos_allowed, i == doc.size()) << schema << " after '" << text << "'";
      if (i < doc.size()) {
        ASSERT_TRUE(m.Feed(doc.substr(i, 1)));
        text += doc[i];
      }
    }
    EXPECT_TRUE(m.Complete());
  }
}

// Samples one token from masked logits (softmax over allowed tokens).
int32_t SampleMasked(const std::vector<float>& logits, Rng& rng) {
  double total = 0;
  for (float l : logits) total += std::isinf(l) ? 0.0 : std::exp(static_cast<double>(l));
  double u = rng.Uniform() * total;
  int32_t last = -1;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isinf(logits[i])) continue;
    last = static_cast<int32_t>(i);
    u -= std::exp(static_cast<double>(logits[i]));
    if (u <= 0) return last;
  }
  return last;
}

const std::vector<std::string>& PropertySchemas() {
  static const std::vector<std::string> s = {
      "",
      kPerson,
      kOptional,
      kAdditional,
      kArray,
      kEnum,
      kConst,
      kAnyOf,
      kUnion,
      kNullable,
      kLength,
      kRef,
      kDefinitions,
      kBool,
      kInt,
      kNumber,
      kEmptyObject,
      kNoItems,
      R"({})",
      R"({"type":"object"})",
      R"({"type":"object","properties":{"tags":{"type":"array","items":{"type":"string","maxLength":4},"maxItems":3},)"
      R"("meta":{"type":"object","properties":{"k":{"enum":[1,2.5,"x"]}},"additionalProperties":true},)"
      R"("score":{"type":["number","null"]}},"required":["tags","meta"]})",
      R"({"type":"array","items":{"anyOf":[{"type":"string"},{"type":"array","items":{"type":"integer"},"minItems":2}]},"minItems":2})",
      R"({"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"object","properties":)"
      R"({"c":{"type":"string","minLength":3}},"required":["c"]}},"required":["b"]}},"required":["a"]})",
      R"({"oneOf":[{"type":"null"},{"$ref":"#/definitions/S"}],"definitions":{"S":{"type":"string","minLength":1}}})",
      R"({"type":"object","required":["x"],"additionalProperties":{"type":"integer"}})",
      kRange,
      kUnicodeKeys,
      kBig,
      kNegative,
      R"({"type":"object","properties":{"age":{"type":"integer","minimum":18,"maximum":99},)"
      R"("n":{"type":"array","items":{"type":"integer","exclusiveMinimum":-3,"maximum":3}}},"required":["age","n"]})",
      R"({"type":"object","properties":{"q\"uote":{"const":"é\n"},"s p":{"type":"boolean"}},"required":["q\"uote","s p"]})",
  };
  return s;
}

void RunRandomModel(const tokenizer::Tokenizer& tok, int n_seeds, int max_tokens, const char* label) {
  JsonTokenFilter filter(tok);
  int n_complete = 0, n_total = 0;
  for (const std::string& schema : PropertySchemas()) {
    auto con = Compile(schema);
    ASSERT_NE(con, nullptr);
    ojson sj = schema.empty() ? ojson::parse(R"({"type":"object"})") : ojson::parse(schema);
    Validator validator(sj);
    for (int seed = 0; seed < n_seeds; ++seed) {
      Rng rng(static_cast<uint64_t>(seed) * 7919 + schema.size());
      JsonMatcher m(con);
      std::string text;
      bool ended = false;
      // Vary the budget so that the cut-off lands in many different states.
      int budget = 1 + static_cast<int>(rng.Below(static_cast<uint64_t>(max_tokens)));
      for (int step = 0; step < budget; ++step) {
        std::vector<float> logits(tok.n_vocab());
        for (auto& l : logits) l = static_cast<float>(rng.Uniform() * 6.0 - 3.0);
        int n = filter.Mask(m, logits.data());
        ASSERT_GE(n, 1) << label << " schema " << schema << " after '" << text << "'";
        int32_t id = SampleMasked(logits, rng);
        ASSERT_GE(id, 0);
        if (tok.IsEog(id)) {
          ASSERT_TRUE(m.Complete());
          ended = true;
          break;
        }
        std::string piece = tok.TokenToPiece(id);
        ASSERT_TRUE(m.Feed(piece)) << "masked token rejected: '" << piece << "'";
        text += piece;
      }
      n_complete += ended || m.Complete();
      ++n_total;
      std::string completion = m.ShortestCompletion();
      std::string doc = text + completion;
      JsonMatcher check(con);
      ASSERT_TRUE(check.Feed(doc)) << doc;
      ASSERT_TRUE(check.Complete()) << "not complete: " << doc;
      json parsed;
      try {
        parsed = json::parse(doc);
      } catch (const std::exception& e) {
        FAIL() << label << " schema " << schema << ": does not parse: " << e.what() << "\n" << doc;
      }
      if (schema.empty()) {
        ASSERT_TRUE(parsed.is_object()) << doc;
      }
      ASSERT_TRUE(validator.Valid(parsed)) << label << " schema " << schema << ": invalid document\n" << doc;
    }
  }
  std::printf("[%s] %d documents, %d finished by the model before the budget\n", label, n_total, n_complete);
}

TEST(JsonPropertyTest, RandomModelSmallVocab) {
  auto tok = SmallVocab();
  ASSERT_NE(tok, nullptr);
  RunRandomModel(*tok, 40, 120, "small vocab");
}

// The real sampler chain (penalties, top-k/p, min-p, temperature) on masked logits never picks a
// masked token, and greedy decoding also ends in a valid document.
TEST(JsonPropertyTest, SamplerChainRespectsMask) {
  auto tok = SmallVocab();
  ASSERT_NE(tok, nullptr);
  JsonTokenFilter filter(*tok);
  for (float temperature : {0.0f, 0.8f, 1.5f}) {
    for (const std::string& schema : PropertySchemas()) {
      auto con = Compile(schema);
      ASSERT_NE(con, nullptr);
      SamplerParams params;
      params.temperature = temperature;
      params.repeat_penalty = 1.1f;
      params.frequency_penalty = 0.2f;
      params.presence_penalty = 0.1f;
      params.seed = 42;
      Sampler sampler(params);
      Rng rng(7);
      JsonMatcher m(con);
      std::string text;
      for (int step = 0; step < 80; ++step) {
        std::vector<float> logits(tok->n_vocab());
        for (auto& l : logits) l = static_cast<float>(rng.Uniform() * 6.0 - 3.0);
        ASSERT_GE(filter.Mask(m, logits.data()), 1);
        int32_t id = sampler.Sample(logits.data(), tok->n_vocab());
        sampler.Accept(id);
        ASSERT_FALSE(std::isinf(logits[id])) << "sampler picked a masked token " << id;
        if (tok->IsEog(id)) break;
        ASSERT_TRUE(m.Feed(tok->TokenToPiece(id)));
        text += tok->TokenToPiece(id);
      }
      std::string doc = text + m.ShortestCompletion();
      ojson sj = schema.empty() ? ojson::parse(R"({"type":"object"})") : ojson::parse(schema);
      Validator v(sj);
      ASSERT_TRUE(json::accept(doc)) << doc;
      EXPECT_TRUE(v.Valid(json::parse(doc))) << schema << "\n" << doc;
    }
  }
}

struct LoadedVocab {
  std::unique_ptr<gguf::File> file;
  std::unique_ptr<tokenizer::Tokenizer> tok;
};

LoadedVocab LoadLlamaVocab() {
  LoadedVocab l;
  auto f = gguf::File::Open(testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return l;
  l.file = std::move(f).value();
  auto t = tokenizer::Tokenizer::FromGguf(*l.file);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (t.ok()) l.tok = std::move(t).value();
  return l;
}

TEST(JsonPropertyTest, RandomModelLlamaVocab) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto l = LoadLlamaVocab();
  ASSERT_NE(l.tok, nullptr);
  RunRandomModel(*l.tok, 6, 60, "llama-spm 32k");
}

TEST(JsonTokenFilterTest, LlamaVocabMaskMatchesBruteForce) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto l = LoadLlamaVocab();
  ASSERT_NE(l.tok, nullptr);
  JsonTokenFilter filter(*l.tok);
  struct S {
    const char* schema;
    const char* prefix;
  };
  for (const S& s : std::vector<S>{{kPerson, ""},
                                   {kPerson, R"({"name":"ab)"},
                                   {kPerson, R"({"name":"ab","age":)"},
                                   {kPerson, R"({"name":"x","age":12)"},
                                   {kLength, R"("a)"},
                                   {kLength, R"("abc)"},
                                   {kAnyOf, R"("a)"},
                                   {"", "{\"a\":\"\xE2\x82"},
                                   {"", R"({"a":"\u00)"},
                                   {kAdditional, R"({"a":1,"na)"},
                                   {kAdditional, R"({")"},
                                   {"", R"({"ke)"},
                                   {kRange, "1"}}) {
    JsonMatcher m(Compile(s.schema));
    ASSERT_TRUE(m.Feed(s.prefix));
    ExpectMaskMatchesBruteForce(*l.tok, filter, m, s.prefix);
  }
}

// Byte-level BPE: TokenToPiece maps the byte symbols back to bytes; pieces often carry partial
// UTF-8 characters.
TEST(JsonTokenFilterTest, Gpt2VocabMaskAndRandomModel) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-gpt-2.gguf");
  auto f = gguf::File::Open(testing::SharedPath("data/vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto t = tokenizer::Tokenizer::FromGguf(**f);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const tokenizer::Tokenizer& tok = **t;
  JsonTokenFilter filter(tok);
  for (const char* prefix : {"", "{\"a\":\"x", "{\"a\":\"\xE2", "{\"a\":[1,", "{\"k"}) {
    JsonMatcher m(JsonConstraint::AnyObject());
    ASSERT_TRUE(m.Feed(prefix));
    ExpectMaskMatchesBruteForce(tok, filter, m, prefix);
  }
  RunRandomModel(tok, 3, 40, "gpt-2 50k");
}

TEST(JsonTokenFilterTest, MaskTimingLlamaVocab) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto l = LoadLlamaVocab();
  ASSERT_NE(l.tok, nullptr);
  auto b0 = std::chrono::steady_clock::now();
  JsonTokenFilter filter(*l.tok);
  std::printf("[timing] JsonTokenFilter construction over %d tokens: %.1f ms\n", l.tok->n_vocab(),
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - b0).count());
  struct S {
    const char* schema;
    const char* prefix;
    const char* label;
  };
  for (const S& s : std::vector<S>{{"", "", "start (json_object)"},
                                   {"", R"({"text":"Once upon a)", "inside a string (json_object)"},
                                   {kPerson, R"({"name":"Bob)", "inside a string (schema)"},
                                   {kPerson, R"({"name":"Bob","age":)", "after a key (schema)"},
                                   {"", R"({"a":)", "after a key (json_object)"},
                                   {"", R"({"a":1,)", "after a comma (json_object)"},
                                   {"", R"({"some)", "inside a key (json_object)"},
                                   {kAnyOf, R"("a)", "inside an anyOf string"},
                                   {kAdditional, R"({")", "key start, listed+free (full walk)"},
                                   {"", "{\"a\":\"\xE2", "inside a UTF-8 char (full walk)"}}) {
    JsonMatcher m(Compile(s.schema));
    ASSERT_TRUE(m.Feed(s.prefix));
    std::vector<float> logits(l.tok->n_vocab());
    const int reps = 20;
    int n = 0;
    auto cpu_ms = [] {
      timespec ts;
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
      return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
    };
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_ms();
    for (int i = 0; i < reps; ++i) {
      std::fill(logits.begin(), logits.end(), 0.0f);
      n = filter.Mask(m, logits.data());
    }
    double cpu = (cpu_ms() - c0) / reps;
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / reps;
    std::printf("[timing] Mask over %d tokens, %-30s %7.3f ms/call wall, %7.3f ms CPU, %d allowed\n",
                l.tok->n_vocab(), s.label, ms, cpu, n);
    EXPECT_GE(n, 1);
  }
}

}  // namespace
}  // namespace sangam::sample
