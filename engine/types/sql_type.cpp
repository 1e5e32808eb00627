#include "engine/types/sql_type.h"

namespace sluice {
namespace {
TypePtr MakePrimitive(TypeKind kind) {
  auto t = std::make_shared<SqlType>();
  t->kind = kind;
  return t;
}
}  // namespace

TypePtr SqlType::Boolean() { static TypePtr t = MakePrimitive(TypeKind::kBoolean); return t; }
TypePtr SqlType::Integer() { static TypePtr t = MakePrimitive(TypeKind::kInteger); return t; }
TypePtr SqlType::Bigint() { static TypePtr t = MakePrimitive(TypeKind::kBigint); return t; }
TypePtr SqlType::Double() { static TypePtr t = MakePrimitive(TypeKind::kDouble); return t; }
TypePtr SqlType::String() { static TypePtr t = MakePrimitive(TypeKind::kString); return t; }
TypePtr SqlType::Bytes() { static TypePtr t = MakePrimitive(TypeKind::kBytes); return t; }
TypePtr SqlType::Date() { static TypePtr t = MakePrimitive(TypeKind::kDate); return t; }
TypePtr SqlType::Time() { static TypePtr t = MakePrimitive(TypeKind::kTime); return t; }
TypePtr SqlType::Timestamp() { static TypePtr t = MakePrimitive(TypeKind::kTimestamp); return t; }

void SqlType::DecimalPrecisionScale(int* precision, int* scale_out) const {
  switch (kind) {
    case TypeKind::kInteger: *precision = 10; *scale_out = 0; break;
    case TypeKind::kBigint: *precision = 19; *scale_out = 0; break;
    default: *precision = this->precision; *scale_out = this->scale; break;
  }
}

TypePtr SqlType::Decimal(int precision, int scale) {
  auto t = std::make_shared<SqlType>();
  t->kind = TypeKind::kDecimal;
  t->precision = precision;
  t->scale = scale;
  return t;
}
TypePtr SqlType::Array(TypePtr element) {
  auto t = std::make_shared<SqlType>();
  t->kind = TypeKind::kArray;
  t->element = std::move(element);
  return t;
}
TypePtr SqlType::Map(TypePtr key, TypePtr value) {
  auto t = std::make_shared<SqlType>();
  t->kind = TypeKind::kMap;
  t->key = std::move(key);
  t->value = std::move(value);
  return t;
}
TypePtr SqlType::Struct(std::vector<StructField> fields) {
  auto t = std::make_shared<SqlType>();
  t->kind = TypeKind::kStruct;
  t->fields = std::move(fields);
  return t;
}

int SqlType::FieldIndex(const std::string& name) const {
  for (size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return static_cast<int>(i);
  return -1;
}

const char* TypeKindName(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBoolean: return "BOOLEAN";
    case TypeKind::kInteger: return "INTEGER";
    case TypeKind::kBigint: return "BIGINT";
    case TypeKind::kDouble: return "DOUBLE";
    case TypeKind::kDecimal: return "DECIMAL";
    case TypeKind::kString: return "STRING";
    case TypeKind::kBytes: return "BYTES";
    case TypeKind::kDate: return "DATE";
    case TypeKind::kTime: return "TIME";
    case TypeKind::kTimestamp: return "TIMESTAMP";
    case TypeKind::kArray: return "ARRAY";
    case TypeKind::kMap: return "MAP";
    case TypeKind::kStruct: return "STRUCT";
  }
  return "?";
}

static std::string Render(const SqlType& t, bool quote_fields) {
  switch (t.kind) {
    case TypeKind::kDecimal:
      return "DECIMAL(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")";
    case TypeKind::kArray:
      return "ARRAY<" + Render(*t.element, quote_fields) + ">";
    case TypeKind::kMap:
      return "MAP<" + Render(*t.key, quote_fields) + ", " + Render(*t.value, quote_fields) + ">";
    case TypeKind::kStruct: {
      std::string s = "STRUCT<";
      for (size_t i = 0; i < t.fields.size(); ++i) {
        if (i) s += ", ";
        s += quote_fields ? "`" + t.fields[i].name + "`" : t.fields[i].name;
        s += " " + Render(*t.fields[i].type, quote_fields);
      }
      return s + ">";
    }
    default:
      return TypeKindName(t.kind);
  }
}

std::string SqlType::ToString() const { return Render(*this, false); }
std::string SqlType::ToSqlString() const { return Render(*this, true); }

bool TypeEquals(const SqlType& a, const SqlType& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case TypeKind::kDecimal:
      return a.precision == b.precision && a.scale == b.scale;
    case TypeKind::kArray:
      return TypeEquals(a.element, b.element);
    case TypeKind::kMap:
      return TypeEquals(a.key, b.key) && TypeEquals(a.value, b.value);
    case TypeKind::kStruct:
      if (a.fields.size() != b.fields.size()) return false;
      for (size_t i = 0; i < a.fields.size(); ++i)
        if (a.fields[i].name != b.fields[i].name || !TypeEquals(a.fields[i].type, b.fields[i].type))
          return false;
      return true;
    default:
      return true;
  }
}

}  // namespace sluice
