#include "tests/unit/functions_test_util.h"

namespace functions_collection_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

namespace {
Value M(MapValue entries) { return Value::Map(std::move(entries)); }
const Value N;  // NULL
}  // namespace

TEST_CASE("array set functions", "[functions]") {
  CHECK(Eval("ARRAY_DISTINCT", {Arr({0, 0, 1, 0, -1})}) == Arr({0, 1, -1}));
  CHECK(Eval("ARRAY_DISTINCT", {Arr({"foo", "Food", N, "foo", N})}) == Arr({"foo", "Food", N}));
  CHECK(Eval("ARRAY_DISTINCT", {Arr({Arr({"a"}), Arr({"a"}), Arr({"b"})})}) == Arr({Arr({"a"}), Arr({"b"})}));
  CHECK(Eval("ARRAY_EXCEPT", {Arr({0, 0, 1, 0, -1}), Arr({1, -2})}) == Arr({0, -1}));
  CHECK(Eval("ARRAY_EXCEPT", {Arr({"apple", "apple", N, "cherry"}), Arr({"cherry"})}) == Arr({"apple", N}));
  CHECK(Eval("ARRAY_EXCEPT", {NullOf(SqlType::Array(SqlType::Integer())), Arr({1})}).IsNull());
  CHECK(Eval("ARRAY_INTERSECT", {Arr({0, 0, 1, 0, -1}), Arr({1, -2, 0})}) == Arr({0, 1}));
  CHECK(Eval("ARRAY_UNION", {Arr({0, 0, 1, 0, -1}), Arr({1, -2, 0})}) == Arr({0, 1, -1, -2}));
  CHECK(Eval("ARRAY_UNION", {Arr({1}), NullOf(SqlType::Array(SqlType::Integer()))}).IsNull());
  CHECK(Eval("ARRAY_CONCAT", {Arr({1, 2}), Arr({3})}) == Arr({1, 2, 3}));
  CHECK(Eval("ARRAY_CONCAT", {NullOf(SqlType::Array(SqlType::Integer())), Arr({3})}) == Arr({3}));
  CHECK(Eval("ARRAY_CONCAT", {Arr({3}), NullLit()}) == Arr({3}));
  CHECK(Eval("ARRAY_CONCAT", {NullOf(SqlType::Array(SqlType::Integer())), NullOf(SqlType::Array(SqlType::Integer()))}).IsNull());
  CHECK_FALSE(Resolves("ARRAY_CONCAT", {SqlType::Array(SqlType::Integer()), SqlType::Array(SqlType::String())}));
}

TEST_CASE("array element functions", "[functions]") {
  TypePtr rt;
  CHECK(Eval("ARRAY_CONTAINS", {Arr({1, 2, 3}), 3}) == Value(true));
  CHECK(Eval("ARRAY_CONTAINS", {Arr({1, 2, 3}), 4}) == Value(false));
  CHECK(Eval("ARRAY_CONTAINS", {Arr({1, N}), NullOf(SqlType::Integer())}) == Value(true));
  CHECK(Eval("ARRAY_CONTAINS", {NullOf(SqlType::Array(SqlType::Integer())), 1}) == Value(false));
  CHECK(Eval("ARRAY_LENGTH", {Arr({1, 2, 3})}) == Value(3));
  CHECK(Eval("ARRAY_LENGTH", {NullOf(SqlType::Array(SqlType::Integer()))}).IsNull());
  CHECK(Eval("ARRAY_MAX", {Arr({-1, 2, N, 0})}, &rt) == Value(2));
  CHECK(rt->kind == TypeKind::kInteger);
  CHECK(Eval("ARRAY_MAX", {Arr({"foo", "fo", "Food", N, "F", "food"})}) == Str("food"));
  CHECK(Eval("ARRAY_MIN", {Arr({"foo", "fo", "Food", N, "F", "food"})}) == Str("F"));
  CHECK(Eval("ARRAY_MIN", {Arr({Value(false), N, Value(true)})}) == Value(false));
  CHECK(Eval("ARRAY_MAX", {Arr({Dec("1.0", 1), Dec("9.0", 1), Dec("-9.9", 1)})}) == Dec("9.0", 1));
  CHECK(Eval("ARRAY_MAX", {Arr({N})}).IsNull());
  CHECK(Eval("ARRAY_MAX", {Value::Array({})}).IsNull());
  CHECK_FALSE(Resolves("ARRAY_MAX", {SqlType::Array(SqlType::Array(SqlType::Integer()))}));
  CHECK(Eval("ARRAY_REMOVE", {Arr({1, 2, 3, 2, 1}), 2}) == Arr({1, 3, 1}));
  CHECK(Eval("ARRAY_REMOVE", {Arr({"Foo", "Bar", N, "baz"}), NullOf(SqlType::String())}) == Arr({"Foo", "Bar", "baz"}));
  CHECK(Eval("ARRAY_REMOVE", {NullOf(SqlType::Array(SqlType::Integer())), 1}).IsNull());
  CHECK(Eval("ARRAY_SORT", {Arr({-1, 2, N, 0})}) == Arr({-1, 0, 2, N}));
  CHECK(Eval("ARRAY_SORT", {Arr({-1, 2, N, 0}), "desc"}) == Arr({2, 0, -1, N}));
  CHECK(Eval("ARRAY_SORT", {Arr({"Foo", "Bar", N, "baz"})}) == Arr({"Bar", "Foo", "baz", N}));
  CHECK(Eval("ARRAY_SORT", {Arr({1}), "sideways"}).IsNull());
  CHECK(Eval("ARRAY_JOIN", {Arr({Value(true), N, Value(false)})}) == Str("true,null,false"));
  CHECK(Eval("ARRAY_JOIN", {Arr({1.23, -23.42, 0.0}), " "}) == Str("1.23 -23.42 0.0"));
  CHECK(Eval("ARRAY_JOIN", {Arr({1, 23}), NullOf(SqlType::String())}) == Str("123"));
  CHECK(Eval("ARRAY_JOIN", {Arr({Dec("123.45", 2), Dec("987.65", 2)}), "#"}) == Str("123.45#987.65"));
  // DECIMAL elements render like Java's BigDecimal.toString.
  CHECK(Eval("ARRAY_JOIN", {Arr({Dec("0.00000001", 8), Dec("-0.000000015", 9), Dec("0.000001", 6)})}) ==
        Str("1E-8,-1.5E-8,0.000001"));
  CHECK(Eval("ARRAY_JOIN", {Arr({Dec("0.00000000", 8)})}) == Str("0E-8"));
  // Temporal and BYTES elements are not supported: NULL.
  CHECK(Eval("ARRAY_JOIN", {Arr({Value(Date{1})})}).IsNull());
  CHECK(Eval("ARRAY_JOIN", {Arr({Bin("ab")})}).IsNull());
  CHECK(Eval("ARRAY_JOIN", {NullOf(SqlType::Array(SqlType::Integer()))}).IsNull());
  CHECK(Eval("SLICE", {Arr({"a", "b", "c", "d"}), 2, 3}) == Arr({"b", "c"}));
  CHECK(Eval("SLICE", {Arr({"a", "b"}), 1, 5}).IsNull());
  CHECK(Eval("SLICE", {Arr({"a", "b"}), NullOf(SqlType::Integer()), 1}) == Arr({"a"}));
  CHECK(Eval("SLICE", {NullOf(SqlType::Array(SqlType::String())), 1, 1}).IsNull());
}

TEST_CASE("GENERATE_SERIES", "[functions]") {
  TypePtr rt;
  CHECK(Eval("GENERATE_SERIES", {1, 4}, &rt) == Arr({1, 2, 3, 4}));
  CHECK(rt->element->kind == TypeKind::kInteger);
  CHECK(Eval("GENERATE_SERIES", {4, 0, -2}) == Arr({4, 2, 0}));
  CHECK(Eval("GENERATE_SERIES", {4, 3}) == Arr({4, 3}));  // no step: counts down
  CHECK(Eval("GENERATE_SERIES", {int64_t{1}, int64_t{3}}, &rt) == Arr({int64_t{1}, int64_t{2}, int64_t{3}}));
  CHECK(rt->element->kind == TypeKind::kBigint);
  CHECK(Eval("GENERATE_SERIES", {1, 5, 0}).IsNull());
  CHECK(Eval("GENERATE_SERIES", {1, 5, -1}).IsNull());
}

TEST_CASE("map functions", "[functions]") {
  TypePtr rt;
  Value m = M({{"apple", 10}, {"banana", 20}});
  CHECK(Eval("MAP_KEYS", {m}, &rt) == Arr({"apple", "banana"}));
  CHECK(rt->element->kind == TypeKind::kString);
  CHECK(Eval("MAP_VALUES", {m}, &rt) == Arr({10, 20}));
  CHECK(rt->element->kind == TypeKind::kInteger);
  CHECK(Eval("MAP_UNION", {m, M({{"apple", 50}, {"cherry", 99}})}) == M({{"apple", 50}, {"banana", 20}, {"cherry", 99}}));
  CHECK(Eval("MAP_UNION", {m, NullOf(SqlType::Map(SqlType::String(), SqlType::Integer()))}) == m);
  CHECK(Eval("MAP_UNION", {NullOf(SqlType::Map(SqlType::String(), SqlType::Integer())), NullLit()}).IsNull());
  CHECK(Eval("AS_MAP", {Arr({"a", "b"}), Arr({1, 2})}) == M({{"a", 1}, {"b", 2}}));
  Value e = Eval("ENTRIES", {M({{"b", 2}, {"a", 1}}), true}, &rt);
  REQUIRE(e.IsArray());
  REQUIRE(e.AsArray().size() == 2);
  CHECK(e.AsArray()[0].AsStruct().fields[0] == Str("a"));
  CHECK(rt->element->fields[0].name == "K");
  CHECK(rt->element->fields[1].name == "V");
}

TEST_CASE("lambda functions: TRANSFORM, FILTER, REDUCE", "[functions]") {
  auto I = SqlType::Integer();
  TypePtr rt;
  // TRANSFORM(numbers, x => x + 5)
  LambdaFn plus5 = [](const std::vector<Value>& p) { return p[0].IsNull() ? Value() : Value(p[0].AsInt() + 5); };
  CHECK(EvalLambda("TRANSFORM", {Arr({3, 6}), Arg(I, Value())}, {plus5}, &rt) == Arr({8, 11}));
  CHECK(rt->kind == TypeKind::kArray);
  CHECK(EvalLambda("TRANSFORM", {NullOf(SqlType::Array(I)), Arg(I, Value())}, {plus5}).IsNull());
  // lambda parameter types come from the collection
  const FunctionInfo* info = FunctionRegistry::Builtins().Find("TRANSFORM");
  REQUIRE(info);
  auto params = info->overloads[0].lambda_param_types({SqlType::Array(SqlType::String()), nullptr}, 1);
  REQUIRE(params.size() == 1);
  CHECK(params[0]->kind == TypeKind::kString);

  // TRANSFORM(map, (k, v) => UCASE(k), (k, v) => v * 2)
  LambdaFn key = [](const std::vector<Value>& p) { return Value(p[0].AsString() + "!"); };
  LambdaFn val = [](const std::vector<Value>& p) { return Value(p[1].AsInt() * 2); };
  Value tm = EvalLambda("TRANSFORM", {M({{"a", 1}, {"b", 2}}), Arg(SqlType::String(), Value()), Arg(I, Value())},
                        {key, val}, &rt);
  CHECK(tm == M({{"a!", 2}, {"b!", 4}}));
  CHECK(rt->kind == TypeKind::kMap);

  LambdaFn gt5 = [](const std::vector<Value>& p) { return Value(!p[0].IsNull() && p[0].AsInt() > 5); };
  CHECK(EvalLambda("FILTER", {Arr({3, 6, 2, 10}), Arg(SqlType::Boolean(), Value())}, {gt5}) == Arr({6, 10}));
  CHECK(EvalLambda("FILTER", {Arr({5, Value()}), Arg(SqlType::Boolean(), Value())}, {gt5}) == Arr({}));
  LambdaFn vgt1 = [](const std::vector<Value>& p) { return Value(p[1].AsInt() > 1); };
  CHECK(EvalLambda("FILTER", {M({{"a", 1}, {"b", 2}}), Arg(SqlType::Boolean(), Value())}, {vgt1}) == M({{"b", 2}}));

  // ksqlDB collects maps with Collectors.toMap: duplicate keys or NULL values fail the call.
  LambdaFn same_key = [](const std::vector<Value>&) { return Value(std::string("k")); };
  CHECK(EvalLambda("TRANSFORM", {M({{"a", 1}, {"b", 2}}), Arg(SqlType::String(), Value()), Arg(I, Value())},
                   {same_key, val}).IsNull());
  CHECK(EvalLambda("TRANSFORM", {M({{"a", 1}}), Arg(SqlType::String(), Value()), Arg(I, Value())},
                   {same_key, val}) == M({{"k", 2}}));
  LambdaFn ident_v = [](const std::vector<Value>& p) { return p[1]; };
  CHECK(EvalLambda("TRANSFORM", {M({{"a", 1}, {"b", Value()}}), Arg(SqlType::String(), Value()), Arg(I, Value())},
                   {key, ident_v}).IsNull());
  CHECK(EvalLambda("TRANSFORM", {NullOf(SqlType::Map(SqlType::String(), I)), Arg(SqlType::String(), Value()),
                                 Arg(I, Value())}, {key, ident_v}).IsNull());
  CHECK(EvalLambda("TRANSFORM", {M({}), Arg(SqlType::String(), Value()), Arg(I, Value())}, {key, val}) == M({}));
  // arrays keep NULL results
  LambdaFn to_null = [](const std::vector<Value>&) { return Value(); };
  CHECK(EvalLambda("TRANSFORM", {Arr({1, 2}), Arg(I, Value())}, {to_null}) == Arr({Value(), Value()}));
  // FILTER: a NULL predicate result fails the call (ksqlDB unboxes a Boolean)
  CHECK(EvalLambda("FILTER", {Arr({1, 2}), Arg(SqlType::Boolean(), Value())}, {to_null}).IsNull());
  CHECK(EvalLambda("FILTER", {Arr({}), Arg(SqlType::Boolean(), Value())}, {to_null}) == Arr({}));
  CHECK(EvalLambda("FILTER", {M({{"a", 1}}), Arg(SqlType::Boolean(), Value())}, {to_null}).IsNull());
  // FILTER on a map: a kept entry with a NULL value fails, a dropped one does not
  LambdaFn key_is_a = [](const std::vector<Value>& p) { return Value(p[0].AsString() == "a"); };
  CHECK(EvalLambda("FILTER", {M({{"a", 1}, {"b", Value()}}), Arg(SqlType::Boolean(), Value())}, {key_is_a}) ==
        M({{"a", 1}}));
  CHECK(EvalLambda("FILTER", {M({{"a", Value()}, {"b", 2}}), Arg(SqlType::Boolean(), Value())}, {key_is_a}).IsNull());
  CHECK(EvalLambda("FILTER", {NullOf(SqlType::Map(SqlType::String(), I)), Arg(SqlType::Boolean(), Value())},
                   {key_is_a}).IsNull());

  LambdaFn sum = [](const std::vector<Value>& p) {
    return p[0].IsNull() || p[1].IsNull() ? Value() : Value(p[0].AsInt() + p[1].AsInt());
  };
  CHECK(EvalLambda("REDUCE", {Arr({3, 6}), 2, Arg(I, Value())}, {sum}, &rt) == Value(11));
  CHECK(rt->kind == TypeKind::kInteger);
  CHECK(EvalLambda("REDUCE", {NullOf(SqlType::Array(I)), 2, Arg(I, Value())}, {sum}) == Value(2));
  CHECK(EvalLambda("REDUCE", {Arr({1, 2}), NullOf(I), Arg(I, Value())}, {sum}).IsNull());
  LambdaFn msum = [](const std::vector<Value>& p) { return Value(p[0].AsInt() + p[2].AsInt()); };
  CHECK(EvalLambda("REDUCE", {M({{"a", 1}, {"b", 2}}), 10, Arg(I, Value())}, {msum}) == Value(13));
}

TEST_CASE("table functions EXPLODE and CUBE_EXPLODE", "[functions]") {
  TypePtr rt;
  CHECK(EvalTable("EXPLODE", {Arr({1, 2})}, &rt) == std::vector<Value>{1, 2});
  CHECK(rt->kind == TypeKind::kInteger);
  CHECK(EvalTable("EXPLODE", {Value::Array({})}).empty());
  CHECK(EvalTable("EXPLODE", {NullOf(SqlType::Array(SqlType::Integer()))}).empty());
  CHECK_FALSE(Resolves("EXPLODE", {SqlType::Map(SqlType::String(), SqlType::Integer())}));
  CHECK(FunctionRegistry::Builtins().Find("EXPLODE")->is_table_function);
  CHECK(EvalTable("CUBE_EXPLODE", {Arr({1, 2})}) ==
        std::vector<Value>{Arr({N, N}), Arr({N, 2}), Arr({1, N}), Arr({1, 2})});
  CHECK(EvalTable("CUBE_EXPLODE", {Arr({1, N})}) == std::vector<Value>{Arr({N, N}), Arr({1, N})});
  CHECK(EvalTable("CUBE_EXPLODE", {Arr({"one", "two", "three"})}).size() == 8);
}

}  // namespace functions_collection_test
