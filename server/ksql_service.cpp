#include "server/ksql_service.h"

#include <spdlog/spdlog.h>

#include "engine/parser/parser.h"

namespace sluice {

using json = nlohmann::ordered_json;  // keys in ksqlDB's order ("@type" first)

namespace {

constexpr const char* kKsqlCompatibleVersion = "0.29.0";  // the ksqlDB API level served
constexpr const char* kSluiceVersion = "0.1.0";

const char* KindWord(SourceKind kind) { return kind == SourceKind::kStream ? "stream" : "table"; }
const char* KindTitle(SourceKind kind) { return kind == SourceKind::kStream ? "Stream" : "Table"; }

// Property values in a request may be strings, numbers or booleans.
std::string PropertyText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

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
      return std::optional<json>(ListSources(stmt, SourceKind::kStream));
    case StatementKind::kListTables:
      return std::optional<json>(ListSources(stmt, SourceKind::kTable));
    case StatementKind::kExplain: {
      auto explained = engine_.Explain(static_cast<const Explain&>(stmt));
      if (!explained.ok()) return explained.status();
      return std::optional<json>(std::move(*explained));
    }
    default: break;
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
    case StatementKind::kTerminateQuery: message = "Query terminated."; break;
    case StatementKind::kPauseQuery: message = "Query paused."; break;
    case StatementKind::kResumeQuery: message = "Query resumed."; break;
    default: message = "Statement executed."; break;
  }

  int64_t sequence = next_sequence_++;
  if (record && command_log_) {
    Command command{*command_id, stmt.text, scope.properties, -1};
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
            {"embeddedKafka", identity_.embedded_broker}};
  return {200, json{{"KsqlServerInfo", info}}.dump()};
}

HttpReply KsqlService::HandleHealthcheck() {
  bool kafka_ok = admin_ && admin_->ListTopics().ok();
  json j{{"isHealthy", kafka_ok},
         {"details", {{"metastore", {{"isHealthy", true}}}, {"kafka", {{"isHealthy", kafka_ok}}}}}};
  return {kafka_ok ? 200 : 503, j.dump()};
}

}  // namespace sluice
