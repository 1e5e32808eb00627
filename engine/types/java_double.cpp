#include "engine/types/java_double.h"

#include <charconv>
#include <cmath>

namespace sluice {

JavaDoubleDigits ToJavaDoubleDigits(double v) {
  // Shortest round-trip digits in scientific form: "[-]d[.ddd]e[+-]XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if (std::string_view(buf, res.ptr - buf).find('.') == std::string_view::npos) {
    // One shortest digit: Java renders two significant digits, the pair closest to the
    // exact value.
    res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, 1);
  }
  std::string_view sci(buf, res.ptr - buf);
  JavaDoubleDigits d;
  d.negative = sci[0] == '-';
  if (d.negative) sci.remove_prefix(1);
  size_t e_pos = sci.find('e');
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+'), sci.data() + sci.size(),
                  d.exponent);
  for (size_t i = 0; i < e_pos; ++i)
    if (sci[i] != '.') d.digits[d.count++] = sci[i];
  while (d.count > 1 && d.digits[d.count - 1] == '0') --d.count;
  return d;
}

void AppendJavaDouble(double v, std::string* out) {
  if (std::isnan(v)) return out->append("NaN"), void();
  if (std::isinf(v)) return out->append(v > 0 ? "Infinity" : "-Infinity"), void();
  if (v == 0) return out->append(std::signbit(v) ? "-0.0" : "0.0"), void();
  const JavaDoubleDigits d = ToJavaDoubleDigits(v);
  const char* digits = d.digits;
  const int nd = d.count;
  const int exp = d.exponent;
  if (d.negative) out->push_back('-');
  double a = std::fabs(v);
  if (a >= 1e-3 && a < 1e7) {
    // Plain notation with at least one fraction digit.
    if (exp >= 0) {
      for (int i = 0; i <= exp; ++i) out->push_back(i < nd ? digits[i] : '0');
      out->push_back('.');
      if (exp + 1 >= nd) out->push_back('0');
      else out->append(digits + exp + 1, nd - exp - 1);
    } else {
      out->append("0.");
      out->append(static_cast<size_t>(-exp - 1), '0');
      out->append(digits, nd);
    }
    return;
  }
  out->push_back(digits[0]);
  out->push_back('.');
  if (nd == 1) out->push_back('0');
  else out->append(digits + 1, nd - 1);
  out->push_back('E');
  out->append(std::to_string(exp));
}

std::string FormatJavaDouble(double v) {
  std::string out;
  AppendJavaDouble(v, &out);
  return out;
}

}  // namespace sluice
