#include "engine/analyzer/rowtime_literals.h"

#include <regex>

#include "engine/expr/java_time_format.h"

namespace sluice {

bool ParsePartialTimestamp(const std::string& text, int64_t* epoch_millis) {
  static const std::regex kPattern(
      R"(^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?)?)?)?)"
      R"((Z|[+-]\d{2}(?::?\d{2})?)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kPattern)) return false;
  auto part = [&m](int i, int fallback) { return m[i].matched ? std::stoi(m[i].str()) : fallback; };
  const int year = part(1, 1970), month = part(2, 1), day = part(3, 1);
  const int hour = part(4, 0), minute = part(5, 0), second = part(6, 0);
  int millis = 0;
  if (m[7].matched) {
    std::string ms = m[7].str();
    while (ms.size() < 3) ms += '0';
    millis = std::stoi(ms);
  }
  if (month < 1 || month > 12 || day < 1 || day > jtime::MonthLength(year, month) || hour > 23 ||
      minute > 59 || second > 59)
    return false;
  int offset_seconds = 0;
  if (m[8].matched && m[8].str() != "Z") {
    std::string z = m[8].str();
    const int sign = z[0] == '-' ? -1 : 1;
    std::string digits;
    for (char c : z.substr(1))
      if (c != ':') digits += c;
    const int hh = std::stoi(digits.substr(0, 2));
    const int mm = digits.size() >= 4 ? std::stoi(digits.substr(2, 2)) : 0;
    offset_seconds = sign * (hh * 3600 + mm * 60);
  }
  const int64_t days = jtime::DaysFromCivil(year, month, day);
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  *epoch_millis = seconds * 1000 + millis;
  return true;
}

namespace {

// ROWTIME and the window bounds are epoch millis: a timestamp string beside them converts.
bool IsRowtime(const ExprPtr& e) {
  if (e->kind != ExprKind::kColumnRef) return false;
  const std::string& name = static_cast<const ColumnRefExpr&>(*e).name;
  return name == "ROWTIME" || name == "WINDOWSTART" || name == "WINDOWEND";
}

// A string literal beside ROWTIME becomes a BIGINT literal.
Result<ExprPtr> ConvertOperand(const ExprPtr& e) {
  if (e->kind != ExprKind::kLiteral) return e;
  auto& lit = static_cast<const LiteralExpr&>(*e);
  if (lit.literal_kind != LiteralExpr::Kind::kString) return e;
  int64_t millis = 0;
  if (!ParsePartialTimestamp(lit.text, &millis))
    return Status::InvalidArgument("Failed to parse timestamp '" + lit.text +
                                   "': expected a prefix of yyyy-MM-dd'T'HH:mm:ss.SSS with an optional zone");
  auto out = std::make_shared<LiteralExpr>();
  out->pos = lit.pos;
  out->literal_kind = LiteralExpr::Kind::kBigint;
  out->value = Value(millis);
  out->text = std::to_string(millis);
  return ExprPtr(out);
}

}  // namespace

Result<ExprPtr> RewriteRowtimeStringComparisons(const ExprPtr& expr) {
  switch (expr->kind) {
    case ExprKind::kLogicalBinary: {
      auto& l = static_cast<const LogicalBinaryExpr&>(*expr);
      auto left = RewriteRowtimeStringComparisons(l.left);
      if (!left.ok()) return left;
      auto right = RewriteRowtimeStringComparisons(l.right);
      if (!right.ok()) return right;
      auto out = std::make_shared<LogicalBinaryExpr>(l);
      out->left = *left;
      out->right = *right;
      return ExprPtr(out);
    }
    case ExprKind::kNot: {
      auto& n = static_cast<const NotExpr&>(*expr);
      auto inner = RewriteRowtimeStringComparisons(n.operand);
      if (!inner.ok()) return inner;
      auto out = std::make_shared<NotExpr>(n);
      out->operand = *inner;
      return ExprPtr(out);
    }
    case ExprKind::kComparison: {
      auto& c = static_cast<const ComparisonExpr&>(*expr);
      if (!IsRowtime(c.left) && !IsRowtime(c.right)) return expr;
      auto out = std::make_shared<ComparisonExpr>(c);
      auto left = ConvertOperand(c.left);
      if (!left.ok()) return left;
      auto right = ConvertOperand(c.right);
      if (!right.ok()) return right;
      out->left = *left;
      out->right = *right;
      return ExprPtr(out);
    }
    case ExprKind::kBetween: {
      auto& b = static_cast<const BetweenExpr&>(*expr);
      if (!IsRowtime(b.value)) return expr;
      auto out = std::make_shared<BetweenExpr>(b);
      auto lower = ConvertOperand(b.lower);
      if (!lower.ok()) return lower;
      auto upper = ConvertOperand(b.upper);
      if (!upper.ok()) return upper;
      out->lower = *lower;
      out->upper = *upper;
      return ExprPtr(out);
    }
    default:
      return expr;
  }
}

}  // namespace sluice
