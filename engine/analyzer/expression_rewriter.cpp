#include "engine/analyzer/expression_rewriter.h"

namespace sluice {

namespace {

// Rewrites one child slot; records whether anything changed.
struct Rewriter {
  const ExprReplacer& replace;
  bool changed = false;
  ExprPtr operator()(const ExprPtr& e) {
    if (!e) return e;
    ExprPtr r = RewriteExpression(e, replace);
    if (r != e) changed = true;
    return r;
  }
};

template <typename T>
ExprPtr RewriteNode(const ExprPtr& e, const ExprReplacer& replace,
                    const std::function<void(T&, Rewriter&)>& children) {
  auto copy = std::make_shared<T>(static_cast<const T&>(*e));
  Rewriter rw{replace};
  children(*copy, rw);
  return rw.changed ? ExprPtr(copy) : e;
}

}  // namespace

ExprPtr RewriteExpression(const ExprPtr& e, const ExprReplacer& replace) {
  if (!e) return e;
  if (ExprPtr r = replace(e)) return r;
  switch (e->kind) {
    case ExprKind::kLiteral:
    case ExprKind::kColumnRef: return e;
    case ExprKind::kDereference:
      return RewriteNode<DereferenceExpr>(e, replace, [](auto& n, Rewriter& rw) { n.base = rw(n.base); });
    case ExprKind::kSubscript:
      return RewriteNode<SubscriptExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.base = rw(n.base);
        n.index = rw(n.index);
      });
    case ExprKind::kFunctionCall:
      return RewriteNode<FunctionCallExpr>(e, replace, [](auto& n, Rewriter& rw) {
        for (auto& a : n.args) a = rw(a);
      });
    case ExprKind::kLambda:
      return RewriteNode<LambdaExpr>(e, replace, [](auto& n, Rewriter& rw) { n.body = rw(n.body); });
    case ExprKind::kArithmeticUnary:
      return RewriteNode<ArithmeticUnaryExpr>(e, replace, [](auto& n, Rewriter& rw) { n.operand = rw(n.operand); });
    case ExprKind::kArithmeticBinary:
      return RewriteNode<ArithmeticBinaryExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.left = rw(n.left);
        n.right = rw(n.right);
      });
    case ExprKind::kComparison:
      return RewriteNode<ComparisonExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.left = rw(n.left);
        n.right = rw(n.right);
      });
    case ExprKind::kLogicalBinary:
      return RewriteNode<LogicalBinaryExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.left = rw(n.left);
        n.right = rw(n.right);
      });
    case ExprKind::kNot:
      return RewriteNode<NotExpr>(e, replace, [](auto& n, Rewriter& rw) { n.operand = rw(n.operand); });
    case ExprKind::kIsNull:
      return RewriteNode<IsNullExpr>(e, replace, [](auto& n, Rewriter& rw) { n.operand = rw(n.operand); });
    case ExprKind::kIsDistinctFrom:
      return RewriteNode<IsDistinctFromExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.left = rw(n.left);
        n.right = rw(n.right);
      });
    case ExprKind::kBetween:
      return RewriteNode<BetweenExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.value = rw(n.value);
        n.lower = rw(n.lower);
        n.upper = rw(n.upper);
      });
    case ExprKind::kInList:
      return RewriteNode<InListExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.value = rw(n.value);
        for (auto& i : n.list) i = rw(i);
      });
    case ExprKind::kLike:
      return RewriteNode<LikeExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.value = rw(n.value);
        n.pattern = rw(n.pattern);
      });
    case ExprKind::kSearchedCase:
      return RewriteNode<SearchedCaseExpr>(e, replace, [](auto& n, Rewriter& rw) {
        for (auto& w : n.whens) {
          w.condition = rw(w.condition);
          w.result = rw(w.result);
        }
        n.else_result = rw(n.else_result);
      });
    case ExprKind::kSimpleCase:
      return RewriteNode<SimpleCaseExpr>(e, replace, [](auto& n, Rewriter& rw) {
        n.operand = rw(n.operand);
        for (auto& w : n.whens) {
          w.condition = rw(w.condition);
          w.result = rw(w.result);
        }
        n.else_result = rw(n.else_result);
      });
    case ExprKind::kCast:
      return RewriteNode<CastExpr>(e, replace, [](auto& n, Rewriter& rw) { n.operand = rw(n.operand); });
    case ExprKind::kArrayConstructor:
      return RewriteNode<ArrayConstructorExpr>(e, replace, [](auto& n, Rewriter& rw) {
        for (auto& i : n.items) i = rw(i);
      });
    case ExprKind::kMapConstructor:
      return RewriteNode<MapConstructorExpr>(e, replace, [](auto& n, Rewriter& rw) {
        for (auto& [k, v] : n.entries) {
          k = rw(k);
          v = rw(v);
        }
      });
    case ExprKind::kStructConstructor:
      return RewriteNode<StructConstructorExpr>(e, replace, [](auto& n, Rewriter& rw) {
        for (auto& f : n.fields) f.second = rw(f.second);
      });
  }
  return e;
}

void VisitExpression(const ExprPtr& expr, const std::function<void(const ExprPtr&)>& fn) {
  RewriteExpression(expr, [&fn](const ExprPtr& e) -> ExprPtr {
    fn(e);
    return nullptr;
  });
}

}  // namespace sluice
