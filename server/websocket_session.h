#pragma once
// Websocket connections (RFC 6455, Boost.Beast) for ksqlDB's legacy /ws/query. HttpServer
// hands over an HTTP/1.1 connection (cleartext or TLS) whose request is an `Upgrade:
// websocket` that passed authentication; the session answers the handshake (101), then gives
// the handler a WebSocketConnection to send text frames on and close with a status code.
//
// Frames from the client are read and dropped (ksqlDB's endpoint takes no messages); reading
// also notices when the client closes or disconnects, which runs OnClose: that is where a
// push query ends. Sending is bounded like HttpExchange's queue (max_queued_bytes): a client
// that reads slower than rows arrive is disconnected and SendText returns false.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "server/http_exchange.h"

namespace sluice {

class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  virtual const HttpRequest& request() const = 0;
  // Queues one text frame (any thread). False once the connection is closing or gone.
  virtual bool SendText(std::string text) = 0;
  // Sends the queued frames, then a close frame with `code` and `reason` (cut to the 123 bytes
  // a close frame holds, with "..." as ksqlDB's SessionUtil does). Idempotent, any thread.
  virtual void Close(uint16_t code, std::string reason) = 0;
  // Runs once when the connection is over; at once if it already is.
  virtual void OnClose(std::function<void()> fn) = 0;
};

using WebSocketHandler = std::function<void(const std::shared_ptr<WebSocketConnection>&)>;

// The upgrade request `upgrade` was read from `stream`; `request` is its HttpRequest form.
// `handler` must outlive the connection.
void StartWebSocket(boost::beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::string_body> upgrade,
                    HttpRequest request, const WebSocketHandler& handler);
void StartWebSocket(boost::beast::ssl_stream<boost::beast::tcp_stream> stream,
                    boost::beast::http::request<boost::beast::http::string_body> upgrade, HttpRequest request,
                    const WebSocketHandler& handler);

// "1000 done" reasons longer than a close frame allows, cut as ksqlDB does (exposed for tests).
std::string TruncateCloseReason(const std::string& reason);

}  // namespace sluice
