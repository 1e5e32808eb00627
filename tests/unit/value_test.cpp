#include <catch2/catch.hpp>

#include "engine/types/value.h"

namespace value_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

TEST_CASE("decimal parse, render and rescale round HALF_UP") {
  Decimal d;
  REQUIRE(Decimal::Parse("12.345", 2, &d));
  CHECK(d.ToString() == "12.35");
  REQUIRE(Decimal::Parse("-0.5", 0, &d));
  CHECK(d.ToString() == "-1");
  REQUIRE(Decimal::Parse("1E+3", 1, &d));
  CHECK(d.ToString() == "1000.0");
  CHECK_FALSE(Decimal::Parse("1.2.3", 2, &d));
  CHECK(Decimal::FromDouble(0.1, 3).ToString() == "0.100");
}

TEST_CASE("values compare across numeric kinds and NULL sorts first") {
  CHECK(CompareValues(Value(int32_t{1}), Value(int64_t{2})) < 0);
  CHECK(CompareValues(Value(2.5), Value(int32_t{2})) > 0);
  CHECK(CompareValues(Value(), Value(int32_t{0})) < 0);
  CHECK(Value("a") == Value(std::string("a")));
  CHECK(Value::Array({Value(int32_t{1})}) == Value::Array({Value(int32_t{1})}));
  CHECK(Value(int32_t{1}) != Value(int64_t{1}));
}

TEST_CASE("maps compare by their entries, whatever the insertion order") {
  Value ab = Value::Map({{Value("a"), Value(int32_t{1})}, {Value("b"), Value(int32_t{2})}});
  Value ba = Value::Map({{Value("b"), Value(int32_t{2})}, {Value("a"), Value(int32_t{1})}});
  Value a2 = Value::Map({{Value("a"), Value(int32_t{2})}});
  CHECK(CompareValues(ab, ba) == 0);
  CHECK(CompareValues(ab, a2) < 0);
  CHECK(CompareValues(a2, ab) > 0);
}

}  // namespace value_test
