#include "server/ksql_service.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "engine/config/server_config.h"
#include "engine/expr/function_catalog.h"
#include "engine/parser/parser.h"

namespace sluice {

using json = nlohmann::ordered_json;  // keys in ksqlDB's order ("@type" first)

namespace {

constexpr const char* kKsqlCompatibleVersion = "0.29.0";  // the ksqlDB API level served
constexpr const char* kSluiceVersion = "0.1.0";

const char* KindWord(SourceKind kind) { return kind == SourceKind::kStream ? "stream" : "table"; }
const char* KindTitle(SourceKind kind) { return kind == SourceKind::kStream ? "Stream" : "Table"; }

// A SQL string literal: 'it''s'.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

struct KsqlService::RequestScope {
  std::map<std::string, std::string> properties;  // request properties + SETs so far
  std::vector<std::string> set_names;             // to restore after the request
  std::vector<std::string> variable_names;        // to UNDEFINE after the request
  VariableMap variables;                          // for parsing ${var}
};

std::optional<std::string> CommandIdFor(const Statement& stmt) {
  auto named = [&]() -> const NamedStatement& { return static_cast<const NamedStatement&>(stmt); };
  switch (stmt.kind) {
    case StatementKind::kCreateSource: {
      auto& s = static_cast<const CreateSource&>(stmt);
      return std::string(KindWord(s.source_kind)) + "/`" + s.name + "`/create";
    }
    case StatementKind::kCreateAsSelect: {
      auto& s = static_cast<const CreateAsSelect&>(stmt);
      return std::string(KindWord(s.source_kind)) + "/`" + s.name + "`/create";
    }
    case StatementKind::kInsertInto:
      return "stream/`" + static_cast<const InsertInto&>(stmt).target + "`/create";
    case StatementKind::kDropSource: {
      auto& s = static_cast<const DropSource&>(stmt);
      return std::string(KindWord(s.source_kind)) + "/" + s.name + "/drop";
    }
    case StatementKind::kAlterSource: {
      auto& s = static_cast<const AlterSource&>(stmt);
      return std::string(KindWord(s.source_kind)) + "/" + s.name + "/alter";
    }
    case StatementKind::kRegisterType:
      return "type/" + static_cast<const RegisterType&>(stmt).name + "/create";
    case StatementKind::kDropType: return "type/" + named().name + "/drop";
    case StatementKind::kTerminateQuery:
      return "terminate/" + (named().all ? std::string("ALL") : named().name) + "/execute";
    case StatementKind::kPauseQuery:
      return "pause/" + (named().all ? std::string("ALL") : named().name) + "/execute";
    case StatementKind::kResumeQuery:
      return "resume/" + (named().all ? std::string("ALL") : named().name) + "/execute";
    case StatementKind::kAlterSystemProperty:
      return "cluster/" + static_cast<const PropertyStatement&>(stmt).name + "/alter";
    default:
      return std::nullopt;
  }
}

KsqlService::KsqlService(Engine& engine, std::map<std::string, std::string> engine_properties,
                         CommandLog* command_log, Admin* admin, ServerIdentity identity)
    : engine_(engine),
      engine_properties_(std::move(engine_properties)),
      command_log_(command_log),
      admin_(admin),
      identity_(std::move(identity)) {}

HttpReply KsqlService::Error(int http_status, int error_code, const std::string& message,
                             const std::string& type) {
  json j{{"@type", type}, {"error_code", error_code}, {"message", message}};
  return {http_status, j.dump()};
}

Status KsqlService::Apply(const std::string& sql) { return engine_.Execute(sql); }

void KsqlService::EndScope(RequestScope& scope) {
  // A request's SETs and DEFINEs last for the request only (ksqlDB keeps them per request /
  // per CLI session): put back the server's values.
  for (const std::string& name : scope.set_names) {
    auto it = engine_properties_.find(name);
    Status s = it != engine_properties_.end() ? Apply("SET " + Quote(name) + "=" + Quote(it->second) + ";")
                                              : Apply("UNSET " + Quote(name) + ";");
    if (!s.ok()) spdlog::warn("restoring property {} after a request: {}", name, s.message());
  }
  for (const std::string& name : scope.variable_names) Apply("UNDEFINE " + name + ";").ok();
}

json KsqlService::CurrentStatus(const Statement& stmt, const std::string& command_id,
                                const std::string& message, std::optional<std::string> query_id,
                                int64_t sequence) {
  return json{{"@type", "currentStatus"},
              {"statementText", stmt.text},
              {"commandId", command_id},
              {"commandStatus",
               {{"status", "SUCCESS"}, {"message", message},
                {"queryId", query_id ? json(*query_id) : json(nullptr)}}},
              {"commandSequenceNumber", sequence},
              {"warnings", json::array()}};
}

json KsqlService::ListSources(const Statement& stmt, SourceKind kind) {
  json items = json::array();
  for (const DataSourcePtr& s : engine_.metastore().AllSources()) {
    if (s->kind != kind) continue;
    items.push_back({{"type", kind == SourceKind::kStream ? "STREAM" : "TABLE"},
                     {"name", s->name},
                     {"topic", s->topic},
                     {"keyFormat", FormatName(s->key_format.kind)},
                     {"valueFormat", FormatName(s->value_format.kind)},
                     {"isWindowed", s->window.has_value()}});
  }
  const char* field = kind == SourceKind::kStream ? "streams" : "tables";
  return json{{"@type", field}, {"statementText", stmt.text}, {field, items}, {"warnings", json::array()}};
}

static const char* WindowTypeName(const std::optional<WindowInfo>& window) {
  if (!window) return nullptr;
  static const char* kNames[] = {"TUMBLING", "HOPPING", "SESSION"};
  return kNames[static_cast<int>(window->kind)];
}

// What the runtime says (a query that failed shows ERROR, as in ksqlDB, with its reason in
// EXPLAIN); PAUSE/RESUME as recorded here when there is no runtime (the in-memory engine).
std::string KsqlService::QueryState(const std::string& query_id) const {
  if (const QueryRunner* runner = engine_.query_runner()) {
    switch (runner->QueryStatus(query_id).state) {
      case QueryRunState::kError: return "ERROR";
      case QueryRunState::kPaused: return "PAUSED";
      case QueryRunState::kRunning: return "RUNNING";
      case QueryRunState::kNotRunning: break;
    }
  }
  return paused_.count(query_id) ? "PAUSED" : "RUNNING";
}

// ksqlDB's RunningQuery: one persistent query as SHOW QUERIES and DESCRIBE list it.
json KsqlService::RunningQueryJson(const PersistentQuery& q) const {
  const std::string state = QueryState(q.id);
  return json{{"queryString", q.statement},
              {"sinks", json::array({q.plan->sink->name})},
              {"sinkKafkaTopics", json::array({q.plan->sink->topic})},
              {"id", q.id},
              {"statusCount", {{state, 1}}},
              {"queryType", "PERSISTENT"},
              {"state", state}};
}

// ksqlDB's SourceDescription. Sluice keeps no per-source throughput metrics yet, so
// statistics/errorStats are empty strings (as ksqlDB answers for a source without traffic).
json KsqlService::SourceDescriptionJson(const DataSource& source, bool extended) {
  json read = json::array(), write = json::array();
  for (const PersistentQuery& q : engine_.queries()) {
    if (q.plan->sink && q.plan->sink->name == source.name) write.push_back(RunningQueryJson(q));
    for (const DataSourcePtr& s : SourcesRead(*q.plan))
      if (s->name == source.name) {
        read.push_back(RunningQueryJson(q));
        break;
      }
  }
  json fields = json::array();
  for (const SourceColumn& c : source.columns) fields.push_back(json(FieldInfoJson(c)));
  const char* window = WindowTypeName(source.window);
  // As ksqlDB: partitions and replication are looked up (on Kafka) only for EXTENDED.
  int partitions = 0, replication = 0;
  if (extended) {
    partitions = source.partitions;
    replication = 1;
    if (admin_) {
      auto topic = admin_->DescribeTopic(source.topic);
      if (topic.ok()) {
        partitions = topic->partitions;
        replication = std::max(1, topic->replicas);
      }
    }
  }
  return json{{"name", source.name},
              {"windowType", window ? json(window) : json(nullptr)},
              {"readQueries", read},
              {"writeQueries", write},
              {"fields", fields},
              {"type", source.kind == SourceKind::kStream ? "STREAM" : "TABLE"},
              {"timestamp", source.timestamp_column},
              {"statistics", ""},
              {"errorStats", ""},
              {"extended", extended},
              {"keyFormat", FormatName(source.key_format.kind)},
              {"valueFormat", FormatName(source.value_format.kind)},
              {"topic", source.topic},
              {"partitions", partitions},
              {"replication", replication},
              {"statement", source.sql},
              {"queryOffsetSummaries", json::array()},
              {"sourceConstraints", json::array()}};
}

json KsqlService::ListQueries(const ListStatement& stmt) {
  if (stmt.extended) {
    // SHOW QUERIES EXTENDED: one queryDescription (EXPLAIN <id>) per query.
    json descriptions = json::array();
    for (const PersistentQuery& q : engine_.queries()) {
      sluice::Explain explain;
      explain.query_id = q.id;
      auto described = engine_.Explain(explain);
      if (!described.ok()) continue;
      json d = (*described)["queryDescription"];
      d["state"] = QueryState(q.id);
      descriptions.push_back(std::move(d));
    }
    return json{{"@type", "query_descriptions"}, {"statementText", stmt.text},
                {"queryDescriptions", descriptions}, {"warnings", json::array()}};
  }
  json queries = json::array();
  for (const PersistentQuery& q : engine_.queries()) queries.push_back(RunningQueryJson(q));
  return json{{"@type", "queries"}, {"statementText", stmt.text}, {"queries", queries},
              {"warnings", json::array()}};
}

// ksqlDB's PropertiesList: every server property (the table's defaults, then what the server
// was started with, then this request's SETs/streamsProperties), passwords masked.
json KsqlService::ListProperties(const Statement& stmt, const RequestScope& scope) {
  std::map<std::string, std::string> values;
  std::set<std::string> defaults;
  for (const PropertyDef& def : ServerPropertyDefs()) {
    if (def.default_value.empty()) continue;
    values[def.name] = def.default_value;
    defaults.insert(def.name);
  }
  for (const auto& [k, v] : engine_properties_) {
    // The engine gets every property, defaults included: only a different value is the server's.
    if (auto it = values.find(k); it != values.end() && it->second == v) continue;
    values[k] = v;
    defaults.erase(k);
  }
  json overwritten = json::array();
  for (const auto& [k, v] : scope.properties) {
    values[k] = v;
    defaults.erase(k);
    overwritten.push_back(k);
  }
  json properties = json::array();
  for (const auto& [name, value] : values) {
    const PropertyDef* def = FindPropertyDef(name);
    const bool secret = def && def->type == PropertyType::kPassword;
    const char* scope_name = name.rfind("ksql.streams.", 0) == 0 ? "STREAMS"
                             : name.rfind("ksql.", 0) == 0       ? "KSQL"
                                                                 : "KAFKA";
    properties.push_back({{"name", name}, {"scope", scope_name}, {"value", secret ? "[hidden]" : value}});
  }
  return json{{"@type", "properties"}, {"statementText", stmt.text}, {"properties", properties},
              {"overwrittenProperties", overwritten}, {"defaultProperties", json(defaults)},
              {"warnings", json::array()}};
}

// ksqlDB's KafkaTopicsList / KafkaTopicsListExtended. Internal topics (leading '_') only with
// SHOW ALL TOPICS. replicaInfo: the replica count of each partition.
Result<json> KsqlService::ListTopics(const ListStatement& stmt) {
  std::vector<TopicInfo> topics;
  if (admin_) {
    auto listed = admin_->ListTopics();
    if (!listed.ok()) return Status::IOError("Could not list Kafka topics: " + listed.status().message());
    topics = std::move(*listed);
  } else {
    for (const std::string& name : engine_.Topics()) topics.push_back({name, 1, 1});
  }
  std::sort(topics.begin(), topics.end(), [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  json list = json::array();
  for (const TopicInfo& t : topics) {
    if (!stmt.all && !t.name.empty() && t.name[0] == '_') continue;
    json item{{"name", t.name},
              {"replicaInfo", std::vector<int>(static_cast<size_t>(std::max(0, t.partitions)), std::max(1, t.replicas))}};
    if (stmt.extended) {
      // Consumer counts need the group coordinator's view, which Sluice does not read yet.
      item["consumerCount"] = 0;
      item["consumerGroupCount"] = 0;
    }
    list.push_back(std::move(item));
  }
  return json{{"@type", stmt.extended ? "kafka_topics_extended" : "kafka_topics"},
              {"statementText", stmt.text}, {"topics", list}, {"warnings", json::array()}};
}

Result<std::optional<json>> KsqlService::Describe(const Statement& stmt, const RequestScope& scope) {
  auto entity = [&](json j) { return Result<std::optional<json>>(std::optional<json>(std::move(j))); };
  switch (stmt.kind) {
    case StatementKind::kListQueries: return entity(ListQueries(static_cast<const ListStatement&>(stmt)));
    case StatementKind::kListProperties: return entity(ListProperties(stmt, scope));
    case StatementKind::kListTopics: {
      auto topics = ListTopics(static_cast<const ListStatement&>(stmt));
      if (!topics.ok()) return topics.status();
      return entity(std::move(*topics));
    }
    case StatementKind::kListFunctions:
      return entity(json(ListFunctionsEntity(FunctionRegistry::Builtins(), stmt.text)));
    case StatementKind::kDescribeFunction: {
      auto described = DescribeFunctionEntity(FunctionRegistry::Builtins(),
                                              static_cast<const NamedStatement&>(stmt).name, stmt.text);
      if (!described.ok()) return described.status();
      return entity(json(std::move(*described)));
    }
    case StatementKind::kListTypes: {
      json types = json::object();
      for (const auto& [name, type] : engine_.metastore().Types()) types[name] = json(SchemaInfoJson(type));
      return entity(json{{"@type", "type_list"}, {"statementText", stmt.text}, {"types", types},
                         {"warnings", json::array()}});
    }
    case StatementKind::kListVariables: {
      json variables = json::array();
      for (const auto& [name, value] : engine_.variables()) variables.push_back({{"name", name}, {"value", value}});
      return entity(json{{"@type", "variables"}, {"statementText", stmt.text}, {"variables", variables},
                         {"warnings", json::array()}});
    }
    case StatementKind::kDescribeSource: {
      auto& d = static_cast<const DescribeSource&>(stmt);
      DataSourcePtr source = engine_.metastore().FindSource(d.name);
      if (!source) return Status::NotFound("Could not find STREAM/TABLE '" + d.name + "' in the Metastore");
      return entity(json{{"@type", "sourceDescription"}, {"statementText", stmt.text},
                         {"sourceDescription", SourceDescriptionJson(*source, d.extended)},
                         {"warnings", json::array()}});
    }
    case StatementKind::kListStreams:
    case StatementKind::kListTables:
    case StatementKind::kDescribeStreams:
    case StatementKind::kDescribeTables: {
      // DESCRIBE STREAMS/TABLES and SHOW STREAMS/TABLES EXTENDED (plain SHOW: ListSources).
      auto& l = static_cast<const ListStatement&>(stmt);
      const bool list = stmt.kind == StatementKind::kListStreams || stmt.kind == StatementKind::kListTables;
      if (list && !l.extended) return std::optional<json>();
      SourceKind kind = stmt.kind == StatementKind::kDescribeStreams || stmt.kind == StatementKind::kListStreams
                            ? SourceKind::kStream
                            : SourceKind::kTable;
      json descriptions = json::array();
      for (const DataSourcePtr& s : engine_.metastore().AllSources())
        if (s->kind == kind) descriptions.push_back(SourceDescriptionJson(*s, l.extended));
      return entity(json{{"@type", "source_descriptions"}, {"statementText", stmt.text},
                         {"sourceDescriptions", descriptions}, {"warnings", json::array()}});
    }
    default: return std::optional<json>();
  }
}

// Executes one parsed statement. Returns the entity to answer with (nullopt: none, as ksqlDB
// answers SET/DEFINE/INSERT VALUES), or the error. `record`: append to the command topic.
Result<std::optional<json>> KsqlService::ExecuteOne(const Statement& stmt, RequestScope& scope, bool record) {
  switch (stmt.kind) {
    case StatementKind::kQuery:
    case StatementKind::kPrintTopic:
      return Status::InvalidArgument(
          "The following statement types should be issued to the websocket endpoint '/query':\n"
          "\t* PRINT\n\t* SELECT");
    case StatementKind::kListStreams:
    case StatementKind::kListTables: {
      if (static_cast<const ListStatement&>(stmt).extended) return Describe(stmt, scope);
      return std::optional<json>(
          ListSources(stmt, stmt.kind == StatementKind::kListStreams ? SourceKind::kStream : SourceKind::kTable));
    }
    case StatementKind::kExplain: {
      auto explained = engine_.Explain(static_cast<const Explain&>(stmt));
      if (!explained.ok()) return explained.status();
      return std::optional<json>(std::move(*explained));
    }
    default: {
      auto described = Describe(stmt, scope);
      if (!described.ok() || described->has_value()) return described;
      break;
    }
  }

  // What the response needs from before the statement runs.
  std::string drop_topic;
  bool drop_missing = false;
  if (stmt.kind == StatementKind::kDropSource) {
    auto src = engine_.metastore().FindSource(static_cast<const DropSource&>(stmt).name);
    if (src) drop_topic = src->topic;
    else drop_missing = true;
  }

  SLUICE_RETURN_IF_ERROR(engine_.ExecuteStatement(stmt));

  switch (stmt.kind) {
    case StatementKind::kSetProperty: {
      auto& p = static_cast<const PropertyStatement&>(stmt);
      scope.properties[p.name] = p.value;
      scope.set_names.push_back(p.name);
      return std::optional<json>();
    }
    case StatementKind::kUnsetProperty: {
      auto& p = static_cast<const PropertyStatement&>(stmt);
      scope.properties.erase(p.name);
      scope.set_names.push_back(p.name);
      return std::optional<json>();
    }
    case StatementKind::kDefineVariable: {
      auto& d = static_cast<const PropertyStatement&>(stmt);
      scope.variables[d.name] = d.value;
      scope.variable_names.push_back(d.name);
      return std::optional<json>();
    }
    case StatementKind::kUndefineVariable:
      scope.variables.erase(static_cast<const NamedStatement&>(stmt).name);
      return std::optional<json>();
    default: break;
  }

  auto command_id = CommandIdFor(stmt);
  if (!command_id) {
    if (stmt.kind == StatementKind::kInsertValues) return std::optional<json>();
    return Status::NotSupported(std::string(StatementKindName(stmt.kind)) +
                                " statements are not served by the REST API yet");
  }

  // The id the engine gave the query this statement started (if any).
  std::optional<std::string> query_id = engine_.last_started_query();
  std::string message;
  switch (stmt.kind) {
    case StatementKind::kCreateSource:
      message = std::string(KindTitle(static_cast<const CreateSource&>(stmt).source_kind)) + " created";
      break;
    case StatementKind::kCreateAsSelect:
    case StatementKind::kInsertInto:
      message = query_id ? "Created query with ID " + *query_id : "Statement already applied";
      break;
    case StatementKind::kDropSource: {
      auto& s = static_cast<const DropSource&>(stmt);
      message = drop_missing ? "Source `" + s.name + "` does not exist."
                             : "Source `" + s.name + "` (topic: " + drop_topic + ") was dropped.";
      break;
    }
    case StatementKind::kAlterSource: {
      auto& s = static_cast<const AlterSource&>(stmt);
      message = std::string(KindTitle(s.source_kind)) + " " + s.name + " altered.";
      break;
    }
    case StatementKind::kRegisterType: {
      auto& t = static_cast<const RegisterType&>(stmt);
      TypePtr type = engine_.metastore().FindType(t.name);
      message = "Registered custom type with name '" + t.name + "' and SQL type " + (type ? type->ToString() : "");
      break;
    }
    case StatementKind::kDropType:
      message = "Dropped type '" + static_cast<const NamedStatement&>(stmt).name + "'";
      break;
    case StatementKind::kTerminateQuery: {
      auto& t = static_cast<const NamedStatement&>(stmt);
      if (t.all) paused_.clear();
      else paused_.erase(t.name);
      message = "Query terminated.";
      break;
    }
    case StatementKind::kPauseQuery:
    case StatementKind::kResumeQuery: {
      auto& t = static_cast<const NamedStatement&>(stmt);
      const bool pause = stmt.kind == StatementKind::kPauseQuery;
      std::vector<std::string> ids;
      if (t.all) for (const PersistentQuery& q : engine_.queries()) ids.push_back(q.id);
      else ids.push_back(t.name);
      for (const std::string& id : ids) {
        if (pause) paused_.insert(id);
        else paused_.erase(id);
      }
      message = pause ? "Query paused." : "Query resumed.";
      break;
    }
    default: message = "Statement executed."; break;
  }

  int64_t sequence = next_sequence_++;
  if (record && command_log_) {
    // A CREATE whose columns came from the registry is kept with them (engine.h).
    Command command{*command_id, engine_.last_statement_text(), scope.properties, -1};
    auto offset = command_log_->Append(command);
    if (!offset.ok()) {
      // Executed here but not recorded: it will be missing after a restart. Say so.
      spdlog::error("statement executed but not recorded in {}: {} ({})", command_log_->topic(),
                    offset.status().message(), stmt.text);
      return Status::IOError("The statement executed but could not be written to the command topic " +
                             command_log_->topic() + ", so it will not survive a restart: " +
                             offset.status().message());
    }
    sequence = *offset;
  }
  return std::optional<json>(CurrentStatus(stmt, *command_id, message, query_id, sequence));
}

HttpReply KsqlService::HandleKsql(const std::string& body) {
  json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object())
    return Error(400, 40000, "Invalid JSON in request: the body must be a JSON object "
                             "{\"ksql\": \"...\", \"streamsProperties\": {...}}");
  if (!request.contains("ksql") || !request["ksql"].is_string())
    return Error(400, 40000, "Missing or invalid field: ksql (a string of statements)");
  if (identity_.headless)
    return Error(400, 40000, "The server is running in headless mode. Interactive use is disabled.");

  const std::string sql = request["ksql"].get<std::string>();
  std::lock_guard<std::mutex> lock(mu_);
  RequestScope scope;
  // Request properties (ksqlDB reads "streamsProperties"; newer clients send "properties").
  for (const char* field : {"streamsProperties", "properties"}) {
    if (!request.contains(field)) continue;
    if (!request[field].is_object())
      return Error(400, 40000, std::string("Invalid field: ") + field + " must be a JSON object");
    for (auto& [k, v] : request[field].items()) {
      Status s = Apply("SET " + Quote(k) + "=" + Quote(PropertyText(v)) + ";");
      if (!s.ok()) {
        EndScope(scope);
        return Error(400, 40000, "Invalid property " + k + ": " + s.message());
      }
      scope.properties[k] = PropertyText(v);
      scope.set_names.push_back(k);
    }
  }
  if (request.contains("sessionVariables") && request["sessionVariables"].is_object()) {
    for (auto& [k, v] : request["sessionVariables"].items()) {
      std::string name = k;
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      Apply("DEFINE " + k + " = " + Quote(PropertyText(v)) + ";").ok();
      scope.variables[name] = PropertyText(v);
      scope.variable_names.push_back(k);
    }
  }

  json entities = json::array();
  HttpReply reply{200, ""};
  for (const RawStatement& raw : SplitStatements(sql)) {
    auto parsed = ParseStatement(raw, &scope.variables);
    Result<std::optional<json>> result =
        parsed.ok() ? ExecuteOne(**parsed, scope, /*record=*/true) : Result<std::optional<json>>(parsed.status());
    if (!result.ok()) {
      const Status& s = result.status();
      int http = s.code() == Status::Code::kIOError ? 500 : 400;
      int code = http == 500 ? 50000 : (s.message().rfind("The following statement types", 0) == 0 ? 40002 : 40001);
      json err{{"@type", "statement_error"}, {"error_code", code}, {"message", s.message()},
               {"statementText", raw.text}, {"entities", entities}};
      reply = {http, err.dump()};
      EndScope(scope);
      return reply;
    }
    if (result->has_value()) entities.push_back(std::move(**result));
  }
  EndScope(scope);
  reply.body = entities.dump();
  return reply;
}

int KsqlService::Replay(const std::vector<Command>& commands) {
  std::lock_guard<std::mutex> lock(mu_);
  int ran = 0;
  for (const Command& c : commands) {
    RequestScope scope;
    for (const auto& [k, v] : c.properties) {
      if (Apply("SET " + Quote(k) + "=" + Quote(v) + ";").ok()) {
        scope.properties[k] = v;
        scope.set_names.push_back(k);
      }
    }
    auto parsed = ParseSingleStatement(c.statement);
    Status s = parsed.ok() ? ExecuteOne(**parsed, scope, /*record=*/false).status() : parsed.status();
    EndScope(scope);
    if (!s.ok()) {
      spdlog::error("command topic offset {} ({}): not replayed: {} [{}]", c.offset, c.id, s.message(), c.statement);
      continue;
    }
    next_sequence_ = c.offset + 1;
    ++ran;
  }
  return ran;
}

HttpReply KsqlService::HandleInfo() {
  json info{{"version", kKsqlCompatibleVersion},
            {"kafkaClusterId", identity_.kafka_cluster_id},
            {"ksqlServiceId", identity_.service_id},
            {"serverStatus", "RUNNING"},
            {"sluiceVersion", kSluiceVersion},
            {"kafkaBootstrapServers", identity_.bootstrap_servers},
            {"embeddedKafka", identity_.embedded_broker},
            {"schemaRegistryUrl", identity_.schema_registry_url},
            {"embeddedSchemaRegistry", identity_.embedded_schema_registry}};
  return {200, json{{"KsqlServerInfo", info}}.dump()};
}

HttpReply KsqlService::HandleHealthcheck() {
  bool kafka_ok = admin_ && admin_->ListTopics().ok();
  json j{{"isHealthy", kafka_ok},
         {"details", {{"metastore", {{"isHealthy", true}}}, {"kafka", {{"isHealthy", kafka_ok}}}}}};
  return {kafka_ok ? 200 : 503, j.dump()};
}

}  // namespace sluice
