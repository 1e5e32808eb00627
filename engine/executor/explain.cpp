// EXPLAIN <statement> / EXPLAIN <query id>: ksqlDB's queryDescription entity, built from the
// query's plan and topology (the REST layer renders it; the executor only validates EXPLAIN).
#include <optional>

#include <nlohmann/json.hpp>

#include "engine/analyzer/query_analyzer.h"
#include "engine/executor/engine.h"

namespace sluice {

namespace {

using nlohmann::json;

// ksqlDB's SchemaInfo: type name, struct fields, array/map member schema, decimal parameters.
json SchemaInfo(const TypePtr& type);

json FieldInfo(const std::string& name, const TypePtr& type, const char* field_type) {
  json f = {{"name", name}, {"schema", SchemaInfo(type)}};
  if (field_type) f["type"] = field_type;  // KEY / HEADER; absent for value columns
  return f;
}

json SchemaInfo(const TypePtr& type) {
  if (!type) return {{"type", nullptr}, {"fields", nullptr}, {"memberSchema", nullptr}};
  json s = {{"type", TypeKindName(type->kind)}, {"fields", nullptr}, {"memberSchema", nullptr}};
  if (type->kind == TypeKind::kStruct) {
    s["fields"] = json::array();
    for (const auto& f : type->fields) s["fields"].push_back(FieldInfo(f.name, f.type, nullptr));
  }
  if (type->kind == TypeKind::kArray) s["memberSchema"] = SchemaInfo(type->element);
  if (type->kind == TypeKind::kMap) s["memberSchema"] = SchemaInfo(type->value);
  if (type->kind == TypeKind::kDecimal)
    s["parameters"] = {{"precision", type->precision}, {"scale", type->scale}};
  return s;
}

// A schema as ksqlDB's execution plan prints it: `NAME TYPE [KEY]`, comma separated.
std::string SchemaText(const std::vector<SourceColumn>& columns, bool with_pseudo) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty()) out += ", ";
    out += c.name + " " + (c.type ? c.type->ToString() : "NULL");
    if (c.ns == ColumnNamespace::kKey) out += " KEY";
  }
  if (with_pseudo) out += ", ROWTIME BIGINT, ROWPARTITION INTEGER, ROWOFFSET BIGINT";
  return out;
}

struct Step {
  std::string name;     // ksqlDB's step name: SOURCE, FILTER, PROJECT, SINK, ...
  std::string schema;
  std::string context;  // ksqlDB's query context, for the step's logger name
};

// The steps from the sink down, each with the steps it reads (ksqlDB's PlanSummary).
std::string Render(const std::vector<std::vector<Step>>& branches, const std::vector<Step>& trunk,
                   const std::string& query_id) {
  std::string out;
  std::string indent;
  auto line = [&](const Step& s, const std::string& ind) {
    out += ind + " > [ " + s.name + " ] | Schema: " + s.schema + " | Logger: " + query_id + "." + s.context + "\n";
  };
  for (const auto& s : trunk) {
    line(s, indent);
    indent += "\t";
  }
  for (const auto& branch : branches) {
    std::string ind = indent;
    for (const auto& s : branch) {
      line(s, ind);
      ind += "\t";
    }
  }
  return out;
}

// Each joined right source. Generic over JoinPlan's shape: it is moving from one binary join
// to a chain of steps (n-way joins) while this is written; both compile.
template <typename J>
void AddJoinedSources(const J& join, std::vector<DataSourcePtr>* out) {
  if constexpr (requires { join.steps; }) {
    for (const auto& step : join.steps) out->push_back(step.right);
  } else {
    out->push_back(join.right);
  }
}

}  // namespace

nlohmann::json FieldInfoJson(const SourceColumn& c) {
  return FieldInfo(c.name, c.type, c.ns == ColumnNamespace::kKey      ? "KEY"
                                   : c.ns != ColumnNamespace::kValue ? "HEADER"
                                                                      : nullptr);
}

nlohmann::json SchemaInfoJson(const TypePtr& type) { return SchemaInfo(type); }

std::vector<DataSourcePtr> SourcesRead(const QueryPlan& plan) {
  std::vector<DataSourcePtr> out = {plan.source};
  if (plan.join) AddJoinedSources(*plan.join, &out);
  return out;
}

// The logical plan of a persistent query in ksqlDB's execution plan form, sink first.
std::string ExecutionPlanText(const PersistentQuery& q) {
  const QueryPlan& p = *q.plan;
  const std::string sink_schema = SchemaText(p.sink->columns, false);
  std::vector<Step> trunk = {{"SINK", sink_schema, p.sink->name}};
  std::vector<std::vector<Step>> branches;
  auto source_step = [](const DataSource& s, const std::string& context) {
    return Step{"SOURCE", SchemaText(s.columns, true), context};
  };
  if (p.join) {
    if (p.aggregation) {
      // GROUP BY over the join: the aggregation's steps sit on top of the join's.
      trunk.push_back({"PROJECT", sink_schema, "Aggregate.Project"});
      if (p.aggregation->having) trunk.push_back({"FILTER", sink_schema, "Aggregate.HavingFilter"});
      trunk.push_back({"AGGREGATE", sink_schema, "Aggregate.Aggregate"});
      trunk.push_back({"GROUP_BY", sink_schema, "Aggregate.GroupBy"});
    } else {
      trunk.push_back({"PROJECT", sink_schema, "Project"});
      if (p.repartitioned) trunk.push_back({"REKEY", sink_schema, "PartitionBy"});
    }
    if (p.where) trunk.push_back({"FILTER", sink_schema, "WhereFilter"});
    trunk.push_back({"JOIN", sink_schema, "Join"});
    // Sources in join order; ksqlDB names the last join's inputs KafkaTopic_Left/Right, the
    // one before it KafkaTopic_L_Left/Right, ...
    const auto read = SourcesRead(p);
    for (size_t i = 0; i < read.size(); ++i) {
      std::string prefix;
      for (size_t k = (i == 0 ? 1 : i); k + 1 < read.size(); ++k) prefix += "L_";
      branches.push_back({source_step(*read[i], "KafkaTopic_" + prefix + (i == 0 ? "Left" : "Right") + ".Source")});
    }
    return Render(branches, trunk, q.id);
  }
  const std::string source_schema = SchemaText(p.source->columns, true);
  if (p.aggregation) {
    const AggregationPlan& a = *p.aggregation;
    trunk.push_back({"PROJECT", sink_schema, "Aggregate.Project"});
    if (a.emit_final) trunk.push_back({"SUPPRESS", sink_schema, "Suppress"});
    if (a.having) trunk.push_back({"FILTER", sink_schema, "Aggregate.HavingFilter"});
    trunk.push_back({"AGGREGATE", sink_schema, "Aggregate.Aggregate"});
    trunk.push_back({"GROUP_BY", source_schema, "Aggregate.GroupBy"});
  } else {
    trunk.push_back({"PROJECT", sink_schema, "Project"});
    if (!p.table_functions.empty()) trunk.push_back({"FLAT_MAP", source_schema, "FlatMap"});
    if (p.repartitioned) trunk.push_back({"REKEY", source_schema, "PartitionBy"});
  }
  if (p.where) trunk.push_back({"FILTER", source_schema, "WhereFilter"});
  trunk.push_back(source_step(*p.source, "KsqlTopic.Source"));
  return Render(branches, trunk, q.id);
}

Result<nlohmann::json> Engine::Explain(const sluice::Explain& stmt) const {
  const PersistentQuery* query = nullptr;
  std::optional<PersistentQuery> prepared;
  if (!stmt.statement) {
    for (const auto& q : queries_)
      if (q.id == stmt.query_id) query = &q;
    if (!query)
      return Status::NotFound("Query with id:" + stmt.query_id +
                              " does not exist, use SHOW QUERIES to view the full set of queries.");
  } else {
    // EXPLAIN <statement>: analyze and plan it as executing it would, without running it.
    const Statement& inner = *stmt.statement;
    SinkRequest req;
    req.statement_text = inner.text;
    std::shared_ptr<Query> select;
    std::string id;
    if (inner.kind == StatementKind::kCreateAsSelect) {
      auto& c = static_cast<const CreateAsSelect&>(inner);
      req.name = c.name;
      req.kind = c.source_kind;
      req.properties = &c.properties;
      select = c.query;
      id = std::string(c.source_kind == SourceKind::kStream ? "CSAS_" : "CTAS_") + c.name + "_" +
           std::to_string(next_query_number_);
    } else if (inner.kind == StatementKind::kInsertInto) {
      auto& i = static_cast<const InsertInto&>(inner);
      req.name = i.target;
      req.insert_into = true;
      select = i.query;
      id = "INSERTQUERY_" + std::to_string(next_query_number_);
    } else {
      return Status::NotSupported(std::string("EXPLAIN supports CREATE ... AS SELECT and INSERT INTO ... SELECT "
                                              "statements and query ids, not ") + StatementKindName(inner.kind));
    }
    if (auto it = properties_.find("ksql.output.topic.name.prefix"); it != properties_.end())
      req.topic_prefix = it->second;
    auto plan = AnalyzeQuery(*select, req, metastore_, config_);
    if (!plan.ok()) return plan.status();
    auto q = PrepareQuery(id, inner.text, std::move(*plan));
    if (!q.ok()) return q.status();
    prepared = std::move(*q);
    query = &*prepared;
  }

  const QueryPlan& p = *query->plan;
  json fields = json::array();
  for (const auto& c : p.sink->columns)
    fields.push_back(FieldInfo(c.name, c.type, c.ns == ColumnNamespace::kKey      ? "KEY"
                                               : c.ns != ColumnNamespace::kValue ? "HEADER"
                                                                                  : nullptr));
  json sources = json::array();
  for (const auto& s : SourcesRead(p)) sources.push_back(s->name);
  json window = nullptr;
  if (p.sink->window) {
    static const char* kNames[] = {"TUMBLING", "HOPPING", "SESSION"};
    window = kNames[static_cast<int>(p.sink->window->kind)];
  }
  json description = {
      {"id", query->id},
      {"statementText", query->statement},
      {"windowType", window},
      {"fields", fields},
      {"sources", sources},
      {"sinks", json::array({p.sink->name})},
      {"topology", query->topology.Describe()},
      {"executionPlan", ExecutionPlanText(*query)},
      {"overriddenProperties", properties_},
      {"ksqlHostQueryStatus", json::object()},
      {"queryType", "PERSISTENT"},
      {"queryErrors", json::array()},
      {"tasksMetadata", json::array()},
      {"state", prepared ? "UNKNOWN" : "RUNNING"},
  };
  // A query the runner stopped says ERROR and why (ksqlDB's QueryError); PAUSE shows too.
  if (!prepared && runner_) {
    const QueryRunStatus status = runner_->QueryStatus(query->id);
    if (status.state == QueryRunState::kPaused) description["state"] = "PAUSED";
    if (status.state == QueryRunState::kError) {
      description["state"] = "ERROR";
      description["queryErrors"].push_back(
          {{"timestamp", status.error_time_ms}, {"errorMessage", status.error}, {"type", "UNKNOWN"}});
    }
  }
  return json{{"@type", "queryDescription"},
              {"statementText", stmt.text},
              {"queryDescription", std::move(description)},
              {"warnings", json::array()}};
}

}  // namespace sluice
