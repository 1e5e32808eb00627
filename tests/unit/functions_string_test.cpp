#include "tests/unit/functions_test_util.h"

namespace functions_string_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

TEST_CASE("SUBSTRING is 1-based with negative positions", "[functions]") {
  CHECK(Eval("SUBSTRING", {"some_string", 6}) == Str("string"));
  CHECK(Eval("SUBSTRING", {"another", 6}) == Str("er"));
  CHECK(Eval("SUBSTRING", {"short", 6}) == Str(""));
  CHECK(Eval("SUBSTRING", {"some_string", 6, 3}) == Str("str"));
  CHECK(Eval("SUBSTRING", {"some string", 0, 2}) == Str("so"));
  CHECK(Eval("SUBSTRING", {"stream", -3}) == Str("eam"));
  CHECK(Eval("SUBSTRING", {"stream", -3, 2}) == Str("ea"));
  CHECK(Eval("SUBSTRING", {"stream", -30, 2}) == Str("st"));
  CHECK(Eval("SUBSTRING", {"stream", 2, -1}) == Str(""));
  CHECK(Eval("SUBSTRING", {"h\xC3\xA9llo", 2, 2}) == Str("\xC3\xA9l"));
  CHECK(Eval("SUBSTRING", {Bin("some_string"), 6, 3}) == Bin("str"));
  CHECK(Eval("SUBSTRING", {NullOf(SqlType::String()), 1}).IsNull());
  CHECK(Eval("SUBSTRING", {"abc", NullLit()}).IsNull());
}

TEST_CASE("CONCAT and CONCAT_WS skip NULLs", "[functions]") {
  CHECK(Eval("CONCAT", {"prefix-", "s1", "-postfix"}) == Str("prefix-s1-postfix"));
  CHECK(Eval("CONCAT", {"a", NullLit(), NullOf(SqlType::String()), "b"}) == Str("ab"));
  CHECK(Eval("CONCAT", {Bin("ye"), NullLit(), Bin("s")}) == Bin("yes"));
  CHECK_FALSE(Resolves("CONCAT", {SqlType::String(), SqlType::Integer()}));
  CHECK(Eval("CONCAT_WS", {"SEP", "foo", NullLit(), "baz", "literal"}) == Str("fooSEPbazSEPliteral"));
  CHECK(Eval("CONCAT_WS", {"SEP", NullOf(SqlType::String()), "literal"}) == Str("literal"));
  CHECK(Eval("CONCAT_WS", {NullOf(SqlType::String()), "foo"}).IsNull());
  CHECK(Eval("CONCAT_WS", {Bin("a"), Bin("b"), Bin(""), Bin("no")}) == Bin("baano"));
}

TEST_CASE("ELT and FIELD", "[functions]") {
  CHECK(Eval("ELT", {2, "ignored", "something"}) == Str("something"));
  CHECK(Eval("ELT", {2, "ignored", NullOf(SqlType::String())}).IsNull());
  CHECK(Eval("ELT", {0, "a"}).IsNull());
  CHECK(Eval("ELT", {3, "a", "b"}).IsNull());
  CHECK(Eval("ELT", {NullOf(SqlType::Integer()), "a"}).IsNull());
  CHECK(Eval("FIELD", {"hello", "hello", "world"}) == Value(1));
  CHECK(Eval("FIELD", {"hello", "world", "hello"}) == Value(2));
  CHECK(Eval("FIELD", {"hello", NullOf(SqlType::String()), "x"}) == Value(0));
  CHECK(Eval("FIELD", {NullOf(SqlType::String()), NullOf(SqlType::String())}) == Value(0));
}

TEST_CASE("INITCAP, LCASE, UCASE, TRIM, LEN", "[functions]") {
  CHECK(Eval("INITCAP", {"some_string"}) == Str("Some_string"));
  CHECK(Eval("INITCAP", {"the   Quick br0wn fOx"}) == Str("The   Quick Br0wn Fox"));
  CHECK(Eval("INITCAP", {"  lead"}) == Str("Lead"));
  CHECK(Eval("LCASE", {"FoO"}) == Str("foo"));
  CHECK(Eval("UCASE", {"FoO"}) == Str("FOO"));
  CHECK(Eval("TRIM", {"  a b \t"}) == Str("a b"));
  CHECK(Eval("LEN", {"h\xC3\xA9llo"}) == Value(5));
  CHECK(Eval("LEN", {Bin("abc")}) == Value(3));
}

TEST_CASE("case mapping follows Java beyond ASCII", "[functions]") {
  // Latin Extended-A, y-diaeresis, final sigma, sharp s, dotted capital I.
  CHECK(Eval("UCASE", {"\xC4\x81" "b\xC3\xBF"}) == Str("\xC4\x80" "B\xC5\xB8"));
  CHECK(Eval("LCASE", {"\xC4\x80" "B\xC5\xB8"}) == Str("\xC4\x81" "b\xC3\xBF"));
  CHECK(Eval("UCASE", {"\xCF\x82"}) == Str("\xCE\xA3"));
  CHECK(Eval("UCASE", {"stra\xC3\x9F" "e"}) == Str("STRASSE"));
  CHECK(Eval("LCASE", {"\xC4\xB0"}) == Str("i\xCC\x87"));
  CHECK(Eval("UCASE", {"\xF0\x9F\x98\x80x"}) == Str("\xF0\x9F\x98\x80X"));
  CHECK(Eval("UCASE", {NullOf(SqlType::String())}).IsNull());
  CHECK(Eval("LCASE", {NullOf(SqlType::String())}).IsNull());
  // INITCAP splits words on regex \s only and upper-cases with Java's rules.
  CHECK(Eval("INITCAP", {"\xC3\x9F" "a \xC3\xA9T\xC3\x89"}) == Str("SSa \xC3\x89t\xC3\xA9"));
  CHECK(Eval("INITCAP", {"a\x1F" "b c"}) == Str("A\x1F" "b C"));
  CHECK(Eval("INITCAP", {"   "}) == Str(""));
  CHECK(Eval("INITCAP", {NullOf(SqlType::String())}).IsNull());
  // MASK classifies letters with Unicode rules.
  CHECK(Eval("MASK", {"\xC3\x89\xC3\xA9\xCE\xB1"}) == Str("Xxx"));
}

TEST_CASE("INSTR with position and occurrence", "[functions]") {
  CHECK(Eval("INSTR", {"corporate floor", "or"}) == Value(2));
  CHECK(Eval("INSTR", {"should I stay or should I go", "or"}) == Value(15));
  CHECK(Eval("INSTR", {"short", "or"}) == Value(3));
  CHECK(Eval("INSTR", {"no substring", "or"}) == Value(0));
  CHECK(Eval("INSTR", {"corporate floor", "or", 4}) == Value(5));
  CHECK(Eval("INSTR", {"short", "or", 4}) == Value(0));
  CHECK(Eval("INSTR", {"corporate floor", "or", 4, 2}) == Value(14));
  CHECK(Eval("INSTR", {"corporate floor", "or", -4}) == Value(5));
  CHECK(Eval("INSTR", {"corporate floor", "or", -4, 2}) == Value(2));
  CHECK(Eval("INSTR", {"CORPORATE FLOOR", "OR", -3, 2}) == Value(2));
  CHECK(Eval("INSTR", {NullOf(SqlType::String()), "or"}) == Value(0));
}

TEST_CASE("LPAD and RPAD", "[functions]") {
  CHECK(Eval("LPAD", {"foo", 7, "Bar"}) == Str("BarBfoo"));
  CHECK(Eval("LPAD", {"foo", 5, "Bar"}) == Str("Bafoo"));
  CHECK(Eval("LPAD", {"foo", 2, "Bar"}) == Str("fo"));
  CHECK(Eval("LPAD", {"foo", -1, "Bar"}).IsNull());
  CHECK(Eval("LPAD", {"foo", 7, ""}).IsNull());
  CHECK(Eval("LPAD", {"foo", 5, NullOf(SqlType::String())}).IsNull());
  CHECK(Eval("LPAD", {"", 7, "Bar"}) == Str("BarBarB"));
  CHECK(Eval("RPAD", {"foo", 7, "Bar"}) == Str("fooBarB"));
  CHECK(Eval("RPAD", {"foo", 2, "Bar"}) == Str("fo"));
  CHECK(Eval("RPAD", {Bin("ab"), 5, Bin("xy")}) == Bin("abxyx"));
  CHECK(Eval("LPAD", {Bin("ab"), 5, Bin("xy")}) == Bin("xyxab"));
}

TEST_CASE("MASK family", "[functions]") {
  CHECK(Eval("MASK", {"My Test $123"}) == Str("Xx-Xxxx--nnn"));
  CHECK(Eval("MASK", {"My Test $123", "*", NullOf(SqlType::String()), "1", NullOf(SqlType::String())}) == Str("*y *est $111"));
  CHECK(Eval("MASK_KEEP_LEFT", {"My Test $123", 4}) == Str("My Txxx--nnn"));
  CHECK(Eval("MASK_KEEP_RIGHT", {"My Test $123", 4}) == Str("Xx-Xxxx-$123"));
  CHECK(Eval("MASK_LEFT", {"My Test $123", 4}) == Str("Xx-Xest $123"));
  CHECK(Eval("MASK_RIGHT", {"My Test $123", 4}) == Str("My Test -nnn"));
  CHECK(Eval("MASK_LEFT", {"abc", 10}) == Str("xxx"));
  CHECK(Eval("MASK", {NullOf(SqlType::String())}).IsNull());
  CHECK(Eval("MASK", {"ab", "XX", "x", "n", "-"}).IsNull());  // mask must be one character
  CHECK(Eval("MASK_LEFT", {"abc", -1}).IsNull());
}

TEST_CASE("REPLACE and regex functions", "[functions]") {
  CHECK(Eval("REPLACE", {"anaconda", "a", "o"}) == Str("onocondo"));
  CHECK(Eval("REPLACE", {"abc", "", "-"}) == Str("-a-b-c-"));
  CHECK(Eval("REPLACE", {"anaconda", NullOf(SqlType::String()), "o"}).IsNull());
  CHECK(Eval("REGEXP_REPLACE", {"baababaa", "(ab)+", "cat"}) == Str("bacataa"));
  CHECK(Eval("REGEXP_REPLACE", {"baabbabaa", "(ab)+", "cat"}) == Str("bacatbcataa"));
  CHECK(Eval("REGEXP_REPLACE", {"john smith", "(\\w+) (\\w+)", "$2, $1"}) == Str("smith, john"));
  CHECK(Eval("REGEXP_EXTRACT", {"test.", "some_test_string"}) == Str("test_"));
  CHECK(Eval("REGEXP_EXTRACT", {"test.", "anothertest"}).IsNull());
  CHECK(Eval("REGEXP_EXTRACT", {"(.*) (.*)", "steven zhang", 2}) == Str("zhang"));
  CHECK(Eval("REGEXP_EXTRACT", {"(.*) (.*)", "agavra", 2}).IsNull());
  CHECK(Eval("REGEXP_EXTRACT", {"(", "x"}).IsNull());  // invalid pattern
  CHECK(Eval("REGEXP_EXTRACT_ALL", {"test.", "some_test_string_testabab"}) == Arr({"test_", "testa"}));
  CHECK(Eval("REGEXP_EXTRACT_ALL", {"test.", "nothing"}) == Arr({}));
  CHECK(Eval("REGEXP_EXTRACT_ALL", {"(\\w+) (\\w*)", "apurva mehta agavra ", 2}) == Arr({"mehta", ""}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"aabcda", "(ab|cd)"}) == Arr({"a", "", "a"}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"aabdcda", "(ab|cd)"}) == Arr({"a", "d", "a"}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"zxy", "(ab|cd)"}) == Arr({"zxy"}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"abc", ""}) == Arr({"a", "b", "c"}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"xabx", "x"}) == Arr({"", "ab", ""}));
  // A pattern that matches the empty string splits like Java's String.split: trailing empty
  // strings are dropped once something was split.
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"axx", "x*"}) == Arr({"a"}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"aaa", "a*"}) == Arr({}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"", ""}) == Arr({""}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {"bcd", "a*"}) == Arr({"b", "c", "d"}));
  CHECK(Eval("REGEXP_SPLIT_TO_ARRAY", {NullOf(SqlType::String()), "x"}).IsNull());
}

TEST_CASE("SPLIT and SPLIT_TO_MAP", "[functions]") {
  CHECK(Eval("SPLIT", {"a.b.c", "."}) == Arr({"a", "b", "c"}));
  CHECK(Eval("SPLIT", {"..a..", "."}) == Arr({"", "", "a", "", ""}));
  CHECK(Eval("SPLIT", {"", "."}) == Arr({""}));
  CHECK(Eval("SPLIT", {"a$$b.c", "$$"}) == Arr({"a", "b.c"}));
  CHECK(Eval("SPLIT", {"a.b", ""}) == Arr({"a", ".", "b"}));
  CHECK(Eval("SPLIT", {"", ""}) == Arr({""}));
  CHECK(Eval("SPLIT", {Bin("a.b"), Bin(".")}) == Arr({Bin("a"), Bin("b")}));
  Value m = Eval("SPLIT_TO_MAP", {"apple:=green/cherry:=red/apple:=pink//x", "/", ":="});
  REQUIRE(m.IsMap());
  CHECK(m.AsMap().size() == 2);
  CHECK(m.AsMap()[0].first == Str("apple"));
  CHECK(m.AsMap()[0].second == Str("pink"));
  CHECK(Eval("SPLIT_TO_MAP", {"a=b", "", "="}).IsNull());
  CHECK(Eval("SPLIT_TO_MAP", {"a=b", "=", "="}).IsNull());
}

TEST_CASE("CHR", "[functions]") {
  CHECK(Eval("CHR", {75}) == Str("K"));
  CHECK(Eval("CHR", {22909}) == Str("\xE5\xA5\xBD"));
  CHECK(Eval("CHR", {99000}) == Str("\xF0\x98\x8A\xB8"));
  CHECK(Eval("CHR", {-1}).IsNull());
  CHECK(Eval("CHR", {"\\u004b"}) == Str("K"));
  CHECK(Eval("CHR", {"\\ud820\\udeb8"}) == Str("\xF0\x98\x8A\xB8"));
  CHECK(Eval("CHR", {"75"}).IsNull());
  CHECK(Eval("CHR", {"004b"}).IsNull());
  CHECK(Eval("CHR", {""}).IsNull());
}

TEST_CASE("encodings: TO_BYTES, FROM_BYTES, ENCODE", "[functions]") {
  CHECK(Eval("TO_BYTES", {"1aB2", "hex"}) == Bin("\x1a\xb2"));
  CHECK(Eval("FROM_BYTES", {Bin("\x1a\xb2"), "hex"}) == Str("1AB2"));
  CHECK(Eval("FROM_BYTES", {Bin("!"), "base64"}) == Str("IQ=="));
  CHECK(Eval("TO_BYTES", {"IQ==", "base64"}) == Bin("!"));
  CHECK(Eval("FROM_BYTES", {Bin("!"), "utf8"}) == Str("!"));
  CHECK(Eval("FROM_BYTES", {Bin("!"), "ascii"}) == Str("!"));
  CHECK(Eval("TO_BYTES", {"zz", "hex"}).IsNull());
  CHECK(Eval("TO_BYTES", {"a", "ebcdic"}).IsNull());
  CHECK(Eval("ENCODE", {"4b53514c", "hex", "utf8"}) == Str("KSQL"));
  CHECK(Eval("ENCODE", {"KSQL", "utf8", "base64"}) == Str("S1NRTA=="));
  CHECK(Eval("ENCODE", {"KSQL", "ascii", "hex"}) == Str("4b53514c"));
  CHECK(Eval("ENCODE", {"KSQL", "UTF8", "Hex"}) == Str("4b53514c"));
  // The same encoding on both sides is not a supported pair.
  CHECK(Eval("ENCODE", {"KSQL", "utf8", "utf8"}).IsNull());
  CHECK(Eval("ENCODE", {"KSQL", "utf8", "ebcdic"}).IsNull());
  // Hex input: "0x" prefix (odd length padded), X'..' form, otherwise an even digit count.
  CHECK(Eval("ENCODE", {"0x4b53514c", "hex", "utf8"}) == Str("KSQL"));
  CHECK(Eval("ENCODE", {"0x14b", "hex", "base64"}) == Str("AUs="));
  CHECK(Eval("ENCODE", {"X'4b53'", "hex", "ascii"}) == Str("KS"));
  CHECK(Eval("ENCODE", {"4b5", "hex", "utf8"}).IsNull());
  CHECK(Eval("ENCODE", {"4g", "hex", "utf8"}).IsNull());
  // Base64 input is decoded leniently.
  CHECK(Eval("ENCODE", {"S1N RTA==", "base64", "utf8"}) == Str("KSQL"));
  CHECK(Eval("ENCODE", {"S1NRTA", "base64", "hex"}) == Str("4b53514c"));
  // Bytes that are not valid in the output charset become U+FFFD.
  CHECK(Eval("ENCODE", {"ff41", "hex", "ascii"}) == Str("\xEF\xBF\xBD" "A"));
  CHECK(Eval("ENCODE", {"ff41", "hex", "utf8"}) == Str("\xEF\xBF\xBD" "A"));
  CHECK(Eval("ENCODE", {"h\xC3\xA9", "ascii", "hex"}) == Str("683f"));
  CHECK(Eval("ENCODE", {NullOf(SqlType::String()), "hex", "utf8"}).IsNull());
  CHECK(Eval("ENCODE", {"4b", NullOf(SqlType::String()), "utf8"}).IsNull());
}

TEST_CASE("UUID is a random version-4 UUID", "[functions]") {
  Value a = Eval("UUID", {}), b = Eval("UUID", {});
  REQUIRE(a.IsString());
  CHECK(a.AsString().size() == 36);
  CHECK(a.AsString()[14] == '4');
  CHECK(a != b);
}

TEST_CASE("UUID of 16 bytes", "[functions]") {
  CHECK(Eval("UUID", {Bin(std::string("\x12\x3e\x45\x67\xe8\x9b\x12\xd3\xa4\x56\x42\x66\x14\x17\x40\x00", 16))}) ==
        Str("123e4567-e89b-12d3-a456-426614174000"));
  CHECK(Eval("UUID", {Bin("too short")}).IsNull());
  CHECK(Eval("UUID", {Bin(std::string(17, 'x'))}).IsNull());
  CHECK(Eval("UUID", {NullOf(SqlType::Bytes())}).IsNull());
}

TEST_CASE("MD5 is the hex MD5 digest of the UTF-8 bytes", "[functions]") {
  CHECK(Eval("MD5", {""}) == Str("d41d8cd98f00b204e9800998ecf8427e"));
  CHECK(Eval("MD5", {"The quick brown fox jumps over the lazy dog"}) == Str("9e107d9d372bb6826bd81d3542a419d6"));
  CHECK(Eval("MD5", {std::string(100, 'a')}) == Str("36a92cc94a9e0fa21f625f8bfb007adf"));
  CHECK(Eval("MD5", {"\xC3\xA9"}) == Str("66ddcd97cfdeabb2f6fb8a999b4bc76f"));
  CHECK(Eval("MD5", {NullOf(SqlType::String())}).IsNull());
}

}  // namespace functions_string_test
