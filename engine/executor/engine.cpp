#include "engine/executor/engine.h"

#include "engine/analyzer/registry_schemas.h"
#include "engine/schema_registry/schema_registry.h"
#include "engine/planner/sink_partition.h"

#include <spdlog/spdlog.h>

#include "engine/common/ascii.h"
#include "engine/analyzer/query_analyzer.h"
#include "engine/expr/cast.h"
#include "engine/common/murmur2.h"
#include "engine/expr/function_catalog.h"
#include "engine/runtime/task_factory.h"

namespace sluice {

namespace {
// ksqlDB-style error for a statement: the problem, then the statement it concerns.
Status WithStatement(const Status& s, const std::string& text) {
  if (s.ok()) return s;
  std::string message = s.message() + "\nStatement: " + text;
  switch (s.code()) {
    case Status::Code::kNotSupported: return Status::NotSupported(message);
    case Status::Code::kSyntaxError: return Status::SyntaxError(message);
    default: return Status::InvalidArgument(message);
  }
}

// Where INSERT INTO's target name starts: the statement's position advanced over
// `INSERT INTO ` (the AST keeps no position for the name itself).
SourcePos TargetPosition(const InsertInto& stmt) {
  SourcePos pos = stmt.pos;
  const std::string& t = stmt.text;
  size_t i = 0;
  auto advance = [&](size_t to) {
    for (; i < to && i < t.size(); ++i) {
      if (t[i] == '\n') {
        ++pos.line;
        pos.column = 1;
      } else {
        ++pos.column;
      }
    }
  };
  for (int word = 0; word < 2; ++word) {  // INSERT, INTO
    size_t end = i;
    while (end < t.size() && std::isalpha(static_cast<unsigned char>(t[end]))) ++end;
    while (end < t.size() && std::isspace(static_cast<unsigned char>(t[end]))) ++end;
    advance(end);
  }
  return pos;
}

// INSERT VALUES and test inputs have no source row: expressions see no columns. A qualified
// reference names a source that is not there, as ksqlDB's parser reports it.
class EmptyScope : public ColumnScope {
 public:
  Result<ColumnBinding> Resolve(const std::string& q, const std::string& name) const override {
    if (!q.empty())
      return Status::InvalidArgument("Failed to prepare statement: '" + q + "' is not a valid stream/table name or alias.");
    return Status::InvalidArgument("column '" + name + "' cannot be resolved.");
  }
};

// INSERT VALUES' coercion of a value to its column's type, as ksqlDB's DefaultSqlValueCoercer:
// a STRUCT takes the target's fields by name, a field the value lacks is NULL and a field the
// target lacks is dropped (so a struct literal may name a subset of a registered schema's
// fields, whose Avro defaults the serializer then writes); arrays and maps coerce their
// elements; anything else as an implicit cast. False when the value cannot become `to`.
bool CoerceInsertValue(const Value& v, const TypePtr& from, const TypePtr& to, Value* out, std::string* error) {
  if (v.IsNull() || !from || TypeEquals(from, to)) {
    *out = v;
    return true;
  }
  if (from->kind != to->kind || !(to->kind == TypeKind::kStruct || to->kind == TypeKind::kArray ||
                                  to->kind == TypeKind::kMap)) {
    if (!CanCoerceLiteral(*from, *to)) return false;
    *out = CastValue(v, *from, *to, error);
    return true;
  }
  if (to->kind == TypeKind::kArray) {
    ArrayValue items;
    for (const Value& item : v.AsArray()) {
      if (!CoerceInsertValue(item, from->element, to->element, &items.emplace_back(), error)) return false;
    }
    *out = Value::Array(std::move(items));
    return true;
  }
  if (to->kind == TypeKind::kMap) {
    MapValue entries;
    for (const auto& [k, val] : v.AsMap()) {
      Value key, mapped;
      if (!CoerceInsertValue(k, from->key, to->key, &key, error) ||
          !CoerceInsertValue(val, from->value, to->value, &mapped, error))
        return false;
      entries.emplace_back(std::move(key), std::move(mapped));
    }
    *out = Value::Map(std::move(entries));
    return true;
  }
  const StructValue& given = v.AsStruct();
  std::vector<Value> fields(to->fields.size());
  for (size_t i = 0; i < to->fields.size(); ++i) {
    for (size_t j = 0; j < from->fields.size() && j < given.fields.size(); ++j) {
      if (from->fields[j].name != to->fields[i].name) continue;
      if (!CoerceInsertValue(given.fields[j], from->fields[j].type, to->fields[i].type, &fields[i], error))
        return false;
      break;
    }
  }
  *out = Value::Struct(to, std::move(fields));
  return true;
}

// The analysis config after SET/UNSET: rebuilt from the properties, but the Schema Registry is
// the engine's (SetSchemaRegistry), not a property: without this a request's
// streamsProperties (applied as SETs) dropped it and later AVRO/PROTOBUF statements failed.
AnalysisConfig ConfigKeepingRegistry(const std::map<std::string, std::string>& properties,
                                     const AnalysisConfig& current) {
  AnalysisConfig config = AnalysisConfig::FromProperties(properties);
  config.schema_registry = current.schema_registry;
  return config;
}
}  // namespace

Engine::Engine(std::map<std::string, std::string> properties)
    : properties_(std::move(properties)),
      state_(MakeMemoryStateBackend()),
      config_(AnalysisConfig::FromProperties(properties_)) {
  config_.schema_registry = std::make_shared<InMemorySchemaRegistry>();
}

void Engine::SetSchemaRegistry(std::shared_ptr<SchemaRegistry> registry) {
  config_.schema_registry = std::move(registry);
}

Status Engine::Execute(const std::string& sql) {
  for (const RawStatement& raw : SplitStatements(sql)) {
    auto parsed = ParseStatement(raw, &variables_);
    if (!parsed.ok()) return WithStatement(parsed.status(), raw.text);
    SLUICE_RETURN_IF_ERROR(WithStatement(ExecuteStatement(**parsed), raw.text));
  }
  return Status::OK();
}

Status Engine::ExecuteStatement(const Statement& stmt) {
  last_started_query_.reset();
  last_statement_text_ = stmt.text;
  InvalidatePullCache();  // any statement may change what a pull query's text means
  switch (stmt.kind) {
    case StatementKind::kCreateSource: return CreateSourceStatement(static_cast<const CreateSource&>(stmt));
    case StatementKind::kCreateAsSelect: return CreateAsSelectStatement(static_cast<const CreateAsSelect&>(stmt));
    case StatementKind::kInsertInto: return InsertIntoStatement(static_cast<const InsertInto&>(stmt));
    case StatementKind::kInsertValues: return InsertValuesStatement(static_cast<const InsertValues&>(stmt));
    case StatementKind::kDropSource: return DropSourceStatement(static_cast<const DropSource&>(stmt));
    case StatementKind::kRegisterType: {
      auto& t = static_cast<const RegisterType&>(stmt);
      auto type = ResolveTypeSpec(*t.type, [this](const std::string& n) { return metastore_.FindType(n); });
      if (!type.ok()) return type.status();
      return metastore_.PutType(t.name, *type, t.if_not_exists);
    }
    case StatementKind::kDropType: {
      auto& t = static_cast<const NamedStatement&>(stmt);
      Status s = metastore_.DropType(t.name);
      return t.if_exists && !s.ok() ? Status::OK() : s;
    }
    case StatementKind::kDefineVariable: {
      auto& d = static_cast<const PropertyStatement&>(stmt);
      variables_[d.name] = d.value;
      return Status::OK();
    }
    case StatementKind::kUndefineVariable:
      variables_.erase(static_cast<const NamedStatement&>(stmt).name);
      return Status::OK();
    case StatementKind::kSetProperty: {
      auto& p = static_cast<const PropertyStatement&>(stmt);
      properties_[p.name] = p.value;
      config_ = ConfigKeepingRegistry(properties_, config_);
      return Status::OK();
    }
    case StatementKind::kUnsetProperty:
      properties_.erase(static_cast<const PropertyStatement&>(stmt).name);
      config_ = ConfigKeepingRegistry(properties_, config_);
      return Status::OK();
    case StatementKind::kTerminateQuery: {
      auto& t = static_cast<const NamedStatement&>(stmt);
      if (t.all) {
        if (runner_)
          for (const auto& q : queries_) SLUICE_RETURN_IF_ERROR(runner_->Stop(q.id));
        queries_.clear();
        return Status::OK();
      }
      for (auto it = queries_.begin(); it != queries_.end(); ++it)
        if (it->id == t.name) {
          if (runner_) SLUICE_RETURN_IF_ERROR(runner_->Stop(it->id));
          queries_.erase(it);
          return Status::OK();
        }
      return Status::NotFound("Unknown queryId: " + t.name);
    }
    case StatementKind::kDescribeFunction: {
      auto described = DescribeFunctionEntity(FunctionRegistry::Builtins(),
                                              static_cast<const NamedStatement&>(stmt).name, stmt.text);
      return described.ok() ? Status::OK() : described.status();
    }
    case StatementKind::kDescribeSource: {
      auto& d = static_cast<const DescribeSource&>(stmt);
      if (!metastore_.FindSource(d.name))
        return Status::NotFound("Could not find STREAM/TABLE '" + d.name + "' in the Metastore");
      return Status::OK();
    }
    case StatementKind::kQuery:
      return Status::NotSupported("Pull and push queries arrive with the REST layer");
    case StatementKind::kAlterSource: return AlterSourceStatement(static_cast<const AlterSource&>(stmt));
    case StatementKind::kPauseQuery:
    case StatementKind::kResumeQuery:
      if (runner_) return PauseOrResume(static_cast<const NamedStatement&>(stmt), stmt.kind == StatementKind::kPauseQuery);
      return Status::NotSupported(std::string(StatementKindName(stmt.kind)) + " needs the Kafka runtime (sluiced)");
    case StatementKind::kExplain: {
      auto explained = Explain(static_cast<const sluice::Explain&>(stmt));
      return explained.ok() ? Status::OK() : explained.status();
    }
    case StatementKind::kCreateConnector:
    case StatementKind::kDropConnector:
    case StatementKind::kDescribeConnector:
    case StatementKind::kListConnectors:
    case StatementKind::kListConnectorPlugins:
      return Status::NotSupported(std::string(StatementKindName(stmt.kind)) +
                                  " is not supported: Sluice has no Kafka Connect integration");
    case StatementKind::kAssertTopic:
    case StatementKind::kAssertSchema:
    case StatementKind::kPrintTopic:
    case StatementKind::kAlterSystemProperty:
      return Status::NotSupported(std::string(StatementKindName(stmt.kind)) + " is not supported yet");
    // Listings and descriptions change nothing: accepted here, rendered by the REST layer from
    // the metastore, the queries and the function registry.
    case StatementKind::kListProperties:
    case StatementKind::kListTopics:
    case StatementKind::kListStreams:
    case StatementKind::kListTables:
    case StatementKind::kListFunctions:
    case StatementKind::kListTypes:
    case StatementKind::kListVariables:
    case StatementKind::kListQueries:
    case StatementKind::kDescribeStreams:
    case StatementKind::kDescribeTables:
      return Status::OK();
  }
  return Status::NotSupported(std::string("Unknown statement kind ") + StatementKindName(stmt.kind));
}

Status Engine::CreateSourceStatement(const CreateSource& stmt) {
  auto source = AnalyzeCreateSource(stmt, metastore_, config_);
  if (!source.ok()) return source.status();
  if (auto existing = metastore_.FindSource(stmt.name); existing && stmt.if_not_exists) return Status::OK();
  SLUICE_RETURN_IF_ERROR(RegisterSourceSchemas(**source, /*even_if_subject_exists=*/false));
  // Over a topic that exists already (made by a producer, kcat, an admin), the source has the
  // topic's partitions, not the default: its sinks and repartition topics are made with as
  // many, so that every record keeps its partition.
  if (runner_) {
    auto exists = runner_->TopicExists((*source)->topic);
    auto partitions = exists.ok() && *exists ? runner_->TopicPartitions((*source)->topic) : Result<int>(0);
    if (partitions.ok() && *partitions > 0) {
      auto copy = std::make_shared<DataSource>(**source);
      copy->partitions = *partitions;
      *source = copy;
    }
  }
  CreateTopic((*source)->topic, (*source)->partitions);
  SLUICE_RETURN_IF_ERROR(metastore_.PutSource(*source, stmt.or_replace));
  last_statement_text_ = (*source)->sql;
  return Status::OK();
}

Status Engine::CreateAsSelectStatement(const CreateAsSelect& stmt) {
  if (auto existing = metastore_.FindSource(stmt.name); existing && !stmt.or_replace) {
    if (stmt.if_not_exists) return Status::OK();
    const char* kind = existing->kind == SourceKind::kStream ? "stream" : "table";
    return Status::AlreadyExists(std::string("Cannot add ") +
                                 (stmt.source_kind == SourceKind::kStream ? "stream" : "table") + " '" +
                                 stmt.name + "': A " + kind + " with the same name already exists");
  }
  // A persistent query runs for ever: LIMIT belongs to transient queries.
  if (stmt.query && stmt.query->limit)
    return Status::InvalidArgument(std::string(stmt.source_kind == SourceKind::kStream ? "CREATE STREAM" : "CREATE TABLE") +
                                   " AS SELECT statements don't support LIMIT clause.");
  SinkRequest req;
  req.name = stmt.name;
  req.kind = stmt.source_kind;
  req.properties = &stmt.properties;
  req.statement_text = stmt.text;
  if (auto it = properties_.find("ksql.output.topic.name.prefix"); it != properties_.end())
    req.topic_prefix = it->second;
  auto plan = AnalyzeQuery(*stmt.query, req, metastore_, config_);
  if (!plan.ok()) return plan.status();
  std::string prefix = stmt.source_kind == SourceKind::kStream ? "CSAS_" : "CTAS_";
  auto query = PrepareQuery(prefix + stmt.name + "_" + std::to_string(next_query_number_++), stmt.text,
                            std::move(*plan));
  if (!query.ok()) return query.status();
  SLUICE_RETURN_IF_ERROR(RegisterSourceSchemas(*query->plan->sink, /*even_if_subject_exists=*/true));
  // Atomic from here: a step that fails undoes the ones before it, so a failed statement
  // leaves no sink topic, metastore entry or half-started query behind.
  DataSourcePtr sink = query->plan->sink;
  DataSourcePtr replaced = metastore_.FindSource(stmt.name);
  std::vector<std::string> created;
  Status s = EnsureTopic(sink->topic, sink->partitions, &created);
  if (s.ok()) s = metastore_.PutSource(sink, stmt.or_replace);
  const bool registered = s.ok();
  if (s.ok()) s = LaunchQuery(std::move(*query), &created);
  if (s.ok()) return s;
  spdlog::warn("statement failed, undoing it: {}: {}", stmt.text, s.message());
  if (registered) {
    Status undo = replaced ? metastore_.PutSource(replaced, true) : metastore_.DropSource(stmt.name);
    if (!undo.ok()) spdlog::error("undoing {} in the metastore: {}", stmt.name, undo.message());
  }
  DeleteTopics(created);
  return s;
}

Status Engine::InsertIntoStatement(const InsertInto& stmt) {
  // As ksqlDB's parser, which resolves the target before anything else, with its position.
  if (!metastore_.FindSource(stmt.target)) {
    const SourcePos at = TargetPosition(stmt);
    return Status::NotFound("Line: " + std::to_string(at.line) + ", Col: " + std::to_string(at.column) +
                            ": Source `" + stmt.target + "` does not exist.");
  }
  SinkRequest req;
  req.name = stmt.target;
  req.insert_into = true;
  req.statement_text = stmt.text;
  auto plan = AnalyzeQuery(*stmt.query, req, metastore_, config_);
  if (!plan.ok()) return plan.status();
  auto query = PrepareQuery("INSERTQUERY_" + std::to_string(next_query_number_++), stmt.text, std::move(*plan));
  if (!query.ok()) return query.status();
  std::vector<std::string> created;
  Status s = LaunchQuery(std::move(*query), &created);
  if (!s.ok()) DeleteTopics(created);
  return s;
}

// Everything about a query that has no side effect: the plan's runtime settings, the
// topology, and one probe task per sub-topology, so that a plan the runtime cannot run fails
// the statement before anything is created.
Result<PersistentQuery> Engine::PrepareQuery(std::string id, const std::string& text, QueryPlan plan) const {
  plan.query_id = id;
  if (auto it = properties_.find("ksql.timestamp.throw.on.invalid"); it != properties_.end())
    plan.fail_on_invalid_timestamp = it->second == "true";
  auto shared = std::make_shared<const QueryPlan>(std::move(plan));
  TopologySpec topology = PlanTopology(*shared, ServiceId());
  for (size_t sub = 0; sub < topology.subtopologies.size(); ++sub) {
    auto probe = CreateTask(shared, topology, sub, TaskEnvironment{MakeMemoryStateBackend().get(), 0});
    if (!probe.ok()) return probe.status();
  }
  PersistentQuery q;
  q.id = std::move(id);
  q.statement = text;
  q.plan = std::move(shared);
  q.topology = std::move(topology);
  return q;
}

// Creates the query's internal topics and starts it; `created` collects the topics this made,
// for the caller to delete if the statement fails.
Status Engine::LaunchQuery(PersistentQuery q, std::vector<std::string>* created) {
  for (const auto& topic : q.topology.InternalTopics())
    SLUICE_RETURN_IF_ERROR(EnsureTopic(topic, q.topology.partitions, created));
  if (runner_) {
    Status s = runner_->Start(q.plan, q.topology, properties_);
    if (!s.ok()) return Status::RuntimeError("Could not start query " + q.id + ": " + s.message());
  }
  spdlog::info("query {} started: {} (topic {}) -> {} (topic {})", q.id, q.plan->source->name, q.plan->source->topic,
               q.plan->sink->name, q.plan->sink->topic);
  last_started_query_ = q.id;
  queries_.push_back(std::move(q));
  return Status::OK();
}

Status Engine::EnsureTopic(const std::string& name, int partitions, std::vector<std::string>* created) {
  bool existed = topics_.count(name) > 0;
  if (runner_ && !existed) {
    auto exists = runner_->TopicExists(name);
    existed = !exists.ok() || *exists;  // unknown: never delete it
  }
  if (runner_) {
    Status s = runner_->CreateTopic(name, partitions);
    if (!s.ok()) return Status::RuntimeError("Could not create topic " + name + ": " + s.message());
  }
  topics_[name];
  auto& p = partitions_[name];
  p = std::max(p, partitions);
  if (!existed && created) created->push_back(name);
  return Status::OK();
}

void Engine::DeleteTopics(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    topics_.erase(name);
    partitions_.erase(name);
    if (!runner_) continue;
    Status s = runner_->DeleteTopic(name);
    if (!s.ok()) spdlog::error("deleting topic {} of a failed statement: {}", name, s.message());
  }
}

Status Engine::PauseOrResume(const NamedStatement& stmt, bool pause) {
  bool found = false;
  for (const auto& q : queries_) {
    if (!stmt.all && q.id != stmt.name) continue;
    found = true;
    SLUICE_RETURN_IF_ERROR(pause ? runner_->Pause(q.id) : runner_->Resume(q.id));
  }
  if (!found && !stmt.all) return Status::NotFound("Unknown queryId: " + stmt.name);
  return Status::OK();
}

// ksql.streams.cache.max.bytes.buffering (Kafka Streams' default 10 MB). The in-memory driver
// commits after every record, as Kafka Streams' test driver does, so its outputs do not
// depend on it.
size_t Engine::CacheMaxBytes() const {
  for (const char* name : {"ksql.streams.cache.max.bytes.buffering", "cache.max.bytes.buffering"})
    if (auto it = properties_.find(name); it != properties_.end()) {
      try {
        return static_cast<size_t>(std::max(0LL, std::stoll(it->second)));
      } catch (const std::exception&) {
        spdlog::warn("ignoring {}='{}': not a number", name, it->second);
      }
    }
  return 10 * 1024 * 1024;
}

std::string Engine::ServiceId() const {
  auto it = properties_.find("ksql.service.id");
  return it == properties_.end() ? "default_" : it->second;
}

Status Engine::InsertValuesStatement(const InsertValues& stmt) {
  DataSourcePtr target = metastore_.FindSource(stmt.target);
  if (!target) {
    // A name that differs only in case is most likely a quoting mistake: say which.
    std::string hint;
    for (const auto& s : metastore_.AllSources()) {
      if (s->name == stmt.target || AsciiUpper(s->name) != AsciiUpper(stmt.target)) continue;
      hint = AsciiUpper(stmt.target) == stmt.target
                 ? "\nDid you mean \"" + s->name + "\"? Hint: wrap the source name in double quotes to make it case-sensitive."
                 : "\nDid you mean " + s->name + "? Hint: try removing double quotes from the source name.";
    }
    return Status::NotFound("Cannot insert values into an unknown stream/table: `" + stmt.target + "`" + hint);
  }
  if (target->is_source_table)
    return Status::InvalidArgument("Cannot insert values into read-only " +
                                   std::string(target->kind == SourceKind::kStream ? "stream" : "table") +
                                   ": " + target->name);
  std::vector<std::string> columns = stmt.columns;
  if (columns.empty())
    for (const auto& c : target->columns)
      if (c.ns == ColumnNamespace::kKey || c.ns == ColumnNamespace::kValue) columns.push_back(c.name);
  // Where each key/value column goes in the key and value rows the serializers take.
  std::map<std::string, std::pair<bool, size_t>> slot;  // name -> (is key, index)
  size_t keys = 0, values = 0;
  for (const auto& c : target->columns) {
    if (c.ns == ColumnNamespace::kKey) slot[c.name] = {true, keys++};
    if (c.ns == ColumnNamespace::kValue) slot[c.name] = {false, values++};
  }
  if (columns.size() != stmt.values.size())
    return Status::InvalidArgument("Failed to prepare statement: Expected number columns and values to match: " +
                                   std::to_string(columns.size()) + ", " + std::to_string(stmt.values.size()));
  // ROWPARTITION and ROWOFFSET are where Kafka put a record: nothing a writer chooses.
  for (const auto& c : columns)
    if (AsciiUpper(c) == "ROWPARTITION" || AsciiUpper(c) == "ROWOFFSET")
      return Status::InvalidArgument("Inserting into column `" + AsciiUpper(c) + "` is not allowed.");
  KafkaRecord rec;
  rec.topic = target->topic;
  if (runner_) rec.partition = -1;  // Kafka's default partitioner (murmur2 of the key), as ksqlDB
  Row key(keys), value(values);
  ExpressionCompiler compiler;
  EmptyScope scope;
  EvalContext ctx;
  for (size_t i = 0; i < columns.size(); ++i) {
    auto compiled = compiler.Compile(*stmt.values[i], scope);
    if (!compiled.ok()) return compiled.status();
    ctx.lambda_values.resize(compiled->lambda_slots);
    Value v = compiled->eval(ctx);
    if (columns[i] == "ROWTIME") {
      rec.timestamp = v.ToInt64();
      continue;
    }
    const SourceColumn* col = target->FindColumn(columns[i]);
    if (!col) return Status::InvalidArgument("Column name " + columns[i] + " does not exist.");
    if (!slot.count(col->name))
      return Status::InvalidArgument("Cannot insert into HEADER columns: " + col->name);
    if (compiled->type && !TypeEquals(compiled->type, col->type)) {
      std::string error;
      Value coerced;
      if (!CoerceInsertValue(v, compiled->type, col->type, &coerced, &error))
        return Status::InvalidArgument("Expected type " + col->type->ToString() + " for field " +
                                       col->name + " but got " + FormatExpression(*stmt.values[i]) +
                                       "(" + compiled->type->ToString() + ")");
      if (!error.empty()) return Status::InvalidArgument(error);
      v = std::move(coerced);
    }
    const auto [is_key, index] = slot[col->name];
    (is_key ? key : value)[index] = std::move(v);
  }
  auto key_ser = MakeSerializer(target->key_format, target->KeyColumns());
  if (!key_ser.ok()) return key_ser.status();
  auto value_ser = MakeSerializer(target->value_format, target->ValueColumns());
  if (!value_ser.ok()) return value_ser.status();
  std::string bytes;
  if (!key.empty() && !(*key_ser)->IsNullPayload(key)) {
    SLUICE_RETURN_IF_ERROR((*key_ser)->Serialize(key, &bytes));
    rec.key = bytes;
  }
  if (!(*value_ser)->IsNullPayload(value)) {
    SLUICE_RETURN_IF_ERROR((*value_ser)->Serialize(value, &bytes));
    rec.value = bytes;
  }
  return Produce(std::move(rec));
}

// ALTER STREAM|TABLE name ADD [COLUMN] c type, ...: new value columns at the end of the
// schema. Records already written simply lack them (read as NULL).
Status Engine::AlterSourceStatement(const AlterSource& stmt) {
  DataSourcePtr source = metastore_.FindSource(stmt.name);
  const char* kind = stmt.source_kind == SourceKind::kStream ? "STREAM" : "TABLE";
  if (!source) return Status::NotFound("Source " + stmt.name + " does not exist.");
  if (source->kind != stmt.source_kind)
    return Status::InvalidArgument(std::string("Incompatible data source type is ") +
                                   (source->kind == SourceKind::kStream ? "STREAM" : "TABLE") +
                                   ", but statement was ALTER " + kind);
  if (source->is_sink) return Status::InvalidArgument("ALTER command is not supported for CREATE ... AS statements.");
  if (source->is_source_table)
    return Status::InvalidArgument(std::string("Cannot alter ") + (stmt.source_kind == SourceKind::kStream ? "stream" : "table") +
                                   " '" + stmt.name + "': ALTER operations are not supported on source " +
                                   (stmt.source_kind == SourceKind::kStream ? "streams." : "tables."));
  auto altered = std::make_shared<DataSource>(*source);
  auto lookup = [this](const std::string& n) { return metastore_.FindType(n); };
  for (const auto& [name, spec] : stmt.add_columns) {
    if (altered->FindColumn(name))
      return Status::InvalidArgument("Cannot add column `" + name + "` to schema. A column with the same name already exists.");
    if (IsReservedColumnName(name))
      return Status::InvalidArgument("'" + name + "' is a reserved column name. You cannot use it as a name for a column.");
    auto type = ResolveTypeSpec(*spec, lookup);
    if (!type.ok()) return type.status();
    altered->columns.push_back({name, *type, ColumnNamespace::kValue, ""});
  }
  SLUICE_RETURN_IF_ERROR(ValidateColumns(altered->value_format, altered->ValueColumns(), false));
  altered->sql = stmt.text;
  return metastore_.PutSource(altered, /*replace=*/true);
}

Status Engine::DropSourceStatement(const DropSource& stmt) {
  DataSourcePtr source = metastore_.FindSource(stmt.name);
  if (!source) {
    if (stmt.if_exists) return Status::OK();
    return Status::NotFound(std::string(stmt.source_kind == SourceKind::kStream ? "Stream " : "Table ") +
                            stmt.name + " does not exist.");
  }
  if (source->kind != stmt.source_kind)
    return Status::InvalidArgument("Incompatible data source type is " +
                                   std::string(source->kind == SourceKind::kStream ? "STREAM" : "TABLE") +
                                   ", but statement was DROP " +
                                   (stmt.source_kind == SourceKind::kStream ? "STREAM" : "TABLE"));
  std::vector<std::string> readers, writers;
  for (const auto& q : queries_) {
    // A join reads every source of its chain: any of them is in use.
    const auto read = SourcesRead(*q.plan);
    if (std::any_of(read.begin(), read.end(), [&](const DataSourcePtr& s) { return s->name == stmt.name; }))
      readers.push_back(q.id);
    if (q.plan->sink->name == stmt.name) writers.push_back(q.id);
  }
  auto list = [](const std::vector<std::string>& ids) {
    std::string s;
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + ids[i];
    return s;
  };
  if (!readers.empty())
    return Status::InvalidArgument("Cannot drop " + stmt.name + ".\nThe following queries read from this source: [" +
                                   list(readers) + "].\nThe following queries write into this source: [" +
                                   list(writers) + "].\nYou need to terminate them before dropping " + stmt.name + ".");
  if (!writers.empty())
    return Status::InvalidArgument("Cannot drop " + stmt.name + ".\nThe following queries read from this source: [].\n"
                                   "The following queries write into this source: [" + list(writers) +
                                   "].\nYou need to terminate them before dropping " + stmt.name + ".");
  if (stmt.delete_topic && source->is_source_table)
    return Status::InvalidArgument("Cannot delete topic for read-only source: " + stmt.name);
  if (stmt.delete_topic) {
    DeleteSourceSubjects(*source);
    topics_.erase(source->topic);
    if (runner_) SLUICE_RETURN_IF_ERROR(runner_->DeleteTopic(source->topic));
  }
  return metastore_.DropSource(stmt.name);
}

void Engine::CreateTopic(const std::string& name, int partitions) {
  if (runner_) {
    Status s = runner_->CreateTopic(name, partitions);
    if (!s.ok()) spdlog::error("creating topic {} ({} partitions): {}", name, partitions, s.message());
  }
  topics_[name];
  auto& p = partitions_[name];
  p = std::max(p, partitions);
}

Status Engine::Produce(KafkaRecord record) {
  if (runner_) return runner_->Produce(record);
  return ProduceAt(std::move(record), 0);
}

Status Engine::ProduceAt(KafkaRecord record, int depth) {
  // A query that writes into a topic it reads would loop forever: stop and say so.
  if (depth > 32) return Status::RuntimeError("Query chain deeper than 32 topics (a cycle?) at topic " + record.topic);
  auto& log = topics_[record.topic];
  record.offset = static_cast<int64_t>(log.size());
  log.push_back(record);
  const KafkaRecord& stored = log.back();
  const KafkaRecord copy = stored;  // the log may grow (and move) while queries run
  for (auto& q : queries_)
    for (size_t sub = 0; sub < q.topology.subtopologies.size(); ++sub) {
      const auto& inputs = q.topology.subtopologies[sub].input_topics;
      if (std::find(inputs.begin(), inputs.end(), copy.topic) == inputs.end()) continue;
      SLUICE_RETURN_IF_ERROR(RunTask(q, sub, copy, depth));
    }
  return Status::OK();
}

// Runs one record through a task and commits after it, as Kafka Streams' test driver does
// (so with the record cache on, each record's updates are flushed before the next).
namespace {

// What a query's processing of `record` raised (a DECIMAL sum that overflows, ...), as Kafka
// Streams reports a processor's exception and ksqlDB passes it on: "Exception caught in
// process. taskId=0_0, topic=t, partition=0, offset=4, stacktrace=<the cause>". Other kinds of
// failure keep their status.
Status ProcessingFailure(const Status& failed, size_t sub_topology, const KafkaRecord& record) {
  if (failed.code() != Status::Code::kRuntimeError) return failed;
  return Status::RuntimeError("Exception caught in process. taskId=" + std::to_string(sub_topology) + "_" +
                              std::to_string(record.partition) + ", topic=" + record.topic +
                              ", partition=" + std::to_string(record.partition) +
                              ", offset=" + std::to_string(record.offset) + ", stacktrace=" + failed.message());
}

}  // namespace

Status Engine::RunTask(PersistentQuery& q, size_t sub, const KafkaRecord& record, int depth) {
  auto task = TaskFor(q, sub, record.partition);
  if (!task.ok()) return task.status();
  TaskOutput out;
  const Status failed = (*task)->Process(record, &out);
  if (!failed.ok()) {
    spdlog::error("query {} failed on {}/{}@{}: {}", q.id, record.topic, record.partition, record.offset,
                  failed.message());
    return ProcessingFailure(failed, sub, record);
  }
  (*task)->Commit(&out);
  for (auto& entry : out.processing_log) {
    spdlog::warn("processing log: {}", entry);
    processing_log_.push_back(std::move(entry));
  }
  for (auto& c : (*task)->TakeChangelog()) {
    const StoreSpec* store = q.topology.FindStore(c.store.substr(c.store.find('-') + 1));
    if (!store) continue;
    KafkaRecord rec;
    rec.topic = store->changelog_topic;
    rec.partition = c.partition;
    rec.timestamp = c.timestamp;
    rec.key = std::move(c.key);
    rec.value = std::move(c.value);
    auto& changelog = topics_[rec.topic];
    rec.offset = static_cast<int64_t>(changelog.size());
    changelog.push_back(std::move(rec));
  }
  for (auto& rec : out.records) {
    if (rec.partition < 0)
      rec.partition = rec.key ? SinkPartitionForKey(*q.plan, rec.topic, *rec.key, PartitionsOf(rec.topic))
                              : record.partition;
    SLUICE_RETURN_IF_ERROR(ProduceAt(std::move(rec), depth + 1));
  }
  return Status::OK();
}

Result<Task*> Engine::TaskFor(PersistentQuery& q, size_t sub, int partition) {
  auto& slot = q.tasks[{sub, partition}];
  if (!slot) {
    auto created = CreateTask(q.plan, q.topology, sub, TaskEnvironment{state_.get(), partition, CacheMaxBytes()});
    if (!created.ok()) return created.status();
    slot = std::move(*created);
  }
  return slot.get();
}

int Engine::PartitionsOf(const std::string& topic) const {
  auto it = partitions_.find(topic);
  return it == partitions_.end() ? 1 : std::max(1, it->second);
}

const std::vector<KafkaRecord>& Engine::Records(const std::string& topic) const {
  static const std::vector<KafkaRecord> kEmpty;
  auto it = topics_.find(topic);
  return it == topics_.end() ? kEmpty : it->second;
}

std::vector<std::string> Engine::Topics() const {
  std::vector<std::string> out;
  for (const auto& [name, records] : topics_) out.push_back(name);
  return out;
}

}  // namespace sluice
