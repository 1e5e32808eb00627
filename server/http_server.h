#pragma once
// HttpServer: Boost.Beast HTTP/1.1 on a small thread pool. Routes a request (method, path,
// body) to a handler and writes its JSON reply with ksqlDB's content type; keep-alive, bounded
// bodies, errors as ksqlDB error bodies. HTTP/2 (h2c) and streaming endpoints come with the
// REST issue.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/status.h"
#include "server/ksql_service.h"

namespace sluice {

struct HttpRequestView {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string
  std::string accept;  // Accept header
  const std::string& body;
};

using HttpHandler = std::function<HttpReply(const HttpRequestView&)>;

struct Listener {
  std::string host;  // as configured ("0.0.0.0", "localhost", "[::1]")
  int port = 0;
};

// Blocks SIGINT/SIGTERM in the calling thread and every thread started after it, so that
// WaitForSignal() receives them (sigwait) instead of a random thread's default handler.
void BlockTerminationSignals();

// "http://0.0.0.0:8088,http://[::1]:9000" -> listeners; errors name the bad entry.
Result<std::vector<Listener>> ParseListeners(const std::string& value);

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(const std::vector<Listener>& listeners, int threads,
                                                   HttpHandler handler);
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
