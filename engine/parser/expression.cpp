#include "engine/parser/expression.h"

namespace sluice {

std::string TypeSpec::ToString() const {
  switch (kind) {
    case Kind::kPrimitive: return TypeKindName(primitive);
    case Kind::kDecimal:
      return "DECIMAL(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
    case Kind::kArray: return "ARRAY<" + children[0]->ToString() + ">";
    case Kind::kMap: return "MAP<" + children[0]->ToString() + ", " + children[1]->ToString() + ">";
    case Kind::kStruct: {
      std::string s = "STRUCT<";
      for (size_t i = 0; i < children.size(); ++i)
        s += (i ? ", `" : "`") + field_names[i] + "` " + children[i]->ToString();
      return s + ">";
    }
    case Kind::kCustom: return custom_name;
  }
  return "?";
}

const char* ComparisonOpSymbol(ComparisonOp op) {
  switch (op) {
    case ComparisonOp::kEq: return "=";
    case ComparisonOp::kNeq: return "<>";
    case ComparisonOp::kLt: return "<";
    case ComparisonOp::kLte: return "<=";
    case ComparisonOp::kGt: return ">";
    case ComparisonOp::kGte: return ">=";
  }
  return "?";
}

const char* ArithmeticOpSymbol(ArithmeticOp op) {
  switch (op) {
    case ArithmeticOp::kAdd: return "+";
    case ArithmeticOp::kSubtract: return "-";
    case ArithmeticOp::kMultiply: return "*";
    case ArithmeticOp::kDivide: return "/";
    case ArithmeticOp::kModulus: return "%";
  }
  return "?";
}

namespace {
std::string Join(const std::vector<ExprPtr>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + FormatExpression(*items[i]);
  return s;
}
std::string FormatLiteral(const LiteralExpr& l) {
  switch (l.literal_kind) {
    case LiteralExpr::Kind::kNull: return "null";
    case LiteralExpr::Kind::kString: {
      std::string s = "'";
      for (char c : l.text) s += c == '\'' ? std::string("''") : std::string(1, c);
      return s + "'";
    }
    case LiteralExpr::Kind::kBoolean: return l.value.AsBool() ? "true" : "false";
    default: return l.text;
  }
}
std::string FormatCase(const std::vector<WhenClause>& whens, const ExprPtr& else_result) {
  std::string s;
  for (const auto& w : whens)
    s += " WHEN " + FormatExpression(*w.condition) + " THEN " + FormatExpression(*w.result);
  if (else_result) s += " ELSE " + FormatExpression(*else_result);
  return s + " END)";
}
}  // namespace

std::string FormatExpression(const Expression& e) {
  switch (e.kind) {
    case ExprKind::kLiteral: return FormatLiteral(static_cast<const LiteralExpr&>(e));
    case ExprKind::kColumnRef: {
      auto& c = static_cast<const ColumnRefExpr&>(e);
      return c.qualifier.empty() ? c.name : c.qualifier + "." + c.name;
    }
    case ExprKind::kDereference: {
      auto& d = static_cast<const DereferenceExpr&>(e);
      return FormatExpression(*d.base) + "->" + d.field;
    }
    case ExprKind::kSubscript: {
      auto& s = static_cast<const SubscriptExpr&>(e);
      return FormatExpression(*s.base) + "[" + FormatExpression(*s.index) + "]";
    }
    case ExprKind::kFunctionCall: {
      auto& f = static_cast<const FunctionCallExpr&>(e);
      return f.name + "(" + (f.star ? std::string("*") : Join(f.args)) + ")";
    }
    case ExprKind::kLambda: {
      auto& l = static_cast<const LambdaExpr&>(e);
      std::string params;
      for (size_t i = 0; i < l.params.size(); ++i) params += (i ? ", " : "") + l.params[i];
      return "(" + params + ") => " + FormatExpression(*l.body);
    }
    case ExprKind::kArithmeticUnary: {
      auto& u = static_cast<const ArithmeticUnaryExpr&>(e);
      return std::string(u.negate ? "-" : "+") + FormatExpression(*u.operand);
    }
    case ExprKind::kArithmeticBinary: {
      auto& b = static_cast<const ArithmeticBinaryExpr&>(e);
      return "(" + FormatExpression(*b.left) + " " + ArithmeticOpSymbol(b.op) + " " +
             FormatExpression(*b.right) + ")";
    }
    case ExprKind::kComparison: {
      auto& c = static_cast<const ComparisonExpr&>(e);
      return "(" + FormatExpression(*c.left) + " " + ComparisonOpSymbol(c.op) + " " +
             FormatExpression(*c.right) + ")";
    }
    case ExprKind::kLogicalBinary: {
      auto& l = static_cast<const LogicalBinaryExpr&>(e);
      return "(" + FormatExpression(*l.left) + (l.op == LogicalOp::kAnd ? " AND " : " OR ") +
             FormatExpression(*l.right) + ")";
    }
    case ExprKind::kNot:
      return "(NOT " + FormatExpression(*static_cast<const NotExpr&>(e).operand) + ")";
    case ExprKind::kIsNull: {
      auto& n = static_cast<const IsNullExpr&>(e);
      return "(" + FormatExpression(*n.operand) + (n.negated ? " IS NOT NULL)" : " IS NULL)");
    }
    case ExprKind::kIsDistinctFrom: {
      auto& d = static_cast<const IsDistinctFromExpr&>(e);
      return "(" + FormatExpression(*d.left) + (d.negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ") +
             FormatExpression(*d.right) + ")";
    }
    case ExprKind::kBetween: {
      auto& b = static_cast<const BetweenExpr&>(e);
      return "(" + FormatExpression(*b.value) + (b.negated ? " NOT BETWEEN " : " BETWEEN ") +
             FormatExpression(*b.lower) + " AND " + FormatExpression(*b.upper) + ")";
    }
    case ExprKind::kInList: {
      auto& i = static_cast<const InListExpr&>(e);
      return "(" + FormatExpression(*i.value) + (i.negated ? " NOT IN (" : " IN (") + Join(i.list) + "))";
    }
    case ExprKind::kLike: {
      auto& l = static_cast<const LikeExpr&>(e);
      std::string s = "(" + FormatExpression(*l.value) + (l.negated ? " NOT LIKE " : " LIKE ") +
                      FormatExpression(*l.pattern);
      if (!l.escape.empty()) s += " ESCAPE '" + l.escape + "'";
      return s + ")";
    }
    case ExprKind::kSearchedCase: {
      auto& c = static_cast<const SearchedCaseExpr&>(e);
      return "(CASE" + FormatCase(c.whens, c.else_result);
    }
    case ExprKind::kSimpleCase: {
      auto& c = static_cast<const SimpleCaseExpr&>(e);
      return "(CASE " + FormatExpression(*c.operand) + FormatCase(c.whens, c.else_result);
    }
    case ExprKind::kCast: {
      auto& c = static_cast<const CastExpr&>(e);
      return "CAST(" + FormatExpression(*c.operand) + " AS " + c.target->ToString() + ")";
    }
    case ExprKind::kArrayConstructor:
      return "ARRAY[" + Join(static_cast<const ArrayConstructorExpr&>(e).items) + "]";
    case ExprKind::kMapConstructor: {
      std::string s = "MAP(";
      auto& m = static_cast<const MapConstructorExpr&>(e);
      for (size_t i = 0; i < m.entries.size(); ++i)
        s += (i ? ", " : "") + FormatExpression(*m.entries[i].first) + ":=" +
             FormatExpression(*m.entries[i].second);
      return s + ")";
    }
    case ExprKind::kStructConstructor: {
      std::string s = "STRUCT(";
      auto& st = static_cast<const StructConstructorExpr&>(e);
      for (size_t i = 0; i < st.fields.size(); ++i)
        s += (i ? ", " : "") + st.fields[i].first + ":=" + FormatExpression(*st.fields[i].second);
      return s + ")";
    }
  }
  return "?";
}

}  // namespace sluice
