#include "server/websocket_session.h"

#include <deque>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

namespace sluice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

template <class Stream>
class WebSocketSession : public WebSocketConnection, public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(Stream stream, HttpRequest request, const WebSocketHandler& handler)
      : ws_(std::move(stream)), request_(std::move(request)), handler_(handler) {}

  void Start(http::request<http::string_body> upgrade) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket keeps its own timeouts
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = websocket::stream_base::none();  // a quiet push query is not idle
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "sluice"); }));
    upgrade_ = std::move(upgrade);
    ws_.async_accept(upgrade_, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) {
        spdlog::info("websocket {} from {}: handshake failed: {}", self->request_.path, self->request_.peer,
                     ec.message());
        self->Finish();
        return;
      }
      self->handler_(self);
      self->Read();
    });
  }

  const HttpRequest& request() const override { return request_; }

  bool SendText(std::string text) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || close_code_) return false;
    if (queued_bytes_ + text.size() > HttpExchange::max_queued_bytes()) {
      spdlog::warn("websocket {} from {}: the client reads slower than rows arrive ({} bytes queued); dropping it",
                   request_.path, request_.peer, queued_bytes_);
      overflowed_ = true;
      queue_.clear();
      queued_bytes_ = 0;
      Wake();
      return false;
    }
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    Wake();
    return true;
  }

  void Close(uint16_t code, std::string reason) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || close_code_) return;
    close_code_ = code;
    close_reason_ = TruncateCloseReason(reason);
    Wake();
  }

  void OnClose(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (finished_) {
      lock.unlock();
      fn();
      return;
    }
    on_close_ = std::move(fn);
  }

 private:
  // Caller holds mu_.
  void Wake() {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->Pump(); });
  }

  // On the connection's strand: one write at a time, frames first, then the close frame.
  void Pump() {
    if (writing_) return;
    std::unique_lock<std::mutex> lock(mu_);
    if (finished_) return;
    if (overflowed_) {
      lock.unlock();
      Abort();
      return;
    }
    if (!queue_.empty()) {
      out_ = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= out_.size();
      lock.unlock();
      writing_ = true;
      ws_.text(true);
      ws_.async_write(asio::buffer(out_), [self = this->shared_from_this()](beast::error_code ec, size_t) {
        self->writing_ = false;
        if (ec) return self->Abort();
        self->Pump();
      });
      return;
    }
    if (close_code_ && !close_sent_) {
      close_sent_ = true;
      websocket::close_reason reason;
      reason.code = *close_code_;
      reason.reason = close_reason_;
      lock.unlock();
      writing_ = true;
      ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code) {
        self->writing_ = false;
        self->Finish();
      });
    }
  }

  void Read() {
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        // websocket::error::closed: the client's close frame (Beast answered it); else it left.
        self->Finish();
        return;
      }
      self->in_.consume(self->in_.size());  // ksqlDB's endpoint takes no messages
      self->Read();
    });
  }

  void Abort() {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    Finish();
  }

  void Finish() {
    std::function<void()> on_close;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = true;
      queue_.clear();
      queued_bytes_ = 0;
      on_close = std::move(on_close_);
      on_close_ = nullptr;
    }
    if (on_close) on_close();
  }

  websocket::stream<Stream> ws_;
  HttpRequest request_;
  const WebSocketHandler& handler_;
  http::request<http::string_body> upgrade_;
  beast::flat_buffer in_;
  std::string out_;
  bool writing_ = false;  // strand only
  bool close_sent_ = false;
  std::mutex mu_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::optional<uint16_t> close_code_;
  std::string close_reason_;
  bool overflowed_ = false;
  bool finished_ = false;
  std::function<void()> on_close_;
};

}  // namespace

std::string TruncateCloseReason(const std::string& reason) {
  constexpr size_t kMax = 123;  // a close frame's payload is 125 bytes, 2 of them the code
  if (reason.size() <= kMax) return reason;
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 chars
  return reason.substr(0, cut) + "...";
}

void StartWebSocket(beast::tcp_stream stream, http::request<http::string_body> upgrade, HttpRequest request,
                    const WebSocketHandler& handler) {
  std::make_shared<WebSocketSession<beast::tcp_stream>>(std::move(stream), std::move(request), handler)
      ->Start(std::move(upgrade));
}

void StartWebSocket(beast::ssl_stream<beast::tcp_stream> stream, http::request<http::string_body> upgrade,
                    HttpRequest request, const WebSocketHandler& handler) {
  std::make_shared<WebSocketSession<beast::ssl_stream<beast::tcp_stream>>>(std::move(stream), std::move(request),
                                                                           handler)
      ->Start(std::move(upgrade));
}

}  // namespace sluice
