// Compiler::Compile: the one switch from an expression kind to the step that compiles it.
#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

Result<Node> Compiler::Compile(const Expression& e) {
  switch (e.kind) {
    case ExprKind::kLiteral: return Literal(static_cast<const LiteralExpr&>(e));
    case ExprKind::kColumnRef: return ColumnRef(static_cast<const ColumnRefExpr&>(e));
    case ExprKind::kDereference: return Dereference(static_cast<const DereferenceExpr&>(e));
    case ExprKind::kSubscript: return Subscript(static_cast<const SubscriptExpr&>(e));
    case ExprKind::kFunctionCall: return FunctionCall(static_cast<const FunctionCallExpr&>(e));
    case ExprKind::kLambda:
      return Status::TypeError("Lambda expressions can only be used as function arguments: " +
                               FormatExpression(e));
    case ExprKind::kArithmeticUnary: return ArithUnary(static_cast<const ArithmeticUnaryExpr&>(e));
    case ExprKind::kArithmeticBinary:
      return ArithBinary(static_cast<const ArithmeticBinaryExpr&>(e));
    case ExprKind::kComparison: return Comparison(static_cast<const ComparisonExpr&>(e));
    case ExprKind::kLogicalBinary: return Logical(static_cast<const LogicalBinaryExpr&>(e));
    case ExprKind::kNot: return Not(static_cast<const NotExpr&>(e));
    case ExprKind::kIsNull: return IsNull(static_cast<const IsNullExpr&>(e));
    case ExprKind::kIsDistinctFrom: return IsDistinct(static_cast<const IsDistinctFromExpr&>(e));
    case ExprKind::kBetween: return Between(static_cast<const BetweenExpr&>(e));
    case ExprKind::kInList: return InList(static_cast<const InListExpr&>(e));
    case ExprKind::kLike: return Like(static_cast<const LikeExpr&>(e));
    case ExprKind::kSearchedCase: return SearchedCase(static_cast<const SearchedCaseExpr&>(e));
    case ExprKind::kSimpleCase: return SimpleCase(static_cast<const SimpleCaseExpr&>(e));
    case ExprKind::kCast: return Cast(static_cast<const CastExpr&>(e));
    case ExprKind::kArrayConstructor: return ArrayCtor(static_cast<const ArrayConstructorExpr&>(e));
    case ExprKind::kMapConstructor: return MapCtor(static_cast<const MapConstructorExpr&>(e));
    case ExprKind::kStructConstructor:
      return StructCtor(static_cast<const StructConstructorExpr&>(e));
  }
  return Status::NotSupported("Unsupported expression: " + FormatExpression(e));
}

}  // namespace sluice::expr_compiler
