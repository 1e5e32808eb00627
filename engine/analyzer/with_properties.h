#pragma once
// The WITH (...) properties of CREATE STREAM/TABLE [AS SELECT]: validated and typed once.
#include <optional>
#include <string>

#include "engine/common/status.h"
#include "engine/parser/statement.h"
#include "engine/serde/format.h"

namespace sluice {

struct WithProperties {
  std::optional<std::string> kafka_topic;
  std::optional<int> partitions;
  std::optional<int> replicas;
  std::optional<FormatKind> key_format, value_format;  // FORMAT sets both
  std::optional<char> value_delimiter, key_delimiter;
  std::optional<bool> wrap_single_value;
  std::optional<std::string> timestamp, timestamp_format;
  std::optional<std::string> window_type;
  std::optional<int64_t> window_size_ms;
  // Schema Registry formats: which registered schema to use, and which message of it.
  std::optional<int> key_schema_id, value_schema_id;             // KEY_/VALUE_SCHEMA_ID
  std::optional<std::string> key_schema_full_name;               // KEY_SCHEMA_FULL_NAME
  std::optional<std::string> value_schema_full_name;             // VALUE_SCHEMA_FULL_NAME
  std::optional<std::string> value_avro_schema_full_name;        // VALUE_AVRO_SCHEMA_FULL_NAME
  std::optional<std::string> key_nullable_representation;        // KEY_PROTOBUF_NULLABLE_REPRESENTATION
  std::optional<std::string> value_nullable_representation;      // VALUE_PROTOBUF_NULLABLE_...
};

// Unknown property names, wrong value types and conflicting settings are errors with
// ksqlDB's wording in substance.
Result<WithProperties> ParseWithProperties(const Properties& props);

}  // namespace sluice
