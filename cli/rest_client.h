#pragma once
// RestClient: the CLI's HTTP/1.1 client for a ksqlDB-compatible server (Boost.Beast, one
// connection per request; https:// over OpenSSL with the server's certificate and host name
// verified against the system's CAs or --ca-file). GET /info, POST /ksql, and POST /query with
// the response body delivered chunk by chunk as it arrives (push queries stream for as long as
// they run). With a user set, every request carries HTTP Basic credentials.
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

// "http://host:port", "https://host:port", "host:port", "host" (port 8088). nullopt with
// `error` set when malformed or another scheme.
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
  // HTTP Basic credentials for every request (--user/--password).
  void set_credentials(std::string user, std::string password) {
    user_ = std::move(user);
    password_ = std::move(password);
  }
  bool has_credentials() const { return !user_.empty(); }
  // PEM file of CA certificates that https servers are verified against instead of the
  // system's (--ca-file; a self-signed server certificate itself works too).
  void set_ca_file(std::string path) { ca_file_ = std::move(path); }

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
  template <class Stream>
  RestResponse Exchange(Stream& stream, const std::string& method, const std::string& target, const std::string& body,
                        const std::function<bool(const std::string&)>* on_data);
  ServerUrl url_;
  std::string user_, password_, ca_file_;
};

}  // namespace sluice::cli
