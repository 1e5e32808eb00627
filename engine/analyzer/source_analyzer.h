#pragma once
// CREATE [OR REPLACE] [SOURCE] STREAM|TABLE (columns) WITH (...): validates the statement
// against the metastore and builds the DataSource it registers.
#include <map>
#include <string>

#include "engine/common/status.h"
#include "engine/expr/aggregate_function.h"
#include "engine/metastore/metastore.h"

namespace sluice {

// Session/server properties the analysis depends on (defaults as ksqlDB's).
struct AnalysisConfig {
  std::optional<FormatKind> default_key_format = FormatKind::kKafka;
  std::optional<FormatKind> default_value_format;  // ksql.persistence.default.format.value
  bool wrap_single_values = true;                  // ksql.persistence.wrap.single.values
  AggregateConfig aggregates;                      // ksql.functions.collect_{list,set}.limit
  // Where AVRO/PROTOBUF/JSON_SR sources and sinks keep their schemas (set by the Engine).
  std::shared_ptr<SchemaRegistry> schema_registry;
  static AnalysisConfig FromProperties(const std::map<std::string, std::string>& props);
};

Result<DataSourcePtr> AnalyzeCreateSource(const CreateSource& stmt, const MetaStore& metastore,
                                          const AnalysisConfig& config);

// Shared by CREATE ... AS SELECT: format options for one side from the WITH properties.
FormatOptions MakeFormatOptions(FormatKind kind, std::optional<char> delimiter,
                                std::optional<bool> wrap_single_value);

bool IsReservedColumnName(const std::string& name);

// The TIMESTAMP column must exist and be BIGINT, TIMESTAMP or STRING with TIMESTAMP_FORMAT.
Status CheckTimestampColumn(const DataSource& source);

// WRAP_SINGLE_VALUE=true is an error for formats that never wrap (DELIMITED, KAFKA, NONE).
Status CheckWrapping(FormatKind kind, std::optional<bool> wrap_single_value);

}  // namespace sluice
