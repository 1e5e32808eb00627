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
};

// Unknown property names, wrong value types and conflicting settings are errors with
// ksqlDB's wording in substance.
Result<WithProperties> ParseWithProperties(const Properties& props);

}  // namespace sluice
