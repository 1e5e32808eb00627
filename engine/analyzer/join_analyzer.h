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
// Sources with more than one partition joined on something other than their key are re-keyed
// through repartition topics first (JoinStep::repartition_left/right; one partition: the join
// task computes the key itself). GROUP BY over a join aggregates the joined rows (in the join's
// task when grouped by the join key, else through the aggregation's repartition topic);
// PARTITION BY over a join re-keys the result for the sink.
//
// Not supported yet (NotSupported): windowed sources, re-keying an earlier join's result in an
// n-way join over more than one partition, foreign-key joins over more than one partition,
// RIGHT FK joins, PARTITION BY NULL over a join.
#include "engine/analyzer/query_analyzer.h"

namespace sluice {

Result<QueryPlan> AnalyzeJoinQuery(const Query& query, const SinkRequest& sink, const MetaStore& metastore,
                                   const AnalysisConfig& config);

}  // namespace sluice
