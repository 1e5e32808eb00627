#pragma once
// Value: one SQL value, NULL included. A tagged union (std::variant) so that scalars live
// inline with no heap allocation; strings use std::string's small-string buffer; composite
// values (ARRAY, MAP, STRUCT) share immutable bodies through shared_ptr, so copying a row
// never deep-copies a nested value.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "engine/types/sql_type.h"

namespace sluice {

struct Null {
  bool operator==(const Null&) const { return true; }
};

// DECIMAL: unscaled two's-complement integer (precision <= 38 fits in 128 bits) and scale.
struct Decimal {
  __int128 unscaled = 0;
  int32_t scale = 0;
  bool operator==(const Decimal& o) const { return unscaled == o.unscaled && scale == o.scale; }
  std::string ToString() const;  // plain notation, e.g. "12.30", "-0.5"
  double ToDouble() const;
  // Parses "123.45", "-1", "1E+3" into a decimal with exactly `scale` digits after the point,
  // rounding HALF_UP; returns false on malformed text.
  static bool Parse(const std::string& text, int scale, Decimal* out);
  static Decimal FromDouble(double v, int scale);  // HALF_UP rounding
  Decimal Rescale(int new_scale) const;            // HALF_UP rounding when narrowing
  // Digits in the unscaled value (at least 1): compared with a type's precision.
  int Precision() const;
};

// 10^n for 0 <= n <= 38: the factor between a Decimal's unscaled value and its scale.
__int128 Pow10(int n);

struct Bytes {
  std::string data;
  bool operator==(const Bytes& o) const { return data == o.data; }
};
struct Date {       // days since 1970-01-01
  int32_t days = 0;
  bool operator==(const Date& o) const { return days == o.days; }
};
struct Time {       // milliseconds since midnight
  int32_t millis = 0;
  bool operator==(const Time& o) const { return millis == o.millis; }
};
struct Timestamp {  // milliseconds since the epoch, UTC
  int64_t millis = 0;
  bool operator==(const Timestamp& o) const { return millis == o.millis; }
};

class Value;
using ArrayValue = std::vector<Value>;
using MapValue = std::vector<std::pair<Value, Value>>;  // insertion-ordered, unique keys
struct StructValue {
  TypePtr type;               // STRUCT type: field names and types
  std::vector<Value> fields;  // one per type->fields entry, same order
};

class Value {
 public:
  using Storage = std::variant<Null, bool, int32_t, int64_t, double, Decimal, std::string,
                               Bytes, Date, Time, Timestamp,
                               std::shared_ptr<const ArrayValue>,
                               std::shared_ptr<const MapValue>,
                               std::shared_ptr<const StructValue>>;

  Value() = default;
  Value(Null) {}
  explicit Value(bool v) : v_(v) {}
  Value(int32_t v) : v_(v) {}  // NOLINT
  Value(int64_t v) : v_(v) {}  // NOLINT
  Value(double v) : v_(v) {}   // NOLINT
  Value(Decimal v) : v_(v) {}  // NOLINT
  Value(std::string v) : v_(std::move(v)) {}  // NOLINT
  Value(const char* v) : v_(std::string(v)) {}  // NOLINT
  Value(Bytes v) : v_(std::move(v)) {}  // NOLINT
  Value(Date v) : v_(v) {}  // NOLINT
  Value(Time v) : v_(v) {}  // NOLINT
  Value(Timestamp v) : v_(v) {}  // NOLINT
  static Value Array(ArrayValue items) {
    return Value(std::make_shared<const ArrayValue>(std::move(items)));
  }
  static Value Map(MapValue entries) {
    return Value(std::make_shared<const MapValue>(std::move(entries)));
  }
  static Value Struct(TypePtr type, std::vector<Value> fields) {
    return Value(std::make_shared<const StructValue>(StructValue{std::move(type), std::move(fields)}));
  }

  bool IsNull() const { return std::holds_alternative<Null>(v_); }
  bool IsBool() const { return std::holds_alternative<bool>(v_); }
  bool IsInt() const { return std::holds_alternative<int32_t>(v_); }
  bool IsBigint() const { return std::holds_alternative<int64_t>(v_); }
  bool IsDouble() const { return std::holds_alternative<double>(v_); }
  bool IsDecimal() const { return std::holds_alternative<Decimal>(v_); }
  bool IsString() const { return std::holds_alternative<std::string>(v_); }
  bool IsBytes() const { return std::holds_alternative<Bytes>(v_); }
  bool IsDate() const { return std::holds_alternative<Date>(v_); }
  bool IsTime() const { return std::holds_alternative<Time>(v_); }
  bool IsTimestamp() const { return std::holds_alternative<Timestamp>(v_); }
  bool IsArray() const { return std::holds_alternative<std::shared_ptr<const ArrayValue>>(v_); }
  bool IsMap() const { return std::holds_alternative<std::shared_ptr<const MapValue>>(v_); }
  bool IsStruct() const { return std::holds_alternative<std::shared_ptr<const StructValue>>(v_); }

  bool AsBool() const { return std::get<bool>(v_); }
  int32_t AsInt() const { return std::get<int32_t>(v_); }
  int64_t AsBigint() const { return std::get<int64_t>(v_); }
  double AsDouble() const { return std::get<double>(v_); }
  const Decimal& AsDecimal() const { return std::get<Decimal>(v_); }
  const std::string& AsString() const { return std::get<std::string>(v_); }
  const Bytes& AsBytes() const { return std::get<Bytes>(v_); }
  Date AsDate() const { return std::get<Date>(v_); }
  Time AsTime() const { return std::get<Time>(v_); }
  Timestamp AsTimestamp() const { return std::get<Timestamp>(v_); }
  const ArrayValue& AsArray() const { return *std::get<std::shared_ptr<const ArrayValue>>(v_); }
  const MapValue& AsMap() const { return *std::get<std::shared_ptr<const MapValue>>(v_); }
  const StructValue& AsStruct() const { return *std::get<std::shared_ptr<const StructValue>>(v_); }

  // Any integral or floating value widened: INT, BIGINT, DOUBLE, DECIMAL.
  int64_t ToInt64() const;
  double ToDouble() const;

  const Storage& storage() const { return v_; }
  bool operator==(const Value& o) const;  // deep, NULL == NULL (for grouping, tests)
  bool operator!=(const Value& o) const { return !(*this == o); }
  size_t Hash() const;

  // Debug/diagnostic rendering in ksqlDB's style (strings unquoted, arrays [1, 2],
  // maps {a=1}, structs Struct{A=1}); formats do their own rendering.
  std::string ToString() const;

 private:
  template <typename T>
  explicit Value(std::shared_ptr<const T> p) : v_(std::move(p)) {}
  Storage v_;
};

// Total order for sorting/comparison of values of the same kind; NULLs first.
// Returns <0, 0, >0. Numeric kinds compare across INT/BIGINT/DOUBLE/DECIMAL.
int CompareValues(const Value& a, const Value& b);

struct ValueHash {
  size_t operator()(const Value& v) const { return v.Hash(); }
};

using Row = std::vector<Value>;

}  // namespace sluice
