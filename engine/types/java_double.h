#pragma once
// Java's handling of a double, the one implementation every part of the engine uses:
// Double.toString (CAST(x AS STRING), ARRAY_JOIN, the JSON and DELIMITED serializers), the
// decimal digits behind BigDecimal.valueOf(double) (ROUND, DECIMAL from DOUBLE) and the
// (int)/(long) casts (CAST, ROUND, JSON coercion).
#include <cmath>
#include <limits>
#include <string>

namespace sluice {

// The decimal digits Java's Double.toString gives a finite, non-zero double: the shortest
// that read back as `v`, but at least two significant digits when the shortest has one and
// the exact value is not that digit (Double.MIN_VALUE is 4.9E-324, not 5.0E-324 or 5E-324).
// |v| = d0.d1d2... * 10^exponent.
struct JavaDoubleDigits {
  bool negative = false;
  char digits[24] = {};  // '0'..'9', no trailing zeros (at least one digit)
  int count = 0;
  int exponent = 0;
};
JavaDoubleDigits ToJavaDoubleDigits(double v);

// Java's Double.toString: "1.0", "0.001", "1234567.0", "1.0E7", "1.0E-4", "-0.0", "NaN",
// "Infinity", "-Infinity".
void AppendJavaDouble(double v, std::string* out);
std::string FormatJavaDouble(double v);

// Java's (int) / (long) cast of a double: truncation toward zero, saturation at the type's
// range, NaN -> 0.
template <typename Int>
Int JavaDoubleToIntegral(double d) {
  using Limits = std::numeric_limits<Int>;
  if (std::isnan(d)) return 0;
  if (d >= static_cast<double>(Limits::max())) return Limits::max();
  if (d <= static_cast<double>(Limits::min())) return Limits::min();
  return static_cast<Int>(d);
}

}  // namespace sluice
