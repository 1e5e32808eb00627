#pragma once
// SQL types as ksqlDB has them. Types are immutable and shared (TypePtr); primitive types are
// singletons, so comparing kinds is cheap and a schema costs one pointer per column.
#include <memory>
#include <string>
#include <vector>

namespace sluice {

enum class TypeKind : uint8_t {
  kBoolean, kInteger, kBigint, kDouble, kDecimal, kString, kBytes,
  kDate, kTime, kTimestamp, kArray, kMap, kStruct
};

struct SqlType;
using TypePtr = std::shared_ptr<const SqlType>;

struct StructField {
  std::string name;
  TypePtr type;
};

struct SqlType {
  TypeKind kind;
  int precision = 0;                 // DECIMAL only
  int scale = 0;                     // DECIMAL only
  TypePtr element;                   // ARRAY element
  TypePtr key, value;                // MAP key / value
  std::vector<StructField> fields;   // STRUCT fields, in declaration order

  static TypePtr Boolean();
  static TypePtr Integer();
  static TypePtr Bigint();
  static TypePtr Double();
  static TypePtr String();
  static TypePtr Bytes();
  static TypePtr Date();
  static TypePtr Time();
  static TypePtr Timestamp();
  static TypePtr Decimal(int precision, int scale);
  static TypePtr Array(TypePtr element);
  static TypePtr Map(TypePtr key, TypePtr value);
  static TypePtr Struct(std::vector<StructField> fields);

  bool IsNumeric() const {
    return kind == TypeKind::kInteger || kind == TypeKind::kBigint ||
           kind == TypeKind::kDouble || kind == TypeKind::kDecimal;
  }
  bool IsPrimitive() const {
    return kind != TypeKind::kArray && kind != TypeKind::kMap && kind != TypeKind::kStruct;
  }
  // A numeric type's precision and scale viewed as a DECIMAL, as ksqlDB's decimal arithmetic and
  // casts see them: INT as DECIMAL(10, 0), BIGINT as DECIMAL(19, 0), DECIMAL as itself.
  void DecimalPrecisionScale(int* precision, int* scale) const;
  // Index of a struct field by name (case-sensitive, as ksqlDB resolves after upper-casing
  // unquoted names), or -1.
  int FieldIndex(const std::string& name) const;

  // ksqlDB's rendering: INTEGER, DECIMAL(4, 2), ARRAY<STRING>, MAP<STRING, INTEGER>,
  // STRUCT<`A` INTEGER, `B` STRING> (ToSqlString quotes struct field names, ToString not).
  std::string ToString() const;
  std::string ToSqlString() const;
};

bool TypeEquals(const SqlType& a, const SqlType& b);
inline bool TypeEquals(const TypePtr& a, const TypePtr& b) {
  return a == b || (a && b && TypeEquals(*a, *b));
}

const char* TypeKindName(TypeKind kind);

}  // namespace sluice
