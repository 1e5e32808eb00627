#pragma once
// RestClient: the CLI's HTTP/1.1 client for a ksqlDB-compatible server (Boost.Beast, one
// connection per request). GET /info, POST /ksql, and POST /query with the response body
// delivered chunk by chunk as it arrives (push queries stream for as long as they run).
//
// Interrupting: Interrupt() may be called from a signal handler. It shuts the socket of the
// request in flight down, so a blocked read returns at once; the request then fails with
// `interrupted` set.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sluice::cli {

struct ServerUrl {
  std::string scheme = "http";
  std::string host = "localhost";
  std::string port = "8088";
  std::string ToString() const { return scheme + "://" + host + ":" + port; }
};

// "http://host:port", "host:port", "host" (port 8088). nullopt with `error` set when malformed
// (https is refused: the CLI speaks cleartext HTTP only).
std::optional<ServerUrl> ParseServerUrl(const std::string& text, std::string* error);

struct RestResponse {
  bool ok = false;           // got an HTTP response (any status)
  bool interrupted = false;  // Interrupt() cut it short
  int status = 0;
  std::string body;
  std::string error;  // transport failure ("Connection refused")
};

class RestClient {
 public:
  explicit RestClient(ServerUrl url) : url_(std::move(url)) {}
  const ServerUrl& url() const { return url_; }
  void set_url(ServerUrl url) { url_ = std::move(url); }

  RestResponse Get(const std::string& target);
  RestResponse Post(const std::string& target, const nlohmann::json& body);
  // POST whose response body is handed to `on_data` piece by piece (the returned body stays
  // empty for a 200). Return false from `on_data` to stop reading (the connection is closed).
  RestResponse PostStreaming(const std::string& target, const nlohmann::json& body,
                             const std::function<bool(const std::string&)>& on_data);

  // Async-signal-safe: cuts the request in flight (if any) short.
  static void Interrupt();
  static void ClearInterrupt();
  static bool Interrupted();

 private:
  RestResponse Request(const std::string& method, const std::string& target, const std::string& body,
                       const std::function<bool(const std::string&)>* on_data);
  ServerUrl url_;
};

}  // namespace sluice::cli
