// Arithmetic (unary and binary, STRING concatenation), comparisons and AND/OR/NOT.
#include "engine/expr/compiler/compiler_internal.h"

namespace sluice::expr_compiler {

namespace {

ArithOp ToArithOp(ArithmeticOp op) {
  switch (op) {
    case ArithmeticOp::kAdd: return ArithOp::kAdd;
    case ArithmeticOp::kSubtract: return ArithOp::kSubtract;
    case ArithmeticOp::kMultiply: return ArithOp::kMultiply;
    case ArithmeticOp::kDivide: return ArithOp::kDivide;
    case ArithmeticOp::kModulus: return ArithOp::kModulus;
  }
  return ArithOp::kAdd;
}

CompareOp ToCompareOp(ComparisonOp op) {
  switch (op) {
    case ComparisonOp::kEq: return CompareOp::kEq;
    case ComparisonOp::kNeq: return CompareOp::kNe;
    case ComparisonOp::kLt: return CompareOp::kLt;
    case ComparisonOp::kLte: return CompareOp::kLe;
    case ComparisonOp::kGt: return CompareOp::kGt;
    case ComparisonOp::kGte: return CompareOp::kGe;
  }
  return CompareOp::kEq;
}

// ksqlDB's comparisons are two-valued: a NULL operand makes =, <>, <, <=, > and >= FALSE (not
// NULL), so NOT (a = b) is TRUE when either side is NULL.
template <typename Pred>
Evaluator CompareEval(Evaluator a, Evaluator b, Pred pred) {
  return [a = std::move(a), b = std::move(b), pred](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (x.IsNull()) return Value(false);
    Value y = b(ctx);
    if (y.IsNull()) return Value(false);
    return Value(pred(CompareValues(x, y)));
  };
}

Evaluator EqualEval(Evaluator a, Evaluator b, bool negate) {
  return [a = std::move(a), b = std::move(b), negate](EvalContext& ctx) -> Value {
    Value x = a(ctx);
    if (x.IsNull()) return Value(false);
    Value y = b(ctx);
    if (y.IsNull()) return Value(false);
    return Value(ValuesEqual(x, y) != negate);
  };
}

Status RequireBoolean(const Node& n, const Expression& e, const char* what) {
  if (n.type && n.type->kind != TypeKind::kBoolean)
    return Status::TypeError(std::string(what) + " expects a BOOLEAN operand, but " +
                             FormatExpression(e) + " is of type " + n.type->ToString() + ".");
  return Status::OK();
}

}  // namespace

Result<Node> Compiler::ArithUnary(const ArithmeticUnaryExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  if (x.type && !x.type->IsNumeric())
    return Status::TypeError(std::string("Unsupported arithmetic type for unary ") +
                             (e.negate ? "minus" : "plus") + ": " + x.type->ToString() + " (" +
                             FormatExpression(*e.operand) + ")");
  if (!e.negate) return x;
  Node n;
  n.type = x.type;
  n.eval = [v = std::move(x.eval)](EvalContext& ctx) -> Value {
    std::string err;
    Value r = Negate(v(ctx), &err);
    if (!err.empty()) ctx.ReportError(err);
    return r;
  };
  Node m;
  m.is_const = x.is_const;
  return MaybeFold(std::move(n), {&m});
}

Result<Node> Compiler::ArithBinary(const ArithmeticBinaryExpr& e) {
  SLUICE_ASSIGN(l, Compile(*e.left));
  SLUICE_ASSIGN(r, Compile(*e.right));
  ArithOp op = ToArithOp(e.op);
  // A NULL literal has no type to do arithmetic in: ksqlDB rejects `1 + null` (and
  // `null * null`) when it types the expression, naming the expression.
  if (!l.type || !r.type)
    return Status::TypeError("Error processing expression: " + FormatExpression(e) + ". Arithmetic on types " +
                             (l.type ? l.type->ToString() : "null") + " and " +
                             (r.type ? r.type->ToString() : "null") + " are not supported.");
  auto t = ArithmeticResultType(op, l.type, r.type);
  if (!t.ok()) return t.status();
  Node n;
  n.type = t.value();
  if (!n.type) return ConstNode(Value(), nullptr);  // NULL op NULL
  if (n.type->kind == TypeKind::kString) {
    n.eval = [a = std::move(l.eval), b = std::move(r.eval)](EvalContext& ctx) -> Value {
      Value x = a(ctx);
      if (!x.IsString()) return Value();
      Value y = b(ctx);
      if (!y.IsString()) return Value();
      std::string s;
      s.reserve(x.AsString().size() + y.AsString().size());
      s += x.AsString();
      s += y.AsString();
      return Value(std::move(s));
    };
  } else {
    TypePtr rt = n.type;
    n.eval = [a = std::move(l.eval), b = std::move(r.eval), op, rt](EvalContext& ctx) -> Value {
      // ksqlDB's generated Java unboxes both operands: a NULL one throws, and the whole
      // expression evaluates to NULL (TRANSFORM(arr, x => x + 5) is NULL if arr holds a NULL).
      Value x = a(ctx);
      Value y = b(ctx);
      if (x.IsNull() || y.IsNull()) {
        ctx.Abort("arithmetic on a NULL value (the whole expression is NULL, as in ksqlDB)");
        return Value();
      }
      std::string err;
      Value res = EvalArithmetic(op, x, y, *rt, &err);
      if (!err.empty()) ctx.ReportError(err);
      return res;
    };
  }
  return MaybeFold(std::move(n), {&l, &r});
}

Status Compiler::ComparePair(const Expression& le, const Expression& re, CompareOp op, Node* ln,
                             Node* rn) {
  auto l = Compile(le);
  if (!l.ok()) return l.status();
  auto r = Compile(re);
  if (!r.ok()) return r.status();
  // ksqlDB types an untyped NULL as "no type" and refuses to compare against it (the operand
  // must be CAST to a type first).
  if (!l->type || !r->type) {
    static const char* const kSymbols[] = {"=",  "<>", "<", "<=", ">", ">=", "IS DISTINCT FROM",
                                           "IS NOT DISTINCT FROM"};
    const char* sym = "?";
    switch (op) {
      case CompareOp::kEq: sym = kSymbols[0]; break;
      case CompareOp::kNe: sym = kSymbols[1]; break;
      case CompareOp::kLt: sym = kSymbols[2]; break;
      case CompareOp::kLe: sym = kSymbols[3]; break;
      case CompareOp::kGt: sym = kSymbols[4]; break;
      case CompareOp::kGe: sym = kSymbols[5]; break;
      case CompareOp::kIsDistinctFrom: sym = kSymbols[6]; break;
      case CompareOp::kIsNotDistinctFrom: sym = kSymbols[7]; break;
    }
    return Status::TypeError(std::string("Comparison with NULL not supported: ") +
                             (l->type ? TypeKindName(l->type->kind) : "NULL") + " " + sym + " " +
                             (r->type ? TypeKindName(r->type->kind) : "NULL") +
                             "\nUse 'IS NULL' or 'IS NOT NULL' instead.");
  }
  auto t = ComparisonOperandType(l->type, r->type, op, FormatExpression(le), FormatExpression(re));
  if (!t.ok()) return t.status();
  *ln = CastTo(std::move(l.value()), t.value(), true);
  *rn = CastTo(std::move(r.value()), t.value(), true);
  return Status::OK();
}

Result<Node> Compiler::Comparison(const ComparisonExpr& e) {
  Node l, r;
  SLUICE_RETURN_IF_ERROR(ComparePair(*e.left, *e.right, ToCompareOp(e.op), &l, &r));
  Node n;
  n.type = SqlType::Boolean();
  switch (e.op) {
    case ComparisonOp::kEq: n.eval = EqualEval(l.eval, r.eval, false); break;
    case ComparisonOp::kNeq: n.eval = EqualEval(l.eval, r.eval, true); break;
    case ComparisonOp::kLt: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c < 0; }); break;
    case ComparisonOp::kLte: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c <= 0; }); break;
    case ComparisonOp::kGt: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c > 0; }); break;
    case ComparisonOp::kGte: n.eval = CompareEval(l.eval, r.eval, [](int c) { return c >= 0; }); break;
  }
  return MaybeFold(std::move(n), {&l, &r});
}

Result<Node> Compiler::Logical(const LogicalBinaryExpr& e) {
  SLUICE_ASSIGN(l, Compile(*e.left));
  SLUICE_ASSIGN(r, Compile(*e.right));
  if ((l.type && l.type->kind != TypeKind::kBoolean) || (r.type && r.type->kind != TypeKind::kBoolean))
    return Status::TypeError("Logical binary expects two boolean values.  Actual " +
                             TypeName(l.type) + " and " + TypeName(r.type));
  Node n;
  n.type = SqlType::Boolean();
  const bool is_and = e.op == LogicalOp::kAnd;
  n.eval = [a = std::move(l.eval), b = std::move(r.eval), is_and](EvalContext& ctx) -> Value {
    // AND: false wins, then NULL; OR: true wins, then NULL.
    Value x = a(ctx);
    if (x.IsBool() && x.AsBool() != is_and) return x;
    Value y = b(ctx);
    if (y.IsBool() && y.AsBool() != is_and) return y;
    if (x.IsNull() || y.IsNull()) return Value();
    return Value(is_and);
  };
  return MaybeFold(std::move(n), {&l, &r});
}

Result<Node> Compiler::Not(const NotExpr& e) {
  SLUICE_ASSIGN(x, Compile(*e.operand));
  SLUICE_RETURN_IF_ERROR(RequireBoolean(x, *e.operand, "NOT"));
  Node n;
  n.type = SqlType::Boolean();
  n.eval = [a = std::move(x.eval)](EvalContext& ctx) -> Value {
    Value v = a(ctx);
    if (!v.IsBool()) return Value();
    return Value(!v.AsBool());
  };
  return MaybeFold(std::move(n), {&x});
}

}  // namespace sluice::expr_compiler
