#pragma once
// HttpServer: one listener per configured address serving HTTP/1.1 (Boost.Beast) and HTTP/2
// over cleartext with prior knowledge (h2c: a connection that starts with the HTTP/2 preface
// is handed to an nghttp2 session, server/http2_session.*). Both hand each request to the same
// router as an HttpExchange (server/http_exchange.h), which answers once or streams.
// Keep-alive, bounded bodies, malformed requests answered with ksqlDB error bodies.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <optional>

#include <boost/asio/ssl/context.hpp>

#include "engine/common/status.h"
#include "server/auth_basic.h"
#include "server/http_exchange.h"
#include "server/websocket_session.h"

namespace sluice {

struct HttpRoutes {
  // Answers (now or later, from any thread) through the exchange.
  std::function<void(const std::shared_ptr<HttpExchange>&)> handle;
  // True for routes that consume the body while it arrives (HTTP/2 /inserts-stream): they are
  // dispatched when the headers are in, the body comes through HttpExchange::OnBody.
  std::function<bool(const HttpRequest&)> streams_body;
  // Checked before `handle` and before a websocket upgrade (HTTP/1.1 and HTTP/2 alike): a
  // denial is the answer (401 with WWW-Authenticate, 403, 400). Unset: everything passes.
  std::function<std::optional<AuthDenial>(const HttpRequest&)> authenticate;
  // A GET with `Upgrade: websocket` on a path for which `websocket_path` is true becomes a
  // websocket handed to `websocket` (server/websocket_session.h); other upgrades are ordinary
  // requests.
  std::function<bool(const std::string& path)> websocket_path;
  WebSocketHandler websocket;
};

// The ksqlDB error body {"@type":"generic_error","error_code":...,"message":...}.
std::string ErrorBody(int error_code, const std::string& message, const std::string& type = "generic_error");
constexpr const char* kKsqlContentType = "application/vnd.ksql.v1+json";

struct Listener {
  std::string host;  // as configured ("0.0.0.0", "localhost", "[::1]")
  int port = 0;
  bool tls = false;  // https://
};

// Blocks SIGINT/SIGTERM in the calling thread and every thread started after it, so that
// WaitForSignal() receives them (sigwait) instead of a random thread's default handler.
void BlockTerminationSignals();

// "http://0.0.0.0:8088,https://[::1]:8443" -> listeners; errors name the bad entry.
Result<std::vector<Listener>> ParseListeners(const std::string& value);

class HttpServer {
 public:
  // `tls` serves the https:// listeners (server/tls_context.h); required when there are any.
  static Result<std::unique_ptr<HttpServer>> Start(const std::vector<Listener>& listeners, int threads,
                                                   HttpRoutes routes,
                                                   std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpServer();  // stops accepting, closes connections, joins the threads
  // Bound ports, in listener order (a configured port 0 gets an ephemeral one).
  const std::vector<int>& ports() const { return ports_; }
  // Blocks until SIGINT/SIGTERM, then returns the signal number. BlockTerminationSignals()
  // must have run before any thread was started.
  int WaitForSignal();

 private:
  struct Impl;
  HttpServer();
  std::unique_ptr<Impl> impl_;
  std::vector<int> ports_;
};

}  // namespace sluice
