#include "engine/serde/json_coercion.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <strings.h>

#include "engine/serde/text_codec.h"
#include "engine/types/java_double.h"

namespace sluice::serde {

namespace {
const char* NodeName(JsonKind kind, std::string_view token) {
  switch (kind) {
    case JsonKind::kNull: return "NullNode";
    case JsonKind::kBool: return "BooleanNode";
    case JsonKind::kNumber: return IsIntegralToken(token) ? "IntNode" : "DoubleNode";
    case JsonKind::kString: return "TextNode";
    case JsonKind::kObject: return "ObjectNode";
    case JsonKind::kArray: return "ArrayNode";
  }
  return "?";
}

Status StringCoercionError(const SqlType& type) {
  return Status::SerdeError("Can't coerce string to type. targetType: " + type.ToString());
}

// A number token as an integer the way Jackson's intValue()/longValue() reads it.
bool NumberToInt64(std::string_view token, int64_t* v) {
  if (IsIntegralToken(token)) return ParseInt64(token, v);
  double d;
  if (!ParseDouble(token, &d)) return false;
  *v = JavaDoubleToIntegral<int64_t>(d);
  return true;
}
}  // namespace

Status ConversionError(JsonKind kind, std::string_view token, const SqlType& type) {
  return Status::SerdeError(std::string("Can't convert type. sourceType: ") +
                            NodeName(kind, token) + ", requiredType: " + type.ToString());
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && std::toupper(static_cast<unsigned char>(a[i])) !=
                            std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

int FindFieldIgnoreCase(const std::vector<StructField>& fields, std::string_view key) {
  int candidate = -1;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == key) return static_cast<int>(i);
    if (candidate < 0 && EqualsIgnoreCase(fields[i].name, key)) candidate = static_cast<int>(i);
  }
  return candidate;
}

Status ColumnError(const std::string& column, const Status& cause) {
  return Status::SerdeError("Failed to deserialize column `" + column + "`: " + cause.message());
}

Status ParseDecimalFor(std::string_view text, const SqlType& type, Value* out) {
  Decimal d;
  std::string s(TrimSpaces(text));
  if (!Decimal::Parse(s, type.scale, &d)) return StringCoercionError(type);
  if (d.Precision() > type.precision && d.unscaled != 0)
    return Status::SerdeError("Cannot fit decimal '" + s + "' into " + type.ToString());
  *out = Value(d);
  return Status::OK();
}

Status CoerceNumber(std::string_view token, const SqlType& type, Value* out) {
  int64_t i64;
  double d;
  switch (type.kind) {
    case TypeKind::kInteger:
      if (!IsIntegralToken(token)) {
        if (!ParseDouble(token, &d)) break;
        *out = Value(JavaDoubleToIntegral<int32_t>(d));
        return Status::OK();
      }
      if (!ParseInt64(token, &i64)) break;
      *out = Value(static_cast<int32_t>(i64));  // Jackson's intValue() narrows like Java
      return Status::OK();
    case TypeKind::kBigint:
      if (!NumberToInt64(token, &i64)) break;
      *out = Value(i64);
      return Status::OK();
    case TypeKind::kDouble:
      if (!ParseDouble(token, &d)) break;
      *out = Value(d);
      return Status::OK();
    case TypeKind::kDecimal:
      return ParseDecimalFor(token, type, out);
    case TypeKind::kString:
      *out = Value(std::string(token));
      return Status::OK();
    case TypeKind::kTimestamp:
      if (!NumberToInt64(token, &i64)) break;
      *out = Value(Timestamp{i64});
      return Status::OK();
    case TypeKind::kDate:
      if (!NumberToInt64(token, &i64)) break;
      *out = Value(Date{static_cast<int32_t>(i64)});
      return Status::OK();
    case TypeKind::kTime:
      if (!NumberToInt64(token, &i64)) break;
      *out = Value(Time{static_cast<int32_t>(i64)});
      return Status::OK();
    default:
      break;
  }
  return ConversionError(JsonKind::kNumber, token, type);
}

Status CoerceString(std::string_view text, const SqlType& type, Value* out) {
  std::string_view t = TrimSpaces(text);
  int64_t i64;
  double d;
  switch (type.kind) {
    case TypeKind::kString:
      *out = Value(std::string(text));
      return Status::OK();
    case TypeKind::kInteger:
      if (!ParseInt64(t, &i64) || i64 < std::numeric_limits<int32_t>::min() ||
          i64 > std::numeric_limits<int32_t>::max())
        return StringCoercionError(type);
      *out = Value(static_cast<int32_t>(i64));
      return Status::OK();
    case TypeKind::kBigint:
      if (!ParseInt64(t, &i64)) return StringCoercionError(type);
      *out = Value(i64);
      return Status::OK();
    case TypeKind::kDouble:
      if (!ParseDouble(t, &d)) return StringCoercionError(type);
      *out = Value(d);
      return Status::OK();
    case TypeKind::kDecimal:
      return ParseDecimalFor(t, type, out);
    case TypeKind::kBoolean:
      if (t.size() == 4 && strncasecmp(t.data(), "true", 4) == 0) *out = Value(true);
      else if (t.size() == 5 && strncasecmp(t.data(), "false", 5) == 0) *out = Value(false);
      else return StringCoercionError(type);
      return Status::OK();
    case TypeKind::kBytes: {
      Bytes b;
      if (!DecodeBase64(t, &b.data))
        return Status::SerdeError("Value is not a valid Base64 encoded string: " + std::string(t));
      *out = Value(std::move(b));
      return Status::OK();
    }
    case TypeKind::kTimestamp: {
      if (!ParseInt64(t, &i64) && !ParseIsoTimestamp(t, &i64)) return StringCoercionError(type);
      *out = Value(Timestamp{i64});
      return Status::OK();
    }
    case TypeKind::kDate: {
      int32_t days;
      if (ParseInt64(t, &i64)) days = static_cast<int32_t>(i64);
      else if (!ParseIsoDate(t, &days)) return StringCoercionError(type);
      *out = Value(Date{days});
      return Status::OK();
    }
    case TypeKind::kTime: {
      int32_t ms;
      if (ParseInt64(t, &i64)) ms = static_cast<int32_t>(i64);
      else if (!ParseIsoTime(t, &ms)) return StringCoercionError(type);
      *out = Value(Time{ms});
      return Status::OK();
    }
    default:
      return ConversionError(JsonKind::kString, text, type);
  }
}

Status CoerceBool(bool b, const SqlType& type, Value* out) {
  if (type.kind == TypeKind::kBoolean) {
    *out = Value(b);
    return Status::OK();
  }
  if (type.kind == TypeKind::kString) {
    *out = Value(std::string(b ? "true" : "false"));
    return Status::OK();
  }
  return ConversionError(JsonKind::kBool, {}, type);
}

}  // namespace sluice::serde
