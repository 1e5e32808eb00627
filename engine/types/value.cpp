#include "engine/types/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "engine/types/java_double.h"

namespace sluice {

// ---- Decimal ---------------------------------------------------------------------------

__int128 Pow10(int n) {
  __int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

namespace {
std::string Int128ToString(__int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  return std::string(s.rbegin(), s.rend());
}
// Divides by 10^n rounding half away from zero (Java's HALF_UP).
__int128 DivRoundHalfUp(__int128 v, int n) {
  if (n <= 0) return v;
  __int128 p = Pow10(n);
  __int128 q = v / p, r = v % p;
  if (r < 0) r = -r;
  if (r * 2 >= p) q += (v < 0 ? -1 : 1);
  return q;
}
}  // namespace

std::string Decimal::ToString() const {
  std::string digits = Int128ToString(unscaled < 0 ? -unscaled : unscaled);
  std::string sign = unscaled < 0 ? "-" : "";
  if (scale <= 0) return sign + digits + std::string(-scale, '0');
  if (static_cast<int>(digits.size()) <= scale)
    digits = std::string(scale - digits.size() + 1, '0') + digits;
  return sign + digits.substr(0, digits.size() - scale) + "." + digits.substr(digits.size() - scale);
}

double Decimal::ToDouble() const {
  return std::stod(ToString());
}

bool Decimal::Parse(const std::string& text, int scale, Decimal* out) {
  size_t i = 0, n = text.size();
  while (i < n && isspace(static_cast<unsigned char>(text[i]))) ++i;
  while (n > i && isspace(static_cast<unsigned char>(text[n - 1]))) --n;
  bool neg = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
  __int128 mant = 0;
  int frac_digits = 0, digits = 0;
  bool seen_point = false;
  for (; i < n; ++i) {
    char c = text[i];
    if (c >= '0' && c <= '9') {
      if (digits > 38) return false;
      mant = mant * 10 + (c - '0');
      if (mant != 0) ++digits;
      if (seen_point) ++frac_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  int exponent = 0;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) eneg = text[i++] == '-';
    if (i >= n) return false;
    for (; i < n && isdigit(static_cast<unsigned char>(text[i])); ++i) exponent = exponent * 10 + (text[i] - '0');
    if (eneg) exponent = -exponent;
  }
  if (i != n) return false;
  int current_scale = frac_digits - exponent;  // value = mant * 10^-current_scale
  if (neg) mant = -mant;
  if (current_scale < scale) {
    if (scale - current_scale > 38) return false;
    mant *= Pow10(scale - current_scale);
  } else {
    mant = DivRoundHalfUp(mant, current_scale - scale);
  }
  out->unscaled = mant;
  out->scale = scale;
  return true;
}

Decimal Decimal::FromDouble(double v, int scale) {
  Decimal d;
  if (!std::isfinite(v)) return d;
  if (v == 0) return Decimal{0, scale};
  // Java's BigDecimal.valueOf goes through Double.toString's digits, so 0.1 becomes 0.1, not
  // 0.1000000000000000055.
  const JavaDoubleDigits java = ToJavaDoubleDigits(v);
  std::string text = java.negative ? "-" : "";
  text.append(java.digits, java.count);
  text += "e" + std::to_string(java.exponent - (java.count - 1));
  Parse(text, scale, &d);
  return d;
}

Decimal Decimal::Rescale(int new_scale) const {
  Decimal d;
  d.scale = new_scale;
  d.unscaled = new_scale >= scale ? unscaled * Pow10(new_scale - scale)
                                  : DivRoundHalfUp(unscaled, scale - new_scale);
  return d;
}

int Decimal::Precision() const {
  __int128 v = unscaled < 0 ? -unscaled : unscaled;
  int p = 1;
  while (v >= 10) {
    v /= 10;
    ++p;
  }
  return p;
}

// ---- Value -----------------------------------------------------------------------------

int64_t Value::ToInt64() const {
  if (IsInt()) return AsInt();
  if (IsBigint()) return AsBigint();
  if (IsDouble()) return static_cast<int64_t>(AsDouble());
  if (IsDecimal()) return static_cast<int64_t>(AsDecimal().Rescale(0).unscaled);
  return 0;
}

double Value::ToDouble() const {
  if (IsInt()) return AsInt();
  if (IsBigint()) return static_cast<double>(AsBigint());
  if (IsDouble()) return AsDouble();
  if (IsDecimal()) return AsDecimal().ToDouble();
  return 0;
}

bool Value::operator==(const Value& o) const {
  if (v_.index() != o.v_.index()) return false;
  if (IsArray()) return AsArray() == o.AsArray();
  if (IsMap()) return AsMap() == o.AsMap();
  if (IsStruct()) return AsStruct().fields == o.AsStruct().fields;
  return v_ == o.v_;
}

size_t Value::Hash() const {
  size_t seed = v_.index() * 0x9e3779b97f4a7c15ULL;
  auto mix = [&seed](size_t h) { seed ^= h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2); };
  std::visit([&](const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, Null>) mix(0);
    else if constexpr (std::is_same_v<T, Decimal>) mix(std::hash<int64_t>()(static_cast<int64_t>(x.unscaled)) ^ x.scale);
    else if constexpr (std::is_same_v<T, Bytes>) mix(std::hash<std::string>()(x.data));
    else if constexpr (std::is_same_v<T, Date>) mix(std::hash<int32_t>()(x.days));
    else if constexpr (std::is_same_v<T, Time>) mix(std::hash<int32_t>()(x.millis));
    else if constexpr (std::is_same_v<T, Timestamp>) mix(std::hash<int64_t>()(x.millis));
    else if constexpr (std::is_same_v<T, std::shared_ptr<const ArrayValue>>) { for (auto& e : *x) mix(e.Hash()); }
    else if constexpr (std::is_same_v<T, std::shared_ptr<const MapValue>>) { for (auto& e : *x) { mix(e.first.Hash()); mix(e.second.Hash()); } }
    else if constexpr (std::is_same_v<T, std::shared_ptr<const StructValue>>) { for (auto& e : x->fields) mix(e.Hash()); }
    else mix(std::hash<T>()(x));
  }, v_);
  return seed;
}

std::string Value::ToString() const {
  if (IsNull()) return "null";
  if (IsBool()) return AsBool() ? "true" : "false";
  if (IsInt()) return std::to_string(AsInt());
  if (IsBigint()) return std::to_string(AsBigint());
  if (IsDouble()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", AsDouble());
    return buf;
  }
  if (IsDecimal()) return AsDecimal().ToString();
  if (IsString()) return AsString();
  if (IsBytes()) return AsBytes().data;
  if (IsDate()) return std::to_string(AsDate().days);
  if (IsTime()) return std::to_string(AsTime().millis);
  if (IsTimestamp()) return std::to_string(AsTimestamp().millis);
  std::string s;
  if (IsArray()) {
    s = "[";
    for (size_t i = 0; i < AsArray().size(); ++i) s += (i ? ", " : "") + AsArray()[i].ToString();
    return s + "]";
  }
  if (IsMap()) {
    s = "{";
    bool first = true;
    for (auto& [k, v] : AsMap()) {
      s += (first ? "" : ", ") + k.ToString() + "=" + v.ToString();
      first = false;
    }
    return s + "}";
  }
  const StructValue& st = AsStruct();
  s = "Struct{";
  bool first = true;
  for (size_t i = 0; i < st.fields.size(); ++i) {
    if (st.fields[i].IsNull()) continue;
    s += (first ? "" : ",") + st.type->fields[i].name + "=" + st.fields[i].ToString();
    first = false;
  }
  return s + "}";
}

namespace {
bool IsNumber(const Value& v) { return v.IsInt() || v.IsBigint() || v.IsDouble() || v.IsDecimal(); }
template <typename T>
int Cmp(const T& a, const T& b) { return a < b ? -1 : (b < a ? 1 : 0); }
}  // namespace

int CompareValues(const Value& a, const Value& b) {
  if (a.IsNull() || b.IsNull()) return Cmp(!a.IsNull(), !b.IsNull());
  if (IsNumber(a) && IsNumber(b)) {
    if ((a.IsInt() || a.IsBigint()) && (b.IsInt() || b.IsBigint())) return Cmp(a.ToInt64(), b.ToInt64());
    if (a.IsDecimal() && b.IsDecimal()) {
      int s = std::max(a.AsDecimal().scale, b.AsDecimal().scale);
      return Cmp(a.AsDecimal().Rescale(s).unscaled, b.AsDecimal().Rescale(s).unscaled);
    }
    if (a.IsDecimal() && !b.IsDouble()) {
      Decimal bd{static_cast<__int128>(b.ToInt64()), 0};
      return CompareValues(a, Value(bd));
    }
    if (b.IsDecimal() && !a.IsDouble()) return -CompareValues(b, a);
    return Cmp(a.ToDouble(), b.ToDouble());
  }
  if (a.storage().index() != b.storage().index()) return Cmp(a.storage().index(), b.storage().index());
  if (a.IsBool()) return Cmp(a.AsBool(), b.AsBool());
  if (a.IsString()) return a.AsString().compare(b.AsString()) < 0 ? -1 : (a.AsString() == b.AsString() ? 0 : 1);
  if (a.IsBytes()) return Cmp(a.AsBytes().data, b.AsBytes().data);
  if (a.IsDate()) return Cmp(a.AsDate().days, b.AsDate().days);
  if (a.IsTime()) return Cmp(a.AsTime().millis, b.AsTime().millis);
  if (a.IsTimestamp()) return Cmp(a.AsTimestamp().millis, b.AsTimestamp().millis);
  if (a.IsArray()) {
    const auto &x = a.AsArray(), &y = b.AsArray();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (int c = CompareValues(x[i], y[i])) return c;
    return Cmp(x.size(), y.size());
  }
  if (a.IsStruct()) {
    const auto &x = a.AsStruct().fields, &y = b.AsStruct().fields;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (int c = CompareValues(x[i], y[i])) return c;
    return Cmp(x.size(), y.size());
  }
  // Maps: by entries in key order, so that equal maps (whatever their insertion order)
  // compare equal and every other pair has a consistent order.
  auto sorted = [](const MapValue& m) {
    std::vector<const std::pair<Value, Value>*> entries;
    for (const auto& e : m) entries.push_back(&e);
    std::sort(entries.begin(), entries.end(),
              [](auto* x, auto* y) { return CompareValues(x->first, y->first) < 0; });
    return entries;
  };
  const auto x = sorted(a.AsMap()), y = sorted(b.AsMap());
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (int c = CompareValues(x[i]->first, y[i]->first)) return c;
    if (int c = CompareValues(x[i]->second, y[i]->second)) return c;
  }
  return Cmp(x.size(), y.size());
}

}  // namespace sluice
