#pragma once
// Analysis of aggregation queries (GROUP BY, optionally WINDOW and HAVING), as ksqlDB does
// it: the grouping expressions become the sink's key columns (each must be selected), the
// aggregate calls are bound through ResolveAggregate, and the projection and HAVING are
// compiled over the aggregation's output row (see AggregationPlan in engine/planner).
#include "engine/analyzer/query_analyzer.h"

namespace sluice {

// Whether the query aggregates: GROUP BY, WINDOW, or an aggregate call in SELECT/HAVING.
bool IsAggregationQuery(const Query& q);

Result<QueryPlan> AnalyzeAggregateQuery(const Query& query, const SinkRequest& sink,
                                        const MetaStore& metastore, const AnalysisConfig& config);

}  // namespace sluice
