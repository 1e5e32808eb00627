#pragma once
// For test runners and tools: a record as ksqlDB's test cases write it (JSON) encoded with any
// Avro schema, the way ksqlDB's test framework turns a case's input into the bytes a producer
// using that topic's registered schema would send (enums from their symbol, unions by the
// first branch the JSON fits, maps as Avro maps or Connect's MapEntry arrays, BYTES/fixed as
// base64, decimals from numbers or numeric text). The row formats do not use it.
#include <string>

#include <nlohmann/json.hpp>

#include "engine/common/status.h"

namespace sluice::serde::avro {

// The Avro binary body (no wire header) of `value` under `schema_text`. SerdeError when the
// JSON does not fit the schema (a missing required field, a symbol not in an enum...).
Result<std::string> EncodeJson(const std::string& schema_text, const nlohmann::json& value);

}  // namespace sluice::serde::avro
