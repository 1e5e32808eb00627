#pragma once
// Appends a Value as JSON text the way ksqlDB's Jackson serializer writes it: doubles as Java
// prints them ("1.0", "1.0E10", quoted "NaN"), DECIMAL as a plain number with its scale's
// digits, TIMESTAMP/TIME as millis, DATE as days, BYTES as base64, STRUCT as an object with
// its declared field names, MAP as an object. Hand-written because it is the hot path of
// every JSON sink: no intermediate tree, one reused output string.
#include <string>
#include <string_view>

#include "engine/types/sql_type.h"
#include "engine/types/value.h"

namespace sluice::serde {

void AppendJsonString(std::string_view s, std::string* out);
// JSON text without the whitespace outside strings: how Jackson re-renders a container
// (a JSON object or array read as STRING, JSON functions' results).
std::string MinifyJson(std::string_view raw);
// `type` (may be null) decides the rendering when the value's kind differs, e.g. an INT value
// in a DOUBLE column is written 1.0.
void AppendJsonValue(const Value& v, const SqlType* type, std::string* out);

}  // namespace sluice::serde
