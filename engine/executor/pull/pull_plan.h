#pragma once
// Analysis of a pull query (a SELECT without EMIT): ksqlDB's PullQueryValidator rules, the
// WHERE clause's key constraints (ksqlDB's QueryFilterNode: key lookup, range scan or table
// scan, and the errors when table scans are disabled), and the projection compiled over the
// rows of the queried source.
//
// Row layout (what WHERE and the projection read): the source's columns in DataSource order,
// then ROWTIME, ROWPARTITION, ROWOFFSET, then WINDOWSTART, WINDOWEND for a windowed table: the
// layout QueryTask decodes records into (engine/runtime/query_task.h), so decoding reuses it.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/executor/transient_query.h"
#include "engine/metastore/metastore.h"
#include "engine/parser/statement.h"
#include "engine/planner/query_plan.h"

namespace sluice {

// How ksqlDB would read the store (PullPhysicalPlanType). Sluice filters every row it reads
// with the whole WHERE clause anyway; the kind decides whether the query is allowed (table
// scans may be disabled) and whether only some keys need reading.
enum class PullAccess { kKeyLookup, kRangeScan, kTableScan };

struct PullQueryPlan {
  DataSourcePtr source;
  QueryPlan decode;  // the row layout and source formats, for QueryTask's decoding
  std::optional<CompiledExpression> where;
  std::vector<CompiledExpression> projection;  // one per result column
  QueryResultSchema schema;                    // without query_id
  std::optional<int64_t> limit;
  PullAccess access = PullAccess::kTableScan;
  // Key lookup on a KAFKA-format key: the serialized keys to read (a windowed table's stored
  // keys start with them). Empty: read every row.
  std::vector<std::string> lookup_keys;
  int lambda_slots = 0;
};

// `properties`: the engine's properties over the request's (ksql.query.pull.table.scan.enabled,
// ksql.query.pull.range.scan.enabled, ksql.query.pull.stream.enabled,
// ksql.query.pull.limit.clause.enabled). `materialized`: the tables a running persistent query
// writes (a table whose query was terminated is no longer queryable, as in ksqlDB); SOURCE
// tables are always queryable. Errors carry ksqlDB's messages.
Result<PullQueryPlan> AnalyzePullQuery(const Query& query, const MetaStore& metastore,
                                       const std::map<std::string, std::string>& properties,
                                       const std::set<std::string>& materialized);

// How stale a pull query on a table may be, in ms: the rows include every record the table's
// topic held at some moment no earlier than this before the query started (Sluice's own
// property, engine/kafka/materialization.h). 0: read-your-writes, one broker round trip per
// query (or per batch of concurrent queries).
inline constexpr const char* kPullMaxStalenessProperty = "sluice.query.pull.max.staleness.ms";
inline constexpr int64_t kDefaultPullMaxStalenessMs = 100;

// "The `X` table isn't queryable. ..." (ksqlDB's notMaterializedException).
Status NotQueryable(const std::string& table);

// A value as ksqlDB's REST API (ApiJsonMapper) writes it in a row: BYTES as base64, DECIMAL as
// a number, STRUCT as an object, TIMESTAMP as "yyyy-MM-ddTHH:mm:ss.SSS" (UTC), DATE as
// "yyyy-MM-dd", TIME as java.time.LocalTime prints whole seconds ("10:15", "10:15:30").
nlohmann::json RestValue(const Value& v, const TypePtr& type);

}  // namespace sluice
