// ksqlDB's CoercionUtil.coerceUserList for IN lists and constructor elements: the common type
// of the items (STRING literals parsed as numbers or booleans, other literals rendered as
// STRING, constructors element-wise) and each item converted to it.
#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "engine/expr/cast.h"
#include "engine/expr/compiler/compiler_internal.h"
#include "engine/types/java_double.h"

namespace sluice::expr_compiler {

namespace {

bool IsLiteralExpr(const Expression& e) {
  if (e.kind == ExprKind::kLiteral) return true;
  // A negative number literal is parsed as a negation of the literal.
  if (e.kind == ExprKind::kArithmeticUnary) {
    const auto& u = static_cast<const ArithmeticUnaryExpr&>(e);
    return u.operand->kind == ExprKind::kLiteral &&
           static_cast<const LiteralExpr&>(*u.operand).literal_kind != LiteralExpr::Kind::kString &&
           static_cast<const LiteralExpr&>(*u.operand).literal_kind != LiteralExpr::Kind::kNull;
  }
  return false;
}

const LiteralExpr* AsStringLiteral(const Expression& e) {
  if (e.kind != ExprKind::kLiteral) return nullptr;
  const auto& l = static_cast<const LiteralExpr&>(e);
  return l.literal_kind == LiteralExpr::Kind::kString ? &l : nullptr;
}

// SqlBaseType names as ksqlDB prints them in "invalid input syntax for type X".
std::string BaseTypeName(const TypePtr& t) {
  switch (t->kind) {
    case TypeKind::kInteger: return "INTEGER";
    case TypeKind::kDecimal: return "DECIMAL";
    default: return TypeKindName(t->kind);
  }
}

Status InvalidSyntax(const std::string& value, const TypePtr& target) {
  return Status::TypeError("invalid input syntax for type " + BaseTypeName(target) + ": \"" +
                           value + "\".");
}

// ksqlDB's SqlBooleans.parseBooleanExact: a non-empty case-insensitive prefix of "true"/"yes"
// or "false"/"no" ("t", "tr", "Y", "FaLs").
std::optional<bool> ParseBooleanExact(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && static_cast<unsigned char>(text[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(text[e - 1]) <= ' ') --e;
  std::string l(text.substr(b, e - b));
  if (l.empty()) return std::nullopt;
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto prefix_of = [&](std::string_view word) { return word.substr(0, l.size()) == l; };
  if (prefix_of("true") || prefix_of("yes")) return true;
  if (prefix_of("false") || prefix_of("no")) return false;
  return std::nullopt;
}

// The numeric type of a STRING literal in an IN list (CoercionUtil.getStringNumericType):
// INTEGER or BIGINT for whole numbers without '.'/exponent strictly inside their range, else a
// DECIMAL shaped like a decimal literal. nullptr if the text is not a number.
TypePtr StringNumericType(const std::string& text) {
  std::string t(text);
  size_t b = 0, e = t.size();
  while (b < e && static_cast<unsigned char>(t[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(t[e - 1]) <= ' ') --e;
  t = t.substr(b, e - b);
  if (t.empty()) return nullptr;
  // BigDecimal syntax: [sign] digits [. digits] [e|E [sign] digits], at least one digit.
  size_t i = 0;
  if (t[i] == '+' || t[i] == '-') ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++int_digits;
  bool dot = false, exp = false;
  if (i < t.size() && t[i] == '.') {
    dot = true;
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return nullptr;
  int exponent = 0;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    exp = true;
    ++i;
    size_t es = i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t ed = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == ed || i - ed > 9) return nullptr;
    exponent = std::stoi(t.substr(es, i - es));
  }
  if (i != t.size()) return nullptr;
  if (!dot && !exp) {
    std::string digits = t[0] == '+' || t[0] == '-' ? t.substr(1) : t;
    size_t nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
    const bool neg = t[0] == '-';
    auto fits = [&](const std::string& bound) {  // |value| < bound (exclusive, as ksqlDB)
      return digits.size() < bound.size() || (digits.size() == bound.size() && digits < bound);
    };
    if (neg ? fits("2147483648") : fits("2147483647")) return SqlType::Integer();
    if (neg ? fits("9223372036854775808") : fits("9223372036854775807")) return SqlType::Bigint();
  }
  // DecimalUtil.fromValue of new BigDecimal(text): scale = fraction digits - exponent.
  int scale = static_cast<int>(frac_digits) - exponent;
  std::string unscaled;
  for (char c : t.substr(0, t.find_first_of("eE")))
    if (std::isdigit(static_cast<unsigned char>(c))) unscaled.push_back(c);
  size_t nz = unscaled.find_first_not_of('0');
  unscaled = nz == std::string::npos ? "0" : unscaled.substr(nz);
  int digits = static_cast<int>(unscaled.size());
  if (scale < 0) {  // BigDecimal with negative scale: DecimalUtil widens to scale 0
    digits -= scale;
    scale = 0;
  }
  int precision = digits;
  if (unscaled == "0" || digits <= scale) precision = scale + 1;  // values in (-1, 1)
  if (precision > 38) return nullptr;
  return SqlType::Decimal(std::max(precision, 1), scale);
}

// DefaultSqlValueCoercer's type check for non-literals: implicit widening, composites
// element-wise, and a STRUCT into a STRUCT holding (at least) all its fields by name.
bool CanCoerceValue(const SqlType& from, const SqlType& to) {
  if (from.kind != to.kind) return CanImplicitlyCast(from, to);
  switch (from.kind) {
    case TypeKind::kArray: return CanCoerceValue(*from.element, *to.element);
    case TypeKind::kMap:
      return CanCoerceValue(*from.key, *to.key) && CanCoerceValue(*from.value, *to.value);
    case TypeKind::kStruct:
      for (const auto& f : from.fields) {
        int i = to.FieldIndex(f.name);
        if (i < 0 || !CanCoerceValue(*f.type, *to.fields[i].type)) return false;
      }
      return true;
    default: return CanImplicitlyCast(from, to);
  }
}

// A STRING literal in a list of numbers or booleans parses as one (CoercionUtil): the common
// type then, or ksqlDB's invalid-syntax error. nullopt for other targets.
std::optional<Result<TypePtr>> StringLiteralType(const std::string& text, const TypePtr& target) {
  if (target->IsNumeric()) {
    TypePtr src = StringNumericType(text);
    if (!src) return Result<TypePtr>(InvalidSyntax(text, target));
    if (src->kind == TypeKind::kDouble || target->kind == TypeKind::kDouble)
      return Result<TypePtr>(SqlType::Double());
    if (src->kind == TypeKind::kDecimal || target->kind == TypeKind::kDecimal)
      return Result<TypePtr>(CommonSuperType({src, target}));
    return Result<TypePtr>(CanImplicitlyCast(*src, *target) ? target : src);
  }
  if (target->kind == TypeKind::kBoolean) {
    if (!ParseBooleanExact(text)) return Result<TypePtr>(InvalidSyntax(text, target));
    return Result<TypePtr>(target);
  }
  return std::nullopt;
}

}  // namespace

bool IsNullLiteral(const Expression& e) {
  return e.kind == ExprKind::kLiteral &&
         static_cast<const LiteralExpr&>(e).literal_kind == LiteralExpr::Kind::kNull;
}

Result<TypePtr> Compiler::UserListStructuredType(const TypePtr& target,
                                                 const std::vector<const Expression*>& exprs) {
  TypePtr common = target;
  for (const Expression* x : exprs) {
    if (IsNullLiteral(*x)) continue;
    SLUICE_ASSIGN(n, Compile(*x));
    SLUICE_ASSIGN(t, UserListCommonType(*x, n.type, common));
    common = t;
  }
  return common;
}

Result<TypePtr> Compiler::UserListCommonType(const Expression& e, const TypePtr& etype,
                                             const TypePtr& target) {
  if (!target) return etype;  // first element
  if (!etype) return target;  // NULL literal
  if (auto structured = UserListConstructorType(e, etype, target)) return std::move(*structured);
  if (const LiteralExpr* lit = AsStringLiteral(e))
    if (auto parsed = StringLiteralType(lit->value.AsString(), target)) return std::move(*parsed);
  if (TypePtr c = CommonSuperType({target, etype})) return c;
  if (CanCoerceValue(*etype, *target)) return target;
  if (CanCoerceValue(*target, *etype)) return etype;
  if (IsLiteralExpr(e)) {
    // Lenient literal coercion: any primitive literal renders as a STRING; a STRING literal
    // parses as a DATE, TIME or TIMESTAMP.
    if (target->kind == TypeKind::kString && etype->IsPrimitive()) return target;
    if (etype->kind == TypeKind::kString && CanCoerceLiteral(*etype, *target)) return target;
  }
  return UserListMismatch(e, etype, target);
}

Status Compiler::UserListMismatch(const Expression& e, const TypePtr& etype,
                                  const TypePtr& target) {
  coercion_failed_ = true;
  // Types as ksqlDB prints them in this message: struct field names quoted.
  return Status::TypeError("operator does not exist: " + target->ToSqlString() + " = " +
                           etype->ToSqlString() + " (" + FormatExpression(e) +
                           ")\nHint: You might need to add explicit type casts.");
}

// Constructors resolve element-wise; an element's coercion failure reports the whole
// constructor.
std::optional<Result<TypePtr>> Compiler::UserListConstructorType(const Expression& e,
                                                                 const TypePtr& etype,
                                                                 const TypePtr& target) {
  TypeKind kind;
  switch (e.kind) {
    case ExprKind::kArrayConstructor: kind = TypeKind::kArray; break;
    case ExprKind::kMapConstructor: kind = TypeKind::kMap; break;
    case ExprKind::kStructConstructor: kind = TypeKind::kStruct; break;
    default: return std::nullopt;
  }
  if (target->kind != kind) return Result<TypePtr>(UserListMismatch(e, etype, target));
  coercion_failed_ = false;
  Result<TypePtr> r = UserListElementwiseType(e, target);
  if (!r.ok() && coercion_failed_) return Result<TypePtr>(UserListMismatch(e, etype, target));
  return r;
}

Result<TypePtr> Compiler::UserListElementwiseType(const Expression& e, const TypePtr& target) {
  if (e.kind == ExprKind::kArrayConstructor) {
    std::vector<const Expression*> items;
    for (const auto& it : static_cast<const ArrayConstructorExpr&>(e).items)
      items.push_back(it.get());
    SLUICE_ASSIGN(el, UserListStructuredType(target->element, items));
    return SqlType::Array(el);
  }
  if (e.kind == ExprKind::kMapConstructor) {
    std::vector<const Expression*> keys, values;
    for (const auto& [k, v] : static_cast<const MapConstructorExpr&>(e).entries) {
      keys.push_back(k.get());
      values.push_back(v.get());
    }
    SLUICE_ASSIGN(kt, UserListStructuredType(target->key, keys));
    SLUICE_ASSIGN(vt, UserListStructuredType(target->value, values));
    return SqlType::Map(kt, vt);
  }
  return UserListStructType(static_cast<const StructConstructorExpr&>(e), target);
}

// The union of the fields (the constructor's first), common types where both have one.
Result<TypePtr> Compiler::UserListStructType(const StructConstructorExpr& e,
                                             const TypePtr& target) {
  std::vector<StructField> fields;
  for (const auto& [name, fe] : e.fields) {
    SLUICE_ASSIGN(n, Compile(*fe));
    int ti = target->FieldIndex(name);
    TypePtr ft;
    if (ti < 0) {
      ft = n.type ? n.type : SqlType::String();
    } else if (!n.type) {
      ft = target->fields[ti].type;
    } else {
      SLUICE_ASSIGN(c, UserListCommonType(*fe, n.type, target->fields[ti].type));
      ft = c;
    }
    fields.push_back(StructField{name, ft});
  }
  for (const auto& f : target->fields) {
    bool seen = std::any_of(e.fields.begin(), e.fields.end(),
                            [&](const auto& sf) { return sf.first == f.name; });
    if (!seen) fields.push_back(f);
  }
  return SqlType::Struct(std::move(fields));
}

Result<Node> Compiler::UserListConvert(const Expression& e, Node n, const TypePtr& common) {
  if (!n.type || TypeEquals(n.type, common)) return n;
  if (IsLiteralExpr(e) && n.is_const) {
    const Value& v = n.constant;
    Value out;
    if (common->kind == TypeKind::kString) {
      // The literal as written: 10.30 stays "10.30"; doubles as Java renders them.
      if (v.IsDouble()) out = Value(FormatJavaDouble(v.AsDouble()));
      else out = Value(CastToStringValue(v, *n.type));
    } else if (v.IsString() && common->kind == TypeKind::kBoolean) {
      auto b = ParseBooleanExact(v.AsString());
      if (!b) return InvalidSyntax(v.AsString(), common);
      out = Value(*b);
    } else {
      std::string err;
      out = CastValue(v, *n.type, *common, &err);
      if (out.IsNull() || !err.empty())
        return v.IsString() ? InvalidSyntax(v.AsString(), common)
                            : Status::TypeError(err.empty() ? CastErrorMessage(*n.type, *common) : err);
    }
    return ConstNode(std::move(out), common);
  }
  return CastTo(std::move(n), common);
}

}  // namespace sluice::expr_compiler
