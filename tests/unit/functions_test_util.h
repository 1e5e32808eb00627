#pragma once
// Helpers for the built-in function tests: bind a call through the registry and run it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/expr/function_registry.h"

namespace sluice::testing {

TypePtr InferType(const Value& v);

// One argument: a value and its SQL type (inferred unless given; nullptr = NULL literal).
struct Arg {
  TypePtr type;
  Value value;
  Arg(const char* s) : type(SqlType::String()), value(s) {}         // NOLINT
  Arg(std::string s) : type(SqlType::String()), value(std::move(s)) {}  // NOLINT
  Arg(int32_t v) : type(SqlType::Integer()), value(v) {}            // NOLINT
  Arg(int64_t v) : type(SqlType::Bigint()), value(v) {}             // NOLINT
  Arg(double v) : type(SqlType::Double()), value(v) {}              // NOLINT
  Arg(bool v) : type(SqlType::Boolean()), value(Value(v)) {}        // NOLINT
  Arg(Value v) : type(InferType(v)), value(std::move(v)) {}         // NOLINT
  Arg(TypePtr t, Value v) : type(std::move(t)), value(std::move(v)) {}
};

inline Arg NullLit() { return Arg(TypePtr(), Value()); }
inline Arg NullOf(TypePtr t) { return Arg(std::move(t), Value()); }

// Resolves and evaluates name(args); simulates the compiler's NULL short-cut for
// kNullOnAnyNull overloads. Fails the test if the call does not resolve.
Value Eval(const std::string& name, const std::vector<Arg>& args, TypePtr* ret = nullptr,
           std::string* err = nullptr);
// Calls with lambdas: lambda positions hold Arg(body type, NULL).
Value EvalLambda(const std::string& name, const std::vector<Arg>& args,
                 const std::vector<LambdaFn>& lambdas, TypePtr* ret = nullptr);
std::vector<Value> EvalTable(const std::string& name, const std::vector<Arg>& args,
                             TypePtr* ret = nullptr);
// Does name(types) resolve? Its result type in *ret.
bool Resolves(const std::string& name, const std::vector<TypePtr>& types, TypePtr* ret = nullptr);

Value Arr(std::vector<Value> items);
Value Dec(const std::string& text, int scale);  // a DECIMAL value; text that does not parse fails the test
Value Str(const std::string& s);
Value Bin(const std::string& s);

}  // namespace sluice::testing
