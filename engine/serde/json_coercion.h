#pragma once
// ksqlDB's coercions from a JSON scalar to a column's SQL type, shared by the simdjson
// deserializer, JsonToValue (nlohmann) and the DELIMITED format (whose fields are strings).
// Keeping them in one place is what makes the three agree on "12" -> INT and the like.
#include <string_view>
#include <vector>

#include "engine/common/status.h"
#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice::serde {

enum class JsonKind { kNull, kBool, kNumber, kString, kObject, kArray };

// "Can't convert type. sourceType: TextNode, requiredType: INTEGER" (Jackson node names,
// as ksqlDB reports them). `token` refines a number into IntNode/DoubleNode.
Status ConversionError(JsonKind kind, std::string_view token, const SqlType& type);

// `token` is the number exactly as written in the JSON text (so DECIMAL keeps its digits).
Status CoerceNumber(std::string_view token, const SqlType& type, Value* out);
Status CoerceString(std::string_view text, const SqlType& type, Value* out);
Status CoerceBool(bool b, const SqlType& type, Value* out);

// Parses decimal text into `type`'s scale (HALF_UP) and checks its precision.
Status ParseDecimalFor(std::string_view text, const SqlType& type, Value* out);

// ksqlDB matches JSON field names to columns and struct fields case-insensitively, preferring
// an exact match. Returns the index in `names` or -1.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
int FindFieldIgnoreCase(const std::vector<StructField>& fields, std::string_view key);

// Prefixes a nested conversion error with the column it happened in.
Status ColumnError(const std::string& column, const Status& cause);

}  // namespace sluice::serde
