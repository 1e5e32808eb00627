#include "server/http_server.h"

#include <csignal>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace sluice {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;
constexpr const char* kKsqlContentType = "application/vnd.ksql.v1+json";

// One connection: read a request, answer it, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler& handler) : stream_(std::move(socket)), handler_(handler) {}
  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBodyBytes);
    stream_.expires_after(std::chrono::minutes(5));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      Close();
      return;
    }
    if (ec) {
      // Malformed HTTP or a body over the limit: answer once, then close.
      HttpReply reply = KsqlService::Error(ec == http::error::body_limit ? 413 : 400, 40000,
                                           "Bad HTTP request: " + ec.message());
      Write(http::status(reply.status), reply.body, kKsqlContentType, /*keep_alive=*/false, 11);
      return;
    }
    auto& req = parser_->get();
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    HttpRequestView view{std::string(req.method_string()), path, std::string(req[http::field::accept]), req.body()};
    HttpReply reply;
    try {
      reply = handler_(view);
    } catch (const std::exception& e) {
      spdlog::error("REST {} {}: unhandled error: {}", view.method, path, e.what());
      reply = KsqlService::Error(500, 50000, std::string("Internal server error: ") + e.what());
    }
    // application/json when the client asks for exactly that; ksqlDB's type otherwise.
    const bool plain_json = view.accept.find("application/json") != std::string::npos &&
                            view.accept.find("vnd.ksql") == std::string::npos;
    Write(http::status(reply.status), std::move(reply.body), plain_json ? "application/json" : kKsqlContentType,
          req.keep_alive(), req.version());
  }

  void Write(http::status status, std::string body, const char* content_type, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(status, version);
    res->set(http::field::server, "sluice");
    res->set(http::field::content_type, content_type);
    res->keep_alive(keep_alive);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) {
        self->Close();
        return;
      }
      self->Read();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler& handler_;
};

class Acceptor {
 public:
  Acceptor(asio::io_context& io, const HttpHandler& handler) : io_(io), acceptor_(io), handler_(handler) {}

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
      if (!ec) std::make_shared<Session>(std::move(socket), handler_)->Start();
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
  const HttpHandler& handler_;
};

}  // namespace

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
    if (item.rfind("http://", 0) != 0) return Status::InvalidArgument("listener must be http://host:port: " + item);
    std::string hostport = item.substr(7);
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("listener has no port: " + item);
    Listener l;
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
  HttpHandler handler;
  std::vector<std::unique_ptr<Acceptor>> acceptors;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

HttpServer::HttpServer() : impl_(std::make_unique<Impl>()) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::vector<Listener>& listeners, int threads,
                                                      HttpHandler handler) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  Impl& impl = *server->impl_;
  impl.handler = std::move(handler);
  for (const Listener& l : listeners) {
    tcp::resolver resolver(impl.io);
    beast::error_code ec;
    auto results = resolver.resolve(l.host, std::to_string(l.port), tcp::resolver::passive, ec);
    if (ec || results.empty())
      return Status::InvalidArgument("listener host '" + l.host + "' cannot be resolved: " + ec.message());
    auto acceptor = std::make_unique<Acceptor>(impl.io, impl.handler);
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
