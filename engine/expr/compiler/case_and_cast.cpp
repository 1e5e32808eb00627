// CASE (searched and simple: branch results coerced to one type) and CAST.
#include <optional>
#include <utility>

#include "engine/expr/cast.h"
#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

Result<Node> Compiler::CaseResults(std::vector<Node>* results, Node* else_node) {
  std::vector<TypePtr> types;
  for (const auto& r : *results) types.push_back(r.type);
  if (else_node) types.push_back(else_node->type);
  bool all_null = true;
  for (const auto& t : types)
    if (t) all_null = false;
  if (all_null) return Status::TypeError("Invalid Case expression. All case branches have NULL type");
  TypePtr common = CommonType(types);
  if (!common) {
    std::string list;
    for (const auto& t : types) {
      if (!list.empty()) list += ", ";
      list += TypeName(t);
    }
    return Status::TypeError(
        "Invalid Case expression. Type for all 'THEN' clauses should be the same. "
        "THEN/ELSE types: " + list + ".");
  }
  for (auto& r : *results) r = CastTo(std::move(r), common);
  if (else_node) *else_node = CastTo(std::move(*else_node), common);
  Node n;
  n.type = common;
  return n;
}

// The ELSE branch of a CASE, if it has one.
Result<std::optional<Node>> Compiler::CompileElse(const ExprPtr& else_result) {
  if (!else_result) return std::optional<Node>();
  SLUICE_ASSIGN(node, Compile(*else_result));
  return std::optional<Node>(std::move(node));
}

Result<Node> Compiler::SearchedCase(const SearchedCaseExpr& e) {
  std::vector<Node> conds, results;
  for (const auto& w : e.whens) {
    SLUICE_ASSIGN(c, Compile(*w.condition));
    if (c.type && c.type->kind != TypeKind::kBoolean)
      return Status::TypeError("WHEN operand type should be boolean. Type for '" +
                               FormatExpression(*w.condition) + "' is " + c.type->ToString());
    conds.push_back(std::move(c));
    SLUICE_ASSIGN(r, Compile(*w.result));
    results.push_back(std::move(r));
  }
  SLUICE_ASSIGN(els, CompileElse(e.else_result));
  SLUICE_ASSIGN(n, CaseResults(&results, els ? &*els : nullptr));
  std::vector<std::pair<Evaluator, Evaluator>> branches;
  for (size_t i = 0; i < conds.size(); ++i) branches.emplace_back(conds[i].eval, results[i].eval);
  Evaluator else_eval = els ? els->eval : Evaluator();
  n.eval = [branches = std::move(branches), else_eval](EvalContext& ctx) -> Value {
    for (const auto& [c, r] : branches) {
      Value v = c(ctx);
      if (v.IsBool() && v.AsBool()) return r(ctx);
    }
    return else_eval ? else_eval(ctx) : Value();
  };
  std::vector<Node> all = conds;
  for (auto& r : results) all.push_back(r);
  if (els) all.push_back(*els);
  return MaybeFold(std::move(n), all);
}

Result<Node> Compiler::SimpleCase(const SimpleCaseExpr& e) {
  SLUICE_ASSIGN(op, Compile(*e.operand));
  std::vector<TypePtr> cmp_types{op.type};
  std::vector<Node> whens, results;
  for (const auto& w : e.whens) {
    SLUICE_ASSIGN(c, Compile(*w.condition));
    auto t = ComparisonOperandType(op.type, c.type, CompareOp::kEq, FormatExpression(*e.operand),
                                   FormatExpression(*w.condition));
    if (!t.ok()) return t.status();
    cmp_types.push_back(c.type);
    whens.push_back(std::move(c));
    SLUICE_ASSIGN(r, Compile(*w.result));
    results.push_back(std::move(r));
  }
  SLUICE_ASSIGN(els, CompileElse(e.else_result));
  SLUICE_ASSIGN(n, CaseResults(&results, els ? &*els : nullptr));
  TypePtr cmp = CommonType(cmp_types);
  if (!cmp) cmp = op.type;
  Node opc = CastTo(std::move(op), cmp, true);
  std::vector<std::pair<Evaluator, Evaluator>> branches;
  for (size_t i = 0; i < whens.size(); ++i)
    branches.emplace_back(CastTo(whens[i], cmp, true).eval, results[i].eval);
  Evaluator else_eval = els ? els->eval : Evaluator();
  n.eval = [o = opc.eval, branches = std::move(branches), else_eval](EvalContext& ctx) -> Value {
    Value v = o(ctx);
    if (!v.IsNull()) {
      for (const auto& [c, r] : branches) {
        Value w = c(ctx);
        if (!w.IsNull() && ValuesEqual(v, w)) return r(ctx);
      }
    }
    return else_eval ? else_eval(ctx) : Value();
  };
  std::vector<Node> all{opc};
  for (auto& w : whens) all.push_back(w);
  for (auto& r : results) all.push_back(r);
  if (els) all.push_back(*els);
  return MaybeFold(std::move(n), all);
}

Result<Node> Compiler::Cast(const CastExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  auto target = ResolveTypeSpec(*e.target, custom_types_);
  if (!target.ok()) return target.status();
  TypePtr to = target.value();
  if (!x.type) return ConstNode(Value(), to);
  if (!CanCast(*x.type, *to)) return Status::TypeError(CastErrorMessage(*x.type, *to));
  return CastTo(std::move(x), to);
}

}  // namespace sluice::expr_compiler
