#pragma once
// The one registry of built-in functions. Each entry carries its name, category, description
// and overloads; SHOW FUNCTIONS, DESCRIBE FUNCTION and the expression compiler all read it.
//
// How a call is bound (engine/expr compiler):
//   1. the argument expressions are typed; an untyped NULL literal has type nullptr;
//   2. for each overload in order: if the arity fits, lambda arguments are typed by asking
//      lambda_param_types (with nullptr at lambda positions), their bodies compiled, and
//      resolve() is called with every argument's type (a lambda position holds the type of the
//      lambda's body). The first overload whose resolve() returns a type wins;
//   3. per record, impl() gets the evaluated arguments (NULL at lambda positions) and the
//      CallContext, which holds the bound types and the compiled lambdas.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice {

using LambdaFn = std::function<Value(const std::vector<Value>& params)>;

struct CallContext {
  const std::vector<TypePtr>* arg_types = nullptr;  // bound argument types (see above)
  TypePtr return_type;                               // what resolve() returned
  const std::vector<LambdaFn>* lambdas = nullptr;    // compiled lambdas, in argument order
  const LambdaFn& lambda(size_t i) const { return (*lambdas)[i]; }
};

// Scalar implementation. Must not throw for bad data: return NULL (ksqlDB logs UDF errors
// to the processing log and yields null); an error string may be set in *error for the log.
using ScalarImpl = std::function<Value(const std::vector<Value>& args, const CallContext& ctx,
                                       std::string* error)>;
// Table function implementation: zero or more output values per input row.
using TableImpl = std::function<std::vector<Value>(const std::vector<Value>& args,
                                                   const CallContext& ctx, std::string* error)>;

enum class NullPolicy {
  kNullOnAnyNull,  // the compiler short-cuts: any NULL argument -> NULL, impl never sees NULL
  kCustom,         // impl handles NULL arguments itself
};

struct FunctionOverload {
  std::string signature;  // for DESCRIBE FUNCTION, e.g. "SUBSTRING(str STRING, pos INT) => STRING"
  int min_args = 0;
  int max_args = 0;       // -1: variadic
  std::vector<int> lambda_args;  // argument positions that take a lambda
  std::function<std::vector<TypePtr>(const std::vector<TypePtr>& arg_types, int position)>
      lambda_param_types;
  std::function<TypePtr(const std::vector<TypePtr>& arg_types)> resolve;
  // Optional: when resolve() rejects the arguments, whether that is because several of
  // ksqlDB's overloads would take them (its "cannot be resolved due to ambiguous method
  // parameters" error) rather than none.
  std::function<bool(const std::vector<TypePtr>& arg_types)> ambiguous;
  NullPolicy null_policy = NullPolicy::kNullOnAnyNull;
  ScalarImpl impl;        // scalar functions
  TableImpl table_impl;   // table functions (EXPLODE, ...)
};

struct FunctionInfo {
  std::string name;         // upper case
  std::string category;     // e.g. "STRING", "MATHEMATICAL", "DATE / TIME", "ARRAY", "TABLE"
  std::string description;  // written for Sluice
  bool is_table_function = false;
  // An aggregate (COUNT, SUM, ...): listed by SHOW/DESCRIBE FUNCTION, typed by its overloads'
  // resolve(), but never bound as a scalar call; aggregate_function.h runs it.
  bool is_aggregate = false;
  std::vector<FunctionOverload> overloads;
};

class FunctionRegistry {
 public:
  // The registry with every built-in function; built once, immutable, thread-safe to read.
  static const FunctionRegistry& Builtins();

  void Add(FunctionInfo info);  // appends overloads if the name exists
  const FunctionInfo* Find(const std::string& upper_name) const;
  // Binds a call with no lambda arguments: the first overload whose resolve() accepts
  // arg_types, with its result type in *return_type; nullptr if none (or unknown name).
  const FunctionOverload* Resolve(const std::string& upper_name,
                                  const std::vector<TypePtr>& arg_types,
                                  TypePtr* return_type) const;
  const std::map<std::string, FunctionInfo>& All() const { return functions_; }

 private:
  std::map<std::string, FunctionInfo> functions_;
};

// Helpers for writing overloads compactly.
namespace fn {
// Does an argument of type `actual` (nullptr = NULL literal) fit a parameter of `wanted` kind
// with ksqlDB's implicit widening (INT -> BIGINT -> DECIMAL -> DOUBLE)?
bool Accepts(TypeKind wanted, const TypePtr& actual);
// Overload with fixed parameter kinds and a fixed result type.
FunctionOverload Simple(std::string signature, std::vector<TypeKind> params, TypePtr result,
                        ScalarImpl impl, NullPolicy policy = NullPolicy::kNullOnAnyNull);
}  // namespace fn

// Registration entry points, one per family (engine/expr/functions/*.cpp).
void RegisterStringFunctions(FunctionRegistry& r);
void RegisterMathFunctions(FunctionRegistry& r);
void RegisterJsonFunctions(FunctionRegistry& r);
void RegisterCollectionFunctions(FunctionRegistry& r);  // ARRAY, MAP, STRUCT, lambdas
void RegisterMiscFunctions(FunctionRegistry& r);        // URL, regex, encode, hashing, ...
void RegisterDateTimeFunctions(FunctionRegistry& r);
void RegisterTableFunctions(FunctionRegistry& r);       // EXPLODE, CUBE_EXPLODE
void RegisterAggregateFunctions(FunctionRegistry& r);   // catalog entries (expr/aggregates/)

}  // namespace sluice
