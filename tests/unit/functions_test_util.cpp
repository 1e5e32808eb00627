#include "tests/unit/functions_test_util.h"

#include <algorithm>

namespace sluice::testing {

TypePtr InferType(const Value& v) {
  if (v.IsNull()) return nullptr;
  if (v.IsBool()) return SqlType::Boolean();
  if (v.IsInt()) return SqlType::Integer();
  if (v.IsBigint()) return SqlType::Bigint();
  if (v.IsDouble()) return SqlType::Double();
  if (v.IsDecimal()) {
    int p = std::max(v.AsDecimal().Precision(), v.AsDecimal().scale + 1);
    return SqlType::Decimal(p, v.AsDecimal().scale);
  }
  if (v.IsString()) return SqlType::String();
  if (v.IsBytes()) return SqlType::Bytes();
  if (v.IsDate()) return SqlType::Date();
  if (v.IsTime()) return SqlType::Time();
  if (v.IsTimestamp()) return SqlType::Timestamp();
  if (v.IsArray()) {
    for (const auto& e : v.AsArray())
      if (!e.IsNull()) return SqlType::Array(InferType(e));
    return SqlType::Array(SqlType::String());
  }
  if (v.IsMap()) {
    TypePtr k = SqlType::String(), val = SqlType::String();
    for (const auto& [mk, mv] : v.AsMap()) {
      if (!mk.IsNull()) k = InferType(mk);
      if (!mv.IsNull()) val = InferType(mv);
    }
    return SqlType::Map(k, val);
  }
  return v.AsStruct().type;
}

namespace {
Value Run(const std::string& name, const std::vector<Arg>& args, const std::vector<LambdaFn>* lambdas,
          TypePtr* ret, std::string* err, std::vector<Value>* table_out) {
  std::vector<TypePtr> types;
  std::vector<Value> values;
  for (const auto& a : args) {
    types.push_back(a.type);
    values.push_back(a.value);
  }
  TypePtr rt;
  const FunctionOverload* o = FunctionRegistry::Builtins().Resolve(name, types, &rt);
  INFO("resolving " << name);
  REQUIRE(o != nullptr);
  if (ret) *ret = rt;
  CallContext ctx;
  ctx.arg_types = &types;
  ctx.return_type = rt;
  ctx.lambdas = lambdas;
  std::string e;
  if (o->null_policy == NullPolicy::kNullOnAnyNull) {
    for (size_t i = 0; i < values.size(); ++i) {
      bool is_lambda = std::find(o->lambda_args.begin(), o->lambda_args.end(), static_cast<int>(i)) != o->lambda_args.end();
      if (!is_lambda && values[i].IsNull()) return Value();
    }
  }
  if (table_out) {
    REQUIRE(o->table_impl);
    *table_out = o->table_impl(values, ctx, &e);
    return Value();
  }
  REQUIRE(o->impl);
  Value v = o->impl(values, ctx, &e);
  if (err) *err = e;
  return v;
}
}  // namespace

Value Eval(const std::string& name, const std::vector<Arg>& args, TypePtr* ret, std::string* err) {
  return Run(name, args, nullptr, ret, err, nullptr);
}

Value EvalLambda(const std::string& name, const std::vector<Arg>& args,
                 const std::vector<LambdaFn>& lambdas, TypePtr* ret) {
  return Run(name, args, &lambdas, ret, nullptr, nullptr);
}

std::vector<Value> EvalTable(const std::string& name, const std::vector<Arg>& args, TypePtr* ret) {
  std::vector<Value> out;
  Run(name, args, nullptr, ret, nullptr, &out);
  return out;
}

bool Resolves(const std::string& name, const std::vector<TypePtr>& types, TypePtr* ret) {
  TypePtr rt;
  bool ok = FunctionRegistry::Builtins().Resolve(name, types, &rt) != nullptr;
  if (ret) *ret = rt;
  return ok;
}

Value Arr(std::vector<Value> items) { return Value::Array(std::move(items)); }
Value Dec(const std::string& text, int scale) {
  Decimal d;
  REQUIRE(Decimal::Parse(text, scale, &d));
  return Value(d);
}
Value Str(const std::string& s) { return Value(s); }
Value Bin(const std::string& s) { return Value(Bytes{s}); }

}  // namespace sluice::testing
