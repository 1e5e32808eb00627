#pragma once
// Compiles an AST expression, once per query, into an evaluator: a tree of closures over the
// input row with every type decided, function overload bound, cast and literal prepared.
// Nothing walks the AST per record.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "engine/expr/function_registry.h"
#include "engine/parser/expression.h"
#include "engine/types/value.h"

namespace sluice {

// Per-record evaluation state. One per task/thread; reused between records.
struct EvalContext {
  const Row* row = nullptr;          // the input row (layout defined by the ColumnScope)
  std::vector<Value> lambda_values;  // slots for lambda parameters (sized by the compiler)
  std::string error;                 // first error of this record (UDF failure, bad cast...),
                                     // for the processing log; the caller clears it
  // Set when evaluation hits what would throw in ksqlDB's generated code (arithmetic on a NULL
  // operand: Java unboxing): the compiled expression as a whole then yields NULL. Reset by the
  // top-level evaluator of every CompiledExpression.
  bool aborted = false;
  void ReportError(const std::string& message) {
    if (error.empty()) error = message;
  }
  void Abort(const std::string& message) {
    ReportError(message);
    aborted = true;
  }
};

using Evaluator = std::function<Value(EvalContext&)>;

// Thread-safety: a compiled evaluator is immutable and may run on several threads at once,
// each with its own EvalContext. Per-call scratch (function argument vectors, the context that
// compiled lambdas read) is thread_local inside compiler/function_calls.cpp.

struct CompiledExpression {
  Evaluator eval;
  TypePtr type;  // nullptr only for an untyped NULL literal
  int lambda_slots = 0;  // EvalContext::lambda_values must hold at least this many
};

// A table function call (EXPLODE, ...) in a SELECT list, for the planner's flat-map operator:
// eval returns the zero or more values the call produces for the current row.
struct CompiledTableFunction {
  std::function<std::vector<Value>(EvalContext&)> eval;
  TypePtr element_type;  // the type of each produced value
  int lambda_slots = 0;
};

// How column references resolve: to a position in the input row, with its type. The analyzer
// implements it over a source's (or a join's) columns, pseudo columns included.
struct ColumnBinding {
  int index = -1;
  TypePtr type;
};
class ColumnScope {
 public:
  virtual ~ColumnScope() = default;
  // `qualifier` is empty for an unqualified name. Error (unknown, ambiguous) as a Status whose
  // message reads after a clause name: "column 'X' cannot be resolved."
  virtual Result<ColumnBinding> Resolve(const std::string& qualifier,
                                        const std::string& name) const = 0;
};

// Resolves a TypeSpec (as written) to a SqlType; custom type names (CREATE TYPE) via lookup,
// which returns nullptr for an unknown name.
using CustomTypeLookup = std::function<TypePtr(const std::string& name)>;
Result<TypePtr> ResolveTypeSpec(const TypeSpec& spec, const CustomTypeLookup& custom_types);

class ExpressionCompiler {
 public:
  explicit ExpressionCompiler(const FunctionRegistry& registry = FunctionRegistry::Builtins(),
                              CustomTypeLookup custom_types = nullptr);

  // Type errors, unknown functions/columns, bad casts: a Status with ksqlDB-like text.
  Result<CompiledExpression> Compile(const Expression& expr, const ColumnScope& scope) const;

  // The type an expression would have, without building the evaluator.
  Result<TypePtr> TypeOf(const Expression& expr, const ColumnScope& scope) const;

  // Table function calls, which Compile() rejects ("Table function X can only be used in the
  // SELECT list"). Error if `call` names a scalar function.
  Result<CompiledTableFunction> CompileTableFunction(const FunctionCallExpr& call,
                                                     const ColumnScope& scope) const;

  // Table functions nested inside a SELECT item: EXPLODE(A)->F1, EXPLODE(M)['k'],
  // ABS(EXPLODE(A)), CAST(EXPLODE(A) AS STRING). FindTableFunctionCall returns the first table
  // function call in `expr` (`expr` itself, or any sub-expression: dereference base,
  // subscript, function and constructor arguments, operands; lambda bodies excluded), nullptr
  // if there is none. The flat-map operator then compiles the call with CompileTableFunction,
  // stores each value it produces at input row position `row_index`, and evaluates the item
  // compiled by CompileWithTableFunctionSlot: Compile() in which that call node (by identity)
  // reads `row_index`, typed `element_type` (the CompiledTableFunction's).
  const FunctionCallExpr* FindTableFunctionCall(const Expression& expr) const;
  Result<CompiledExpression> CompileWithTableFunctionSlot(const Expression& expr,
                                                          const FunctionCallExpr& call,
                                                          int row_index, TypePtr element_type,
                                                          const ColumnScope& scope) const;

 private:
  const FunctionRegistry& registry_;
  CustomTypeLookup custom_types_;
};

}  // namespace sluice
