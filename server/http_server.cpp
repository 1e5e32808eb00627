#include "server/http_server.h"

#include <atomic>
#include <csignal>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "server/http2_session.h"

namespace sluice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;
constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string Peer(const tcp::socket& socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
}

// What differs between cleartext and TLS connections.
tcp::socket& RawSocket(beast::tcp_stream& s) { return s.socket(); }
tcp::socket& RawSocket(TlsStream& s) { return beast::get_lowest_layer(s).socket(); }
void HandOverToHttp2(beast::tcp_stream& s, std::string initial, const HttpRoutes& routes, const std::string& peer) {
  StartHttp2Session(s.release_socket(), std::move(initial), routes, peer);
}
void HandOverToHttp2(TlsStream& s, std::string initial, const HttpRoutes& routes, const std::string& peer) {
  StartHttp2Session(std::move(s), std::move(initial), routes, peer);
}

// One HTTP/1.1 connection: read a request, hand it to the router as an exchange, send what the
// exchange produces (Content-Length for a one-shot reply, chunked for a stream), repeat while
// keep-alive. A connection that starts with the HTTP/2 preface goes to an nghttp2 session, a
// websocket upgrade to a websocket session. `Stream` is beast::tcp_stream or TlsStream (whose
// TLS handshake comes first; ALPN h2 clients then send the preface like h2c ones).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket socket, const HttpRoutes& routes)
      : peer_(Peer(socket)), stream_(std::move(socket)), routes_(routes) {}
  Session(tcp::socket socket, asio::ssl::context& tls, const HttpRoutes& routes)
      : peer_(Peer(socket)), stream_(std::move(socket), tls), routes_(routes) {}
  void Start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      Lowest().expires_after(std::chrono::seconds(30));
      stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        if (ec) {
          spdlog::info("TLS from {}: handshake failed: {}", self->peer_, ec.message());
          self->Close();
          return;
        }
        self->Sniff();
      });
    } else {
      Sniff();
    }
  }

 private:
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // Reads until the bytes are known to be, or not to be, the HTTP/2 preface.
  void Sniff() {
    const size_t have = buffer_.size();
    std::string_view got(static_cast<const char*>(buffer_.data().data()), have);
    const size_t n = std::min(have, kHttp2Preface.size());
    if (got.substr(0, n) != kHttp2Preface.substr(0, n)) {
      Read();
      return;
    }
    if (have >= kHttp2Preface.size()) {
      std::string initial(got);
      buffer_.consume(have);
      Lowest().expires_never();
      HandOverToHttp2(stream_, std::move(initial), routes_, peer_);
      return;
    }
    Lowest().expires_after(std::chrono::seconds(30));
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t got) {
      if (ec) {
        self->Close();
        return;
      }
      self->buffer_.commit(got);
      self->Sniff();
    });
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    Lowest().expires_after(std::chrono::minutes(5));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::error::operation_aborted) {
      Close();
      return;
    }
    if (ec) {
      // Malformed HTTP, a truncated body or one over the limit: answer once, then close.
      spdlog::info("REST from {}: bad HTTP request: {}", peer_, ec.message());
      keep_alive_ = false;
      version_ = 11;
      exchange_ = std::make_shared<HttpExchange>(HttpRequest{});
      exchange_->Reply(ec == http::error::body_limit ? 413 : 400,
                       ErrorBody(40000, "Bad HTTP request: " + ec.message()), kKsqlContentType);
      Pump();
      return;
    }
    auto& req = parser_->get();
    HttpRequest request;
    request.method = std::string(req.method_string());
    std::string target(req.target());
    request.path = target.substr(0, target.find('?'));
    if (target.find('?') != std::string::npos) request.query = target.substr(target.find('?') + 1);
    request.authorization = std::string(req[http::field::authorization]);
    request.tls = kTls;
    request.accept = std::string(req[http::field::accept]);
    request.content_type = std::string(req[http::field::content_type]);
    request.version = static_cast<int>(req.version());
    request.body = std::move(req.body());
    request.peer = peer_;
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    if (beast::websocket::is_upgrade(req) && routes_.websocket_path && routes_.websocket_path(request.path)) {
      if (UpgradeToWebSocket(request)) return;
    }
    exchange_ = std::make_shared<HttpExchange>(std::move(request));
    // The waker keeps the session alive until the exchange is over (Finish drops it): nothing
    // else may hold it while a handler works on the answer.
    // Wakes from the handler's own call (this thread, inside handle()) are not posted: Pump
    // runs right after it.
    auto strand = stream_.get_executor();
    exchange_->SetWaker([self = shared_from_this(), strand] {
      if (self->handler_thread_.load(std::memory_order_acquire) == std::this_thread::get_id()) return;
      asio::post(strand, [self] { self->Pump(); });
    });
    handler_thread_.store(std::this_thread::get_id(), std::memory_order_release);
    try {
      routes_.handle(exchange_);
    } catch (const std::exception& e) {
      spdlog::error("REST {} {}: unhandled error: {}", exchange_->request().method, exchange_->request().path, e.what());
      exchange_->Reply(500, ErrorBody(50000, std::string("Internal server error: ") + e.what()), kKsqlContentType);
    }
    handler_thread_.store(std::thread::id(), std::memory_order_release);
    Lowest().expires_never();
    // Answered already (GET /info, a cached pull query): sent now, no watch to start and cancel.
    if (!exchange_->ended()) {
      // A client that hangs up before the answer ends its exchange (and query) at once. No
      // timeout while the answer is pending or streaming: a push query may run for days.
      Watch();
    }
    Pump();
  }

  // An authenticated websocket upgrade leaves this session for a websocket one (true); a
  // denied one is answered here (false: the caller sends the denial as an ordinary reply).
  bool UpgradeToWebSocket(HttpRequest& request) {
    if (routes_.authenticate && routes_.authenticate(request)) return false;
    spdlog::info("websocket {} from {}", request.path, peer_);
    StartWebSocket(std::move(stream_), parser_->release(), std::move(request), routes_.websocket);
    return true;
  }

  // Sends what the exchange has queued; runs on the connection's strand.
  void Pump() {
    if (!exchange_) return;
    if (exchange_->overflowed()) {
      Abort();  // also when a write is stuck on a client that stopped reading
      return;
    }
    if (writing_) return;
    if (!head_sent_) {
      auto head = exchange_->TakeHead();
      if (!head) return;
      head_sent_ = true;
      if (head->one_shot) {
        WriteWhole(*head, exchange_->PopPiece().value_or(""));
        return;
      }
      StartStream(*head);
    }
    WriteQueued();
  }

  void WriteWhole(const HttpExchange::Head& head, std::string body) {
    auto res = std::make_shared<http::response<http::string_body>>(http::status(head.status), version_);
    res->set(http::field::server, "sluice");
    res->set(http::field::content_type, head.content_type);
    for (const auto& [name, value] : head.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    res->body() = std::move(body);
    res->prepare_payload();
    writing_ = true;
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->Done(ec);
    });
  }

  // A streamed answer's head (as Beast serializes it) goes out with the first pieces.
  void StartStream(const HttpExchange::Head& head) {
    chunked_ = version_ >= 11;
    if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the end of the body is the end of the connection
    http::response<http::empty_body> res(http::status(head.status), version_);
    res.set(http::field::server, "sluice");
    res.set(http::field::content_type, head.content_type);
    res.keep_alive(keep_alive_);
    if (chunked_) res.chunked(true);
    http::response_serializer<http::empty_body> sr(res);
    sr.split(true);
    beast::error_code ec;
    while (!sr.is_header_done() && !ec)
      sr.next(ec, [&](beast::error_code&, const auto& buffers) {
        for (auto b : beast::buffers_range_ref(buffers)) out_.append(static_cast<const char*>(b.data()), b.size());
        sr.consume(beast::buffer_bytes(buffers));
      });
    Lowest().expires_never();
  }

  // Everything queued so far in one write: the head (first time), the pieces (each its own
  // chunk) and, once the handler has ended, the last chunk. A pull query's answer is usually
  // all queued when this runs: one write instead of one per piece.
  void WriteQueued() {
    const bool first = !out_.empty();  // the head is waiting
    while (auto piece = exchange_->PopPiece()) {
      if (!chunked_) {
        out_ += *piece;
      } else if (!piece->empty()) {  // an empty chunk would end the body
        char size[20];
        out_.append(size, static_cast<size_t>(std::snprintf(size, sizeof size, "%zx\r\n", piece->size())));
        out_ += *piece;
        out_ += "\r\n";
      }
    }
    const bool last = exchange_->drained();
    if (last && chunked_) out_ += "0\r\n\r\n";
    if (out_.empty()) {
      if (last) asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Done({}); });
      return;
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(out_), [self = shared_from_this(), first, last](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->out_.clear();
      if (last) {
        self->Done(ec);
        return;
      }
      if (ec) {
        self->Abort();
        return;
      }
      if (first) self->Watch();
      self->Pump();
    });
  }

  // The response was sent (or failed): the exchange is over; next request or close.
  void Done(beast::error_code ec) {
    auto exchange = std::move(exchange_);
    exchange_.reset();
    if (exchange) exchange->Finish();
    head_sent_ = false;
    if (ec || !keep_alive_ || watch_failed_) {
      Close();
      return;
    }
    if (watching_) {
      resume_after_watch_ = true;  // the watcher's read completes (cancelled) first, then Read()
      beast::error_code ignored;
      RawSocket(stream_).cancel(ignored);
      return;
    }
    Read();
  }

  // While a response streams nobody reads the socket: watch it so that a client that hangs up
  // ends its query at once instead of at the next failed write.
  void Watch() {
    if (watching_ || buffer_.size() > 65536) return;
    watching_ = true;
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t got) {
      self->watching_ = false;
      if (ec == asio::error::operation_aborted && self->resume_after_watch_) {
        self->resume_after_watch_ = false;
        self->Read();
        return;
      }
      if (ec) {
        self->watch_failed_ = true;
        if (self->exchange_) self->Abort();
        else self->Close();
        return;
      }
      self->buffer_.commit(got);  // a pipelined request: kept for the next Read
      if (self->resume_after_watch_) {
        self->resume_after_watch_ = false;
        self->Read();
        return;
      }
      if (self->exchange_) self->Watch();
    });
  }

  void Abort() {
    if (exchange_) {
      auto exchange = std::move(exchange_);
      exchange_.reset();
      exchange->Finish();
    }
    beast::error_code ignored;
    RawSocket(stream_).shutdown(tcp::socket::shutdown_both, ignored);
    RawSocket(stream_).close(ignored);
  }

  void Close() {
    if (exchange_) {
      Abort();
      return;
    }
    beast::error_code ignored;
    RawSocket(stream_).shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::string peer_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpRoutes& routes_;
  std::shared_ptr<HttpExchange> exchange_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool writing_ = false;
  bool head_sent_ = false;
  bool chunked_ = true;
  bool watching_ = false;
  bool watch_failed_ = false;
  bool resume_after_watch_ = false;
  std::string out_;  // what the next write sends
  std::atomic<std::thread::id> handler_thread_{};  // the network thread inside routes_.handle
};

class Acceptor {
 public:
  // `tls` set: an https:// listener.
  Acceptor(asio::io_context& io, const HttpRoutes& routes, asio::ssl::context* tls)
      : io_(io), acceptor_(io), routes_(routes), tls_(tls) {}

  Status Open(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Status::IOError("cannot listen on " + endpoint.address().to_string() + ":" +
                             std::to_string(endpoint.port()) + ": " + ec.message());
    return Status::OK();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      // Answers go out in several writes (head, rows): without NODELAY, Nagle's algorithm holds
      // each small write back until the client's delayed ACK (~40 ms per response).
      beast::error_code no_delay_ec;
      if (!ec) socket.set_option(tcp::no_delay(true), no_delay_ec);
      if (!ec && tls_) std::make_shared<Session<TlsStream>>(std::move(socket), *tls_, routes_)->Start();
      else if (!ec) std::make_shared<Session<beast::tcp_stream>>(std::move(socket), routes_)->Start();
      Accept();
    });
  }
  void Close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  const HttpRoutes& routes_;
  asio::ssl::context* tls_;
};

}  // namespace

std::string ErrorBody(int error_code, const std::string& message, const std::string& type) {
  nlohmann::ordered_json j{{"@type", type}, {"error_code", error_code}, {"message", message}};
  return j.dump();
}

Result<std::vector<Listener>> ParseListeners(const std::string& value) {
  std::vector<Listener> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? value.size() + 1 : comma + 1;
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t/") + 1);
    if (item.empty()) continue;
    const bool tls = item.rfind("https://", 0) == 0;
    if (!tls && item.rfind("http://", 0) != 0)
      return Status::InvalidArgument("listener must be http://host:port or https://host:port: " + item);
    std::string hostport = item.substr(tls ? 8 : 7);
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("listener has no port: " + item);
    Listener l;
    l.tls = tls;
    l.host = hostport.substr(0, colon);
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
    try {
      l.port = std::stoi(hostport.substr(colon + 1));
    } catch (...) {
      return Status::InvalidArgument("listener has a bad port: " + item);
    }
    out.push_back(l);
  }
  if (out.empty()) return Status::InvalidArgument("no listener configured");
  return out;
}

struct HttpServer::Impl {
  asio::io_context io;
  HttpRoutes routes;
  std::shared_ptr<asio::ssl::context> tls;
  std::vector<std::unique_ptr<Acceptor>> acceptors;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::vector<Listener>& listeners, int threads,
                                                      HttpRoutes routes, std::shared_ptr<asio::ssl::context> tls) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  Impl& impl = *server->impl_;
  impl.routes = std::move(routes);
  impl.tls = std::move(tls);
  if (impl.routes.authenticate) {
    // Every request of either protocol passes the check before its handler sees it.
    impl.routes.handle = [authenticate = impl.routes.authenticate,
                          handle = std::move(impl.routes.handle)](const std::shared_ptr<HttpExchange>& ex) {
      if (auto denial = authenticate(ex->request())) {
        spdlog::info("REST {} {} from {}: {}", ex->request().method, ex->request().path, ex->request().peer,
                     denial->status);
        std::vector<std::pair<std::string, std::string>> headers;
        if (!denial->www_authenticate.empty()) headers.emplace_back("WWW-Authenticate", denial->www_authenticate);
        ex->Reply(denial->status, denial->body, kKsqlContentType, std::move(headers));
        return;
      }
      handle(ex);
    };
  }
  for (const Listener& l : listeners) {
    tcp::resolver resolver(impl.io);
    beast::error_code ec;
    auto results = resolver.resolve(l.host, std::to_string(l.port), tcp::resolver::passive, ec);
    if (ec || results.empty())
      return Status::InvalidArgument("listener host '" + l.host + "' cannot be resolved: " + ec.message());
    if (l.tls && !impl.tls) return Status::InvalidArgument("https listener without a TLS configuration: " + l.host);
    auto acceptor = std::make_unique<Acceptor>(impl.io, impl.routes, l.tls ? impl.tls.get() : nullptr);
    SLUICE_RETURN_IF_ERROR(acceptor->Open(results.begin()->endpoint()));
    server->ports_.push_back(acceptor->port());
    acceptor->Accept();
    impl.acceptors.push_back(std::move(acceptor));
  }
  impl.work.emplace(impl.io.get_executor());
  for (int i = 0; i < std::max(1, threads); ++i) impl.threads.emplace_back([&impl] { impl.io.run(); });
  return server;
}

HttpServer::~HttpServer() {
  for (auto& a : impl_->acceptors) a->Close();
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int HttpServer::WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace sluice
