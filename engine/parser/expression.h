#pragma once
// The expression AST: plain C++ nodes with source positions, independent of ANTLR.
// Built by AstBuilder, consumed by the analyzer and the expression compiler.
#include <memory>
#include <string>
#include <vector>

#include "engine/types/value.h"

namespace sluice {

struct SourcePos {
  int line = 0;    // 1-based
  int column = 0;  // 1-based, as ksqlDB reports positions
};

struct TypeSpec;
using TypeSpecPtr = std::shared_ptr<TypeSpec>;

// A type as written: primitive, DECIMAL(p,s), ARRAY/MAP/STRUCT or a custom (CREATE TYPE) name
// that the analyzer resolves against the metastore.
struct TypeSpec {
  enum class Kind { kPrimitive, kDecimal, kArray, kMap, kStruct, kCustom };
  Kind kind = Kind::kPrimitive;
  TypeKind primitive = TypeKind::kString;  // kPrimitive
  int precision = 0, scale = 0;            // kDecimal
  std::string custom_name;                 // kCustom (upper-cased unless quoted)
  std::vector<TypeSpecPtr> children;       // kArray: element; kMap: key, value; kStruct: fields
  std::vector<std::string> field_names;    // kStruct
  SourcePos pos;

  std::string ToString() const;  // ksqlDB's rendering, e.g. STRUCT<`A` INTEGER>
};

enum class ExprKind {
  kLiteral, kColumnRef, kDereference, kSubscript, kFunctionCall, kLambda, kArithmeticUnary,
  kArithmeticBinary, kComparison, kLogicalBinary, kNot, kIsNull, kIsDistinctFrom, kBetween,
  kInList, kLike, kSearchedCase, kSimpleCase, kCast, kArrayConstructor, kMapConstructor,
  kStructConstructor
};

enum class ArithmeticOp { kAdd, kSubtract, kMultiply, kDivide, kModulus };
enum class ComparisonOp { kEq, kNeq, kLt, kLte, kGt, kGte };
enum class LogicalOp { kAnd, kOr };

struct Expression;
using ExprPtr = std::shared_ptr<Expression>;

struct Expression {
  ExprKind kind;
  SourcePos pos;
  explicit Expression(ExprKind k) : kind(k) {}
  virtual ~Expression() = default;
};

// A literal. INTEGER_VALUE becomes INT (or BIGINT if it does not fit), 1.5 a DECIMAL with the
// written precision/scale, 1.5E3 a DOUBLE, as ksqlDB types them.
struct LiteralExpr : Expression {
  enum class Kind { kNull, kBoolean, kInteger, kBigint, kDecimal, kDouble, kString };
  Kind literal_kind = Kind::kNull;
  Value value;
  std::string text;  // as written (decimal digits, string contents unescaped)
  LiteralExpr() : Expression(ExprKind::kLiteral) {}
};

// A column, optionally qualified by its source or alias (`T.ID`). Unquoted names upper-case.
struct ColumnRefExpr : Expression {
  std::string qualifier;  // empty if unqualified
  std::string name;
  ColumnRefExpr() : Expression(ExprKind::kColumnRef) {}
};

// Struct field access `base->field`.
struct DereferenceExpr : Expression {
  ExprPtr base;
  std::string field;
  DereferenceExpr() : Expression(ExprKind::kDereference) {}
};

// Array (1-based, negative from the end) or map subscript `base[index]`.
struct SubscriptExpr : Expression {
  ExprPtr base, index;
  SubscriptExpr() : Expression(ExprKind::kSubscript) {}
};

struct FunctionCallExpr : Expression {
  std::string name;  // upper case
  std::vector<ExprPtr> args;
  bool star = false;  // COUNT(*)
  FunctionCallExpr() : Expression(ExprKind::kFunctionCall) {}
};

// `x => body` or `(x, y) => body`; the parameters are referenced in the body as ColumnRefs.
struct LambdaExpr : Expression {
  std::vector<std::string> params;
  ExprPtr body;
  LambdaExpr() : Expression(ExprKind::kLambda) {}
};

struct ArithmeticUnaryExpr : Expression {
  bool negate = true;  // false for unary plus
  ExprPtr operand;
  ArithmeticUnaryExpr() : Expression(ExprKind::kArithmeticUnary) {}
};

struct ArithmeticBinaryExpr : Expression {
  ArithmeticOp op;
  ExprPtr left, right;
  ArithmeticBinaryExpr() : Expression(ExprKind::kArithmeticBinary) {}
};

struct ComparisonExpr : Expression {
  ComparisonOp op;
  ExprPtr left, right;
  ComparisonExpr() : Expression(ExprKind::kComparison) {}
};

struct LogicalBinaryExpr : Expression {
  LogicalOp op;
  ExprPtr left, right;
  LogicalBinaryExpr() : Expression(ExprKind::kLogicalBinary) {}
};

struct NotExpr : Expression {
  ExprPtr operand;
  NotExpr() : Expression(ExprKind::kNot) {}
};

struct IsNullExpr : Expression {
  ExprPtr operand;
  bool negated = false;  // IS NOT NULL
  IsNullExpr() : Expression(ExprKind::kIsNull) {}
};

struct IsDistinctFromExpr : Expression {
  ExprPtr left, right;
  bool negated = false;  // IS NOT DISTINCT FROM
  IsDistinctFromExpr() : Expression(ExprKind::kIsDistinctFrom) {}
};

struct BetweenExpr : Expression {
  ExprPtr value, lower, upper;
  bool negated = false;
  BetweenExpr() : Expression(ExprKind::kBetween) {}
};

struct InListExpr : Expression {
  ExprPtr value;
  std::vector<ExprPtr> list;
  bool negated = false;
  InListExpr() : Expression(ExprKind::kInList) {}
};

struct LikeExpr : Expression {
  ExprPtr value, pattern;
  std::string escape;  // empty: no ESCAPE clause
  bool negated = false;
  LikeExpr() : Expression(ExprKind::kLike) {}
};

struct WhenClause {
  ExprPtr condition, result;
};

struct SearchedCaseExpr : Expression {
  std::vector<WhenClause> whens;
  ExprPtr else_result;  // may be null
  SearchedCaseExpr() : Expression(ExprKind::kSearchedCase) {}
};

struct SimpleCaseExpr : Expression {
  ExprPtr operand;
  std::vector<WhenClause> whens;  // condition holds the value compared with the operand
  ExprPtr else_result;
  SimpleCaseExpr() : Expression(ExprKind::kSimpleCase) {}
};

struct CastExpr : Expression {
  ExprPtr operand;
  TypeSpecPtr target;
  CastExpr() : Expression(ExprKind::kCast) {}
};

struct ArrayConstructorExpr : Expression {
  std::vector<ExprPtr> items;
  ArrayConstructorExpr() : Expression(ExprKind::kArrayConstructor) {}
};

struct MapConstructorExpr : Expression {
  std::vector<std::pair<ExprPtr, ExprPtr>> entries;
  MapConstructorExpr() : Expression(ExprKind::kMapConstructor) {}
};

struct StructConstructorExpr : Expression {
  std::vector<std::pair<std::string, ExprPtr>> fields;
  StructConstructorExpr() : Expression(ExprKind::kStructConstructor) {}
};

// ksqlDB-style text of an expression, e.g. `(A + 1)`, `CAST(X AS STRING)`, `S->F`; used for
// messages, EXPLAIN and generated column names.
std::string FormatExpression(const Expression& e);

const char* ComparisonOpSymbol(ComparisonOp op);
const char* ArithmeticOpSymbol(ArithmeticOp op);

}  // namespace sluice
