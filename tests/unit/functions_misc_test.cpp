#include "tests/unit/functions_test_util.h"

namespace functions_misc_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

TEST_CASE("URL functions", "[functions]") {
  CHECK(Eval("URL_ENCODE_PARAM", {"?foo $bar"}) == Str("%3Ffoo+%24bar"));
  CHECK(Eval("URL_ENCODE_PARAM", {"hello&world"}) == Str("hello%26world"));
  CHECK(Eval("URL_DECODE_PARAM", {"%3Ffoo+%24bar"}) == Str("?foo $bar"));
  CHECK(Eval("URL_DECODE_PARAM", {"url%20encoded"}) == Str("url encoded"));
  CHECK(Eval("URL_DECODE_PARAM", {"bad%zz"}).IsNull());
  CHECK(Eval("URL_EXTRACT_FRAGMENT", {"http://www.test.com/?query#fragment"}) == Str("fragment"));
  CHECK(Eval("URL_EXTRACT_FRAGMENT", {"http://test.com#frag%20space"}) == Str("frag space"));
  CHECK(Eval("URL_EXTRACT_FRAGMENT", {"http://www.nofragment.com"}).IsNull());
  CHECK(Eval("URL_EXTRACT_HOST", {"http://test@confluent.io:8080"}) == Str("confluent.io"));
  CHECK(Eval("URL_EXTRACT_HOST", {"http://www.test.com/?query#fragment"}) == Str("www.test.com"));
  CHECK(Eval("URL_EXTRACT_PATH", {"http://www.test.com?query#fragment"}) == Str(""));
  CHECK(Eval("URL_EXTRACT_PATH", {"http://test@confluent.io:8080/nested/path?query&jobs"}) == Str("/nested/path"));
  CHECK(Eval("URL_EXTRACT_PORT", {"http://test@confluent.io"}).IsNull());
  CHECK(Eval("URL_EXTRACT_PORT", {"http://localhost:8080/path"}) == Value(8080));
  CHECK(Eval("URL_EXTRACT_PROTOCOL", {"https://test@confluent.io:8080/x"}) == Str("https"));
  CHECK(Eval("URL_EXTRACT_PROTOCOL", {"www.confluent.io"}).IsNull());
  CHECK(Eval("URL_EXTRACT_QUERY", {"http://www.test.com/path?q1&q2"}) == Str("q1&q2"));
  CHECK(Eval("URL_EXTRACT_QUERY", {"http://test.com?a=foo%20bar&b=baz"}) == Str("a=foo bar&b=baz"));
  CHECK(Eval("URL_EXTRACT_QUERY", {"http://test@confluent.io:8080/path"}).IsNull());
  CHECK(Eval("URL_EXTRACT_PARAMETER", {"http://www.test.com/?one=a&two=b&three", "two"}) == Str("b"));
  CHECK(Eval("URL_EXTRACT_PARAMETER", {"http://www.test.com/?one=a&two=b&three", "three"}).IsNull());
  CHECK(Eval("URL_EXTRACT_PARAMETER", {"http://test.com?a%20b=c%20d", "a b"}) == Str("c d"));
  CHECK(Eval("URL_EXTRACT_HOST", {"http://bad url"}).IsNull());
}

TEST_CASE("bytes to number conversions", "[functions]") {
  CHECK(Eval("INT_FROM_BYTES", {Bin(std::string("\x00\x00\x07\xE5", 4))}) == Value(2021));
  CHECK(Eval("INT_FROM_BYTES", {Bin(std::string("\xE5\x07\x00\x00", 4)), "LITTLE_ENDIAN"}) == Value(2021));
  CHECK(Eval("BIGINT_FROM_BYTES", {Bin(std::string("\x00\x00\x00\x01\x2A\x05\xF2\x00", 8))}) == Value(int64_t{5000000000}));
  CHECK(Eval("DOUBLE_FROM_BYTES", {Bin(std::string("\x40\x80\xA6\xFD\x9B\xC9\xF5\x82", 8))}).AsDouble() == Approx(532.8738323));
  CHECK(Eval("INT_FROM_BYTES", {Bin("abc")}).IsNull());
  CHECK(Eval("INT_FROM_BYTES", {Bin("abcd"), "MIDDLE_ENDIAN"}).IsNull());
}

TEST_CASE("PARSE_DATE ignores text after the date", "[functions]") {
  CHECK(Eval("PARSE_DATE", {"2003-12-24-01-01", "yyyy-MM-dd"}) == Value(Date{12410}));
  CHECK(Eval("PARSE_DATE", {"2004-01-01", "yyyy-MM-dd"}) == Value(Date{12418}));
  CHECK(Eval("PARSE_DATE", {"2004", "yyyy-MM-dd"}).IsNull());
  CHECK(Eval("PARSE_DATE", {"x2004-01-01", "yyyy-MM-dd"}).IsNull());
  CHECK(Eval("PARSE_DATE", {NullOf(SqlType::String()), "yyyy-MM-dd"}).IsNull());
  // The older STRINGTODATE still needs the whole text to match.
  CHECK(Eval("STRINGTODATE", {"2003-12-24-01-01", "yyyy-MM-dd"}).IsNull());
}

TEST_CASE("INT_FROM_BOOLEAN", "[functions]") {
  CHECK(Eval("INT_FROM_BOOLEAN", {true}) == Value(1));
  CHECK(Eval("INT_FROM_BOOLEAN", {false}) == Value(0));
  CHECK(Eval("INT_FROM_BOOLEAN", {NullOf(SqlType::Boolean())}).IsNull());
  CHECK(Eval("INT_FROM_BOOLEAN", {NullLit()}).IsNull());
  CHECK_FALSE(Resolves("INT_FROM_BOOLEAN", {SqlType::Integer()}));
}

TEST_CASE("COALESCE, IFNULL, NULLIF", "[functions]") {
  CHECK(Eval("COALESCE", {NullOf(SqlType::Integer()), NullLit(), 3, 4}) == Value(3));
  CHECK(Eval("COALESCE", {NullOf(SqlType::Integer())}).IsNull());
  CHECK_FALSE(Resolves("COALESCE", {SqlType::Integer(), SqlType::String()}));
  CHECK(Eval("IFNULL", {NullOf(SqlType::String()), "alt"}) == Str("alt"));
  CHECK(Eval("IFNULL", {"x", "alt"}) == Str("x"));
  CHECK(Eval("NULLIF", {"x", "x"}).IsNull());
  CHECK(Eval("NULLIF", {"x", "y"}) == Str("x"));
  CHECK(Eval("NULLIF", {"x", NullOf(SqlType::String())}) == Str("x"));
}

}  // namespace functions_misc_test
