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

#include "engine/expr/aggregate_function.h"
#include "engine/expr/expression_compiler.h"
#include "engine/metastore/data_source.h"

namespace sluice {

struct OutputColumn {
  std::string name;
  CompiledExpression expr;
  bool reads_value = false;  // reads value or pseudo columns, not only the source's key columns
};

// One aggregate call of a GROUP BY query: its function and its column arguments, compiled
// over the source row.
struct AggregateCall {
  AggregateFunctionPtr function;
  std::vector<CompiledExpression> args;
  std::string text;  // as written, for EXPLAIN and messages
};

// The window of a windowed aggregation, in milliseconds.
struct WindowPlan {
  WindowSpec::Kind kind = WindowSpec::Kind::kTumbling;
  int64_t size_ms = 0;     // tumbling, hopping; the inactivity gap for session
  int64_t advance_ms = 0;  // hopping (tumbling: = size)
  int64_t grace_ms = 0;
  int64_t retention_ms = 0;
};

// GROUP BY: what the aggregation computes per record of the source (grouping key, aggregate
// arguments) and what it outputs per group.
//
// Row layouts:
//   pre-aggregation: the source row (QueryPlan's input layout).
//   post-aggregation ("aggregate row"): the grouping key values (one per GROUP BY
//   expression), then one result per aggregate call, then ROWTIME, WINDOWSTART, WINDOWEND.
//   HAVING and the projection (QueryPlan::key_columns/value_columns) are compiled over it.
struct AggregationPlan {
  std::vector<CompiledExpression> group_by;
  std::vector<std::string> group_by_text;
  std::vector<AggregateCall> calls;
  bool repartition = false;  // the grouping differs from the source's key: repartition first
  std::optional<WindowPlan> window;
  std::optional<CompiledExpression> having;
  bool emit_final = false;
  int post_rowtime_index() const { return static_cast<int>(group_by.size() + calls.size()); }
  int post_windowstart_index() const { return post_rowtime_index() + 1; }
  int post_windowend_index() const { return post_rowtime_index() + 2; }
  int post_row_width() const { return post_rowtime_index() + 3; }
};

// A join: a left-deep chain of binary join steps (ksqlDB's n-way joins,
// ((A JOIN B) JOIN C) ...), each step's result the left input of the next
// (engine/analyzer/join_analyzer.h, engine/runtime/join/).
//
// Row layouts:
//   side row: one source's columns, then its ROWTIME, ROWPARTITION, ROWOFFSET (QueryTask
//   decodes it);
//   a step's left row: source 0's side row for step 0, the previous step's joined row after;
//   a step's joined row: its left row, the right source's side row (from right_offset), then
//   the step result's ROWTIME, ROWPARTITION, ROWOFFSET and join key (key_index).
//   The last step's joined row is the query's row: WHERE and the projection are compiled
//   over it (QueryPlan's rowtime/rowpartition/rowoffset indexes point into it).
struct JoinStep {
  // kForeignKey: table-table where the left joins on an expression (the foreign key) and the
  // right on its primary key; the result is keyed by the left table's key.
  enum class Kind { kStreamStream, kStreamTable, kTableTable, kForeignKey };
  Kind kind = Kind::kStreamTable;
  JoinType type = JoinType::kInner;
  DataSourcePtr right;
  // ksqlDB's plan-node prefix of this join: "" for the last, "L_" for the one before it, ...
  // (its stores are named <prefix>Join-..., its sources KafkaTopic_<prefix>Left/Right).
  std::string prefix;
  bool left_is_source = true;  // step 0: the left input is a source, not a join result
  // left_key over the left row (for kForeignKey: the left table's key), right_key over the
  // right side row; foreign_key over the left row (kForeignKey only).
  CompiledExpression left_key, right_key, foreign_key;
  std::vector<TypePtr> left_types;  // the left row's column types (row codec of the stores)
  int left_rowtime = 0;             // the left row's ROWTIME
  int right_offset = 0;             // = the left row's width
  int right_width = 0;
  int key_index = 0;                // joined row width = key_index + 1
  // Stream-stream: WITHIN (before, after) and GRACE PERIOD, in milliseconds. Without GRACE
  // PERIOD, outer results are emitted at once (ksqlDB's legacy JoinWindows.of); with it, when
  // the window closes (Kafka Streams' spurious-result fix).
  int64_t before_ms = 0, after_ms = 0, grace_ms = 0;
  bool has_grace = false;
  // Sources with more than one partition joined on something other than their key: the side
  // is re-keyed by its join expression in a sub-topology of its own and written to a
  // repartition topic, which the join reads instead of the source (ksqlDB's
  // PreJoinRepartitionNode, with Kafka Streams' topic names below). Only a source side: the
  // left side of step 0, or any step's right side.
  bool repartition_left = false, repartition_right = false;
  // Joins of windowed sources: where the left row and the right side row hold their window
  // bounds (WINDOWSTART, then WINDOWEND; -1 when not windowed). The stores key a row by its
  // join key and its window (the start; the end and start for session windows), so only
  // records of the same window join, as ksqlDB's windowed keys compare.
  int left_window = -1, right_window = -1;
  bool session_window = false;
  bool left_preserved() const { return type == JoinType::kLeft || type == JoinType::kOuter; }
  bool right_preserved() const { return type == JoinType::kRight || type == JoinType::kOuter; }
  // Store names (suffixes after "<QUERY_ID>-"), shared by the topology and the task.
  std::string LeftStore() const { return (left_is_source ? "KafkaTopic_" : "") + prefix + "Left-Reduce"; }
  std::string RightStore() const { return "KafkaTopic_" + prefix + "Right-Reduce"; }
  std::string ThisStore() const { return prefix + "Join-this-join-store"; }
  std::string OtherStore() const { return prefix + "Join-other-join-store"; }
  std::string OuterStore() const { return prefix + "Join-outer-shared-join-store"; }
  std::string SubscriptionStore() const { return prefix + "Join-subscription-store"; }
  // Repartition topic names (suffixes after "<QUERY_ID>-"): a stream-table join's stream side is
  // <prefix>Join-repartition, a stream-stream join's sides <prefix>Join-left/right-repartition.
  std::string LeftRepartition() const {
    return prefix + (kind == Kind::kStreamStream ? "Join-left-repartition" : "Join-repartition");
  }
  std::string RightRepartition() const { return prefix + "Join-right-repartition"; }
};

struct JoinPlan {
  std::vector<JoinStep> steps;  // at least one
  // How a repartitioned side writes its join key (the bytes its partition comes from): in the
  // key format of a source joined on its own key, so that a re-keyed record lands in the
  // partition that holds its match (ksqlDB picks the format of the side not repartitioned).
  FormatOptions repartition_key_format;
  Column repartition_key_column;
  const JoinStep& last() const { return steps.back(); }
  // Whether join source `s` (0: step 0's left, i: step i-1's right) is read through a
  // repartition topic.
  bool Repartitioned(size_t s) const {
    return s == 0 ? steps[0].repartition_left : steps[s - 1].repartition_right;
  }
  bool AnyRepartitioned() const {
    for (size_t s = 0; s <= steps.size(); ++s)
      if (Repartitioned(s)) return true;
    return false;
  }
};

struct QueryPlan {
  std::string query_id;
  DataSourcePtr source;
  DataSourcePtr sink;

  int source_column_count = 0;  // columns of the source in the row
  std::vector<int> used_columns;  // source columns some expression reads (decode only these)
  int rowtime_index = 0, rowpartition_index = 0, rowoffset_index = 0;
  int windowstart_index = -1, windowend_index = -1;  // windowed sources only
  int row_width = 0;

  std::optional<CompiledExpression> where;
  std::vector<CompiledTableFunction> table_functions;
  std::vector<int> table_function_slots;

  std::vector<OutputColumn> key_columns;    // in sink key order
  std::vector<OutputColumn> value_columns;  // in sink value order

  bool repartitioned = false;  // PARTITION BY: the key is computed, not copied from the source
  bool fail_on_invalid_timestamp = false;  // ksql.timestamp.throw.on.invalid

  // GROUP BY queries: the aggregation; key_columns/value_columns are then over its output row.
  std::optional<AggregationPlan> aggregation;
  // Joins: `source` is the left side; expressions are over the joined row.
  std::optional<JoinPlan> join;

  int sink_timestamp_column = -1;  // index into value_columns of the sink's TIMESTAMP column
  std::string sink_timestamp_format;
};

}  // namespace sluice
