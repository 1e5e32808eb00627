#include "server/http2_session.h"

#include <cctype>
#include <cstring>
#include <vector>
#include <map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

namespace sluice {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

namespace {

tcp::socket& RawSocket(tcp::socket& s) { return s; }
tcp::socket& RawSocket(TlsStream& s) { return boost::beast::get_lowest_layer(s).socket(); }

constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;  // as HTTP/1.1, for routes that buffer the body
constexpr size_t kMaxWriteBatch = 64 * 1024;

// `Transport`: tcp::socket (h2c) or TlsStream (h2 over TLS).
template <class Transport>
class Http2Session : public std::enable_shared_from_this<Http2Session<Transport>> {
 public:
  using std::enable_shared_from_this<Http2Session<Transport>>::shared_from_this;
  Http2Session(Transport socket, const HttpRoutes& routes, std::string peer)
      : socket_(std::move(socket)), routes_(routes), peer_(std::move(peer)) {}

  ~Http2Session() {
    if (session_) nghttp2_session_del(session_);
  }

  void Start(std::string initial) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Http2Session::OnBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &Http2Session::OnHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Http2Session::OnFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Http2Session::OnDataChunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Http2Session::OnStreamClose);
    int rv = nghttp2_session_server_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
      spdlog::error("HTTP/2 from {}: cannot create a session: {}", peer_, nghttp2_strerror(rv));
      return;
    }
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
                                         {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    if (!Receive(reinterpret_cast<const uint8_t*>(initial.data()), initial.size())) return;
    Flush();
    Read();
  }

 private:
  struct Stream {
    HttpRequest request;
    std::shared_ptr<HttpExchange> exchange;  // set when dispatched
    bool response_submitted = false;
    bool body_too_large = false;
    std::string sending;  // the piece being sent (a piece larger than a frame takes several)
    size_t sent = 0;
  };

  static Http2Session& Self(void* user_data) { return *static_cast<Http2Session*>(user_data); }

  Stream* Find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto& self = Self(ud);
    auto stream = std::make_unique<Stream>();
    stream->request.version = 20;
    stream->request.tls = std::is_same_v<Transport, TlsStream>;
    stream->request.peer = self.peer_;
    self.streams_[frame->hd.stream_id] = std::move(stream);
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* s = Self(ud).Find(frame->hd.stream_id);
    if (!s || s->exchange) return 0;  // trailers: ignored
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":method") s->request.method = v;
    else if (n == ":path") {
      s->request.path = v.substr(0, v.find('?'));
      if (v.find('?') != std::string::npos) s->request.query = v.substr(v.find('?') + 1);
    } else if (n == "authorization") s->request.authorization = v;
    else if (n == "accept") s->request.accept = v;
    else if (n == "content-type") s->request.content_type = v;
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
    auto& self = Self(ud);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    Stream* s = self.Find(frame->hd.stream_id);
    if (!s) return 0;
    const bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (s->exchange) {
      if (end) s->exchange->DeliverBody({}, true);
      return 0;
    }
    if (end || (frame->hd.type == NGHTTP2_HEADERS && self.routes_.streams_body && self.routes_.streams_body(s->request)))
      self.Dispatch(frame->hd.stream_id, *s, end);
    return 0;
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len, void* ud) {
    auto& self = Self(ud);
    Stream* s = self.Find(stream_id);
    if (!s) return 0;
    std::string_view chunk(reinterpret_cast<const char*>(data), len);
    if (s->exchange) {
      s->exchange->DeliverBody(chunk, false);
      return 0;
    }
    if (s->request.body.size() + len > kMaxBodyBytes) {
      s->body_too_large = true;
      s->request.body.clear();
      return 0;
    }
    if (!s->body_too_large) s->request.body.append(chunk);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* ud) {
    auto& self = Self(ud);
    auto it = self.streams_.find(stream_id);
    if (it == self.streams_.end()) return 0;
    std::unique_ptr<Stream> s = std::move(it->second);
    self.streams_.erase(it);
    if (s->exchange) s->exchange->Finish();
    return 0;
  }

  void Dispatch(int32_t id, Stream& s, bool body_complete) {
    const bool too_large = s.body_too_large;
    s.exchange = std::make_shared<HttpExchange>(std::move(s.request));
    std::weak_ptr<Http2Session> weak = shared_from_this();
    auto strand = socket_.get_executor();
    s.exchange->SetWaker([weak, strand, id] {
      asio::post(strand, [weak, id] {
        if (auto self = weak.lock()) self->OnWake(id);
      });
    });
    if (too_large) {
      s.exchange->Reply(413, ErrorBody(40000, "Bad HTTP request: body limit exceeded"), kKsqlContentType);
      return;
    }
    try {
      routes_.handle(s.exchange);
    } catch (const std::exception& e) {
      spdlog::error("REST (HTTP/2) {} {}: unhandled error: {}", s.exchange->request().method,
                    s.exchange->request().path, e.what());
      s.exchange->Reply(500, ErrorBody(50000, std::string("Internal server error: ") + e.what()), kKsqlContentType);
    }
    if (body_complete) s.exchange->DeliverBody({}, true);
  }

  // Output was queued for stream `id` (or it overflowed): submit its response or resume it.
  void OnWake(int32_t id) {
    if (closed_) return;
    Stream* s = Find(id);
    if (!s || !s->exchange) return;
    if (s->exchange->overflowed()) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
    } else if (!s->response_submitted) {
      auto head = s->exchange->TakeHead();
      if (!head) return;
      s->response_submitted = true;
      std::string status = std::to_string(head->status);
      auto nv = [](const char* name, const std::string& value) {
        return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
                          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), std::strlen(name),
                          value.size(), NGHTTP2_NV_FLAG_NONE};
      };
      std::vector<nghttp2_nv> headers{nv(":status", status), nv("content-type", head->content_type)};
      std::vector<std::string> names;  // HTTP/2 header names are lower case
      names.reserve(head->headers.size());
      for (const auto& [name, value] : head->headers) {
        names.push_back(name);
        for (char& c : names.back()) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers.push_back(nv(names.back().c_str(), value));
      }
      nghttp2_data_provider provider{};
      provider.read_callback = &Http2Session::ReadData;
      int rv = nghttp2_submit_response(session_, id, headers.data(), headers.size(), &provider);
      if (rv != 0) spdlog::warn("HTTP/2 from {}: stream {}: cannot submit the response: {}", peer_, id, nghttp2_strerror(rv));
    } else {
      nghttp2_session_resume_data(session_, id);
    }
    Flush();
  }

  // One DATA frame's payload: at most one queued piece (or the rest of a large one).
  static ssize_t ReadData(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length, uint32_t* data_flags,
                          nghttp2_data_source*, void* ud) {
    Stream* s = Self(ud).Find(stream_id);
    if (!s || !s->exchange) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    if (s->sent >= s->sending.size()) {
      s->sending.clear();
      s->sent = 0;
      if (auto piece = s->exchange->PopPiece()) s->sending = std::move(*piece);
    }
    if (s->sending.empty()) {
      if (s->exchange->overflowed()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      if (s->exchange->drained()) {
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
      }
      return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = std::min(length, s->sending.size() - s->sent);
    std::memcpy(buf, s->sending.data() + s->sent, n);
    s->sent += n;
    if (s->sent >= s->sending.size() && s->exchange->drained()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  bool Receive(const uint8_t* data, size_t len) {
    ssize_t rv = nghttp2_session_mem_recv(session_, data, len);
    if (rv < 0) {
      spdlog::info("HTTP/2 from {}: protocol error: {}; closing the connection", peer_,
                   nghttp2_strerror(static_cast<int>(rv)));
      nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
      Flush();
      closing_ = true;
      return false;
    }
    return true;
  }

  void Read() {
    socket_.async_read_some(asio::buffer(read_buf_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (self->closed_) return;
      if (ec) {
        self->CloseAll();
        return;
      }
      if (!self->Receive(reinterpret_cast<const uint8_t*>(self->read_buf_.data()), n)) return;
      self->Flush();
      if (!self->closed_) self->Read();
    });
  }

  // Sends what nghttp2 has to send; closes when it wants neither to read nor to write.
  void Flush() {
    if (writing_ || closed_) return;
    while (out_.size() < kMaxWriteBatch) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        spdlog::info("HTTP/2 from {}: {}; closing the connection", peer_, nghttp2_strerror(static_cast<int>(n)));
        CloseAll();
        return;
      }
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (out_.empty()) {
      if (closing_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))) CloseAll();
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      self->writing_ = false;
      self->out_.clear();
      if (ec) {
        self->CloseAll();
        return;
      }
      self->Flush();
    });
  }

  // The connection is gone: every exchange still open is over (its query stops).
  void CloseAll() {
    if (closed_) return;
    closed_ = true;
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, s] : streams)
      if (s->exchange) s->exchange->Finish();
    boost::system::error_code ignored;
    RawSocket(socket_).shutdown(tcp::socket::shutdown_both, ignored);
    RawSocket(socket_).close(ignored);
  }

  Transport socket_;
  const HttpRoutes& routes_;
  std::string peer_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::unique_ptr<Stream>> streams_;
  std::array<char, 16384> read_buf_{};
  std::string out_;
  bool writing_ = false;
  bool closing_ = false;  // GOAWAY queued: close once it is sent
  bool closed_ = false;
};

}  // namespace

void StartHttp2Session(tcp::socket socket, std::string initial, const HttpRoutes& routes, std::string peer) {
  std::make_shared<Http2Session<tcp::socket>>(std::move(socket), routes, std::move(peer))->Start(std::move(initial));
}

void StartHttp2Session(TlsStream stream, std::string initial, const HttpRoutes& routes, std::string peer) {
  std::make_shared<Http2Session<TlsStream>>(std::move(stream), routes, std::move(peer))->Start(std::move(initial));
}

}  // namespace sluice
