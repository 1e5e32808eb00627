#pragma once
// Private to the expression compiler (engine/expr/expression_compiler.cpp and compiler/*.cpp):
// the Compiler that turns one AST expression into a tree of closures, the Node it builds, and
// the helpers its compile steps share. Nothing outside the compiler includes this.
//
// Each AST node compiles to a Node: an Evaluator (closure capturing its children's evaluators
// and pre-resolved state), its SQL type, and, when the subtree is made of literals only and
// evaluates without error, its constant value (constant folding: the evaluator then just
// returns the captured Value).
//
// The Compiler's methods live in one file per concern:
//   dispatch.cpp            Compile(): the switch over expression kinds
//   nodes.cpp               constants, folding, implicit casts, common types, SQL equality
//   access.cpp              literals, column and lambda-parameter references, ->, [ ]
//   function_calls.cpp      overload binding, lambdas, scalar and table function evaluation
//   operators.cpp           arithmetic, comparisons, AND/OR/NOT
//   predicates.cpp          IS NULL, IS DISTINCT FROM, BETWEEN, IN, LIKE
//   case_and_cast.cpp       searched and simple CASE, CAST
//   constructors.cpp        ARRAY[...], MAP(...), STRUCT(...)
//   user_list_coercion.cpp  ksqlDB's coercion of IN lists and constructor elements
//   table_function_search.cpp  finding a table function call nested in a SELECT item
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/expr/arithmetic.h"
#include "engine/expr/expression_compiler.h"

// `auto lhs = <value of the Result expr>`, returning its Status from the enclosing function
// on error.
#define SLUICE_ASSIGN(lhs, expr)                 \
  auto lhs##_r = (expr);                         \
  if (!lhs##_r.ok()) return lhs##_r.status();    \
  auto lhs = std::move(lhs##_r.value())

namespace sluice::expr_compiler {

struct Node {
  Evaluator eval;
  TypePtr type;
  bool is_const = false;
  Value constant;
};

// ---- node helpers (nodes.cpp) ------------------------------------------------------------------

Node ConstNode(Value v, TypePtr type);

// Folds `n` to a constant if every child was constant and it evaluates without error.
Node MaybeFold(Node n, std::initializer_list<const Node*> children);
Node MaybeFold(Node n, const std::vector<Node>& children);

// Wraps a node so its values are converted to `to` (no-op when already of that type, or for
// numeric pairs when `numeric_ok`, since CompareValues compares across numeric kinds).
Node CastTo(Node n, const TypePtr& to, bool numeric_ok = false);

std::string TypeName(const TypePtr& t);

inline bool IsKind(const TypePtr& t, TypeKind k) { return t && t->kind == k; }

// The common super type of `types`, structs with different field sets merged (the union of
// fields in first-seen order, common fields widened). nullptr if there is none.
TypePtr CommonType(const std::vector<TypePtr>& types);

// SQL equality of two values of comparable types (after coercion), as ksqlDB evaluates `=`, IS
// [NOT] DISTINCT FROM, IN and simple CASE: numbers by value across kinds, ARRAY element-wise,
// MAP by key lookup (entry order does not matter), STRUCT field by field name. NULLs nested
// inside composites equal each other; top-level NULL handling is the caller's.
bool ValuesEqual(const Value& a, const Value& b);

// ---- literal classification (user_list_coercion.cpp) -------------------------------------------

bool IsNullLiteral(const Expression& e);

// ---- function calls (function_calls.cpp) -------------------------------------------------------

struct LambdaParam {
  std::string name;
  int slot;
  TypePtr type;
};

struct BoundCall {
  const FunctionOverload* overload = nullptr;
  std::vector<Evaluator> args;  // empty Evaluator at lambda positions
  std::vector<bool> is_lambda;
  std::vector<TypePtr> arg_types;
  TypePtr return_type;
  std::vector<LambdaFn> lambdas;
  CallContext cc;  // points into this object: keep BoundCall behind a shared_ptr
  bool null_short = false;
  bool all_const = true;
};

// The per-row evaluator of a bound table function call: the values it produces.
std::function<std::vector<Value>(EvalContext&)> TableFunctionEvaluator(
    std::shared_ptr<BoundCall> bc);

// ---- table function search (table_function_search.cpp) -----------------------------------------

// The first table function call in `e` (itself or a sub-expression, lambda bodies excluded).
const FunctionCallExpr* FindTableCall(const Expression& e, const FunctionRegistry& registry);

// ---- the compiler ------------------------------------------------------------------------------

class Compiler {
 public:
  Compiler(const FunctionRegistry& registry, const CustomTypeLookup& custom_types,
           const ColumnScope& scope)
      : registry_(registry), custom_types_(custom_types), scope_(scope) {}

  Result<Node> Compile(const Expression& e);
  Result<std::shared_ptr<BoundCall>> Bind(const FunctionCallExpr& call, bool table);
  int slots() const { return next_slot_; }
  // The table function call `call` (a node of the compiled expression) reads row[index].
  void SetTableFunctionSlot(const FunctionCallExpr* call, int index, TypePtr type) {
    tf_call_ = call;
    tf_index_ = index;
    tf_type_ = std::move(type);
  }

 private:
  // access.cpp
  Result<Node> Literal(const LiteralExpr& e);
  Result<Node> ColumnRef(const ColumnRefExpr& e);
  Result<Node> Dereference(const DereferenceExpr& e);
  Result<Node> Subscript(const SubscriptExpr& e);
  Result<Node> ArraySubscript(const SubscriptExpr& e, Node base, Node index);
  Result<Node> MapSubscript(const SubscriptExpr& e, Node base, Node index);

  // function_calls.cpp
  Result<Node> FunctionCall(const FunctionCallExpr& e);
  // Compiles the lambda arguments of `call` for overload `ov`, setting their entries of
  // `types` to the bodies' types. False if `ov` does not fit them; a body's compile error is
  // kept in `*error` (the first one wins, reported if no overload fits).
  bool CompileLambdaArgs(const FunctionCallExpr& call, const FunctionOverload& ov,
                         const std::vector<TypePtr>& base_types, std::vector<TypePtr>* types,
                         std::vector<LambdaFn>* lambdas, std::optional<Status>* error);
  // A lambda argument compiled for an overload whose parameters have `param_types`: its
  // parameters take fresh lambda slots while the body compiles. `body_type` receives the
  // body's type.
  Result<LambdaFn> CompileLambda(const LambdaExpr& lambda, const std::vector<TypePtr>& param_types,
                                 TypePtr* body_type);

  // operators.cpp
  Result<Node> ArithUnary(const ArithmeticUnaryExpr& e);
  Result<Node> ArithBinary(const ArithmeticBinaryExpr& e);
  Result<Node> Comparison(const ComparisonExpr& e);
  Result<Node> Logical(const LogicalBinaryExpr& e);
  Result<Node> Not(const NotExpr& e);
  // Compiles both operands of a comparison, casts them to the common type.
  Status ComparePair(const Expression& l, const Expression& r, CompareOp op, Node* ln, Node* rn);

  // predicates.cpp
  Result<Node> IsNull(const IsNullExpr& e);
  Result<Node> IsDistinct(const IsDistinctFromExpr& e);
  Result<Node> Between(const BetweenExpr& e);
  Result<Node> InList(const InListExpr& e);
  Result<Node> Like(const LikeExpr& e);

  // case_and_cast.cpp
  Result<Node> SearchedCase(const SearchedCaseExpr& e);
  Result<Node> SimpleCase(const SimpleCaseExpr& e);
  Result<Node> CaseResults(std::vector<Node>* results, Node* else_node);
  Result<std::optional<Node>> CompileElse(const ExprPtr& else_result);
  Result<Node> Cast(const CastExpr& e);

  // constructors.cpp
  Result<Node> ArrayCtor(const ArrayConstructorExpr& e);
  Result<Node> MapCtor(const MapConstructorExpr& e);
  Result<TypePtr> ArrayElementType(const ArrayConstructorExpr& e,
                                   const std::vector<TypePtr>& types);
  // The common type of the map's keys (`key_side`) or values, of types `types`.
  Result<TypePtr> MapSideType(const MapConstructorExpr& e, bool key_side,
                              const std::vector<TypePtr>& types);
  Result<Node> StructCtor(const StructConstructorExpr& e);

  // user_list_coercion.cpp
  // IN lists (ksqlDB's CoercionUtil.coerceUserList): the common type of `target` (the type so
  // far) and `e`, of type `etype`. Literals coerce leniently (STRING literals parse as numbers
  // or booleans, other literals render as STRING); constructors resolve element-wise.
  Result<TypePtr> UserListCommonType(const Expression& e, const TypePtr& etype,
                                     const TypePtr& target);
  // "operator does not exist: T1 = T2", flagging coercion_failed_.
  Status UserListMismatch(const Expression& e, const TypePtr& etype, const TypePtr& target);
  // The constructor case of UserListCommonType; nullopt when `e` is not a constructor.
  std::optional<Result<TypePtr>> UserListConstructorType(const Expression& e,
                                                         const TypePtr& etype,
                                                         const TypePtr& target);
  Result<TypePtr> UserListElementwiseType(const Expression& e, const TypePtr& target);
  Result<TypePtr> UserListStructType(const StructConstructorExpr& e, const TypePtr& target);
  // The common type of `exprs` (NULL literals skipped) starting from `target`.
  Result<TypePtr> UserListStructuredType(const TypePtr& target,
                                         const std::vector<const Expression*>& exprs);
  // `e` (of type `etype`) converted to `common`: literals at compile time, others by CAST.
  Result<Node> UserListConvert(const Expression& e, Node n, const TypePtr& common);
  bool coercion_failed_ = false;  // set by UserListCommonType's "operator does not exist"

  const FunctionRegistry& registry_;
  const CustomTypeLookup& custom_types_;
  const ColumnScope& scope_;
  std::vector<LambdaParam> frames_;  // innermost last
  int next_slot_ = 0;
  const FunctionCallExpr* tf_call_ = nullptr;
  int tf_index_ = -1;
  TypePtr tf_type_;
};

}  // namespace sluice::expr_compiler
