#pragma once
// Analysis of join queries (FROM a JOIN b ON ...), as ksqlDB does it: the two sources and
// their kinds decide the join (stream-stream with WITHIN, stream-table, table-table on the
// primary key), columns resolve over both sides (qualified `L.X` or unambiguous `X`), `*`
// expands to `ALIAS_COLUMN` names, and the join key becomes the sink's key column under the
// name ksqlDB gives it (the selected join column, or ROWKEY for a synthetic key). WHERE and
// the projection are compiled over the joined row (JoinPlan in engine/planner/query_plan.h).
//
// Not supported yet (NotSupported): joins of more than two sources, GROUP BY or PARTITION BY
// over a join,
// windowed sources, and joins on an expression other than a source's key when the sources
// have more than one partition (they need a repartition topic).
#include "engine/analyzer/query_analyzer.h"

namespace sluice {

Result<QueryPlan> AnalyzeJoinQuery(const Query& query, const SinkRequest& sink, const MetaStore& metastore,
                                   const AnalysisConfig& config);

}  // namespace sluice
