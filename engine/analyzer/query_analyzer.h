#pragma once
// Analysis of a persistent query's SELECT (CREATE STREAM/TABLE AS SELECT, INSERT INTO ...
// SELECT): resolves the source and columns, types and compiles every expression, decides the
// sink's key and value columns as ksqlDB does, and returns the plan the runtime executes.
//
// Stateless queries only (filter, project, table functions, PARTITION BY); aggregations,
// joins and windows return Status::NotSupported until the stateful engine lands.
#include <string>
#include <vector>

#include "engine/analyzer/source_analyzer.h"
#include "engine/planner/query_plan.h"

namespace sluice {

struct SinkRequest {
  std::string name;                  // CSAS/CTAS: the new source's name; INSERT: the target
  SourceKind kind = SourceKind::kStream;
  const Properties* properties = nullptr;
  bool insert_into = false;          // INSERT INTO: the sink exists already
  std::string statement_text;
  std::string topic_prefix;          // ksql.output.topic.name.prefix
  // A transient (push) query: nothing is created, the "sink" only says how result rows leave
  // the tasks (JSON key and value). ksqlDB's rules for persistent queries do not apply: key
  // columns may be left out of the projection, pseudo columns selected bare, windowed tables
  // read, and the projection may have no value column.
  bool transient = false;
  // Transient: receives the result's column names in projection order (`*` over a windowed
  // source yields the key columns, WINDOWSTART, WINDOWEND, then the value columns).
  std::vector<std::string>* result_columns = nullptr;
};

Result<QueryPlan> AnalyzeQuery(const Query& query, const SinkRequest& sink,
                               const MetaStore& metastore, const AnalysisConfig& config);

}  // namespace sluice
