// Predicates: IS [NOT] NULL, IS [NOT] DISTINCT FROM, BETWEEN, IN and LIKE.
#include <optional>
#include <unordered_map>

#include "engine/expr/compiler/compiler_internal.h"
#include "engine/expr/like_matcher.h"

namespace sluice::expr_compiler {

Result<Node> Compiler::IsNull(const IsNullExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  n.eval = [a = std::move(x.eval), neg](EvalContext& ctx) -> Value {
    return Value(a(ctx).IsNull() != neg);
  };
  return MaybeFold(std::move(n), {&x});
}

Result<Node> Compiler::IsDistinct(const IsDistinctFromExpr& e) {
  Node l, r;
  SLUICE_RETURN_IF_ERROR(ComparePair(*e.left, *e.right,
                                     e.negated ? CompareOp::kIsNotDistinctFrom
                                               : CompareOp::kIsDistinctFrom,
                                     &l, &r));
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  n.eval = [a = std::move(l.eval), b = std::move(r.eval), neg](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    Value y = b(ctx);
    bool distinct;
    if (x.IsNull() || y.IsNull()) distinct = x.IsNull() != y.IsNull();
    else distinct = !ValuesEqual(x, y);
    return Value(distinct != neg);
  };
  return MaybeFold(std::move(n), {&l, &r});
}

Result<Node> Compiler::Between(const BetweenExpr& e) {
  SLUICE_ASSIGN(v, Compile(*e.value));
  SLUICE_ASSIGN(lo, Compile(*e.lower));
  SLUICE_ASSIGN(hi, Compile(*e.upper));
  auto t = ComparisonOperandType(v.type, lo.type, CompareOp::kGe, FormatExpression(*e.value),
                                 FormatExpression(*e.lower));
  if (!t.ok()) return t.status();
  auto t2 = ComparisonOperandType(t.value() ? t.value() : v.type, hi.type, CompareOp::kLe,
                                  FormatExpression(*e.value), FormatExpression(*e.upper));
  if (!t2.ok()) return t2.status();
  TypePtr common = t2.value();
  if (common && t.value() && !TypeEquals(common, t.value()) && !(common->IsNumeric() && t.value()->IsNumeric())) {
    return Status::TypeError("Cannot compare " + FormatExpression(*e.lower) + " (" +
                             TypeName(lo.type) + ") to " + FormatExpression(*e.upper) + " (" +
                             TypeName(hi.type) + ") in BETWEEN.");
  }
  Node vc = CastTo(std::move(v), common, true);
  Node lc = CastTo(std::move(lo), common, true);
  Node hc = CastTo(std::move(hi), common, true);
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  n.eval = [a = vc.eval, b = lc.eval, c = hc.eval, neg](EvalContext& ctx) -> Value {
    // value >= lower AND value <= upper, with three-valued logic; NOT negates.
    Value x = a(ctx);
    if (x.IsNull()) return Value();
    Value l = b(ctx);
    Value h = c(ctx);
    std::optional<bool> ge, le;
    if (!l.IsNull()) ge = CompareValues(x, l) >= 0;
    if (!h.IsNull()) le = CompareValues(x, h) <= 0;
    std::optional<bool> res;
    if ((ge && !*ge) || (le && !*le)) res = false;
    else if (ge && le) res = true;
    if (!res) return Value();
    return Value(*res != neg);
  };
  return MaybeFold(std::move(n), {&vc, &lc, &hc});
}

Result<Node> Compiler::InList(const InListExpr& e) {
  // The value and the non-NULL items, coerced to their common type.
  std::vector<const Expression*> exprs{e.value.get()};
  for (const auto& item : e.list)
    if (!IsNullLiteral(*item)) exprs.push_back(item.get());
  std::vector<Node> nodes;
  TypePtr common;
  for (const Expression* x : exprs) {
    SLUICE_ASSIGN(n, Compile(*x));
    SLUICE_ASSIGN(t, UserListCommonType(*x, n.type, common));
    common = t;
    nodes.push_back(std::move(n));
  }
  std::vector<Node> conv;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!common) {
      conv.push_back(std::move(nodes[i]));
      continue;
    }
    SLUICE_ASSIGN(c, UserListConvert(*exprs[i], std::move(nodes[i]), common));
    conv.push_back(std::move(c));
  }
  std::vector<Evaluator> evals;
  for (size_t i = 1; i < conv.size(); ++i) evals.push_back(conv[i].eval);
  Node n;
  n.type = SqlType::Boolean();
  const bool neg = e.negated;
  // InListEvaluator.matches: a NULL value or item never matches (no SQL NULL result).
  n.eval = [a = conv[0].eval, evals = std::move(evals), neg](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (x.IsNull()) return Value(neg);
    for (const auto& ev : evals) {
      Value y = ev(ctx);
      if (!y.IsNull() && ValuesEqual(x, y)) return Value(!neg);
    }
    return Value(neg);
  };
  return MaybeFold(std::move(n), conv);
}

namespace {

// Patterns from data: a small per-thread cache of compiled matchers. nullptr (the error
// reported) for an invalid pattern.
const LikeMatcher* CachedLikeMatcher(const std::string& pattern, const std::string& escape,
                                     EvalContext& ctx) {
  thread_local std::unordered_map<std::string, LikeMatcher> cache;
  std::string key = escape;
  key += '\0';
  key += pattern;
  auto it = cache.find(key);
  if (it == cache.end()) {
    auto m = LikeMatcher::Compile(pattern, escape);
    if (!m.ok()) {
      ctx.ReportError(m.status().message());
      return nullptr;
    }
    if (cache.size() >= 1024) cache.clear();
    it = cache.emplace(std::move(key), std::move(m.value())).first;
  }
  return &it->second;
}

}  // namespace

Result<Node> Compiler::Like(const LikeExpr& e) {
  SLUICE_ASSIGN(v, Compile(*e.value));
  SLUICE_ASSIGN(p, Compile(*e.pattern));
  if (v.type && v.type->kind != TypeKind::kString)
    return Status::TypeError("LIKE can only be applied to STRING values, but " +
                             FormatExpression(*e.value) + " is of type " + v.type->ToString() +
                             ".");
  if (p.type && p.type->kind != TypeKind::kString)
    return Status::TypeError("LIKE pattern must be a STRING, but " + FormatExpression(*e.pattern) +
                             " is of type " + p.type->ToString() + ".");
  const bool neg = e.negated;
  Node n;
  n.type = SqlType::Boolean();
  if (p.is_const) {
    if (p.constant.IsNull()) return ConstNode(Value(), SqlType::Boolean());
    auto m = LikeMatcher::Compile(p.constant.AsString(), e.escape);
    if (!m.ok()) return m.status();
    n.eval = [a = std::move(v.eval), m = std::move(m.value()), neg](EvalContext& ctx) -> Value {
      Value x = a(ctx);
      if (!x.IsString()) return Value();
      return Value(m.Matches(x.AsString()) != neg);
    };
    return MaybeFold(std::move(n), {&v});
  }
  std::string escape = e.escape;
  if (escape.size() > 4) return Status::InvalidArgument("Escape string must be a single character");
  n.eval = [a = std::move(v.eval), b = std::move(p.eval), escape, neg](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (!x.IsString()) return Value();
    Value pat = b(ctx);
    if (!pat.IsString()) return Value();
    const LikeMatcher* m = CachedLikeMatcher(pat.AsString(), escape, ctx);
    if (!m) return Value();
    return Value(m->Matches(x.AsString()) != neg);
  };
  return n;
}

}  // namespace sluice::expr_compiler
