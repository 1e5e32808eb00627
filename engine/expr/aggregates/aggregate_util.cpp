// Helpers shared by the aggregate families: error messages in ksqlDB's wording, literal init
// arguments, and Java's ordering of the values the UDAFs sort.
#include <cmath>
#include <cstring>

#include "engine/expr/aggregates/aggregate_internal.h"

namespace sluice::agg {

namespace {

std::string TypeText(const TypePtr& t) { return t ? t->ToString() : "null"; }

// Decodes the UTF-8 code point starting at s[i] (lenient: a stray byte is its own value).
uint32_t CodePointAt(const std::string& s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + extra >= s.size()) return b;
  uint32_t cp = b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// The first UTF-16 code unit of a code point: what String.compareTo looks at first.
uint32_t FirstUtf16Unit(uint32_t cp) {
  return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10);
}

// String.compareTo: UTF-16 code unit order, which differs from UTF-8 byte (= code point)
// order only between U+E000..U+FFFF and supplementary characters.
int JavaStringCompare(const std::string& a, const std::string& b) {
  size_t i = 0;
  const size_t n = std::min(a.size(), b.size());
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  // Back up to the start of the code point that differs.
  while (i > 0 && (static_cast<unsigned char>(a[i]) & 0xC0) == 0x80) --i;
  const uint32_t ca = CodePointAt(a, i), cb = CodePointAt(b, i);
  const uint32_t ua = FirstUtf16Unit(ca), ub = FirstUtf16Unit(cb);
  if (ua != ub) return ua < ub ? -1 : 1;
  return ca < cb ? -1 : (ca > cb ? 1 : 0);
}

// Double.compare: -0.0 < 0.0, NaN above everything and equal to itself.
int JavaDoubleCompare(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  int64_t x, y;
  std::memcpy(&x, &a, sizeof x);
  std::memcpy(&y, &b, sizeof y);
  if (std::isnan(a)) x = 0x7ff8000000000000LL;  // Double.doubleToLongBits canonical NaN
  if (std::isnan(b)) y = 0x7ff8000000000000LL;
  return x == y ? 0 : (x < y ? -1 : 1);
}

// ByteBuffer.compareTo: byte by byte as signed values, then by length.
int JavaBytesCompare(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<int8_t>(a[i]), y = static_cast<int8_t>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace

Status NoMatchingSignature(const Call& call) {
  std::string types;
  for (size_t i = 0; i < call.types.size(); ++i) {
    if (i) types += ", ";
    types += TypeText(call.types[i]);
  }
  std::string msg = std::string("Function '") + call.spec.ksql_name +
                    "' does not accept parameters (" + types + ").";
  if (!call.spec.signatures.empty()) {
    msg += "\nValid alternatives are:";
    for (const auto& s : call.spec.signatures) msg += "\n" + s;
  }
  return Status::TypeError(msg);
}

bool IsLiteralOf(const Call& call, size_t index, TypeKind kind) {
  return index < call.size() && IsKind(call.types[index], kind) && call.literals.size() > index &&
         call.literals[index].has_value() && !call.literals[index]->IsNull();
}

Status InitArgError(const Call& call, size_t index) {
  std::string msg = "Parameter " + std::to_string(index + 1) + " passed to function " +
                    call.spec.name + " must be a literal constant, but was expression";
  if (index < call.texts.size()) msg += ": '" + call.texts[index] + "'";
  return Status::TypeError(msg);
}

TypePtr StructOf(std::vector<StructField> fields) { return SqlType::Struct(std::move(fields)); }

int JavaCompare(const Value& a, const Value& b) {
  if (a.IsDouble() && b.IsDouble()) return JavaDoubleCompare(a.AsDouble(), b.AsDouble());
  if (a.IsString() && b.IsString()) return JavaStringCompare(a.AsString(), b.AsString());
  if (a.IsBytes() && b.IsBytes()) return JavaBytesCompare(a.AsBytes().data, b.AsBytes().data);
  return CompareValues(a, b);
}

}  // namespace sluice::agg
