#pragma once
// A minimal blocking HTTP/1.1 client for the REST runner: one connection per request
// (`Connection: close`), chunked bodies decoded, every wait bounded by a deadline, and a
// streaming form that hands the body to a callback as it arrives (push queries never end).
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/status.h"

namespace sluice::qtt {

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

class RestClient {
 public:
  RestClient(std::string host, int port) : host_(std::move(host)), port_(port) {}

  Result<HttpResult> Get(const std::string& path, std::chrono::milliseconds timeout) const;
  Result<HttpResult> Post(const std::string& path, const std::string& body,
                          std::chrono::milliseconds timeout) const;
  // POST whose response body goes to `on_data(status, piece)` as it arrives (chunk framing
  // removed) until the server ends it, `on_data` returns false, or `timeout` passes (then the
  // connection is closed: the server sees the client go). Returns the status and content
  // type (no body).
  using BodyCallback = std::function<bool(int status, std::string_view piece)>;
  Result<HttpResult> PostStreaming(const std::string& path, const std::string& body, const BodyCallback& on_data,
                                   std::chrono::milliseconds timeout) const;

 private:
  Result<HttpResult> Request(const std::string& method, const std::string& path, const std::string& body,
                             const BodyCallback* on_data,
                             std::chrono::milliseconds timeout) const;
  std::string host_;
  int port_;
};

// Splits a streamed JSON array (`[{...},\n{...}]`, as ksqlDB's /query writes it) into its
// elements as they complete.
class JsonArrayStream {
 public:
  // Appends text; returns the elements completed by it (as text).
  std::vector<std::string> Feed(std::string_view text);
  bool closed() const { return closed_; }  // the closing ']' was seen

 private:
  std::string element_;
  int depth_ = 0;  // 0 outside the array, 1 inside it between elements
  bool in_string_ = false, escaped_ = false, closed_ = false;
};

}  // namespace sluice::qtt
