#pragma once
// Analysis of join queries (FROM a JOIN b ON ...), as ksqlDB does it: the two sources and
// their kinds decide the join (stream-stream with WITHIN, stream-table, table-table on the
// primary key), columns resolve over both sides (qualified `L.X` or unambiguous `X`), `*`
// expands to `ALIAS_COLUMN` names, and the join key becomes the sink's key column under the
// name ksqlDB gives it (the selected join column, or ROWKEY for a synthetic key). WHERE and
// the projection are compiled over the joined row (JoinPlan in engine/planner/query_plan.h).
//
// N-way joins are a left-deep chain of steps (JoinPlan::steps); the key's equivalence set
// (the join expressions equal to it) carries across the chain and names the result's key.
// A table-table step whose left joins on a non-key expression is a foreign-key join.
//
// Not supported yet (NotSupported): GROUP BY or PARTITION BY over a join, windowed sources,
// joins on an expression other than the key when a source has more than one partition (they
// need a repartition topic), foreign-key joins over more than one partition, RIGHT FK joins.
#include "engine/analyzer/query_analyzer.h"

namespace sluice {

Result<QueryPlan> AnalyzeJoinQuery(const Query& query, const SinkRequest& sink, const MetaStore& metastore,
                                   const AnalysisConfig& config);

}  // namespace sluice
