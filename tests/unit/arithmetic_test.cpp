#include <catch2/catch.hpp>

#include <climits>
#include <cmath>

#include "engine/expr/arithmetic.h"
#include "tests/unit/test_util.h"

namespace arithmetic_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
TypePtr ResultType(ArithOp op, const TypePtr& l, const TypePtr& r) {
  auto res = ArithmeticResultType(op, l, r);
  REQUIRE(res.ok());
  return *res;
}
}  // namespace

TEST_CASE("arithmetic result types", "[arithmetic]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint(), D = SqlType::Double(), S = SqlType::String();
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, I, I), I));
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, I, B), B));
  CHECK(TypeEquals(ResultType(ArithOp::kMultiply, B, D), D));
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, SqlType::Decimal(4, 2), D), D));
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, S, S), S));
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, nullptr, I), I));
  auto bad = ArithmeticResultType(ArithOp::kSubtract, S, S);
  CHECK_FALSE(bad.ok());
  auto bad2 = ArithmeticResultType(ArithOp::kAdd, SqlType::Boolean(), I);
  REQUIRE_FALSE(bad2.ok());
  CHECK(bad2.status().message() == "Unsupported arithmetic types. BOOLEAN INTEGER");

  auto d42 = SqlType::Decimal(4, 2), d53 = SqlType::Decimal(5, 3);
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, d42, d53), SqlType::Decimal(6, 3)));
  CHECK(TypeEquals(ResultType(ArithOp::kSubtract, d42, d53), SqlType::Decimal(6, 3)));
  CHECK(TypeEquals(ResultType(ArithOp::kMultiply, d42, d53), SqlType::Decimal(10, 5)));
  CHECK(TypeEquals(ResultType(ArithOp::kDivide, d42, d53), SqlType::Decimal(13, 8)));
  CHECK(TypeEquals(ResultType(ArithOp::kModulus, d42, d53), SqlType::Decimal(5, 3)));
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, I, d42), SqlType::Decimal(13, 2)));
  CHECK(TypeEquals(ResultType(ArithOp::kAdd, B, d42), SqlType::Decimal(22, 2)));
  CHECK(TypeEquals(ResultType(ArithOp::kMultiply, SqlType::Decimal(30, 2), SqlType::Decimal(30, 2)),
                   SqlType::Decimal(38, 4)));
}

TEST_CASE("integer arithmetic wraps like Java", "[arithmetic]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint();
  std::string err;
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(INT32_MAX), Value(int32_t{1}), *I, &err) == Value(INT32_MIN));
  CHECK(EvalArithmetic(ArithOp::kMultiply, Value(INT64_MAX), Value(int64_t{2}), *B, &err) == Value(int64_t{-2}));
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(int32_t{6}), Value(int64_t{25}), *B, &err) == Value(int64_t{31}));
  CHECK(EvalArithmetic(ArithOp::kDivide, Value(int32_t{-7}), Value(int32_t{2}), *I, &err) == Value(int32_t{-3}));
  CHECK(EvalArithmetic(ArithOp::kModulus, Value(int32_t{-7}), Value(int32_t{2}), *I, &err) == Value(int32_t{-1}));
  CHECK(EvalArithmetic(ArithOp::kDivide, Value(INT32_MIN), Value(int32_t{-1}), *I, &err) == Value(INT32_MIN));
  err.clear();
  CHECK(EvalArithmetic(ArithOp::kDivide, Value(int32_t{1}), Value(int32_t{0}), *I, &err).IsNull());
  CHECK(err == "/ by zero");
  CHECK(EvalArithmetic(ArithOp::kModulus, Value(int64_t{1}), Value(int64_t{0}), *B, &err).IsNull());
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(), Value(int32_t{1}), *I, &err).IsNull());
  CHECK(Negate(Value(INT32_MIN), &err) == Value(INT32_MIN));
  CHECK(Negate(Value(int64_t{5}), &err) == Value(int64_t{-5}));
  CHECK(Negate(Value(), &err).IsNull());
}

TEST_CASE("double arithmetic is IEEE", "[arithmetic]") {
  auto D = SqlType::Double();
  std::string err;
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(3.21), Value(int32_t{10}), *D, &err) == Value(13.21));
  CHECK(std::isinf(EvalArithmetic(ArithOp::kDivide, Value(1.0), Value(0.0), *D, &err).AsDouble()));
  CHECK(std::isnan(EvalArithmetic(ArithOp::kModulus, Value(1.0), Value(0.0), *D, &err).AsDouble()));
  CHECK(EvalArithmetic(ArithOp::kModulus, Value(5.5), Value(2.0), *D, &err) == Value(1.5));
  CHECK(Negate(Value(1.5), &err) == Value(-1.5));
}

TEST_CASE("decimal arithmetic", "[arithmetic]") {
  std::string err;
  auto d42 = SqlType::Decimal(4, 2), d53 = SqlType::Decimal(5, 3);
  auto add_t = ResultType(ArithOp::kAdd, d42, d53);
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(DecimalOf("10.01", 2)), Value(DecimalOf("1.005", 3)), *add_t, &err) ==
        Value(DecimalOf("11.015", 3)));
  CHECK(EvalArithmetic(ArithOp::kSubtract, Value(DecimalOf("10.01", 2)), Value(DecimalOf("1.005", 3)), *add_t, &err) ==
        Value(DecimalOf("9.005", 3)));
  auto mul_t = ResultType(ArithOp::kMultiply, d42, d53);
  CHECK(EvalArithmetic(ArithOp::kMultiply, Value(DecimalOf("1.50", 2)), Value(DecimalOf("2.000", 3)), *mul_t, &err) ==
        Value(DecimalOf("3.00000", 5)));
  auto div_t = ResultType(ArithOp::kDivide, d42, d53);
  CHECK(EvalArithmetic(ArithOp::kDivide, Value(DecimalOf("1.00", 2)), Value(DecimalOf("3.000", 3)), *div_t, &err) ==
        Value(DecimalOf("0.33333333", 8)));
  CHECK(EvalArithmetic(ArithOp::kDivide, Value(DecimalOf("2.00", 2)), Value(DecimalOf("3.000", 3)), *div_t, &err) ==
        Value(DecimalOf("0.66666667", 8)));
  err.clear();
  CHECK(EvalArithmetic(ArithOp::kDivide, Value(DecimalOf("2.00", 2)), Value(DecimalOf("0", 3)), *div_t, &err).IsNull());
  CHECK_FALSE(err.empty());
  auto mod_t = ResultType(ArithOp::kModulus, d42, d53);
  CHECK(EvalArithmetic(ArithOp::kModulus, Value(DecimalOf("10.50", 2)), Value(DecimalOf("3.000", 3)), *mod_t, &err) ==
        Value(DecimalOf("1.500", 3)));
  auto int_t = ResultType(ArithOp::kAdd, SqlType::Integer(), d42);
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(int32_t{5}), Value(DecimalOf("0.25", 2)), *int_t, &err) ==
        Value(DecimalOf("5.25", 2)));
  // Overflow of a capped result type gives NULL.
  auto big = SqlType::Decimal(38, 0);
  Decimal max38;
  max38.unscaled = 1;
  for (int i = 0; i < 38; ++i) max38.unscaled *= 10;
  max38.unscaled -= 1;
  err.clear();
  CHECK(EvalArithmetic(ArithOp::kAdd, Value(max38), Value(max38), *big, &err).IsNull());
  CHECK_FALSE(err.empty());
  CHECK(Negate(Value(DecimalOf("1.25", 2)), &err) == Value(DecimalOf("-1.25", 2)));
}

TEST_CASE("string concatenation with +", "[arithmetic]") {
  std::string err;
  CHECK(EvalArithmetic(ArithOp::kAdd, Value("a"), Value("b"), *SqlType::String(), &err) == Value("ab"));
}

TEST_CASE("comparison operand types", "[arithmetic]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint(), S = SqlType::String();
  auto r = ComparisonOperandType(I, B, CompareOp::kLt);
  REQUIRE(r.ok());
  CHECK(TypeEquals(*r, B));
  auto ts = ComparisonOperandType(SqlType::Timestamp(), S, CompareOp::kGt);
  REQUIRE(ts.ok());
  CHECK(TypeEquals(*ts, SqlType::Timestamp()));
  auto td = ComparisonOperandType(SqlType::Date(), SqlType::Timestamp(), CompareOp::kEq);
  REQUIRE(td.ok());
  CHECK(TypeEquals(*td, SqlType::Timestamp()));
  CHECK(ComparisonOperandType(S, S, CompareOp::kLe).ok());
  CHECK(ComparisonOperandType(nullptr, S, CompareOp::kEq).ok());
  CHECK_FALSE(ComparisonOperandType(SqlType::Boolean(), I, CompareOp::kEq).ok());
  CHECK_FALSE(ComparisonOperandType(S, I, CompareOp::kEq).ok());
  CHECK_FALSE(ComparisonOperandType(SqlType::Time(), SqlType::Date(), CompareOp::kEq).ok());
  auto arr = SqlType::Array(I);
  CHECK(ComparisonOperandType(arr, arr, CompareOp::kEq).ok());
  CHECK(ComparisonOperandType(arr, arr, CompareOp::kIsDistinctFrom).ok());
  auto lt = ComparisonOperandType(arr, arr, CompareOp::kLt, "B", "C");
  REQUIRE_FALSE(lt.ok());
  CHECK(lt.status().message() == "Cannot compare B (ARRAY<INTEGER>) to C (ARRAY<INTEGER>) with LESS_THAN.");
  auto st = SqlType::Struct({{"ID", I}});
  auto slt = ComparisonOperandType(st, st, CompareOp::kLt, "B", "C");
  REQUIRE_FALSE(slt.ok());
  CHECK(slt.status().message() == "Cannot compare B (STRUCT<`ID` INTEGER>) to C (STRUCT<`ID` INTEGER>) with LESS_THAN.");
}

}  // namespace arithmetic_test
