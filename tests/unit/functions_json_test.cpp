#include "tests/unit/functions_test_util.h"

namespace functions_json_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

TEST_CASE("EXTRACTJSONFIELD", "[functions]") {
  std::string doc = R"({"name": "cdc", "version": "1", "@type": "UDF", "log": {"cloud": "gcp", "n": 4, "o": {"a": [1, 2]}}, "array": [1.23450, 2, 3], "nul": null})";
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.name"}) == Str("cdc"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.@type"}) == Str("UDF"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.log.cloud"}) == Str("gcp"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.log.n"}) == Str("4"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.log.o"}) == Str(R"({"a":[1,2]})"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.array[0]"}) == Str("1.23450"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.array[2]"}) == Str("3"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.array[3]"}).IsNull());
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.array[-1]"}).IsNull());
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$['log']['cloud']"}) == Str("gcp"));
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.missing"}).IsNull());
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.name.deeper"}).IsNull());
  CHECK(Eval("EXTRACTJSONFIELD", {doc, "$.nul"}) == Str("null"));
  CHECK(Eval("EXTRACTJSONFIELD", {R"({"a": "x\"y\u00e9"}})", "$.a"}) == Str("x\"y\xC3\xA9"));
  CHECK(Eval("EXTRACTJSONFIELD", {"not json", "$.a"}).IsNull());
  CHECK(Eval("EXTRACTJSONFIELD", {NullOf(SqlType::String()), "$.a"}).IsNull());
}

TEST_CASE("IS_JSON_STRING and JSON_ARRAY_LENGTH", "[functions]") {
  CHECK(Eval("IS_JSON_STRING", {"[1, 2, 3]"}) == Value(true));
  CHECK(Eval("IS_JSON_STRING", {"\"abc\""}) == Value(true));
  CHECK(Eval("IS_JSON_STRING", {"null"}) == Value(true));
  CHECK(Eval("IS_JSON_STRING", {""}) == Value(false));
  CHECK(Eval("IS_JSON_STRING", {"abc"}) == Value(false));
  CHECK(Eval("IS_JSON_STRING", {NullOf(SqlType::String())}) == Value(false));
  CHECK(Eval("JSON_ARRAY_LENGTH", {"[1, [1, [2]], 3]"}) == Value(3));
  CHECK(Eval("JSON_ARRAY_LENGTH", {"[]"}) == Value(0));
  CHECK(Eval("JSON_ARRAY_LENGTH", {"{}"}).IsNull());
  CHECK(Eval("JSON_ARRAY_LENGTH", {"abc"}).IsNull());
}

TEST_CASE("JSON_ARRAY_CONTAINS", "[functions]") {
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1, 2, 3]", 3}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1, 2, 3]", int64_t{4}}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[\"a\", 1.5]", "a"}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[\"a\", 1.5]", 1.5}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[true]", true}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"{\"a\": 1}", 1}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {NullOf(SqlType::String()), 1}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[null]", NullOf(SqlType::String())}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1, null]", NullLit()}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1, 2]", NullLit()}) == Value(false));
  // Elements are matched by kind: an integer value never equals a fractional element.
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1.0]", 1}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1]", 1.0}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[[1], {\"a\": 2}, 2]", 2}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[false, true]", false}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[\"a\\\"b\"]", "a\"b"}) == Value(true));
  // The array is streamed: a match before malformed text counts, a match after it does not.
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1, 2, oops", 2}) == Value(true));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[oops, 2]", 2}) == Value(false));
  // An INT value fails (and ends the search) on an element beyond the INT range.
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[4294967296, 1]", 1}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[4294967296, 1]", int64_t{4294967296}}) == Value(true));
  // Values of other types (DECIMAL, ARRAY, ...) never match.
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[1.5]", Dec("1.5", 1)}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"[[1]]", Arr({1})}) == Value(false));
  CHECK(Eval("JSON_ARRAY_CONTAINS", {"", 1}) == Value(false));
}

TEST_CASE("JSON_CONCAT, JSON_KEYS, JSON_RECORDS, JSON_ITEMS", "[functions]") {
  CHECK(Eval("JSON_CONCAT", {"{\"a\": 1}", "{\"b\": 2}"}) == Str("{\"a\":1,\"b\":2}"));
  CHECK(Eval("JSON_CONCAT", {"{\"a\": {\"5\": 6}}", "{\"a\": {\"3\": 4}}"}) == Str("{\"a\":{\"3\":4}}"));
  CHECK(Eval("JSON_CONCAT", {"[1, 2]", "{\"a\": 1}", "4"}) == Str("[1,2,{\"a\":1},4]"));
  CHECK(Eval("JSON_CONCAT", {"null", "null"}) == Str("[null,null]"));
  CHECK(Eval("JSON_CONCAT", {"[]", "[]"}) == Str("[]"));
  CHECK(Eval("JSON_CONCAT", {"1", ""}).IsNull());
  CHECK(Eval("JSON_CONCAT", {NullOf(SqlType::String()), "[1]"}).IsNull());
  CHECK(Eval("JSON_KEYS", {"{\"b\": \"abc\", \"a\": {\"c\": \"a\"}, \"d\": 1}"}) == Arr({"b", "a", "d"}));
  CHECK(Eval("JSON_KEYS", {"{}"}) == Arr({}));
  CHECK(Eval("JSON_KEYS", {"[]"}).IsNull());
  Value rec = Eval("JSON_RECORDS", {"{\"a\": \"abc\", \"b\": {\"c\": \"a\"}, \"d\": 1}"});
  REQUIRE(rec.IsMap());
  REQUIRE(rec.AsMap().size() == 3);
  CHECK(rec.AsMap()[0].second == Str("abc"));  // string values come back unquoted
  CHECK(rec.AsMap()[1].second == Str("{\"c\":\"a\"}"));
  CHECK(rec.AsMap()[2].second == Str("1"));
  CHECK(Eval("JSON_RECORDS", {"123"}).IsNull());
  Value rec2 = Eval("JSON_RECORDS", {"{\"s\": \"a\\\"b\", \"n\": null, \"t\": true, \"l\": [\"x\"]}"});
  REQUIRE(rec2.IsMap());
  REQUIRE(rec2.AsMap().size() == 4);
  CHECK(rec2.AsMap()[0].second == Str("a\"b"));
  CHECK(rec2.AsMap()[1].second == Str("null"));
  CHECK(rec2.AsMap()[2].second == Str("true"));
  CHECK(rec2.AsMap()[3].second == Str("[\"x\"]"));
  CHECK(Eval("JSON_RECORDS", {""}).IsNull());
  CHECK(Eval("JSON_RECORDS", {NullOf(SqlType::String())}).IsNull());
  CHECK(Eval("JSON_ITEMS", {"[{\"a\": 1}, {\"b\": 2}]"}) == Arr({"{\"a\":1}", "{\"b\":2}"}));
  CHECK(Eval("JSON_ITEMS", {"[{\"a\": 1}, 2]"}).IsNull());
  CHECK(Eval("JSON_ITEMS", {"{}"}).IsNull());
}

TEST_CASE("TO_JSON_STRING", "[functions]") {
  CHECK(Eval("TO_JSON_STRING", {1}) == Str("1"));
  CHECK(Eval("TO_JSON_STRING", {NullOf(SqlType::Integer())}) == Str("null"));
  CHECK(Eval("TO_JSON_STRING", {NullLit()}) == Str("null"));
  CHECK(Eval("TO_JSON_STRING", {"abc"}) == Str("\"abc\""));
  CHECK(Eval("TO_JSON_STRING", {123.456}) == Str("123.456"));
  CHECK(Eval("TO_JSON_STRING", {1.0}) == Str("1.0"));
  CHECK(Eval("TO_JSON_STRING", {Dec("123.456", 3)}) == Str("123.456"));
  CHECK(Eval("TO_JSON_STRING", {Bin("!")}) == Str("\"IQ==\""));
  CHECK(Eval("TO_JSON_STRING", {Value(Time{60220000})}) == Str("\"16:43:40\""));
  CHECK(Eval("TO_JSON_STRING", {Value(Date{1000})}) == Str("\"1972-09-27\""));
  CHECK(Eval("TO_JSON_STRING", {Value(Timestamp{60220000000})}) == Str("\"1971-11-28T23:46:40.000\""));
  CHECK(Eval("TO_JSON_STRING", {Arr({1, 2, 3})}) == Str("[1,2,3]"));
  auto st = SqlType::Struct({{"ID", SqlType::Integer()}, {"NAME", SqlType::String()}});
  CHECK(Eval("TO_JSON_STRING", {Value::Struct(st, {1, "Alice"})}) == Str("{\"ID\":1,\"NAME\":\"Alice\"}"));
  CHECK(Eval("TO_JSON_STRING", {Value::Map({{"id", Arr({1, 2})}})}) == Str("{\"id\":[1,2]}"));
}

}  // namespace functions_json_test
