// Finding the table function call (EXPLODE, ...) nested in a SELECT item, for the flat-map
// operator.
#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

const FunctionCallExpr* FindTableCall(const Expression& e, const FunctionRegistry& registry) {
  auto any = [&](std::initializer_list<const ExprPtr*> children) -> const FunctionCallExpr* {
    for (const ExprPtr* c : children)
      if (*c)
        if (const FunctionCallExpr* f = FindTableCall(**c, registry)) return f;
    return nullptr;
  };
  auto list = [&](const std::vector<ExprPtr>& children) -> const FunctionCallExpr* {
    for (const auto& c : children)
      if (c)
        if (const FunctionCallExpr* f = FindTableCall(*c, registry)) return f;
    return nullptr;
  };
  switch (e.kind) {
    case ExprKind::kLiteral:
    case ExprKind::kColumnRef:
    case ExprKind::kLambda:
      return nullptr;
    case ExprKind::kFunctionCall: {
      const auto& f = static_cast<const FunctionCallExpr&>(e);
      const FunctionInfo* info = registry.Find(f.name);
      if (info && info->is_table_function) return &f;
      return list(f.args);
    }
    case ExprKind::kDereference: return any({&static_cast<const DereferenceExpr&>(e).base});
    case ExprKind::kSubscript: {
      const auto& x = static_cast<const SubscriptExpr&>(e);
      return any({&x.base, &x.index});
    }
    case ExprKind::kArithmeticUnary:
      return any({&static_cast<const ArithmeticUnaryExpr&>(e).operand});
    case ExprKind::kArithmeticBinary: {
      const auto& x = static_cast<const ArithmeticBinaryExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kComparison: {
      const auto& x = static_cast<const ComparisonExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kLogicalBinary: {
      const auto& x = static_cast<const LogicalBinaryExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kNot: return any({&static_cast<const NotExpr&>(e).operand});
    case ExprKind::kIsNull: return any({&static_cast<const IsNullExpr&>(e).operand});
    case ExprKind::kIsDistinctFrom: {
      const auto& x = static_cast<const IsDistinctFromExpr&>(e);
      return any({&x.left, &x.right});
    }
    case ExprKind::kBetween: {
      const auto& x = static_cast<const BetweenExpr&>(e);
      return any({&x.value, &x.lower, &x.upper});
    }
    case ExprKind::kInList: {
      const auto& x = static_cast<const InListExpr&>(e);
      if (const FunctionCallExpr* f = any({&x.value})) return f;
      return list(x.list);
    }
    case ExprKind::kLike: {
      const auto& x = static_cast<const LikeExpr&>(e);
      return any({&x.value, &x.pattern});
    }
    case ExprKind::kSearchedCase: {
      const auto& x = static_cast<const SearchedCaseExpr&>(e);
      for (const auto& w : x.whens)
        if (const FunctionCallExpr* f = any({&w.condition, &w.result})) return f;
      return any({&x.else_result});
    }
    case ExprKind::kSimpleCase: {
      const auto& x = static_cast<const SimpleCaseExpr&>(e);
      if (const FunctionCallExpr* f = any({&x.operand})) return f;
      for (const auto& w : x.whens)
        if (const FunctionCallExpr* f = any({&w.condition, &w.result})) return f;
      return any({&x.else_result});
    }
    case ExprKind::kCast: return any({&static_cast<const CastExpr&>(e).operand});
    case ExprKind::kArrayConstructor:
      return list(static_cast<const ArrayConstructorExpr&>(e).items);
    case ExprKind::kMapConstructor:
      for (const auto& [k, v] : static_cast<const MapConstructorExpr&>(e).entries)
        if (const FunctionCallExpr* f = any({&k, &v})) return f;
      return nullptr;
    case ExprKind::kStructConstructor:
      for (const auto& [name, v] : static_cast<const StructConstructorExpr&>(e).fields)
        if (const FunctionCallExpr* f = any({&v})) return f;
      return nullptr;
  }
  return nullptr;
}

}  // namespace sluice::expr_compiler
