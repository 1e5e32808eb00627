// Aggregate functions (engine/expr/aggregates): binding and its errors, each function's
// results with NULLs, undo, session merge, and accumulators that are plain values of the
// intermediate type surviving the internal row codec.
#include <catch2/catch.hpp>

#include <cmath>
#include <optional>

#include "engine/expr/aggregate_function.h"
#include "engine/expr/function_catalog.h"
#include "engine/expr/function_registry.h"
#include "engine/runtime/state/row_codec.h"
#include "tests/unit/functions_test_util.h"  // Arr, Dec, Bin

namespace aggregates_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

namespace {

const TypePtr I = SqlType::Integer(), B = SqlType::Bigint(), D = SqlType::Double(),
              S = SqlType::String(), BOOL = SqlType::Boolean();

using Literals = std::vector<std::optional<Value>>;

// Does `v` fit `t` (NULL fits anything; structs carry exactly `t`'s fields)?
bool Conforms(const Value& v, const TypePtr& t) {
  if (v.IsNull()) return true;
  switch (t->kind) {
    case TypeKind::kBoolean: return v.IsBool();
    case TypeKind::kInteger: return v.IsInt();
    case TypeKind::kBigint: return v.IsBigint();
    case TypeKind::kDouble: return v.IsDouble();
    case TypeKind::kDecimal: return v.IsDecimal() && v.AsDecimal().scale == t->scale;
    case TypeKind::kString: return v.IsString();
    case TypeKind::kBytes: return v.IsBytes();
    case TypeKind::kDate: return v.IsDate();
    case TypeKind::kTime: return v.IsTime();
    case TypeKind::kTimestamp: return v.IsTimestamp();
    case TypeKind::kArray:
      if (!v.IsArray()) return false;
      for (const auto& e : v.AsArray())
        if (!Conforms(e, t->element)) return false;
      return true;
    case TypeKind::kMap:
      if (!v.IsMap()) return false;
      for (const auto& [k, x] : v.AsMap())
        if (!Conforms(k, t->key) || !Conforms(x, t->value)) return false;
      return true;
    case TypeKind::kStruct: {
      if (!v.IsStruct() || !TypeEquals(v.AsStruct().type, t)) return false;
      const auto& f = v.AsStruct().fields;
      if (f.size() != t->fields.size()) return false;
      for (size_t i = 0; i < f.size(); ++i)
        if (!Conforms(f[i], t->fields[i].type)) return false;
      return true;
    }
  }
  return false;
}

// The accumulator must be a value of the intermediate type that the state store's codec
// gives back unchanged.
void CheckAccumulator(const AggregateFunction& fn, const Value& acc) {
  INFO("accumulator " << acc.ToString() << " of " << fn.IntermediateType()->ToString());
  CHECK(Conforms(acc, fn.IntermediateType()));
  std::string bytes;
  EncodeValue(acc, &bytes);
  size_t pos = 0;
  Value back;
  REQUIRE(DecodeValue(bytes, &pos, fn.IntermediateType(), &back).ok());
  CHECK(pos == bytes.size());
  const bool both_nan = acc.IsDouble() && std::isnan(acc.AsDouble()) && back.IsDouble() &&
                        std::isnan(back.AsDouble());
  CHECK((back == acc || both_nan));
}

AggregateFunctionPtr Bind(const std::string& name, std::vector<TypePtr> types, Literals literals = {},
                          AggregateConfig config = {}) {
  literals.resize(types.size());
  auto r = ResolveAggregate(name, types, literals, config);
  INFO(name << ": " << (r.ok() ? "" : r.status().message()));
  REQUIRE(r.ok());
  return *r;
}

std::string BindError(const std::string& name, std::vector<TypePtr> types, Literals literals = {}) {
  literals.resize(types.size());
  auto r = ResolveAggregate(name, types, literals);
  return r.ok() ? "(bound)" : r.status().message();
}

// Drives one group's accumulator the way the aggregate operator does.
struct Group {
  AggregateFunctionPtr fn;
  Value acc;
  explicit Group(AggregateFunctionPtr f) : fn(std::move(f)), acc(fn->Initial()) {
    CheckAccumulator(*fn, acc);
  }
  Group& Add(std::vector<Value> args) {
    REQUIRE(args.size() == static_cast<size_t>(fn->ColumnArgCount()));
    acc = fn->Aggregate(args.data(), acc);
    CheckAccumulator(*fn, acc);
    return *this;
  }
  Group& Add(Value v) { return Add(std::vector<Value>{std::move(v)}); }
  Group& Undo(std::vector<Value> args) {
    REQUIRE(fn->SupportsUndo());
    acc = fn->Undo(args.data(), acc);
    CheckAccumulator(*fn, acc);
    return *this;
  }
  Group& Undo(Value v) { return Undo(std::vector<Value>{std::move(v)}); }
  Value Result() const {
    Value r = fn->Map(acc);
    CHECK(Conforms(r, fn->ReturnType()));
    return r;
  }
};

// What Kafka Streams does when a record joins sessions: merge each existing session into a
// fresh accumulator, then aggregate the record.
Value MergeSessions(const AggregateFunction& fn, const std::vector<Value>& sessions, const Value& record) {
  Value agg = fn.Initial();
  for (const auto& s : sessions) agg = fn.Merge(agg, s);
  return fn.Aggregate(&record, agg);
}

}  // namespace

TEST_CASE("aggregate names are one list, shared with the catalog", "[aggregates]") {
  for (const char* n : {"COUNT", "COUNT_DISTINCT", "SUM", "SUM_LIST", "AVG", "MIN", "MAX", "COLLECT_LIST",
                        "COLLECT_SET", "TOPK", "TOPKDISTINCT", "HISTOGRAM", "EARLIEST_BY_OFFSET",
                        "LATEST_BY_OFFSET", "STDDEV_SAMP", "STDDEV_SAMPLE", "CORRELATION", "ATTR"}) {
    INFO(n);
    CHECK(IsAggregateFunctionName(n));
    const FunctionInfo* info = FunctionRegistry::Builtins().Find(n);
    REQUIRE(info);
    CHECK(info->is_aggregate);
    CHECK(info->category == "AGGREGATE");
  }
  CHECK_FALSE(IsAggregateFunctionName("UCASE"));
  CHECK_FALSE(IsAggregateFunctionName("VARIANCE"));  // not a ksqlDB function
  CHECK_FALSE(IsAggregateFunctionName("count"));     // callers upper-case first
  CHECK(BindError("NOPE", {I}) == "Can't find any functions with the name 'NOPE'");

  // The catalog: SHOW FUNCTIONS lists them as AGGREGATE, DESCRIBE FUNCTION shows overloads.
  auto list = ListFunctionsEntity(FunctionRegistry::Builtins(), "SHOW FUNCTIONS;");
  int aggregates = 0;
  for (const auto& f : list["functions"])
    if (f["type"] == "AGGREGATE") ++aggregates;
  CHECK(aggregates == 18);
  auto topk = DescribeFunctionEntity(FunctionRegistry::Builtins(), "topk", "DESCRIBE FUNCTION topk;");
  REQUIRE(topk.ok());
  CHECK((*topk)["type"] == "AGGREGATE");
  bool int_form = false;
  for (const auto& f : (*topk)["functions"])
    if (f["argumentTypes"] == nlohmann::json::array({"INT", "INT"}) && f["returnType"] == "ARRAY<INT>")
      int_form = true;
  CHECK(int_form);

  // The registry types a call but never hands the scalar compiler an aggregate.
  TypePtr ret;
  CHECK(FunctionRegistry::Builtins().Resolve("SUM", {I}, &ret) == nullptr);
  const FunctionInfo* sum = FunctionRegistry::Builtins().Find("SUM");
  bool typed = false;
  for (const auto& o : sum->overloads) {
    if (TypePtr t = o.resolve({B})) typed = t->kind == TypeKind::kBigint;
    if (typed) break;
  }
  CHECK(typed);
}

TEST_CASE("COUNT counts rows, or non-NULL arguments, and undoes", "[aggregates]") {
  auto star = Bind("COUNT", {});
  CHECK(star->ColumnArgCount() == 0);
  CHECK(star->ReturnType()->kind == TypeKind::kBigint);
  Group all(star);
  all.Add(std::vector<Value>{}).Add(std::vector<Value>{}).Add(std::vector<Value>{});
  CHECK(all.Result() == Value(int64_t{3}));
  all.Undo(std::vector<Value>{});
  CHECK(all.Result() == Value(int64_t{2}));

  Group col(Bind("COUNT", {S}));
  col.Add(Value("a")).Add(Value()).Add(Value("b"));
  CHECK(col.Result() == Value(int64_t{2}));
  col.Undo(Value()).Undo(Value("a"));
  CHECK(col.Result() == Value(int64_t{1}));

  // COUNT(1): the literal is a column argument evaluated per record; COUNT(NULL) counts none.
  Group one(Bind("COUNT", {I}, {Value(1)}));
  CHECK(one.fn->ColumnArgCount() == 1);
  one.Add(Value(1)).Add(Value(1));
  CHECK(one.Result() == Value(int64_t{2}));
  Group none(Bind("COUNT", {nullptr}));
  none.Add(Value());
  CHECK(none.Result() == Value(int64_t{0}));

  CHECK(star->Merge(Value(int64_t{2}), Value(int64_t{5})) == Value(int64_t{7}));
  CHECK(BindError("COUNT", {I, I}).rfind("Function 'COUNT' does not accept parameters (INTEGER, INTEGER).", 0) == 0);
}

TEST_CASE("SUM keeps the argument's type with Java arithmetic", "[aggregates]") {
  Group ints(Bind("SUM", {I}));
  CHECK(ints.Result() == Value(int32_t{0}));  // a group of NULLs sums to 0
  ints.Add(Value()).Add(Value(int32_t{2147483647})).Add(Value(int32_t{1}));
  CHECK(ints.Result() == Value(int32_t{-2147483647 - 1}));  // wraps like a Java int
  ints.Undo(Value(int32_t{1})).Undo(Value());
  CHECK(ints.Result() == Value(int32_t{2147483647}));

  Group longs(Bind("SUM", {B}));
  longs.Add(Value(int64_t{2147483648LL})).Add(Value(int64_t{100}));
  CHECK(longs.Result() == Value(int64_t{2147483748LL}));

  Group doubles(Bind("SUM", {D}));
  doubles.Add(Value(5.4)).Add(Value(100.1));
  CHECK(doubles.Result() == Value(5.4 + 100.1));
  CHECK(doubles.fn->Merge(Value(1.5), Value(2.0)) == Value(3.5));

  auto dec_t = SqlType::Decimal(4, 1);
  auto dec = Bind("SUM", {dec_t});
  CHECK(TypeEquals(dec->ReturnType(), dec_t));
  CHECK(TypeEquals(dec->IntermediateType(), dec_t));
  Group d(dec);
  d.Add(Dec("500.9", 1)).Add(Dec("300.8", 1));
  CHECK(d.Result() == Dec("801.7", 1));
  // 801.7 + 400.8 no longer fits DECIMAL(4, 1): ksqlDB fails the query.
  Value next = Dec("400.8", 1);
  auto failed = dec->TryAggregate(&next, d.acc);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().message() ==
        "Numeric field overflow: A field with precision 4 and scale 1 must round to an absolute "
        "value less than 10^3. Got 1202.5");
  CHECK(dec->Aggregate(&next, d.acc) == d.acc);  // the plain call leaves the sum alone
  auto ok = dec->TryAggregate(&next, Dec("1.0", 1));
  REQUIRE(ok.ok());
  CHECK(*ok == Dec("401.8", 1));
  d.Undo(Dec("500.9", 1));
  CHECK(d.Result() == Dec("300.8", 1));

  CHECK(BindError("SUM", {S}) ==
        "Function 'sum' does not accept parameters (STRING).\nValid alternatives are:\n"
        "SUM(val INT) => INT\nSUM(val BIGINT) => BIGINT\nSUM(val DOUBLE) => DOUBLE\n"
        "SUM(val DECIMAL) => DECIMAL");
  CHECK(BindError("SUM", {nullptr}).rfind("Function 'sum' does not accept parameters (null).", 0) == 0);
}

TEST_CASE("SUM_LIST adds the non-NULL elements of each array", "[aggregates]") {
  Group g(Bind("SUM_LIST", {SqlType::Array(I)}));
  CHECK(g.fn->ReturnType()->kind == TypeKind::kInteger);
  g.Add(Arr({1, 1})).Add(Arr({100, 100, Value()})).Add(Value());
  CHECK(g.Result() == Value(int32_t{202}));
  g.Undo(Arr({1, 1}));
  CHECK(g.Result() == Value(int32_t{200}));
  Group dbl(Bind("SUM_LIST", {SqlType::Array(D)}));
  dbl.Add(Arr({922337203685.0, 1.0}));
  CHECK(dbl.Result() == Value(922337203686.0));
  CHECK(BindError("SUM_LIST", {SqlType::Array(S)}).rfind("Function 'sum_list'", 0) == 0);
}

TEST_CASE("AVG divides a Java-typed sum by the count", "[aggregates]") {
  auto avg = Bind("AVG", {B});
  CHECK(avg->ReturnType()->kind == TypeKind::kDouble);
  CHECK(avg->IntermediateType()->ToString() == "STRUCT<SUM BIGINT, COUNT BIGINT>");
  Group g(avg);
  CHECK(g.Result() == Value(0.0));  // no values yet
  g.Add(Value(int64_t{-1})).Add(Value(int64_t{9223372036854775807LL}));
  CHECK(g.Result() == Value(4.611686018427388e+18));
  g.Add(Value(int64_t{1})).Add(Value());  // the sum wraps, as in ksqlDB
  CHECK(g.Result() == Value(3.0744573456182584e+18));

  Group ints(Bind("AVG", {I}));
  ints.Add(Value(1)).Add(Value(2)).Add(Value(2));
  CHECK(ints.Result() == Value(5.0 / 3.0));
  ints.Undo(Value(1)).Undo(Value());
  CHECK(ints.Result() == Value(2.0));
  const Value merged = ints.fn->Merge(ints.acc, ints.acc);
  CHECK(ints.fn->Map(merged) == Value(2.0));
  CHECK(merged.AsStruct().fields[1] == Value(int64_t{4}));
  CHECK(BindError("AVG", {SqlType::Decimal(4, 1)}).rfind("Function 'avg' does not accept", 0) == 0);
}

TEST_CASE("MIN and MAX order as Java's compareTo and skip NULLs", "[aggregates]") {
  Group mx(Bind("MAX", {I}));
  CHECK(mx.Result().IsNull());
  mx.Add(Value()).Add(Value(3)).Add(Value(-7)).Add(Value());
  CHECK(mx.Result() == Value(3));
  Group mn(Bind("MIN", {I}));
  mn.Add(Value(3)).Add(Value(-7)).Add(Value());
  CHECK(mn.Result() == Value(-7));
  CHECK_FALSE(mn.fn->SupportsUndo());

  // Double.compare: NaN above everything, -0.0 below 0.0.
  Group dmax(Bind("MAX", {D}));
  dmax.Add(Value(1e300)).Add(Value(std::nan(""))).Add(Value(2.0));
  CHECK(std::isnan(dmax.Result().AsDouble()));
  Group dmin(Bind("MIN", {D}));
  dmin.Add(Value(0.0)).Add(Value(-0.0));
  CHECK(std::signbit(dmin.Result().AsDouble()));

  // ByteBuffer.compareTo compares signed bytes: 0x80 sorts below 0x01.
  Group bmax(Bind("MAX", {SqlType::Bytes()}));
  bmax.Add(Bin("\x80")).Add(Bin("\x01"));
  CHECK(bmax.Result() == Bin("\x01"));
  // String.compareTo is UTF-16 order: U+FFFD sorts above U+1F600 (a surrogate pair).
  Group smax(Bind("MAX", {S}));
  smax.Add(Value("\xF0\x9F\x98\x80")).Add(Value("\xEF\xBF\xBD")).Add(Value("a"));
  CHECK(smax.Result() == Value("\xEF\xBF\xBD"));

  Group dates(Bind("MIN", {SqlType::Date()}));
  dates.Add(Value(Date{5})).Add(Value(Date{-2}));
  CHECK(dates.Result() == Value(Date{-2}));
  Group decs(Bind("MAX", {SqlType::Decimal(3, 1)}));
  decs.Add(Dec("1.5", 1)).Add(Dec("10.0", 1));
  CHECK(decs.Result() == Dec("10.0", 1));

  CHECK(mx.fn->Merge(Value(4), Value()) == Value(4));
  CHECK(mx.fn->Merge(Value(), Value(5)) == Value(5));
  CHECK(mx.fn->Merge(Value(4), Value(5)) == Value(5));
  CHECK(mn.fn->Merge(Value(4), Value(5)) == Value(4));
  CHECK(BindError("MAX", {BOOL}).rfind("Function 'MAX' does not accept parameters (BOOLEAN).", 0) == 0);
  CHECK(BindError("MIN", {SqlType::Array(I)}).rfind("Function 'MIN' does not accept", 0) == 0);
}

TEST_CASE("COLLECT_LIST keeps every value up to the configured limit", "[aggregates]") {
  Group g(Bind("COLLECT_LIST", {I}));
  CHECK(g.fn->ReturnType()->ToString() == "ARRAY<INTEGER>");
  g.Add(Value(1)).Add(Value()).Add(Value(2)).Add(Value(1));
  CHECK(g.Result() == Arr({1, Value(), 2, 1}));
  g.Undo(Value(1));  // the last occurrence goes
  CHECK(g.Result() == Arr({1, Value(), 2}));
  g.Undo(Value(9));  // never collected
  CHECK(g.Result() == Arr({1, Value(), 2}));

  AggregateConfig small;
  small.collect_list_limit = 2;
  Group limited(Bind("COLLECT_LIST", {S}, {}, small));
  limited.Add(Value("a")).Add(Value("b")).Add(Value("c"));
  CHECK(limited.Result() == Arr({"a", "b"}));
  CHECK(limited.fn->Merge(Arr({"x"}), Arr({"y", "z"})) == Arr({"x", "y"}));

  // The default limit is 1000; a negative one means no limit.
  Group dflt(Bind("COLLECT_LIST", {I}));
  for (int i = 0; i < 1005; ++i) dflt.acc = dflt.fn->Aggregate(std::vector<Value>{Value(i)}.data(), dflt.acc);
  CHECK(dflt.Result().AsArray().size() == 1000);
  small.collect_list_limit = -1;
  Group unlimited(Bind("COLLECT_LIST", {I}, {}, small));
  for (int i = 0; i < 1005; ++i)
    unlimited.acc = unlimited.fn->Aggregate(std::vector<Value>{Value(i)}.data(), unlimited.acc);
  CHECK(unlimited.Result().AsArray().size() == 1005);

  // Any type, structs included.
  auto st = SqlType::Struct({{"A", S}, {"B", B}});
  Group structs(Bind("COLLECT_LIST", {st}));
  structs.Add(Value::Struct(st, {"x", int64_t{1}}));
  CHECK(structs.Result().AsArray().size() == 1);
  CHECK(BindError("COLLECT_LIST", {nullptr}).rfind("Function 'collect_list'", 0) == 0);
}

TEST_CASE("COLLECT_SET keeps distinct values in first-seen order", "[aggregates]") {
  Group g(Bind("COLLECT_SET", {S}));
  CHECK_FALSE(g.fn->SupportsUndo());
  g.Add(Value("b")).Add(Value("a")).Add(Value("b")).Add(Value()).Add(Value());
  CHECK(g.Result() == Arr({"b", "a", Value()}));
  CHECK(g.fn->Merge(Arr({"b", "a"}), Arr({"a", "c"})) == Arr({"b", "a", "c"}));
  AggregateConfig small;
  small.collect_set_limit = 2;
  Group limited(Bind("COLLECT_SET", {I}, {}, small));
  limited.Add(Value(1)).Add(Value(1)).Add(Value(2)).Add(Value(3));
  CHECK(limited.Result() == Arr({1, 2}));
  CHECK(limited.fn->Merge(Arr({1}), Arr({1, 2, 3})) == Arr({1, 2}));
}

TEST_CASE("TOPK keeps the k largest values, with other columns as structs", "[aggregates]") {
  auto topk = Bind("TOPK", {I, I}, {std::nullopt, Value(3)});
  CHECK(topk->ColumnArgCount() == 1);
  Group g(topk);
  const Value expected[] = {Arr({0}), Arr({100, 0}), Arr({100, 99, 0}), Arr({100, 99, 7}),
                            Arr({100, 100, 99})};
  int i = 0;
  for (int v : {0, 100, 99, 7, 100}) {
    g.Add(Value(v));
    CHECK(g.Result() == expected[i++]);
  }
  g.Add(Value());
  CHECK(g.Result() == Arr({100, 100, 99}));
  CHECK(topk->Merge(Arr({9, 5, 1}), Arr({7, 5})) == Arr({9, 7, 5}));
  CHECK(topk->Merge(Arr({}), Arr({7})) == Arr({7}));

  Group strs(Bind("TOPK", {S, I}, {std::nullopt, Value(2)}));
  strs.Add(Value("a")).Add(Value("c")).Add(Value("b"));
  CHECK(strs.Result() == Arr({"c", "b"}));

  // TOPK(value, name, 3): structs of sort_col and col0, records with a NULL value ignored.
  auto with_name = Bind("TOPK", {I, S, I}, {std::nullopt, std::nullopt, Value(3)});
  CHECK(with_name->ColumnArgCount() == 2);
  CHECK(with_name->ReturnType()->ToString() == "ARRAY<STRUCT<sort_col INTEGER, col0 STRING>>");
  Group s(with_name);
  s.Add({Value(0), Value("zero")}).Add({Value(100), Value("one")}).Add({Value(99), Value("two")});
  s.Add({Value(), Value("three")}).Add({Value(100), Value()});
  const TypePtr et = with_name->ReturnType()->element;
  CHECK(s.Result() == Arr({Value::Struct(et, {100, "one"}), Value::Struct(et, {100, Value()}),
                           Value::Struct(et, {99, "two"})}));

  CHECK(BindError("TOPK", {I, I}, {std::nullopt, std::nullopt}) ==
        "Parameter 2 passed to function TOPK must be a literal constant, but was expression");
  CHECK(BindError("TOPK", {I, S}, {std::nullopt, Value("3")}).rfind("Function 'TOPK' does not accept", 0) == 0);
  CHECK(BindError("TOPK", {I, I}, {std::nullopt, Value(0)}).find("1 or greater") != std::string::npos);
  CHECK(BindError("TOPK", {SqlType::Decimal(4, 1), I}, {std::nullopt, Value(3)})
            .rfind("Function 'TOPK' does not accept parameters (DECIMAL(4, 1), INTEGER).", 0) == 0);
  CHECK(BindError("TOPK", {I}).rfind("Function 'TOPK' does not accept", 0) == 0);
}

TEST_CASE("TOPKDISTINCT keeps the k largest distinct values", "[aggregates]") {
  auto f = Bind("TOPKDISTINCT", {B, I}, {std::nullopt, Value(3)});
  Group g(f);
  for (int64_t v : {int64_t{2147483648LL}, int64_t{100}, int64_t{99}, int64_t{7}, int64_t{100}}) g.Add(Value(v));
  g.Add(Value());
  CHECK(g.Result() == Arr({int64_t{2147483648LL}, int64_t{100}, int64_t{99}}));
  CHECK(f->Merge(Arr({int64_t{9}, int64_t{5}}), Arr({int64_t{9}, int64_t{7}, int64_t{5}})) ==
        Arr({int64_t{9}, int64_t{7}, int64_t{5}}));

  Group bytes(Bind("TOPKDISTINCT", {SqlType::Bytes(), I}, {std::nullopt, Value(3)}));
  for (const char* b : {"B", "F", "G", "A", "F"}) bytes.Add(Bin(b));
  CHECK(bytes.Result() == Arr({Bin("G"), Bin("F"), Bin("B")}));
  Group decs(Bind("TOPKDISTINCT", {SqlType::Decimal(2, 1), I}, {std::nullopt, Value(2)}));
  decs.Add(Dec("9.8", 1)).Add(Dec("8.9", 1)).Add(Dec("9.9", 1));
  CHECK(decs.Result() == Arr({Dec("9.9", 1), Dec("9.8", 1)}));
  CHECK(BindError("TOPKDISTINCT", {BOOL, I}, {std::nullopt, Value(2)}).rfind("Function 'TOPKDISTINCT'", 0) == 0);
}

TEST_CASE("HISTOGRAM counts each distinct string", "[aggregates]") {
  auto h = Bind("HISTOGRAM", {S});
  CHECK(h->ReturnType()->ToString() == "MAP<STRING, BIGINT>");
  Group g(h);
  g.Add(Value("a")).Add(Value("b")).Add(Value("a")).Add(Value());
  auto count_of = [](const Value& m, const std::string& k) -> Value {
    for (const auto& [key, v] : m.AsMap())
      if (key == Value(k)) return v;
    return Value();
  };
  Value r = g.Result();
  CHECK(r.AsMap().size() == 3);  // NULL counts under a NULL key, as in ksqlDB
  CHECK(count_of(r, "a") == Value(int64_t{2}));
  CHECK(r.AsMap()[0].first.IsNull());  // HashMap keeps the NULL key in bucket 0
  g.Undo(Value("b")).Undo(Value("zz")).Undo(Value());
  r = g.Result();
  CHECK(r.AsMap().size() == 1);
  CHECK(count_of(r, "a") == Value(int64_t{2}));
  Value merged = h->Merge(g.acc, g.acc);
  CHECK(count_of(h->Map(merged), "a") == Value(int64_t{4}));

  // At most 1000 distinct values; values already counted still count.
  Group big(h);
  for (int i = 0; i < 1001; ++i)
    big.acc = h->Aggregate(std::vector<Value>{Value(std::to_string(i))}.data(), big.acc);
  big.Add(Value("0"));
  r = big.Result();
  CHECK(r.AsMap().size() == 1000);
  CHECK(count_of(r, "0") == Value(int64_t{2}));
  CHECK(count_of(r, "1000").IsNull());

  // HashMap iteration order: "b" (hash 98) before "c" (99) before "a"+"a"... by bucket.
  Group order(h);
  order.Add(Value("c")).Add(Value("b"));
  CHECK(order.Result().AsMap()[0].first == Value("b"));
  CHECK(BindError("HISTOGRAM", {I}).rfind("Function 'histogram' does not accept parameters (INTEGER).", 0) == 0);
}

TEST_CASE("EARLIEST_BY_OFFSET keeps the first values", "[aggregates]") {
  auto f = Bind("EARLIEST_BY_OFFSET", {I});
  CHECK(f->IntermediateType()->ToString() == "STRUCT<SEQ BIGINT, VAL INTEGER>");
  Group g(f);
  CHECK(g.acc.IsNull());
  CHECK(g.Result().IsNull());
  g.Add(Value()).Add(Value(1)).Add(Value(2));
  CHECK(g.Result() == Value(1));

  Group keep_nulls(Bind("EARLIEST_BY_OFFSET", {I, BOOL}, {std::nullopt, Value(false)}));
  keep_nulls.Add(Value()).Add(Value(1));
  CHECK(keep_nulls.Result().IsNull());

  auto n = Bind("EARLIEST_BY_OFFSET", {S, I}, {std::nullopt, Value(2)});
  CHECK(n->ReturnType()->ToString() == "ARRAY<STRING>");
  Group gn(n);
  gn.Add(Value("a")).Add(Value()).Add(Value("b")).Add(Value("c"));
  CHECK(gn.Result() == Arr({"a", "b"}));
  Group gn_nulls(Bind("EARLIEST_BY_OFFSET", {S, I, BOOL}, {std::nullopt, Value(2), Value(false)}));
  gn_nulls.Add(Value("a")).Add(Value()).Add(Value("b"));
  CHECK(gn_nulls.Result() == Arr({"a", Value()}));

  // Merge picks the value that arrived first, by sequence.
  Group first(f), second(f);
  first.Add(Value(10));
  second.Add(Value(20));
  CHECK(f->Map(f->Merge(second.acc, first.acc)) == Value(10));
  CHECK(f->Map(f->Merge(Value(), second.acc)) == Value(20));
  CHECK(BindError("EARLIEST_BY_OFFSET", {I, I}, {std::nullopt, Value(0)}) == "earliestN must be 1 or greater");
  // With the arguments' text, the error quotes the expression, as ksqlDB does.
  auto r = ResolveAggregate("EARLIEST_BY_OFFSET", {I, I}, {std::nullopt, std::nullopt}, AggregateConfig{},
                            {"F0", "F0"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() ==
        "Parameter 2 passed to function EARLIEST_BY_OFFSET must be a literal constant, but was "
        "expression: 'F0'");
  CHECK(BindError("EARLIEST_BY_OFFSET", {I, I, BOOL}, {std::nullopt, Value(1), std::nullopt})
            .rfind("Parameter 3 passed to function EARLIEST_BY_OFFSET must be a literal constant", 0) == 0);
  CHECK(BindError("EARLIEST_BY_OFFSET", {I, S}, {std::nullopt, Value("x")})
            .rfind("Function 'EARLIEST_BY_OFFSET' does not accept parameters (INTEGER, STRING).", 0) == 0);
}

TEST_CASE("LATEST_BY_OFFSET keeps the last values and merges sessions by sequence", "[aggregates]") {
  auto f = Bind("LATEST_BY_OFFSET", {I});
  Group g(f);
  CHECK(g.acc.IsStruct());  // {SEQ, NULL} from the start, as ksqlDB
  CHECK(g.Result().IsNull());
  g.Add(Value(1)).Add(Value()).Add(Value(2)).Add(Value());
  CHECK(g.Result() == Value(2));
  Group keep_nulls(Bind("LATEST_BY_OFFSET", {I, BOOL}, {std::nullopt, Value(false)}));
  keep_nulls.Add(Value(1)).Add(Value());
  CHECK(keep_nulls.Result().IsNull());

  // Any type: arrays, maps and structs too.
  auto arr = Bind("LATEST_BY_OFFSET", {SqlType::Array(S)});
  Group ga(arr);
  ga.Add(Arr({"x"}));
  CHECK(ga.Result() == Arr({"x"}));

  // Sessions: the record at 0 (value 1) and at 1500 (NULL) start two sessions; a record at
  // 700 (value 2) joins them.
  auto n_keep = Bind("LATEST_BY_OFFSET", {I, I, BOOL}, {std::nullopt, Value(2), Value(false)});
  Group s1(n_keep), s2(n_keep);
  s1.Add(Value(1));
  s2.Add(Value());
  CHECK(s2.Result() == Arr({Value()}));
  const Value two = Value(2);
  CHECK(n_keep->Map(MergeSessions(*n_keep, {s1.acc, s2.acc}, two)) == Arr({Value(), 2}));

  auto n_skip = Bind("LATEST_BY_OFFSET", {I, I, BOOL}, {std::nullopt, Value(2), Value(true)});
  Group t1(n_skip), t2(n_skip);
  t1.Add(Value(1));
  t2.Add(Value());
  CHECK(t2.Result() == Arr({}));
  CHECK(n_skip->Map(MergeSessions(*n_skip, {t1.acc, t2.acc}, two)) == Arr({1, 2}));

  // Single form ignoring NULLs: a session holding only NULL loses to one with a value, even
  // a later one.
  Group u1(f), u2(f);
  u1.Add(Value(1));
  CHECK(f->Map(f->Merge(u1.acc, u2.acc)) == Value(1));
  CHECK(f->Map(MergeSessions(*f, {u1.acc, u2.acc}, Value())) == Value(1));
  auto single_keep = Bind("LATEST_BY_OFFSET", {I, BOOL}, {std::nullopt, Value(false)});
  Group v1(single_keep), v2(single_keep);
  v1.Add(Value(1));
  v2.Add(Value());
  CHECK(single_keep->Map(single_keep->Merge(v1.acc, v2.acc)).IsNull());

  // The N form keeps the last N.
  Group last2(Bind("LATEST_BY_OFFSET", {S, I}, {std::nullopt, Value(2)}));
  last2.Add(Value("a")).Add(Value("b")).Add(Value()).Add(Value("c"));
  CHECK(last2.Result() == Arr({"b", "c"}));
  CHECK(BindError("LATEST_BY_OFFSET", {I, I}, {std::nullopt, Value(-1)}) == "latestN must be 1 or greater");
  CHECK(BindError("LATEST_BY_OFFSET", {}).rfind("Function 'LATEST_BY_OFFSET' does not accept parameters ().", 0) == 0);
}

TEST_CASE("STDDEV_SAMP is ksqlDB's sample variance, STDDEV_SAMPLE its square root", "[aggregates]") {
  auto samp = Bind("STDDEV_SAMP", {I});
  CHECK(samp->IntermediateType()->ToString() == "STRUCT<SUM INTEGER, COUNT INTEGER, M2 DOUBLE>");
  Group g(samp);
  std::vector<double> got;
  for (int v : {0, 10, 7, 6}) {
    g.Add(Value(v));
    got.push_back(g.Result().AsDouble());
  }
  CHECK(got == std::vector<double>{0.0, 50.0, 26.333333333333332, 17.583333333333332});
  g.Add(Value());
  CHECK(g.Result() == Value(17.583333333333332));

  Group longs(Bind("STDDEV_SAMP", {B}));
  longs.Add(Value(int64_t{2147483648LL})).Add(Value(int64_t{100}));
  CHECK(longs.Result() == Value(2.3058427944653343e+18));
  longs.Add(Value(int64_t{-2}));
  CHECK(longs.Result() == Value(1.5372286026580004e+18));

  auto sample = Bind("STDDEV_SAMPLE", {I});
  CHECK(sample->IntermediateType()->ToString() == "STRUCT<SUM INTEGER, COUNT BIGINT, M2 DOUBLE>");
  Group s(sample);
  got.clear();
  for (int v : {0, 10, 7, 6}) {
    s.Add(Value(v));
    got.push_back(s.Result().AsDouble());
  }
  CHECK(got == std::vector<double>{0.0, 7.0710678118654755, 5.131601439446884, 4.193248541803041});
  Group dbl(Bind("STDDEV_SAMPLE", {D}));
  got.clear();
  for (double v : {-1.8, 2.3, 100.2}) {
    dbl.Add(Value(v));
    got.push_back(dbl.Result().AsDouble());
  }
  CHECK(got == std::vector<double>{0.0, 2.899137802864845, 57.74256084841869});

  // Undo takes a value back out; merge combines two groups' moments.
  Group u(sample);
  u.Add(Value(2)).Add(Value(4)).Add(Value(9)).Undo(Value(9));
  CHECK(u.Result().AsDouble() == Approx(std::sqrt(2.0)).epsilon(1e-9));
  Group a(sample), b(sample), all(sample);
  a.Add(Value(1)).Add(Value(2));
  b.Add(Value(3)).Add(Value(4));
  all.Add(Value(1)).Add(Value(2)).Add(Value(3)).Add(Value(4));
  CHECK(sample->Map(sample->Merge(a.acc, b.acc)).AsDouble() == Approx(all.Result().AsDouble()));
  CHECK(sample->Map(sample->Merge(a.acc, sample->Initial())) == a.Result());
  CHECK(BindError("STDDEV_SAMPLE", {SqlType::Decimal(4, 1)}).rfind("Function 'STDDEV_SAMPLE' does not accept", 0) == 0);
}

TEST_CASE("CORRELATION is Pearson's coefficient over rows with both values", "[aggregates]") {
  auto f = Bind("CORRELATION", {D, D});
  CHECK(f->ColumnArgCount() == 2);
  Group g(f);
  CHECK(std::isnan(g.Result().AsDouble()));  // no rows
  g.Add({Value(1.0), Value(2.0)});
  CHECK(std::isnan(g.Result().AsDouble()));  // one row
  g.Add({Value(2.0), Value(4.0)}).Add({Value(), Value(100.0)}).Add({Value(3.0), Value()});
  CHECK(g.Result() == Value(1.0));
  g.Add({Value(3.0), Value(1.0)});
  const double r = g.Result().AsDouble();
  CHECK(r > -1.0);
  CHECK(r < 1.0);
  g.Undo({Value(3.0), Value(1.0)});
  CHECK(g.Result() == Value(1.0));

  Group neg(Bind("CORRELATION", {I, B}));  // integers widen to DOUBLE
  neg.Add({Value(1), Value(int64_t{10})}).Add({Value(2), Value(int64_t{5})});
  CHECK(neg.Result() == Value(-1.0));
  Group flat(f);
  flat.Add({Value(1.0), Value(3.0)}).Add({Value(2.0), Value(3.0)});
  CHECK(std::isnan(flat.Result().AsDouble()));
  const Value merged = f->Merge(neg.acc, neg.acc);
  CHECK(merged.AsStruct().fields[5] == Value(int64_t{4}));
  CHECK(f->Map(merged) == Value(-1.0));
  CHECK(BindError("CORRELATION", {S, D}).rfind("Function 'correlation' does not accept parameters (STRING, DOUBLE).", 0) == 0);
}

TEST_CASE("ATTR returns the single value a group agrees on", "[aggregates]") {
  auto f = Bind("ATTR", {S});
  CHECK(f->IntermediateType()->ToString() == "ARRAY<STRUCT<VALUE STRING, COUNT INTEGER>>");
  // Table aggregation with tombstones: undo removes a row's earlier value.
  Group g(f);
  g.Add(Value("1"));
  CHECK(g.Result() == Value("1"));
  g.Add(Value("1"));
  CHECK(g.Result() == Value("1"));
  g.Undo(Value("1"));
  CHECK(g.Result() == Value("1"));
  g.Undo(Value("1"));
  CHECK(g.Result().IsNull());
  g.Add(Value("2"));
  CHECK(g.Result() == Value("2"));
  g.Add(Value("3"));
  CHECK(g.Result().IsNull());
  g.Undo(Value("3"));
  CHECK(g.Result() == Value("2"));
  g.Undo(Value("9"));  // never seen: no effect, counts never go negative
  CHECK(g.Result() == Value("2"));

  // NULL is a value of its own.
  Group n(f);
  n.Add(Value()).Add(Value("2"));
  CHECK(n.Result().IsNull());
  CHECK(f->Map(f->Merge(n.acc, n.acc)).IsNull());
  Group one(f);
  one.Add(Value("x"));
  CHECK(f->Map(f->Merge(one.acc, one.acc)) == Value("x"));

  auto st = SqlType::Struct({{"A", S}, {"B", I}});
  Group structs(Bind("ATTR", {st}));
  structs.Add(Value::Struct(st, {"a", 1})).Add(Value::Struct(st, {"a", 1}));
  CHECK(structs.Result() == Value::Struct(st, {"a", 1}));
}

TEST_CASE("COUNT_DISTINCT estimates distinct non-NULL values with HyperLogLog", "[aggregates]") {
  auto f = Bind("COUNT_DISTINCT", {S});
  CHECK(f->IntermediateType()->ToString() == "ARRAY<INTEGER>");
  Group g(f);
  CHECK(g.acc.AsArray().size() == 2731);  // stream-lib's RegisterSet for 2^14 registers
  CHECK(g.Result() == Value(int64_t{0}));
  g.Add(Value("one")).Add(Value("two")).Add(Value("one")).Add(Value()).Add(Value("two"));
  CHECK(g.Result() == Value(int64_t{2}));

  Group ints(Bind("COUNT_DISTINCT", {B}));
  for (int64_t i = 0; i < 20000; ++i)
    ints.acc = ints.fn->Aggregate(std::vector<Value>{Value(i % 5000)}.data(), ints.acc);
  const double estimate = static_cast<double>(ints.Result().AsBigint());
  CHECK(estimate == Approx(5000).epsilon(0.03));

  // Merging two halves counts their union.
  Group a(f), b(f);
  for (int i = 0; i < 300; ++i) a.acc = f->Aggregate(std::vector<Value>{Value(std::to_string(i))}.data(), a.acc);
  for (int i = 200; i < 500; ++i) b.acc = f->Aggregate(std::vector<Value>{Value(std::to_string(i))}.data(), b.acc);
  const Value merged = f->Merge(a.acc, b.acc);
  CheckAccumulator(*f, merged);
  CHECK(static_cast<double>(f->Map(merged).AsBigint()) == Approx(500).epsilon(0.03));
  CHECK_FALSE(f->SupportsUndo());
}

}  // namespace aggregates_test
