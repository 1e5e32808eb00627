#pragma once
// Pieces of the query analyzer shared by its parts (query_analyzer.cpp: stateless queries;
// aggregate_analyzer.cpp: GROUP BY and windows; join_analyzer.cpp: joins). Not for other stages.
#include <set>
#include <string>
#include <vector>

#include "engine/analyzer/query_analyzer.h"

namespace sluice::query_internal {

// Resolves column names over the source's columns and pseudo columns.
class SourceScope : public ColumnScope {
 public:
  SourceScope(const DataSource& source, std::string alias, const QueryPlan& plan)
      : source_(source), alias_(std::move(alias)), plan_(plan) {}

  Result<ColumnBinding> Resolve(const std::string& qualifier,
                                const std::string& name) const override {
    if (!qualifier.empty() && qualifier != source_.name && qualifier != alias_)
      return Status::InvalidArgument("column '" + qualifier + "." + name + "' cannot be resolved.");
    for (size_t i = 0; i < source_.columns.size(); ++i)
      if (source_.columns[i].name == name) {
        used_.insert(static_cast<int>(i));
        return ColumnBinding{static_cast<int>(i), source_.columns[i].type};
      }
    if (name == "ROWTIME") return ColumnBinding{plan_.rowtime_index, SqlType::Bigint()};
    if (name == "ROWPARTITION") return ColumnBinding{plan_.rowpartition_index, SqlType::Integer()};
    if (name == "ROWOFFSET") return ColumnBinding{plan_.rowoffset_index, SqlType::Bigint()};
    if (name == "WINDOWSTART" && plan_.windowstart_index >= 0)
      return ColumnBinding{plan_.windowstart_index, SqlType::Bigint()};
    if (name == "WINDOWEND" && plan_.windowend_index >= 0)
      return ColumnBinding{plan_.windowend_index, SqlType::Bigint()};
    return Status::InvalidArgument(
        "column '" + (qualifier.empty() ? name : qualifier + "." + name) + "' cannot be resolved.");
  }
  // The source columns some expression read: the deserializer decodes only those.
  const std::set<int>& used() const { return used_; }

 private:
  mutable std::set<int> used_;
  const DataSource& source_;
  std::string alias_;
  const QueryPlan& plan_;
};

// A SELECT item after `*` / `S->*` expansion, with its output name.
struct ProjectionItem {
  std::string name;
  ExprPtr expr;
  bool from_star = false;
  bool aliased = false;
  // A table function nested in the item (EXPLODE(A)->F): the call and the row slot that
  // holds the element being emitted.
  const FunctionCallExpr* table_function = nullptr;
  int table_function_slot = -1;
  TypePtr table_function_type;
};

ExprPtr ColumnRef(const std::string& name);
ProjectionItem Item(std::string name, ExprPtr expr, bool from_star);
bool ContainsAggregate(const Expression& e);
std::string JoinNames(const std::vector<std::string>& names, const char* sep);
Status ExpandStructAll(const ExprPtr& base, const ExpressionCompiler& compiler, const ColumnScope& scope,
                       std::vector<ProjectionItem>* items);
Status ExpandSelect(const Query& q, const DataSource& source, const ExpressionCompiler& compiler,
                    const ColumnScope& scope, std::vector<ProjectionItem>* items);
// Transient queries: the result's column names, in projection order (SinkRequest::result_columns).
void RecordResultColumns(const SinkRequest& req, const DataSource& source, const std::vector<ProjectionItem>& items);
// Transient queries whose projection has no value column still need a value to tell a row
// from a tombstone: a hidden constant column.
ProjectionItem HiddenValueItem();
Result<OutputColumn> CompileColumn(const ProjectionItem& item, const ExpressionCompiler& compiler,
                                   const ColumnScope& scope, const char* clause);
// INSERT INTO: the target, whose columns the results must match by name and namespace with
// types that cast to the target's implicitly (ksqlDB's LogicalSchema.compatibleSchema); the
// plan's projection is then cast to the target's types.
Result<DataSourcePtr> BuildSink(const SinkRequest& req, const DataSource& source, QueryPlan& plan,
                                const MetaStore& metastore, const AnalysisConfig& config);
void InitRowLayout(const DataSourcePtr& source, bool repartitioned, QueryPlan* plan);
Status PlanWhere(const Query& q, const ExpressionCompiler& compiler, const ColumnScope& scope,
                 QueryPlan* plan);
Status PlanSinkTimestamp(QueryPlan* plan);
// The source columns the deserializer must decode: those some expression reads, and the
// source's TIMESTAMP column.
void RecordUsedColumns(const SourceScope& scope, const DataSource& source, QueryPlan* plan);
// ksqlDB's error when the projection lacks some of the sink's key expressions (`what`: "key
// column", "partitioning expression").
Status KeysMissing(const std::string& what, const std::string& sink_name, const std::vector<std::string>& required);
// Aggregations (aggregate_analyzer.cpp), for a single source and for GROUP BY over a join:
// the clause checks in ksqlDB's order (WINDOW without GROUP BY, PARTITION BY with it, the
// result's kind, EMIT FINAL)...
Status CheckAggregateClauses(const Query& q, const SinkRequest& req);
// ... and, over a join, the window-bound and GROUP BY expression checks too.
Status CheckJoinAggregation(const Query& q, const SinkRequest& req, const std::string& left_name);
// The aggregation of a query whose input row `scope` resolves (a source's row, a join's joined
// row): calls, grouping, window, HAVING, and the projection over the aggregate row, into
// plan->aggregation / key_columns / value_columns. A table input (`input_kind`) needs
// undoable aggregates; `format_source` has the value format the state must fit. The caller
// decides AggregationPlan::repartition.
Status PlanAggregation(const Query& q, const SinkRequest& req, const ExpressionCompiler& compiler,
                       const ColumnScope& scope, const std::vector<ProjectionItem>& items, SourceKind input_kind,
                       const DataSource& format_source, const AnalysisConfig& config, QueryPlan* plan);
// A windowed aggregation's sink is a windowed table (INSERT INTO keeps its target as it is).
DataSourcePtr WindowedSink(DataSourcePtr sink, const QueryPlan& plan, const SinkRequest& req);
// A compiler "column 'X' cannot be resolved." error about `expr`, as ksqlDB reports it:
// "Line: L, Col: C: <clause> column 'X' cannot be resolved." at the offending reference.
Status ColumnError(const Expression& expr, const std::string& clause, const std::string& message);

}  // namespace sluice::query_internal
