#include <cmath>

#include "tests/unit/functions_test_util.h"

namespace functions_math_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

TEST_CASE("ROUND follows Java's Math.round and BigDecimal rounding", "[functions]") {
  TypePtr rt;
  CHECK(Eval("ROUND", {1.5}, &rt) == Value(int64_t{2}));
  CHECK(rt->kind == TypeKind::kBigint);
  CHECK(Eval("ROUND", {-1.5}) == Value(int64_t{-1}));
  CHECK(Eval("ROUND", {-1.7}) == Value(int64_t{-2}));
  CHECK(Eval("ROUND", {0.49999999999999994}) == Value(int64_t{0}));
  CHECK(Eval("ROUND", {7}) == Value(int64_t{7}));
  CHECK(Eval("ROUND", {1.234567, 2}, &rt) == Value(1.23));
  CHECK(rt->kind == TypeKind::kDouble);
  CHECK(Eval("ROUND", {12345.678, -1}) == Value(12350.0));
  CHECK(Eval("ROUND", {-12345.678, -2}) == Value(-12300.0));
  CHECK(Eval("ROUND", {1.2, -1}) == Value(0.0));
  CHECK(Eval("ROUND", {2.5, 0}) == Value(3.0));
  CHECK(Eval("ROUND", {-2.5, 0}) == Value(-2.0));
  CHECK(Eval("ROUND", {1.005, 2}) == Value(1.01));  // via the shortest decimal form
  CHECK(Eval("ROUND", {NullOf(SqlType::Double()), 2}).IsNull());

  Value big = Dec("12345678987654321.2345678987654321", 16);
  CHECK(Eval("ROUND", {big}, &rt) == Dec("12345678987654321", 0));
  CHECK(rt->kind == TypeKind::kDecimal);
  CHECK(rt->scale == 0);
  CHECK(Eval("ROUND", {big, 2}) == Dec("12345678987654321.23", 16));
  CHECK(Eval("ROUND", {big, -2}) == Dec("12345678987654300", 16));
  CHECK(Eval("ROUND", {Dec("-1.5", 1)}) == Dec("-1", 0));
  CHECK(Eval("ROUND", {Dec("1.5", 1)}) == Dec("2", 0));
}

TEST_CASE("TRUNC", "[functions]") {
  CHECK(Eval("TRUNC", {1.7}) == Value(int64_t{1}));
  CHECK(Eval("TRUNC", {-1.7}) == Value(int64_t{-1}));
  CHECK(Eval("TRUNC", {1.234567, 2}) == Value(1.23));
  CHECK(Eval("TRUNC", {-12345.678, -2}) == Value(-12300.0));
  CHECK(Eval("TRUNC", {Dec("-1.79", 2), 1}) == Dec("-1.7", 2));
}

TEST_CASE("ABS, CEIL, FLOOR, SIGN keep or map types", "[functions]") {
  TypePtr rt;
  CHECK(Eval("ABS", {-1}, &rt) == Value(1));
  CHECK(rt->kind == TypeKind::kInteger);
  CHECK(Eval("ABS", {int64_t{-2}}) == Value(int64_t{2}));
  CHECK(Eval("ABS", {-3.1}) == Value(3.1));
  CHECK(Eval("ABS", {Dec("-3.2", 1)}, &rt) == Dec("3.2", 1));
  CHECK(rt->kind == TypeKind::kDecimal);
  CHECK(Eval("FLOOR", {-1.1}) == Value(-2.0));
  CHECK(Eval("CEIL", {-1.5}) == Value(-1.0));
  CHECK(Eval("FLOOR", {Dec("-1.5", 1)}) == Dec("-2.0", 1));
  CHECK(Eval("CEIL", {Dec("1.1", 1)}) == Dec("2.0", 1));
  CHECK(Eval("CEIL", {3}) == Value(3));
  CHECK(Eval("SIGN", {-3.0}) == Value(-1));
  CHECK(Eval("SIGN", {int64_t{0}}) == Value(0));
  CHECK(Eval("SIGN", {Dec("2.5", 1)}) == Value(1));
}

TEST_CASE("DOUBLE math functions widen integers", "[functions]") {
  CHECK(Eval("SQRT", {4}) == Value(2.0));
  CHECK(std::isnan(Eval("SQRT", {-1}).AsDouble()));
  CHECK(Eval("EXP", {0}) == Value(1.0));
  CHECK(std::isinf(Eval("LN", {0}).AsDouble()));
  // LOG(x) is the natural logarithm in ksqlDB (Math.log).
  CHECK(Eval("LOG", {13}).AsDouble() == Approx(2.5649493574615367));
  CHECK(std::isinf(Eval("LOG", {0}).AsDouble()));
  CHECK(Eval("LOG", {2, 8}).AsDouble() == Approx(3.0));
  CHECK(std::isnan(Eval("LOG", {1, 13}).AsDouble()));
  CHECK(std::isinf(Eval("LOG", {15, 0}).AsDouble()));
  CHECK(Eval("LOG", {15, 0}).AsDouble() < 0);
  // log(0) / log(base) with a base below 1 is +Infinity, as in Java.
  CHECK(Eval("LOG", {0.5, 0.0}).AsDouble() > 0);
  CHECK(std::isinf(Eval("LOG", {0.5, 0.0}).AsDouble()));
  CHECK(std::isnan(Eval("LOG", {2, -1}).AsDouble()));
  CHECK(std::isnan(Eval("LOG", {-2, 8}).AsDouble()));
  CHECK(Eval("LOG", {NullOf(SqlType::Double()), 8.0}).IsNull());
  CHECK(Eval("POWER", {15, 13}) == Value(1946195068359375.0));
  CHECK(Eval("CBRT", {-8}) == Value(-2.0));
  CHECK(Eval("PI", {}).AsDouble() == Approx(3.141592653589793));
  CHECK(Eval("DEGREES", {M_PI}).AsDouble() == Approx(180.0));
  CHECK(Eval("RADIANS", {180}).AsDouble() == Approx(M_PI));
  CHECK(std::isinf(Eval("COT", {0}).AsDouble()));
  CHECK(Eval("ATAN2", {1, 0}).AsDouble() == Approx(M_PI / 2));
  double r = Eval("RANDOM", {}).AsDouble();
  CHECK(r >= 0.0);
  CHECK(r < 1.0);
  CHECK(Eval("GEO_DISTANCE", {37.4439, -122.1663, 51.5257, -0.1122}).AsDouble() == Approx(8634.6).epsilon(0.01));
  CHECK(Eval("GEO_DISTANCE", {37.4439, -122.1663, 51.5257, -0.1122, "MI"}).AsDouble() == Approx(5365.4).epsilon(0.01));
  CHECK(Eval("GEO_DISTANCE", {0.0, 0.0, 0.0, 0.0, "parsec"}).IsNull());
}

TEST_CASE("GREATEST and LEAST", "[functions]") {
  TypePtr rt;
  CHECK(Eval("LEAST", {2147483647, -2147483647, NullOf(SqlType::Integer()), NullLit(), 5}) == Value(-2147483647));
  CHECK(Eval("GREATEST", {"apple", "banana", NullLit()}) == Str("banana"));
  CHECK(Eval("LEAST", {NullOf(SqlType::String()), NullOf(SqlType::String()), "hello"}) == Str("hello"));
  CHECK(Eval("LEAST", {1, int64_t{-1000000000000}, Dec("-99999.99999", 5), 2.0}, &rt) == Value(-1000000000000.0));
  CHECK(rt->kind == TypeKind::kDouble);
  CHECK(Eval("LEAST", {Dec("1234567.89", 2), Dec("0.123456", 6)}, &rt) == Dec("0.123456", 6));
  CHECK(rt->kind == TypeKind::kDecimal);
  CHECK_FALSE(Resolves("LEAST", {SqlType::Integer(), SqlType::Bigint()}));
  CHECK_FALSE(Resolves("LEAST", {nullptr, nullptr}));
  CHECK_FALSE(Resolves("LEAST", {}));
  CHECK_FALSE(Resolves("LEAST", {SqlType::String(), SqlType::Integer()}));
  CHECK(Eval("GREATEST", {NullOf(SqlType::Integer()), NullOf(SqlType::Integer())}).IsNull());
}

}  // namespace functions_math_test
