#pragma once
// KsqlService: the REST API's statement handling, independent of HTTP. POST /ksql bodies in,
// ksqlDB v1 response bodies out (status code + JSON), statements executed through the one
// Engine under a mutex, state-changing statements appended to the command topic after they
// succeed. GET /info and /healthcheck answers too.
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/executor/engine.h"
#include "engine/kafka/admin.h"
#include "server/command_log.h"

namespace sluice {

struct HttpReply {
  int status = 200;
  std::string body;  // JSON
};

struct ServerIdentity {
  std::string service_id = "default_";
  std::string kafka_cluster_id;
  std::string bootstrap_servers;
  bool embedded_broker = false;
  std::string schema_registry_url;       // ksql.schema.registry.url, or the embedded registry's
  bool embedded_schema_registry = false;
  bool headless = false;  // ksql.queries.file set: the REST API refuses statements
};

// ksqlDB's command id for a state-changing statement ("stream/`S`/create",
// "terminate/CSAS_S_0/execute"); nullopt for statements the command topic does not hold.
std::optional<std::string> CommandIdFor(const Statement& stmt);

// A request property or session variable as text, as ksqlDB keeps it: a JSON string's own text,
// any other JSON value as JSON ({"a": 1} -> "1"). For either nlohmann flavour (ordered or not).
template <typename Json>
std::string PropertyText(const Json& v) {
  return v.is_string() ? v.template get<std::string>() : v.dump();
}

class KsqlService {
 public:
  // `engine_properties`: what the Engine was built with (restored after a request's SETs).
  // `command_log` may be null (no command topic: tests, headless mode).
  KsqlService(Engine& engine, std::map<std::string, std::string> engine_properties,
              CommandLog* command_log, Admin* admin, ServerIdentity identity);

  // POST /ksql with `body` = {"ksql": "...", "streamsProperties": {...}, "sessionVariables": {...}}.
  HttpReply HandleKsql(const std::string& body);
  HttpReply HandleInfo();
  HttpReply HandleHealthcheck();

  // Start-up: runs the command topic's commands through the engine, in order, before serving.
  // A command that fails is logged and skipped (as ksqlDB does); returns how many ran.
  int Replay(const std::vector<Command>& commands);

  static HttpReply Error(int http_status, int error_code, const std::string& message,
                         const std::string& type = "generic_error");

  // The engine and the lock that serializes every use of it: the query and insert endpoints
  // (server/query_endpoints.*) start transient queries and insert rows under it.
  Engine& engine() { return engine_; }
  std::mutex& engine_mutex() { return mu_; }

 private:
  struct RequestScope;  // the SETs/DEFINEs of one request, undone after it
  Result<std::optional<nlohmann::ordered_json>> ExecuteOne(const Statement& stmt, RequestScope& scope,
                                                   bool record);
  nlohmann::ordered_json CurrentStatus(const Statement& stmt, const std::string& command_id,
                               const std::string& message, std::optional<std::string> query_id,
                               int64_t sequence);
  nlohmann::ordered_json ListSources(const Statement& stmt, SourceKind kind);
  // SHOW/LIST/DESCRIBE entities (read-only; rendered from the engine, the metastore, the
  // function registry and the Kafka admin). nullopt: not a listing statement.
  Result<std::optional<nlohmann::ordered_json>> Describe(const Statement& stmt, const RequestScope& scope);
  nlohmann::ordered_json RunningQueryJson(const PersistentQuery& q) const;
  nlohmann::ordered_json SourceDescriptionJson(const DataSource& source, bool extended);
  nlohmann::ordered_json ListQueries(const ListStatement& stmt);
  nlohmann::ordered_json ListProperties(const Statement& stmt, const RequestScope& scope);
  Result<nlohmann::ordered_json> ListTopics(const ListStatement& stmt);
  std::string QueryState(const std::string& query_id) const;
  Status Apply(const std::string& sql);
  void EndScope(RequestScope& scope);

  std::mutex mu_;  // one statement at a time through the engine
  Engine& engine_;
  std::map<std::string, std::string> engine_properties_;
  CommandLog* command_log_;
  Admin* admin_;
  ServerIdentity identity_;
  int64_t next_sequence_ = 0;  // without a command topic
  std::set<std::string> paused_;  // query ids PAUSEd (SHOW QUERIES says PAUSED)
};

}  // namespace sluice
