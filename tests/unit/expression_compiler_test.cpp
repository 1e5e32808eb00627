// Expression compiler: typing, evaluation and errors for every expression kind.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "engine/expr/expression_compiler.h"
#include "engine/parser/parser.h"

namespace expression_compiler_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;

namespace {

class TestScope : public ColumnScope {
 public:
  explicit TestScope(std::vector<std::pair<std::string, TypePtr>> cols) : cols_(std::move(cols)) {}
  Result<ColumnBinding> Resolve(const std::string& qualifier,
                                const std::string& name) const override {
    for (size_t i = 0; i < cols_.size(); ++i)
      if (cols_[i].first == name && (qualifier.empty() || qualifier == "T"))
        return ColumnBinding{static_cast<int>(i), cols_[i].second};
    return Status::NotFound("column '" + (qualifier.empty() ? name : qualifier + "." + name) +
                            "' cannot be resolved.");
  }

 private:
  std::vector<std::pair<std::string, TypePtr>> cols_;
};

TypePtr StructAB() {
  return SqlType::Struct({{"A", SqlType::Integer()}, {"B", SqlType::String()}});
}

const TestScope& Scope() {
  static TestScope s({{"I", SqlType::Integer()},
                      {"L", SqlType::Bigint()},
                      {"D", SqlType::Double()},
                      {"DEC", SqlType::Decimal(4, 2)},
                      {"S", SqlType::String()},
                      {"B", SqlType::Boolean()},
                      {"NI", SqlType::Integer()},  // always NULL
                      {"NB", SqlType::Boolean()},  // always NULL
                      {"ARR", SqlType::Array(SqlType::Integer())},
                      {"M", SqlType::Map(SqlType::String(), SqlType::Integer())},
                      {"ST", StructAB()},
                      {"NS", StructAB()},  // NULL struct
                      {"TS", SqlType::Timestamp()},
                      {"SA", SqlType::Array(SqlType::String())}});
  return s;
}

Row TestRow() {
  Decimal dec;
  REQUIRE(Decimal::Parse("12.34", 2, &dec));
  return Row{Value(int32_t{7}),
             Value(int64_t{100}),
             Value(2.5),
             Value(dec),
             Value("hello"),
             Value(true),
             Value(),
             Value(),
             Value::Array({Value(int32_t{1}), Value(int32_t{2}), Value(int32_t{3})}),
             Value::Map({{Value("a"), Value(int32_t{1})}, {Value("b"), Value(int32_t{2})}}),
             Value::Struct(StructAB(), {Value(int32_t{5}), Value("x")}),
             Value(),
             Value(Timestamp{1000}),
             Value::Array({Value("a"), Value("bb")})};
}

Result<CompiledExpression> CompileText(const std::string& text) {
  auto e = ParseExpression(text);
  if (!e.ok()) return e.status();
  ExpressionCompiler c;
  return c.Compile(**e, Scope());
}

struct Evaluated {
  Value value;
  TypePtr type;
  std::string error;
};

Evaluated Eval(const std::string& text) {
  auto c = CompileText(text);
  INFO(text);
  if (!c.ok()) FAIL_CHECK(c.status().message());
  REQUIRE(c.ok());
  Row row = TestRow();
  EvalContext ctx;
  ctx.row = &row;
  ctx.lambda_values.resize(c->lambda_slots);
  Evaluated out;
  out.value = c->eval(ctx);
  out.type = c->type;
  out.error = ctx.error;
  return out;
}

Value V(const std::string& text) { return Eval(text).value; }
std::string T(const std::string& text) {
  auto t = Eval(text).type;
  return t ? t->ToString() : "null";
}
std::string Err(const std::string& text) {
  auto c = CompileText(text);
  INFO(text);
  REQUIRE_FALSE(c.ok());
  return c.status().message();
}
bool IsTrue(const Value& v) { return v.IsBool() && v.AsBool(); }
bool IsFalse(const Value& v) { return v.IsBool() && !v.AsBool(); }
std::string Str(const std::string& text) {
  Value v = V(text);
  return v.IsNull() ? "<null>" : v.ToString();
}

}  // namespace

TEST_CASE("literals and columns", "[compiler]") {
  CHECK(V("1") == Value(int32_t{1}));
  CHECK(T("1") == "INTEGER");
  CHECK(T("10000000000") == "BIGINT");
  CHECK(T("1.5") == "DECIMAL(2, 1)");
  CHECK(T("0.05") == "DECIMAL(3, 2)");
  CHECK(T("1.5E3") == "DOUBLE");
  CHECK(V("'abc'") == Value("abc"));
  CHECK(IsTrue(V("true")));
  CHECK(V("NULL").IsNull());
  CHECK(T("NULL") == "null");
  CHECK(V("I") == Value(int32_t{7}));
  CHECK(V("T.S") == Value("hello"));
  CHECK(T("DEC") == "DECIMAL(4, 2)");
  CHECK(Err("NOPE") == "column 'NOPE' cannot be resolved.");
  CHECK(Err("X.I") == "column 'X.I' cannot be resolved.");
}

TEST_CASE("arithmetic", "[compiler]") {
  CHECK(V("I + 1") == Value(int32_t{8}));
  CHECK(T("I + L") == "BIGINT");
  CHECK(V("I + L") == Value(int64_t{107}));
  CHECK(V("I * D") == Value(17.5));
  CHECK(V("I / 2") == Value(int32_t{3}));
  CHECK(V("I % 4") == Value(int32_t{3}));
  CHECK(V("-I") == Value(int32_t{-7}));
  CHECK(V("+I") == Value(int32_t{7}));
  CHECK(V("S + '!'") == Value("hello!"));
  CHECK(V("I + NI").IsNull());
  // A NULL literal has no type to do arithmetic in (ksqlDB rejects it while typing the query);
  // a NULL value of a typed column gives NULL.
  CHECK_THAT(Err("I + NULL"), Catch::Contains("Error processing expression: (I + null). Arithmetic on types "
                                              "INTEGER and null are not supported."));
  CHECK(Str("DEC + 1") == "13.34");
  auto e = Eval("I / 0");
  CHECK(e.value.IsNull());
  CHECK_FALSE(e.error.empty());
  CHECK_THAT(Err("B + 1"), Catch::Contains("Unsupported arithmetic types"));
  CHECK_THAT(Err("-S"), Catch::Contains("STRING"));
}

TEST_CASE("comparisons", "[compiler]") {
  CHECK(IsTrue(V("I = 7")));
  CHECK(IsTrue(V("I < L")));
  CHECK(IsTrue(V("D > 2")));
  CHECK(IsTrue(V("DEC >= 12.34")));
  CHECK(IsTrue(V("I <> 8")));
  CHECK(IsTrue(V("S = 'hello'")));
  CHECK(IsFalse(V("S > 'z'")));
  // ksqlDB: a NULL operand makes a comparison FALSE; an untyped NULL cannot be compared.
  CHECK(IsFalse(V("I = NI")));
  CHECK(IsFalse(V("I <> NI")));
  CHECK(IsFalse(V("NI < 1")));
  CHECK(IsTrue(V("NOT (I = NI)")));
  CHECK_THAT(Err("I = NULL"), Catch::StartsWith("Comparison with NULL not supported: INTEGER = NULL"));
  CHECK_THAT(Err("NULL <> NULL"), Catch::StartsWith("Comparison with NULL not supported: NULL <> NULL"));
  CHECK(IsTrue(V("ARR = ARRAY[1, 2, 3]")));
  CHECK(IsTrue(V("TS = '1970-01-01T00:00:01'")));
  CHECK(IsTrue(V("I IS DISTINCT FROM NI")));
  CHECK(IsFalse(V("NI IS DISTINCT FROM CAST(NULL AS INT)")));
  CHECK_THAT(Err("NI IS DISTINCT FROM NULL"), Catch::StartsWith("Comparison with NULL not supported"));
  CHECK(IsTrue(V("I IS NOT DISTINCT FROM 7")));
  CHECK(IsTrue(V("NI IS NULL")));
  CHECK(IsFalse(V("I IS NULL")));
  CHECK(IsTrue(V("I IS NOT NULL")));
  CHECK_THAT(Err("S = 1"), Catch::Contains("Cannot compare"));
  CHECK(Err("ARR < ARR") == "Cannot compare ARR (ARRAY<INTEGER>) to ARR (ARRAY<INTEGER>) with LESS_THAN.");
}

TEST_CASE("logic is three-valued", "[compiler]") {
  CHECK(IsTrue(V("B AND true")));
  CHECK(IsFalse(V("NB AND false")));
  CHECK(V("NB AND true").IsNull());
  CHECK(IsTrue(V("NB OR true")));
  CHECK(V("NB OR false").IsNull());
  CHECK(IsFalse(V("NOT B")));
  CHECK(V("NOT NB").IsNull());
  CHECK(IsFalse(V("false AND NB")));
  CHECK(Err("I AND B") == "Logical binary expects two boolean values.  Actual INTEGER and BOOLEAN");
  CHECK_THAT(Err("NOT S"), Catch::Contains("BOOLEAN"));
}

TEST_CASE("between and in", "[compiler]") {
  CHECK(IsTrue(V("I BETWEEN 1 AND 7")));
  CHECK(IsFalse(V("I BETWEEN 8 AND 9")));
  CHECK(IsTrue(V("I NOT BETWEEN 8 AND 9")));
  CHECK(V("NI BETWEEN 1 AND 2").IsNull());
  CHECK(V("I BETWEEN NULL AND 9").IsNull());
  CHECK(IsFalse(V("I BETWEEN NULL AND 5")));
  CHECK(IsTrue(V("D BETWEEN 2 AND 3")));
  CHECK(IsTrue(V("S BETWEEN 'a' AND 'i'")));
  CHECK(IsTrue(V("I IN (1, 7)")));
  CHECK(IsFalse(V("I IN (1, 2)")));
  CHECK(IsTrue(V("I NOT IN (1, 2)")));
  // ksqlDB's InListEvaluator: NULLs never match and IN never yields NULL.
  CHECK(IsFalse(V("I IN (1, NULL)")));
  CHECK(IsTrue(V("I IN (NULL, 7)")));
  CHECK(IsFalse(V("NI IN (1, 2)")));
  CHECK(IsTrue(V("NI NOT IN (1, 2)")));
  CHECK(IsTrue(V("L IN (1, 100)")));
  CHECK(IsTrue(V("I IN ('7')")));
  CHECK(IsTrue(V("ARR IN (ARRAY['1', '2', '3'])")));
  CHECK(Err("I IN (1, '10 - not a number')") ==
        "invalid input syntax for type INTEGER: \"10 - not a number\".");
  CHECK(Err("I IN (1, true)") ==
        "operator does not exist: INTEGER = BOOLEAN (true)\nHint: You might need to add explicit type casts.");
}

TEST_CASE("IN lists coerce like ksqlDB's CoercionUtil", "[compiler]") {
  // STRING literals parse as numbers, widening the common type as needed.
  CHECK(IsTrue(V("I IN (1, '7.000')")));
  CHECK(IsFalse(V("I IN ('7.5')")));
  CHECK(IsTrue(V("I IN (2.0, 7.00)")));
  CHECK(IsFalse(V("I IN (7.10)")));
  CHECK(IsFalse(V("I IN ('2147483648')")));
  CHECK(IsTrue(V("L IN ('100')")));
  CHECK(IsTrue(V("D IN ('2.50')")));
  // Booleans: case-insensitive prefixes of true/yes/false/no.
  CHECK(IsTrue(V("B IN ('tr')")));
  CHECK(IsTrue(V("B IN ('Y')")));
  CHECK(IsFalse(V("B IN ('FaL', 'n')")));
  CHECK(Err("B IN (true, 'Not a boolean')") ==
        "invalid input syntax for type BOOLEAN: \"Not a boolean\".");
  // Other literals render as STRING next to a STRING value, as written.
  CHECK(IsTrue(V("'true' IN (true)")));
  CHECK(IsTrue(V("'10.30' IN (10.30)")));
  CHECK(IsFalse(V("'10.3' IN (10.30)")));
  CHECK(IsTrue(V("S IN (10, 'hello')")));
  CHECK_THAT(Err("S IN (10, D)"), Catch::Contains("operator does not exist: STRING = DOUBLE (D)"));
  // Constructors: maps by key, structs by field name (the union of the fields).
  CHECK(IsTrue(V("M IN (MAP('b' := 2, 'a' := 1))")));
  CHECK(IsFalse(V("M IN (MAP('a' := 1, 'c' := 2))")));
  CHECK(IsTrue(V("M IN (MAP('a' := '1', 'b' := 2))")));
  CHECK(IsTrue(V("ST IN (STRUCT(B := 'x', A := 5))")));
  CHECK(IsFalse(V("ST IN (STRUCT(A := 5, B := 'x', C := 1))")));
  CHECK(IsTrue(V("ST IN (STRUCT(A := '5', B := 'x'))")));
  CHECK(IsTrue(V("STRUCT(A := 5) IN (STRUCT(A := 5, B := CAST(NULL AS STRING)))")));
  CHECK_THAT(Err("M IN (MAP('a' := B))"),
             Catch::Contains("operator does not exist: MAP<STRING, INTEGER> = MAP<STRING, BOOLEAN>"));
  CHECK(Err("M IN (MAP('a' := 'x'))") == "invalid input syntax for type INTEGER: \"x\".");
}

TEST_CASE("equality of maps and structs", "[compiler]") {
  CHECK(IsTrue(V("M = MAP('b' := 2, 'a' := 1)")));
  CHECK(IsFalse(V("M = MAP('a' := 1, 'c' := 2)")));
  CHECK(IsTrue(V("M <> MAP('a' := 1, 'c' := 2)")));
  CHECK(IsTrue(V("M IS DISTINCT FROM MAP('a' := 1)")));
  CHECK(IsTrue(V("M IS NOT DISTINCT FROM MAP('b' := 2, 'a' := 1)")));
  CHECK(IsTrue(V("ST = STRUCT(A := 5, B := 'x')")));
  CHECK(IsFalse(V("ST = STRUCT(A := 6, B := 'x')")));
  CHECK(IsTrue(V("CASE M WHEN MAP('b' := 2, 'a' := 1) THEN true ELSE false END")));
}

TEST_CASE("arithmetic on NULL makes the whole expression NULL", "[compiler]") {
  // ksqlDB's generated code throws on unboxing a NULL operand; the expression yields NULL.
  auto e = Eval("COALESCE(NI + 1, 5)");
  CHECK(e.value.IsNull());
  CHECK_FALSE(e.error.empty());
  CHECK(V("TRANSFORM(ARRAY[1, CAST(NULL AS INTEGER)], x => x + 5)").IsNull());
  CHECK(V("TRANSFORM(ARRAY[1, 2], x => x + 5)") ==
        Value::Array({Value(int32_t{6}), Value(int32_t{7})}));
  CHECK(V("COALESCE(NI, 5) + 1") == Value(int32_t{6}));
  CHECK(V("-NI").IsNull());
}

TEST_CASE("map constructor coerces keys and values as a list", "[compiler]") {
  CHECK(T("MAP(S := B, 10 := 'no')") == "MAP<STRING, BOOLEAN>");
  CHECK(V("MAP(S := B, 10 := 'no')") ==
        Value::Map({{Value("hello"), Value(true)}, {Value("10"), Value(false)}}));
  CHECK(V("MAP('a' := I, NULL := I)") ==
        Value::Map({{Value("a"), Value(int32_t{7})}, {Value(), Value(int32_t{7})}}));
  CHECK(Err("MAP(NULL := I)") == "Cannot construct a map with all NULL keys");
  CHECK(Err("MAP(S := I, 'k' := 'hello')") == "invalid input syntax for type INTEGER: \"hello\".");
}

TEST_CASE("GREATEST and LEAST parse STRING arguments next to temporal ones", "[compiler]") {
  CHECK(T("LEAST(TS, '1970-01-01')") == "TIMESTAMP");
  CHECK(V("LEAST(TS, '1970-01-01')") == Value(Timestamp{0}));
  CHECK(V("GREATEST(TS, NULL, '1970-01-01')") == Value(Timestamp{1000}));
  CHECK(V("LEAST(CAST(NULL AS DATE), '2022-06-14')") == Value(Date{19157}));
}

TEST_CASE("like", "[compiler]") {
  CHECK(IsTrue(V("S LIKE 'h%'")));
  CHECK(IsTrue(V("S LIKE '%llo'")));
  CHECK(IsTrue(V("S LIKE '%ell%'")));
  CHECK(IsTrue(V("S LIKE 'h_llo'")));
  CHECK(IsTrue(V("S LIKE 'hello'")));
  CHECK(IsFalse(V("S LIKE 'hell'")));
  CHECK(IsTrue(V("S LIKE 'h%l_o'")));
  CHECK(IsTrue(V("S LIKE '%'")));
  CHECK(IsFalse(V("S LIKE 'h%x%'")));
  CHECK(IsTrue(V("S NOT LIKE 'x%'")));
  CHECK(IsTrue(V("'a%b' LIKE 'a!%b' ESCAPE '!'")));
  CHECK(IsFalse(V("'axb' LIKE 'a!%b' ESCAPE '!'")));
  CHECK(IsTrue(V("'a_b' LIKE 'a\\_b' ESCAPE '\\'")));
  CHECK(IsTrue(V("'ü' LIKE '_'")));
  CHECK(IsTrue(V("'abcabc' LIKE '%b_a%c'")));
  CHECK(V("NULL LIKE 'a'").IsNull());
  CHECK(IsTrue(V("S LIKE S")));
  CHECK(IsTrue(V("S LIKE SUBSTRING(S, 1, 2) + '%'")));
  CHECK(IsFalse(V("S LIKE SUBSTRING(S, 2, 2) + '%'")));
  CHECK_THAT(Err("I LIKE 'a'"), Catch::Contains("STRING"));
}

TEST_CASE("case", "[compiler]") {
  CHECK(V("CASE WHEN I > 5 THEN 'big' ELSE 'small' END") == Value("big"));
  CHECK(V("CASE WHEN I > 50 THEN 'big' END").IsNull());
  CHECK(V("CASE WHEN NB THEN 1 ELSE 2 END") == Value(int32_t{2}));
  CHECK(T("CASE WHEN B THEN 1 ELSE L END") == "BIGINT");
  CHECK(V("CASE WHEN B THEN 1 ELSE L END") == Value(int64_t{1}));
  CHECK(V("CASE I WHEN 1 THEN 'one' WHEN 7 THEN 'seven' ELSE 'other' END") == Value("seven"));
  CHECK(V("CASE NI WHEN NULL THEN 'n' ELSE 'other' END") == Value("other"));
  CHECK(V("CASE WHEN B THEN NULL ELSE 1 END").IsNull());
  CHECK_THAT(Err("CASE WHEN B THEN 1 ELSE 'x' END"),
             Catch::StartsWith("Invalid Case expression. Type for all 'THEN' clauses should be the same."));
  CHECK(Err("CASE WHEN B THEN NULL ELSE NULL END") ==
        "Invalid Case expression. All case branches have NULL type");
  CHECK_THAT(Err("CASE WHEN I THEN 1 END"), Catch::Contains("boolean"));
}

TEST_CASE("cast", "[compiler]") {
  CHECK(V("CAST(I AS STRING)") == Value("7"));
  CHECK(V("CAST('12' AS INT)") == Value(int32_t{12}));
  CHECK(T("CAST(I AS DECIMAL(5, 1))") == "DECIMAL(5, 1)");
  CHECK(Str("CAST(I AS DECIMAL(5, 1))") == "7.0");
  CHECK(V("CAST(D AS BIGINT)") == Value(int64_t{2}));
  CHECK(V("CAST(NULL AS INT)").IsNull());
  CHECK(T("CAST(NULL AS INT)") == "INTEGER");
  CHECK(V("CAST(ARR AS STRING)") == Value("[1, 2, 3]"));
  auto e = Eval("CAST(S AS INT)");
  CHECK(e.value.IsNull());
  CHECK_FALSE(e.error.empty());
  CHECK(Err("CAST(S AS ARRAY<INT>)") == "Cast of STRING to ARRAY<INTEGER> is not supported");
}

TEST_CASE("functions", "[compiler]") {
  CHECK(V("UCASE(S)") == Value("HELLO"));
  CHECK(V("SUBSTRING(S, 2, 3)") == Value("ell"));
  CHECK(V("ABS(-I)") == Value(int32_t{7}));
  CHECK(V("UCASE(NULL)").IsNull());
  CHECK(V("ARRAY_LENGTH(ARR)") == Value(int32_t{3}));
  CHECK(Err("WONT_FIND_ME(1)") == "Can't find any functions with the name 'WONT_FIND_ME'");
  CHECK_THAT(Err("UCASE(1, 2)"),
             Catch::StartsWith("Function 'ucase' does not accept parameters (INTEGER, INTEGER)."));
  CHECK(Err("EXPLODE(ARR)") == "Table function EXPLODE can only be used in the SELECT list");
  // ksqlDB declares LEAST/GREATEST per type: INT next to BIGINT, or only NULLs, fit several
  // declarations (ambiguous); a STRING next to an INT fits none.
  CHECK(Err("LEAST(I, L)") ==
        "Function 'least' cannot be resolved due to ambiguous method parameters (INTEGER, BIGINT).");
  CHECK(Err("GREATEST(NULL, NULL)") ==
        "Function 'greatest' cannot be resolved due to ambiguous method parameters (null, null).");
  CHECK_THAT(Err("LEAST(S, I)"),
             Catch::StartsWith("Function 'least' does not accept parameters (STRING, INTEGER)."));
}

TEST_CASE("lambdas", "[compiler]") {
  CHECK(Str("TRANSFORM(ARR, x => x * 2)") == "[2, 4, 6]");
  CHECK(T("TRANSFORM(ARR, x => CAST(x AS STRING))") == "ARRAY<STRING>");
  CHECK(Str("FILTER(ARR, x => x > 1)") == "[2, 3]");
  CHECK(V("REDUCE(ARR, 0, (s, x) => s + x)") == Value(int32_t{6}));
  // Lambda parameters shadow columns; outer columns remain visible.
  CHECK(Str("TRANSFORM(ARR, I => I + 1)") == "[2, 3, 4]");
  CHECK(Str("TRANSFORM(ARR, x => x + I)") == "[8, 9, 10]");
  // Nested lambdas see the enclosing lambda's parameters.
  CHECK(Str("TRANSFORM(ARR, x => TRANSFORM(ARR, y => x * 10 + y))") ==
        "[[11, 12, 13], [21, 22, 23], [31, 32, 33]]");
  CHECK(V("REDUCE(ARR, 0, (s, x) => s + REDUCE(ARR, 0, (t, y) => t + x * y))") ==
        Value(int32_t{36}));
  CHECK(Str("TRANSFORM(M, (k, v) => UCASE(k), (k, v) => v + 1)") == "{A=2, B=3}");
  CHECK(Str("FILTER(M, (k, v) => v > 1)") == "{b=2}");
  CHECK(Str("TRANSFORM(SA, s => LEN(s))") == "[1, 2]");
  CHECK_THAT(Err("TRANSFORM(ARR, x => x + NOPE)"), Catch::Contains("NOPE"));
}

TEST_CASE("struct, array and map access", "[compiler]") {
  CHECK(V("ST->A") == Value(int32_t{5}));
  CHECK(T("ST->B") == "STRING");
  CHECK(V("NS->A").IsNull());
  CHECK_THAT(Err("I->A"), Catch::StartsWith("Can't dereference"));
  CHECK(Err("ST->Z") == "Could not find field 'Z' in 'ST'.");
  CHECK(V("ARR[1]") == Value(int32_t{1}));
  CHECK(V("ARR[-1]") == Value(int32_t{3}));
  CHECK(V("ARR[4]").IsNull());
  CHECK(V("ARR[0]").IsNull());
  CHECK(V("ARR[-4]").IsNull());
  CHECK(V("ARR[NI]").IsNull());
  CHECK(V("M['b']") == Value(int32_t{2}));
  CHECK(V("M['zz']").IsNull());
  CHECK_THAT(Err("ARR['a']"), Catch::Contains("index"));
  CHECK_THAT(Err("I[1]"), Catch::Contains("ARRAY or a MAP"));
}

TEST_CASE("constructors", "[compiler]") {
  CHECK(Str("ARRAY[1, 2]") == "[1, 2]");
  CHECK(T("ARRAY[1, L]") == "ARRAY<BIGINT>");
  CHECK(V("ARRAY[1, L]") == Value::Array({Value(int64_t{1}), Value(int64_t{100})}));
  CHECK(T("ARRAY[NULL, 1]") == "ARRAY<INTEGER>");
  CHECK(Str("MAP('a' := 1, 'b' := I)") == "{a=1, b=7}");
  CHECK(T("MAP('a' := 1, 'b' := I)") == "MAP<STRING, INTEGER>");
  CHECK(T("STRUCT(X := I, Y := S)") == "STRUCT<X INTEGER, Y STRING>");
  CHECK(V("STRUCT(X := I, Y := S)->Y") == Value("hello"));
  CHECK(T("ARRAY[STRUCT(X := 1), STRUCT(Y := L)]") == "ARRAY<STRUCT<X INTEGER, Y BIGINT>>");
  CHECK_THAT(Err("ARRAY[1, true]"), Catch::StartsWith("Cannot construct an array with mismatching types"));
  // STRING literals among numbers coerce as a user list: '2e1' is a DECIMAL, widened with BIGINT.
  CHECK(T("ARRAY[NULL, 10, '2e1', I, L]") == "ARRAY<DECIMAL(19, 0)>");
  CHECK(Str("ARRAY[NULL, 10, '2e1', I, L]") == "[null, 10, 20, 7, 100]");
  CHECK(T("ARRAY[1, '2']") == "ARRAY<INTEGER>");
  CHECK(Err("ARRAY[1, 'not a number']") == "invalid input syntax for type INTEGER: \"not a number\".");
  CHECK(Err("MAP('a' := 1, 'b' := 'x')") == "invalid input syntax for type INTEGER: \"x\".");
  CHECK_THAT(Err("MAP('a' := 1, 'b' := B)"), Catch::Contains("mismatching value types"));
  CHECK(Str("ARRAY[1, '2']") == "[1, 2]");
  CHECK(T("ARRAY[1, '2']") == "ARRAY<INTEGER>");
  CHECK(Err("MAP(NULL := 1)") == "Cannot construct a map with all NULL keys");
  CHECK_THAT(Err("ARRAY[NULL]"), Catch::StartsWith("Cannot construct an array with all NULL elements"));
}

TEST_CASE("constant folding and reuse across records", "[compiler]") {
  auto c = CompileText("I + (1 + 2) * 3");
  REQUIRE(c.ok());
  EvalContext ctx;
  for (int32_t i = 0; i < 100; ++i) {
    Row row = TestRow();
    row[0] = Value(i);
    ctx.row = &row;
    CHECK(c->eval(ctx) == Value(i + 9));
  }
}

TEST_CASE("table functions", "[compiler]") {
  auto e = ParseExpression("EXPLODE(TRANSFORM(ARR, x => x + I))");
  REQUIRE(e.ok());
  ExpressionCompiler comp;
  REQUIRE((*e)->kind == ExprKind::kFunctionCall);
  auto tf = comp.CompileTableFunction(static_cast<const FunctionCallExpr&>(**e), Scope());
  REQUIRE(tf.ok());
  CHECK(tf->element_type->ToString() == "INTEGER");
  Row row = TestRow();
  EvalContext ctx;
  ctx.row = &row;
  auto out = tf->eval(ctx);
  REQUIRE(out.size() == 3);
  CHECK(out[2] == Value(int32_t{10}));
}

TEST_CASE("table functions nested in a select item", "[compiler]") {
  ExpressionCompiler comp;
  auto top = ParseExpression("EXPLODE(ARR)");
  REQUIRE(top.ok());
  CHECK(comp.FindTableFunctionCall(**top) == (*top).get());
  auto none = ParseExpression("ABS(I) + ARR[1]");
  REQUIRE(none.ok());
  CHECK(comp.FindTableFunctionCall(**none) == nullptr);

  // EXPLODE(...)->A + 1: the call's value is read from a row position.
  auto e = ParseExpression("EXPLODE(ARRAY[ST, ST])->A + 1");
  REQUIRE(e.ok());
  const FunctionCallExpr* call = comp.FindTableFunctionCall(**e);
  REQUIRE(call != nullptr);
  CHECK(call->name == "EXPLODE");
  auto tf = comp.CompileTableFunction(*call, Scope());
  REQUIRE(tf.ok());
  Row row = TestRow();
  const int slot = static_cast<int>(row.size());
  auto outer = comp.CompileWithTableFunctionSlot(**e, *call, slot, tf->element_type, Scope());
  REQUIRE(outer.ok());
  CHECK(outer->type->ToString() == "INTEGER");
  EvalContext ctx;
  ctx.row = &row;
  auto produced = tf->eval(ctx);
  REQUIRE(produced.size() == 2);
  row.push_back(produced[0]);
  CHECK(outer->eval(ctx) == Value(int32_t{6}));

  auto sub = ParseExpression("CAST(EXPLODE(M)['a'] AS STRING)");
  REQUIRE(sub.ok());
  CHECK(comp.FindTableFunctionCall(**sub) != nullptr);
}

TEST_CASE("complex lambdas from the ksqlDB corpus", "[compiler]") {
  auto I = SqlType::Integer();
  TestScope scope({{"MAPPING", SqlType::Map(SqlType::String(), SqlType::Array(I))},
                   {"ARRAYING", SqlType::Array(SqlType::Map(SqlType::String(), I))},
                   {"A", I},
                   {"BIGINT_ARRAY", SqlType::Array(SqlType::Bigint())}});
  auto ints = [](std::vector<int32_t> v) {
    ArrayValue a;
    for (auto x : v) a.push_back(Value(x));
    return Value::Array(std::move(a));
  };
  Row row{Value::Map({{Value("a"), ints({1, 2})}, {Value("abc"), ints({3, 4})}, {Value("abcd"), ints({20})}}),
          Value::Array({Value::Map({{Value("abcdefg"), Value(int32_t{3})}, {Value("b"), Value(int32_t{1})}})}),
          Value(int32_t{30}),
          Value::Array({Value(int64_t{40}), Value(int64_t{50})})};
  auto run = [&](const std::string& text) -> std::string {
    auto e = ParseExpression(text);
    REQUIRE(e.ok());
    ExpressionCompiler c;
    auto ce = c.Compile(**e, scope);
    INFO(text);
    if (!ce.ok()) FAIL(ce.status().message());
    EvalContext ctx;
    ctx.row = &row;
    Value v = ce->eval(ctx);
    CHECK(ctx.error == "");
    return v.IsNull() ? "<null>" : v.ToString();
  };
  CHECK(run("TRANSFORM(FILTER(MAPPING, (a, b) => LEN(a) > 2 AND REDUCE(b, 0, (c, d) => c+d) < 20), "
            "(X,Y) => LPAD(x, REDUCE(Y, 2, (s, k) => ABS(ABS(k)-s)), 'a'), "
            "(X,Y) => REDUCE(ARRAY_UNION(Y, TRANSFORM(Y, z => z*3)), 0, (e, f) => e+f))") ==
        "{abc=28}");
  CHECK(run("reduce(arraying, 5, (s, a) => s + REDUCE(TRANSFORM(FILTER(a, (x, y) => len(x) > 5 AND "
            "y % 2 != 0), (e, f) => concat(e, 'leah'), (g, h) => h + len(g)), 0, (s2,r, b) => s2+2*b))") ==
        "25");
  CHECK(run("TRANSFORM(BIGINT_ARRAY, x => ARRAY[null, struct(x := a, y := x), struct(y := a, z:= x)])") ==
        "[[null, Struct{X=30,Y=40}, Struct{Y=30,Z=40}], [null, Struct{X=30,Y=50}, Struct{Y=30,Z=50}]]");
  {
    auto e = ParseExpression("TRANSFORM(BIGINT_ARRAY, x => ARRAY[null, struct(x := a, y := x), struct(y := a, z:= x)])");
    REQUIRE(e.ok());
    auto t = ExpressionCompiler().TypeOf(**e, scope);
    REQUIRE(t.ok());
    CHECK(t.value()->ToString() == "ARRAY<ARRAY<STRUCT<X INTEGER, Y BIGINT, Z BIGINT>>>");
    auto ce = ExpressionCompiler().Compile(**e, scope);
    EvalContext ctx;
    ctx.row = &row;
    Value v = ce->eval(ctx);
    const auto& st = v.AsArray()[0].AsArray()[2].AsStruct();
    REQUIRE(st.fields.size() == 3);
    CHECK(st.fields[0].IsNull());
    CHECK(st.fields[1] == Value(int64_t{30}));
  }
}

TEST_CASE("expression evaluation throughput", "[.][compiler-bench]") {
  const char* exprs[] = {"I > 5 AND S LIKE '%ell%'", "S = 'hello'", "I + 1", "UCASE(S)",
                         "CASE WHEN I > 5 THEN 'big' ELSE 'small' END", "ST->A * 2",
                         "TRANSFORM(ARR, x => x + 1)"};
  Row row = TestRow();
  row[4] = Value("a somewhat longer string value, hello world");
  for (const char* text : exprs) {
    auto c = CompileText(text);
    REQUIRE(c.ok());
    EvalContext ctx;
    ctx.row = &row;
    ctx.lambda_values.resize(c->lambda_slots);
    const int n = 2000000;
    auto start = std::chrono::steady_clock::now();
    size_t nulls = 0;
    for (int i = 0; i < n; ++i) nulls += c->eval(ctx).IsNull();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN(text << ": " << static_cast<int>(n / secs / 1000) << "k evals/s" << (nulls ? "" : " "));
  }
}

}  // namespace expression_compiler_test
