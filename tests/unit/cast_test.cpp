#include <catch2/catch.hpp>

#include "engine/expr/cast.h"
#include "engine/types/java_double.h"
#include "tests/unit/test_util.h"

namespace cast_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;
using namespace sluice::testing;

namespace {
Value Cast(const Value& v, const TypePtr& from, const TypePtr& to, std::string* err = nullptr) {
  std::string e;
  Value r = CastValue(v, *from, *to, err ? err : &e);
  return r;
}
}  // namespace

TEST_CASE("CanCast follows ksqlDB's table", "[cast]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint(), D = SqlType::Double(), S = SqlType::String();
  auto Bo = SqlType::Boolean(), Dec = SqlType::Decimal(4, 2), Ts = SqlType::Timestamp();
  auto Dt = SqlType::Date(), Tm = SqlType::Time(), By = SqlType::Bytes();
  std::vector<TypePtr> nums = {I, B, D, Dec};
  for (auto& a : nums)
    for (auto& b : nums) CHECK(CanCast(*a, *b));
  for (auto& a : nums) {
    CHECK(CanCast(*a, *S));
    CHECK(CanCast(*S, *a));
    CHECK_FALSE(CanCast(*a, *Bo));
    CHECK_FALSE(CanCast(*Bo, *a));
    CHECK_FALSE(CanCast(*a, *Ts));
  }
  CHECK(CanCast(*Bo, *S));
  CHECK(CanCast(*S, *Bo));
  CHECK(CanCast(*S, *Ts));
  CHECK(CanCast(*S, *Dt));
  CHECK(CanCast(*S, *Tm));
  CHECK(CanCast(*Ts, *S));
  CHECK(CanCast(*Ts, *Dt));
  CHECK(CanCast(*Ts, *Tm));
  CHECK(CanCast(*Dt, *Ts));
  CHECK(CanCast(*Dt, *S));
  CHECK(CanCast(*Tm, *S));
  CHECK_FALSE(CanCast(*Tm, *Ts));
  CHECK_FALSE(CanCast(*Tm, *Dt));
  CHECK_FALSE(CanCast(*By, *S));
  CHECK_FALSE(CanCast(*S, *By));
  CHECK(CanCast(*By, *By));
  CHECK(CanCast(*SqlType::Array(I), *S));
  CHECK(CanCast(*SqlType::Array(B), *SqlType::Array(S)));
  CHECK(CanCast(*SqlType::Map(S, B), *SqlType::Map(S, I)));
  CHECK_FALSE(CanCast(*SqlType::Array(Bo), *SqlType::Array(I)));
  CHECK_FALSE(CanCast(*S, *SqlType::Array(I)));
  CHECK_FALSE(CanCast(*SqlType::Array(I), *SqlType::Map(S, I)));
  CHECK(CastErrorMessage(*S, *SqlType::Array(I)) == "Cast of STRING to ARRAY<INTEGER> is not supported");
  CHECK(CastErrorMessage(*S, *SqlType::Map(S, I)) ==
        "Cast of STRING to MAP<STRING, INTEGER> is not supported");
  CHECK(CastErrorMessage(*S, *SqlType::Struct({{"F0", S}, {"F1", I}})) ==
        "Cast of STRING to STRUCT<`F0` STRING, `F1` INTEGER> is not supported");
}

TEST_CASE("numeric casts", "[cast]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint(), D = SqlType::Double(), S = SqlType::String();
  CHECK(Cast(Value(int64_t{2147483648LL}), B, I) == Value(int32_t{-2147483647 - 1}));
  CHECK(Cast(Value(1.2), D, I) == Value(int32_t{1}));
  CHECK(Cast(Value(-1.9), D, I) == Value(int32_t{-1}));
  CHECK(Cast(Value(1e20), D, I) == Value(int32_t{2147483647}));
  CHECK(Cast(Value(1e20), D, B) == Value(int64_t{9223372036854775807LL}));
  CHECK(Cast(Value(std::nan("")), D, I) == Value(int32_t{0}));
  CHECK(Cast(Value(int32_t{-1}), I, B) == Value(int64_t{-1}));
  CHECK(Cast(Value(int32_t{3}), I, D) == Value(3.0));
  auto dec42 = SqlType::Decimal(4, 2);
  CHECK(Cast(Value(DecimalOf("10.01", 2)), dec42, I) == Value(int32_t{10}));
  CHECK(Cast(Value(DecimalOf("-10.99", 2)), dec42, B) == Value(int64_t{-10}));
  CHECK(Cast(Value(DecimalOf("10.01", 2)), dec42, D) == Value(10.01));
  CHECK(Cast(Value(DecimalOf("0.00", 2)), dec42, S) == Value("0.00"));
  CHECK(Cast(Value(DecimalOf("10.12", 2)), dec42, SqlType::Decimal(5, 3)) == Value(DecimalOf("10.120", 3)));
}

TEST_CASE("casts to DECIMAL round HALF_UP and check precision", "[cast]") {
  auto d21 = SqlType::Decimal(2, 1);
  std::string err;
  CHECK(Cast(Value(int32_t{1}), SqlType::Integer(), d21) == Value(DecimalOf("1.0", 1)));
  CHECK(Cast(Value(int32_t{-1}), SqlType::Integer(), d21) == Value(DecimalOf("-1.0", 1)));
  CHECK(Cast(Value(int32_t{10}), SqlType::Integer(), d21, &err).IsNull());
  CHECK_FALSE(err.empty());
  CHECK(Cast(Value(0.1), SqlType::Double(), d21) == Value(DecimalOf("0.1", 1)));
  CHECK(Cast(Value(0.99), SqlType::Double(), d21) == Value(DecimalOf("1.0", 1)));
  CHECK(Cast(Value(0.01), SqlType::Double(), d21) == Value(DecimalOf("0.0", 1)));
  CHECK(Cast(Value(0.05), SqlType::Double(), d21) == Value(DecimalOf("0.1", 1)));
  CHECK(Cast(Value(-0.05), SqlType::Double(), d21) == Value(DecimalOf("-0.1", 1)));
  CHECK(Cast(Value(std::nan("")), SqlType::Double(), d21).IsNull());
  CHECK(Cast(Value(1e300), SqlType::Double(), d21).IsNull());
  CHECK(Cast(Value("0.99"), SqlType::String(), d21) == Value(DecimalOf("1.0", 1)));
  CHECK(Cast(Value("0.10"), SqlType::String(), d21) == Value(DecimalOf("0.1", 1)));
  CHECK(Cast(Value("abc"), SqlType::String(), d21).IsNull());
  CHECK(Cast(Value(DecimalOf("9.96", 2)), SqlType::Decimal(3, 2), d21).IsNull());
}

TEST_CASE("string to number and boolean", "[cast]") {
  auto S = SqlType::String();
  CHECK(Cast(Value(" 12 "), S, SqlType::Integer()) == Value(int32_t{12}));
  CHECK(Cast(Value("-12"), S, SqlType::Integer()) == Value(int32_t{-12}));
  CHECK(Cast(Value("+7"), S, SqlType::Integer()) == Value(int32_t{7}));
  CHECK(Cast(Value("2147483648"), S, SqlType::Integer()).IsNull());
  CHECK(Cast(Value("2147483648"), S, SqlType::Bigint()) == Value(int64_t{2147483648LL}));
  CHECK(Cast(Value("1.5"), S, SqlType::Integer()).IsNull());
  CHECK(Cast(Value("foo"), S, SqlType::Bigint()).IsNull());
  CHECK(Cast(Value("1.5"), S, SqlType::Double()) == Value(1.5));
  CHECK(Cast(Value("1e3"), S, SqlType::Double()) == Value(1000.0));
  CHECK(Cast(Value("2d"), S, SqlType::Double()) == Value(2.0));
  CHECK(std::isinf(Cast(Value("-Infinity"), S, SqlType::Double()).AsDouble()));
  CHECK(Cast(Value("inf"), S, SqlType::Double()).IsNull());
  CHECK(Cast(Value("x"), S, SqlType::Double()).IsNull());
  CHECK(Cast(Value("TRUE"), S, SqlType::Boolean()) == Value(true));
  CHECK(Cast(Value(" false "), S, SqlType::Boolean()) == Value(false));
  std::string err;
  CHECK(Cast(Value("maybe"), S, SqlType::Boolean(), &err).IsNull());
  CHECK(err.find("BOOLEAN") != std::string::npos);
  CHECK(Cast(Value(true), SqlType::Boolean(), S) == Value("true"));
}

TEST_CASE("DOUBLE to STRING is Java's Double.toString", "[cast]") {
  CHECK(FormatJavaDouble(1.0) == "1.0");
  CHECK(FormatJavaDouble(10.3) == "10.3");
  CHECK(FormatJavaDouble(0.001) == "0.001");
  CHECK(FormatJavaDouble(0.0001) == "1.0E-4");
  CHECK(FormatJavaDouble(1e7) == "1.0E7");
  CHECK(FormatJavaDouble(1234567.0) == "1234567.0");
  CHECK(FormatJavaDouble(1e10) == "1.0E10");
  CHECK(FormatJavaDouble(-1.5e-10) == "-1.5E-10");
  CHECK(FormatJavaDouble(1.7976931348623157E308) == "1.7976931348623157E308");
  CHECK(FormatJavaDouble(4.9E-324) == "4.9E-324");
  CHECK(FormatJavaDouble(0.0) == "0.0");
  CHECK(FormatJavaDouble(-0.0) == "-0.0");
  CHECK(FormatJavaDouble(std::nan("")) == "NaN");
  CHECK(FormatJavaDouble(-1.0 / 0.0) == "-Infinity");
  CHECK(Cast(Value(13.21), SqlType::Double(), SqlType::String()) == Value("13.21"));
}

TEST_CASE("time types", "[cast]") {
  auto S = SqlType::String(), Ts = SqlType::Timestamp(), Dt = SqlType::Date(), Tm = SqlType::Time();
  CHECK(Cast(Value(Timestamp{10}), Ts, S) == Value("1970-01-01T00:00:00.010"));
  CHECK(Cast(Value("2022-04-28T21:44:47.943"), S, Ts) == Value(Timestamp{1651182287943}));
  CHECK(Cast(Value("2022-04-28T21:44:47.943Z"), S, Ts) == Value(Timestamp{1651182287943}));
  CHECK(Cast(Value("1970-01-01T00:00:01"), S, Ts) == Value(Timestamp{1000}));
  CHECK(Cast(Value("1970-01-01T01:00:00+01:00"), S, Ts) == Value(Timestamp{0}));
  CHECK(Cast(Value("1970-01-02"), S, Ts) == Value(Timestamp{86400000}));
  CHECK(Cast(Value("foo"), S, Ts).IsNull());
  CHECK(Cast(Value(Time{5000}), Tm, S) == Value("00:00:05"));
  CHECK(Cast(Value("00:00:00.010"), S, Tm) == Value(Time{10}));
  CHECK(Cast(Value("00:00:01"), S, Tm) == Value(Time{1000}));
  CHECK(Cast(Value("00:01"), S, Tm) == Value(Time{60000}));
  CHECK(Cast(Value("foo"), S, Tm).IsNull());
  CHECK(Cast(Value(Timestamp{5000}), Ts, Tm) == Value(Time{5000}));
  CHECK(Cast(Value(Timestamp{-2000}), Ts, Tm) == Value(Time{86398000}));
  CHECK(Cast(Value(Timestamp{86400100}), Ts, Tm) == Value(Time{100}));
  CHECK(Cast(Value(Timestamp{-1}), Ts, Dt) == Value(Date{-1}));
  CHECK(Cast(Value(Date{1}), Dt, Ts) == Value(Timestamp{86400000}));
  CHECK(Cast(Value(Date{19025}), Dt, S) == Value("2022-02-02"));
  CHECK(Cast(Value("2022-02-02"), S, Dt) == Value(Date{19025}));
  CHECK(Cast(Value("2022-02-30"), S, Dt).IsNull());
}

TEST_CASE("composite casts", "[cast]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint(), S = SqlType::String();
  Value arr = Value::Array({Value(int32_t{1}), Value(int32_t{3})});
  CHECK(Cast(arr, SqlType::Array(I), S) == Value("[1, 3]"));
  Value barr = Value::Array({Value(int64_t{1}), Value(int64_t{2147483648LL}), Value()});
  CHECK(Cast(barr, SqlType::Array(B), SqlType::Array(I)) ==
        Value::Array({Value(int32_t{1}), Value(int32_t{-2147483647 - 1}), Value()}));
  CHECK(Cast(barr, SqlType::Array(B), SqlType::Array(S)) ==
        Value::Array({Value("1"), Value("2147483648"), Value()}));
  Value m = Value::Map({{Value("this"), Value(int32_t{1})}});
  CHECK(Cast(m, SqlType::Map(S, I), S) == Value("{this=1}"));
  Value nested = Value::Map({{Value("k1"), Value::Map({{Value("k2"), Value("10")}})}});
  CHECK(Cast(nested, SqlType::Map(S, SqlType::Map(S, S)), SqlType::Map(S, SqlType::Map(S, I))) ==
        Value::Map({{Value("k1"), Value::Map({{Value("k2"), Value(int32_t{10})}})}}));
  auto st = SqlType::Struct({{"F0", I}, {"f1", I}});
  Value sv = Value::Struct(st, {Value(int32_t{1}), Value(int32_t{3})});
  CHECK(Cast(sv, st, S) == Value("Struct{F0=1,f1=3}"));
  auto src = SqlType::Struct({{"F0", B}, {"F1", S}});
  auto dst = SqlType::Struct({{"F0", S}, {"F3", S}});
  Value out = Cast(Value::Struct(src, {Value(int64_t{1}), Value("3")}), src, dst);
  REQUIRE(out.IsStruct());
  CHECK(out.AsStruct().fields == std::vector<Value>{Value("1"), Value()});
  CHECK(Cast(Value::Array({Value(1.5)}), SqlType::Array(SqlType::Double()), S) == Value("[1.5]"));
  CHECK(Cast(Value(), S, SqlType::Array(I)).IsNull());
}

TEST_CASE("implicit casts and common super types", "[cast]") {
  auto I = SqlType::Integer(), B = SqlType::Bigint(), D = SqlType::Double(), S = SqlType::String();
  CHECK(CanImplicitlyCast(*I, *B));
  CHECK(CanImplicitlyCast(*I, *D));
  CHECK(CanImplicitlyCast(*B, *SqlType::Decimal(20, 0)));
  CHECK(CanImplicitlyCast(*SqlType::Decimal(4, 2), *D));
  CHECK_FALSE(CanImplicitlyCast(*B, *I));
  CHECK_FALSE(CanImplicitlyCast(*D, *SqlType::Decimal(4, 2)));
  CHECK_FALSE(CanImplicitlyCast(*S, *I));
  CHECK_FALSE(CanImplicitlyCast(*S, *SqlType::Timestamp()));
  CHECK(CanCoerceLiteral(*S, *SqlType::Timestamp()));
  CHECK(CanImplicitlyCast(*SqlType::Array(I), *SqlType::Array(B)));
  CHECK_FALSE(CanImplicitlyCast(*SqlType::Array(B), *SqlType::Array(I)));

  CHECK(TypeEquals(CommonSuperType({I, nullptr, B}), B));
  CHECK(TypeEquals(CommonSuperType({I, D}), D));
  CHECK(TypeEquals(CommonSuperType({I, SqlType::Decimal(4, 2)}), SqlType::Decimal(12, 2)));
  CHECK(TypeEquals(CommonSuperType({SqlType::Decimal(4, 2), SqlType::Decimal(5, 3)}),
                   SqlType::Decimal(5, 3)));
  CHECK(TypeEquals(CommonSuperType({B, SqlType::Decimal(4, 2)}), SqlType::Decimal(21, 2)));
  CHECK(CommonSuperType({I, S}) == nullptr);
  CHECK(CommonSuperType({nullptr, nullptr}) == nullptr);
  CHECK(TypeEquals(CommonSuperType({S, nullptr, S}), S));
  CHECK(TypeEquals(CommonSuperType({SqlType::Array(I), SqlType::Array(B)}), SqlType::Array(B)));
  CHECK(CommonSuperType({SqlType::Array(I), SqlType::Array(S)}) == nullptr);
}

}  // namespace cast_test
