#pragma once
// A stream or table known to the engine: its columns, topic, formats and timestamp rules.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/parser/statement.h"
#include "engine/serde/format.h"

namespace sluice {

// Where a column lives in a Kafka record.
enum class ColumnNamespace { kKey, kValue, kHeaders, kHeader };

struct SourceColumn {
  std::string name;
  TypePtr type;
  ColumnNamespace ns = ColumnNamespace::kValue;
  std::string header_key;  // kHeader: HEADER('key')
};

// Windowed keys (sources read from windowed topics, or results of windowed aggregations).
struct WindowInfo {
  WindowSpec::Kind kind = WindowSpec::Kind::kTumbling;
  std::optional<int64_t> size_ms;  // TUMBLING/HOPPING
};

struct DataSource {
  std::string name;            // SQL name (upper-cased unless quoted)
  SourceKind kind = SourceKind::kStream;
  std::string topic;
  int partitions = 1;
  std::vector<SourceColumn> columns;  // key columns first, then value/header columns, in order
  FormatOptions key_format, value_format;
  std::string timestamp_column;  // TIMESTAMP='col' (empty: the record's timestamp)
  std::string timestamp_format;  // TIMESTAMP_FORMAT for a STRING timestamp column
  std::optional<WindowInfo> window;
  bool is_source_table = false;  // CREATE SOURCE TABLE/STREAM: read-only
  bool is_sink = false;          // written by a persistent query (CSAS/CTAS)
  std::string sql;               // the statement that created it

  std::vector<Column> KeyColumns() const;
  std::vector<Column> ValueColumns() const;  // kValue only (what the value format carries)
  const SourceColumn* FindColumn(const std::string& name) const;
};

using DataSourcePtr = std::shared_ptr<const DataSource>;

}  // namespace sluice
