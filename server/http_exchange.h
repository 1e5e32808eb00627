#pragma once
// HttpExchange: one request and its response, the same object for HTTP/1.1 (Beast, chunked
// transfer for streamed responses) and HTTP/2 (nghttp2, one DATA frame per written piece).
//
// Handlers answer once (Reply) or stream (Begin, Write..., End). Write and End are safe from
// any thread (push-query rows arrive on stream threads): they queue the piece and wake the
// connection, which sends it from its own strand. The queue is bounded (max_queued_bytes(),
// 32 MB unless `sluice.rest.max.queued.bytes` says otherwise):
// when a client reads slower than rows arrive, Write returns false, the queued rows are
// dropped and the connection (HTTP/1.1) or stream (HTTP/2, RST_STREAM) is closed - the client
// sees a truncated response, never one with rows silently missing. The producer (a push query)
// stops because its sink's OnRow returns false.
//
// OnClose runs once when the exchange is over: the response was sent completely, or the client
// went away first (disconnect, RST_STREAM, overflow). That is where a query ends.
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// Percent-decoding of a URL path or query component ("%60S%60" -> "`S`"); with
// `plus_as_space` (query strings, form bodies) '+' is a space too. Bad escapes stay as written.
std::string PercentDecode(std::string_view s, bool plus_as_space = false);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string
  std::string accept;
  std::string content_type;
  int version = 11;  // 10, 11 (HTTP/1.x) or 20 (HTTP/2)
  std::string body;  // the whole body, except for routes that stream it (HttpExchange::OnBody)
  std::string peer;  // "127.0.0.1:53122", for logs
  std::string query;          // the target's query string, after '?' ("" when none)
  std::string authorization;  // the Authorization header ("" when absent)
  bool tls = false;           // arrived over an https:// listener
};

class HttpExchange {
 public:
  static size_t max_queued_bytes();
  static void SetMaxQueuedBytes(size_t bytes);  // at start-up

  explicit HttpExchange(HttpRequest request) : request_(std::move(request)) {}
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  const HttpRequest& request() const { return request_; }

  // ---- the handler's side (any thread) ----
  void Reply(int status, std::string body, const std::string& content_type);
  // Reply with extra response headers (WWW-Authenticate on a 401).
  void Reply(int status, std::string body, const std::string& content_type,
             std::vector<std::pair<std::string, std::string>> headers);
  void Begin(int status, const std::string& content_type);
  // Begin, Write of each piece and End at once: one wake of the connection, so a small answer
  // (a pull query's) goes out in one write. Not bounded by max_queued_bytes (the caller holds
  // the whole answer anyway).
  void Respond(int status, const std::string& content_type, std::vector<std::string> pieces);
  // False when the client is gone or the queue overflowed: stop producing.
  bool Write(std::string piece);
  void End();
  // Runs once, on a network thread, when the exchange is over (see above). Set it at once
  // after Begin; if the exchange is already over it runs immediately.
  void OnClose(std::function<void()> fn);
  // Routes that stream the request body (/inserts-stream over HTTP/2): each piece as it
  // arrives, `last` on the final call. Calls are serialized. Pieces that arrived before the
  // callback was set are delivered when it is set.
  void OnBody(std::function<void(std::string_view, bool last)> fn);
  bool closed() const;

  // ---- the connection's side ----
  struct Head {
    int status = 200;
    std::string content_type;
    bool one_shot = false;  // Reply(): the whole body is the one queued piece
    std::vector<std::pair<std::string, std::string>> headers;  // extra response headers
  };
  // Sets how the connection is woken (posted to its strand) when output is queued.
  void SetWaker(std::function<void()> wake);
  std::optional<Head> TakeHead();  // once, when the handler has answered
  std::optional<std::string> PopPiece();
  bool ended() const;       // End() called (pieces may still be queued)
  bool drained() const;     // End() called and every piece taken
  bool overflowed() const;  // the client was too slow: abort the connection/stream
  // The exchange is over (sent or abandoned): runs OnClose. Idempotent.
  void Finish();
  void DeliverBody(std::string_view data, bool last);

 private:
  void WakeLocked(std::unique_lock<std::mutex>& lock);

  HttpRequest request_;
  mutable std::mutex mu_;
  std::optional<Head> head_;
  bool head_taken_ = false;
  std::deque<std::string> pieces_;
  size_t queued_bytes_ = 0;
  bool ended_ = false;
  bool overflowed_ = false;
  bool finished_ = false;
  std::function<void()> wake_;
  std::function<void()> on_close_;
  // Request body streaming.
  std::mutex body_mu_;  // serializes the body callback
  std::function<void(std::string_view, bool)> on_body_;
  std::string early_body_;
  bool early_last_ = false;
};

}  // namespace sluice
