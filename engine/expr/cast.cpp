#include "engine/expr/cast.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>

#include "engine/expr/java_time_format.h"
#include "engine/types/java_double.h"

namespace sluice {

namespace {

bool IsNumericKind(TypeKind k) {
  return k == TypeKind::kInteger || k == TypeKind::kBigint || k == TypeKind::kDouble ||
         k == TypeKind::kDecimal;
}

// Java's String.trim(): strips chars <= ' ' at both ends.
std::string_view JavaTrim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return s.substr(b, e - b);
}

bool ParseJavaLong(std::string_view s, int64_t min, int64_t max, int64_t* out) {
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    ++i;
  }
  if (i >= s.size()) return false;
  __int128 v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
    if (v > static_cast<__int128>(max) + 1) return false;
  }
  if (neg) v = -v;
  if (v < min || v > max) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

// Java's Double.parseDouble (after trim).
bool ParseJavaDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  std::string t(s);
  size_t i = 0;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    i = 1;
  }
  std::string_view body = std::string_view(t).substr(i);
  if (body == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (body == "Infinity") {
    *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  // Optional float/double suffix.
  if (!t.empty() && strchr("fFdD", t.back()) && t.size() > i + 1 &&
      !(body.size() > 1 && (body[1] == 'x' || body[1] == 'X')))
    t.pop_back();
  body = std::string_view(t).substr(i);
  if (body.empty()) return false;
  bool hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  if (!hex) {
    bool digit = false;
    for (char c : body) {
      if (c >= '0' && c <= '9') digit = true;
      else if (!strchr(".eE+-", c)) return false;
    }
    if (!digit) return false;
  } else {
    if (body.find_first_of("pP") == std::string_view::npos) return false;
  }
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return false;
  *out = v;
  return true;
}

std::optional<bool> ParseJavaBoolean(std::string_view s) {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true" || l == "t" || l == "yes" || l == "y") return true;
  if (l == "false" || l == "f" || l == "no" || l == "n") return false;
  return std::nullopt;
}

// BigDecimal.longValue(): fraction truncated, then the low 64 bits.
int64_t DecimalToLong(const Decimal& d) {
  __int128 v = d.scale >= 0 ? d.unscaled / Pow10(d.scale) : d.unscaled * Pow10(-d.scale);
  return static_cast<int64_t>(static_cast<uint64_t>(static_cast<unsigned __int128>(v)));
}

bool FitDecimal(Decimal d, const SqlType& to, Value* out, std::string* error) {
  if (d.scale != to.scale) d = d.Rescale(to.scale);
  if (d.Precision() > to.precision) {
    if (error)
      *error = "Numeric field overflow: value " + d.ToString() + " does not fit " + to.ToString();
    return false;
  }
  *out = Value(d);
  return true;
}

Value Fail(std::string* error, std::string msg) {
  if (error) *error = std::move(msg);
  return Value();
}

std::string JavaSqlTimestampString(int64_t millis) {
  // java.sql.Timestamp.toString (UTC): "yyyy-mm-dd hh:mm:ss.f" with trailing zeros dropped.
  std::string s = jtime::FormatIsoTimestamp(millis);
  s[10] = ' ';
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

// Java's String.valueOf for nested values, where only the value's runtime class is known.
std::string NestedToString(const Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return v.AsBool() ? "true" : "false";
  if (v.IsInt()) return std::to_string(v.AsInt());
  if (v.IsBigint()) return std::to_string(v.AsBigint());
  if (v.IsDouble()) return FormatJavaDouble(v.AsDouble());
  if (v.IsDecimal()) return v.AsDecimal().ToString();
  if (v.IsString()) return v.AsString();
  if (v.IsBytes()) {
    std::string n = std::to_string(v.AsBytes().data.size());
    return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
  }
  if (v.IsDate()) return jtime::FormatIsoDate(v.AsDate().days);
  if (v.IsTime()) return jtime::FormatIsoTime(v.AsTime().millis).substr(0, 8);
  if (v.IsTimestamp()) return JavaSqlTimestampString(v.AsTimestamp().millis);
  std::string s;
  if (v.IsArray()) {
    s = "[";
    const auto& a = v.AsArray();
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) s += ", ";
      s += NestedToString(a[i]);
    }
    return s + "]";
  }
  if (v.IsMap()) {
    s = "{";
    bool first = true;
    for (const auto& [k, x] : v.AsMap()) {
      if (!first) s += ", ";
      first = false;
      s += NestedToString(k) + "=" + NestedToString(x);
    }
    return s + "}";
  }
  // Kafka Connect's Struct.toString: non-null fields only.
  const StructValue& st = v.AsStruct();
  s = "Struct{";
  bool first = true;
  for (size_t i = 0; i < st.fields.size(); ++i) {
    if (st.fields[i].IsNull()) continue;
    if (!first) s += ",";
    first = false;
    s += (st.type && i < st.type->fields.size() ? st.type->fields[i].name : "?") + "=" +
         NestedToString(st.fields[i]);
  }
  return s + "}";
}

Value CastImpl(const Value& v, const SqlType& from, const SqlType& to, std::string* error);

}  // namespace

std::string CastToStringValue(const Value& v, const SqlType& type) {
  switch (type.kind) {
    case TypeKind::kTimestamp:
      if (v.IsTimestamp()) return jtime::FormatIsoTimestamp(v.AsTimestamp().millis);
      break;
    case TypeKind::kDate:
      if (v.IsDate()) return jtime::FormatIsoDate(v.AsDate().days);
      break;
    case TypeKind::kTime:
      if (v.IsTime()) return jtime::FormatIsoTime(v.AsTime().millis);
      break;
    default: break;
  }
  return NestedToString(v);
}

// ---- Rules --------------------------------------------------------------------------------

bool CanCast(const SqlType& from, const SqlType& to) {
  const TypeKind f = from.kind, t = to.kind;
  if (f == t && from.IsPrimitive()) return true;
  if (t == TypeKind::kString) return f != TypeKind::kBytes;
  if (IsNumericKind(f) && IsNumericKind(t)) return true;
  switch (f) {
    case TypeKind::kString:
      return IsNumericKind(t) || t == TypeKind::kBoolean || t == TypeKind::kTimestamp ||
             t == TypeKind::kDate || t == TypeKind::kTime;
    case TypeKind::kTimestamp:
      return t == TypeKind::kDate || t == TypeKind::kTime;
    case TypeKind::kDate:
      return t == TypeKind::kTimestamp;
    case TypeKind::kArray:
      return t == TypeKind::kArray && CanCast(*from.element, *to.element);
    case TypeKind::kMap:
      return t == TypeKind::kMap && CanCast(*from.key, *to.key) && CanCast(*from.value, *to.value);
    case TypeKind::kStruct: {
      if (t != TypeKind::kStruct) return false;
      for (const auto& tf : to.fields) {
        int i = from.FieldIndex(tf.name);
        if (i >= 0 && !CanCast(*from.fields[i].type, *tf.type)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::string CastErrorMessage(const SqlType& from, const SqlType& to) {
  return "Cast of " + from.ToSqlString() + " to " + to.ToSqlString() + " is not supported";
}

Value CastValue(const Value& v, const SqlType& from, const SqlType& to, std::string* error) {
  if (v.IsNull()) return Value();
  return CastImpl(v, from, to, error);
}

namespace {

Value CastImpl(const Value& v, const SqlType& from, const SqlType& to, std::string* error) {
  if (v.IsNull()) return Value();
  const TypeKind t = to.kind;
  switch (t) {
    case TypeKind::kString:
      if (v.IsString()) return v;
      if (v.IsDouble()) return Value(FormatJavaDouble(v.AsDouble()));
      return Value(CastToStringValue(v, from));
    case TypeKind::kBoolean:
      if (v.IsBool()) return v;
      if (v.IsString()) {
        auto b = ParseJavaBoolean(JavaTrim(v.AsString()));
        if (!b) return Fail(error, "invalid input syntax for type BOOLEAN: \"" + v.AsString() + "\"");
        return Value(*b);
      }
      break;
    case TypeKind::kInteger:
      if (v.IsInt()) return v;
      if (v.IsBigint()) return Value(static_cast<int32_t>(static_cast<uint32_t>(v.AsBigint())));
      if (v.IsDouble()) return Value(JavaDoubleToIntegral<int32_t>(v.AsDouble()));
      if (v.IsDecimal())
        return Value(static_cast<int32_t>(static_cast<uint32_t>(DecimalToLong(v.AsDecimal()))));
      if (v.IsString()) {
        int64_t x;
        if (!ParseJavaLong(JavaTrim(v.AsString()), INT32_MIN, INT32_MAX, &x))
          return Fail(error, "For input string: \"" + v.AsString() + "\"");
        return Value(static_cast<int32_t>(x));
      }
      break;
    case TypeKind::kBigint:
      if (v.IsBigint()) return v;
      if (v.IsInt()) return Value(static_cast<int64_t>(v.AsInt()));
      if (v.IsDouble()) return Value(JavaDoubleToIntegral<int64_t>(v.AsDouble()));
      if (v.IsDecimal()) return Value(DecimalToLong(v.AsDecimal()));
      if (v.IsString()) {
        int64_t x;
        if (!ParseJavaLong(JavaTrim(v.AsString()), INT64_MIN, INT64_MAX, &x))
          return Fail(error, "For input string: \"" + v.AsString() + "\"");
        return Value(x);
      }
      break;
    case TypeKind::kDouble:
      if (v.IsDouble()) return v;
      if (v.IsInt() || v.IsBigint() || v.IsDecimal()) return Value(v.ToDouble());
      if (v.IsString()) {
        double d;
        if (!ParseJavaDouble(JavaTrim(v.AsString()), &d))
          return Fail(error, "For input string: \"" + v.AsString() + "\"");
        return Value(d);
      }
      break;
    case TypeKind::kDecimal: {
      Decimal d;
      if (v.IsDecimal()) {
        d = v.AsDecimal();
      } else if (v.IsInt() || v.IsBigint()) {
        d = Decimal{static_cast<__int128>(v.ToInt64()), 0};
      } else if (v.IsDouble()) {
        if (!std::isfinite(v.AsDouble()))
          return Fail(error, "Cannot convert " + FormatJavaDouble(v.AsDouble()) + " to DECIMAL");
        // BigDecimal.valueOf(double): the shortest repr, then HALF_UP to the scale.
        if (std::fabs(v.AsDouble()) >= 1e38)
          return Fail(error, "Numeric field overflow: value " + FormatJavaDouble(v.AsDouble()) +
                                 " does not fit " + to.ToString());
        d = Decimal::FromDouble(v.AsDouble(), to.scale);
      } else if (v.IsString()) {
        std::string_view s = JavaTrim(v.AsString());
        if (!Decimal::Parse(std::string(s), to.scale, &d))
          return Fail(error, "invalid input syntax for type DECIMAL: \"" + v.AsString() + "\"");
      } else {
        break;
      }
      Value out;
      if (!FitDecimal(d, to, &out, error)) return Value();
      return out;
    }
    case TypeKind::kTimestamp:
      if (v.IsTimestamp()) return v;
      if (v.IsDate()) return Value(Timestamp{static_cast<int64_t>(v.AsDate().days) * jtime::kMillisPerDay});
      if (v.IsString()) {
        int64_t ms;
        if (!jtime::ParseIsoTimestamp(JavaTrim(v.AsString()), &ms))
          return Fail(error, "Failed to parse timestamp '" + v.AsString() +
                                 "': Text '" + v.AsString() + "' could not be parsed");
        return Value(Timestamp{ms});
      }
      break;
    case TypeKind::kDate:
      if (v.IsDate()) return v;
      if (v.IsTimestamp())
        return Value(Date{static_cast<int32_t>(jtime::FloorDiv(v.AsTimestamp().millis, jtime::kMillisPerDay))});
      if (v.IsString()) {
        int64_t days;
        if (!jtime::ParseIsoDate(JavaTrim(v.AsString()), &days))
          return Fail(error, "Failed to parse date '" + v.AsString() + "'");
        return Value(Date{static_cast<int32_t>(days)});
      }
      break;
    case TypeKind::kTime:
      if (v.IsTime()) return v;
      if (v.IsTimestamp())
        return Value(Time{static_cast<int32_t>(jtime::FloorMod(v.AsTimestamp().millis, jtime::kMillisPerDay))});
      if (v.IsString()) {
        int64_t ms;
        if (!jtime::ParseIsoTime(JavaTrim(v.AsString()), &ms))
          return Fail(error, "Failed to parse time '" + v.AsString() + "'");
        return Value(Time{static_cast<int32_t>(ms)});
      }
      break;
    case TypeKind::kBytes:
      if (v.IsBytes()) return v;
      break;
    case TypeKind::kArray: {
      if (!v.IsArray() || from.kind != TypeKind::kArray) break;
      const auto& in = v.AsArray();
      ArrayValue out;
      out.reserve(in.size());
      for (const auto& e : in) out.push_back(CastImpl(e, *from.element, *to.element, error));
      return Value::Array(std::move(out));
    }
    case TypeKind::kMap: {
      if (!v.IsMap() || from.kind != TypeKind::kMap) break;
      MapValue out;
      out.reserve(v.AsMap().size());
      for (const auto& [k, x] : v.AsMap())
        out.emplace_back(CastImpl(k, *from.key, *to.key, error),
                         CastImpl(x, *from.value, *to.value, error));
      return Value::Map(std::move(out));
    }
    case TypeKind::kStruct: {
      if (!v.IsStruct() || from.kind != TypeKind::kStruct) break;
      const StructValue& in = v.AsStruct();
      std::vector<Value> fields;
      fields.reserve(to.fields.size());
      for (const auto& tf : to.fields) {
        int i = from.FieldIndex(tf.name);
        if (i < 0 || static_cast<size_t>(i) >= in.fields.size()) {
          fields.emplace_back();
        } else {
          fields.push_back(CastImpl(in.fields[i], *from.fields[i].type, *tf.type, error));
        }
      }
      auto type = std::make_shared<SqlType>(to);
      return Value::Struct(std::move(type), std::move(fields));
    }
  }
  return Fail(error, CastErrorMessage(from, to));
}

}  // namespace

bool CanImplicitlyCast(const SqlType& from, const SqlType& to) {
  const TypeKind f = from.kind, t = to.kind;
  if (f == t) {
    switch (f) {
      case TypeKind::kArray: return CanImplicitlyCast(*from.element, *to.element);
      case TypeKind::kMap:
        return CanImplicitlyCast(*from.key, *to.key) && CanImplicitlyCast(*from.value, *to.value);
      case TypeKind::kStruct: {
        if (from.fields.size() != to.fields.size()) return false;
        for (size_t i = 0; i < from.fields.size(); ++i)
          if (from.fields[i].name != to.fields[i].name ||
              !CanImplicitlyCast(*from.fields[i].type, *to.fields[i].type))
            return false;
        return true;
      }
      default: return true;
    }
  }
  switch (f) {
    case TypeKind::kInteger:
      return t == TypeKind::kBigint || t == TypeKind::kDecimal || t == TypeKind::kDouble;
    case TypeKind::kBigint: return t == TypeKind::kDecimal || t == TypeKind::kDouble;
    case TypeKind::kDecimal: return t == TypeKind::kDouble;
    default: return false;
  }
}

bool CanCoerceLiteral(const SqlType& from, const SqlType& to) {
  if (from.kind == TypeKind::kString &&
      (to.kind == TypeKind::kTimestamp || to.kind == TypeKind::kDate || to.kind == TypeKind::kTime))
    return true;
  return CanImplicitlyCast(from, to);
}

namespace {
// Integer digits / scale of a numeric type viewed as a decimal.
void DecimalIntegerDigitsAndScale(const SqlType& t, int* int_digits, int* scale) {
  int precision = 0;
  t.DecimalPrecisionScale(&precision, scale);
  *int_digits = precision - *scale;
}

TypePtr CommonOfTwo(const TypePtr& a, const TypePtr& b) {
  if (!a) return b;
  if (!b) return a;
  if (a->IsNumeric() && b->IsNumeric()) {
    if (a->kind == TypeKind::kDouble || b->kind == TypeKind::kDouble) return SqlType::Double();
    if (a->kind == TypeKind::kDecimal || b->kind == TypeKind::kDecimal) {
      if (TypeEquals(*a, *b)) return a;
      int ia, sa, ib, sb;
      DecimalIntegerDigitsAndScale(*a, &ia, &sa);
      DecimalIntegerDigitsAndScale(*b, &ib, &sb);
      int scale = std::max(sa, sb);
      int precision = std::min(38, std::max(ia, ib) + scale);
      return SqlType::Decimal(precision, std::min(scale, precision));
    }
    if (a->kind == TypeKind::kBigint || b->kind == TypeKind::kBigint) return SqlType::Bigint();
    return SqlType::Integer();
  }
  if (a->kind != b->kind) return nullptr;
  switch (a->kind) {
    case TypeKind::kArray: {
      TypePtr e = CommonOfTwo(a->element, b->element);
      if (!e) return nullptr;
      return TypeEquals(e, a->element) ? a : SqlType::Array(e);
    }
    case TypeKind::kMap: {
      TypePtr k = CommonOfTwo(a->key, b->key), v = CommonOfTwo(a->value, b->value);
      if (!k || !v) return nullptr;
      return TypeEquals(k, a->key) && TypeEquals(v, a->value) ? a : SqlType::Map(k, v);
    }
    case TypeKind::kStruct: {
      if (a->fields.size() != b->fields.size()) return nullptr;
      std::vector<StructField> fields;
      for (size_t i = 0; i < a->fields.size(); ++i) {
        if (a->fields[i].name != b->fields[i].name) return nullptr;
        TypePtr t = CommonOfTwo(a->fields[i].type, b->fields[i].type);
        if (!t) return nullptr;
        fields.push_back({a->fields[i].name, t});
      }
      return SqlType::Struct(std::move(fields));
    }
    default:
      return a;
  }
}
}  // namespace

TypePtr CommonSuperType(const std::vector<TypePtr>& types) {
  TypePtr result;
  bool any = false;
  for (const auto& t : types) {
    if (!t) continue;
    if (!any) {
      result = t;
      any = true;
      continue;
    }
    result = CommonOfTwo(result, t);
    if (!result) return nullptr;
  }
  return result;
}

}  // namespace sluice
