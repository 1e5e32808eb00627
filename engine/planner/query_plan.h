#pragma once
// The physical plan of a stateless persistent query: what the runtime's operators need, with
// every expression compiled. Built by the analyzer (engine/analyzer/query_analyzer.h).
//
// Input row layout (what expressions index into): the source's columns in DataSource order
// (keys, then value/header columns), then ROWTIME, ROWPARTITION, ROWOFFSET, then one slot per
// table function (the element being emitted).
#include <optional>
#include <string>
#include <vector>

#include "engine/expr/expression_compiler.h"
#include "engine/metastore/data_source.h"

namespace sluice {

struct OutputColumn {
  std::string name;
  CompiledExpression expr;
  bool reads_value = false;  // reads value or pseudo columns, not only the source's key columns
};

struct QueryPlan {
  std::string query_id;
  DataSourcePtr source;
  DataSourcePtr sink;

  int source_column_count = 0;  // columns of the source in the row
  std::vector<int> used_columns;  // source columns some expression reads (decode only these)
  int rowtime_index = 0, rowpartition_index = 0, rowoffset_index = 0;
  int row_width = 0;

  std::optional<CompiledExpression> where;
  std::vector<CompiledTableFunction> table_functions;
  std::vector<int> table_function_slots;

  std::vector<OutputColumn> key_columns;    // in sink key order
  std::vector<OutputColumn> value_columns;  // in sink value order

  bool repartitioned = false;  // PARTITION BY: the key is computed, not copied from the source
  bool fail_on_invalid_timestamp = false;  // ksql.timestamp.throw.on.invalid

  int sink_timestamp_column = -1;  // index into value_columns of the sink's TIMESTAMP column
  std::string sink_timestamp_format;
};

}  // namespace sluice
