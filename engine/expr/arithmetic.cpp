#include "engine/expr/arithmetic.h"

#include <algorithm>
#include <cmath>

#include "engine/expr/cast.h"

namespace sluice {

const char* ArithOpSymbol(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd: return "+";
    case ArithOp::kSubtract: return "-";
    case ArithOp::kMultiply: return "*";
    case ArithOp::kDivide: return "/";
    case ArithOp::kModulus: return "%";
  }
  return "?";
}

namespace {

TypePtr DecimalResult(ArithOp op, const SqlType& l, const SqlType& r) {
  int p1, s1, p2, s2;
  l.DecimalPrecisionScale(&p1, &s1);
  r.DecimalPrecisionScale(&p2, &s2);
  int p = 0, s = 0;
  switch (op) {
    case ArithOp::kAdd:
    case ArithOp::kSubtract:
      s = std::max(s1, s2);
      p = s + std::max(p1 - s1, p2 - s2) + 1;
      break;
    case ArithOp::kMultiply:
      p = p1 + p2 + 1;
      s = s1 + s2;
      break;
    case ArithOp::kDivide:
      s = std::max(6, s1 + p2 + 1);
      p = p1 - s1 + s2 + s;
      break;
    case ArithOp::kModulus:
      s = std::max(s1, s2);
      p = std::min(p1 - s1, p2 - s2) + s;
      break;
  }
  p = std::max(1, std::min(p, 38));
  s = std::min(s, p);
  return SqlType::Decimal(p, s);
}

Decimal ToDecimal(const Value& v) {
  if (v.IsDecimal()) return v.AsDecimal();
  return Decimal{static_cast<__int128>(v.ToInt64()), 0};
}

// Scales an unscaled value up by 10^n; false on overflow.
bool ScaleUp(__int128 v, int n, __int128* out) {
  for (int i = 0; i < n; ++i)
    if (__builtin_mul_overflow(v, static_cast<__int128>(10), &v)) return false;
  *out = v;
  return true;
}

// Rounds v / d (d != 0) HALF_UP.
__int128 DivHalfUp(__int128 v, __int128 d) {
  __int128 q = v / d, r = v % d;
  if (r != 0) {
    unsigned __int128 ar = r < 0 ? -static_cast<unsigned __int128>(r) : r;
    unsigned __int128 ad = d < 0 ? -static_cast<unsigned __int128>(d) : d;
    if (ar >= ad - ar) q += ((v < 0) != (d < 0)) ? -1 : 1;
  }
  return q;
}

Value Err(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return Value();
}

Value EvalDecimal(ArithOp op, const Decimal& a, const Decimal& b, const SqlType& rt,
                  std::string* error) {
  const std::string overflow = "Numeric field overflow: result does not fit " + rt.ToString();
  __int128 res = 0;
  int res_scale = 0;
  switch (op) {
    case ArithOp::kAdd:
    case ArithOp::kSubtract:
    case ArithOp::kModulus: {
      int s = std::max(a.scale, b.scale);
      __int128 x, y;
      if (!ScaleUp(a.unscaled, s - a.scale, &x) || !ScaleUp(b.unscaled, s - b.scale, &y))
        return Err(error, overflow);
      if (op == ArithOp::kModulus) {
        if (y == 0) return Err(error, "Division by zero");
        res = x % y;
      } else if (__builtin_add_overflow(x, op == ArithOp::kAdd ? y : -y, &res)) {
        return Err(error, overflow);
      }
      res_scale = s;
      break;
    }
    case ArithOp::kMultiply:
      if (__builtin_mul_overflow(a.unscaled, b.unscaled, &res)) return Err(error, overflow);
      res_scale = a.scale + b.scale;
      break;
    case ArithOp::kDivide: {
      if (b.unscaled == 0) return Err(error, "Division by zero");
      // a/b at scale rt.scale: a.unscaled * 10^(rt.scale + b.scale - a.scale) / b.unscaled
      int e = rt.scale + b.scale - a.scale;
      __int128 num = a.unscaled, den = b.unscaled;
      if (e >= 0) {
        if (!ScaleUp(num, e, &num)) return Err(error, overflow);
      } else if (!ScaleUp(den, -e, &den)) {
        return Err(error, overflow);
      }
      res = DivHalfUp(num, den);
      res_scale = rt.scale;
      break;
    }
  }
  Decimal d{res, res_scale};
  if (res_scale != rt.scale) {
    if (res_scale < rt.scale) {
      if (!ScaleUp(res, rt.scale - res_scale, &d.unscaled)) return Err(error, overflow);
      d.scale = rt.scale;
    } else {
      d = Decimal{DivHalfUp(res, Pow10(res_scale - rt.scale)), rt.scale};
    }
  }
  if (d.Precision() > rt.precision) return Err(error, overflow);
  return Value(d);
}

template <typename T>
Value EvalIntegral(ArithOp op, T a, T b, std::string* error) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case ArithOp::kAdd: return Value(static_cast<T>(static_cast<U>(a) + static_cast<U>(b)));
    case ArithOp::kSubtract: return Value(static_cast<T>(static_cast<U>(a) - static_cast<U>(b)));
    case ArithOp::kMultiply: return Value(static_cast<T>(static_cast<U>(a) * static_cast<U>(b)));
    case ArithOp::kDivide:
      if (b == 0) return Err(error, "/ by zero");
      if (b == -1) return Value(static_cast<T>(U(0) - static_cast<U>(a)));
      return Value(static_cast<T>(a / b));
    case ArithOp::kModulus:
      if (b == 0) return Err(error, "/ by zero");
      if (b == -1) return Value(static_cast<T>(0));
      return Value(static_cast<T>(a % b));
  }
  return Value();
}

}  // namespace

Result<TypePtr> ArithmeticResultType(ArithOp op, const TypePtr& left, const TypePtr& right) {
  const TypePtr& l = left ? left : right;
  const TypePtr& r = right ? right : left;
  if (!l) return Status::TypeError("Unsupported arithmetic types. NULL NULL");
  if (l->IsNumeric() && r->IsNumeric()) {
    if (l->kind == TypeKind::kDouble || r->kind == TypeKind::kDouble) return SqlType::Double();
    if (l->kind == TypeKind::kDecimal || r->kind == TypeKind::kDecimal)
      return DecimalResult(op, *l, *r);
    if (l->kind == TypeKind::kBigint || r->kind == TypeKind::kBigint) return SqlType::Bigint();
    return SqlType::Integer();
  }
  if (op == ArithOp::kAdd && l->kind == TypeKind::kString && r->kind == TypeKind::kString)
    return SqlType::String();
  return Status::TypeError(std::string("Unsupported arithmetic types. ") +
                           (left ? TypeKindName(left->kind) : "NULL") + " " +
                           (right ? TypeKindName(right->kind) : "NULL"));
}

Value EvalArithmetic(ArithOp op, const Value& l, const Value& r, const SqlType& rt,
                     std::string* error) {
  if (l.IsNull() || r.IsNull()) return Value();
  switch (rt.kind) {
    case TypeKind::kInteger:
      return EvalIntegral<int32_t>(op, static_cast<int32_t>(l.ToInt64()),
                                   static_cast<int32_t>(r.ToInt64()), error);
    case TypeKind::kBigint: return EvalIntegral<int64_t>(op, l.ToInt64(), r.ToInt64(), error);
    case TypeKind::kDouble: {
      double a = l.ToDouble(), b = r.ToDouble();
      switch (op) {
        case ArithOp::kAdd: return Value(a + b);
        case ArithOp::kSubtract: return Value(a - b);
        case ArithOp::kMultiply: return Value(a * b);
        case ArithOp::kDivide: return Value(a / b);
        case ArithOp::kModulus: return Value(std::fmod(a, b));
      }
      break;
    }
    case TypeKind::kDecimal: return EvalDecimal(op, ToDecimal(l), ToDecimal(r), rt, error);
    case TypeKind::kString:
      if (op == ArithOp::kAdd && l.IsString() && r.IsString()) return Value(l.AsString() + r.AsString());
      break;
    default: break;
  }
  return Err(error, std::string("Unsupported arithmetic on ") + TypeKindName(rt.kind));
}

Value Negate(const Value& v, std::string* error) {
  if (v.IsNull()) return Value();
  if (v.IsInt()) return Value(static_cast<int32_t>(0u - static_cast<uint32_t>(v.AsInt())));
  if (v.IsBigint()) return Value(static_cast<int64_t>(0ull - static_cast<uint64_t>(v.AsBigint())));
  if (v.IsDouble()) return Value(-v.AsDouble());
  if (v.IsDecimal()) return Value(Decimal{-v.AsDecimal().unscaled, v.AsDecimal().scale});
  return Err(error, "Unsupported type for unary minus");
}

// ---- Comparison ---------------------------------------------------------------------------

const char* CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "EQUAL";
    case CompareOp::kNe: return "NOT_EQUAL";
    case CompareOp::kLt: return "LESS_THAN";
    case CompareOp::kLe: return "LESS_THAN_OR_EQUAL";
    case CompareOp::kGt: return "GREATER_THAN";
    case CompareOp::kGe: return "GREATER_THAN_OR_EQUAL";
    case CompareOp::kIsDistinctFrom: return "IS_DISTINCT_FROM";
    case CompareOp::kIsNotDistinctFrom: return "IS_NOT_DISTINCT_FROM";
  }
  return "?";
}

namespace {
bool IsTimeKind(TypeKind k) {
  return k == TypeKind::kTimestamp || k == TypeKind::kDate || k == TypeKind::kTime;
}
bool IsEqualityOp(CompareOp op) {
  return op == CompareOp::kEq || op == CompareOp::kNe || op == CompareOp::kIsDistinctFrom ||
         op == CompareOp::kIsNotDistinctFrom;
}

// Element types of composites compare if they are comparable for equality.
bool EqualityComparable(const SqlType& a, const SqlType& b) {
  if (a.IsNumeric() && b.IsNumeric()) return true;
  if (a.kind != b.kind) {
    if (IsTimeKind(a.kind) && IsTimeKind(b.kind))
      return a.kind != TypeKind::kTime && b.kind != TypeKind::kTime;
    return false;
  }
  switch (a.kind) {
    case TypeKind::kArray: return EqualityComparable(*a.element, *b.element);
    case TypeKind::kMap:
      return EqualityComparable(*a.key, *b.key) && EqualityComparable(*a.value, *b.value);
    case TypeKind::kStruct:
      if (a.fields.size() != b.fields.size()) return false;
      for (size_t i = 0; i < a.fields.size(); ++i)
        if (a.fields[i].name != b.fields[i].name ||
            !EqualityComparable(*a.fields[i].type, *b.fields[i].type))
          return false;
      return true;
    default: return true;
  }
}
}  // namespace

Result<TypePtr> ComparisonOperandType(const TypePtr& left, const TypePtr& right, CompareOp op,
                                      const std::string& left_text,
                                      const std::string& right_text) {
  if (!left) return right;
  if (!right) return left;
  const TypeKind l = left->kind, r = right->kind;
  if (left->IsNumeric() && right->IsNumeric()) return CommonSuperType({left, right});
  if (l == r && left->IsPrimitive()) return left;
  if (IsTimeKind(l) && r == TypeKind::kString) return left;
  if (IsTimeKind(r) && l == TypeKind::kString) return right;
  if ((l == TypeKind::kTimestamp && r == TypeKind::kDate) ||
      (l == TypeKind::kDate && r == TypeKind::kTimestamp))
    return SqlType::Timestamp();
  if (!left->IsPrimitive() && IsEqualityOp(op) && EqualityComparable(*left, *right)) {
    if (TypePtr t = CommonSuperType({left, right})) return t;
    return left;
  }
  return Status::TypeError("Cannot compare " + left_text + " (" + left->ToSqlString() + ") to " +
                           right_text + " (" + right->ToSqlString() + ") with " +
                           CompareOpName(op) + ".");
}

}  // namespace sluice
