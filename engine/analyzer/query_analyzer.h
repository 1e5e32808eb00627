#pragma once
// Analysis of a persistent query's SELECT (CREATE STREAM/TABLE AS SELECT, INSERT INTO ...
// SELECT): resolves the source and columns, types and compiles every expression, decides the
// sink's key and value columns as ksqlDB does, and returns the plan the runtime executes.
//
// Stateless queries only (filter, project, table functions, PARTITION BY); aggregations,
// joins and windows return Status::NotSupported until the stateful engine lands.
#include <string>

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
};

Result<QueryPlan> AnalyzeQuery(const Query& query, const SinkRequest& sink,
                               const MetaStore& metastore, const AnalysisConfig& config);

}  // namespace sluice
