// Numeric functions: ABS, ROUND, TRUNC, trigonometry, logarithms, GREATEST/LEAST, ...
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>

#include "engine/expr/function_registry.h"
#include "engine/expr/cast.h"
#include "engine/expr/functions/function_util.h"
#include "engine/types/java_double.h"

namespace sluice {
namespace {

using namespace fnutil;  // NOLINT
using fn::Simple;
constexpr const char* kMathCategory = "MATHEMATICAL";

enum class RoundMode {
  kHalfTowardPositive,  // ksqlDB's ROUND: halves go up (1.5 -> 2, -1.5 -> -1)
  kDown,                // truncation toward zero (TRUNC)
  kFloor,
  kCeil,
};

// Divides v by 10^n with the given rounding.
__int128 DivRound(__int128 v, int n, RoundMode mode) {
  if (n <= 0) return v;
  if (n > 38) return 0;
  __int128 p = Pow10(n);
  __int128 q = v / p, r = v % p;  // truncated toward zero
  if (r == 0) return q;
  switch (mode) {
    case RoundMode::kDown: return q;
    case RoundMode::kFloor: return v < 0 ? q - 1 : q;
    case RoundMode::kCeil: return v > 0 ? q + 1 : q;
    case RoundMode::kHalfTowardPositive: {
      __int128 ar = r < 0 ? -r : r;
      if (v > 0) return ar * 2 >= p ? q + 1 : q;
      return ar * 2 > p ? q - 1 : q;
    }
  }
  return q;
}

// Rounds d to `places` decimal places (may be negative) keeping d's scale.
Decimal RoundDecimalKeepScale(const Decimal& d, int places, RoundMode mode) {
  if (places >= d.scale) return d;
  int drop = d.scale - places;
  Decimal out;
  out.scale = d.scale;
  if (drop > 38) {
    out.unscaled = 0;
    return out;
  }
  out.unscaled = DivRound(d.unscaled, drop, mode) * Pow10(drop);
  return out;
}

// Rounds a double through its shortest decimal representation (Java's BigDecimal.valueOf).
double RoundDouble(double v, int places, RoundMode mode) {
  if (std::isnan(v) || std::isinf(v) || v == 0) return v;
  const JavaDoubleDigits java = ToJavaDoubleDigits(v);
  const bool neg = java.negative;
  const std::string digits(java.digits, java.count);
  const int exp10 = java.exponent;
  int scale = static_cast<int>(digits.size()) - 1 - exp10;  // value = digits * 10^-scale
  if (scale <= places) return v;
  int drop = scale - places;
  std::string kept;
  std::string dropped;
  if (drop >= static_cast<int>(digits.size())) {
    kept = "0";
    dropped = std::string(drop - digits.size(), '0') + digits;
  } else {
    kept = digits.substr(0, digits.size() - drop);
    dropped = digits.substr(digits.size() - drop);
  }
  bool up = false;
  bool any_after = dropped.find_first_not_of('0', 1) != std::string::npos;
  switch (mode) {
    case RoundMode::kDown: up = false; break;
    case RoundMode::kFloor: up = neg && dropped.find_first_not_of('0') != std::string::npos; break;
    case RoundMode::kCeil: up = !neg && dropped.find_first_not_of('0') != std::string::npos; break;
    case RoundMode::kHalfTowardPositive:
      up = neg ? (dropped[0] > '5' || (dropped[0] == '5' && any_after)) : dropped[0] >= '5';
      break;
  }
  if (up) {  // increment the decimal string
    int i = static_cast<int>(kept.size()) - 1;
    while (i >= 0 && kept[i] == '9') kept[i--] = '0';
    if (i < 0) kept.insert(kept.begin(), '1');
    else ++kept[i];
  }
  std::string text = (neg ? "-" : "") + kept + "e" + std::to_string(-places);
  return std::strtod(text.c_str(), nullptr);
}

int64_t JavaMathRound(double v) {
  if (std::isnan(v)) return 0;
  double f = std::floor(v);
  return JavaDoubleToIntegral<int64_t>((v - f) >= 0.5 ? f + 1 : f);
}

// A one-argument DOUBLE function (INT, BIGINT and DECIMAL widen).
FunctionOverload DoubleFn(const std::string& name, double (*f)(double)) {
  return Simple(name + "(x DOUBLE) => DOUBLE", {K::kDouble}, SqlType::Double(),
                [f](const Args& a, const CallContext&, std::string*) { return Value(f(a[0].ToDouble())); });
}

ResolveFn ExactDecimal(size_t n_extra_int, bool zero_scale) {
  return [n_extra_int, zero_scale](const Types& t) -> TypePtr {
    if (t.size() != 1 + n_extra_int || !Is(t[0], K::kDecimal)) return nullptr;
    for (size_t i = 1; i < t.size(); ++i) if (!fn::Accepts(K::kInteger, t[i])) return nullptr;
    if (zero_scale) return SqlType::Decimal(std::max(1, t[0]->precision - t[0]->scale), 0);
    return t[0];
  };
}

// Registers ROUND / TRUNC, which share their overload shapes.
void AddRounding(FunctionRegistry& r, const std::string& name, RoundMode mode, const std::string& desc) {
  auto L = SqlType::Bigint(), D = SqlType::Double();
  std::vector<FunctionOverload> ov;
  ov.push_back(Simple(name + "(x INT) => BIGINT", {K::kInteger}, L,
                      [](const Args& a, const CallContext&, std::string*) { return Value(a[0].ToInt64()); }));
  ov.push_back(Simple(name + "(x BIGINT) => BIGINT", {K::kBigint}, L,
                      [](const Args& a, const CallContext&, std::string*) { return Value(a[0].ToInt64()); }));
  ov.push_back(Make(name + "(x DECIMAL(p, s)) => DECIMAL(p - s, 0)", 1, 1, ExactDecimal(0, true),
                    [mode](const Args& a, const CallContext&, std::string*) {
                      const Decimal& d = a[0].AsDecimal();
                      return Value(Decimal{DivRound(d.unscaled, d.scale, mode), 0});
                    }));
  ov.push_back(Simple(name + "(x DOUBLE) => BIGINT", {K::kDouble}, L,
                      [mode](const Args& a, const CallContext&, std::string*) {
                        double v = a[0].ToDouble();
                        return Value(mode == RoundMode::kDown
                                         ? JavaDoubleToIntegral<int64_t>(std::trunc(v))
                                         : JavaMathRound(v));
                      }));
  ov.push_back(Make(name + "(x DECIMAL(p, s), places INT) => DECIMAL(p, s)", 2, 2, ExactDecimal(1, false),
                    [mode](const Args& a, const CallContext&, std::string*) {
                      return Value(RoundDecimalKeepScale(a[0].AsDecimal(), ToInt32(a[1]), mode));
                    }));
  ov.push_back(Simple(name + "(x DOUBLE, places INT) => DOUBLE", {K::kDouble, K::kInteger}, D,
                      [mode](const Args& a, const CallContext&, std::string*) {
                        return Value(RoundDouble(a[0].ToDouble(), ToInt32(a[1]), mode));
                      }));
  r.Add(Info(name, kMathCategory, desc, std::move(ov)));
}

// CEIL / FLOOR: integers unchanged, DOUBLE to DOUBLE, DECIMAL keeps its type.
void AddCeilFloor(FunctionRegistry& r, const std::string& name, bool ceil, const std::string& desc) {
  std::vector<FunctionOverload> ov;
  auto same = [](const Args& a, const CallContext&, std::string*) { return a[0]; };
  ov.push_back(Simple(name + "(x INT) => INT", {K::kInteger}, SqlType::Integer(), same));
  ov.push_back(Simple(name + "(x BIGINT) => BIGINT", {K::kBigint}, SqlType::Bigint(), same));
  ov.push_back(Make(name + "(x DECIMAL(p, s)) => DECIMAL(p, s)", 1, 1, ExactDecimal(0, false),
                    [ceil](const Args& a, const CallContext&, std::string*) {
                      return Value(RoundDecimalKeepScale(a[0].AsDecimal(), 0, ceil ? RoundMode::kCeil : RoundMode::kFloor));
                    }));
  ov.push_back(Simple(name + "(x DOUBLE) => DOUBLE", {K::kDouble}, SqlType::Double(),
                      [ceil](const Args& a, const CallContext&, std::string*) {
                        double v = a[0].ToDouble();
                        return Value(ceil ? std::ceil(v) : std::floor(v));
                      }));
  r.Add(Info(name, kMathCategory, desc, std::move(ov)));
}

// GREATEST / LEAST: all arguments of one comparable type; mixed numerics resolve to DOUBLE
// when a DOUBLE is present, DECIMALs to a DECIMAL wide enough for all.
TypePtr ResolveExtreme(const Types& t) {
  TypePtr first;
  bool all_same = true, any_double = false, all_numeric = true, all_decimal = true;
  int int_digits = 0, scale = 0;
  for (const auto& x : t) {
    if (!x) continue;
    if (!x->IsPrimitive()) return nullptr;
    if (!first) first = x;
    else if (!TypeEquals(first, x)) all_same = false;
    any_double |= x->kind == K::kDouble;
    all_numeric &= x->IsNumeric();
    all_decimal &= x->kind == K::kDecimal;
    if (x->kind == K::kDecimal) {
      int_digits = std::max(int_digits, x->precision - x->scale);
      scale = std::max(scale, x->scale);
    }
  }
  if (!first) return nullptr;  // only NULL literals: ambiguous
  if (all_same) return first;
  if (all_numeric && any_double) return SqlType::Double();
  if (all_decimal) return SqlType::Decimal(std::min(38, int_digits + scale), scale);
  // DATE, TIME or TIMESTAMP arguments next to STRING ones (literals such as '2022-06-14'):
  // the strings are parsed as the temporal type.
  TypePtr temporal;
  for (const auto& x : t) {
    if (!x || x->kind == K::kString) continue;
    if (x->kind != K::kDate && x->kind != K::kTime && x->kind != K::kTimestamp) return nullptr;
    if (temporal && temporal->kind != x->kind) return nullptr;
    temporal = x;
  }
  return temporal;
}

// ksqlDB declares GREATEST/LEAST per type (INT, BIGINT, DOUBLE, DECIMAL, ...): mixed
// numerics without a DOUBLE, or only NULLs, fit several of them at once.
bool ExtremeAmbiguous(const Types& t) {
  for (const auto& x : t)
    if (x && !x->IsNumeric()) return false;
  return !t.empty();
}

ScalarImpl ExtremeImpl(bool greatest);

FunctionOverload Extreme(const std::string& name, bool greatest) {
  FunctionOverload ov = Make(name + "(x T, ...) => T", 1, -1, ResolveExtreme, ExtremeImpl(greatest),
                             NullPolicy::kCustom);
  ov.ambiguous = ExtremeAmbiguous;
  return ov;
}

ScalarImpl ExtremeImpl(bool greatest) {
  return [greatest](const Args& a, const CallContext& ctx, std::string* err) -> Value {
    const Value* best = nullptr;
    const TypePtr& ret = ctx.return_type;
    const bool temporal =
        ret && (ret->kind == K::kDate || ret->kind == K::kTime || ret->kind == K::kTimestamp);
    std::vector<Value> parsed;  // STRING arguments of a temporal call, parsed
    if (temporal) {
      parsed.reserve(a.size());
      for (const auto& v : a) {
        if (!v.IsString()) continue;
        std::string e;
        parsed.push_back(CastValue(v, *SqlType::String(), *ret, &e));
        if (!e.empty() || parsed.back().IsNull()) {
          if (err) *err = e.empty() ? "Failed to parse " + v.AsString() + " as " + ret->ToString() : e;
          return Value();
        }
      }
    }
    size_t next_parsed = 0;
    for (const auto& arg : a) {
      const Value& v = temporal && arg.IsString() ? parsed[next_parsed++] : arg;
      if (v.IsNull()) continue;
      if (!best || (greatest ? CompareValues(v, *best) > 0 : CompareValues(v, *best) < 0)) best = &v;
    }
    if (!best) return Value();
    const TypePtr& rt = ctx.return_type;
    if (rt && rt->kind == K::kDouble && !best->IsDouble()) return Value(best->ToDouble());
    if (rt && rt->kind == K::kDecimal) return Value(ToDecimal(*best, rt->scale));
    return *best;
  };
}

double GeoDistance(double lat1, double lon1, double lat2, double lon2, double radius) {
  const double kRad = M_PI / 180.0;
  double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  double h = std::pow(std::sin(dlat / 2), 2) +
             std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::pow(std::sin(dlon / 2), 2);
  return 2 * radius * std::asin(std::sqrt(h));
}

}  // namespace

void RegisterMathFunctions(FunctionRegistry& r) {
  auto I = SqlType::Integer(), L = SqlType::Bigint(), D = SqlType::Double();

  r.Add(Info("ABS", kMathCategory, "Returns the absolute value of a number, of the same type.",
             {Simple("ABS(x INT) => INT", {K::kInteger}, I,
                     [](const Args& a, const CallContext&, std::string*) {
                       int32_t v = a[0].AsInt();
                       return Value(static_cast<int32_t>(v < 0 ? -static_cast<int64_t>(v) : v));
                     }),
              Simple("ABS(x BIGINT) => BIGINT", {K::kBigint}, L,
                     [](const Args& a, const CallContext&, std::string*) {
                       int64_t v = a[0].ToInt64();
                       return Value(v < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(v)) : v);
                     }),
              Make("ABS(x DECIMAL(p, s)) => DECIMAL(p, s)", 1, 1, ExactDecimal(0, false),
                   [](const Args& a, const CallContext&, std::string*) {
                     Decimal d = a[0].AsDecimal();
                     if (d.unscaled < 0) d.unscaled = -d.unscaled;
                     return Value(d);
                   }),
              Simple("ABS(x DOUBLE) => DOUBLE", {K::kDouble}, D,
                     [](const Args& a, const CallContext&, std::string*) { return Value(std::fabs(a[0].ToDouble())); })}));

  AddCeilFloor(r, "CEIL", true, "Returns the smallest integral value greater than or equal to a number.");
  AddCeilFloor(r, "FLOOR", false, "Returns the largest integral value less than or equal to a number.");
  AddRounding(r, "ROUND", RoundMode::kHalfTowardPositive,
              "Rounds a number to the given number of decimal places (default 0; negative rounds left of the point); halves round toward positive infinity.");
  AddRounding(r, "TRUNC", RoundMode::kDown,
              "Truncates a number toward zero to the given number of decimal places (default 0; negative truncates left of the point).");

  r.Add(Info("ACOS", kMathCategory, "Returns the arc cosine of a number, in radians (NaN outside [-1, 1]).", {DoubleFn("ACOS", [](double x) { return std::acos(x); })}));
  r.Add(Info("ASIN", kMathCategory, "Returns the arc sine of a number, in radians (NaN outside [-1, 1]).", {DoubleFn("ASIN", [](double x) { return std::asin(x); })}));
  r.Add(Info("ATAN", kMathCategory, "Returns the arc tangent of a number, in radians.", {DoubleFn("ATAN", [](double x) { return std::atan(x); })}));
  r.Add(Info("ATAN2", kMathCategory, "Returns the angle, in radians, of the point (x, y) from the positive x axis: the arc tangent of y / x.",
             {Simple("ATAN2(y DOUBLE, x DOUBLE) => DOUBLE", {K::kDouble, K::kDouble}, D,
                     [](const Args& a, const CallContext&, std::string*) { return Value(std::atan2(a[0].ToDouble(), a[1].ToDouble())); })}));
  r.Add(Info("COS", kMathCategory, "Returns the cosine of an angle given in radians.", {DoubleFn("COS", [](double x) { return std::cos(x); })}));
  r.Add(Info("COSH", kMathCategory, "Returns the hyperbolic cosine of a number.", {DoubleFn("COSH", [](double x) { return std::cosh(x); })}));
  r.Add(Info("COT", kMathCategory, "Returns the cotangent of an angle given in radians.", {DoubleFn("COT", [](double x) { return 1.0 / std::tan(x); })}));
  r.Add(Info("SIN", kMathCategory, "Returns the sine of an angle given in radians.", {DoubleFn("SIN", [](double x) { return std::sin(x); })}));
  r.Add(Info("SINH", kMathCategory, "Returns the hyperbolic sine of a number.", {DoubleFn("SINH", [](double x) { return std::sinh(x); })}));
  r.Add(Info("TAN", kMathCategory, "Returns the tangent of an angle given in radians.", {DoubleFn("TAN", [](double x) { return std::tan(x); })}));
  r.Add(Info("TANH", kMathCategory, "Returns the hyperbolic tangent of a number.", {DoubleFn("TANH", [](double x) { return std::tanh(x); })}));
  r.Add(Info("DEGREES", kMathCategory, "Converts an angle from radians to degrees.", {DoubleFn("DEGREES", [](double x) { return x * 180.0 / M_PI; })}));
  r.Add(Info("RADIANS", kMathCategory, "Converts an angle from degrees to radians.", {DoubleFn("RADIANS", [](double x) { return x / 180.0 * M_PI; })}));
  r.Add(Info("CBRT", kMathCategory, "Returns the cube root of a number.", {DoubleFn("CBRT", [](double x) { return std::cbrt(x); })}));
  r.Add(Info("SQRT", kMathCategory, "Returns the square root of a number (NaN for negative input).", {DoubleFn("SQRT", [](double x) { return std::sqrt(x); })}));
  r.Add(Info("EXP", kMathCategory, "Returns e raised to the power of a number.", {DoubleFn("EXP", [](double x) { return std::exp(x); })}));
  r.Add(Info("LN", kMathCategory, "Returns the natural logarithm of a number (-Infinity at 0, NaN below).", {DoubleFn("LN", [](double x) { return std::log(x); })}));
  r.Add(Info("LOG", kMathCategory, "Returns the natural logarithm of a value, or its logarithm in a given base.",
             {DoubleFn("LOG", [](double x) { return std::log(x); }),
              Simple("LOG(base DOUBLE, value DOUBLE) => DOUBLE", {K::kDouble, K::kDouble}, D,
                     [](const Args& a, const CallContext&, std::string*) {
                       double b = a[0].ToDouble(), v = a[1].ToDouble();
                       if (b <= 0 || b == 1) return Value(std::nan(""));
                       // As Java: log(0) = -Infinity over log(base), so +Infinity for a base < 1.
                       return Value(std::log(v) / std::log(b));
                     })}));
  r.Add(Info("POWER", kMathCategory, "Raises a base to an exponent (Infinity on overflow).",
             {Simple("POWER(base DOUBLE, exponent DOUBLE) => DOUBLE", {K::kDouble, K::kDouble}, D,
                     [](const Args& a, const CallContext&, std::string*) { return Value(std::pow(a[0].ToDouble(), a[1].ToDouble())); })}));
  r.Add(Info("SIGN", kMathCategory, "Returns -1, 0 or 1 as a number is negative, zero or positive.",
             {Simple("SIGN(x INT) => INT", {K::kInteger}, I,
                     [](const Args& a, const CallContext&, std::string*) { int64_t v = a[0].ToInt64(); return Value(static_cast<int32_t>((v > 0) - (v < 0))); }),
              Simple("SIGN(x BIGINT) => INT", {K::kBigint}, I,
                     [](const Args& a, const CallContext&, std::string*) { int64_t v = a[0].ToInt64(); return Value(static_cast<int32_t>((v > 0) - (v < 0))); }),
              Make("SIGN(x DECIMAL) => INT", 1, 1, [I](const Types& t) -> TypePtr { return Is(t[0], K::kDecimal) ? I : nullptr; },
                   [](const Args& a, const CallContext&, std::string*) { auto u = a[0].AsDecimal().unscaled; return Value(static_cast<int32_t>((u > 0) - (u < 0))); }),
              Simple("SIGN(x DOUBLE) => INT", {K::kDouble}, I,
                     [](const Args& a, const CallContext&, std::string*) { double v = a[0].ToDouble(); return Value(static_cast<int32_t>((v > 0) - (v < 0))); })}));
  r.Add(Info("PI", kMathCategory, "Returns an approximation of pi.",
             {Simple("PI() => DOUBLE", {}, D, [](const Args&, const CallContext&, std::string*) { return Value(M_PI); })}));
  r.Add(Info("RANDOM", kMathCategory, "Returns a random DOUBLE in [0.0, 1.0).",
             {Simple("RANDOM() => DOUBLE", {}, D, [](const Args&, const CallContext&, std::string*) {
                thread_local std::mt19937_64 rng(std::random_device{}());
                return Value(std::uniform_real_distribution<double>(0.0, 1.0)(rng));
              })}));

  r.Add(Info("GREATEST", kMathCategory, "Returns the largest non-NULL argument; all arguments must be of one comparable type.",
             {Extreme("GREATEST", true)}));
  r.Add(Info("LEAST", kMathCategory, "Returns the smallest non-NULL argument; all arguments must be of one comparable type.",
             {Extreme("LEAST", false)}));

  auto geo = [](const Args& a, const CallContext&, std::string* err) -> Value {
    double lat1 = a[0].ToDouble(), lon1 = a[1].ToDouble(), lat2 = a[2].ToDouble(), lon2 = a[3].ToDouble();
    if (std::fabs(lat1) > 90 || std::fabs(lat2) > 90 || std::fabs(lon1) > 180 || std::fabs(lon2) > 180) {
      if (err) *err = "GEO_DISTANCE: latitude must be within [-90, 90] and longitude within [-180, 180]";
      return Value();
    }
    double radius = 6371.0;
    if (a.size() > 4) {
      std::string u = a[4].AsString();
      for (char& c : u) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      bool km = u == "km" || u == "kms" || u == "kilometer" || u == "kilometers" ||
                u == "kilometre" || u == "kilometres";
      if (u == "mi" || u == "mile" || u == "miles") {
        radius = 3959.0;
      } else if (!km) {
        if (err) *err = "GEO_DISTANCE: unknown unit " + a[4].AsString();
        return Value();
      }
    }
    return Value(GeoDistance(lat1, lon1, lat2, lon2, radius));
  };
  r.Add(Info("GEO_DISTANCE", kMathCategory, "Returns the great-circle distance between two latitude/longitude points in kilometres (default) or miles.",
             {Simple("GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) => DOUBLE",
                     {K::kDouble, K::kDouble, K::kDouble, K::kDouble}, D, geo),
              Simple("GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, unit STRING) => DOUBLE",
                     {K::kDouble, K::kDouble, K::kDouble, K::kDouble, K::kString}, D, geo)}));
}

}  // namespace sluice
