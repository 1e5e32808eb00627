#pragma once
// ksqlDB's legacy websocket query endpoint (WSQueryEndpoint):
//
//   GET /ws/query?request=<url-encoded {"ksql":"SELECT ...;","streamsProperties":{...}}>[&version=1]
//
// After the handshake the server sends text frames: first the result's columns as ksqlDB's
// FieldInfo list ([{"name","schema":{"type","fields","memberSchema"}}], "type":"KEY" on a pull
// query's key columns), then one {"row":{"columns":[...]}} per row. It closes with 1000 "done"
// when a pull query has sent every row or a push query reached its LIMIT; 1011 with the
// message when a running query fails; 1003 with the message when the request cannot start a
// query (no or bad `request`, a parse error, not a SELECT or PRINT, an unknown source or topic).
// PRINT sends one text frame per record, the line as a JSON string ("rowtime: ..., key: ...,
// value: ..., partition: N"), and closes 1000 "done" at its LIMIT. A client that
// closes or disconnects ends its push query. Queries start through Engine::StartQuery under
// KsqlService's engine lock on this endpoint's worker pool, as the HTTP query endpoints do.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <boost/asio/thread_pool.hpp>

#include "server/ksql_service.h"
#include "server/websocket_session.h"

namespace sluice {

class WebSocketQueryEndpoint {
 public:
  explicit WebSocketQueryEndpoint(KsqlService& service);
  ~WebSocketQueryEndpoint();  // Shutdown()

  static bool Serves(const std::string& path) { return path == "/ws/query"; }
  void Handle(const std::shared_ptr<WebSocketConnection>& connection);
  // Before the HTTP server goes: stops every push query (their sockets get 1001 "going away")
  // and waits for the worker pool; later connections are closed at once.
  void Shutdown();
  size_t running() const;

  struct Active;

 private:
  void Run(const std::shared_ptr<WebSocketConnection>& connection, const std::shared_ptr<Active>& active,
           const std::map<std::string, std::string>& properties);
  void RunPrint(const std::shared_ptr<WebSocketConnection>& connection, const std::shared_ptr<Active>& active);
  void Keep(const std::shared_ptr<WebSocketConnection>& connection, const std::shared_ptr<Active>& active,
            std::unique_ptr<RunningQuery> handle);
  bool Forget(const std::shared_ptr<Active>& active);  // true once shutting down

  KsqlService& service_;
  boost::asio::thread_pool pool_{1};
  mutable std::mutex mu_;
  std::map<Active*, std::shared_ptr<Active>> active_;  // push queries in flight
  bool stopped_ = false;
};

// The value of `name` in a query string, decoded; nullopt when absent.
std::optional<std::string> QueryParam(const std::string& query, const std::string& name);
// "ARRAY<STRUCT<`A` INTEGER>>" -> ksqlDB's SchemaInfo JSON ({"type":"ARRAY","fields":null,
// "memberSchema":{...}}); a type the parser does not know gives just its name.
nlohmann::json SchemaInfoFromTypeText(const std::string& type_text);

}  // namespace sluice
