// Registry-wide checks: every built-in function is described and typed, NULL-short-cut
// overloads are plain scalar functions, and every function that handles NULL itself has its
// NULL behaviour asserted here.
#include <functional>
#include <map>
#include <set>

#include "tests/unit/functions_test_util.h"

namespace functions_registry_test {  // this file's own names (unity build: tests/README.md)

using namespace sluice;           // NOLINT
using namespace sluice::testing;  // NOLINT

TEST_CASE("every registered function is described and well-formed", "[functions]") {
  const auto& all = FunctionRegistry::Builtins().All();
  CHECK(all.size() >= 100);
  for (const auto& [name, info] : all) {
    INFO(name);
    CHECK(info.name == name);
    CHECK_FALSE(info.category.empty());
    CHECK_FALSE(info.description.empty());
    REQUIRE_FALSE(info.overloads.empty());
    for (const auto& o : info.overloads) {
      INFO(o.signature);
      CHECK(o.signature.rfind(name + "(", 0) == 0);
      CHECK(o.resolve);
      CHECK((o.max_args < 0 || o.max_args >= o.min_args));
      if (info.is_table_function) {
        CHECK(o.table_impl);
      } else if (info.is_aggregate) {
        CHECK_FALSE(o.impl);  // run by the aggregate operators (aggregate_function.h)
      } else {
        CHECK(o.impl);
      }
      if (!o.lambda_args.empty()) {
        CHECK(o.lambda_param_types);
        CHECK(o.null_policy == NullPolicy::kCustom);  // lambda positions are NULL at run time
      }
      if (o.null_policy == NullPolicy::kNullOnAnyNull) {
        CHECK(o.lambda_args.empty());
        CHECK_FALSE(info.is_table_function);
      }
    }
  }
}

namespace {
const TypePtr S = SqlType::String(), I = SqlType::Integer();
const TypePtr AI = SqlType::Array(SqlType::Integer());
const TypePtr MSI = SqlType::Map(SqlType::String(), SqlType::Integer());
Value One() { return Arr({1}); }
Value OneMap() { return Value::Map({{"a", 1}}); }

std::map<std::string, std::function<void()>> CustomNullCases() {
  std::map<std::string, std::function<void()>> c;
  auto is_null = [](const std::string& n, std::vector<Arg> a) { return [n, a] { CHECK(Eval(n, a).IsNull()); }; };
  auto equals = [](const std::string& n, std::vector<Arg> a, Value want) {
    return [n, a, want] { CHECK(Eval(n, a) == want); };
  };
  c["CONCAT"] = equals("CONCAT", {NullOf(S), "a", NullLit()}, Value("a"));
  c["CONCAT_WS"] = [] {
    CHECK(Eval("CONCAT_WS", {NullOf(S), "a"}).IsNull());
    CHECK(Eval("CONCAT_WS", {"-", NullOf(S), "a"}) == Value("a"));
  };
  c["ELT"] = [] {
    CHECK(Eval("ELT", {NullOf(I), "a"}).IsNull());
    CHECK(Eval("ELT", {1, NullOf(S)}).IsNull());
  };
  c["FIELD"] = equals("FIELD", {NullOf(S), NullOf(S)}, Value(0));
  c["INSTR"] = [] {
    CHECK(Eval("INSTR", {NullOf(S), "a"}) == Value(0));
    CHECK(Eval("INSTR", {"a", NullOf(S)}) == Value(0));
    CHECK(Eval("INSTR", {"a", "a", NullOf(I)}).IsNull());
  };
  c["LPAD"] = [] {
    CHECK(Eval("LPAD", {"a", NullOf(I), "b"}).IsNull());
    CHECK(Eval("LPAD", {NullOf(S), 3, "b"}).IsNull());
  };
  c["RPAD"] = is_null("RPAD", {"a", 3, NullOf(S)});
  c["MASK"] = [] {
    CHECK(Eval("MASK", {NullOf(S)}).IsNull());
    CHECK(Eval("MASK", {"aB1", NullOf(S), NullOf(S), NullOf(S), NullOf(S)}) == Value("aB1"));
  };
  for (std::string n : {"MASK_KEEP_LEFT", "MASK_KEEP_RIGHT", "MASK_LEFT", "MASK_RIGHT"}) {
    c[n] = [n] {
      CHECK(Eval(n, {NullOf(S), 1}).IsNull());
      CHECK(Eval(n, {"abc", NullOf(I)}).IsNull());
    };
  }
  c["IS_JSON_STRING"] = equals("IS_JSON_STRING", {NullOf(S)}, Value(false));
  c["JSON_ARRAY_CONTAINS"] = equals("JSON_ARRAY_CONTAINS", {NullOf(S), 1}, Value(false));
  c["JSON_CONCAT"] = is_null("JSON_CONCAT", {NullOf(S), "[1]"});
  c["TO_JSON_STRING"] = equals("TO_JSON_STRING", {NullOf(S)}, Value("null"));
  c["GREATEST"] = equals("GREATEST", {NullOf(I), 1, NullLit()}, Value(1));
  c["LEAST"] = equals("LEAST", {NullOf(I), 1}, Value(1));
  c["ARRAY_CONCAT"] = equals("ARRAY_CONCAT", {NullOf(AI), One()}, One());
  c["ARRAY_CONTAINS"] = equals("ARRAY_CONTAINS", {NullOf(AI), 1}, Value(false));
  c["ARRAY_JOIN"] = [] {
    CHECK(Eval("ARRAY_JOIN", {NullOf(AI)}).IsNull());
    CHECK(Eval("ARRAY_JOIN", {One(), NullOf(S)}) == Value("1"));
  };
  c["ARRAY_REMOVE"] = is_null("ARRAY_REMOVE", {NullOf(AI), 1});
  c["SLICE"] = is_null("SLICE", {NullOf(AI), 1, 1});
  c["MAP_UNION"] = equals("MAP_UNION", {NullOf(MSI), OneMap()}, OneMap());
  c["COALESCE"] = equals("COALESCE", {NullOf(I), 1}, Value(1));
  c["IFNULL"] = equals("IFNULL", {NullOf(I), 1}, Value(1));
  c["NULLIF"] = is_null("NULLIF", {NullOf(I), 1});
  c["AS_VALUE"] = is_null("AS_VALUE", {NullOf(I)});
  LambdaFn id = [](const std::vector<Value>& p) { return p.back(); };
  c["TRANSFORM"] = [id] { CHECK(EvalLambda("TRANSFORM", {NullOf(AI), Arg(I, Value())}, {id}).IsNull()); };
  c["FILTER"] = [id] { CHECK(EvalLambda("FILTER", {NullOf(AI), Arg(SqlType::Boolean(), Value())}, {id}).IsNull()); };
  c["REDUCE"] = [id] {
    CHECK(EvalLambda("REDUCE", {NullOf(AI), 5, Arg(I, Value())}, {id}) == Value(5));
    CHECK(EvalLambda("REDUCE", {One(), NullOf(I), Arg(I, Value())}, {id}).IsNull());
  };
  c["EXPLODE"] = [] { CHECK(EvalTable("EXPLODE", {NullOf(AI)}).empty()); };
  c["CUBE_EXPLODE"] = [] { CHECK(EvalTable("CUBE_EXPLODE", {NullOf(AI)}).empty()); };
  return c;
}
}  // namespace

TEST_CASE("NULL handling of every function that handles NULL itself", "[functions]") {
  auto cases = CustomNullCases();
  std::set<std::string> custom;
  for (const auto& [name, info] : FunctionRegistry::Builtins().All()) {
    if (info.category == "DATE / TIME") continue;  // covered by datetime_functions_test.cpp
    for (const auto& o : info.overloads) {
      if (o.null_policy == NullPolicy::kCustom) custom.insert(name);
    }
  }
  for (const auto& name : custom) {
    INFO("kCustom function without an explicit NULL test: " << name);
    REQUIRE(cases.count(name) == 1);
    cases[name]();
  }
  // No listed case may be stale.
  for (const auto& [name, fn] : cases) {
    INFO(name);
    CHECK(custom.count(name) == 1);
  }
}

TEST_CASE("kNullOnAnyNull functions bind NULL literal arguments", "[functions]") {
  // A NULL literal must bind to a fixed-type parameter (the compiler then short-cuts the call
  // to NULL); generic overloads (ARRAY_MAX(ARRAY<T>)) need a typed argument to infer T.
  int bound = 0;
  for (const auto& [name, info] : FunctionRegistry::Builtins().All()) {
    for (const auto& o : info.overloads) {
      if (o.null_policy != NullPolicy::kNullOnAnyNull || o.min_args != o.max_args) continue;
      std::vector<TypePtr> nulls(o.min_args);
      if (o.resolve(nulls)) ++bound;
    }
  }
  CHECK(bound > 80);
  CHECK(Resolves("SUBSTRING", {nullptr, nullptr}));
  CHECK(Resolves("SUBSTRING", {SqlType::String(), nullptr, nullptr}));
  CHECK(Resolves("LEN", {nullptr}));
  CHECK(Resolves("ROUND", {nullptr}));
  CHECK(Resolves("REGEXP_EXTRACT", {nullptr, SqlType::String()}));
  CHECK_FALSE(Resolves("ARRAY_MAX", {nullptr}));
}

}  // namespace functions_registry_test
