#include "server/websocket_query.h"

#include <cctype>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "engine/executor/print_query.h"
#include "engine/expr/expression_compiler.h"
#include "engine/parser/expression.h"
#include "engine/parser/parser.h"

namespace sluice {

namespace asio = boost::asio;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

// SchemaInfo with ksqlDB's key order (type, fields, memberSchema, then the rest).
ojson OrderedSchema(const json& schema) {
  ojson out;
  out["type"] = schema.value("type", json());
  ojson fields = nullptr;
  if (schema.contains("fields") && schema["fields"].is_array()) {
    fields = ojson::array();
    for (const json& f : schema["fields"]) {
      ojson field{{"name", f.value("name", json())}, {"schema", OrderedSchema(f.value("schema", json::object()))}};
      if (f.contains("type")) field["type"] = f["type"];
      fields.push_back(std::move(field));
    }
  }
  out["fields"] = std::move(fields);
  const json member = schema.value("memberSchema", json());
  out["memberSchema"] = member.is_object() ? OrderedSchema(member) : ojson(nullptr);
  for (auto& [k, v] : schema.items())
    if (k != "type" && k != "fields" && k != "memberSchema") out[k] = v;
  return out;
}

// RFC 6455 close codes ksqlDB's endpoint uses.
constexpr uint16_t kNormalClosure = 1000;
constexpr uint16_t kGoingAway = 1001;
constexpr uint16_t kInvalidMessageType = 1003;  // the request cannot start a query
constexpr uint16_t kUnexpectedCondition = 1011;  // the query failed while running

// The rows of one query -> text frames on its websocket.
// Also PRINT's record lines (TextLineSink): one text frame per line, the line as a JSON string,
// as ksqlDB's WebSocketSubscriber writes PrintPublisher's strings.
class WebSocketSink : public QueryRowSink, public TextLineSink {
 public:
  explicit WebSocketSink(std::shared_ptr<WebSocketConnection> connection) : connection_(std::move(connection)) {}

  void OnSchema(const QueryResultSchema& schema) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (begun_ || ended_) return;
    begun_ = true;
    ojson fields = ojson::array();
    for (size_t i = 0; i < schema.column_names.size(); ++i) {
      ojson field = {{"name", schema.column_names[i]},
                     {"schema", OrderedSchema(SchemaInfoFromTypeText(
                                    i < schema.column_types.size() ? schema.column_types[i] : ""))}};
      // A push query's columns are all values (ksqlDB sends its value columns only).
      if (schema.is_pull && i < schema.key_columns.size() && schema.key_columns[i]) field["type"] = "KEY";
      fields.push_back(std::move(field));
    }
    connection_->SendText(fields.dump());
  }

  bool OnRow(QueryRow row) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!begun_ || ended_) return false;
    json r = {{"columns", std::move(row.columns)}};
    if (row.tombstone) r["tombstone"] = true;
    return connection_->SendText(json{{"row", std::move(r)}}.dump());
  }

  bool OnLines(const std::vector<std::string>& lines) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return false;
    begun_ = true;
    for (const std::string& line : lines)
      if (!connection_->SendText(json(line).dump(-1, ' ', false, json::error_handler_t::replace))) return false;
    return true;
  }

  void OnEnd(const Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    if (status.ok()) connection_->Close(kNormalClosure, "done");
    else connection_->Close(begun_ ? kUnexpectedCondition : kInvalidMessageType, status.message());
  }

 private:
  std::mutex mu_;
  std::shared_ptr<WebSocketConnection> connection_;
  bool begun_ = false, ended_ = false;
};

// {"ksql": ..., "streamsProperties": {...}} from the `request` parameter, or why not.
struct WsRequest {
  std::string sql;
  std::map<std::string, std::string> properties;
  std::map<std::string, std::string> variables;
};

Result<WsRequest> ParseWsRequest(const std::string& query) {
  if (auto version = QueryParam(query, "version"); version && *version != "1")
    return Status::InvalidArgument("Received invalid api version: " + *version);
  auto text = QueryParam(query, "request");
  if (!text || text->empty()) return Status::InvalidArgument("Error parsing request: missing request parameter");
  json request = json::parse(*text, nullptr, false);
  if (request.is_discarded() || !request.is_object())
    return Status::InvalidArgument("Error parsing request: the request parameter must be a JSON object");
  WsRequest out;
  if (request.contains("ksql") && request["ksql"].is_string()) out.sql = request["ksql"].get<std::string>();
  if (out.sql.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::InvalidArgument("Error parsing request: \"ksql\" field of \"request\" must be populated");
  for (const char* field : {"streamsProperties", "properties"}) {
    if (!request.contains(field) || request[field].is_null()) continue;
    if (!request[field].is_object())
      return Status::InvalidArgument(std::string("Error parsing request: ") + field + " must be a JSON object");
    for (auto& [k, v] : request[field].items()) out.properties[k] = PropertyText(v);
  }
  if (request.contains("sessionVariables") && request["sessionVariables"].is_object())
    for (auto& [k, v] : request["sessionVariables"].items()) {
      std::string name = k;
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.variables[name] = PropertyText(v);
    }
  return out;
}

}  // namespace

// One websocket query: its handle (destroyed to stop it) and whether the socket is gone.
struct WebSocketQueryEndpoint::Active {
  std::mutex mu;
  std::unique_ptr<RunningQuery> handle;
  StatementPtr statement;
  std::shared_ptr<WebSocketSink> sink;
  std::shared_ptr<WebSocketConnection> connection;
  bool closed = false;
};


std::optional<std::string> QueryParam(const std::string& query, const std::string& name) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq), true) == name)
      return eq == std::string::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return std::nullopt;
}

json SchemaInfoFromTypeText(const std::string& type_text) {
  // The engine writes result types as SQL type text: parse it back through a CAST.
  auto expr = ParseExpression("CAST(NULL AS " + type_text + ")");
  if (expr.ok() && (*expr)->kind == ExprKind::kCast) {
    const auto& cast = static_cast<const CastExpr&>(**expr);
    auto type = ResolveTypeSpec(*cast.target, nullptr);
    if (type.ok()) return SchemaInfoJson(*type);
  }
  std::string name = type_text.substr(0, type_text.find_first_of("<( "));
  return {{"type", name}, {"fields", nullptr}, {"memberSchema", nullptr}};
}

WebSocketQueryEndpoint::WebSocketQueryEndpoint(KsqlService& service) : service_(service) {}

WebSocketQueryEndpoint::~WebSocketQueryEndpoint() { Shutdown(); }

size_t WebSocketQueryEndpoint::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_.size();
}

void WebSocketQueryEndpoint::Handle(const std::shared_ptr<WebSocketConnection>& connection) {
  auto request = ParseWsRequest(connection->request().query);
  if (!request.ok()) {
    spdlog::info("websocket {} from {}: {}", connection->request().path, connection->request().peer,
                 request.status().message());
    connection->Close(kInvalidMessageType, request.status().message());
    return;
  }
  auto active = std::make_shared<Active>();
  active->connection = connection;
  active->sink = std::make_shared<WebSocketSink>(connection);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      connection->Close(kGoingAway, "Server shutting down");
      return;
    }
    active_[active.get()] = active;
  }
  // The socket closed (the client left, or the query ended and the close handshake is over):
  // the query stops, destroyed on the pool under the engine lock (never on a stream thread).
  connection->OnClose([this, active] {
    std::unique_ptr<RunningQuery> handle;
    {
      std::lock_guard<std::mutex> lock(active->mu);
      active->closed = true;
      handle = std::move(active->handle);
    }
    const bool stopped = Forget(active);
    if (!handle) return;
    if (stopped) {  // shutting down: the pool may be gone; stop it here, before the runtime goes
      std::lock_guard<std::mutex> lock(service_.engine_mutex());
      handle.reset();
      return;
    }
    auto holder = std::make_shared<std::unique_ptr<RunningQuery>>(std::move(handle));
    asio::post(pool_, [this, holder] {
      const std::string id = (*holder)->id();
      std::lock_guard<std::mutex> lock(service_.engine_mutex());
      holder->reset();
      spdlog::info("Push query {} stopped: its websocket closed", id);
    });
  });
  asio::post(pool_, [this, connection, active, request = std::move(*request)]() mutable {
    auto statements = SplitStatements(request.sql);
    if (statements.size() != 1) {
      active->sink->OnEnd(Status::InvalidArgument("Error parsing query: expected exactly one statement, got " +
                                                  std::to_string(statements.size())));
      return;
    }
    auto parsed = ParseStatement(statements[0], &request.variables);
    if (!parsed.ok()) {
      active->sink->OnEnd(Status::InvalidArgument("Error parsing query: " + parsed.status().message()));
      return;
    }
    if ((*parsed)->kind == StatementKind::kPrintTopic) {
      active->statement = std::move(*parsed);
      return RunPrint(connection, active);
    }
    if ((*parsed)->kind != StatementKind::kQuery) {
      active->sink->OnEnd(Status::InvalidArgument("Unexpected statement type: only SELECT runs on " +
                                                  connection->request().path + ": " + request.sql));
      return;
    }
    active->statement = std::move(*parsed);
    Run(connection, active, request.properties);
  });
}

void WebSocketQueryEndpoint::Run(const std::shared_ptr<WebSocketConnection>& connection,
                                 const std::shared_ptr<Active>& active,
                                 const std::map<std::string, std::string>& properties) {
  std::unique_ptr<RunningQuery> handle;
  {
    std::lock_guard<std::mutex> engine_lock(service_.engine_mutex());
    {
      std::lock_guard<std::mutex> lock(active->mu);
      if (active->closed) return;  // the client left before its query started
    }
    auto started = service_.engine().StartQuery(static_cast<const QueryStatement&>(*active->statement), properties,
                                                active->sink);
    if (!started.ok()) {
      active->sink->OnEnd(started.status());
      return;
    }
    handle = std::move(*started);
  }
  Keep(connection, active, std::move(handle));
}

// PRINT: the record lines only (no format or keep-alive lines, as ksqlDB's PrintPublisher);
// it reads the query runner and the schema registry, not the engine's state: no engine lock.
void WebSocketQueryEndpoint::RunPrint(const std::shared_ptr<WebSocketConnection>& connection,
                                      const std::shared_ptr<Active>& active) {
  const auto& stmt = static_cast<const PrintTopic&>(*active->statement);
  auto started = StartPrint(service_.engine(), stmt, active->sink, {.format_lines = false, .keep_alive_lines = false});
  if (!started.ok()) {
    // WSQueryEndpoint's own wording for an unknown topic.
    active->sink->OnEnd(started.status().code() == Status::Code::kNotFound
                            ? Status::NotFound("Topic does not exist, or KSQL does not have permission to list the topic: " +
                                               stmt.topic)
                            : started.status());
    return;
  }
  Keep(connection, active, std::move(*started));
}

// A query that goes on streaming (push query, PRINT): kept until its socket closes.
void WebSocketQueryEndpoint::Keep(const std::shared_ptr<WebSocketConnection>& connection,
                                  const std::shared_ptr<Active>& active, std::unique_ptr<RunningQuery> handle) {
  if (handle->finished()) return;  // a pull query: its rows and close are queued already
  spdlog::info("Push query {} started for websocket {}", handle->id(), connection->request().peer);
  {
    std::lock_guard<std::mutex> lock(active->mu);
    if (!active->closed) {
      active->handle = std::move(handle);
      return;
    }
  }
  std::lock_guard<std::mutex> engine_lock(service_.engine_mutex());
  handle.reset();  // the client left meanwhile
}

bool WebSocketQueryEndpoint::Forget(const std::shared_ptr<Active>& active) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(active.get());
  return stopped_;
}

void WebSocketQueryEndpoint::Shutdown() {
  std::vector<std::shared_ptr<Active>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    for (const auto& [ptr, a] : active_) all.push_back(a);
  }
  for (const auto& a : all) a->connection->Close(kGoingAway, "Server shutting down");
  pool_.join();
  // Queries whose sockets did not finish closing: stopped here, before the runtime goes.
  for (const auto& a : all) {
    std::unique_ptr<RunningQuery> handle;
    {
      std::lock_guard<std::mutex> lock(a->mu);
      a->closed = true;
      handle = std::move(a->handle);
    }
    if (handle) {
      std::lock_guard<std::mutex> engine_lock(service_.engine_mutex());
      handle.reset();
    }
  }
}

}  // namespace sluice
